"""Seeds refresh tokens for the refresh benchmarks, each in a session of its own.

A refresh token works once, so a refresh benchmark needs as many live tokens as requests
(ghz cannot feed one response into the next request). Signing in that many times would
spend minutes in argon2, so this clones a real session that a Login created: the new rows
differ from it only in the session id and the token (stored as SHA-256, as Janua does).

    mint_refresh_tokens.py session COUNT TEMPLATE_SESSION_ID TOKENS_OUT SQL_OUT
    mint_refresh_tokens.py oauth COUNT TEMPLATE_GRANT_ID CLIENTS TOKENS_OUT SQL_OUT

`oauth` clones a grant of the OpenID Provider that a real authorization-code flow made
(with its browser session, so each grant rests on a session of its own) and gives each
clone one refresh token; the clones go round-robin to the clients in CLIENTS (lines of
"client_id secret"), and each token's line carries its client's credentials as a form
suffix: "TOKEN client_id=…&client_secret=…" (bench/wrk.lua's chain mode keeps it).

TOKENS_OUT gets the tokens, one a line; SQL_OUT the statements for SQLite or PostgreSQL.
"""

import base64
import hashlib
import secrets
import sys
import uuid
from urllib.parse import quote

SESSION_COLUMNS = ("user_id, organization_id, user_agent, ip_address, amr, created_at, "
                   "last_used_at, expires_at, revoked_at, revoked_reason")
GRANT_COLUMNS = ("user_id, scope, redirect_uri, code_challenge, nonce, auth_time, amr, "
                 "created_at, code_expires_at, code_used_at")
ROWS_PER_INSERT = 500


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2])
    if mode == "session":
        template, tokens_out, sql_out = sys.argv[3:6]
        clients = [("", "")]
    elif mode == "oauth":
        template, clients_file, tokens_out, sql_out = sys.argv[3:7]
        with open(clients_file) as lines:
            clients = [tuple(line.split()) for line in lines if line.strip()]
    else:
        sys.exit(f"unknown mode {mode!r}: session or oauth")
    if not template.replace("-", "").replace("_", "").isalnum():
        sys.exit(f"not an id: {template!r}")
    rows = []
    with open(tokens_out, "w") as tokens:
        for n in range(count):
            token = random_token()
            client_id, secret = clients[n % len(clients)]
            suffix = f" client_id={quote(client_id)}&client_secret={quote(secret)}" if client_id else ""
            tokens.write(token + suffix + "\n")
            rows.append((str(uuid.uuid4()), sha256(token), str(uuid.uuid4()),
                         sha256(random_token()), client_id))
    with open(sql_out, "w") as sql:
        sql.write("BEGIN;\nCREATE TEMPORARY TABLE bench_tokens (sid VARCHAR(36), hash VARCHAR(64), "
                  "gid VARCHAR(36), code VARCHAR(64), client VARCHAR(128));\n")
        for start in range(0, len(rows), ROWS_PER_INSERT):
            values = ",".join(f"('{s}','{h}','{g}','{c}','{k}')"
                              for s, h, g, c, k in rows[start:start + ROWS_PER_INSERT])
            sql.write(f"INSERT INTO bench_tokens (sid, hash, gid, code, client) VALUES {values};\n")
        sql.write(session_clones(template) if mode == "session" else grant_clones(template))
        sql.write("DROP TABLE bench_tokens;\nCOMMIT;\n")


def session_clones(session: str) -> str:
    return (f"INSERT INTO sessions (id, {SESSION_COLUMNS}) SELECT b.sid, {prefixed('s', SESSION_COLUMNS)} "
            f"FROM bench_tokens b, sessions s WHERE s.id = '{session}';\n"
            "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at, used_at) "
            "SELECT b.hash, b.sid, s.created_at, s.expires_at, NULL "
            f"FROM bench_tokens b, sessions s WHERE s.id = '{session}';\n")


def grant_clones(grant: str) -> str:
    template = f"(SELECT session_id FROM oauth_grants WHERE id = '{grant}')"
    return (f"INSERT INTO sessions (id, {SESSION_COLUMNS}) SELECT b.sid, {prefixed('s', SESSION_COLUMNS)} "
            f"FROM bench_tokens b, sessions s WHERE s.id = {template};\n"
            f"INSERT INTO oauth_grants (id, client_id, session_id, code_hash, {GRANT_COLUMNS}, "
            f"revoked_at, revoked_reason) SELECT b.gid, b.client, b.sid, b.code, "
            f"{prefixed('g', GRANT_COLUMNS)}, NULL, NULL "
            f"FROM bench_tokens b, oauth_grants g WHERE g.id = '{grant}';\n"
            "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, expires_at, used_at) "
            "SELECT b.hash, b.gid, r.created_at, r.expires_at, NULL "
            f"FROM bench_tokens b, oauth_refresh_tokens r WHERE r.token_hash = "
            f"(SELECT token_hash FROM oauth_refresh_tokens WHERE grant_id = '{grant}' LIMIT 1);\n")


def random_token() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def prefixed(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))


if __name__ == "__main__":
    main()
