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


@pytest.mark.django_db
def test_seeded_fixtures_in_a_users_suite(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    url = _inner_database_url()
    if url:
        monkeypatch.setenv("DATABASE_URL", url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
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
