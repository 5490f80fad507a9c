"""Epoch-second times on PostgreSQL: binary COPY takes a ``timestamptz`` as the int8 of its
microseconds since 2000-01-01 UTC, so the writer sends the seconds as ``int8`` instead of
building a datetime per value. The stored moments must be exactly those of the datetimes, in
binary and in text COPY, before 1970 and 2000, across a DST change and in any session zone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection

from mentara_seed import FillContext
from mentara_seed.columns import POSTGRES_EPOCH, epoch_microseconds
from mentara_seed.writers import PostgresCopyWriter
from project.mentara.models import Assessment, User
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

#: Before year 2 and the last second a datetime holds, before 1970, its first second, just
#: before 2000 and at it, around Europe's spring change of 2025 (03-30 01:00 UTC) and the
#: demo's reference time.
SECONDS = (
    -62_135_596_800,
    253_402_300_799,
    -86_401,
    -1,
    0,
    POSTGRES_EPOCH - 1,
    POSTGRES_EPOCH,
    1_743_296_399,
    1_743_296_400,
    1_743_300_000,
    1_768_478_400,
)

#: Binary COPY is PostgreSQL's: deselected on the other backends, never skipped.
postgres_only = pytest.mark.backend("postgresql")


def moment(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


@contextlib.contextmanager
def session_zone() -> Iterator[None]:
    """The session in a zone with a DST change (PostgreSQL), for the writes: neither encoding
    may depend on it. Back in UTC for reads, which Django's loader expects."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Berlin'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")


def stored_seconds(table: str, *columns: str) -> list[tuple[Any, ...]]:
    """The columns as whole epoch seconds computed by the server (exact, whatever the zone)."""
    selected = ", ".join(f"EXTRACT(EPOCH FROM {column})::bigint" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {table} ORDER BY id")
        return cursor.fetchall()


def test_the_int8_is_the_bytes_binary_copy_sends_for_the_moment():
    import psycopg
    from psycopg.pq import Format

    transformer = psycopg.adapt.Transformer()
    transformer.set_dumper_types(
        [psycopg.adapters.types["int8"].oid, psycopg.adapters.types["timestamptz"].oid],
        Format.BINARY,
    )
    micros = epoch_microseconds(list(SECONDS))
    for second, value in zip(SECONDS, micros, strict=True):
        as_int8, as_timestamptz = transformer.dump_sequence(
            (value, moment(second)), [Format.BINARY] * 2
        )
        assert as_int8 == as_timestamptz
    assert epoch_microseconds([None, 0, None]) == [None, -POSTGRES_EPOCH * 1_000_000, None]


def assessment_rows(client_id: int) -> list[tuple]:
    """One row per second, a pending one with a NULL ``completed_at`` every third row."""
    return [
        (client_id, "PHQ-9", "completed", n % 28, second, second)
        if n % 3 != 2
        else (client_id, "PHQ-9", "pending", None, None, second)
        for n, second in enumerate(SECONDS)
    ]


ASSESSMENT = ("client_id", "instrument", "status", "score", "completed_at", "created_at")


def test_epoch_seconds_store_the_moments_add_stores():
    """Rows given as epoch seconds store exactly what ``add`` with the aware datetimes stores
    (binary COPY on PostgreSQL, where the seconds travel as int8), NULLs included, whatever
    the session's zone."""
    client = User.objects.create(username="c", email="c@example.org")
    rows = assessment_rows(client.pk)
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    with session_zone():
        for *values, completed, created in rows:
            ctx.add(
                Assessment,
                **dict(zip(ASSESSMENT[:4], values, strict=True)),
                completed_at=None if completed is None else moment(completed),
                created_at=moment(created),
            )
        ctx.add_tuples(Assessment, ASSESSMENT, rows, epoch=("completed_at", "created_at"))
        ctx.flush()
    with connection.cursor() as cursor:
        cursor.execute("SELECT completed_at, created_at FROM mentara_assessment ORDER BY id")
        stored = cursor.fetchall()  # as stored: text on SQLite
    assert stored[: len(rows)] == stored[len(rows) :]
    expected = [(completed, created) for *_values, completed, created in rows]
    read = list(Assessment.objects.order_by("pk").values_list("completed_at", "created_at"))
    assert read == [
        (None if completed is None else moment(completed), moment(created))
        for completed, created in expected + expected
    ]
    if connection.vendor == "postgresql":
        seconds = stored_seconds("mentara_assessment", "completed_at", "created_at")
        assert seconds == expected + expected


@postgres_only
def test_postgres_sends_epoch_columns_as_int8_and_others_as_before():
    writer = PostgresCopyWriter("default", 1000)
    client = User.objects.create(username="c", email="c@example.org")
    table = list(zip(*assessment_rows(client.pk), strict=True))
    columns, cells, binary = writer.copy_columns(
        Assessment, ASSESSMENT, frozenset({"completed_at", "created_at"}), table, len(SECONDS)
    )
    types = dict(zip(columns, binary or (), strict=True))
    assert types["completed_at"] == types["created_at"] == 20  # int8
    assert types["score"] != 20
    assert cells[columns.index("created_at")] == epoch_microseconds(list(SECONDS))
    # Without epoch fields the same columns travel as datetimes, typed timestamptz.
    datetimes = [*table[:4], *([None if s is None else moment(s) for s in c] for c in table[4:])]
    columns, cells, binary = writer.copy_columns(
        Assessment, ASSESSMENT, frozenset(), datetimes, len(SECONDS)
    )
    assert binary is not None and binary[columns.index("created_at")] == 1184  # timestamptz


@postgres_only
@pytest.mark.parametrize("column_type", ["timestamptz", "timestamp"])
def test_int8_copy_stores_what_datetime_copy_stores(column_type):
    """Straight through the writer's COPY: int8 microseconds, binary datetimes (timestamptz
    only: binary COPY of a naive timestamp takes naive datetimes) and text COPY's aware
    datetimes store the same values, for Django's ``timestamptz`` and a plain ``timestamp``
    (where text COPY keeps the UTC wall time of the literal)."""
    writer = PostgresCopyWriter("default", 1000)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE epoch_copy (id integer, at {column_type})")
    ids = list(range(len(SECONDS)))
    seconds = [None if n == 3 else second for n, second in enumerate(SECONDS)]
    datetimes = [None if second is None else moment(second) for second in seconds]
    binary = writer._binary_types("epoch_copy", ("id", "at"), (ids, seconds), {1})
    assert binary is not None and binary[1] == 20
    encodings: list[tuple[int, ...] | None] = [None]  # text COPY
    if column_type == "timestamptz":
        encodings.append(writer._binary_types("epoch_copy", ("id", "at"), (ids, datetimes)))
        assert encodings[-1] is not None
    with session_zone():
        writer._copy("epoch_copy", ("id", "at"), (ids, epoch_microseconds(seconds)), binary)
        for offset, encoding in enumerate(encodings, start=1):
            shifted = [n + offset * 100 for n in ids]
            writer._copy("epoch_copy", ("id", "at"), (shifted, datetimes), encoding)
        writer.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, at::text, EXTRACT(EPOCH FROM at)::bigint FROM epoch_copy")
        stored = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute("DROP TABLE epoch_copy")
    for n, second in enumerate(seconds):
        assert stored[n][1] == second
        for offset in range(1, len(encodings) + 1):
            assert stored[n + offset * 100] == stored[n]


@postgres_only
def test_seconds_a_datetime_cannot_hold_go_the_datetime_way():
    """Floats, bools and seconds past year 9999 are not sent as int8: the datetime path writes
    or refuses them as it did."""
    writer = PostgresCopyWriter("default", 1000)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE epoch_copy (id integer, at timestamptz)")
    try:
        for bad in (1.5, True, 253_402_300_800, -62_135_596_801):
            assert writer._binary_types("epoch_copy", ("id", "at"), ([1, 2], [0, bad]), {1}) is None
        assert writer._binary_types("epoch_copy", ("id", "at"), ([1], [None]), {1}) == (23, 20)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE epoch_copy")


@postgres_only
def test_a_workers_binary_rows_carry_the_int8_and_store_the_moments(monkeypatch):
    """A ``--jobs`` worker encodes epoch rows as the parent's writer would (int8 columns), and
    the parent's COPY of those bytes stores the moments, NULLs included."""
    from mentara_seed import jobs

    assert jobs._PSYCOPG_INTERNALS, "the pinned psycopg has the binary row encoder workers use"
    client = User.objects.create(username="c", email="c@example.org")
    rows = assessment_rows(client.pk)
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    monkeypatch.setattr(jobs, "_ENCODER", (PostgresCopyWriter("default", 1000), {}))
    epoch = frozenset({"completed_at", "created_at"})
    record = jobs._encoded(ctx, [jobs._ADD, Assessment, ASSESSMENT, rows, set(), epoch])
    assert record[0] == jobs._COPY
    types = dict(zip(record[2], record[3], strict=True))
    assert types["completed_at"] == types["created_at"] == 20
    jobs._replay(ctx, [record])
    ctx.flush()
    expected = [(completed, created) for *_values, completed, created in rows]
    assert stored_seconds("mentara_assessment", "completed_at", "created_at") == expected
