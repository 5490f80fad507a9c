"""FillContext: reads cached across steps are dropped as soon as the run writes what they read."""

from __future__ import annotations

import pytest

from mentara_seed import FillContext
from tests.testapp.models import Author, Book

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_a_cached_read_is_reloaded_after_rows_of_its_model_are_written():
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    author = Author.objects.create(name="A", email="a@example.org")
    loads = []

    def books() -> int:
        loads.append(1)
        return Book.objects.count()

    assert ctx.cached("books", books, Book) == 0
    assert ctx.cached("books", books, Book) == 0
    assert len(loads) == 1  # the second call was served from the cache

    ctx.add(Book, author_id=author.pk, title="T", isbn="1", pages=1)  # queued, not written yet
    assert ctx.cached("books", books, Book) == 1  # queued rows are written first, then reread
    assert len(loads) == 2

    ctx.add(Author, name="B", email="b@example.org")
    ctx.flush()
    assert ctx.cached("books", books, Book) == 1
    assert len(loads) == 2  # rows of another model do not invalidate it


def test_a_generated_unique_value_avoids_what_a_later_step_wrote_by_hand():
    """A row maker is kept across steps, but not its unique claims: a value the next step's
    seeder set itself (or any row written since) is seen, so a generated email does not repeat
    it. Found by reading the code: the cached maker kept the first step's set, which the end of
    the step no longer updates."""
    from django.db import transaction

    def steps(ctx: FillContext, by_hand: str | None) -> str:
        ctx.add(Author, name="A")  # email generated
        ctx.flush()
        ctx._end_step()
        if by_hand is not None:
            ctx.add(Author, name="Hand", email=by_hand)  # the seeder's own value
        ctx.add(Author, name="C")
        ctx.flush()
        return Author.objects.get(name="C").email

    class Discard(Exception):
        pass

    try:
        with transaction.atomic():
            generated = steps(FillContext(using="default", mode="light", now=NOW, seed=0), None)
            raise Discard
    except Discard:
        pass
    email = steps(FillContext(using="default", mode="light", now=NOW, seed=0), generated)
    assert email != generated
    assert Author.objects.filter(email=generated).count() == 1


def test_rows_of_one_batch_may_set_different_fields():
    """A seeder's rows of one model need not set the same fields: each keeps what it set (an
    email is not drawn over the seeder's own) and gets what it left unset, in the order added."""
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    ctx.add(Author, name="Drawn")
    ctx.add(Author, name="Own", email="own@example.org")
    ctx.add(Author, name="Drawn too")
    ctx.flush()
    authors = list(Author.objects.order_by("pk").values_list("name", "email"))
    assert [name for name, _email in authors] == ["Drawn", "Own", "Drawn too"]
    assert authors[1][1] == "own@example.org"
    assert authors[0][1] and authors[2][1] and authors[0][1] != authors[2][1]
