"""An OpenID Provider and a GitHub stand-in for the tests, written against the specs
(OpenID Connect Core and Discovery, RFC 6749, RFC 7636) with PyJWT and cryptography, so
Janua's relying party meets an implementation that is not its own.

    python oidc_provider.py --client-id ID --client-secret SECRET [--auth basic|post]
                            [--misbehave MODE] [--tenant TID]

Listens on 127.0.0.1 on a free port, prints the port on stdout once it accepts
connections, and runs until its standard input closes.

The browser leg is a dev interaction: GET /authorize (or GitHub's /login/oauth/authorize)
answers a page naming a transaction `txn`; POST /login with `txn` and `claims` (a JSON
object: the user's claims, or for GitHub {"id", "login", "name", "emails"}) signs that
user in and redirects to the client's redirect_uri with `code` and `state`.

--misbehave makes the ID token wrong in one way, for the relying party to refuse:
bad-nonce, wrong-key (signed by a key not in the JWKS, under the published kid),
wrong-audience, expired, alg-none, hs256 (HMAC with the client secret), userinfo-only
(the ID token carries no profile claims; /userinfo does).
--tenant TID serves Microsoft's multi-tenant shape: the discovery issuer is
<base>/{tenantid}/v2.0 and tokens carry iss <base>/TID/v2.0 and tid TID.
"""

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KID = "test-key-1"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    def __init__(self, args, port):
        self.args = args
        self.base = f"http://127.0.0.1:{port}"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.lock = threading.Lock()
        self.transactions = {}  # txn -> authorization request parameters
        self.codes = {}  # code -> (request parameters, claims); single use
        self.access_tokens = {}  # access token -> claims

    def issuer_for_discovery(self):
        if self.args.tenant:
            return self.base + "/{tenantid}/v2.0"
        return self.base

    def issuer_for_tokens(self):
        if self.args.tenant:
            return f"{self.base}/{self.args.tenant}/v2.0"
        return self.base

    def discovery(self):
        return {
            "issuer": self.issuer_for_discovery(),
            "authorization_endpoint": self.base + "/authorize",
            "token_endpoint": self.base + "/token",
            "jwks_uri": self.base + "/jwks",
            "userinfo_endpoint": self.base + "/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [f"client_secret_{self.args.auth}"],
        }

    def jwks(self):
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def id_token(self, request, claims):
        now = int(time.time())
        mode = self.args.misbehave
        payload = {
            "iss": self.issuer_for_tokens(),
            "aud": "someone-else" if mode == "wrong-audience" else self.args.client_id,
            "iat": now - 3600 if mode == "expired" else now,
            "exp": now - 600 if mode == "expired" else now + 300,
            "nonce": ("not-" if mode == "bad-nonce" else "") + request.get("nonce", ""),
        }
        if self.args.tenant:
            payload["tid"] = self.args.tenant
        kept = {"sub"} if mode == "userinfo-only" else set(claims)
        payload.update({k: v for k, v in claims.items() if k in kept})
        if mode == "alg-none":
            header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            return f"{header}.{b64url(json.dumps(payload).encode())}."
        if mode == "hs256":
            return jwt.encode(payload, self.args.client_secret, algorithm="HS256",
                              headers={"kid": KID})
        key = self.key
        if mode == "wrong-key":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": KID})


class Handler(BaseHTTPRequestHandler):
    provider = None  # set in main

    def log_message(self, *args):
        sys.stderr.write((args[0] % args[1:]) + "\n")

    # --- plumbing ---------------------------------------------------------------------

    def reply(self, status, body, content_type="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    def form(self):
        length = int(self.headers.get("content-length") or 0)
        return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

    def bearer_claims(self):
        auth = self.headers.get("authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        with self.provider.lock:
            return self.provider.access_tokens.get(token)

    def oauth_error(self, status, error, description):
        self.reply(status, {"error": error, "error_description": description})

    # --- routes -----------------------------------------------------------------------

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        p = self.provider
        if path.endswith("/.well-known/openid-configuration"):
            self.reply(200, p.discovery())
        elif path == "/jwks":
            self.reply(200, p.jwks())
        elif path in ("/authorize", "/login/oauth/authorize"):
            self.authorize(github=path != "/authorize")
        elif path == "/userinfo":
            claims = self.bearer_claims()
            if claims is None:
                self.reply(401, {"error": "invalid_token"})
            else:
                self.reply(200, claims)
        elif path in ("/user", "/user/emails"):
            self.github_api(path)
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/login":
            self.login()
        elif path == "/token":
            self.token(github=False)
        elif path == "/login/oauth/access_token":
            self.token(github=True)
        else:
            self.reply(404, {"error": "not found"})

    def authorize(self, github):
        request = self.query()
        if request.get("client_id") != self.provider.args.client_id:
            return self.reply(400, {"error": "unauthorized_client"})
        if request.get("code_challenge_method") != "S256" or not request.get("code_challenge"):
            return self.reply(400, {"error": "invalid_request", "error_description": "PKCE S256"})
        if not github:
            if request.get("response_type") != "code":
                return self.reply(400, {"error": "unsupported_response_type"})
            if "openid" not in request.get("scope", "").split() or not request.get("nonce"):
                return self.reply(400, {"error": "invalid_request", "error_description": "openid+nonce"})
        txn = secrets.token_urlsafe(16)
        request["github"] = github
        with self.provider.lock:
            self.provider.transactions[txn] = request
        page = f'<form method="post" action="/login"><input name="txn" value="{txn}"></form>'
        self.reply(200, page.encode(), "text/html")

    def login(self):
        form = self.form()
        with self.provider.lock:
            request = self.provider.transactions.pop(form.get("txn"), None)
        if request is None:
            return self.reply(400, {"error": "unknown transaction"})
        code = secrets.token_urlsafe(24)
        with self.provider.lock:
            self.provider.codes[code] = (request, json.loads(form["claims"]))
        query = urllib.parse.urlencode({"code": code, "state": request["state"]})
        sep = "&" if "?" in request["redirect_uri"] else "?"
        self.reply(302, b"", "text/plain", [("location", request["redirect_uri"] + sep + query)])

    def client_authenticated(self, form, github):
        args = self.provider.args
        if github or args.auth == "post":
            given = (form.get("client_id"), form.get("client_secret"))
        else:
            auth = self.headers.get("authorization", "")
            if not auth.startswith("Basic "):
                return False
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            given = (urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password))
        return given[0] == args.client_id and hmac.compare_digest(
            given[1] or "", args.client_secret)

    def token(self, github):
        form = self.form()
        # GitHub answers errors with HTTP 200; the OIDC endpoint with 400/401 (RFC 6749 §5.2).
        fail = (lambda e, d: self.oauth_error(200, e, d)) if github else (
            lambda e, d: self.oauth_error(401 if e == "invalid_client" else 400, e, d))
        if not self.client_authenticated(form, github):
            return fail("invalid_client", "client authentication failed")
        if not github and form.get("grant_type") != "authorization_code":
            return fail("unsupported_grant_type", "")
        with self.provider.lock:
            entry = self.provider.codes.pop(form.get("code"), None)
        if entry is None:
            return fail("invalid_grant" if not github else "bad_verification_code", "unknown code")
        request, claims = entry
        if form.get("redirect_uri") != request["redirect_uri"]:
            return fail("invalid_grant", "redirect_uri differs")
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != request["code_challenge"]:
            return fail("invalid_grant", "PKCE verification failed")
        access_token = secrets.token_urlsafe(24)
        with self.provider.lock:
            self.provider.access_tokens[access_token] = claims
        if github:
            return self.reply(200, {"access_token": access_token, "token_type": "bearer",
                                    "scope": request.get("scope", "")})
        self.reply(200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                         "id_token": self.provider.id_token(request, claims)})

    def github_api(self, path):
        user = self.bearer_claims()
        if user is None:
            return self.reply(401, {"message": "Bad credentials"})
        if path == "/user":
            primary = next((e["email"] for e in user["emails"] if e["primary"]), None)
            return self.reply(200, {"id": user["id"], "login": user["login"],
                                    "name": user.get("name"), "email": primary})
        self.reply(200, [{"visibility": None, **e} for e in user["emails"]])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--auth", choices=["basic", "post"], default="basic")
    parser.add_argument("--misbehave", default="")
    parser.add_argument("--tenant", default="")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Handler.provider = Provider(args, server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
