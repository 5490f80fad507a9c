"""PostgreSQL: while a step fills, reads of ``timestamptz`` use psycopg's loader instead of
Django's pure-Python one, and give exactly the values Django's would."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.db import connection

from mentara_seed.fill import FillContext
from tests.conftest import NOW


def timestamptz_loader() -> type:
    from psycopg.pq import Format

    with connection.cursor() as cursor:
        return cursor.cursor.adapters.get_loader(1184, Format.TEXT)


def uneven_times() -> list:
    """2,001 timestamps with microseconds, read through the connection's current loaders."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::timestamptz + n * interval '37 minutes 11.000123 seconds' "
            "FROM generate_series(0, 2000) AS n",
            [NOW - timedelta(days=400)],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.backend("postgresql")
@pytest.mark.django_db
def test_reads_while_filling_use_psycopgs_loader_and_give_the_same_times() -> None:
    import psycopg
    from psycopg.pq import Format

    django_read = uneven_times()
    djangos = timestamptz_loader()
    assert djangos is not psycopg.adapters.get_loader(1184, Format.TEXT)

    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    with ctx.writing():
        assert timestamptz_loader() is psycopg.adapters.get_loader(1184, Format.TEXT)
        fast_read = uneven_times()
    assert fast_read == django_read
    assert all(value.tzinfo is UTC for value in fast_read)
    assert [v.isoformat() for v in fast_read] == [v.isoformat() for v in django_read]
    assert timestamptz_loader() is djangos  # put back when the step ends
    assert "create_cursor" not in vars(connection)
