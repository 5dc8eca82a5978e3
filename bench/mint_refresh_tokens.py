"""Seeds refresh tokens for the refresh benchmarks, each in a session of its own.

A refresh token works once, so a refresh benchmark needs as many live tokens as requests
(ghz cannot feed one response into the next request). Signing in that many times would
spend minutes in argon2, so this clones a real session that a Login created: the new rows
differ from it only in the session id and the token (stored as SHA-256, as Janua does).

    mint_refresh_tokens.py COUNT TEMPLATE_SESSION_ID TOKENS_OUT SQL_OUT

TOKENS_OUT gets the tokens, one a line; SQL_OUT the statements for SQLite or PostgreSQL.
"""

import base64
import hashlib
import secrets
import sys
import uuid

SESSION_COLUMNS = ("user_id, organization_id, user_agent, ip_address, amr, created_at, "
                   "last_used_at, expires_at, revoked_at, revoked_reason")
ROWS_PER_INSERT = 500


def main() -> None:
    count, template, tokens_out, sql_out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    if not template.replace("-", "").isalnum():
        sys.exit(f"not a session id: {template!r}")
    pairs = []
    with open(tokens_out, "w") as tokens:
        for _ in range(count):
            token = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
            tokens.write(token + "\n")
            pairs.append((str(uuid.uuid4()), hashlib.sha256(token.encode()).hexdigest()))
    with open(sql_out, "w") as sql:
        sql.write("BEGIN;\nCREATE TEMPORARY TABLE bench_tokens (sid VARCHAR(36), hash VARCHAR(64));\n")
        for start in range(0, len(pairs), ROWS_PER_INSERT):
            values = ",".join(f"('{sid}','{h}')" for sid, h in pairs[start:start + ROWS_PER_INSERT])
            sql.write(f"INSERT INTO bench_tokens (sid, hash) VALUES {values};\n")
        sql.write(
            f"INSERT INTO sessions (id, {SESSION_COLUMNS}) SELECT b.sid, {prefixed('s')} "
            f"FROM bench_tokens b, sessions s WHERE s.id = '{template}';\n"
            "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at, used_at) "
            "SELECT b.hash, b.sid, s.created_at, s.expires_at, NULL "
            f"FROM bench_tokens b, sessions s WHERE s.id = '{template}';\n"
            "DROP TABLE bench_tokens;\nCOMMIT;\n")


def prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in SESSION_COLUMNS.split(","))


if __name__ == "__main__":
    main()
