"""The importer's rate and peak memory at growing sizes (BENCHMARKS.md "Import"): generates
CSV populations of N users (bcrypt cost-10 password hashes, a TOTP secret on every third
user), imports each into an empty SQLite database and into an empty PostgreSQL database with
the release binary, and prints one JSON line per run and a Markdown table.

    python bench/import_rate.py JANUA_BIN WORK_DIR [N ...]      (default N: 10000 50000 100000)

PostgreSQL: DATABASE_URL_PG names a server where databases may be created (bench/run's
`tests/run --services-only` provides one); without it only SQLite is measured. Hashes are
not checked at import (only parsed and bounded), so a few distinct hashes, cycled, cost the
importer what a million distinct ones would; generating them is what would be slow.
Python 3 standard library plus `bcrypt` (the tests' venv has it).
"""
import base64
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import bcrypt

BIN, WORK = sys.argv[1], Path(sys.argv[2])
SIZES = [int(n) for n in sys.argv[3:]] or [10_000, 50_000, 100_000]
HASHES = [bcrypt.hashpw(f"password {i}".encode(), bcrypt.gensalt(10)).decode() for i in range(16)]
FIELD_KEY = "ab" * 32


def population(n: int) -> Path:
    path = WORK / f"users-{n}.csv"
    if path.exists():
        return path
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "email", "email_verified", "password_hash", "display_name", "totp_secret"])
        for i in range(n):
            secret = base64.b32encode(os.urandom(20)).decode() if i % 3 == 0 else ""
            writer.writerow([f"app-{i}", f"user{i}@import.bench", "true", HASHES[i % len(HASHES)],
                             f"User {i}", secret])
    return path


def run(database: str, label: str, n: int, csv_file: Path) -> dict:
    env = dict(os.environ, DATABASE_URL=database, FIELD_ENCRYPTION_KEY=FIELD_KEY)
    env.pop("REDIS_URL", None)
    report = WORK / f"report-{label}-{n}"
    report.mkdir(exist_ok=True)
    started = time.monotonic()
    out = subprocess.run(
        ["/usr/bin/time", "-f", "PEAK_RSS_KIB %M", BIN, "import", "run", "--source", "csv",
         str(csv_file), "--report-dir", str(report)],
        env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if out.returncode != 0:
        sys.exit(f"import of {n} into {label} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    peak_kib = int(next(line.split()[1] for line in out.stderr.splitlines()
                        if line.startswith("PEAK_RSS_KIB")))
    users = next(line for line in out.stdout.splitlines() if line.startswith("users "))
    imported = int(users.split()[3])  # "users N seen N imported …": each count before its word
    if imported != n:
        sys.exit(f"{label} {n}: {users}")
    return {"database": label, "users": n, "seconds": round(seconds, 2),
            "users_per_second": round(n / seconds), "peak_rss_mib": round(peak_kib / 1024, 1),
            "csv_mib": round(csv_file.stat().st_size / 2**20, 1)}


def databases(n: int):
    # The migrations run on the first command against an empty database.
    yield "SQLite", f"sqlite://{WORK}/import-{n}.db?mode=rwc"
    pg = os.environ.get("DATABASE_URL_PG")
    if pg:
        name = f"janua_import_{n}"
        subprocess.run(["psql", "-q", pg, "-c", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", "-q", pg, "-c", f"CREATE DATABASE {name}"], check=True)
        yield "PostgreSQL", pg.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    results = []
    for n in SIZES:
        csv_file = population(n)
        for label, url in databases(n):
            result = run(url, label, n, csv_file)
            print(json.dumps(result), flush=True)
            results.append(result)
    print("\n| database | users | CSV MiB | seconds | users/s | importer peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['database']} | {r['users']:,} | {r['csv_mib']} | {r['seconds']} | "
              f"{r['users_per_second']:,} | {r['peak_rss_mib']} |")


main()
