"""Verifies a Janua access token with PyJWT against the server's published JWKS.

Usage: verify_jwt.py JWKS_URL ISSUER TOKEN
Prints the verified claims as JSON; exits non-zero (with PyJWT's error) when verification fails.
An independent implementation: nothing here shares code with Janua.
"""

import json
import sys

import jwt


def main() -> int:
    jwks_url, issuer, token = sys.argv[1:4]
    signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["RS256", "ES256", "EdDSA"],
        audience=issuer,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti", "sid"]},
    )
    print(json.dumps(claims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
