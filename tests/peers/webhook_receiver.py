"""A webhook receiver for the tests, verifying every delivery with the reference Standard
Webhooks library (PyPI `standardwebhooks`), an implementation of the signature scheme
independent of Janua's.

    python webhook_receiver.py [--port PORT]

Listens on 127.0.0.1 (PORT, or a free port when 0 or left out), prints the port on stdout once
it accepts connections, and runs until its standard input closes or it is killed.

Hooks are named by path: POST /hooks/<name> is one endpoint. The test configures each with
PUT /_control/hooks/<name> {"secret": "whsec_...", "fail": N}: the hook verifies every delivery
with the library under that secret, answers 401 to one that does not verify, 500 to the first
N that do (a receiver that is failing), and 200 ("ok") after that. With "hang": S it records
the next delivery at once but answers it only after S seconds (a slow receiver). Every delivery is recorded,
verified or not: GET /_control/hooks/<name> lists them as {"headers", "body", "verified",
"error", "answered"}.

POST /_control/verify {"secret", "headers", "body"} runs the library's check on any delivery
(the test's tampered copies): {"verified": bool, "error": str}.

PUT /_control/clock {"offset": seconds} moves the library's notion of "now" by the Janua test
server's manual clock, so its timestamp tolerance (5 minutes) is judged against the server's
time, as a receiver's clock is against the real server's.
"""

import argparse
import json
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks.webhooks as library
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

state = {"offset": 0.0, "hooks": {}, "lock": threading.Lock()}


class ShiftedDatetime(datetime):
    """The library's `datetime`, with `now` moved by the test server's clock offset."""

    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz) + timedelta(seconds=state["offset"])


library.datetime = ShiftedDatetime


def verify(secret, headers, body):
    try:
        Webhook(secret).verify(body.encode(), headers)
        return True, ""
    except (WebhookVerificationError, ValueError) as error:
        return False, f"{type(error).__name__}: {error}"


class Receiver(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length)

    def do_PUT(self):
        raw = self.read_body()
        config = json.loads(raw or b"{}")
        if self.path == "/_control/clock":
            state["offset"] = float(config["offset"])
            return self.answer(200, {})
        if self.path.startswith("/_control/hooks/"):
            name = self.path.rsplit("/", 1)[1]
            with state["lock"]:
                hook = state["hooks"].setdefault(name, {"deliveries": []})
                hook["secret"] = config["secret"]
                hook["fail"] = int(config.get("fail", 0))
                hook["hang"] = float(config.get("hang", 0))
            return self.answer(200, {})
        self.answer(404, {"error": "unknown control"})

    def do_GET(self):
        if self.path.startswith("/_control/hooks/"):
            name = self.path.rsplit("/", 1)[1]
            with state["lock"]:
                hook = state["hooks"].get(name, {"deliveries": []})
                return self.answer(200, hook["deliveries"])
        self.answer(404, {"error": "unknown path"})

    def do_POST(self):
        raw = self.read_body()
        if self.path == "/_control/verify":
            request = json.loads(raw)
            ok, error = verify(request["secret"], request["headers"], request["body"])
            return self.answer(200, {"verified": ok, "error": error})
        if not self.path.startswith("/hooks/"):
            return self.answer(404, {"error": "unknown path"})
        name = self.path.rsplit("/", 1)[1]
        body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        with state["lock"]:
            hook = state["hooks"].setdefault(name, {"deliveries": [], "secret": None, "fail": 0})
            secret = hook.get("secret")
        ok, error = verify(secret, headers, body) if secret else (False, "no secret configured")
        with state["lock"]:
            if not ok:
                status, reply = 401, {"error": error}
            elif hook["fail"] > 0:
                hook["fail"] -= 1
                status, reply = 500, {"error": "failing on purpose " + "x" * 2000}
            else:
                status, reply = 200, {"ok": True}
            hook["deliveries"].append(
                {"headers": headers, "body": body, "verified": ok, "error": error, "answered": status}
            )
            hang, hook["hang"] = hook.get("hang", 0), 0
        if hang:
            time.sleep(hang)
        self.answer(status, reply)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
