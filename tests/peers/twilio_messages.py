"""A stand-in for Twilio's Messages API, for the tests: it accepts
POST /2010-04-01/Accounts/<sid>/Messages.json with HTTP basic auth (account SID and auth
token) and a form body of To, From or MessagingServiceSid, and Body, as Twilio does, and writes
each accepted message as JSON to <directory>/<n>.json (n counts from 1). Wrong credentials get
401 and a missing or doubled field 400, with Twilio's error shape.

With --webhook-secret it also plays an operator's gateway for Janua's generic webhook
provider: POST /sms with a JSON body {"to", "body"} (two strings, nothing else) and the header
X-Janua-Signature: sha256=<hex HMAC-SHA256 of the exact body under the secret>. A wrong or
missing signature gets 401 (and a line in <directory>/refused.log); a body of another shape
400; an accepted message is written like a Twilio one, as {"to", "body"}.

    python twilio_messages.py DIRECTORY --sid SID --token TOKEN [--webhook-secret SECRET]
                              [--port PORT]

Listens on 127.0.0.1 (PORT, or a free port when 0 or left out), prints the port on stdout
once it accepts connections, and runs until its standard input closes or it is killed.
Only the standard library: an implementation of the protocol independent of Janua's.
"""

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


def handler_for(directory, sid, token, webhook_secret):
    # Restarted on the same directory, it numbers on after the messages already there.
    numbers = itertools.count(1 + sum(name.endswith(".json") for name in os.listdir(directory)))
    lock = threading.Lock()
    expected_auth = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()

    class Messages(BaseHTTPRequestHandler):
        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def refuse(self, status, code, message):
            self.answer(status, {"code": code, "message": message, "status": status})

        def store(self, message):
            with lock:
                number = next(numbers)
            path = os.path.join(directory, f"{number:06d}")
            with open(path + ".partial", "w") as file:
                json.dump(message, file)
            os.replace(path + ".partial", path + ".json")
            return number

        def webhook(self, raw):
            expected = "sha256=" + hmac.new(webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(self.headers.get("X-Janua-Signature", ""), expected):
                with lock, open(os.path.join(directory, "refused.log"), "a") as file:
                    file.write("401\n")
                return self.answer(401, {"error": "bad signature"})
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
                return self.answer(400, {"error": "expected JSON"})
            try:
                message = json.loads(raw)
            except ValueError:
                return self.answer(400, {"error": "not JSON"})
            if not isinstance(message, dict) or sorted(message) != ["body", "to"] or not all(
                isinstance(v, str) for v in message.values()
            ):
                return self.answer(400, {"error": "expected exactly to and body, as strings"})
            self.answer(200, {"id": self.store(message)})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if webhook_secret is not None and self.path == "/sms":
                return self.webhook(body)
            raw = body.decode()
            if self.path != f"/2010-04-01/Accounts/{sid}/Messages.json":
                return self.refuse(404, 20404, "The requested resource was not found")
            if self.headers.get("Authorization") != expected_auth:
                return self.refuse(401, 20003, "Authenticate")
            if not self.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                return self.refuse(400, 21620, "Expected a form body")
            form = {k: v[0] for k, v in parse_qs(raw, strict_parsing=True).items()}
            senders = [k for k in ("From", "MessagingServiceSid") if k in form]
            if "To" not in form or "Body" not in form or len(senders) != 1:
                return self.refuse(400, 21604, "To, Body and one of From or MessagingServiceSid are required")
            number = self.store(form)
            self.answer(201, {"sid": f"SM{number:032d}", "status": "queued", "to": form["To"]})

        def log_message(self, *args):
            pass

    return Messages


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--sid", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--webhook-secret")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(args.directory, args.sid, args.token, args.webhook_secret))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        print(server.server_address[1], flush=True)
        sys.stdin.read()
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
