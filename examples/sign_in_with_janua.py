"""An application's "Sign in with Janua", with Authlib (any OpenID Connect library works).

Usage: sign_in_with_janua.py ISSUER CLIENT_ID REDIRECT_URI EMAIL PASSWORD [CLIENT_SECRET]

With CLIENT_SECRET the application is a confidential client (a server-side web app), which
authenticates at the token endpoint with client_secret_basic; without, a public one.

What a web app does: discover Janua, send the user to the authorization endpoint with PKCE
(S256), take the code from the callback (checking `state` and `iss`), exchange it, verify the
ID token against the JWKS, read UserInfo, refresh, and sign the user out. The user's part
(Janua's hosted sign-in page, a plain HTML form) is played here by `requests`, so the whole
sign-in runs in a terminal; in a real app the browser does it.
"""

import os
import re
import secrets
import sys
import warnings
from urllib.parse import parse_qs, urljoin, urlparse

import requests

warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, JsonWebToken  # noqa: E402

if urlparse(sys.argv[1]).scheme == "http":
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # a local Janua on plain http

issuer, client_id, redirect_uri, email, password = sys.argv[1:6]
client_secret = sys.argv[6] if len(sys.argv) > 6 else None


def browser_signs_in(authorization_url):
    """The user's browser on Janua's sign-in page: fill in the form, follow Janua's
    redirects, and stop at the application's callback."""
    browser = requests.Session()
    url, fields = authorization_url, None
    for _ in range(10):
        answer = browser.post(url, data=fields, allow_redirects=False) if fields else \
            browser.get(url, allow_redirects=False)
        if answer.status_code == 303:
            url, fields = urljoin(url, answer.headers["location"]), None
            if url.startswith(redirect_uri):
                return url
            continue
        page = answer.text.split("</form>")[0]  # the password form comes first
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
        fields = {**hidden, "email": email, "password": password}
        url = urljoin(url, action)
    raise SystemExit("the sign-in did not come back to the application")


# 1. Discovery.
meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())

# 2. Send the user to Janua, with PKCE and a nonce.
client = OAuth2Session(client_id, client_secret, scope="openid email profile",
                       redirect_uri=redirect_uri, code_challenge_method="S256",
                       token_endpoint_auth_method="client_secret_basic" if client_secret
                       else "none")
verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
url, state = client.create_authorization_url(
    meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

# 3. The callback: state and iss (RFC 9207) checked, then the code's exchange.
callback = browser_signs_in(url)
returned = parse_qs(urlparse(callback).query)
assert returned["state"] == [state] and returned["iss"] == [meta["issuer"]], returned
token = client.fetch_token(meta["token_endpoint"], authorization_response=callback,
                           code_verifier=verifier)

# 4. The ID token, verified against Janua's published keys.
claims = JsonWebToken(meta["id_token_signing_alg_values_supported"]).decode(
    token["id_token"], keys, claims_options={
        "iss": {"essential": True, "value": meta["issuer"]},
        "aud": {"essential": True, "value": client_id},
        "nonce": {"essential": True, "value": nonce},
    })
claims.validate()
print("signed in:", claims["email"], "sub", claims["sub"])

# 5. UserInfo, then a refresh (the refresh token rotates).
me = client.get(meta["userinfo_endpoint"]).json()
assert me["sub"] == claims["sub"], me
refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
assert refreshed["refresh_token"] != token["refresh_token"]
print("userinfo:", me["email"], "· refreshed, new access token expires in",
      refreshed["expires_in"], "s")

# 6. Sign out: the end-session endpoint with the ID token as hint (the browser follows).
logout = requests.get(meta["end_session_endpoint"], allow_redirects=False, params={
    "id_token_hint": token["id_token"], "client_id": client_id})
print("signed out:", logout.status_code)
