"""Per-entity targets: a requirement with a distribution gives each entity its own count."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext, override_settings

import mentara_seed
from mentara_seed import (
    ConfigurationError,
    FillContext,
    Gap,
    Levels,
    LongTail,
    Requirement,
    SeedRegistry,
    Uniform,
)
from mentara_seed.plan import build_steps
from tests.conftest import NOW
from tests.testapp.library_seeding import AuthorSeeder
from tests.testapp.models import Author, Book

pytestmark = pytest.mark.django_db

BOOKS_CAP = Levels(6, 12, 40)


class SpreadAuthorSeeder(AuthorSeeder):
    population = Levels(light=30, medium=60, heavy=60)
    requirements = (
        Requirement(
            "books",
            minimum=Levels(1, 2, 3),
            count="books",
            distribution=LongTail(alpha=1.2, cap=BOOKS_CAP),
        ),
    )


class RangeAuthorSeeder(AuthorSeeder):
    population = 40
    requirements = (
        Requirement("books", minimum=1, maximum=5, count="books", distribution=Uniform()),
    )


def registry_for(seeder: type[AuthorSeeder]) -> SeedRegistry:
    registry = SeedRegistry()
    registry.register(Author, seeder)
    return registry


def books_per_author() -> dict[str, int]:
    return dict(Author.objects.annotate(n=Count("books")).values_list("email", "n"))


def own_targets(registry: SeedRegistry, mode: str) -> dict[str, int]:
    (_population, books) = build_steps(registry, mode=mode)
    return {email: books.target.for_entity(email) for email in books_per_author()}


@pytest.mark.parametrize("mode", ["light", "medium"])
def test_each_entity_gets_its_own_target_between_minimum_and_cap(mode):
    registry = registry_for(SpreadAuthorSeeder)
    report = mentara_seed.seed(mode=mode, now=NOW, registry=registry)

    assert report.satisfied
    counts = books_per_author()
    minimum = Levels(1, 2, 3)[mode]
    assert counts == own_targets(registry, mode)
    assert min(counts.values()) == minimum
    assert max(counts.values()) <= BOOKS_CAP[mode]
    # A long tail: most near the minimum, some far above it.
    assert max(counts.values()) >= 3 * minimum
    assert statistics.median(counts.values()) < statistics.mean(counts.values())
    assert statistics.pstdev(counts.values()) / statistics.mean(counts.values()) >= 0.4


def test_uniform_spreads_between_minimum_and_the_requirements_maximum():
    registry = registry_for(RangeAuthorSeeder)
    assert mentara_seed.seed(mode="light", now=NOW, registry=registry).satisfied

    counts = books_per_author()
    assert set(counts.values()) == {1, 2, 3, 4, 5}
    assert counts == own_targets(registry, "light")


def test_a_second_run_and_another_seed_add_nothing():
    registry = registry_for(SpreadAuthorSeeder)
    mentara_seed.seed(mode="light", now=NOW, registry=registry)
    before = books_per_author()

    for seed in (0, 99):
        again = mentara_seed.seed(mode="light", now=NOW, seed=seed, registry=registry)
        assert again.satisfied
        assert again.gaps == []
        assert again.added == {}
    assert books_per_author() == before


def test_rows_deleted_by_hand_come_back_to_that_entity_in_the_same_number():
    registry = registry_for(SpreadAuthorSeeder)
    mentara_seed.seed(mode="light", now=NOW, registry=registry)
    before = books_per_author()
    busiest = max(before, key=lambda email: (before[email], email))
    assert before[busiest] >= 3
    doomed = list(Book.objects.filter(author__email=busiest).order_by("pk")[:2])
    for book in doomed:
        book.delete()

    audit = mentara_seed.audit(mode="light", now=NOW, registry=registry)
    [gap] = audit.gaps
    assert (gap.key, gap.current, gap.required, gap.missing) == (
        busiest,
        before[busiest] - 2,
        before[busiest],
        2,
    )

    report = mentara_seed.seed(mode="light", now=NOW, registry=registry)
    assert report.added == {"testapp.Book": 2}
    assert books_per_author() == before


def test_a_later_mode_tops_each_entity_up_to_its_own_target():
    registry = registry_for(SpreadAuthorSeeder)
    mentara_seed.seed(mode="light", now=NOW, registry=registry)
    light = books_per_author()

    mentara_seed.seed(mode="medium", now=NOW, registry=registry)

    medium = books_per_author()
    targets = own_targets(registry, "medium")
    for email, count in medium.items():
        # Never below the entity's own target; above it only where light had given more.
        assert count == max(targets[email], light.get(email, 0))


def test_the_audit_query_count_does_not_grow_with_entities():
    registry = registry_for(SpreadAuthorSeeder)
    mentara_seed.seed(mode="light", now=NOW, registry=registry)
    with CaptureQueriesContext(connection) as few:
        mentara_seed.audit(mode="light", now=NOW, registry=registry)
    mentara_seed.seed(mode="medium", now=NOW, registry=registry)
    with CaptureQueriesContext(connection) as many:
        mentara_seed.audit(mode="medium", now=NOW, registry=registry)
    assert Author.objects.count() == 60
    assert len(few) == len(many)


def test_targets_depend_on_the_entity_and_requirement_only():
    (_population, books) = build_steps(registry_for(SpreadAuthorSeeder), mode="heavy")
    targets = [books.target.for_entity(f"author{n}@example.org") for n in range(2000)]
    assert targets == [books.target.for_entity(f"author{n}@example.org") for n in range(2000)]
    # What the audit asks per entity, bound once: the same targets.
    bound = books.target.targets()
    assert targets == [bound(f"author{n}@example.org") for n in range(2000)]
    assert min(targets) == 3
    assert max(targets) == 40
    # About one in ten at four times the minimum or more (alpha 1.2: (1/4) ** 1.2 = 0.19).
    assert 0.1 < sum(t >= 12 for t in targets) / len(targets) < 0.3


@pytest.mark.parametrize(
    ("seeder_requirement", "override", "message"),
    [
        (
            Requirement("books", minimum=1, count="books", distribution=Uniform()),
            None,
            "Uniform() needs high= or a maximum",
        ),
        (
            Requirement("books", minimum=5, count="books", distribution=Uniform(high=3)),
            None,
            "cap 3 is below the minimum 5",
        ),
        (
            Requirement("books", minimum=1, maximum=4, count="books", distribution=LongTail(cap=9)),
            None,
            "cap 9 is above the maximum 4",
        ),
        (
            Requirement("books", minimum=1, count="books"),
            {"cap": 3},
            "'cap' applies only to a requirement with a distribution",
        ),
        (
            Requirement("books", minimum=1, count="books", distribution=LongTail()),
            {"min": 20, "cap": 10},
            "cap 10 is below the minimum 20",
        ),
    ],
)
def test_inconsistent_distributions_are_configuration_errors(seeder_requirement, override, message):
    seeder = type("BadSeeder", (AuthorSeeder,), {"requirements": (seeder_requirement,)})
    overrides = {"testapp.Author": {"books": override}} if override else {}
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        build_steps(registry_for(seeder), mode="light", overrides=overrides)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LongTail(alpha=0),
        lambda: LongTail(alpha="steep"),
        lambda: LongTail(cap=-1),
        lambda: Uniform(high=2.5),
        lambda: Requirement("books", count="books", distribution=10),
    ],
)
def test_malformed_distributions_are_refused_where_declared(make):
    with pytest.raises(ConfigurationError):
        make()


def test_the_cap_override_narrows_the_spread():
    registry = registry_for(SpreadAuthorSeeder)
    override = {"testapp.Author": {"books": {"cap": 1}}}
    with override_settings(MENTARA_SEED={"ALLOW_PRODUCTION": True, "REQUIREMENTS": override}):
        report = mentara_seed.seed(mode="light", now=NOW, registry=registry)
    assert report.satisfied
    assert set(books_per_author().values()) == {1}


def test_a_parent_can_ask_for_a_childs_own_target():
    seen: dict[str, int] = {}

    class PeekingSeeder(SpreadAuthorSeeder):
        def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
            for gap in gaps:
                seen[gap.key] = ctx.target_for("testapp.Author.books", gap.key)
                assert seen[gap.key] == gap.required
            super().fill_books(ctx, gaps)

    mentara_seed.seed(mode="light", now=NOW, registry=registry_for(PeekingSeeder))
    assert seen == books_per_author()


def test_an_entity_draw_is_derive_seed_of_its_step_and_key() -> None:
    """The draw is hashed from a copy of the step's prefix state (not cached per entity): it must
    stay exactly ``derive_seed``'s, or every target under a distribution would move."""
    from mentara_seed.distributions import entity_draw
    from mentara_seed.rand import derive_seed

    for step_id in ("mentara.Conversation.messages", "app.Model.rows"):
        for key in ("", "#0", "alice#12", "3f2b8c1e-0000-4000-8000-000000000000", "zoë"):
            expected = derive_seed("mentara_seed.target", step_id, key) / 2.0**64
            assert entity_draw(step_id, key) == expected
