"""The crash suite: a run SIGKILLed at 20 or more points, every bulk-load statement included, and
rerun.

The throwaway ``store`` project (see ``throwaway``) with small batches, so that every step writes
several batches and its items step is a bulk load (on PostgreSQL, foreign-key triggers skipped
while the COPY streams and anti-joins that validate the step, and with ``EXCLUSIVE_BULK_LOADS``
indexes and foreign keys dropped and rebuilt; on SQLite, indexes dropped and rebuilt; on
MariaDB/MySQL, per-row foreign-key checks turned off and the anti-joins that validate the step).
An uninterrupted run logs its statements; each victim database, a copy of a freshly migrated one,
gets a run that kills itself (SIGKILL) just before one of them, then a run that finishes. After
each: the content, read without primary keys, equals the uninterrupted run's, and the schema
(``pg_dump --schema-only`` on PostgreSQL, every table's ``SHOW CREATE TABLE`` on MariaDB/MySQL,
``sqlite_master`` on SQLite) equals the freshly migrated database's.
"""

from __future__ import annotations

import re
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.databases import mysql_server, server_url
from tests.test_hardening import admin_connection, database_name, pg_dump_schema
from tests.throwaway import run_store, store_databases, store_rows

RUN = (
    "seed_dynamic",
    "--mode",
    "medium",
    "--seed",
    "5",
    "--now",
    "2026-01-15T12:00:00Z",
    "-v",
    "0",
)
OPTIONS = {
    "STORE_ORDERS": "150",
    "STORE_BULK_MIN_ROWS": "30",
    "STORE_MENTARA_SEED": {"BATCH_SIZE": 40},
}
#: Kill points besides every bulk-load statement (at least this many, however few statements a
#: run makes: MariaDB's bulk loads check a table's keys in one statement, not one per key).
SPREAD = 20
DDL = ("DROP INDEX", "CREATE INDEX", "ALTER TABLE", "COMMENT ON", "SELECT set_config")
#: Bulk loads without DDL: on MariaDB/MySQL (where it would commit the step) foreign-key checks
#: off, on PostgreSQL the per-row triggers skipped (a set_config, above); then each referenced
#: row locked (PostgreSQL) and one anti-join per foreign key (on MariaDB/MySQL one per table, all
#: its keys at once, also "SELECT c.").
MYSQL_BULK = ("SET SESSION foreign_key_checks",)
CHECKS = (
    "SELECT pg_current_xact_id",
    "SELECT count(*) FROM ONLY",
    "SELECT count(*) FROM (",
    "SELECT c.",
)
#: What starts a bulk load, per path.
BEGUN = (
    "DROP INDEX",
    "SET SESSION foreign_key_checks = 0",
    "SELECT set_config('session_replication_role'",
)


def schema(url: str) -> str:
    if url.startswith("mysql"):
        with mysql_server() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                " ORDER BY table_name",
                [database_name(url)],
            )
            tables = [row[0] for row in cursor.fetchall()]
            created = []
            for table in tables:
                cursor.execute(f"SHOW CREATE TABLE `{database_name(url)}`.`{table}`")
                # The next auto-increment value moves with every insert, rolled back or not.
                created.append(re.sub(r" AUTO_INCREMENT=\d+", "", cursor.fetchone()[1]))
        return "\n".join(created)
    if url.startswith("sqlite"):
        with sqlite3.connect(database_name(url)) as raw:
            rows = raw.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall()
        return "\n".join(map(repr, rows))
    return pg_dump_schema(database_name(url))


@contextmanager
def copies(fresh: str, count: int, directory: Path) -> Iterator[list[str]]:
    """``count`` copies of the freshly migrated database ``fresh``."""
    if fresh.startswith("sqlite"):
        urls = []
        for index in range(count):
            path = directory / f"victim{index}.sqlite3"
            shutil.copyfile(database_name(fresh), path)
            urls.append(f"sqlite:///{path}")
        yield urls
        return
    names = [f"{database_name(fresh)}_v{index}" for index in range(count)]
    if fresh.startswith("mysql"):
        dump = subprocess.run(
            ["mysqldump", *mysql_client_options(), database_name(fresh)],
            check=True,
            capture_output=True,
        ).stdout
        try:
            with mysql_server() as cursor:
                for name in names:
                    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            for name in names:
                subprocess.run(["mysql", *mysql_client_options(), name], input=dump, check=True)
            yield [server_url(name) for name in names]
        finally:
            with mysql_server() as cursor:
                for name in names:
                    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        return
    with admin_connection() as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{database_name(fresh)}"')
    try:
        yield [server_url(name) for name in names]
    finally:
        with admin_connection() as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mysql_client_options() -> list[str]:
    from django.db import connection

    settings = connection.settings_dict
    options = [
        f"--host={settings.get('HOST') or '127.0.0.1'}",
        f"--port={settings.get('PORT') or 3306}",
        f"--user={settings.get('USER') or 'root'}",
    ]
    if settings.get("PASSWORD"):
        options.append(f"--password={settings['PASSWORD']}")
    return options


def kill_points(statements: list[str]) -> list[int]:
    """Every bulk-load DDL statement, and points spread over the whole run (1-based)."""
    ddl = [n for n, sql in enumerate(statements, 1) if sql.startswith(DDL + MYSQL_BULK + CHECKS)]
    # The middle of each of SPREAD equal stretches of the run.
    count = len(statements)
    spread = {1 + (2 * i + 1) * count // (2 * SPREAD) for i in range(SPREAD)}
    return sorted(set(ddl) | spread)


#: On PostgreSQL the exclusive path (indexes and foreign keys dropped and rebuilt) too.
PATHS = [pytest.param(False, id="default")] + (
    [pytest.param(True, id="exclusive")] if connection.vendor == "postgresql" else []
)


@pytest.mark.parametrize("exclusive", PATHS)
def test_runs_killed_at_many_points_converge_to_the_uninterrupted_content_and_schema(
    tmp_path, exclusive
):
    options = {
        **OPTIONS,
        "STORE_MENTARA_SEED": {**OPTIONS["STORE_MENTARA_SEED"], "EXCLUSIVE_BULK_LOADS": exclusive},
    }
    with store_databases(tmp_path, 2) as (directory, (reference, fresh)):
        log = tmp_path / "statements.log"
        result = run_store(directory, reference, *RUN, STORE_STATEMENT_LOG=str(log), **options)
        assert result.returncode == 0, result.stderr
        statements = log.read_text().splitlines()
        expected = store_rows(directory, reference)
        assert len(expected["items"]) == 300
        fresh_schema = schema(fresh)
        # The run really bulk-loaded (DDL, or per-row checks turned off), killed at below.
        assert [sql for sql in statements if sql.startswith(BEGUN)], statements
        points = kill_points(statements)
        assert len(points) >= 20, len(points)

        def kill_and_rerun(point: int, url: str) -> tuple[int, str]:
            killed = run_store(directory, url, *RUN, STORE_KILL_AT_STATEMENT=str(point), **options)
            assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
            rerun = run_store(directory, url, *RUN, **options)
            assert rerun.returncode == 0, (point, rerun.stderr)
            return point, url

        with copies(fresh, len(points), tmp_path) as victims, ThreadPoolExecutor(3) as pool:
            done = list(pool.map(kill_and_rerun, points, victims))
            for point, url in done:
                what = f"killed before statement {point}: {statements[point - 1]}"
                assert store_rows(directory, url) == expected, what
                assert schema(url) == fresh_schema, what
