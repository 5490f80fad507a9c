"""The fast paths (COPY on PostgreSQL, multi-row INSERTs on MariaDB/MySQL, executemany elsewhere)
write exactly what the portable path (bulk_create) writes."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

import mentara_seed
from mentara_seed import SeedRegistry
from mentara_seed.mysql import MysqlInsertWriter, _literals
from mentara_seed.writers import (
    BulkCreateWriter,
    ExecutemanyWriter,
    PostgresCopyWriter,
    writer_for,
)
from tests.testapp.library_seeding import AuthorSeeder
from tests.testapp.models import Author, Book, Loan

from .conftest import NOW, content_dump

pytestmark = pytest.mark.django_db


def wipe() -> None:
    for model in reversed(list(apps.get_app_config("mentara").get_models())):
        if not model._meta.proxy:
            model._base_manager.all().delete()


def seeded_content(settings, **options) -> dict:
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, **options}
    wipe()
    report = mentara_seed.seed(mode="medium", seed=11, now=NOW)
    assert report.satisfied
    return content_dump()


def test_copy_on_postgresql_multi_row_inserts_on_mysql_executemany_elsewhere():
    writer = writer_for("default", 100)
    expected = {"postgresql": PostgresCopyWriter, "mysql": MysqlInsertWriter}
    assert type(writer) is expected.get(connection.vendor, ExecutemanyWriter)
    assert type(writer_for("default", 100, fast=False)) is BulkCreateWriter


def test_fast_and_portable_paths_write_the_same_rows(settings):
    fast = seeded_content(settings)
    portable = seeded_content(settings, FAST_PATH=False)
    assert fast == portable
    assert sum(len(rows) for rows in fast.values()) > 500


def test_the_batch_size_does_not_change_the_rows(settings):
    # Batches smaller than the population: rows queued early are flushed before the step ends.
    default = seeded_content(settings)
    small = seeded_content(settings, BATCH_SIZE=2)
    assert small == default


def test_a_dry_run_reports_what_the_fast_path_then_adds(settings):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True}
    planned = mentara_seed.seed(mode="light", now=NOW, dry_run=True)
    done = mentara_seed.seed(mode="light", now=NOW)
    assert planned.added == done.added
    assert done.satisfied


class QueryingBookSeeder(AuthorSeeder):
    """Queries the ORM between adds: the open COPY stream must end before each query."""

    seen: ClassVar[list[int]] = []

    def fill_books(self, ctx, gaps):
        for gap in gaps:
            for ordinal in range(gap.missing):
                ctx.add(Book, author_id=gap.pk, title=f"Book {ordinal}", isbn="1", pages=1)
                type(self).seen.append(Book.objects.filter(author_id=gap.pk).count())


class FailingBookSeeder(AuthorSeeder):
    def fill_books(self, ctx, gaps):
        for gap in gaps:
            ctx.add(Book, author_id=gap.pk, title="Half", isbn="1", pages=1)
        raise RuntimeError("a seeder bug")


def test_seeders_may_query_between_adds_while_rows_stream(settings):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, "BATCH_SIZE": 1}
    registry = SeedRegistry()
    registry.register(Author, QueryingBookSeeder)
    QueryingBookSeeder.seen = []
    report = mentara_seed.seed(mode="medium", now=NOW, registry=registry)
    assert report.satisfied
    # Each query saw every book added before it: the stream was ended first.
    assert QueryingBookSeeder.seen == [1, 2, 3] * Author.objects.count()


def test_a_failing_step_rolls_back_its_stream_and_the_connection_stays_usable(settings):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, "BATCH_SIZE": 1}
    registry = SeedRegistry()
    registry.register(Author, FailingBookSeeder)
    with pytest.raises(RuntimeError, match="a seeder bug"):
        mentara_seed.seed(mode="light", now=NOW, registry=registry)
    assert Author.objects.count() == 2  # the population step landed whole
    assert not Book.objects.exists()  # the failing step left nothing


def loan_rows(book: Book, *, by_instance: bool) -> list[dict[str, Any]]:
    book_value = {"book": book} if by_instance else {"book_id": book.pk}
    return [
        {
            **book_value,
            "reference": uuid.UUID(int=n + 1),
            "details": {"n": n, "tags": ["a", "b"]},
            "fee": Decimal("12.50") + n,
            "due": date(2026, 2, n + 1),
            "lent_at": NOW - timedelta(days=n, seconds=n),
        }
        for n in range(3)
    ]


@pytest.mark.parametrize("returning", [False, True])
@pytest.mark.parametrize("by_instance", [False, True])
def test_every_writer_stores_what_bulk_create_stores(by_instance, returning):
    """Converted types (UUID, JSON, Decimal, dates), a parent given as an instance, a Python
    default, a database default and auto_now_add: the fast writer matches bulk_create."""
    author = Author.objects.create(name="A", email="a@example.org")
    book = Book.objects.create(author=author, title="T", isbn="1", pages=1)
    stored = {}
    for fast in (False, True):
        Loan.objects.all().delete()
        writer = writer_for("default", 2, fast=fast)
        started = timezone.now()
        writer.write(Loan, loan_rows(book, by_instance=by_instance), returning=returning)
        writer.finish()
        loans = list(Loan.objects.order_by("reference").values())
        assert len(loans) == 3
        for loan in loans:
            assert started <= loan.pop("recorded_at") <= timezone.now()
            loan.pop("id")
        stored[fast] = loans
    assert stored[True] == stored[False]
    first = stored[True][0]
    assert (first["book_id"], first["shelf"], first["returned"]) == (book.pk, "main", False)
    assert first["details"] == {"n": 0, "tags": ["a", "b"]}
    assert first["lent_at"] == NOW


@pytest.mark.parametrize("fast", [False, True])
def test_every_writer_keeps_an_auto_now_add_value_the_row_gives(fast):
    """bulk_create would stamp recorded_at with the wall clock; a seeder's (the run's) value is
    kept on every path."""
    author = Author.objects.create(name="A", email="a@example.org")
    book = Book.objects.create(author=author, title="T", isbn="1", pages=1)
    given = NOW - timedelta(days=3)
    rows = [{**row, "recorded_at": given} for row in loan_rows(book, by_instance=False)]
    writer = writer_for("default", 2, fast=fast)
    writer.write(Loan, rows, returning=False)
    writer.finish()

    assert set(Loan.objects.values_list("recorded_at", flat=True)) == {given}
    # The field's own flags are back for everyone else.
    assert Loan._meta.get_field("recorded_at").auto_now_add


#: Text a writer must quote and escape exactly as the driver does.
AWKWARD_TEXT = (
    "O'Brien",
    'say "hi"',
    "back\\slash \\' and \\\\",
    "100% %s %(name)s {0}",
    "line\nbreak\ttab\r",
    "emoji \U0001f331 and accents \u00e9\u00e8",
    "",
    "trailing space ",
    "-- not a comment; DROP TABLE x",
)


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_awkward_text_is_stored_as_bulk_create_stores_it(batch_size):
    stored = {}
    for fast in (False, True):
        Author.objects.all().delete()
        writer = writer_for("default", batch_size, fast=fast)
        writer.write(
            Author,
            [{"name": text, "email": f"a{n}@example.org"} for n, text in enumerate(AWKWARD_TEXT)],
            returning=False,
        )
        writer.finish()
        stored[fast] = list(Author.objects.order_by("email").values_list("email", "name"))
    assert stored[True] == stored[False]
    assert [name for _email, name in stored[True]] == list(AWKWARD_TEXT)  # a0..a8 in order


@pytest.mark.backend("mysql")
def test_the_mysql_writers_literals_are_the_drivers_own():
    """The writer's C-speed literals (whole int, bool and text columns, None among them) are
    byte for byte what mysqlclient's own ``literal()`` makes of each value."""
    connection.ensure_connection()
    driver = connection.connection
    columns = [
        [1, None, -7, 2**40, 0],
        [True, None, False],
        [*AWKWARD_TEXT, None],
        [None, None],
        [1.5, None, 2],
        [Decimal("12.50"), date(2026, 2, 1), None],
    ]
    for values in columns:
        assert _literals(driver, values) == [driver.literal(value) for value in values]
