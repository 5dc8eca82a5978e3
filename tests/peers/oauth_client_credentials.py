"""An OAuth client built on Authlib (an independent implementation) against Janua.

Usage: oauth_client_credentials.py ISSUER CLIENT_ID CLIENT_SECRET AUDIENCE
Discovers the server (RFC 8414 and OpenID discovery), then, once with client_secret_basic
and once with client_secret_post: gets a client-credentials token, verifies it against the
JWKS (typ at+jwt, iss, aud, exp), introspects it (active), revokes it and introspects it
again (inactive). Prints what it saw as JSON; exits non-zero on the first surprise.
"""

import json
import os
import sys

# Janua runs on plain http in the tests.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import requests  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, JsonWebToken  # noqa: E402


def one_round(meta, keys, issuer, client_id, secret, audience, method):
    session = OAuth2Session(
        client_id, secret, token_endpoint_auth_method=method, scope="projects:read"
    )
    token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    access_token = token["access_token"]
    claims = JsonWebToken(["RS256", "ES256", "EdDSA"]).decode(
        access_token,
        keys,
        claims_options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": audience},
            "exp": {"essential": True},
        },
    )
    claims.validate()
    assert claims.header["typ"] == "at+jwt", claims.header
    active = session.introspect_token(meta["introspection_endpoint"], token=access_token)
    assert active.status_code == 200, active.text
    revoked = session.revoke_token(meta["revocation_endpoint"], token=access_token)
    assert revoked.status_code == 200, revoked.text
    inactive = session.introspect_token(meta["introspection_endpoint"], token=access_token)
    return {
        "token": {k: v for k, v in token.items() if k != "access_token"},
        "header": dict(claims.header),
        "claims": dict(claims),
        "introspection": active.json(),
        "after_revocation": inactive.json(),
    }


def main() -> int:
    issuer, client_id, secret, audience = sys.argv[1:5]
    meta = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    oidc = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == issuer == oidc["issuer"], (meta, oidc)
    assert oidc["token_endpoint"] == meta["token_endpoint"]
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    results = {
        method: one_round(meta, keys, issuer, client_id, secret, audience, method)
        for method in ("client_secret_basic", "client_secret_post")
    }
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
