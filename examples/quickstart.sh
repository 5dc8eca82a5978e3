#!/usr/bin/env bash
# Janua's quick-start, step by step, against a running server (README "Quick start").
#
#   scripts/run 2>&1 | tee janua.log          # terminal 1: the server, its log in janua.log
#   examples/quickstart.sh                     # terminal 2
#
# Needs curl, jq, python3 (for TOTP codes) and grpcurl. Without SMTP_HOST Janua writes each
# mail to its log in development, so the script reads the mailed tokens from that log.
#   JANUA_URL  the server (default http://localhost:4100)
#   JANUA_LOG  the server's log (default ./janua.log)
set -euo pipefail

JANUA_URL=${JANUA_URL:-http://localhost:4100}
JANUA_LOG=${JANUA_LOG:-janua.log}
GRPC_ADDRESS=${JANUA_URL#http://}
RUN=$(date +%s)-$$
ALICE=alice-$RUN@example.com
BOB=bob-$RUN@example.com
PASSWORD='correct horse battery staple'

say() { printf '\n== %s\n' "$*"; }

# One REST call: METHOD PATH [JSON] [extra curl arguments…]; prints the JSON answer and
# fails (showing it) on an HTTP error.
call() {
  local method=$1 path=$2 body=${3:-}
  shift 3 || shift $#
  local args=(-sS -X "$method" "$JANUA_URL$path" -w '\n%{http_code}' "$@")
  [[ -n $body ]] && args+=(-H 'content-type: application/json' -d "$body")
  local answer status
  answer=$(curl "${args[@]}")
  status=${answer##*$'\n'}
  answer=${answer%$'\n'*}
  if (( status >= 400 )); then
    printf '%s %s -> %s %s\n' "$method" "$path" "$status" "$answer" >&2
    return 1
  fi
  printf '%s\n' "$answer"
}

# The token of the newest link to PAGE mailed to ADDRESS, read from the server's log.
mailed_token() {
  local page=$1 address=$2 token=""
  for _ in $(seq 50); do
    # The link follows the recipient, on the same line or (unescaped text) the next ones.
    token=$(grep -F -A 4 "$address" "$JANUA_LOG" | grep -o "$page?token=[A-Za-z0-9_-]*" |
      tail -n 1 | cut -d= -f2 || true)
    [[ -n $token ]] && { printf '%s\n' "$token"; return; }
    sleep 0.2
  done
  echo "no $page mail to $address in $JANUA_LOG" >&2
  return 1
}

# The TOTP code (RFC 6238: SHA-1, 6 digits, 30 s) of SECRET (base32), STEPS steps from now.
totp_code() {
  python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1].upper() + "=" * (-len(sys.argv[1]) % 8))
step = int(time.time()) // 30 + int(sys.argv[2])
digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
offset = digest[-1] & 15
print("%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**6))
PY
}

say "Alice registers, then verifies her address with the mailed link"
ALICE_TOKEN=$(call POST /api/v1/auth/register \
  "{\"email\":\"$ALICE\",\"password\":\"$PASSWORD\",\"display_name\":\"Alice\"}" |
  jq -er .tokens.access_token)
call POST /api/v1/auth/email/verify "{\"token\":\"$(mailed_token verify-email "$ALICE")\"}"
call GET /api/v1/auth/me "" -H "authorization: Bearer $ALICE_TOKEN" | jq '{email, email_verified}'

say "She signs in and refreshes her tokens"
LOGIN=$(call POST /api/v1/auth/login "{\"email\":\"$ALICE\",\"password\":\"$PASSWORD\"}")
REFRESH_TOKEN=$(jq -er .tokens.refresh_token <<<"$LOGIN")
TOKENS=$(call POST /api/v1/auth/token/refresh "{\"refresh_token\":\"$REFRESH_TOKEN\"}")
ALICE_TOKEN=$(jq -er .tokens.access_token <<<"$TOKENS")
REFRESH_TOKEN=$(jq -er .tokens.refresh_token <<<"$TOKENS")

say "She creates an organization and a custom role"
ORG=$(call POST /api/v1/organizations '{"name":"Acme"}' \
  -H "authorization: Bearer $ALICE_TOKEN" | jq -er .id)
call POST "/api/v1/organizations/$ORG/roles" \
  '{"name":"accountant","base_role":"viewer","permissions":["invoices:approve"]}' \
  -H "authorization: Bearer $ALICE_TOKEN" | jq '{name, effective_permissions}'

say "She invites Bob as an accountant; Bob registers and accepts the mailed invitation"
call POST "/api/v1/organizations/$ORG/invitations" "{\"email\":\"$BOB\",\"role\":\"accountant\"}" \
  -H "authorization: Bearer $ALICE_TOKEN" | jq '{email, role, status}'
BOB_JSON=$(call POST /api/v1/auth/register \
  "{\"email\":\"$BOB\",\"password\":\"$PASSWORD\",\"display_name\":\"Bob\"}")
BOB_TOKEN=$(jq -er .tokens.access_token <<<"$BOB_JSON")
BOB_ID=$(jq -er .user.id <<<"$BOB_JSON")
call POST /api/v1/invitations/accept "{\"token\":\"$(mailed_token accept-invitation "$BOB")\"}" \
  -H "authorization: Bearer $BOB_TOKEN" | jq '{role}'
call GET "/api/v1/organizations/$ORG" "" -H "authorization: Bearer $BOB_TOKEN" | jq '{name}'

say "A backend service's API key asks whether Bob may approve invoices"
KEY=$(call POST "/api/v1/organizations/$ORG/api-keys" '{"name":"billing","role":"member"}' \
  -H "authorization: Bearer $ALICE_TOKEN" | jq -er .secret)
ALLOWED=$(call POST "/api/v1/organizations/$ORG/check-permission" \
  "{\"permission\":\"invoices:approve\",\"user_id\":\"$BOB_ID\"}" -H "x-api-key: $KEY" |
  jq -er .allowed)
echo "allowed: $ALLOWED"
[[ $ALLOWED == true ]]

say "Alice turns on TOTP; signing in then asks for a code"
ENROLMENT=$(call POST /api/v1/mfa/totp/enroll '{}' -H "authorization: Bearer $ALICE_TOKEN")
SECRET=$(jq -er .secret <<<"$ENROLMENT")
FACTOR=$(jq -er .factor_id <<<"$ENROLMENT")
CONFIRM_CODE=$(totp_code "$SECRET" 0)
call POST /api/v1/mfa/totp/confirm "{\"factor_id\":\"$FACTOR\",\"totp_code\":\"$CONFIRM_CODE\"}" \
  -H "authorization: Bearer $ALICE_TOKEN" | jq '{recovery_codes: (.recovery_codes | length)}'
# The confirming code is spent; the next step's is accepted now (one step of clock drift).
CODE=$(totp_code "$SECRET" 1)
CHALLENGE=$(call POST /api/v1/auth/login "{\"email\":\"$ALICE\",\"password\":\"$PASSWORD\"}" |
  jq -er .mfa_challenge.challenge_id)
MFA_TOKENS=$(call POST /api/v1/mfa/challenge/verify \
  "{\"challenge_id\":\"$CHALLENGE\",\"totp_code\":\"$CODE\"}")
ALICE_TOKEN=$(jq -er .tokens.access_token <<<"$MFA_TOKENS")

say "Her sessions, over gRPC with grpcurl"
grpcurl -plaintext -H "authorization: Bearer $ALICE_TOKEN" -d '{}' "$GRPC_ADDRESS" \
  janua.auth.v1.AuthService/ListSessions | jq '[.sessions[] | {id, current: (.current // false)}]'

say "She signs out of every session; her token stops working at once"
call POST /api/v1/auth/logout '{"all_sessions":true}' -H "authorization: Bearer $ALICE_TOKEN"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$JANUA_URL/api/v1/auth/me" \
  -H "authorization: Bearer $ALICE_TOKEN")
echo "GET /api/v1/auth/me after logout: $STATUS"
[[ $STATUS == 401 ]]

say "Quick start done"
