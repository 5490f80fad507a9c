"""Wrong input to seed_dynamic and seed_audit: a one-line CommandError, a non-zero exit, nothing
on stdout, and not one row written. The Python API raises a SeedingError for the same mistakes."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import mentara_seed
from mentara_seed.exceptions import ConfigurationError, DatabaseNotReady, SeedingError
from project.mentara.models import Community, Membership, Role, User
from tests.conftest import NOW, table_dump

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """One wrong input: command-line arguments, call_command keyword options, settings
    overrides, or an unmigrated database; and what the error message must say."""

    says: tuple[str, ...]
    args: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] | None = None
    unmigrated: bool = False


CASES = [
    # Command-line arguments: argparse errors, turned into a CommandError.
    pytest.param(Case(("--mode", "invalid choice", "'nope'"), args=("--mode", "nope")), id="mode"),
    pytest.param(Case(("--scale", "at least 1", "0"), args=("--scale", "0")), id="scale-0"),
    pytest.param(Case(("--scale", "at least 1", "-1"), args=("--scale=-1",)), id="scale-neg"),
    pytest.param(
        Case(("--scale", "whole number", "'abc'"), args=("--scale", "abc")), id="scale-abc"
    ),
    pytest.param(Case(("--seed", "whole number", "'abc'"), args=("--seed", "abc")), id="seed-abc"),
    pytest.param(Case(("--seed", "'1.5'"), args=("--seed", "1.5")), id="seed-float"),
    pytest.param(Case(("--now", "ISO-8601", "'yesterday'"), args=("--now", "yesterday")), id="now"),
    pytest.param(
        Case(("--now", "ISO-8601", "'2026-13-45'"), args=("--now", "2026-13-45")), id="now-date"
    ),
    pytest.param(
        Case(
            ("--now", "ISO-8601", "'2026-02-30T10:00:00Z'"), args=("--now", "2026-02-30T10:00:00Z")
        ),
        id="now-feb-30",
    ),
    pytest.param(
        Case(
            ("--now", "no time zone", "'2026-01-01T00:00:00'"), args=("--now=2026-01-01T00:00:00",)
        ),
        id="now-naive",
    ),
    pytest.param(
        Case(("--format", "invalid choice", "'yaml'"), args=("--format", "yaml")), id="format"
    ),
    pytest.param(
        Case(("unknown database", "'replica'", "default"), args=("--database", "replica")),
        id="database",
    ),
    pytest.param(
        Case(("unrecognized", "--frobnicate"), args=("--frobnicate",)), id="unknown-option"
    ),
    # call_command keyword options skip argparse; the engine validates them.
    pytest.param(Case(("unknown mode", "'nope'"), options={"mode": "nope"}), id="kw-mode"),
    pytest.param(Case(("scale", "at least 1", "0"), options={"scale": 0}), id="kw-scale-0"),
    pytest.param(Case(("scale", "'abc'"), options={"scale": "abc"}), id="kw-scale-abc"),
    pytest.param(Case(("seed", "'abc'"), options={"seed": "abc"}), id="kw-seed-abc"),
    pytest.param(
        Case(("timezone-aware",), options={"now": datetime(2026, 1, 1)}), id="kw-now-naive"
    ),
    pytest.param(
        Case(("unknown database", "'replica'"), options={"database": "replica"}), id="kw-database"
    ),
    # MENTARA_SEED['REQUIREMENTS'] overrides.
    pytest.param(
        Case(("'mentara.Patient'", "no seeder"), overrides={"mentara.Patient": {"posts": 1}}),
        id="override-unknown-model",
    ),
    pytest.param(
        Case(("mentara.Client", "tweets"), overrides={"mentara.Client": {"tweets": 1}}),
        id="override-unknown-requirement",
    ),
    pytest.param(
        Case(
            ("mentara.Client.posts", "negative", "-3"), overrides={"mentara.Client": {"posts": -3}}
        ),
        id="override-negative",
    ),
    pytest.param(
        Case(
            ("mentara.Client.therapist", "minimum 2", "above maximum 1"),
            overrides={"mentara.Client": {"therapist": {"min": 2}}},
        ),
        id="override-min-above-max",
    ),
    pytest.param(
        Case(("mentara.Client.posts", "'lots'"), overrides={"mentara.Client": {"posts": "lots"}}),
        id="override-bad-type",
    ),
    pytest.param(
        Case(
            ("mentara.Client.posts", "days"), overrides={"mentara.Client": {"posts": {"days": 3}}}
        ),
        id="override-days-on-non-window",
    ),
    # A database whose migrations are not all applied.
    pytest.param(
        Case(("unapplied migration", "manage.py migrate"), unmigrated=True), id="unmigrated"
    ),
]

COMMANDS = [
    pytest.param(("seed_dynamic",), id="seed_dynamic"),
    pytest.param(("seed_dynamic", "--format", "json"), id="seed_dynamic-json"),
    pytest.param(("seed_dynamic", "--dry-run"), id="seed_dynamic-dry-run"),
    pytest.param(("seed_audit",), id="seed_audit"),
    pytest.param(("seed_audit", "--check", "--format", "json"), id="seed_audit-check-json"),
]


def every_row() -> dict[str, list[tuple[Any, ...]]]:
    return {**table_dump("mentara"), **table_dump("testapp")}


def unapplied_migrations() -> mock._patch:
    """The pipeline's migration check sees one unapplied migration."""
    executor = mock.patch("mentara_seed.pipeline.MigrationExecutor")
    instance = mock.MagicMock()
    instance.migration_plan.return_value = [(mock.Mock(name="mentara.0002_more"), False)]
    executor.new = mock.Mock(return_value=instance)
    return executor


def run_case(run_command, settings, command: tuple[str, ...], case: Case):
    if case.overrides is not None:
        settings.MENTARA_SEED = {**settings.MENTARA_SEED, "REQUIREMENTS": case.overrides}
    with ExitStack() as stack:
        if case.unmigrated:
            stack.enter_context(unapplied_migrations())
        name, *flags = command
        return run_command(name, *flags, *case.args, **case.options)


def assert_one_line_error(result, case: Case) -> str:
    assert result.code != 0
    assert result.out == ""
    assert result.err.startswith("CommandError: ")
    message = result.err.removeprefix("CommandError: ")
    assert "\n" not in message.rstrip("\n"), message
    assert "Traceback" not in message
    for fragment in case.says:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_writes_nothing(run_command, settings, command, case):
    before = every_row()
    assert all(rows == [] for rows in before.values())

    result = run_case(run_command, settings, command, case)

    assert_one_line_error(result, case)
    after = every_row()
    assert after == before
    assert all(rows == [] for rows in after.values())


def hand_made_rows() -> None:
    user = User.objects.create_user("hand.made", "hand@example.org", "x", role=Role.CLIENT)
    community = Community.objects.create(name="Hand Made", slug="hand-made", created_at=NOW)
    Membership.objects.create(user=user, community=community, joined_at=NOW)


@pytest.mark.parametrize("case", CASES)
def test_bad_input_leaves_existing_rows_alone(run_command, settings, case):
    hand_made_rows()
    before = every_row()
    assert sum(map(len, before.values())) == 3

    result = run_case(run_command, settings, ("seed_dynamic",), case)

    assert_one_line_error(result, case)
    assert every_row() == before


SHELL_CASES = [
    # Raised by the engine, inside the command's execute(): Django prints it as one line.
    pytest.param(
        ("--database", "replica"),
        "CommandError: unknown database 'replica'; configured: default",
        id="database",
    ),
    # Raised by the argument parser, before execute().
    pytest.param(
        ("--scale", "0"),
        "CommandError: argument --scale: must be at least 1, got 0",
        id="scale",
    ),
    pytest.param(
        ("--mode", "nope"),
        "CommandError: argument --mode: invalid choice: 'nope' "
        "(choose from 'light', 'medium', 'heavy')",
        id="mode",
    ),
    pytest.param(
        ("--now", "2026-01-01T00:00:00"),
        "CommandError: argument --now: '2026-01-01T00:00:00' has no time zone; "
        "add one, for example 2026-01-01T12:00:00Z",
        id="now-naive",
    ),
]


@pytest.mark.parametrize("command", ["seed_dynamic", "seed_audit"])
@pytest.mark.parametrize(("args", "line"), SHELL_CASES)
def test_command_line_error_is_one_line_on_stderr(command, args, line):
    """From a shell: exit status 1, one line on stderr, nothing on stdout, no traceback.
    (call_command hides how manage.py reports errors, so this runs manage.py.)"""
    completed = run_manage(command, *args)
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [line]
    assert completed.returncode == 1


def run_manage(*args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` with the test settings, as a shell would run it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# The Python API -----------------------------------------------------------------------------


API_CASES = [
    pytest.param({"mode": "nope"}, ConfigurationError, "unknown mode", id="mode"),
    pytest.param({"mode": "LIGHT"}, ConfigurationError, "unknown mode", id="mode-case"),
    pytest.param({"scale": 0}, ConfigurationError, "at least 1", id="scale-0"),
    pytest.param({"scale": True}, ConfigurationError, "at least 1", id="scale-bool"),
    pytest.param({"seed": "1"}, ConfigurationError, "whole number", id="seed-str"),
    pytest.param({"now": datetime(2026, 1, 1)}, ConfigurationError, "timezone", id="now-naive"),
    pytest.param({"database": "replica"}, ConfigurationError, "'replica'", id="database"),
]


@pytest.mark.parametrize("api", ["seed", "seed_database", "audit"])
@pytest.mark.parametrize(("kwargs", "error", "says"), API_CASES)
def test_python_api_raises_configuration_error(api, kwargs, error, says):
    before = every_row()

    with pytest.raises(error, match=says) as excinfo:
        getattr(mentara_seed, api)(**kwargs)

    assert isinstance(excinfo.value, SeedingError)
    assert "\n" not in str(excinfo.value)
    assert every_row() == before


def test_seed_with_an_unknown_mode():
    with pytest.raises(ConfigurationError):
        mentara_seed.seed(mode="nope")
    assert all(rows == [] for rows in every_row().values())


def test_python_api_refuses_bad_overrides(settings):
    settings.MENTARA_SEED = {
        **settings.MENTARA_SEED,
        "REQUIREMENTS": {"mentara.Client": {"therapist": {"min": 2}}},
    }
    with pytest.raises(ConfigurationError, match="above maximum"):
        mentara_seed.seed(mode="light", now=NOW)
    assert all(rows == [] for rows in every_row().values())


def test_python_api_refuses_an_unmigrated_database():
    with unapplied_migrations(), pytest.raises(DatabaseNotReady, match=r"manage\.py migrate"):
        mentara_seed.seed(mode="light", now=NOW)
    assert all(rows == [] for rows in every_row().values())


# --jobs (seed_dynamic only: seed_audit generates nothing) -----------------------------------------

JOBS_CASES = [
    pytest.param(Case(("--jobs", "1 to 64", "'0'"), args=("--jobs", "0")), id="jobs-0"),
    pytest.param(Case(("--jobs", "1 to 64", "'-2'"), args=("--jobs=-2",)), id="jobs-neg"),
    pytest.param(Case(("--jobs", "1 to 64", "'1.5'"), args=("--jobs", "1.5")), id="jobs-float"),
    pytest.param(Case(("--jobs", "1 to 64", "'many'"), args=("--jobs", "many")), id="jobs-word"),
    pytest.param(Case(("--jobs", "1 to 64", "'65'"), args=("--jobs", "65")), id="jobs-65"),
    pytest.param(Case(("jobs", "1 to 64", "0"), options={"jobs": 0}), id="kw-jobs-0"),
    pytest.param(Case(("jobs", "1 to 64", "65"), options={"jobs": 65}), id="kw-jobs-65"),
    pytest.param(Case(("jobs", "1 to 64", "True"), options={"jobs": True}), id="kw-jobs-bool"),
]


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("seed_dynamic",), id="seed_dynamic"),
        pytest.param(("seed_dynamic", "--format", "json"), id="seed_dynamic-json"),
        pytest.param(("seed_dynamic", "--dry-run"), id="seed_dynamic-dry-run"),
    ],
)
@pytest.mark.parametrize("case", JOBS_CASES)
def test_bad_jobs_is_one_line_and_writes_nothing(run_command, settings, command, case):
    hand_made_rows()
    before = every_row()

    result = run_case(run_command, settings, command, case)

    assert_one_line_error(result, case)
    assert every_row() == before


def test_bad_jobs_from_a_shell_is_one_line_on_stderr():
    completed = run_manage("seed_dynamic", "--jobs", "0")
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [
        "CommandError: argument --jobs: expected a whole number from 1 to 64 or 'auto', got '0'"
    ]
    assert completed.returncode == 1


@pytest.mark.parametrize("jobs", [0, -1, 65, 1.5, "1.5", "many", True, [2]])
def test_python_api_refuses_bad_jobs(jobs):
    with pytest.raises(ConfigurationError, match="jobs must be a whole number from 1 to 64"):
        mentara_seed.seed(mode="light", now=NOW, jobs=jobs)
    assert all(rows == [] for rows in every_row().values())


@pytest.mark.parametrize("jobs", [0, 65, "lots", 2.0])
def test_a_bad_jobs_setting_is_refused(settings, jobs):
    settings.MENTARA_SEED = {**settings.MENTARA_SEED, "JOBS": jobs}
    with pytest.raises(ConfigurationError, match=r"MENTARA_SEED\['JOBS'\] must be .*E013"):
        mentara_seed.seed(mode="light", now=NOW)
    assert all(rows == [] for rows in every_row().values())
