#!/usr/bin/env python
"""Benchmark mentara-seed's fill against raw psycopg COPY and model-bakery on the same rows.

    .venv/bin/python benchmarks/run.py                           # the issue's sizes (minutes)
    .venv/bin/python benchmarks/run.py --scale 5 --sqlite-scale 2  # a quick look
    .venv/bin/python benchmarks/run.py --skip-postgres --skip-sqlite  # MariaDB only
    .venv/bin/python benchmarks/run.py --restore-only --skip-mariadb --skip-sqlite  # vs pg_restore

It builds fresh databases, times ``seed_dynamic --mode heavy --scale K`` from an empty migrated
database, then feeds exactly the rows that run wrote to the other methods:
- raw COPY: psycopg ``copy.write_row`` of the pre-generated rows, all tables, one transaction;
- model-bakery ``make(_quantity=n, _bulk_create=True)`` per model, in calls of at most 10,000
  rows, every field given (parents as instances, which its bulk path needs to avoid a query per
  row);
- model-bakery per-row ``make()``, on the rows of a heavy x1 run (it is too slow for more);
  only model-bakery's calls are timed, not the preparing of their arguments;
- full restore: ``pg_dump -Fc`` of the seeded database, then ``pg_restore`` (one job) into a fresh
  empty database, timed: it creates the tables, COPYs the rows and builds every index and
  foreign key once, the load limit a seeder that also generates its rows can approach;
and prints one table (method, rows, seconds, rows/s, ratio to COPY, peak RSS) and the targets.
On MariaDB (``--mariadb-scale``, default 10) the baselines are a raw multi-row INSERT of the same
rows (the driver's ``executemany``, all tables, one transaction) and model-bakery bulk, and the
build runs twice, with bulk loads on and off. On SQLite (``--sqlite-scale``, default 10) the
baselines are model-bakery bulk and a raw INSERT of the same rows (the driver's ``executemany``,
one transaction): what inserting alone costs, the floor of any build there.
Each method runs in its own process, so peak RSS is that method's alone. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-01-15T12:00:00+00:00"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_MARIADB = "mysql://root@127.0.0.1:3306/mysql"
#: Rows per model-bakery bulk make() call.
BAKERY_CHUNK = 10_000


@dataclass
class Result:
    method: str
    database: str
    rows: int
    seconds: float
    rss_mb: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def env_for(url: str, source: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "MENTARA_SEED_ON_MIGRATE": "0",
        "PYTHONPATH": str(REPO),
    }
    if source:
        env["SOURCE_DATABASE_URL"] = source
    env.update(extra)
    return env


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child; return (wall seconds, the child's peak RSS in MB, its stdout)."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=out, stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        out.seek(0)
        stdout = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[1:4])} failed:\n{stderr[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout


def manage(url: str, *args: str, **env: str) -> tuple[float, float, str]:
    return measured([sys.executable, "manage.py", *args], env_for(url, **env))


def worker(name: str, url: str, source: str, *extra: str) -> dict[str, Any]:
    _seconds, rss, stdout = measured(
        [sys.executable, __file__, "--worker", name, *extra], env_for(url, source)
    )
    data = json.loads(stdout.strip().splitlines()[-1])
    data["rss_mb"] = rss
    return data


class Postgres:
    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.base = url.rsplit("/", 1)[0]
        self.admin = psycopg.connect(url, autocommit=True)

    def fresh(self, name: str) -> str:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{self.base}/{name}"
        manage(url, "migrate", "-v0")
        return url

    def drop(self, name: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class MariaDB:
    def __init__(self, url: str) -> None:
        import MySQLdb

        self.base = url.rsplit("/", 1)[0]
        parts = urlsplit(url)
        self.admin = MySQLdb.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
        )

    def _run(self, sql: str) -> None:
        with self.admin.cursor() as cursor:
            cursor.execute(sql)

    def fresh(self, name: str) -> str:
        self.drop(name)
        self._run(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        url = f"{self.base}/{name}"
        manage(url, "migrate", "-v0")
        return url

    def drop(self, name: str) -> None:
        self._run(f"DROP DATABASE IF EXISTS `{name}`")


def seed_run(url: str, scale: int, **env: str) -> tuple[Result, dict[str, Any]]:
    seconds, rss, stdout = manage(
        url, "seed_dynamic", "--mode", "heavy", "--scale", str(scale), "--now", NOW,
        "--format", "json", "-v0", **env,
    )  # fmt: skip
    report = json.loads(stdout)
    assert report["satisfied"], report["remaining_gaps"][:3]
    rows = sum(report["added"].values())
    return Result(f"mentara-seed heavy x{scale}", "", rows, seconds, rss), report


def benchmark_postgres(args: argparse.Namespace, results: list[Result], notes: list[str]) -> None:
    pg = Postgres(args.postgres_url)
    names = [
        f"{args.db_prefix}{name}"
        for name in ("seed", "copy", "bakery", "small", "rows", "bakery_source", "restore")
    ]
    try:
        seeded = pg.fresh(names[0])
        build, _report = seed_run(seeded, args.scale)
        build.database = "postgresql"
        results.append(build)

        noop_seconds, noop_rss, noop_out = manage(
            seeded, "seed_dynamic", "--mode", "heavy", "--scale", str(args.scale), "--now", NOW,
            "--format", "json", "-v0",
        )  # fmt: skip
        assert not json.loads(noop_out)["added"]
        results.append(Result("no-op re-run", "postgresql", 0, noop_seconds, noop_rss))

        restore = full_restore(pg, seeded, names[6], build.rows)
        results.append(restore)
        if args.restore_only:
            notes.append(
                f"{'PASS' if build.rate >= 0.5 * restore.rate else 'MISS'} seed / full pg_restore "
                f"rows per second >= 0.5 (issue 15, at x50): {build.rate / restore.rate:.2f}"
            )
            return

        copy = worker("copy", pg.fresh(names[1]), seeded)
        results.append(Result("raw psycopg COPY", "postgresql", copy["rows"], copy["seconds"],
                              copy["rss_mb"]))  # fmt: skip
        # model-bakery runs at about a thousand rows a second: --bakery-scale feeds it the rows of
        # a smaller heavy run (same code, same rows per entity), and the ratios use rows/s.
        bakery_source = seeded
        if args.bakery_scale != args.scale:
            bakery_source = pg.fresh(names[5])
            seed_run(bakery_source, args.bakery_scale)
        bulk = worker("bakery", pg.fresh(names[2]), bakery_source, "--bulk")
        method = f"model-bakery make(_bulk_create=True) x{args.bakery_scale}"
        results.append(Result(method, "postgresql", bulk["rows"], bulk["seconds"], bulk["rss_mb"]))

        small = pg.fresh(names[3])
        seed_run(small, 1)
        per_row = worker("bakery", pg.fresh(names[4]), small)
        results.append(Result("model-bakery make() per row (heavy x1 rows)", "postgresql",
                              per_row["rows"], per_row["seconds"], per_row["rss_mb"]))  # fmt: skip

        big_queries = worker("audit-queries", seeded, seeded, "--scale", str(args.scale))
        small_queries = worker("audit-queries", small, small, "--scale", "1")
        notes.append(
            f"audit queries: {big_queries['queries']} on {build.rows} rows, "
            f"{small_queries['queries']} on a heavy x1 database"
        )

        def rate(data: dict[str, Any]) -> float:
            return data["rows"] / data["seconds"]

        checks = [
            (
                "seed / full pg_restore rows per second >= 0.5 (issue 15, at x50)",
                build.rate / restore.rate,
                0.5,
            ),
            ("seed / COPY rows per second >= 0.45", build.rate / rate(copy), 0.45),
            ("seed / bakery bulk rows per second >= 5", build.rate / rate(bulk), 5),
            ("seed / bakery per-row rows per second >= 30", build.rate / rate(per_row), 30),
        ]
        for label, value, target in checks:
            notes.append(f"{'PASS' if value >= target else 'MISS'} {label}: {value:.2f}")
        noop_ok = noop_seconds <= 5 and noop_seconds <= 0.15 * build.seconds
        notes.append(
            f"{'PASS' if noop_ok else 'MISS'} no-op re-run <= 5 s and <= 15% of the build: "
            f"{noop_seconds:.2f} s, {100 * noop_seconds / build.seconds:.1f}%"
        )
        notes.append(
            f"{'PASS' if build.rss_mb <= 400 else 'MISS'} peak RSS of the build <= 400 MB: "
            f"{build.rss_mb:.0f} MB"
        )
        if big_queries["queries"] != small_queries["queries"]:
            notes.append("MISS the audit's query count grew with the rows")
    finally:
        if not args.keep:
            for name in names:
                pg.drop(name)


def full_restore(pg: Postgres, seeded: str, name: str, rows: int) -> Result:
    """``pg_restore`` of a custom-format dump of the seeded database into a fresh, empty one:
    schema, data, indexes and foreign keys, one job. Only the restore is timed; ``rows`` are the
    build's (the dump also holds Django's own few tables, as the build's database does)."""
    with tempfile.TemporaryDirectory() as folder:
        dump = Path(folder) / "seeded.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), "-d", seeded], check=True)
        pg.drop(name)
        pg.admin.execute(f'CREATE DATABASE "{name}"')
        seconds, rss, _out = measured(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", f"{pg.base}/{name}", str(dump)],
            dict(os.environ),
        )
    return Result("full pg_restore (pg_dump -Fc, one job)", "postgresql", rows, seconds, rss)


def benchmark_sqlite(args: argparse.Namespace, results: list[Result], notes: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        seeded = f"sqlite:///{folder}/seed.sqlite3"
        manage(seeded, "migrate", "-v0")
        build, _report = seed_run(seeded, args.sqlite_scale)
        build.database = "sqlite"
        results.append(build)
        target = f"sqlite:///{folder}/bakery.sqlite3"
        manage(target, "migrate", "-v0")
        bulk = worker("bakery", target, seeded, "--bulk")
        results.append(Result("model-bakery make(_bulk_create=True)", "sqlite", bulk["rows"],
                              bulk["seconds"], bulk["rss_mb"]))  # fmt: skip
        ratio = build.rate / (bulk["rows"] / bulk["seconds"])
        notes.append(
            f"{'PASS' if ratio >= 3 else 'MISS'} SQLite seed / bakery bulk >= 3: {ratio:.2f}"
        )
        # The floor of any build on SQLite: the same rows, already made, inserted in one
        # transaction by the driver alone (no audit, no generation, no verification).
        raw = f"sqlite:///{folder}/insert.sqlite3"
        manage(raw, "migrate", "-v0")
        insert = worker("insert", raw, seeded)
        results.append(Result("raw executemany INSERT", "sqlite", insert["rows"],
                              insert["seconds"], insert["rss_mb"]))  # fmt: skip
        notes.append(
            f"SQLite seed / raw INSERT rows per second: {build.rate / _rate(insert):.2f}"
            f" (the raw insert alone takes {insert['seconds']:.2f} s of the build's "
            f"{build.seconds:.2f} s)"
        )


def benchmark_mariadb(args: argparse.Namespace, results: list[Result], notes: list[str]) -> None:
    server = MariaDB(args.mariadb_url)
    names = [f"{args.db_prefix}{name}" for name in ("seed", "unbulked", "insert", "bakery")]
    try:
        seeded = server.fresh(names[0])
        build, _report = seed_run(seeded, args.mariadb_scale)
        build.database = "mariadb"
        results.append(build)
        plain, _report = seed_run(
            server.fresh(names[1]), args.mariadb_scale, MENTARA_SEED_BULK_LOADS="0"
        )
        plain.method += ", BULK_LOADS off"
        plain.database = "mariadb"
        results.append(plain)
        insert = worker("insert", server.fresh(names[2]), seeded)
        results.append(Result("raw multi-row INSERT (executemany)", "mariadb", insert["rows"],
                              insert["seconds"], insert["rss_mb"]))  # fmt: skip
        bulk = worker("bakery", server.fresh(names[3]), seeded, "--bulk")
        results.append(Result("model-bakery make(_bulk_create=True)", "mariadb", bulk["rows"],
                              bulk["seconds"], bulk["rss_mb"]))  # fmt: skip
        for label, value, target in (
            ("MariaDB seed / bakery bulk rows per second >= 5", build.rate / _rate(bulk), 5),
            ("MariaDB seed / raw INSERT rows per second >= 0.5", build.rate / _rate(insert), 0.5),
        ):
            notes.append(f"{'PASS' if value >= target else 'MISS'} {label}: {value:.2f}")
        notes.append(f"MariaDB bulk loads on / off, rows per second: {build.rate / plain.rate:.2f}")
    finally:
        if not args.keep:
            for name in names:
                server.drop(name)


def _rate(data: dict[str, Any]) -> float:
    return data["rows"] / data["seconds"]


# Workers (run in their own process, Django configured by benchmarks.settings) -----------------


def _source_tables() -> tuple[list[Any], dict[Any, list[tuple[Any, ...]]]]:
    """Mentara's concrete models parents first, and every row of each in the source database."""
    from django.apps import apps

    models = [m for m in apps.get_app_config("mentara").get_models() if not m._meta.proxy]
    ordered: list[Any] = []
    while len(ordered) < len(models):
        for model in models:
            parents = {
                f.related_model
                for f in model._meta.concrete_fields
                if f.is_relation and f.related_model is not model
            }
            if model not in ordered and all(p in ordered or p not in models for p in parents):
                ordered.append(model)
    rows = {
        model: list(
            model._base_manager.using("source")
            .order_by("pk")
            .values_list(*[f.attname for f in model._meta.concrete_fields])
        )
        for model in ordered
    }
    return ordered, rows


def work_copy() -> dict[str, Any]:
    from django.db import connection, transaction

    models, rows = _source_tables()
    total = sum(len(r) for r in rows.values())
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for model in models:
            columns = ", ".join(
                connection.ops.quote_name(f.column) for f in model._meta.concrete_fields
            )
            table = connection.ops.quote_name(model._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows[model]:
                    copy.write_row(row)
    return {"rows": total, "seconds": time.perf_counter() - started}


def work_insert() -> dict[str, Any]:
    """What a script would do: one INSERT per table run with the driver's ``executemany``
    (which mysqlclient sends as multi-row INSERTs; sqlite3 runs one prepared statement per row),
    in one transaction. Values are converted as Django stores them (aware datetimes made naive
    UTC, or text on SQLite) before the clock starts."""
    from django.db import connection, transaction

    models, rows = _source_tables()
    total = sum(len(r) for r in rows.values())
    statements = []
    for model in models:
        fields = model._meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        prepared = [
            [f.get_db_prep_save(value, connection) for f, value in zip(fields, row, strict=True)]
            for row in rows[model]
        ]
        statements.append((sql, prepared))
    if connection.vendor == "sqlite":
        from mentara_seed.pipeline import SQLITE_CACHE_KIB

        with connection.cursor() as cursor:  # the page cache a build writes with
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, prepared in statements:
            cursor.cursor.executemany(sql, prepared)
    return {"rows": total, "seconds": time.perf_counter() - started}


def work_bakery(bulk: bool) -> dict[str, Any]:
    from model_bakery import baker

    models, rows = _source_tables()
    total = sum(len(r) for r in rows.values())
    # Parents get new primary keys here; children follow them by rank.
    new_pk: dict[Any, dict[Any, Any]] = {}
    seconds = 0.0
    for model in models:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        source = rows[model]
        if not source:
            continue
        columns = list(zip(*source, strict=True))[1:]
        values: dict[str, list[Any]] = {}
        for field, column in zip(fields, columns, strict=True):
            if field.is_relation:
                # Parents as instances, as model-bakery expects them: given only ``author_id``,
                # its bulk path fetches every row's parent with a query of its own.
                parent, mapping = field.related_model, new_pk[field.related_model]
                values[field.name] = [
                    None if v is None else parent(pk=mapping[v]) for v in column
                ]  # fmt: skip
            else:
                values[field.attname] = list(column)
        # Only model-bakery's own work is timed, not preparing its arguments.
        started = time.perf_counter()
        if bulk:
            # In chunks, as a user must: make() sends each call's rows as one INSERT, and on
            # MariaDB 156k messages in one statement exceed max_allowed_packet (16 MiB).
            given = {name: iter(column) for name, column in values.items()}
            for start in range(0, len(source), BAKERY_CHUNK):
                quantity = min(BAKERY_CHUNK, len(source) - start)
                baker.make(model, _quantity=quantity, _bulk_create=True, **given)
        else:
            for index in range(len(source)):
                baker.make(model, **{name: column[index] for name, column in values.items()})
        seconds += time.perf_counter() - started
        created = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
        new_pk[model] = dict(zip((row[0] for row in source), created, strict=True))
    return {"rows": total, "seconds": seconds}


def work_audit_queries(scale: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import mentara_seed

    with CaptureQueriesContext(connection) as queries:
        mentara_seed.audit(mode="heavy", scale=scale, now=NOW)
    return {"queries": len(queries)}


def run_worker(args: argparse.Namespace) -> None:
    import django

    django.setup()
    if args.worker == "copy":
        data = work_copy()
    elif args.worker == "insert":
        data = work_insert()
    elif args.worker == "bakery":
        data = work_bakery(args.bulk)
    else:
        data = work_audit_queries(args.scale)
    print(json.dumps(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=50, help="PostgreSQL: heavy x K (default 50)")
    parser.add_argument(
        "--sqlite-scale", type=int, default=10, help="SQLite: heavy x K (default 10)"
    )
    parser.add_argument(
        "--bakery-scale", type=int, default=None,
        help="PostgreSQL: feed model-bakery bulk the rows of heavy x K (default: --scale)",
    )  # fmt: skip
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument(
        "--mariadb-scale", type=int, default=10, help="MariaDB: heavy x K (default 10)"
    )
    parser.add_argument(
        "--mariadb-url", default=os.environ.get("BENCH_MARIADB_URL", DEFAULT_MARIADB)
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-mariadb", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--restore-only", action="store_true",
        help="PostgreSQL: the build, the no-op re-run and the full restore only (no COPY, bakery)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument(
        "--db-prefix", default="mentara_bench_",
        help="names of the databases made (runs side by side on one server need their own)",
    )  # fmt: skip
    parser.add_argument(
        "--worker", choices=("copy", "insert", "bakery", "audit-queries"), help=argparse.SUPPRESS
    )
    parser.add_argument("--bulk", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bakery_scale is None:
        args.bakery_scale = args.scale
    if args.worker:
        run_worker(args)
        return

    results: list[Result] = []
    notes: list[str] = []
    if not args.skip_postgres:
        benchmark_postgres(args, results, notes)
    if not args.skip_mariadb:
        benchmark_mariadb(args, results, notes)
    if not args.skip_sqlite:
        benchmark_sqlite(args, results, notes)

    copy_rate = next((r.rate for r in results if r.method == "raw psycopg COPY"), 0.0)
    restore_rate = next((r.rate for r in results if r.method.startswith("full pg_restore")), 0.0)
    header = ("method", "db", "rows", "seconds", "rows/s", "vs COPY", "vs restore", "RSS MB")
    line = "{:46} {:10} {:>9} {:>8} {:>9} {:>8} {:>10} {:>7}"
    print(line.format(*header))
    for r in results:
        ratio = (
            f"{r.rate / copy_rate:.2f}"
            if copy_rate and r.rows and r.database == "postgresql"
            else "-"
        )
        versus_restore = (
            f"{r.rate / restore_rate:.2f}"
            if restore_rate and r.rows and r.database == "postgresql"
            else "-"
        )
        print(
            line.format(
                r.method,
                r.database,
                r.rows,
                f"{r.seconds:.2f}",
                f"{r.rate:.0f}",
                ratio,
                versus_restore,
                f"{r.rss_mb:.0f}",
            )
        )
    print()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
