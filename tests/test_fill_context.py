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
