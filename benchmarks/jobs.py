#!/usr/bin/env python
"""``seed_dynamic --jobs N`` against ``--jobs 1``: the same heavy build, timed, side by side.

    .venv/bin/python benchmarks/jobs.py                         # heavy x50, jobs 1 and 2, 3 rounds
    .venv/bin/python benchmarks/jobs.py --scale 10 --jobs 1 2 4 --rounds 2
    .venv/bin/python benchmarks/jobs.py --sqlite --scale 5

Each round builds every ``--jobs`` value once, in alternating order (1, 2, then 2, 1, ...), each
into a fresh, migrated database (PostgreSQL at ``--url``'s server, or a temporary SQLite file),
timing the ``seed_dynamic`` process (start-up included), and prints one line per build with the
1-minute load average before it, then the median per value and its ratio to ``--jobs 1``.
The data are the same for every value (``tests/test_jobs.py``). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-01-15T12:00:00+00:00"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def env_for(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "MENTARA_SEED_ON_MIGRATE": "0",
        "PYTHONPATH": str(REPO),
    }


def manage(url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env_for(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed: {result.stderr.strip()[-1000:]}")
    return result.stdout


def admin(server: str, sql: str) -> None:
    parts = urlsplit(server)
    host, port = parts.hostname or "127.0.0.1", str(parts.port or 5432)
    user, database = parts.username or "postgres", parts.path.lstrip("/") or "postgres"
    subprocess.run(
        ["psql", "-q", "-h", host, "-p", port, "-U", user, "-d", database, "-c", sql],
        check=True,
        capture_output=True,
    )


def fresh_database(server: str | None, directory: str, name: str) -> str:
    if server is None:
        return f"sqlite:///{directory}/{name}.sqlite3"
    admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(server, f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def build(
    server: str | None, directory: str, name: str, scale: int, jobs: int
) -> tuple[float, int]:
    url = fresh_database(server, directory, name)
    manage(url, "migrate", "-v0")
    args = ["seed_dynamic", "--mode", "heavy", "--scale", str(scale), "--seed", "15"]
    args += ["--now", NOW, "--jobs", str(jobs), "--format", "json", "-v0"]
    started = time.perf_counter()
    out = manage(url, *args)
    seconds = time.perf_counter() - started
    rows = sum(json.loads(out)["added"].values())
    if server is not None:
        admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default=DEFAULT_PG, help="a PostgreSQL server (any database)")
    parser.add_argument("--sqlite", action="store_true", help="temporary SQLite files instead")
    parser.add_argument("--prefix", default="bench_jobs", help="names of the fresh databases")
    options = parser.parse_args()
    server = None if options.sqlite else options.url
    times: dict[int, list[float]] = {jobs: [] for jobs in options.jobs}
    rows_seen: set[int] = set()
    with tempfile.TemporaryDirectory(prefix="mentara-jobs-") as directory:
        for round_ in range(options.rounds):
            order = options.jobs if round_ % 2 == 0 else list(reversed(options.jobs))
            for jobs in order:
                load = os.getloadavg()[0]
                seconds, rows = build(
                    server, directory, f"{options.prefix}_{jobs}", options.scale, jobs
                )
                rows_seen.add(rows)
                times[jobs].append(seconds)
                print(
                    f"round {round_ + 1} --jobs {jobs}: {seconds:6.2f} s  {rows / seconds:9,.0f} "
                    f"rows/s  (load before {load:.2f})",
                    flush=True,
                )
    rows = max(rows_seen)
    if len(rows_seen) != 1:
        print(f"warning: the builds added different numbers of rows: {sorted(rows_seen)}")
    backend = "SQLite" if server is None else "PostgreSQL"
    print(f"\n{backend}, heavy x{options.scale}, {rows:,} rows, {options.rounds} rounds (median):")
    base = statistics.median(times[options.jobs[0]])
    for jobs in options.jobs:
        median = statistics.median(times[jobs])
        print(
            f"  --jobs {jobs}: {median:6.2f} s  {rows / median:9,.0f} rows/s  "
            f"speed-up vs --jobs {options.jobs[0]}: {base / median:.2f}x"
        )


if __name__ == "__main__":
    main()
