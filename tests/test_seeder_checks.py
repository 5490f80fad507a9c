"""Mistakes in a seeder: each is a system check error naming the seeder and the requirement in
`manage.py check`, and the same line from the commands and the Python API, with nothing written
and no traceback (docs/reference.md, "System checks")."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.core.management import ManagementUtility, call_command
from django.core.management.base import SystemCheckError
from django.db.models import Q

import mentara_seed
from mentara_seed import ConfigurationError, FillContext, Gap, Requirement, Seeder
from mentara_seed.validation import CHECK_IDS, resolve_path
from tests.conftest import NOW, table_dump
from tests.testapp.models import Author, Book

pytestmark = pytest.mark.django_db


class BookshelfSeeder(Seeder):
    """A correct seeder of authors; each mistake below changes one attribute of it."""

    key_field = "email"
    label_field = "name"
    requirements: Sequence[Requirement] = (Requirement("books", minimum=1, count="books"),)

    def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        for gap in gaps:
            for ordinal in range(gap.current, gap.current + gap.missing):
                ctx.add(Book, author_id=gap.pk, title=f"Book {ordinal}")


def books(**fields: Any) -> tuple[Requirement, ...]:
    return (Requirement("books", **{"minimum": 1, "count": "books", **fields}),)


MISTAKES = [
    pytest.param(
        {"requirements": books(count="order")},
        "mentara_seed.E020",
        ("requirement 'books'", "count='order'", "no field 'order'", "books"),
        id="count-unknown",
    ),
    pytest.param(
        {"requirements": books(count="name")},
        "mentara_seed.E020",
        ("count='name'", "plain field", "not a relation"),
        id="count-plain-field",
    ),
    pytest.param(
        {"requirements": books(filter=Q(books__titel="Small Steps"))},
        "mentara_seed.E021",
        ("filter=", "titel"),
        id="filter",
    ),
    pytest.param(
        {"requirements": books(recent="books__published_at", window_days=30)},
        "mentara_seed.E022",
        ("recent='books__published_at'", "no field 'published_at'"),
        id="recent-unknown",
    ),
    pytest.param(
        {"requirements": books(recent="books__title", window_days=30)},
        "mentara_seed.E022",
        ("recent='books__title'", "CharField", "not a date"),
        id="recent-not-a-date",
    ),
    pytest.param(
        {"requirements": books(when=Q(nmae="x"))},
        "mentara_seed.E023",
        ("when=", "nmae"),
        id="when",
    ),
    pytest.param(
        {"key_field": "mail"},
        "mentara_seed.E024",
        ("key_field='mail'", "no field 'mail'"),
        id="key-field-unknown",
    ),
    pytest.param(
        {"key_field": "books__title"},
        "mentara_seed.E024",
        ("key_field='books__title'", "many-valued"),
        id="key-field-many-valued",
    ),
    pytest.param(
        {"label_field": "user__username"},
        "mentara_seed.E025",
        ("label_field='user__username'", "no field 'user'"),
        id="label-field-path",
    ),
    pytest.param(
        {"requirements": books(window_days=30)},
        "mentara_seed.E026",
        ("window_days=", "no recent="),
        id="window-without-recent",
    ),
]


def mistaken(attributes: dict[str, Any]) -> type[Seeder]:
    return type("BookshelfSeeder", (BookshelfSeeder,), dict(attributes))


def manage_py(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """manage.py as the shell runs it (system checks included), in this process. The command
    closes every connection when it ends, as a process about to exit would; the test's own
    connection (and its transaction) must stay open, so that is left out."""
    try:
        with mock.patch("django.core.management.base.connections.close_all"):
            ManagementUtility(["manage.py", *argv]).execute()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_correct_seeder_passes(register_on_site):
    register_on_site(Author, BookshelfSeeder)
    assert [m for m in run_checks() if m.id and m.id.startswith("mentara_seed.")] == []
    report = mentara_seed.seed(mode="light", now=NOW)
    assert report.satisfied


@pytest.mark.parametrize(("attributes", "error_id", "says"), MISTAKES)
def test_a_seeder_mistake_is_one_check_error_and_one_command_line(
    register_on_site, capsys, run_command, attributes, error_id, says
):
    register_on_site(Author, mistaken(attributes))
    before = table_dump("testapp"), table_dump("mentara")

    # manage.py check: one error with this id, naming the seeder and the mistake.
    errors = [m for m in run_checks() if m.id and m.id.startswith("mentara_seed.")]
    assert [error.id for error in errors] == [error_id]
    (error,) = errors
    assert error.msg.startswith("BookshelfSeeder (testapp.Author)")
    assert "\n" not in error.msg
    for fragment in says:
        assert fragment in error.msg
    with pytest.raises(SystemCheckError, match=error_id):
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())

    line = f"CommandError: {error.msg} ({error_id})"
    # The commands from a shell: the same line, alone, exit status 1.
    for argv in (("seed_dynamic", "--mode", "light"), ("seed_audit",), ("seed_audit", "--check")):
        code, out, err = manage_py(capsys, *argv)
        assert (code, out) == (1, "")
        assert err.splitlines() == [line], argv
    # call_command skips Django's checks: the engine says the same before anything else.
    for name in ("seed_dynamic", "seed_audit"):
        result = run_command(name, "--mode", "light")
        assert result.code == 1
        assert result.err == line
    with pytest.raises(ConfigurationError) as excinfo:
        mentara_seed.seed(mode="light", now=NOW)
    assert f"CommandError: {excinfo.value}" == line

    assert (table_dump("testapp"), table_dump("mentara")) == before


def test_every_check_id_is_covered_by_a_mistake():
    assert {param.values[1] for param in MISTAKES} == set(CHECK_IDS)


def test_paths_through_foreign_keys_are_accepted(register_on_site):
    class ShelfSeeder(Seeder):
        key_field = "author__email"  # like user__username: a path through a foreign key
        label_field = "author__name"
        requirements = (Requirement("loans", minimum=0, count="loans"),)

        def fill_loans(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
            raise AssertionError("minimum 0: never asked")

    register_on_site(Book, ShelfSeeder)
    assert [m for m in run_checks() if m.id and m.id.startswith("mentara_seed.")] == []
    assert [f.name for f in resolve_path(Book, "author__email")] == ["author", "email"]


def test_several_mistakes_are_listed_by_check_and_counted_by_the_commands(
    register_on_site, run_command
):
    register_on_site(Author, mistaken({"key_field": "mail", "requirements": books(count="order")}))
    ids = sorted(m.id for m in run_checks() if m.id and m.id.startswith("mentara_seed."))
    assert ids == ["mentara_seed.E020", "mentara_seed.E024"]
    result = run_command("seed_dynamic", "--mode", "light")
    assert result.code == 1
    assert "\n" not in result.err
    assert result.err.endswith("and 1 more (manage.py check lists them all)")


def test_a_callable_when_is_checked_when_the_audit_runs(register_on_site, capsys, run_command):
    """A callable builds its condition from the run's context: `check` cannot see inside it
    (docs/reference.md says so), and the audit turns its mistake into the same kind of line."""
    register_on_site(Author, mistaken({"requirements": books(when=lambda ctx: Q(nmae="x"))}))
    assert [m for m in run_checks() if m.id and m.id.startswith("mentara_seed.")] == []
    before = table_dump("testapp")

    code, out, err = manage_py(capsys, "seed_dynamic", "--mode", "light")

    assert (code, out) == (1, "")
    (line,) = err.splitlines()[-1:]
    assert line.startswith("CommandError: BookshelfSeeder (testapp.Author), requirement 'books': ")
    assert "nmae" in line
    assert "Traceback" not in err
    result = run_command("seed_audit", "--mode", "light")
    assert result.code == 1 and "nmae" in result.err and "\n" not in result.err
    assert table_dump("testapp") == before
