#!/usr/bin/env bash
# "Sign in with Janua" in five minutes (README), against a running server: an organization
# registers its application as an OAuth client, then the application signs a user in with a
# standard OpenID Connect library (examples/sign_in_with_janua.py, Authlib).
#
#   JANUA_URL  the server (default http://localhost:4100); needs curl, jq, python3 with
#              authlib and requests (pip install authlib requests)
set -euo pipefail

JANUA_URL=${JANUA_URL:-http://localhost:4100}
RUN=$(date +%s)-$$
EMAIL=ada-$RUN@example.com
PASSWORD='correct horse battery staple'
REDIRECT_URI=http://127.0.0.1:8000/callback

say() { printf '\n== %s\n' "$*"; }
post() { # PATH JSON [TOKEN]: the JSON answer; fails on an HTTP error
  curl -sSf -X POST "$JANUA_URL$1" -H 'content-type: application/json' -d "$2" \
    ${3:+-H "authorization: Bearer $3"}
}

say "A user who owns an organization"
TOKEN=$(post /api/v1/auth/register \
  "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"display_name\":\"Ada\"}" |
  jq -er .tokens.access_token)
ORG=$(post /api/v1/organizations '{"name":"Enclii"}' "$TOKEN" | jq -er .id)

say "Register the application (a public client: a web app with PKCE)"
CLIENT_ID=$(post "/api/v1/organizations/$ORG/oauth-clients" "{
    \"name\": \"Enclii web\",
    \"client_type\": \"OAUTH_CLIENT_TYPE_PUBLIC\",
    \"redirect_uris\": [\"$REDIRECT_URI\"],
    \"grant_types\": [\"authorization_code\", \"refresh_token\"],
    \"allowed_scopes\": [\"openid\", \"profile\", \"email\"],
    \"skip_consent\": true
  }" "$TOKEN" | jq -er .client.client_id)
echo "client_id: $CLIENT_ID"

say "The application signs the user in through Janua"
python3 "$(dirname "$0")/sign_in_with_janua.py" "$JANUA_URL" "$CLIENT_ID" "$REDIRECT_URI" \
  "$EMAIL" "$PASSWORD"
