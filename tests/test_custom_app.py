"""The engine on an app that is not Mentara: the test-only library app and its own registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import mentara_seed
from mentara_seed import ConfigurationError, FillContext, Gap, Seeder, SeedRegistry
from tests.conftest import NOW, table_dump
from tests.testapp.library_seeding import AuthorSeeder, library_registry
from tests.testapp.models import Author, Book

pytestmark = pytest.mark.django_db


def library_rows() -> list[tuple[Any, ...]]:
    """Every generated value, keyed by natural keys rather than primary keys."""
    return list(
        Book.objects.order_by("author__email", "title", "isbn").values_list(
            "author__email", "author__name", "title", "isbn", "pages"
        )
    )


def test_light_mode_stocks_the_library():
    report = mentara_seed.seed(mode="light", now=NOW, registry=library_registry(), strict=True)

    assert report.satisfied
    assert report.remaining == []
    assert report.added == {"testapp.Author": 2, "testapp.Book": 2}
    # Every model of the app is counted, seeded or not.
    assert report.counts == {"testapp.Author": 2, "testapp.Book": 2, "testapp.Loan": 0}
    assert Author.objects.count() == 2
    for author in Author.objects.all():
        assert author.books.count() >= 1
        assert author.name.strip()
    assert sorted(Author.objects.values_list("email", flat=True)) == [
        "author0@example.org",
        "author1@example.org",
    ]


def test_the_mentara_tables_are_not_touched():
    before = table_dump("mentara")
    mentara_seed.seed(mode="light", now=NOW, registry=library_registry())
    assert table_dump("mentara") == before


def test_model_bakery_completes_the_required_fields():
    mentara_seed.seed(mode="light", now=NOW, registry=library_registry())

    books = list(Book.objects.all())
    assert len(books) == 2
    for book in books:
        assert isinstance(book.isbn, str)
        assert book.isbn.strip()
        assert len(book.isbn) <= 13
        assert isinstance(book.pages, int)
        assert book.pages >= 0
        book.full_clean()


@pytest.mark.parametrize("mode", ["light", "medium"])
def test_a_second_run_adds_nothing(mode):
    registry = library_registry()
    first = mentara_seed.seed(mode=mode, now=NOW, registry=registry, strict=True)
    assert first.satisfied
    assert first.added
    before = table_dump("testapp")

    second = mentara_seed.seed(mode=mode, now=NOW, registry=registry, strict=True)

    assert second.satisfied
    assert second.gaps == []
    assert second.added == {}
    assert table_dump("testapp") == before


def test_audit_reports_the_gaps_and_writes_nothing():
    report = mentara_seed.audit(mode="light", now=NOW, registry=library_registry())

    assert not report.satisfied
    assert [(g.step.id, g.current, g.required, g.missing) for g in report.gaps] == [
        ("testapp.Author.population", 0, 2, 2)
    ]
    assert Author.objects.count() == Book.objects.count() == 0


def test_the_same_seed_gives_the_same_values():
    registry = library_registry()
    mentara_seed.seed(mode="medium", seed=3, now=NOW, registry=registry)
    first = library_rows()
    assert len(first) == 5 * 3
    assert len({isbn for *_, isbn, _ in first}) > 1

    Author.objects.all().delete()
    assert Book.objects.count() == 0
    mentara_seed.seed(mode="medium", seed=3, now=NOW, registry=registry)

    assert library_rows() == first

    Author.objects.all().delete()
    mentara_seed.seed(mode="medium", seed=4, now=NOW, registry=registry)
    other = library_rows()
    assert [row[3] for row in other] != [row[3] for row in first]


def test_a_hand_made_author_gets_books_and_is_not_changed():
    author = Author.objects.create(name="Hand Made", email="hand@example.org")

    report = mentara_seed.seed(mode="light", now=NOW, registry=library_registry())

    assert report.satisfied
    author_row = Author.objects.values_list("pk", "name", "email").get(pk=author.pk)
    assert author_row == (author.pk, "Hand Made", "hand@example.org")
    assert author.books.count() == 1
    # One author existed, so the population step adds one more, numbered after it.
    assert Author.objects.count() == 2
    assert report.added == {"testapp.Author": 1, "testapp.Book": 2}


class OrphanBookSeeder(Seeder):
    """Adds books and forgets their author: a required ForeignKey left unset."""

    population = 2

    def create(self, ctx: FillContext, count: int) -> None:
        for n in range(count):
            ctx.add(Book, title=f"Orphan {n}")


class ForgetfulAuthorSeeder(AuthorSeeder):
    """A books requirement whose fill forgets author_id."""

    def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        for gap in gaps:
            for _ in range(gap.missing):
                ctx.add(Book, title="No author")


def test_a_required_foreign_key_left_unset_is_a_clear_error():
    registry = SeedRegistry()
    registry.register(Book, OrphanBookSeeder)

    with pytest.raises(ConfigurationError) as excinfo:
        mentara_seed.seed(mode="light", now=NOW, registry=registry)

    message = str(excinfo.value)
    assert "testapp.Book.author" in message
    assert "required relation" in message
    assert "\n" not in message
    assert Book.objects.count() == 0
    assert Author.objects.count() == 0


def test_an_unset_foreign_key_in_a_fill_rolls_back_that_step():
    registry = SeedRegistry()
    registry.register(Author, ForgetfulAuthorSeeder)

    with pytest.raises(ConfigurationError, match=r"testapp\.Book\.author"):
        mentara_seed.seed(mode="light", now=NOW, registry=registry)

    # The population step had completed in its own transaction; the books step wrote nothing.
    assert Author.objects.count() == 2
    assert Book.objects.count() == 0
