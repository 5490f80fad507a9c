"""``stream``: many rows read a chunk at a time on every backend, identical to a buffered read.

On MySQL and MariaDB ``QuerySet.iterator()`` gets every row into Python at once (mysqlclient's
default cursor stores the whole result); ``stream`` reads them through an unbuffered cursor.
"""

from __future__ import annotations

import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F

from mentara_seed.ordering import CodePointOrder
from mentara_seed.streaming import stream
from tests.testapp.models import Author, Book, Loan

pytestmark = pytest.mark.django_db(transaction=True)

#: Names a case-insensitive collation orders unlike code points, and ties for the key.
NAMES = ["ada", "Ada", "ábel", "Zoë", "zed", "American", "ability", "a b", "a", "B", "b ", "ß"]


def _library(books: int, tag: str = "a") -> None:
    authors = Author.objects.bulk_create(
        Author(name=NAMES[i % len(NAMES)], email=f"{tag}{i}@example.org") for i in range(40)
    )
    Book.objects.bulk_create(
        Book(author=authors[i % 40], title=NAMES[i % 7] + str(i % 13), isbn=str(i), pages=i % 300)
        for i in range(books)
    )


def _loans(count: int) -> None:
    book = Book.objects.order_by("pk").first()
    start = datetime(2026, 1, 15, 12, tzinfo=UTC)
    Loan.objects.bulk_create(
        Loan(
            book=book,
            reference=uuid.UUID(int=i * 7919),
            details={"n": i, "tag": NAMES[i % len(NAMES)]},
            fee=Decimal(i % 1000) / 100,
            due=date(2026, 1, 1) + timedelta(days=i % 90),
            lent_at=start - timedelta(seconds=i * 37, microseconds=i),
            returned=i % 3 == 0,
        )
        for i in range(count)
    )


def test_the_rows_and_their_order_are_a_buffered_reads() -> None:
    """Every form of queryset (tuples, flat, named, dicts, instances, annotations), ordered by
    code point, by the collation and by a timestamp: the same values, of the same types, in the
    same order as ``list(queryset)``, with chunks that split ties."""
    _library(3000)
    _loans(500)
    books = Book.objects.order_by(CodePointOrder("title"), "pk")
    loans = Loan.objects.order_by("-lent_at", "pk")
    querysets = [
        books.values_list("pk", "title", "author__name", "pages"),
        Book.objects.order_by("title", "-pk").values_list("title", flat=True),
        books.annotate(doubled=F("pages") * 2).values_list("doubled", "title", named=True),
        books.values("author__email", "isbn"),
        Author.objects.order_by(CodePointOrder("name"), "pk"),
        loans.values_list(
            "reference", "details", "fee", "due", "lent_at", "recorded_at", "shelf", "returned"
        ),
        loans,
    ]
    for queryset in querysets:
        expected = list(queryset)
        for chunk in (7, 1000, 5000):
            got = list(stream(queryset, chunk))
            assert got == expected, (queryset.query, chunk)
            assert [type(row) for row in got] == [type(row) for row in expected]
            if queryset.model is Loan and not isinstance(expected[0], Loan):
                assert [list(map(type, row)) for row in got] == [
                    list(map(type, row)) for row in expected
                ]
    if connection.vendor == "mysql":
        # The collation's order and the code points' differ here: the test can tell them apart.
        by_collation = list(Author.objects.order_by("name", "pk").values_list("name", flat=True))
        assert by_collation != sorted(by_collation)


def test_a_read_of_many_rows_holds_a_chunk_not_the_result() -> None:
    """Reading 60,000 rows 500 at a time allocates a chunk's worth of Python objects at once;
    a read that gets the whole result first (mysqlclient's default cursor, as Django's
    ``iterator()`` on MySQL and MariaDB) allocates about 10 MB."""
    _library(60_000)
    queryset = Book.objects.order_by("pk").values_list("pk", "author_id", "pages", "title")
    count = 0
    tracemalloc.start()
    try:
        for _row in stream(queryset, 500):
            count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 60_000
    assert peak < 1_500_000, peak


def test_it_reads_the_rows_of_the_open_transaction() -> None:
    """Inside a step's transaction: the rows it wrote and has not committed are read."""
    _library(100)
    with transaction.atomic():
        tenth = Book.objects.order_by("pk").values_list("pk", flat=True)[9]
        Book.objects.filter(pk__lte=tenth).delete()
        _library(5, tag="new")
        kept = list(Book.objects.order_by("pk").values_list("pk", flat=True))
        assert list(stream(Book.objects.order_by("pk").values_list("pk", flat=True), 7)) == (kept)
        assert len(kept) == 95


def test_the_connection_is_free_once_the_rows_are_read_or_the_read_is_closed() -> None:
    _library(500)
    queryset = Book.objects.order_by("pk").values_list("pk", flat=True)
    rows = stream(queryset, 10)
    first = [next(rows) for _ in range(15)]
    rows.close()  # 485 rows unread
    assert Book.objects.count() == 500
    assert first == list(queryset[:15])
    assert sum(1 for _ in stream(queryset, 10)) == 500
    assert Book.objects.filter(pages__gte=0).count() == 500
    assert list(stream(Book.objects.none(), 10)) == []
    assert list(stream(Book.objects.filter(pk__lt=0), 10)) == []
    assert Author.objects.count() == 40


@pytest.mark.backend("mysql")
def test_a_query_while_rows_are_still_unread_is_refused_in_words() -> None:
    """MySQL's unbuffered result blocks its connection until every row is read: the driver
    refuses a statement in between ("Commands out of sync"), and the read fails too: an error,
    never wrong rows. A read closed early leaves the connection working."""
    import MySQLdb
    from django.db.utils import ProgrammingError

    _library(500)
    rows = stream(Book.objects.order_by("pk").values_list("pk", flat=True), 10)
    first = [next(rows) for _ in range(15)]
    with pytest.raises((ProgrammingError, MySQLdb.ProgrammingError), match="out of sync"):
        Author.objects.count()
    assert len(first) == 15
    with pytest.raises((ProgrammingError, MySQLdb.ProgrammingError), match="out of sync"):
        list(rows)
    connection.close()  # the driver leaves it out of sync
    rows = stream(Book.objects.order_by("pk").values_list("pk", flat=True), 10)
    next(rows)
    rows.close()
    assert Author.objects.count() == 40


@pytest.mark.backend("mysql")
def test_iterator_alone_buffers_on_mysql() -> None:
    """Why ``stream`` exists: Django's ``iterator()`` on MySQL and MariaDB gets the whole
    result into Python before the first row (if a later mysqlclient or Django streams, this
    fails and ``stream`` may go)."""
    _library(20_000)
    queryset = Book.objects.order_by("pk").values_list("pk", "author_id", "pages", "title")
    tracemalloc.start()
    try:
        rows = queryset.iterator(500)
        next(rows)
        peak = tracemalloc.get_traced_memory()[1]
        rows.close()
    finally:
        tracemalloc.stop()
    assert peak > 2_000_000, peak
