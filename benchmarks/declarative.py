#!/usr/bin/env python
"""Benchmark a zero-code build against the hand-written Mentara seeders, in the same run.

    .venv/bin/python benchmarks/declarative.py --mentara-scale 5 --shop-scale 5

Builds two fresh databases per backend (PostgreSQL at ``--postgres-url``, and SQLite files),
then times, each in its own process and one after the other, ``mode="heavy"`` of:
- the Mentara demo (hand-written ``create()`` and ``fill_*`` methods) at ``--mentara-scale``;
- the test shop (``tests/declarative_app``: no fill method, no ``create()``) at ``--shop-scale``;
and prints rows, seconds and rows/s of each, and the shop's rate over Mentara's (target >= 0.67).
Only the ``seed()`` call is timed (not Django's start-up or migrate). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
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
    started = time.perf_counter()
    report = mentara_seed.seed(**options)
    seconds = time.perf_counter() - started
    assert report.satisfied, report.as_dict()["remaining_gaps"][:3]
    return {"rows": sum(report.added.values()), "seconds": seconds}


def compare(label: str, urls: dict[str, str], args: argparse.Namespace) -> list[str]:
    lines = []
    rates = {}
    for which, scale in (("mentara", args.mentara_scale), ("shop", args.shop_scale)):
        data = child(urls[which], which, str(scale))
        rates[which] = data["rows"] / data["seconds"]
        name = f"{'Mentara, hand-written' if which == 'mentara' else 'shop, zero-code'} x{scale}"
        lines.append(
            f"{label:<11} {name:<28} {data['rows']:>9} {data['seconds']:>8.2f} {rates[which]:>9.0f}"
        )
    ratio = rates["shop"] / rates["mentara"]
    verdict = "PASS" if ratio >= TARGET else "MISS"
    lines.append(f"{verdict} {label}: zero-code / hand-written rows per second = {ratio:.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentara-scale", type=int, default=5)
    parser.add_argument("--shop-scale", type=int, default=5)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args.worker[0], int(args.worker[1]))))
        return

    lines = [f"{'database':<11} {'build (heavy)':<28} {'rows':>9} {'seconds':>8} {'rows/s':>9}"]
    if not args.no_postgres:
        import psycopg

        admin = psycopg.connect(args.postgres_url, autocommit=True)
        base = args.postgres_url.rsplit("/", 1)[0]
        names = {which: f"mentara_bench_decl_{which}" for which in ("mentara", "shop")}
        try:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')
            urls = {which: f"{base}/{name}" for which, name in names.items()}
            lines += compare("postgresql", urls, args)
        finally:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            urls = {which: f"sqlite:///{folder}/{which}.sqlite3" for which in ("mentara", "shop")}
            lines += compare("sqlite", urls, args)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
