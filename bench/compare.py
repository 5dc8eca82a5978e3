"""Markdown table of two bench/run results side by side (req/s and p99 per scenario), for
before/after comparisons of a change:

    BENCH_LABEL=before BENCH_JANUA_BIN=/tmp/janua-before BENCH_KEYCLOAK=0 bench/run
    BENCH_LABEL=after BENCH_KEYCLOAK=0 bench/run
    python3 bench/compare.py bench/results/before.jsonl bench/results/after.jsonl
"""

import json
import sys
from pathlib import Path


def scenarios(path: str) -> dict[tuple[str, str, str], dict]:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    return {(r["system"], r["scenario"], r["protocol"]): r for r in rows if r["kind"] == "scenario"}


def main() -> None:
    before, after = scenarios(sys.argv[1]), scenarios(sys.argv[2])
    print("| configuration | scenario | protocol | req/s before | req/s after | change "
          "| p99 ms before | p99 ms after | load before / after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in sorted(before.keys() & after.keys()):
        b, a = before[key], after[key]
        change = f"{a['rps'] / b['rps'] - 1:+.0%}" if b["rps"] else "–"
        print(f"| {key[0]} | {key[1]} | {key[2]} | {b['rps']:.0f} | {a['rps']:.0f} | {change} "
              f"| {b['p99_ms']:.1f} | {a['p99_ms']:.1f} "
              f"| {b['load'].split()[0]} / {a['load'].split()[0]} |")


if __name__ == "__main__":
    main()
