"""Rows as tuples (``ctx.add_tuples``, ``ctx.appender``) and epoch-second times: the same rows,
completions, claims and data as ``ctx.add``, written column by column."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

import mentara_seed
from mentara_seed import ConfigurationError, FillContext, Gap, SeedRegistry, jobs
from mentara_seed.columns import _decimal_converter, utc_text
from mentara_seed.jobs import WorkerContext, _replay
from mentara_seed.writers import PostgresCopyWriter
from tests.conftest import NOW
from tests.testapp.library_seeding import TITLES, AuthorSeeder, library_registry
from tests.testapp.models import Author, Book, Loan

from .test_custom_app import library_rows

pytestmark = pytest.mark.django_db


class TupleAuthorSeeder(AuthorSeeder):
    """The library's seeder with its books added as tuples: the same draws, fewer fields set
    (isbn and pages are left to the completion stream, as the dict form leaves them)."""

    def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        books = ctx.appender(Book, ("author_id", "title"))
        for gap in gaps:
            for ordinal in range(gap.current, gap.current + gap.missing):
                rng = ctx.rng(gap.key, "books", ordinal)
                books.append((gap.pk, rng.choice(TITLES)))


def tuple_registry() -> SeedRegistry:
    registry = SeedRegistry()
    registry.register(Author, TupleAuthorSeeder)
    return registry


def context() -> FillContext:
    return FillContext(using="default", mode="light", now=NOW, seed=0)


class Discard(Exception):
    pass


def encoding_worker(monkeypatch: Any, make: Any = None) -> WorkerContext:
    """A ``--jobs`` worker's context as on PostgreSQL, where it encodes rows as COPY data (and
    so groups them), ready for a chunk's calls."""
    monkeypatch.setattr(
        jobs, "_ENCODER", (PostgresCopyWriter("default", 5000, bulk_loads=False), {})
    )
    worker = (make or context)()
    worker.__class__ = WorkerContext
    worker.begin_chunk()
    return worker


def serially(calls: Callable[[FillContext], None], written: Callable[[], list]) -> list:
    """What ``calls`` write in a step of a serial run (rolled back after)."""

    def serial() -> list:
        ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
        with ctx.writing():
            calls(ctx)
            ctx.flush()
        return written()

    return rolled_back(serial)


def recorded(monkeypatch: Any, calls: Callable[[FillContext], None]) -> list[list[Any]]:
    """The records an encoding worker makes of ``calls``, as the parent takes them."""
    worker = encoding_worker(monkeypatch)
    calls(worker)
    return finished(worker)


def finished(worker: WorkerContext) -> list[list[Any]]:
    """The worker's records as the parent takes them (encoded where they can be)."""
    return [jobs._finished(worker, record) for record in worker.records]


def replay_in_step(parent: FillContext, records: list[list[Any]]) -> None:
    """Replay ``records`` through ``parent`` as a step does, and write everything."""
    with parent.writing():
        _replay(parent, records)
        parent.flush()


def rolled_back(build: Any) -> Any:
    """What ``build()`` returns, with everything it wrote rolled back."""
    result = None
    try:
        with transaction.atomic():
            result = build()
            raise Discard
    except Discard:
        pass
    return result


def test_fields_left_unset_are_completed_as_add_completes_them():
    by_dicts = rolled_back(
        lambda: (
            mentara_seed.seed(mode="medium", now=NOW, registry=library_registry()),
            library_rows(),
        )[1]
    )
    mentara_seed.seed(mode="medium", now=NOW, registry=tuple_registry())
    assert by_dicts and library_rows() == by_dicts
    assert all(isbn and pages is not None for *_rest, isbn, pages in by_dicts)


def test_mixed_with_add_the_rows_keep_the_order_they_were_queued_in():
    ctx = context()
    author = Author.objects.create(name="A", email="a@example.org")
    ctx.batch_size = 4  # batches cut through runs of tuples and dicts alike
    with ctx.writing():  # as a fill runs: a query first ends a write in flight (MySQL)
        queue_nine(ctx, author)
        assert Book.objects.count() == 8  # two full batches are written, the ninth waits
    ctx.flush()
    titles = list(Book.objects.order_by("pk").values_list("title", flat=True))
    assert titles == [str(n) for n in range(1, 10)]
    assert ctx.added["testapp.Book"] == 9
    assert Book.objects.get(title="8").isbn  # left unset, completed


def queue_nine(ctx: FillContext, author: Author) -> None:
    ctx.add(Book, author_id=author.pk, title="1", isbn="1", pages=1)
    ctx.add_tuples(Book, ("author_id", "title", "isbn", "pages"), [(author.pk, "2", "2", 2)])
    books = ctx.appender(Book, ("author", "title", "isbn", "pages"))  # an instance works too
    books.extend([(author, "3", "3", 3), (author, "4", "4", 4), (author, "5", "5", 5)])
    ctx.add(Book, author_id=author.pk, title="6", isbn="6", pages=6)
    books.append((author, "7", "7", 7))
    ctx.add_tuples(Book, ("author_id", "title"), [(author.pk, "8")])  # completed fields
    ctx.add(Book, author_id=author.pk, title="9", isbn="9", pages=9)


def second_generated_email() -> str:
    """The email a fresh context generates for the second author it adds."""
    ctx = context()
    ctx.add(Author, name="A")
    ctx.flush()
    ctx.add(Author, name="B")
    ctx.flush()
    return Author.objects.get(name="B").email


def test_a_value_a_tuple_sets_is_claimed_before_the_next_generated_one():
    """The next generated email is the one a tuple row already holds: the stream moves on,
    as it does for a row given to ``add``."""

    second = rolled_back(second_generated_email)
    ctx = context()
    ctx.add(Author, name="A")
    ctx.flush()  # the email rule's values are read: from now on, written values are claimed
    ctx.add_tuples(Author, ("name", "email"), [("Hand", second)])
    ctx.add(Author, name="B")
    ctx.flush()
    assert Author.objects.get(name="B").email != second
    assert Author.objects.filter(email=second).count() == 1


def test_a_rolled_back_step_forgets_its_tuples_counts_and_claims():
    """``restore(checkpoint)`` after a rolled-back step: the tuple rows it wrote are not
    counted, and the value they set is free again for the retry's generated rows."""

    second = rolled_back(second_generated_email)
    ctx = context()
    ctx.add(Author, name="A")
    ctx.flush()
    checkpoint = ctx.checkpoint()

    def by_hand() -> None:
        ctx.add_tuples(Author, ("name", "email"), [("Hand", second)])
        ctx.flush()

    rolled_back(by_hand)
    ctx.restore(checkpoint)
    ctx.add(Author, name="B")
    ctx.flush()
    assert ctx.added == {"testapp.Author": 2}
    assert Author.objects.get(name="B").email == second


def test_epoch_seconds_store_what_the_aware_datetime_stores():
    book = Book.objects.create(
        author=Author.objects.create(name="A", email="a@example.org"),
        title="T",
        isbn="1",
        pages=1,
    )
    lent = datetime(2025, 3, 9, 23, 59, 58, tzinfo=UTC)
    recorded = datetime(1969, 12, 31, 23, 0, 1, tzinfo=UTC)  # before 1970: a negative second
    common = {"book_id": book.pk, "fee": Decimal("3.50"), "due": date(2025, 4, 1)}
    ctx = context()
    ctx.add(Loan, reference=UUID(int=1), lent_at=lent, recorded_at=recorded, **common)
    names = ("book_id", "reference", "fee", "due", "lent_at", "recorded_at")
    ctx.add_tuples(
        Loan,
        names,
        [(book.pk, UUID(int=2), common["fee"], common["due"], 1741564798, -3599)],
        epoch=("lent_at", "recorded_at"),
    )
    ctx.flush()
    columns = "reference, details, fee, due, lent_at, recorded_at, shelf, returned"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM testapp_loan ORDER BY id")  # as stored
        by_dict, by_tuple = cursor.fetchall()
    assert by_tuple[1:] == by_dict[1:]
    assert by_tuple[0] != by_dict[0]
    assert list(Loan.objects.order_by("pk").values_list("lent_at", "recorded_at")) == [
        (lent, recorded),
        (lent, recorded),
    ]


def test_utc_text_is_djangos_text_for_the_same_moment():
    for seconds in (0, -1, -86_401, 951_782_400, 1_768_478_400, 4_102_444_799):
        moment = datetime.fromtimestamp(seconds, UTC)
        assert utc_text(seconds) == str(moment.replace(tzinfo=None))


def test_a_dry_run_counts_tuples_and_leaves_nothing():
    report = mentara_seed.seed(mode="light", now=NOW, registry=tuple_registry(), dry_run=True)
    assert report.added == {"testapp.Author": 2, "testapp.Book": 2}
    assert not Author.objects.exists() and not Book.objects.exists()


def test_a_workers_tuples_replay_as_the_serial_rows():
    """What a ``--jobs`` worker records for tuples, dicts (``add``, ``add_rows``) and epoch
    times, replayed by the parent, writes what the same calls write serially."""
    author = Author.objects.create(name="A", email="a@example.org")
    book = Book.objects.create(author=author, title="T", isbn="1", pages=1)

    def calls(ctx: FillContext) -> None:
        ctx.add(Book, author_id=author.pk, title="dict")
        ctx.add_tuples(Book, ("author_id", "title"), [(author.pk, "t1"), (author.pk, "t2")])
        loans = ctx.appender(
            Loan, ("book_id", "reference", "fee", "due", "lent_at"), epoch=("lent_at",)
        )
        loans.append((book.pk, UUID(int=7), Decimal("1.00"), date(2025, 1, 1), 1_700_000_000))
        ctx.add(Book, author_id=author.pk, title="dict again")
        ctx.add_rows(Book, [{"author_id": author.pk, "title": "rows"}])

    def written() -> list[tuple]:
        return [
            *Book.objects.order_by("pk").values_list("title", "isbn", "pages"),
            *Loan.objects.order_by("pk").values_list("lent_at", "recorded_at", "reference"),
        ]

    def serial() -> list[tuple]:
        ctx = context()
        calls(ctx)
        ctx.flush()
        return written()

    expected = rolled_back(serial)
    worker = context()
    worker.__class__ = WorkerContext
    worker.begin_chunk()
    calls(worker)
    assert not worker._buffers  # recorded, not queued
    # One record per run of rows of one shape, whether added as dicts or tuples.
    assert [(record[2], len(record[3])) for record in worker.records] == [
        (("author_id", "title"), 3),
        (("book_id", "reference", "fee", "due", "lent_at"), 1),
        (("author_id", "title"), 2),
    ]
    parent = context()
    _replay(parent, worker.records)
    parent.flush()
    assert written() == expected
    assert expected[-1][0] == datetime.fromtimestamp(1_700_000_000, UTC)


@pytest.mark.backend("postgresql")  # workers encode COPY data on PostgreSQL only
def test_a_workers_rows_that_refer_to_its_inserts_travel_as_copy_data(monkeypatch):
    """Rows a worker adds after an insert, referring to the placeholder keys the insert
    returned, are encoded by the worker with those keys left for the parent to patch in: one
    record per table between inserts, however the fill alternates tables. Rows it cannot encode
    (a JSON column) keep their placeholders for the parent to resolve. Replayed, both write
    what the same calls write serially."""
    author = Author.objects.create(name="Existing", email="existing@example.org")
    shelved = Book.objects.create(author=author, title="Shelved", isbn="0", pages=1)

    def loan(book_id: Any, number: int) -> dict[str, Any]:
        return {
            "book_id": book_id,
            "reference": UUID(int=number),
            "fee": Decimal("1.50"),
            "due": date(2025, 1, number),
            "lent_at": datetime(2025, 1, 1, number, tzinfo=UTC),
        }

    def calls(ctx: FillContext) -> None:
        authors = ctx.insert(
            Author, [{"name": f"A{n}", "email": f"a{n}@example.org"} for n in range(3)]
        )
        books = ctx.appender(Book, ("author_id", "title", "isbn", "pages"))
        for number, new in enumerate(authors, start=1):
            books.extend([(new.pk, f"{new.name} 1", "1", 10), (new.pk, f"{new.name} 2", "2", 20)])
            ctx.add(Loan, **loan(shelved.pk, number))
        [lent] = ctx.insert(
            Book, [{"author_id": authors[1].pk, "title": "Lent", "isbn": "3", "pages": 30}]
        )
        ctx.add_rows(Loan, [loan(lent.pk, 7), loan(shelved.pk, 8)])

    def written() -> list[tuple]:
        return [
            *Author.objects.order_by("pk").values_list("name", "email"),
            *Book.objects.order_by("pk").values_list("author__name", "title", "isbn", "pages"),
            *Loan.objects.order_by("pk").values_list("book__title", "reference", "due"),
        ]

    def serial() -> list[tuple]:
        ctx = context()
        calls(ctx)
        ctx.flush()
        return written()

    expected = rolled_back(serial)
    worker = encoding_worker(monkeypatch)
    calls(worker)
    records = finished(worker)
    assert [(record[0], record[1]) for record in records] == [
        (jobs._INSERT, Author),
        (jobs._COPY, Book),  # the three authors' books, though loans came between them
        (jobs._ADD, Loan),
        (jobs._INSERT, Book),
        (jobs._ADD, Loan),
    ]
    books_record, lent_record = records[1], records[4]
    assert len(books_record[5]) == 6  # the rows' starts in the data
    [(_oid, offsets, refs)] = books_record[6]  # author_id: a placeholder in every row
    assert len(offsets) == 6 and list(refs) == [0, 0, 1, 1, 2, 2]
    assert lent_record[4] == {lent_record[2].index("book_id")}
    parent = context()
    first_writes: list[tuple[str, int]] = []
    decide = parent.writer.bulk_loads.before_first_write

    def spied(table: str, rows: int) -> None:
        first_writes.append((table, rows))
        decide(table, rows)

    monkeypatch.setattr(parent.writer.bulk_loads, "before_first_write", spied)
    _replay(parent, records)
    parent.flush()
    assert written() == expected
    # The books' data was queued and written at once, all six rows before the inserted book, as
    # a serial run's first batch would have been (a table's first write decides whether it is
    # a bulk load).
    assert [rows for table, rows in first_writes if table == Book._meta.db_table] == [6, 1]
    assert expected[5] == ("A0", "A0 1", "1", 10)


@pytest.mark.backend("postgresql")  # workers encode COPY data on PostgreSQL only
def test_a_workers_grouped_rows_never_overtake_rows_of_their_table(monkeypatch):
    """Rows a worker groups join the latest record of their table, never one made before rows
    of the same table that could not be grouped (fields left to complete): the table's rows
    keep the serial order, and so their keys."""
    author = Author.objects.create(name="A", email="a@example.org")
    complete = ("author_id", "title", "isbn", "pages")

    def calls(ctx: FillContext) -> None:
        ctx.add_tuples(Book, complete, [(author.pk, "first", "1", 1)])
        ctx.add_tuples(Book, ("author_id", "title"), [(author.pk, "completed")])
        ctx.add(Author, name="B", email="b@example.org")
        ctx.add_tuples(Book, complete, [(author.pk, "last", "3", 3)])

    def written() -> list[str]:
        return list(Book.objects.order_by("pk").values_list("title", flat=True))

    def serial() -> list[str]:
        ctx = context()
        calls(ctx)
        ctx.flush()
        return written()

    expected = rolled_back(serial)
    assert expected == ["first", "completed", "last"]
    worker = encoding_worker(monkeypatch)
    calls(worker)
    assert [(record[1], len(record[3])) for record in worker.records] == [
        (Book, 1),
        (Book, 1),
        (Author, 1),
        (Book, 1),
    ]
    records = finished(worker)
    parent = context()
    replay_in_step(parent, records)
    assert written() == expected


@pytest.mark.backend("postgresql")  # workers encode COPY data on PostgreSQL only
@pytest.mark.parametrize("read", ["flush", "cached", "candidates"])
def test_what_the_parent_holds_is_written_before_it_reads_the_table(monkeypatch, read):
    """COPY data the parent holds for a table is written before anything flushes or reads that
    table while it replays (a serial run writes its queued rows first), so the read sees them."""
    author = Author.objects.create(name="A", email="a@example.org")
    worker = encoding_worker(monkeypatch)
    rows = [(author.pk, "a", "1", 1), (author.pk, "b", "2", 2)]
    worker.add_tuples(Book, ("author_id", "title", "isbn", "pages"), rows)
    records = finished(worker)
    assert [record[0] for record in records] == [jobs._COPY]
    parent = context()
    # As in a step: any statement ends an open COPY first.
    with parent.writing():
        _replay(parent, records)
        assert not Book.objects.exists()  # queued: a batch's worth has not come
        if read == "flush":
            parent.flush(Book)
            found = Book.objects.count()
        elif read == "cached":
            found = parent.cached("books", Book.objects.count, Book)
        else:
            found = len(parent.candidates(Book).pks)
    assert found == 2
    assert type(parent) is FillContext  # the replay's class is gone with it


@pytest.mark.parametrize(
    ("names", "rows", "epoch", "message"),
    [
        (("author_id", "titel"), [(1, "x")], (), "testapp.Book has no field 'titel'"),
        (("author_id", "title"), [(1, "x", "y")], (), "has 3 values, but its fields are 2"),
        (("author_id", "title"), [(1, "x"), (1,)], (), "has 1 values, but its fields are 2"),
        (("author", "author_id"), [(1, 1)], (), "named twice"),
        ("title", [("x",)], (), "a tuple of names, not one string"),
        (("author_id", "title"), [(1, "x")], ("title",), "is not a DateTimeField"),
        (("author_id", "title"), [(1, "x")], ("pages",), "is not among the rows' fields"),
    ],
)
def test_bad_tuples_are_refused_in_one_line(names, rows, epoch, message):
    ctx = context()
    with pytest.raises(ConfigurationError, match=message):
        ctx.add_tuples(Book, names, rows, epoch=epoch)
    assert not ctx._buffers


def test_an_appender_refuses_a_row_of_the_wrong_length():
    ctx = context()
    books = ctx.appender(Book, ("author_id", "title"))
    with pytest.raises(ConfigurationError, match="has 1 values, but its fields are 2"):
        books.append((1,))
    with pytest.raises(ConfigurationError, match="has 3 values"):
        books.extend([(1, "x"), (1, "x", "y")])
    with pytest.raises(ConfigurationError, match="has no field 'nope'"):
        ctx.appender(Book, ("nope",))
    assert not ctx._buffers


def test_a_decimal_column_is_what_djangos_preparation_gives():
    """Finite Decimals pass as they are where the backend hands them to its driver unchanged;
    every value comes out as Django's preparation makes it, of the same type and text."""

    class Sub(Decimal):
        pass

    field = Loan._meta.get_field("fee")
    convert = _decimal_converter(field, connection)
    if connection.vendor in ("sqlite", "mysql"):  # where Decimals are not native to the writer
        assert convert.many is not None
    values = [Decimal("3.50"), Decimal("-0"), Decimal("1E+2"), None, 7, "4.25", 2.5, Sub("1.5")]
    expected = [None if v is None else field.get_db_prep_save(v, connection) for v in values]
    made = convert.column(values)
    assert [(type(v), str(v)) for v in made] == [(type(v), str(v)) for v in expected]
    with pytest.raises(ValidationError):
        convert.column([Decimal("NaN")])


@pytest.mark.backend("postgresql")  # workers encode (and so group) COPY data on PostgreSQL only
def test_a_workers_grouped_rows_never_overtake_a_record_whose_completion_reads_their_table(
    monkeypatch,
):
    """Rows a worker groups never join a record made before rows of another table whose fields
    are completed when written: that completion (here a loan's book, picked among the books)
    reads the grouped table, and must see the rows a serial run has written by then, not
    later ones."""
    author = Author.objects.create(name="A", email="a@example.org")
    Book.objects.bulk_create(
        Book(author=author, title=f"old{n}", isbn=str(n), pages=n) for n in range(20)
    )
    complete = ("author_id", "title", "isbn", "pages")
    loan = ("reference", "fee", "due", "lent_at")

    def loans(first: int) -> list[tuple[Any, ...]]:
        return [(UUID(int=n), Decimal("1.00"), NOW.date(), NOW) for n in (first, first + 1)]

    def calls(ctx: FillContext) -> None:
        ctx.add_tuples(Book, complete, [(author.pk, "b1", "b1", 1)])
        ctx.add_tuples(Loan, loan, loans(1))
        ctx.add_tuples(Book, complete, [(author.pk, "b2", "b2", 2)])
        ctx.add_tuples(Loan, loan, loans(3))

    def small_context() -> FillContext:
        return FillContext(using="default", mode="light", now=NOW, seed=0, batch_size=2)

    def written() -> list[tuple[str, str]]:
        return list(Loan.objects.order_by("pk").values_list("reference", "book__title"))

    def serial() -> list[tuple[str, str]]:
        ctx = small_context()
        calls(ctx)
        ctx.flush()
        return written()

    expected = rolled_back(serial)
    assert len(expected) == 4
    worker = encoding_worker(monkeypatch, small_context)
    calls(worker)
    # The second book starts a record of its own, after the loans' first.
    assert [(record[1], len(record[3])) for record in worker.records] == [
        (Book, 1),
        (Loan, 2),
        (Book, 1),
        (Loan, 2),
    ]
    records = finished(worker)
    parent = small_context()
    replay_in_step(parent, records)
    assert written() == expected
