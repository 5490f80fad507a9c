"""The report a seeder author reads: warnings for a step that adds too little per call (and
--strict), wording, counts that cover every model written, and the post-migrate summary."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

import mentara_seed
from mentara_seed import (
    FillContext,
    Gap,
    Requirement,
    Seeder,
    SeedRegistry,
    StrictFailure,
)
from project.mentara.models import Role, User
from tests.conftest import NOW
from tests.testapp.library_seeding import AuthorSeeder, library_registry
from tests.testapp.models import Author, Book

pytestmark = pytest.mark.django_db

ISO_NOW = NOW.isoformat()


class OneBookPerCallSeeder(AuthorSeeder):
    """Every author needs 3 books; fill_books adds one per author per call, whatever is missing.
    The engine's further passes used to hide it: the run ended satisfied after three passes."""

    requirements = (Requirement("books", minimum=3, count="books"),)

    def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        for gap in gaps:
            ctx.add(Book, author_id=gap.pk, title=f"Book {gap.current}")


SHORT_WARNING = (
    "testapp.Author.books: after the step's own pass 2 entities of the 2 it was asked to fill "
    "still lacked 4 rows; fill_books() adds too little per call"
)


def short_registry() -> SeedRegistry:
    registry = SeedRegistry()
    registry.register(Author, OneBookPerCallSeeder)
    return registry


class TestAStepThatAddsTooLittle:
    def test_is_a_warning_in_the_report_and_in_json(self):
        report = mentara_seed.seed(mode="light", now=NOW, registry=short_registry())

        assert report.satisfied  # the further passes made up for it...
        assert report.warnings == [SHORT_WARNING]  # ...but the report says so
        assert report.as_dict()["warnings"] == [SHORT_WARNING]
        text = mentara_seed.report.render_text(report)
        assert f"1 Warning:\n  - {SHORT_WARNING}\n" in text

    def test_strict_fails_the_python_api_and_keeps_the_rows(self):
        with pytest.raises(StrictFailure) as excinfo:
            mentara_seed.seed(mode="light", now=NOW, registry=short_registry(), strict=True)

        assert str(excinfo.value) == f"strict: 1 warning: {SHORT_WARNING}"
        assert excinfo.value.report.warnings == [SHORT_WARNING]
        assert Book.objects.count() == 6  # the run completed; strict only judges it

    def test_strict_fails_the_command_after_printing_the_report(
        self, register_on_site, run_command
    ):
        register_on_site(Author, OneBookPerCallSeeder)

        result = run_command("seed_dynamic", "--mode", "light", "--strict", "--now", ISO_NOW)

        assert result.code == 1
        assert result.err == f"CommandError: strict: 1 warning: {SHORT_WARNING}"
        assert SHORT_WARNING in result.out
        assert "Satisfied: Yes" in result.out

    def test_without_strict_the_command_succeeds_and_json_lists_it(
        self, register_on_site, run_command
    ):
        register_on_site(Author, OneBookPerCallSeeder)

        result = run_command("seed_dynamic", "--mode", "light", "--format", "json")

        assert result.code == 0
        assert json.loads(result.out)["warnings"] == [SHORT_WARNING]

    def test_a_seeder_that_adds_what_it_is_asked_has_no_warning(self):
        report = mentara_seed.seed(mode="medium", now=NOW, registry=library_registry(), strict=True)
        assert report.warnings == []
        assert report.as_dict()["warnings"] == []

    def test_a_gap_the_seeder_explains_is_not_a_warning(self):
        class ExplainingSeeder(OneBookPerCallSeeder):
            def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
                for gap in gaps:
                    ctx.shortfall(gap, "no more titles")

        registry = SeedRegistry()
        registry.register(Author, ExplainingSeeder)
        report = mentara_seed.seed(mode="light", now=NOW, registry=registry)
        assert report.warnings == []
        assert not report.satisfied
        assert {report.reason(gap) for gap in report.remaining} == {"no more titles"}


class TestWording:
    def test_satisfied_is_said_once_and_populations_are_not_entities(self, run_command):
        text = run_command("seed_dynamic", "--mode", "light", "--now", ISO_NOW).out

        assert text.count("All minimum requirements satisfied!") == 1
        assert "Found 3 populations below the minimum:" in text  # clients, therapists, communities
        assert "entities needing" not in text.split("Step 3")[0]
        assert "1 entities" not in text

    def test_one_entity_is_singular(self, run_command):
        Author.objects.create(name="Hand Made", email="hand@example.org")
        report = mentara_seed.audit(mode="light", now=NOW, registry=library_registry())
        text = mentara_seed.report.render_text(report)
        assert "Found 1 population below the minimum and 1 entity needing more data:" in text
        assert "- testapp.Author.books: 1 item needed across 1 entity" in text

    def test_a_bad_choice_says_error_once(self, run_command):
        result = run_command("seed_dynamic", "--mode", "nope")
        assert result.err.startswith("CommandError: argument --mode: invalid choice")
        assert result.err.count("rror") == 1


class LinkingSeeder(Seeder):
    """Writes to models outside its own app and to a many-to-many table: a user (another app's
    model, as a profile seeder creating auth users would), a group and the link between them."""

    population = 1
    key_field = "email"

    def create(self, ctx: FillContext, count: int) -> None:
        (user,) = ctx.insert(User, [{"username": "linked", "role": Role.CLIENT, "password": "!"}])
        (group,) = ctx.insert(Group, [{"name": "readers"}])
        ctx.add(User.groups.through, user_id=user.pk, group_id=group.pk)
        ctx.add(Author, name="Linked Author", email="linked@example.org")


def test_counts_cover_every_model_the_run_wrote(run_command):
    registry = SeedRegistry()
    registry.register(Author, LinkingSeeder)

    report = mentara_seed.seed(mode="light", now=NOW, registry=registry)

    assert set(report.added) == {
        "auth.Group",
        "mentara.User",
        "mentara.User_groups",
        "testapp.Author",
    }
    assert set(report.added) <= set(report.counts)
    assert report.as_dict()["counts"]["mentara.User_groups"] == 1
    assert report.counts["auth.Group"] == 1
    text = mentara_seed.report.render_text(report)
    assert "  - mentara.User_groups: 1 (now 1)\n" in text
    assert "  - auth.Group: 1 (now 1)\n" in text


def test_counts_cover_the_mentara_demo(run_command):
    report = json.loads(run_command("seed_dynamic", "--mode", "light", "--format", "json").out)
    assert set(report["added"]) <= set(report["counts"])
    assert "mentara.User_groups" in report["counts"]


@pytest.mark.django_db(transaction=True)
def test_the_migrate_hook_shows_rows_per_model(settings):
    settings.DEBUG = True
    settings.MENTARA_SEED = {"ON_MIGRATE": True, "MODE": "light"}
    out = io.StringIO()

    call_command("migrate", verbosity=1, interactive=False, stdout=out)

    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("mentara-seed:"))
    per_model = dict(line.split()[:2] for line in lines[start + 1 : -1])
    report = mentara_seed.audit(mode="light", now=NOW)
    assert per_model["mentara.Post"] == f"+{report.counts['mentara.Post']}"
    assert set(per_model) == {label for label, n in report.counts.items() if n and "." in label} - {
        "mentara.Client",
        "mentara.Therapist",
    }
    assert lines[-1] == "  (the whole report: manage.py migrate -v 2)"
