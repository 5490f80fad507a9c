"""Determinism: the same state, seed and reference time give the same rows.

Real processes on fresh databases (temporary SQLite files, or new databases on the PostgreSQL or
MariaDB/MySQL server the suite runs against): ``migrate``, ``seed_dynamic``, then ``dumpdata``,
and the dumps are compared whole, every row and every field, primary keys included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from django.utils.dateparse import parse_date, parse_datetime

from project.mentara.seeding import PLATFORM_DAYS
from tests.databases import fresh_databases
from tests.test_reliability import assert_same_content, inspect_all

ROOT = Path(__file__).resolve().parent.parent
NOW_ISO = "2026-01-15T12:00:00Z"
#: Seven whole weeks later: every offset from --now keeps its weekday and time of day.
SHIFT = timedelta(weeks=7)
LATER_ISO = "2026-03-05T12:00:00Z"

#: name -> the seed_dynamic options of that database's run.
RUNS = {
    "a": ("--seed", "7", "--now", NOW_ISO),
    "b": ("--seed", "7", "--now", NOW_ISO),
    "other_seed": ("--seed", "8", "--now", NOW_ISO),
    "later": ("--seed", "7", "--now", LATER_ISO),
}


@dataclass
class Outcome:
    report: dict[str, Any]
    dump: list[dict[str, Any]]

    def rows(self, label: str) -> list[dict[str, Any]]:
        return [row for row in self.dump if row["model"] == label.lower()]


def manage(url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "1",
        # The demo seeds at the end of migrate (medium, at the real now); these runs seed
        # explicitly.
        "MENTARA_SEED_ON_MIGRATE": "0",
    }
    env.pop("MENTARA_SEED_MODE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout


def build(url: str, options: tuple[str, ...]) -> Outcome:
    manage(url, "migrate", "-v0")
    out = manage(url, "seed_dynamic", "--mode", "light", *options, "--format", "json", "-v0")
    report = json.loads(out)  # one JSON object, nothing else on stdout
    dump = json.loads(manage(url, "dumpdata", "mentara", "--indent", "0"))
    return Outcome(report, dump)


@pytest.fixture(scope="module")
def database_urls() -> Iterator[dict[str, str]]:
    """A fresh, empty database per run, on the vendor the suite runs on."""
    with fresh_databases(list(RUNS)) as urls:
        yield dict(zip(RUNS, urls, strict=True))


@pytest.fixture(scope="module")
def outcomes(database_urls: dict[str, str]) -> dict[str, Outcome]:
    # Independent databases: build them side by side.
    with ThreadPoolExecutor(max_workers=len(RUNS)) as pool:
        futures = {name: pool.submit(build, database_urls[name], RUNS[name]) for name in RUNS}
        return {name: future.result() for name, future in futures.items()}


def test_same_seed_and_now_give_identical_databases(
    outcomes: dict[str, Outcome], database_urls: dict[str, str]
) -> None:
    a, b = outcomes["a"], outcomes["b"]
    assert a.report["satisfied"] is True
    assert b.report["satisfied"] is True
    assert a.report["added"] == b.report["added"]
    assert a.report["counts"] == b.report["counts"]
    assert len(a.dump) == sum(a.report["added"].values()) > 100
    assert a.dump == b.dump  # every row, every field, primary keys included

    # And a further run in its own process adds nothing.
    url = database_urls["a"]
    again = json.loads(
        manage(url, "seed_dynamic", "--mode", "light", *RUNS["a"], "--format", "json")
    )
    assert (again["satisfied"], again["added"], again["gaps"]) == (True, {}, [])
    assert json.loads(manage(url, "dumpdata", "mentara", "--indent", "0")) == a.dump


def test_another_seed_gives_other_content(outcomes: dict[str, Outcome]) -> None:
    a, other = outcomes["a"], outcomes["other_seed"]
    assert other.report["satisfied"] is True

    def usernames(outcome: Outcome) -> list[str]:
        return sorted(row["fields"]["username"] for row in outcome.rows("mentara.User"))

    def titles(outcome: Outcome) -> list[str]:
        return [row["fields"]["title"] for row in outcome.rows("mentara.Post")]

    assert usernames(a) != usernames(other)
    assert titles(a) != titles(other)
    assert a.dump != other.dump


def field_types(label: str) -> dict[str, models.Field]:
    model = apps.get_model(label)
    return {field.name: field for field in model._meta.concrete_fields}


def shifted(field: models.Field, early: Any, late: Any) -> bool:
    """Whether ``late`` is ``early`` moved by SHIFT (times), or equal to it (everything else)."""
    if early is None or late is None:
        return early is late
    if isinstance(field, models.DateTimeField):
        return parse_datetime(late) - parse_datetime(early) == SHIFT
    if isinstance(field, models.DateField):
        early_date: date = parse_date(early)
        return parse_date(late) - early_date == SHIFT
    return early == late


def test_a_later_now_shifts_every_time_and_changes_nothing_else(
    outcomes: dict[str, Outcome],
) -> None:
    a, later = outcomes["a"], outcomes["later"]
    assert later.report["satisfied"] is True
    assert later.report["now"].startswith("2026-03-05T12:00:00")
    assert later.report["added"] == a.report["added"]
    assert len(later.dump) == len(a.dump)

    moved = 0
    for early_row, late_row in zip(a.dump, later.dump, strict=True):
        assert (late_row["model"], late_row["pk"]) == (early_row["model"], early_row["pk"])
        fields = field_types(early_row["model"])
        for name, early in early_row["fields"].items():
            late = late_row["fields"][name]
            if name not in fields:  # a many-to-many (none at present) is compared as a whole
                assert late == early, (early_row["model"], early_row["pk"], name)
                continue
            assert shifted(fields[name], early, late), (
                early_row["model"],
                early_row["pk"],
                name,
                early,
                late,
            )
            moved += early != late
    assert moved > len(a.dump), "times should have moved"


def test_runs_happen_at_their_now(outcomes: dict[str, Outcome]) -> None:
    for name, outcome in outcomes.items():
        now = parse_datetime(outcome.report["now"])
        assert isinstance(now, datetime)
        for row in outcome.rows("mentara.Post"):
            created = parse_datetime(row["fields"]["created_at"])
            # After the author signed up, which the demo spreads over its PLATFORM_DAYS.
            assert now - timedelta(days=PLATFORM_DAYS) <= created <= now, (name, row)


def test_the_same_seed_and_now_give_the_same_content_on_every_backend(
    outcomes: dict[str, Outcome], database_urls: dict[str, str]
) -> None:
    """The run on the suite's backend (PostgreSQL, MariaDB/MySQL, or SQLite itself) and a run on
    SQLite hold the same content, every row and field, compared without primary keys (each key
    is replaced by its row's rank in its table): text ordered by a case-insensitive collation
    or a locale must not change what is generated. CI runs this on every backend, so all three
    agree with SQLite, and so with each other."""
    assert outcomes["a"].report["satisfied"]
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{tmp}/across.sqlite3"
        build(sqlite_url, RUNS["a"])
        here, on_sqlite = inspect_all([database_urls["a"], sqlite_url], "light")
    assert here.rows == sum(outcomes["a"].report["added"].values()) > 100
    assert_same_content(here, on_sqlite, f"{connection.vendor} against sqlite")
