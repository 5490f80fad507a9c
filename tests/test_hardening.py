"""Hardening: settings that cannot bypass the guard, passwords that are never public where DEBUG
is off, one line for every fault, no freeze beside other sessions, table names that need quoting.

Faults run in real processes against the throwaway ``store`` project (see ``throwaway``), on fresh
databases of the suite's vendor. Tests that need a PostgreSQL or MariaDB feature say so in their
name, marker and docstring, and name their counterparts on the other backends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.db import connection

import mentara_seed
from mentara_seed.checks import check_settings
from mentara_seed.exceptions import ConfigurationError
from mentara_seed.passwords import seeded_password
from project.mentara.models import User
from tests.databases import mysql_is_mariadb, mysql_server
from tests.test_bad_input import every_row
from tests.test_reliability import sigint_as_at_a_terminal
from tests.throwaway import popen_store, run_store, store_databases, store_rows

from .conftest import NOW

ON_POSTGRES = connection.vendor == "postgresql"
# Deselected, not skipped, on the other backends: CI forbids skips on a server backend.
postgres_only = pytest.mark.backend("postgresql")
STORE_RUN = ("seed_dynamic", "--seed", "1", "--now", "2026-01-15T12:00:00Z")
#: What the store's first two steps leave when its third fails.
KEPT = "this step was rolled back, 2 earlier steps were kept"


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (besides the line naming the database before
    the first write), with no traceback anywhere."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    lines = [
        line
        for line in result.stderr.strip().splitlines()
        if not line.startswith("Seeding database ")
    ]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("CommandError: "), lines
    return lines[0]


# 1. Every setting is type-checked --------------------------------------------------------------

BAD_TYPES = [
    ("ALLOW_PRODUCTION", "false", "E010"),
    ("ALLOW_PRODUCTION", 0, "E010"),
    ("ON_MIGRATE", "false", "E010"),
    ("BULK_LOADS", "false", "E010"),
    ("EXCLUSIVE_BULK_LOADS", "true", "E010"),
    ("FAST_PATH", None, "E010"),
    ("LOCK_TIMEOUT_MS", 1.5, "E011"),
    ("MAX_ROWS", True, "E011"),
    ("BUSY_TIMEOUT_MS", "5000", "E011"),
    ("LOCKED_RETRIES", -1, "E011"),
    ("PASSWORD", 1234, "E012"),
    ("PASSWORD", "", "E012"),
    ("JOBS", 0, "E013"),
    ("JOBS", "lots", "E013"),
    ("JOBS", 65, "E013"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "value", "code"), BAD_TYPES)
def test_every_setting_of_the_wrong_type_is_a_check_error_and_refused_at_run_start(
    settings, key, value, code
):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, key: value}
    if key == "ALLOW_PRODUCTION":
        settings.MENTARA_SEED = {key: value}
    errors = check_settings()
    assert [error.id for error in errors] == [f"mentara_seed.{code}"]
    assert key in errors[0].msg and repr(value) in errors[0].msg

    # call_command and the Python API skip the system checks: the run checks again.
    before = every_row()
    with pytest.raises(ConfigurationError, match=key):
        mentara_seed.seed(mode="light", now=NOW)
    assert every_row() == before


@pytest.mark.parametrize("key", ["ALLOW_PRODUCTION", "ON_MIGRATE", "BULK_LOADS"])
def test_a_string_false_from_the_command_line_is_one_line_and_writes_nothing(tmp_path, key):
    """The production guard with DEBUG off: "false" is a string, and strings are truthy."""
    with store_databases(tmp_path) as (directory, (url,)):
        result = run_store(
            directory,
            url,
            *STORE_RUN,
            "--mode",
            "light",
            DJANGO_DEBUG="0",
            STORE_MENTARA_SEED={key: "false"},
        )
        line = one_line(result)
        assert line == (
            f"CommandError: MENTARA_SEED['{key}'] must be True or False, got 'false' "
            "(mentara_seed.E010)"
        )
        assert result.returncode == 1
        assert store_rows(directory, url) == {"products": 0, "orders": 0, "items": []}

        # manage.py check keeps the full listing, with its hint.
        check = run_store(directory, url, "check", STORE_MENTARA_SEED={key: "false", "SEED": "x"})
        assert check.returncode == 1
        assert "mentara_seed.E010" in check.stderr and "mentara_seed.E004" in check.stderr
        assert "HINT:" in check.stderr


# 2. Seeded passwords ---------------------------------------------------------------------------


def test_seeded_password_is_the_demo_one_in_development_and_deterministic(settings):
    settings.DEBUG = True
    password = seeded_password()
    assert password == seeded_password()  # no random salt: runs stay deterministic
    assert check_password("mentara-demo", password)


def test_seeded_password_under_djangos_default_hasher_is_precomputed_and_exact(
    settings, monkeypatch
):
    """The stored hash is what hashing would give (so it cannot go stale with the salt or the
    iterations), and under the default hasher the run does not hash at all."""
    from mentara_seed import passwords

    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    hashed = make_password("mentara-demo", salt=passwords.SALT)
    assert hashed in passwords.PRECOMPUTED.values()  # Django's current iterations

    def no_hashing(*args: object, **kwargs: object) -> str:
        raise AssertionError("hashed at run time")

    monkeypatch.setattr(passwords, "make_password", no_hashing)
    passwords._hashed.cache_clear()
    try:
        assert seeded_password() == hashed
        assert check_password("mentara-demo", seeded_password())
    finally:
        passwords._hashed.cache_clear()


def test_seeded_password_is_unusable_where_debug_is_off(settings):
    settings.DEBUG = False
    assert not is_password_usable(seeded_password())
    assert seeded_password() == seeded_password()
    assert not check_password("mentara-demo", seeded_password())


def test_a_configured_password_is_used_in_any_mode(settings):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, "PASSWORD": "s3cret-for-staging"}
    for debug in (True, False):
        settings.DEBUG = debug
        assert check_password("s3cret-for-staging", seeded_password())
        assert not check_password("mentara-demo", seeded_password())


@pytest.mark.django_db
def test_users_seeded_with_allow_production_cannot_log_in(settings):
    settings.DEBUG = False  # as the test runner has it; the suite allows production writes
    report = mentara_seed.seed(mode="light", now=NOW)
    assert report.added["mentara.User"] > 0
    passwords = set(User.objects.values_list("password", flat=True))
    assert passwords and not any(is_password_usable(password) for password in passwords)


# 5 and issue 14, item 3. One line for every fault -----------------------------------------------


@pytest.mark.parametrize("mistake", ["duplicate", "null"])
def test_a_seeders_database_error_is_one_line_naming_step_model_and_constraint(tmp_path, mistake):
    with store_databases(tmp_path) as (directory, (url,)):
        result = run_store(directory, url, *STORE_RUN, "--mode", "light", STORE_MISTAKE=mistake)
        line = one_line(result)
        assert result.returncode == 1
        assert line.startswith("CommandError: step store.Order.items failed on database default")
        assert "IntegrityError" in line and "model store.Item" in line
        if mistake == "duplicate":
            # PostgreSQL and MariaDB/MySQL name the constraint; SQLite names its columns.
            on_sqlite = connection.vendor == "sqlite"
            named = "user.order_id" if on_sqlite else "constraint one_product_per_order"
        else:
            named = "position"
        assert named in line, line
        assert line.endswith(KEPT)
        assert store_rows(directory, url) == {"products": 4, "orders": 3, "items": []}

        traced = run_store(
            directory, url, *STORE_RUN, "--mode", "light", "--traceback", STORE_MISTAKE=mistake
        )
        assert traced.returncode != 0
        assert "Traceback" in traced.stderr and "IntegrityError" in traced.stderr


def start_paused_run(directory: Path, url: str, pause: int = 30) -> subprocess.Popen[str]:
    """A run paused inside its items step (two steps committed, rows of the third written) when
    this returns; it stays paused for ``pause`` seconds, or until ``resume_paused_run``."""
    with sigint_as_at_a_terminal():
        process = popen_store(
            directory,
            url,
            *STORE_RUN,
            "--mode",
            "light",
            "--format",
            "json",
            STORE_PAUSE=str(pause),
            STORE_RESUME=str(directory / "resume"),
        )
    assert process.stdout is not None
    started = process.stdout.readline()
    assert started == "filling items\n", started + (process.stderr.read() if process.stderr else "")
    return process


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_is_one_line_and_its_exit_status(tmp_path, signum, status):
    with store_databases(tmp_path) as (directory, (url,)):
        # Paused far longer than any load stretches the test: the run cannot finish before
        # the signal, which is sent once the run says it is inside the items step.
        process = start_paused_run(directory, url, pause=3600)
        try:
            process.send_signal(signum)
            out, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        line = one_line(result)
        assert result.returncode == status
        name = signal.Signals(signum).name
        assert line == (
            f"CommandError: step store.Order.items failed on database default "
            f"({connection.vendor}, {database_name(url)}): interrupted by {name}; {KEPT}"
        )
        assert store_rows(directory, url) == {"products": 4, "orders": 3, "items": []}
        # The next run completes what the interrupted one left.
        assert run_store(directory, url, *STORE_RUN, "--mode", "light").returncode == 0
        assert len(store_rows(directory, url)["items"]) == 6


def resume_paused_run(directory: Path) -> None:
    (directory / "resume").touch()


def database_name(url: str) -> str:
    return url.removeprefix("sqlite:///") if url.startswith("sqlite") else url.rsplit("/", 1)[1]


@contextlib.contextmanager
def admin_connection(dbname: str = "postgres") -> Iterator[Any]:
    import psycopg

    settings = connection.settings_dict
    params: dict[str, Any] = {
        "host": settings.get("HOST") or "localhost",
        "port": settings.get("PORT") or 5432,
        "user": settings.get("USER") or "postgres",
        "dbname": dbname,
        "autocommit": True,
    }
    if settings.get("PASSWORD"):
        params["password"] = settings["PASSWORD"]
    with psycopg.connect(**params) as raw:
        yield raw


@postgres_only
def test_postgres_a_lost_connection_is_one_line(tmp_path):
    """pg_terminate_backend mid-step. MariaDB's counterpart is
    test_mysql_a_lost_connection_is_one_line; SQLite has no server connection to lose, its
    counterpart is the signal test (the process stops mid-step)."""
    with store_databases(tmp_path) as (directory, (url,)):
        process = start_paused_run(directory, url, pause=3600)
        with admin_connection() as admin:
            terminated = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database_name(url)],
            ).fetchall()
        assert terminated and all(row[0] for row in terminated)
        resume_paused_run(directory)
        out, err = process.communicate(timeout=120)
        line = one_line(subprocess.CompletedProcess(process.args, process.returncode, out, err))
        assert line.startswith("CommandError: step store.Order.items failed on database default")
        assert "OperationalError" in line and line.endswith(KEPT), line
        assert store_rows(directory, url)["items"] == []


def seed_store(
    directory: Path, url: str, mode: str, **extra: Any
) -> subprocess.CompletedProcess[str]:
    return run_store(directory, url, *STORE_RUN, "--mode", mode, "-v", "0", **extra)


def store_fault(directory: Path, url: str, mode: str = "light", **extra: Any) -> str:
    result = run_store(directory, url, *STORE_RUN, "--mode", mode, **extra)
    return one_line(result)


@postgres_only
def test_postgres_statement_timeout_is_one_line(tmp_path):
    """A server-side statement_timeout cut the items step's audit (SQLite has no such timeout;
    MariaDB's and MySQL's counterpart is test_mysql_statement_time_limit_is_one_line)."""
    with store_databases(tmp_path) as (directory, (url,)):
        with admin_connection() as admin:
            admin.execute(f'ALTER DATABASE "{database_name(url)}" SET statement_timeout = 300')
        # The seeder runs one statement that takes a second.
        line = store_fault(directory, url, STORE_MISTAKE="slow")
        assert "canceling statement due to statement timeout" in line, line
        assert "store.Order.items" in line and line.endswith(KEPT)


@postgres_only
def test_postgres_read_only_default_and_select_only_role_are_one_line(tmp_path):
    """default_transaction_read_only, then a role that may only SELECT. The SQLite counterpart
    is test_sqlite_read_only_file_and_directory_are_one_line, MariaDB's
    test_mysql_read_only_session_and_select_only_user_are_one_line."""
    with store_databases(tmp_path) as (directory, (url,)):
        name = database_name(url)
        with admin_connection() as admin:
            admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        line = store_fault(directory, url)
        assert "read-only transaction" in line, line
        assert "step store.Product.population failed" in line
        assert line.endswith("this step was rolled back, 0 earlier steps were kept")
        with admin_connection() as admin:
            admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        role = f"{name}_reader"
        with admin_connection(name) as admin:
            # The same password as the suite's role, in case the server asks for one.
            password = connection.settings_dict.get("PASSWORD") or ""
            admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
            admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        try:
            user = connection.settings_dict.get("USER") or "postgres"
            reader_url = url.replace(f"://{user}", f"://{role}", 1)
            line = store_fault(directory, reader_url)
            assert "permission denied" in line, line
        finally:
            with admin_connection(name) as admin:
                admin.execute(f'DROP OWNED BY "{role}"')
                admin.execute(f'DROP ROLE "{role}"')
        assert store_rows(directory, url) == {"products": 0, "orders": 0, "items": []}


mysql_only = pytest.mark.backend("mysql")


def with_init_command(url: str, statement: str) -> str:
    """The URL with a statement MariaDB runs at the start of every session (DATABASES OPTIONS'
    ``init_command``, from the URL's query string)."""
    return f"{url}?init_command={quote(statement)}"


@mysql_only
def test_mysql_a_lost_connection_is_one_line(tmp_path):
    """KILL of the run's connection mid-step: the MariaDB counterpart of
    test_postgres_a_lost_connection_is_one_line."""
    with store_databases(tmp_path) as (directory, (url,)):
        process = start_paused_run(directory, url, pause=3600)
        with mysql_server() as admin:
            admin.execute(
                "SELECT ID FROM information_schema.PROCESSLIST"
                " WHERE DB = %s AND ID <> CONNECTION_ID()",
                [database_name(url)],
            )
            ids = [row[0] for row in admin.fetchall()]
            assert ids
            for connection_id in ids:
                admin.execute(f"KILL {int(connection_id)}")
        resume_paused_run(directory)
        out, err = process.communicate(timeout=120)
        line = one_line(subprocess.CompletedProcess(process.args, process.returncode, out, err))
        assert line.startswith(
            f"CommandError: step store.Order.items failed on database default "
            f"(mysql, {database_name(url)}): OperationalError: "
        ), line
        assert line.endswith(KEPT), line
        assert store_rows(directory, url) == {"products": 4, "orders": 3, "items": []}


@mysql_only
def test_mysql_statement_time_limit_is_one_line(tmp_path):
    """The session's statement time limit cuts the seeder's slow statement: the MariaDB/MySQL
    counterpart of test_postgres_statement_timeout_is_one_line. MariaDB's limit is
    max_statement_time (seconds), MySQL's max_execution_time (milliseconds, SELECTs only,
    which the store's slow statement is)."""
    if mysql_is_mariadb():
        limit, message = "max_statement_time = 0.3", "max_statement_time exceeded"
    else:
        limit, message = "max_execution_time = 300", "maximum statement execution time exceeded"
    with store_databases(tmp_path) as (directory, (url,)):
        timed = with_init_command(url, f"SET SESSION {limit}")
        line = store_fault(directory, timed, STORE_MISTAKE="slow")
        assert message in line, line
        assert "step store.Order.items failed on database default" in line
        assert line.endswith(KEPT), line
        assert store_rows(directory, url) == {"products": 4, "orders": 3, "items": []}


@mysql_only
def test_mysql_read_only_session_and_select_only_user_are_one_line(tmp_path):
    """Sessions that start READ ONLY (init_command), then a user granted SELECT only: the
    MariaDB counterpart of test_postgres_read_only_default_and_select_only_role_are_one_line."""
    with store_databases(tmp_path) as (directory, (url,)):
        name = database_name(url)
        line = store_fault(directory, with_init_command(url, "SET SESSION TRANSACTION READ ONLY"))
        assert "READ ONLY transaction" in line, line
        assert "step store.Product.population failed" in line
        assert line.endswith("this step was rolled back, 0 earlier steps were kept")
        # MySQL allows user names of 32 characters at most (MariaDB 80); the database name's
        # random tail keeps it unique.
        user = f"reader_{name[-10:]}"
        # The same password as the suite's user, in case the server asks for one.
        password = connection.settings_dict.get("PASSWORD") or ""
        with mysql_server() as admin:
            admin.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", [password])
            admin.execute(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'")
        try:
            admin_user = connection.settings_dict.get("USER") or "root"
            line = store_fault(directory, url.replace(f"://{admin_user}", f"://{user}", 1))
            assert "INSERT command denied to user" in line, line
            assert "step store.Product.population failed" in line
            assert line.endswith("this step was rolled back, 0 earlier steps were kept")
        finally:
            with mysql_server() as admin:
                admin.execute(f"DROP USER '{user}'@'%'")
        assert store_rows(directory, url) == {"products": 0, "orders": 0, "items": []}


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only or size-limited filesystem needs root (CI runs as root)")


@contextlib.contextmanager
def tmpfs(size_kb: int) -> Iterator[Path]:
    """A small filesystem of its own, mounted for the test and unmounted after."""
    require_root()
    with tempfile.TemporaryDirectory(prefix="mentara-tmpfs-") as directory:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0777", "tmpfs", directory],
            check=True,
        )
        try:
            yield Path(directory)
        finally:
            subprocess.run(["umount", "-l", directory], check=True)


@pytest.mark.parametrize("lock_file", [False, True], ids=["no-lock-file", "lock-file-left"])
def test_sqlite_read_only_file_and_directory_are_one_line(tmp_path, lock_file):
    """A database on a read-only filesystem: the lock file cannot be created beside it; with a
    lock file left by an earlier run, the database itself refuses the first write."""
    with store_databases(tmp_path, sqlite=True) as (directory, (url,)), tmpfs(4096) as mounted:
        copy = mounted / "store.sqlite3"
        copy.write_bytes(Path(database_name(url)).read_bytes())
        if lock_file:
            Path(f"{copy}.mentara-seed.lock").touch()
        subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
        line = store_fault(directory, f"sqlite:///{copy}")
        if lock_file:
            assert line.startswith("CommandError: step store.Product.population failed"), line
            assert "attempt to write a readonly database" in line, line
            assert line.endswith("this step was rolled back, 0 earlier steps were kept")
        else:
            assert "cannot open the seeding lock file" in line and "nothing was written" in line
            assert "Read-only file system" in line, line


def test_sqlite_a_full_disk_is_one_line(tmp_path):
    """The database on a filesystem with almost no free space (a small tmpfs)."""
    with store_databases(tmp_path, sqlite=True) as (directory, (url,)), tmpfs(256) as mounted:
        copy = mounted / "store.sqlite3"
        copy.write_bytes(Path(database_name(url)).read_bytes())
        line = store_fault(directory, f"sqlite:///{copy}", mode="medium", STORE_ORDERS="20000")
        assert "database or disk is full" in line, line


@postgres_only
def test_postgres_a_full_disk_is_one_line(tmp_path):
    """The items table in a tablespace on a small tmpfs, owned by postgres."""
    with store_databases(tmp_path) as (directory, (url,)), tmpfs(512) as mounted:
        import pwd

        postgres = pwd.getpwnam("postgres")
        space = mounted / "space"
        space.mkdir()
        os.chown(space, postgres.pw_uid, postgres.pw_gid)
        tablespace = f"{database_name(url)}_tiny"
        with admin_connection() as admin:
            admin.execute(f"CREATE TABLESPACE \"{tablespace}\" LOCATION '{space}'")
        try:
            with admin_connection(database_name(url)) as admin:
                admin.execute(f'ALTER TABLE "user" SET TABLESPACE "{tablespace}"')
            line = store_fault(directory, url, mode="medium", STORE_ORDERS="20000")
            assert "No space left on device" in line or "could not extend" in line, line
        finally:
            with admin_connection(database_name(url)) as admin:
                admin.execute('ALTER TABLE "user" SET TABLESPACE pg_default')
            with admin_connection() as admin:
                admin.execute(f'DROP TABLESPACE "{tablespace}"')


# 7. A --now whose times do not fit the database --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "now", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-06-01T00:00:00Z"]
)
def test_a_now_whose_times_do_not_fit_is_refused_before_any_write(run_command, now):
    before = every_row()
    result = run_command("seed_dynamic", "--mode", "light", "--now", now)
    assert result.code == 1
    assert result.err.startswith("CommandError: now ") and "\n" not in result.err
    assert "outside what the database stores" in result.err
    assert every_row() == before


@pytest.mark.django_db
def test_a_now_near_the_edge_that_still_fits_is_accepted(run_command):
    """The check refuses no more than it must: a century before the edge of year 9999 seeds."""
    result = run_command("seed_dynamic", "--mode", "light", "--now", "9998-06-01T00:00:00Z")
    assert result.code == 0, result.err


# 8. --scale has a ceiling ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_scale_past_the_row_cap_is_refused_with_the_estimate(run_command):
    before = every_row()
    result = run_command("seed_dynamic", "--mode", "light", "--scale", "1000000000")
    assert result.code == 1
    assert result.err.startswith("CommandError: this run would add about ")
    assert "more than MENTARA_SEED['MAX_ROWS'] (20,000,000)" in result.err
    assert every_row() == before


@pytest.mark.django_db
def test_the_row_cap_is_a_setting(settings, run_command):
    """A cap one below the estimate refuses and writes nothing; a cap equal to it lets the run
    through (how close the estimate is: ``tests/test_row_cap.py``)."""
    args = ("seed_dynamic", "--mode", "light", "--now", "2026-01-15T12:00:00Z")
    settings.MENTARA_SEED = {**settings.MENTARA_SEED, "MAX_ROWS": 1}
    refused = run_command(*args)
    assert refused.code == 1 and "MAX_ROWS" in refused.err
    estimate = int(refused.err.split("about ")[1].split(" rows")[0].replace(",", ""))
    assert estimate > 1
    settings.MENTARA_SEED = {**settings.MENTARA_SEED, "MAX_ROWS": estimate - 1}
    assert run_command(*args).code == 1
    assert every_row()["mentara.User"] == []
    settings.MENTARA_SEED = {**settings.MENTARA_SEED, "MAX_ROWS": estimate}
    assert run_command(*args).code == 0


# 10. Mixed-case and reserved table names on every writer ---------------------------------------


def test_mixed_case_and_reserved_table_names_on_every_writer(tmp_path):
    """``"Parent_Mixed"`` (ctx.insert, so keys come from its sequence), ``"order"`` and
    ``"user"`` (ctx.add, a bulk load: indexes and, on PostgreSQL, foreign keys dropped and
    rebuilt), through COPY or executemany, and bulk_create; the same rows every time."""
    writers = [
        {"FAST_PATH": True, "BULK_LOADS": True},
        {"FAST_PATH": True, "BULK_LOADS": False},
        {"FAST_PATH": False},
    ]
    with store_databases(tmp_path, len(writers)) as (directory, urls):
        contents = []
        for url, options in zip(urls, writers, strict=True):
            result = seed_store(
                directory,
                url,
                "medium",
                STORE_ORDERS="60",
                STORE_MENTARA_SEED=options,
            )
            assert result.returncode == 0, (options, result.stderr)
            contents.append(store_rows(directory, url))
        assert contents[0]["orders"] == 60 and len(contents[0]["items"]) == 120
        assert all(content == contents[0] for content in contents), writers


# 4. SQLite beside another writer ---------------------------------------------------------------

TICKER = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("CREATE TABLE IF NOT EXISTS ticks (at REAL)")
print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[2])
written = 0
while time.monotonic() < deadline:
    db.execute("INSERT INTO ticks VALUES (?)", (time.time(),))
    written += 1
    time.sleep(0.1)
print(written)
"""


def test_sqlite_seeding_succeeds_beside_a_writer_doing_ten_writes_a_second(tmp_path):
    """SQLite only: PostgreSQL's row locks never refuse a writer for another's INSERT."""
    with store_databases(tmp_path, sqlite=True) as (directory, (url,)):
        path = database_name(url)
        ticker = subprocess.Popen(
            [sys.executable, "-c", TICKER, path, "60"], stdout=subprocess.PIPE, text=True
        )
        assert ticker.stdout is not None and ticker.stdout.readline() == "ready\n"
        try:
            for mode in ("light", "medium"):
                result = run_store(
                    directory, url, *STORE_RUN, "--mode", mode, "-v", "0", STORE_ORDERS="3000"
                )
                assert result.returncode == 0, result.stderr
        finally:
            ticker.terminate()
            ticker.wait(timeout=30)
        assert len(store_rows(directory, url)["items"]) == 6000
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT count(*) FROM ticks").fetchone()[0] >= 5


HOLDER = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")  # a write transaction: readers go on, writers wait
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


def test_sqlite_locked_by_another_process_is_one_line(tmp_path):
    """Another process holds SQLite's write lock longer than the busy timeout and the retries."""
    with store_databases(tmp_path, sqlite=True) as (directory, (url,)):
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, database_name(url), "30"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        try:
            line = store_fault(
                directory, url, STORE_MENTARA_SEED={"BUSY_TIMEOUT_MS": 200, "LOCKED_RETRIES": 1}
            )
        finally:
            holder.terminate()
            holder.wait(timeout=30)
        assert "database is locked" in line, line
        assert line.startswith("CommandError: step store.Product.population failed"), line
        assert line.endswith("this step was rolled back, 0 earlier steps were kept")
        assert store_rows(directory, url) == {"products": 0, "orders": 0, "items": []}


# 3. No freeze behind a session idle in a transaction (PostgreSQL) --------------------------------


def index_oids(name: str) -> dict[str, int]:
    with admin_connection(name) as admin:
        return dict(
            admin.execute(
                "SELECT relname, oid::int FROM pg_class WHERE relkind = 'i' "
                "AND relname NOT LIKE 'pg_%%' ORDER BY 1"
            ).fetchall()
        )


@postgres_only
def test_postgres_a_bulk_load_never_waits_behind_an_idle_transaction(tmp_path):
    """An exclusive bulk load (EXCLUSIVE_BULK_LOADS; the default takes no lock to wait for, see
    test_bulk_load_locks.py): a session idle in a transaction after reading the items table
    holds a lock the load's DROP needs. The run gives up on the lock after LOCK_TIMEOUT_MS,
    loads row by row, and ends while that session still waits; a third session reading the
    table meanwhile never waits longer than its own 3 s statement_timeout. (SQLite has no lock
    queue; its counterpart is the writer-beside test.)"""
    with store_databases(tmp_path) as (directory, (url,)):
        name = database_name(url)
        before = index_oids(name)
        stop = threading.Event()
        reads: list[str] = []

        def read_meanwhile() -> None:
            with admin_connection(name) as reader:
                reader.execute("SET statement_timeout = 3000")
                while not stop.is_set():
                    try:
                        reader.execute('SELECT count(*) FROM "user"')
                        reads.append("ok")
                    except Exception as exc:  # the assertion below names it
                        reads.append(repr(exc))
                    time.sleep(0.05)

        with admin_connection(name) as idle:
            idle.execute("BEGIN")
            idle.execute('SELECT count(*) FROM "user"')
            reader = threading.Thread(target=read_meanwhile)
            reader.start()
            try:
                result = seed_store(
                    directory,
                    url,
                    "medium",
                    STORE_ORDERS="200",
                    STORE_MENTARA_SEED={"LOCK_TIMEOUT_MS": 300, "EXCLUSIVE_BULK_LOADS": True},
                )
            finally:
                stop.set()
                reader.join()
            assert idle.info.transaction_status.name == "INTRANS"  # still holding its lock
            idle.execute("ROLLBACK")
        assert result.returncode == 0, result.stderr
        assert len(store_rows(directory, url)["items"]) == 400
        assert reads and set(reads) == {"ok"}, set(reads)
        after = index_oids(name)
        user_indexes = [index for index in before if index.startswith("user_")]
        assert user_indexes
        # Loaded row by row: the items table's indexes are the ones it had.
        assert all(after[index] == before[index] for index in user_indexes)


# 9. Bulk loads restore everything pg_dump shows (PostgreSQL) --------------------------------


def pg_dump_schema(name: str) -> str:
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    result = subprocess.run(
        [
            "pg_dump",
            "--schema-only",
            "--restrict-key=mentaraseed",
            "-h",
            settings.get("HOST") or "localhost",
            "-p",
            str(settings.get("PORT") or 5432),
            "-U",
            settings.get("USER") or "postgres",
            name,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


EXTRAS = """
CREATE INDEX user_partial ON "user" (position) WHERE position > 0;
CREATE INDEX user_expression ON "user" ((position * 2));
CREATE INDEX user_spaced ON "user" (order_id, position) TABLESPACE {tablespace};
CREATE INDEX "Parent_Mixed_lower" ON "Parent_Mixed" (lower(name));
COMMENT ON INDEX user_expression IS 'twice the position';
COMMENT ON INDEX user_partial IS 'only positive';
ALTER TABLE "user" CLUSTER ON user_spaced;
ALTER TABLE "user" ADD CONSTRAINT user_position_positive CHECK (position >= 0) NOT VALID;
"""


@postgres_only
@pytest.mark.parametrize("exclusive", [False, True], ids=["default", "exclusive"])
def test_postgres_a_bulk_load_leaves_pg_dump_schema_only_exactly_as_it_was(tmp_path, exclusive):
    """Comments on indexes and constraints, CLUSTER ON, an index in another tablespace, partial
    and expression indexes, deferrable foreign keys and a NOT VALID check, on tables named
    "user" and "order". The default bulk load drops nothing; an exclusive one drops and rebuilds
    them all. The SQLite counterpart is test_bulk_loads.py's schema comparison."""
    require_root()  # the tablespace's directory must belong to the postgres user
    import pwd

    postgres = pwd.getpwnam("postgres")
    with store_databases(tmp_path) as (directory, (url,)):
        name = database_name(url)
        space = Path(tempfile.mkdtemp(prefix="mentara-tablespace-"))
        os.chown(space, postgres.pw_uid, postgres.pw_gid)
        tablespace = f"{name}_space"
        with admin_connection() as admin:
            admin.execute(f"CREATE TABLESPACE \"{tablespace}\" LOCATION '{space}'")
        try:
            with admin_connection(name) as admin:
                admin.execute(EXTRAS.format(tablespace=f'"{tablespace}"'))
                (foreign_key,) = admin.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = '\"user\"'::regclass "
                    "AND contype = 'f' AND confrelid = '\"order\"'::regclass"
                ).fetchone()
                admin.execute(f'COMMENT ON CONSTRAINT "{foreign_key}" ON "user" IS \'its order\'')
            before, oids = pg_dump_schema(name), index_oids(name)
            for text in (
                "twice the position",
                "its order",
                "CLUSTER ON user_spaced",
                f"SET default_tablespace = {tablespace}",
                "NOT VALID",
                "DEFERRABLE",
            ):
                assert text in before, text

            log = tmp_path / "statements.log"
            result = seed_store(
                directory,
                url,
                "medium",
                STORE_ORDERS="500",
                STORE_STATEMENT_LOG=str(log),
                STORE_MENTARA_SEED={"EXCLUSIVE_BULK_LOADS": exclusive},
            )
            assert result.returncode == 0, result.stderr
            assert len(store_rows(directory, url)["items"]) == 1000
            after_oids = index_oids(name)
            if exclusive:
                # The loads really dropped and rebuilt the indexes (new objects, same schema).
                for index in ("user_partial", "user_expression", "user_spaced"):
                    assert after_oids[index] != oids[index], index
            else:
                # The items were a bulk load, and the indexes are the very objects they were.
                assert "'session_replication_role'" in log.read_text()
                assert after_oids == oids
            assert pg_dump_schema(name) == before
        finally:
            with admin_connection(name) as admin:
                admin.execute("DROP INDEX user_spaced")
            with admin_connection() as admin:
                admin.execute(f'DROP TABLESPACE "{tablespace}"')
            space.rmdir()


# 11. Small things ------------------------------------------------------------------------------


def test_the_lock_file_is_ignored_by_git():
    import fnmatch

    root = Path(__file__).resolve().parent.parent
    patterns = [
        line.strip()
        for line in (root / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert any(fnmatch.fnmatch("db.sqlite3.mentara-seed.lock", pattern) for pattern in patterns)


def sequence_positions() -> dict[str, int]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, seq FROM sqlite_sequence")
        elif connection.vendor == "mysql":
            if not connection.mysql_is_mariadb:
                # MySQL 8+ caches information_schema's table statistics (auto_increment
                # among them) for a day by default; read the live counters instead.
                cursor.execute("SET SESSION information_schema_stats_expiry = 0")
            cursor.execute(
                "SELECT table_name, coalesce(auto_increment, 0) FROM information_schema.tables "
                "WHERE table_schema = DATABASE()"
            )
        else:
            cursor.execute(
                "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences "
                "WHERE schemaname = 'public'"
            )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_moves_sequences_only_where_the_readme_says():
    """SQLite rolls its sequence table back with the dry run; PostgreSQL never rolls a sequence
    back, nor InnoDB an auto-increment counter (documented in the README), which changes keys,
    never content."""
    before = sequence_positions()
    report = mentara_seed.seed(mode="light", now=NOW, dry_run=True)
    assert sum(report.added.values()) > 0
    after = sequence_positions()
    if connection.vendor == "sqlite":
        assert after == before
    else:
        assert after != before
