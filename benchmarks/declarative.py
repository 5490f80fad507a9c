#!/usr/bin/env python
"""Benchmark a zero-code build against the hand-written Mentara seeders, in the same run.

    .venv/bin/python benchmarks/declarative.py --mentara-scale 5 --shop-scale 5

Builds two fresh databases per backend (PostgreSQL at ``--postgres-url``, and SQLite files),
then times, each in its own process and one after the other, ``mode="heavy"`` of:
- the Mentara demo (hand-written ``create()`` and ``fill_*`` methods) at ``--mentara-scale``;
- the test shop (``tests/declarative_app``: no fill method, no ``create()``) at ``--shop-scale``;
and prints rows, seconds, rows/s and the seeding process's CPU seconds (user + sys, which a
loaded machine disturbs less than the wall clock) of each, and the shop's rate over Mentara's
(target >= 0.67). On PostgreSQL it then dumps the shop's database (``pg_dump -Fc``) and times a
full ``pg_restore`` of it into a fresh one (``benchmarks/run.py``'s ``full_restore``), and prints
the zero-code build's rate over the restore's (issue 15's target >= 0.4). ``--shop-only`` skips
the Mentara build. Only the ``seed()`` call is timed (not Django's start-up or migrate). Not a
test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-01-15T12:00:00+00:00"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
TARGET = 0.67
#: Issue 15: the zero-code build's rows/s over a full pg_restore's of the same database.
RESTORE_TARGET = 0.4


def child(url: str, *args: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "MENTARA_SEED_ON_MIGRATE": "0",
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run(
        [sys.executable, __file__, "--worker", *args], env=env, cwd=REPO, capture_output=True
    )
    if result.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{result.stderr.decode()[-2000:]}")
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def work(which: str, scale: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    import mentara_seed

    call_command("migrate", verbosity=0)
    options: dict[str, Any] = {"mode": "heavy", "scale": scale, "now": NOW, "seed": 0}
    if which == "shop":
        from tests.declarative_app.seeding import registry

        options["registry"] = registry
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = mentara_seed.seed(**options)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert report.satisfied, report.as_dict()["remaining_gaps"][:3]
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"rows": sum(report.added.values()), "seconds": seconds, "cpu": cpu}


def row(label: str, name: str, rows: int, seconds: float, cpu: float | None) -> str:
    cpu_text = f"{cpu:>8.2f}" if cpu is not None else f"{'-':>8}"
    return f"{label:<11} {name:<38} {rows:>9} {seconds:>8.2f} {rows / seconds:>9.0f} {cpu_text}"


def compare(
    label: str, urls: dict[str, str], args: argparse.Namespace
) -> tuple[list[str], dict[str, Any]]:
    lines = []
    runs = {}
    builds = [("mentara", args.mentara_scale), ("shop", args.shop_scale)]
    for which, scale in builds[1:] if args.shop_only else builds:
        data = runs[which] = child(urls[which], which, str(scale))
        name = f"{'Mentara, hand-written' if which == 'mentara' else 'shop, zero-code'} x{scale}"
        lines.append(row(label, name, data["rows"], data["seconds"], data["cpu"]))
    if not args.shop_only:
        ratio = rate(runs["shop"]) / rate(runs["mentara"])
        verdict = "PASS" if ratio >= TARGET else "MISS"
        lines.append(f"{verdict} {label}: zero-code / hand-written rows per second = {ratio:.2f}")
    return lines, runs["shop"]


def rate(data: dict[str, Any]) -> float:
    return data["rows"] / data["seconds"]


def against_restore(
    postgres_url: str, shop_url: str, shop: dict[str, Any], prefix: str
) -> list[str]:
    """The zero-code build against a full restore of the database it built (issue 15)."""
    sys.path.insert(0, str(REPO))
    from benchmarks.run import Postgres, full_restore

    pg = Postgres(postgres_url)
    name = f"{prefix}_restore"
    try:
        restore = full_restore(pg, shop_url, name, shop["rows"])
    finally:
        pg.drop(name)
    ratio = rate(shop) / restore.rate
    verdict = "PASS" if ratio >= RESTORE_TARGET else "MISS"
    return [
        row("postgresql", restore.method, restore.rows, restore.seconds, None),
        f"{verdict} postgresql: zero-code / full pg_restore rows per second = {ratio:.2f}"
        f"   (vs restore; issue 15's target >= {RESTORE_TARGET})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentara-scale", type=int, default=5)
    parser.add_argument("--shop-scale", type=int, default=5)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--shop-only", action="store_true", help="skip the Mentara build")
    parser.add_argument(
        "--prefix",
        default="mentara_bench_decl",
        help="of the PostgreSQL databases' names (PREFIX_mentara, PREFIX_shop, PREFIX_restore)",
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args.worker[0], int(args.worker[1]))))
        return

    lines = [
        f"{'database':<11} {'build (heavy)':<38} {'rows':>9} {'seconds':>8} {'rows/s':>9} "
        f"{'CPU s':>8}"
    ]
    if not args.no_postgres:
        import psycopg

        admin = psycopg.connect(args.postgres_url, autocommit=True)
        base = args.postgres_url.rsplit("/", 1)[0]
        names = {which: f"{args.prefix}_{which}" for which in ("mentara", "shop")}
        try:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')
            urls = {which: f"{base}/{name}" for which, name in names.items()}
            compared, shop = compare("postgresql", urls, args)
            lines += compared
            lines += against_restore(args.postgres_url, urls["shop"], shop, args.prefix)
        finally:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            urls = {which: f"sqlite:///{folder}/{which}.sqlite3" for which in ("mentara", "shop")}
            lines += compare("sqlite", urls, args)[0]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
