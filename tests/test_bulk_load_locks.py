"""Issue 11, item 3: other sessions never queue behind a bulk load for longer than the lock
timeout (PostgreSQL; SQLite has no lock queue, and MariaDB's bulk loads take no table lock).

Real processes: the throwaway store (see ``throwaway``) loads 10,000 items in one step, a bulk load
at the default threshold (5,000 rows), and pauses while the load is under way. Meanwhile one
session sits idle in a transaction that read every table the run writes, and another reads them
in a loop, timing each SELECT.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_hardening import admin_connection, database_name, index_oids
from tests.throwaway import run_store, store_databases, store_rows

pytestmark = pytest.mark.backend("postgresql")

TABLES = ('"user"', '"order"', '"Parent_Mixed"')
LOCK_TIMEOUT_MS = 1000  # the default
#: What a SELECT may take beyond the lock timeout on a busy machine.
MARGIN_S = 0.5
RUN = ("seed_dynamic", "--mode", "medium", "--seed", "1", "--now", "2026-01-15T12:00:00Z", "-v0")
LOAD = {
    "STORE_ORDERS": "5000",
    "STORE_BULK_MIN_ROWS": "5000",
    "STORE_LOAD_PAUSE": "0.6",
}


class Reader(threading.Thread):
    """Reads every table in turn until stopped; keeps how long each SELECT took."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.database = name
        self.stop = threading.Event()
        self.seconds: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        with admin_connection(self.database) as reader:
            reader.execute("SET statement_timeout = '30s'")  # a net: a wait shows as its length
            while not self.stop.is_set():
                for table in TABLES:
                    started = time.monotonic()
                    try:
                        reader.execute(f"SELECT count(*) FROM {table}").fetchone()
                    except Exception as exc:  # the assertion names it
                        self.errors.append(repr(exc))
                    self.seconds.append(time.monotonic() - started)
                time.sleep(0.02)


def load_watched(directory: Path, url: str, log: Path, **options: Any) -> Reader:
    """Seed ``url`` while one session idles in a transaction that read every table and a reader
    times its SELECTs; the idle session must still be there at the end (never waited for)."""
    name = database_name(url)
    reader = Reader(name)
    with admin_connection(name) as idle:
        idle.execute("BEGIN")
        for table in TABLES:
            idle.execute(f"SELECT count(*) FROM {table}")
        reader.start()
        try:
            result = run_store(directory, url, *RUN, STORE_STATEMENT_LOG=str(log), **options)
        finally:
            reader.stop.set()
            reader.join()
        assert idle.info.transaction_status.name == "INTRANS"
        idle.execute("ROLLBACK")
    assert result.returncode == 0, result.stderr
    return reader


def dangling_items(url: str) -> int:
    with admin_connection(database_name(url)) as admin:
        (count,) = admin.execute(
            'SELECT count(*) FROM "user" i'
            ' WHERE NOT EXISTS (SELECT 1 FROM "order" o WHERE o.id = i.order_id)'
            ' OR NOT EXISTS (SELECT 1 FROM "Parent_Mixed" p WHERE p.id = i.product_id)'
        ).fetchone()
    return count


def test_postgres_no_session_waits_for_a_bulk_load_past_the_lock_timeout(tmp_path):
    with store_databases(tmp_path, 2) as (directory, (reference, watched)):
        result = run_store(directory, reference, *RUN, **LOAD)
        assert result.returncode == 0, result.stderr
        expected = store_rows(directory, reference)
        assert len(expected["items"]) == 10_000

        before = index_oids(database_name(watched))
        log = tmp_path / "statements.log"
        reader = load_watched(
            directory, watched, log, STORE_MENTARA_SEED={"LOCK_TIMEOUT_MS": LOCK_TIMEOUT_MS}, **LOAD
        )
        statements = log.read_text()
        # The items were a bulk load (per-row foreign-key triggers skipped, then checked), and it
        # dropped nothing: no DDL, the indexes the very objects they were.
        assert "SELECT set_config('session_replication_role'" in statements
        assert "WITH keys AS MATERIALIZED (SELECT" in statements  # FOR KEY SHARE, past 80
        assert not any(verb in statements for verb in ("DROP ", "ALTER TABLE", "CREATE INDEX"))
        assert index_oids(database_name(watched)) == before
        # The reader kept reading through the run (3 s of pauses once the load began, at least).
        assert reader.errors == []
        print(f"longest of {len(reader.seconds)} SELECTs: {max(reader.seconds):.3f}s")  # -rP
        assert len(reader.seconds) >= 30, len(reader.seconds)
        assert max(reader.seconds) < LOCK_TIMEOUT_MS / 1000 + MARGIN_S, max(reader.seconds)
        # The data: every foreign key holds, and the rows are the uninterrupted run's.
        assert dangling_items(watched) == 0
        assert store_rows(directory, watched) == expected


def test_postgres_an_exclusive_bulk_load_makes_readers_wait_for_its_step(tmp_path):
    """Why ``EXCLUSIVE_BULK_LOADS`` is off by default, and proof that the reader above would see
    a wait: with nothing to stop its DROPs, the load holds ACCESS EXCLUSIVE until the step
    commits, and a SELECT of the loaded table waits for it, far past the lock timeout. (Behind
    a session idle in a transaction, it gives up instead: test_hardening's
    test_postgres_a_bulk_load_never_waits_behind_an_idle_transaction.)"""
    with store_databases(tmp_path) as (directory, (url,)):
        name = database_name(url)
        reader = Reader(name)
        log = tmp_path / "statements.log"
        reader.start()
        try:
            result = run_store(
                directory,
                url,
                *RUN,
                STORE_STATEMENT_LOG=str(log),
                STORE_MENTARA_SEED={
                    "LOCK_TIMEOUT_MS": LOCK_TIMEOUT_MS,
                    "EXCLUSIVE_BULK_LOADS": True,
                },
                **LOAD,
            )
        finally:
            reader.stop.set()
            reader.join()
        assert result.returncode == 0, result.stderr
        assert "DROP INDEX" in log.read_text()
        assert reader.errors == []
        print(f"longest of {len(reader.seconds)} SELECTs: {max(reader.seconds):.3f}s")  # -rP
        assert max(reader.seconds) > LOCK_TIMEOUT_MS / 1000 + MARGIN_S, max(reader.seconds)
        assert dangling_items(url) == 0
