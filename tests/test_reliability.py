"""Reliability: real processes, real crashes, collisions with hand-made rows, broken environments.

- four ``seed_dynamic`` processes started together on one fresh database add one run's worth of
  rows: one of them fills, the other three wait on the run lock, find nothing missing and agree;
- a ``--mode heavy`` run killed with SIGKILL mid-fill leaves only whole steps behind, and the next
  run ends with exactly the content of a run that was never interrupted;
- hand-made rows that hold the values the generator would pick (usernames, emails, community
  names and slugs, licence numbers) push it to other values, deterministically, without an
  IntegrityError;
- an unreachable server or an unmigrated database is one ``CommandError:`` line and writes nothing;
- no run ever sends an UPDATE or a DELETE.

The subprocess tests run against fresh databases of the vendor the suite runs on (temporary SQLite
files, or PostgreSQL databases created and dropped here), so they exercise the real locks.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

import mentara_seed
from project.mentara.models import (
    ClientProfile,
    ClientTherapist,
    Community,
    Conversation,
    ConversationParticipant,
    Membership,
    Message,
    Post,
    Role,
    TherapistProfile,
    User,
)
from tests.conftest import NOW
from tests.databases import fresh_databases as shared_fresh_databases
from tests.databases import mysql_server, server_url

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
NOW_ISO = "2026-01-15T12:00:00Z"
SEED_OPTIONS = ("--seed", "3", "--now", NOW_ISO, "--format", "json")
#: Messages every conversation is created with (docs/design.md, "conversations / messages in each").
MESSAGES_PER_CONVERSATION = {"light": 3, "medium": 5, "heavy": 10}
#: Where a run is killed, as a fraction of the statements an uninterrupted run sends (the same
#: statements on any machine, under any load, so each kill lands at the same point every time).
KILL_POINTS = (0.15, 0.45, 0.75)
PROCESS_TIMEOUT = 300


# Fresh databases and subprocesses -----------------------------------------------------------------


def subprocess_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("MENTARA_SEED_MODE", "DJANGO_DEBUG"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        MENTARA_SEED_ON_MIGRATE="0",
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
    )
    return env


@contextmanager
def sigint_as_at_a_terminal() -> Iterator[None]:
    """Children started in the block get SIGINT's default disposition, as a command typed at a
    terminal does. A suite started in the background by a non-interactive shell inherits SIGINT
    ignored, and so would its children: Python then installs no KeyboardInterrupt handler, the
    signal is lost and the paused run simply finishes. A handler (unlike SIG_IGN) is reset to
    the default by exec, so setting one here for the duration of the fork is enough."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def popen_manage(database_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, MANAGE, *args],
        cwd=ROOT,
        env=subprocess_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    try:
        out, err = process.communicate(timeout=PROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"{process.args} did not finish in {PROCESS_TIMEOUT}s; stderr:\n{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return finish(popen_manage(database_url, *args))


def seed_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def migrate_all(urls: Sequence[str]) -> None:
    """``manage.py migrate -v0`` in every database, the processes side by side."""
    for result in [finish(p) for p in [popen_manage(url, "migrate", "-v0") for url in urls]]:
        assert result.returncode == 0, result.stderr


@contextmanager
def fresh_databases(count: int, *, migrate: bool = True) -> Iterator[list[str]]:
    """URLs of ``count`` new, empty databases of the suite's vendor, removed afterwards."""
    with shared_fresh_databases([f"reliability{index}" for index in range(count)]) as urls:
        if migrate:
            migrate_all(urls)
        yield urls


# Reading a database from outside: a pk-agnostic dump and the whole-step checks --------------------

INSPECT = r"""
import json, sys
import django
django.setup()
from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q
from project.mentara.models import (
    ClientProfile, Conversation, Role, TherapistProfile, User,
)

minimum_messages = int(sys.argv[1])
models = [m for m in apps.get_app_config("mentara").get_models() if not m._meta.proxy]
ranks = {
    m._meta.label: {
        pk: rank
        for rank, pk in enumerate(m._base_manager.order_by("pk").values_list("pk", flat=True))
    }
    for m in models
}

def rank(model, value):
    table = ranks.get(model._meta.concrete_model._meta.label)
    return value if value is None or table is None else table[value]

dump, counts = {}, {}
for model in models:
    fields = model._meta.concrete_fields
    rows = []
    for values in model._base_manager.order_by("pk").values_list(*(f.attname for f in fields)):
        row = {}
        for field, value in zip(fields, values):
            if field.primary_key:
                value = rank(model, value)
            elif field.is_relation:
                value = rank(field.related_model, value)
            elif value is not None and not isinstance(value, (bool, int, float, str)):
                value = str(value)
            row[field.attname] = value
        rows.append(json.dumps(row, sort_keys=True))
    dump[model._meta.label] = sorted(rows)
    counts[model._meta.label] = len(rows)

half_written = []
for pk, messages, participants in Conversation.objects.annotate(
    m=Count("messages", distinct=True), p=Count("participations", distinct=True)
).values_list("pk", "m", "p"):
    if messages < minimum_messages or participants != 2:
        half_written.append(f"conversation {pk}: {messages} messages, {participants} participants")
for role, profile in ((Role.CLIENT, ClientProfile), (Role.THERAPIST, TherapistProfile)):
    for username in (
        User.objects.filter(role=role)
        .exclude(Exists(profile.objects.filter(user=OuterRef("pk"))))
        .values_list("username", flat=True)
    ):
        half_written.append(f"{role} {username} has no {profile.__name__}")

print(json.dumps({"dump": dump, "counts": counts, "half_written": half_written}))
"""


@dataclass
class Inspection:
    dump: dict[str, list[str]]
    counts: dict[str, int]
    half_written: list[str]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def inspect_all(database_urls: Sequence[str], mode: str) -> list[Inspection]:
    """Each database read by its own process, the processes side by side."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", INSPECT, str(MESSAGES_PER_CONVERSATION[mode])],
            cwd=ROOT,
            env=subprocess_env(url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for url in database_urls
    ]
    inspections = []
    for result in [finish(process) for process in processes]:
        assert result.returncode == 0, result.stderr
        inspections.append(Inspection(**json.loads(result.stdout)))
    return inspections


def assert_same_content(actual: Inspection, expected: Inspection, what: str) -> None:
    assert actual.counts == expected.counts, what
    for label, rows in expected.dump.items():
        assert actual.dump[label] == rows, f"{what}: {label} differs"


# 1. Concurrency --------------------------------------------------------------------------------


def test_four_processes_at_once_add_exactly_one_runs_rows() -> None:
    with fresh_databases(2) as (shared, alone):
        processes = [
            popen_manage(shared, "seed_dynamic", "--mode", "light", *SEED_OPTIONS) for _ in range(4)
        ]
        reports = [seed_json(finish(process)) for process in processes]
        single = seed_json(manage(alone, "seed_dynamic", "--mode", "light", *SEED_OPTIONS))

        assert all(report["satisfied"] for report in reports)
        writers = [report for report in reports if sum(report["added"].values())]
        assert len(writers) == 1, [report["added"] for report in reports]
        assert writers[0]["added"] == single["added"]
        for report in reports:
            assert report["counts"] == single["counts"]
            if report is not writers[0]:
                assert report["added"] == {}
                assert not any(gap["missing"] for gap in report["gaps"])
        together, one = inspect_all([shared, alone], "light")
        assert together.half_written == []
        assert_same_content(together, one, "4 processes")


# 2. Crash recovery -----------------------------------------------------------------------------


@dataclass
class Kill:
    point: float
    statement: int
    rows_at_kill: int = 0


#: The demo's settings with the test-only statement hook (``tests/statement_hook_settings.py``).
HOOKED_SETTINGS = "tests.statement_hook_settings"


def popen_hooked_heavy_run(database_url: str, **hook: str) -> subprocess.Popen[str]:
    env = subprocess_env(database_url)
    env.update(DJANGO_SETTINGS_MODULE=HOOKED_SETTINGS, **hook)
    return subprocess.Popen(
        [sys.executable, MANAGE, "seed_dynamic", "--mode", "heavy", *SEED_OPTIONS],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_statements(total: int) -> list[int]:
    """For each of KILL_POINTS, the statement (1-based) at that fraction of the ``total`` the
    uninterrupted run sent."""
    return [max(1, round(point * total)) for point in KILL_POINTS]


def test_a_run_killed_mid_fill_leaves_whole_steps_and_the_rerun_converges(tmp_path) -> None:
    """Each kill is a real SIGKILL, sent by the run to itself just before the statement at 15%,
    45% and 75% of the statements the uninterrupted run sent: the same statements a run sends
    on every machine and under any load, so each kill lands at the same point of the run every
    time (a kill after a delay could come after a slowed run had finished)."""
    with fresh_databases(1 + len(KILL_POINTS)) as (reference, *victims):
        log = tmp_path / "statements.log"
        uninterrupted = popen_hooked_heavy_run(reference, MENTARA_TEST_STATEMENT_LOG=str(log))
        assert seed_json(finish(uninterrupted))["satisfied"]
        total = len(log.read_text().splitlines())
        kills = [
            Kill(point, statement)
            for point, statement in zip(KILL_POINTS, kill_statements(total), strict=True)
        ]
        # Side by side: a kill no longer depends on when it happens.
        killed = [
            popen_hooked_heavy_run(url, MENTARA_TEST_KILL_AT_STATEMENT=str(kill.statement))
            for url, kill in zip(victims, kills, strict=True)
        ]
        for kill, process in zip(kills, killed, strict=True):
            result = finish(process)
            assert result.returncode == -signal.SIGKILL, (kill, result.stderr)

        for kill, after_kill in zip(kills, inspect_all(victims, "heavy"), strict=True):
            kill.rows_at_kill = after_kill.rows
            assert after_kill.half_written == [], f"killed at {kill}"
        reruns = [
            popen_manage(url, "seed_dynamic", "--mode", "heavy", *SEED_OPTIONS) for url in victims
        ]
        for process in reruns:
            assert seed_json(finish(process))["satisfied"]

        expected, *recovered = inspect_all([reference, *victims], "heavy")
        assert expected.rows > 20_000
        for kill, actual in zip(kills, recovered, strict=True):
            assert_same_content(actual, expected, f"killed at {kill}")

    print(f"{total} statements; kills: {kills}")  # shown with pytest -s / -rP
    # At least one kill must land between two commits, or the test proved nothing about crashes
    # (the first point may come before the first commit: whole steps only holds there too).
    assert any(0 < kill.rows_at_kill < expected.rows for kill in kills), kills


# 4. Bad environments ---------------------------------------------------------------------------


def assert_one_command_error_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("CommandError:")
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("command", ["seed_dynamic", "seed_audit"])
def test_an_unreachable_server_is_one_command_error_line(command: str) -> None:
    """A server of the suite's vendor (PostgreSQL on SQLite) on a port nobody listens on."""
    url = (
        "postgres://postgres@127.0.0.1:1/nowhere"
        if connection.vendor == "sqlite"
        else server_url("nowhere", port=1)
    )
    result = manage(url, command, "--mode", "light", "--format", "json")
    assert_one_command_error_line(result, "database")


#: Importing the driver fails, as it does where it was never installed.
MISSING_MODULE = 'raise ImportError("No module named {name!r}")\n'


@pytest.mark.parametrize(
    ("url", "modules", "hint"),
    [
        ("mysql://root@127.0.0.1:3306/nowhere", ("MySQLdb",), "mentara-seed[mysql]"),
        ("postgres://postgres@127.0.0.1:5432/nowhere", ("psycopg", "psycopg2"), "psycopg"),
    ],
    ids=["mysqlclient", "psycopg"],
)
@pytest.mark.parametrize("command", ["seed_dynamic", "seed_audit"])
def test_a_missing_database_driver_is_one_command_error_line(
    command: str, url: str, modules: tuple[str, ...], hint: str, tmp_path: Path
) -> None:
    for name in modules:
        (tmp_path / f"{name}.py").write_text(MISSING_MODULE.format(name=name))
    env = subprocess_env(url)
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{ROOT}"
    result = finish(
        subprocess.Popen(
            [sys.executable, MANAGE, command, "--mode", "light"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    assert_one_command_error_line(result, "driver", hint)


def convert_to_myisam(database_url: str, table: str) -> None:
    """``table`` moved to MyISAM, an engine without transactions (after dropping the foreign
    keys it takes part in: MySQL refuses to move such a table, and MyISAM keeps none)."""
    name = database_url.rsplit("/", 1)[1]
    with mysql_server() as cursor:
        cursor.execute(
            "SELECT table_name, constraint_name FROM information_schema.referential_constraints"
            " WHERE constraint_schema = %s AND (table_name = %s OR referenced_table_name = %s)",
            [name, table, table],
        )
        for owner, constraint in cursor.fetchall():
            cursor.execute(f"ALTER TABLE `{name}`.`{owner}` DROP FOREIGN KEY `{constraint}`")
        cursor.execute(f"ALTER TABLE `{name}`.`{table}` ENGINE=MyISAM")


@pytest.mark.backend("mysql")
def test_a_database_without_innodb_is_one_command_error_line_and_stays_empty() -> None:
    """MariaDB and MySQL: a seeded table in a storage engine without transactions (MyISAM here,
    which both servers have) could not roll a failed step back. The table is moved after the
    migration: MySQL cannot migrate the demo onto MyISAM (no index on a generated column)."""
    with fresh_databases(1) as (url,):
        convert_to_myisam(url, "mentara_post")
        result = manage(url, "seed_dynamic", "--mode", "light", *SEED_OPTIONS)
        assert_one_command_error_line(result, "mentara_post (MyISAM)", "InnoDB")
        (inspection,) = inspect_all([url], "light")
        assert inspection.rows == 0


def table_names(database_url: str) -> list[str]:
    code = (
        "import django; django.setup(); from django.db import connection; "
        "print(*connection.introspection.table_names())"
    )
    result = finish(
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=subprocess_env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("command", ["seed_dynamic", "seed_audit"])
def test_an_unmigrated_database_says_migrate_first_and_stays_empty(command: str) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="mentara-unmigrated-") as directory,
        fresh_databases(1, migrate=False) as (vendor_url,),
    ):
        sqlite_file = Path(directory) / "never-migrated.sqlite3"
        urls = [f"sqlite:///{sqlite_file}"]
        if not vendor_url.startswith("sqlite"):
            urls.append(vendor_url)
        for url in urls:
            result = manage(url, command, "--mode", "light", *SEED_OPTIONS)
            assert_one_command_error_line(result, "run manage.py migrate first")
            assert table_names(url) == [], url
        with sqlite3.connect(sqlite_file) as raw:
            assert raw.execute("SELECT name FROM sqlite_master").fetchall() == []
        assert not Path(f"{sqlite_file}.mentara-seed.lock").exists()


# 3. Unique values that hand-made rows already hold -----------------------------------------------


def mentara_models() -> list[Any]:
    return [m for m in apps.get_app_config("mentara").get_models() if not m._meta.proxy]


def flush_mentara() -> None:
    for model in reversed(mentara_models()):
        model._base_manager.all().delete()
    assert all(not model._base_manager.exists() for model in mentara_models())


@dataclass(frozen=True)
class Generated:
    """The unique values the seeder chose, in creation order (hand-made rows left out)."""

    clients: tuple[tuple[str, str], ...]
    therapists: tuple[tuple[str, str], ...]
    licenses: tuple[str, ...]
    communities: tuple[tuple[str, str], ...]


def seed_and_collect(hand_made_users: set[int], hand_made_communities: set[int]) -> Generated:
    report = mentara_seed.seed(mode="light", now=NOW)
    assert report.satisfied, [gap.as_dict() for gap in report.remaining]
    users = User.objects.exclude(pk__in=hand_made_users).order_by("pk")
    for field in ("username", "email"):
        values = list(User.objects.values_list(field, flat=True))
        assert len(values) == len(set(values)), f"duplicate {field}"
    for field in ("name", "slug"):
        values = list(Community.objects.values_list(field, flat=True))
        assert len(values) == len(set(values)), f"duplicate community {field}"
    licenses = list(TherapistProfile.objects.values_list("license_number", flat=True))
    assert len(licenses) == len(set(licenses)), "duplicate licence number"
    return Generated(
        clients=tuple(users.filter(role=Role.CLIENT).values_list("username", "email")),
        therapists=tuple(users.filter(role=Role.THERAPIST).values_list("username", "email")),
        licenses=tuple(
            TherapistProfile.objects.exclude(user__in=hand_made_users)
            .order_by("user_id")
            .values_list("license_number", flat=True)
        ),
        communities=tuple(
            Community.objects.exclude(pk__in=hand_made_communities)
            .order_by("pk")
            .values_list("name", "slug")
        ),
    )


def hand_make_collisions(learned: Generated, slug_of_a: str) -> tuple[set[int], set[int]]:
    """Admin users (outside every population) and two communities holding generated values."""
    (u0, e0), (u1, e1), (_u2, e2) = learned.clients[:3]
    therapist_username, _ = learned.therapists[0]
    joined = NOW - timedelta(days=500)
    rows = [
        ("x", u0, e1),  # the username of client 0 and the email of client 1
        ("y", u1, e0),  # and the other way round
        ("z", "hand.made.z", e2),  # only the email of client 2
        ("t", therapist_username, "t@hand.example"),
    ]
    users = {
        key: User.objects.create(
            username=username, email=email, role=Role.ADMIN, date_joined=joined
        )
        for key, username, email in rows
    }
    TherapistProfile.objects.create(
        user=users["t"], license_number=learned.licenses[0], hourly_rate=100, created_at=joined
    )
    (name0, slug0), (name1, _slug1), (name2, _slug2) = learned.communities[:3]
    # Two communities count towards the three of light mode; the seeder then makes ordinal 2.
    a = Community.objects.create(name=name2, slug=slug_of_a, created_at=joined)
    b = Community.objects.create(name=name1, slug=slug0, created_at=joined)
    assert name0 not in {a.name, b.name}
    return {user.pk for user in users.values()}, {a.pk, b.pk}


@pytest.mark.django_db
def test_hand_made_rows_holding_generated_values_push_the_generator_on() -> None:
    learned = seed_and_collect(set(), set())
    assert len(learned.clients) >= 3 and learned.therapists and len(learned.communities) == 3
    flush_mentara()

    # What community ordinal 2 becomes once its first name is taken: its slug is then held too.
    users, communities = hand_make_collisions(learned, slug_of_a="hand-a")
    moved = seed_and_collect(users, communities)
    flush_mentara()
    assert len(moved.communities) == 1
    assert moved.communities[0][0] != learned.communities[2][0]

    outcomes = []
    for _ in range(2):
        users, communities = hand_make_collisions(learned, slug_of_a=moved.communities[0][1])
        outcomes.append(seed_and_collect(users, communities))
        flush_mentara()
    first, second = outcomes
    assert first == second, "the same hand-made state gave other values"

    # Every held value moved on; the values nobody held are the ones of the first run.
    assert first.clients[0][0] != learned.clients[0][0]
    assert first.clients[1][0] != learned.clients[1][0]
    assert first.clients[2][0] == learned.clients[2][0]  # its username was free,
    assert first.clients[2][1] != learned.clients[2][1]  # its email was not
    # The rest of light's eight: clients recruited later into the (hand-made) communities are
    # drawn from those communities' keys, which the hand-made ones changed.
    assert first.clients[3:8] == learned.clients[3:8]
    assert first.therapists[0][0] != learned.therapists[0][0]
    assert first.therapists[1:] == learned.therapists[1:]
    assert first.licenses[0] != learned.licenses[0]
    assert first.licenses[1:] == learned.licenses[1:]
    assert first.communities[0][0] == moved.communities[0][0]  # the name held is stepped over,
    assert first.communities[0][1] != moved.communities[0][1]  # then the slug held


# 5. Never an UPDATE or a DELETE ----------------------------------------------------------------

SAVEPOINT = re.compile(r"^\s*(RELEASE\s+|ROLLBACK\s+TO\s+)?SAVEPOINT\b", re.IGNORECASE)
STRING_LITERAL = re.compile(r"[Ee]?'(?:[^']|'')*'")
DESTRUCTIVE = re.compile(r"(?<!FOR )\bUPDATE\b|\bDELETE\b|\bTRUNCATE\b|\bDROP\b", re.IGNORECASE)


def destructive(statements: Sequence[str]) -> list[str]:
    found = []
    for sql in statements:
        if SAVEPOINT.match(sql):
            continue
        if DESTRUCTIVE.search(STRING_LITERAL.sub("''", sql)):
            found.append(sql)
    return found


#: The session status counters of the statements that add, change or remove rows.
MYSQL_STATEMENTS = {
    "insert": ("Com_insert", "Com_insert_select", "Com_load", "Com_replace", "Com_replace_select"),
    "update": ("Com_update", "Com_update_multi"),
    "delete": ("Com_delete", "Com_delete_multi", "Com_truncate"),
}


def mysql_statement_counts() -> Counter[str]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS WHERE Variable_name LIKE 'Com\\_%%'")
        status = {name.lower(): int(value) for name, value in cursor.fetchall()}
    return Counter(
        {
            kind: sum(status.get(name.lower(), 0) for name in names)
            for kind, names in MYSQL_STATEMENTS.items()
        }
    )


@contextmanager
def rows_written_as_the_database_sees_them() -> Iterator[Counter[str]]:
    """Inserts, updates and deletes counted by the database itself, so writes that bypass
    Django's cursor wrappers (and so CaptureQueriesContext), such as PostgreSQL COPY, count too.

    PostgreSQL: rows, from ``pg_stat_xact_user_tables`` (this transaction's table counters).
    MariaDB/MySQL: statements, from the session's ``Com_*`` status counters.
    SQLite: statements, from an authorizer callback on the connection.
    """
    counts: Counter[str] = Counter()
    if connection.vendor == "mysql":
        before = mysql_statement_counts()
        yield counts
        after = mysql_statement_counts()
        for name in ("insert", "update", "delete"):
            counts[name] = after[name] - before[name]
        return
    if connection.vendor == "postgresql":
        totals_sql = (
            "SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0), "
            "coalesce(sum(n_tup_del), 0) FROM pg_stat_xact_user_tables"
        )
        with connection.cursor() as cursor:
            cursor.execute(totals_sql)
            before = cursor.fetchone()
        yield counts
        with connection.cursor() as cursor:
            cursor.execute(totals_sql)
            after = cursor.fetchone()
        for name, was, now in zip(("insert", "update", "delete"), before, after, strict=True):
            counts[name] = int(now) - int(was)
        return
    actions = {
        sqlite3.SQLITE_INSERT: "insert",
        sqlite3.SQLITE_UPDATE: "update",
        sqlite3.SQLITE_DELETE: "delete",
    }

    def authorize(action: int, table: str | None, *_: object) -> int:
        if action in actions and not (table or "").startswith("sqlite_"):
            counts[actions[action]] += 1
        return sqlite3.SQLITE_OK

    connection.ensure_connection()
    raw = connection.connection
    raw.set_authorizer(authorize)
    try:
        yield counts
    finally:
        raw.set_authorizer(None)


def captured_run() -> tuple[mentara_seed.SeedReport, list[str], Counter[str]]:
    with (
        rows_written_as_the_database_sees_them() as written,
        CaptureQueriesContext(connection) as captured,
    ):
        report = mentara_seed.seed(mode="light", now=NOW)
    assert report.satisfied
    assert written["update"] == 0, written
    assert written["delete"] == 0, written
    return report, [query["sql"] for query in captured.captured_queries], written


def test_the_destructive_pattern_catches_what_it_should() -> None:
    assert destructive(['UPDATE "mentara_user" SET "email" = \'a\''])
    assert destructive(['DELETE FROM "mentara_post" WHERE "id" IN (1)'])
    assert destructive(['INSERT INTO "t" ("a") VALUES (1) ON CONFLICT DO UPDATE SET "a" = 1'])
    assert not destructive(['SAVEPOINT "s1"', 'RELEASE SAVEPOINT "s1"'])
    assert not destructive(['INSERT INTO "mentara_post" ("body") VALUES (\'please delete it\')'])
    assert not destructive(['SELECT "id" FROM "mentara_user" FOR UPDATE'])


@pytest.mark.django_db
def test_the_database_side_counter_sees_updates_and_deletes() -> None:
    community = Community.objects.create(name="Counted", slug="counted", created_at=NOW)
    with rows_written_as_the_database_sees_them() as written:
        Community.objects.filter(pk=community.pk).update(description="changed")
        Community.objects.filter(pk=community.pk).delete()
    assert written["update"] >= 1 and written["delete"] >= 1, written


@pytest.mark.django_db
def test_runs_never_update_or_delete() -> None:
    _report, from_empty, written = captured_run()
    assert written["insert"] > 0
    assert destructive(from_empty) == []

    rerun, no_op, written = captured_run()
    assert rerun.added == {}
    assert written["insert"] == 0
    assert no_op and destructive(no_op) == []


@pytest.mark.django_db
def test_filling_a_partial_hand_made_state_never_updates_or_deletes() -> None:
    joined = NOW - timedelta(days=300)
    client = User.objects.create(
        username="hand.client", email="c@hand.example", role=Role.CLIENT, date_joined=joined
    )
    ClientProfile.objects.create(user=client, created_at=joined)
    therapist = User.objects.create(
        username="hand.therapist", email="t@hand.example", role=Role.THERAPIST, date_joined=joined
    )
    TherapistProfile.objects.create(
        user=therapist, license_number="HAND-1", hourly_rate=120, created_at=joined
    )
    ClientTherapist.objects.create(
        client=client, therapist=therapist, started_at=NOW - timedelta(days=90)
    )
    community = Community.objects.create(name="Hand Circle", slug="hand-circle", created_at=joined)
    Membership.objects.create(user=client, community=community, joined_at=joined)
    Post.objects.create(
        author=client,
        community=community,
        title="Please delete my worries",
        body="An update: better.",
        created_at=NOW - timedelta(days=2),
    )
    conversation = Conversation.objects.create(title="Hand", created_at=NOW - timedelta(days=3))
    for user in (client, therapist):
        ConversationParticipant.objects.create(
            conversation=conversation, user=user, joined_at=conversation.created_at
        )
    Message.objects.create(
        conversation=conversation, sender=client, body="hi", sent_at=NOW - timedelta(days=2)
    )

    report, statements, written = captured_run()
    assert sum(report.added.values()) > 0 and written["insert"] > 0
    assert destructive(statements) == []

    # Rows deleted by hand after a run are added back, again without touching anything else.
    Post.objects.filter(
        pk__in=list(Post.objects.order_by("pk").values_list("pk", flat=True)[:5])
    ).delete()
    report, statements, written = captured_run()
    assert report.added and written["insert"] > 0
    assert destructive(statements) == []


@pytest.mark.django_db
def test_a_hand_made_value_equal_under_the_collation_pushes_the_generator_on() -> None:
    """MySQL and MariaDB compare text case-insensitively by default: a hand-made "ADA.SMITH"
    holds "ada.smith" for their unique index, so the generator steps over it there (PostgreSQL
    and SQLite compare exactly, and keep the value). Never an IntegrityError."""
    learned = seed_and_collect(set(), set())
    flush_mentara()
    username, _email = learned.clients[0]
    hand_made = User.objects.create(
        username=username.upper(), email="upper@hand.example", role=Role.ADMIN, date_joined=NOW
    )
    equal_here = User.objects.filter(username=username).exists()
    assert equal_here is (connection.vendor == "mysql")
    again = seed_and_collect({hand_made.pk}, set())
    assert (again.clients[0][0] != username) is equal_here
    assert again.clients[1:] == learned.clients[1:]
