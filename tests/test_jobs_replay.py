"""``--jobs``: the parent replays a worker's COPY data where a serial run writes the tuples it
stands for, in the model's queue: queued rows are completed, and unique values claimed, at the
moments of a serial run."""

from __future__ import annotations

import pytest

from mentara_seed import FillContext, jobs
from tests.conftest import NOW
from tests.testapp.models import Author, Book

from .test_tuples import recorded, replay_in_step, rolled_back, serially

pytestmark = pytest.mark.django_db

COMPLETE = ("author_id", "title", "isbn", "pages")


@pytest.mark.backend("postgresql")
def test_copy_data_does_not_write_queued_rows_of_its_table_before_a_serial_run_would(monkeypatch):
    """A worker's rows of a table that need completing (a book whose author is picked) are
    queued by the parent; the worker's next rows of that table travel as COPY data, queued behind
    them. A serial run completes the queued rows only when the batch is written (here at the end
    of the step), after the new authors were queued, which are then candidates too; so does the
    replay (it used to write the queued rows as soon as the COPY data came)."""
    existing = Author.objects.create(name="Existing", email="existing@example.org")

    def calls(ctx: FillContext) -> None:
        ctx.add_tuples(Book, ("title", "isbn", "pages"), [("picked", "p", 1)])  # author picked
        ctx.add_tuples(Book, COMPLETE, [(existing.pk, "c1", "1", 1), (existing.pk, "c2", "2", 2)])
        ctx.add_tuples(
            Author, ("name", "email"), [(f"N{n}", f"n{n}@example.org") for n in range(20)]
        )

    def written() -> list[tuple[str, str]]:
        return list(Book.objects.order_by("pk").values_list("title", "author__name"))

    expected = serially(calls, written)
    records = recorded(monkeypatch, calls)
    assert [(record[0], record[1]) for record in records] == [
        (jobs._ADD, Book),
        (jobs._COPY, Book),
        (jobs._COPY, Author),
    ]
    parent = FillContext(using="default", mode="light", now=NOW, seed=0)
    replay_in_step(parent, records)
    assert written() == expected


@pytest.mark.backend("postgresql")
def test_copy_data_claims_the_unique_values_it_sets(monkeypatch):
    """A worker's rows that set a unique value themselves travel as COPY data (the worker sees
    no unique rule to track: it completes nothing), but the parent does track the rule once it
    completed an earlier row's email. The COPY data carries the rows' emails, which the parent
    claims when it writes them, so the next generated email is drawn again as in a serial run
    (unclaimed, the replay wrote a duplicate)."""
    from .test_tuples import second_generated_email

    second = rolled_back(second_generated_email)

    def calls(ctx: FillContext) -> None:
        ctx.add(Author, name="A")
        ctx.add_tuples(
            Author, ("name", "email"), [("Hand", second), ("Hand2", "hand2@example.org")]
        )
        ctx.add(Author, name="B")

    def written() -> list[tuple[str, str]]:
        return list(Author.objects.order_by("pk").values_list("name", "email"))

    expected = serially(calls, written)
    assert len({email for _name, email in expected}) == 4
    records = recorded(monkeypatch, calls)
    assert [(record[0], record[1]) for record in records] == [
        (jobs._ADD, Author),
        (jobs._COPY, Author),
        (jobs._ADD, Author),
    ]
    parent = FillContext(using="default", mode="light", now=NOW, seed=0)

    def replayed() -> list[tuple[str, str]]:
        replay_in_step(parent, records)
        return written()

    assert rolled_back(replayed) == expected
