"""The pytest plugin, exercised the way a user's suite would: an inner pytest run (pytester)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

from tests.databases import server_url

REPO = Path(__file__).resolve().parent.parent

USER_TESTS = """
import pytest
from project.mentara.models import Client, Community, Post


def test_seeded_db_has_the_light_population(seeded_db):
    assert seeded_db.mode == "light"
    assert Client.objects.count() >= 8
    assert Community.objects.count() >= 3


def test_rows_written_by_a_test_are_rolled_back(seeded_db):
    Post.objects.all().delete()
    assert not Post.objects.exists()


def test_the_previous_test_did_not_leak(seeded_db):
    assert Post.objects.count() >= 8 * 2
    assert seeded_db.added == {}  # the session already seeded: this is a no-op audit


@pytest.mark.mentara_seed(mode="medium")
def test_a_marker_tops_up_to_another_mode(seeded_db):
    assert seeded_db.mode == "medium"
    assert Client.objects.count() >= 20


def test_after_the_marker_test_the_light_data_is_back(seeded_db):
    assert 8 <= Client.objects.count() < 20


def test_transactional_db_is_seeded_too(seeded_transactional_db):
    assert Client.objects.count() >= 8


def test_seeded_db_refills_after_a_transactional_test_emptied_the_tables(seeded_db):
    assert Client.objects.count() >= 8
"""


def _inner_database_url() -> str | None:
    """On a server, the inner run needs a database of its own (ours is in use); named after ours,
    so suites run side by side on one server do not collide."""
    if connection.vendor == "sqlite":
        return None
    return server_url(f"{connection.settings_dict['NAME']}_plugin")


def use_this_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner run imports this repository's settings and uses a database of its own."""
    monkeypatch.setenv("PYTHONPATH", f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    url = _inner_database_url()
    if url:
        monkeypatch.setenv("DATABASE_URL", url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.mark.django_db
def test_seeded_fixtures_in_a_users_suite(pytester: pytest.Pytester, monkeypatch) -> None:
    use_this_repository(monkeypatch)
    pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\nmentara_seed_mode = light\n"
        "mentara_seed_now = 2026-01-15T12:00:00+00:00\n"
    )
    pytester.makepyfile(test_user_suite=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--create-db", "-q")
    result.assert_outcomes(passed=7)


def test_the_plugin_is_registered_through_its_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("mentara_seed")
    assert pytestconfig.getini("mentara_seed_mode") == "light"


def test_without_pytest_django_a_seeded_fixture_fails_in_one_line(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_user_suite="def test_feed(seeded_db):\n    pass\n"
        "def test_live(seeded_transactional_db):\n    pass\n"
        "def test_plain():\n    assert True\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:django", "-p", "no:cacheprovider", "-q")

    result.assert_outcomes(passed=1, errors=2)
    line = "mentara-seed's seeded fixtures need pytest-django: pip install 'mentara-seed[pytest]'"
    output = result.stdout.str()
    assert output.count(line) >= 2
    assert "not found" not in output
    assert "Traceback" not in output


@pytest.mark.django_db
def test_a_reference_time_without_a_zone_is_refused(pytester: pytest.Pytester, monkeypatch):
    """The ini option goes through the same parser as --now, time-zone check included."""
    use_this_repository(monkeypatch)
    pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\n"
        "mentara_seed_now = 2026-01-15T12:00:00\n"
    )
    pytester.makepyfile(test_user_suite="def test_feed(seeded_db):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--create-db", "-q")

    result.assert_outcomes(errors=1)
    assert "mentara_seed_now: '2026-01-15T12:00:00' has no time zone" in result.stdout.str()


@pytest.mark.django_db
def test_strict_fails_the_fixtures_on_a_warning(pytester: pytest.Pytester, monkeypatch):
    """mentara_seed_strict = true: a seeder that adds too little per call fails the fixture."""
    use_this_repository(monkeypatch)
    pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\nmentara_seed_strict = true\n"
        "mentara_seed_now = 2026-01-15T12:00:00+00:00\n"
    )
    pytester.makeconftest(
        "from mentara_seed.registry import site\n"
        "from tests.test_report import OneBookPerCallSeeder\n"
        "from tests.testapp.models import Author\n\n"
        "def pytest_configure(config):\n"
        "    import django\n"
        "    django.setup()\n"
        "    site.register(Author, OneBookPerCallSeeder)\n"
    )
    pytester.makepyfile(test_user_suite="def test_feed(seeded_db):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--create-db", "-q")

    result.assert_outcomes(errors=1)
    assert "strict: 1 warning: testapp.Author.books" in result.stdout.str()
