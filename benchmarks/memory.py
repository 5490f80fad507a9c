#!/usr/bin/env python
"""Peak memory of a heavy build per scale, each from a fresh migrated database.

    .venv/bin/python benchmarks/memory.py                         # x5 x10 x20 x50, both backends
    .venv/bin/python benchmarks/memory.py --scales 5 10 --skip-sqlite

Runs ``seed_dynamic --mode heavy --scale K --seed 0 --now 2026-01-15T12:00:00Z`` in its own
process per scale and backend (PostgreSQL at ``--postgres``, a temporary SQLite file) and prints
the rows it added, its seconds and its peak RSS (the child's ``ru_maxrss``). Not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import DEFAULT_PG, NOW, Postgres, manage


def build(url: str, scale: int) -> tuple[int, float, float]:
    seconds, rss, stdout = manage(
        url,
        "seed_dynamic",
        "--mode",
        "heavy",
        "--scale",
        str(scale),
        "--seed",
        "0",
        "--now",
        NOW,
        "--format",
        "json",
        "--no-progress",
    )
    report = json.loads(stdout)
    return sum(report["added"].values()), seconds, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[5, 10, 20, 50])
    parser.add_argument("--postgres", default=DEFAULT_PG, help="a server URL (any database)")
    parser.add_argument("--prefix", default="mentara", help="of the PostgreSQL database's name")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"{'db':<12}{'scale':>6}{'rows':>10}{'seconds':>9}{'RSS MB':>8}{'bytes/row':>10}")
    for scale in args.scales:
        if not args.skip_postgres:
            server = Postgres(args.postgres)
            name = f"{args.prefix}_memory_x{scale}"
            rows, seconds, rss = build(server.fresh(name), scale)
            server.drop(name)
            print(f"{'postgresql':<12}{scale:>6}{rows:>10}{seconds:>9.1f}{rss:>8.0f}", end="")
            print(f"{rss * 2**20 / rows:>10.0f}", flush=True)
        if not args.skip_sqlite:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{tmp}/memory.sqlite3"
                manage(url, "migrate", "-v0")
                rows, seconds, rss = build(url, scale)
            print(f"{'sqlite':<12}{scale:>6}{rows:>10}{seconds:>9.1f}{rss:>8.0f}", end="")
            print(f"{rss * 2**20 / rows:>10.0f}", flush=True)


if __name__ == "__main__":
    main()
