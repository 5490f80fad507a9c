"""One seeding run per database at a time, across processes.

Runs that overlap would each audit the same gaps and each fill them. The lock is taken before the
audit, so a run that waited sees what the first one wrote and adds only what is still missing.
PostgreSQL: a session-level advisory lock (released by the server if the process dies). MySQL and
MariaDB: a named ``GET_LOCK`` lock (likewise). SQLite: an exclusive ``flock`` on a file beside the
database (released by the kernel if the process dies). Other backends run unlocked.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from django.db import connections

from .exceptions import DatabaseNotReady
from .rand import derive_seed

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; SQLite runs unlocked there.
    fcntl = None  # type: ignore[assignment]


def advisory_key(name: str) -> int:
    # pg_advisory_lock takes a signed bigint.
    return derive_seed("mentara_seed.run", name) - 2**63


def sqlite_lock_path(name: str) -> str | None:
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return None
    return f"{name}.mentara-seed.lock"


def mysql_lock_name(name: str) -> str:
    # Named locks are server-wide and at most 64 characters: the database name goes in hashed.
    return f"mentara_seed.run.{derive_seed('mentara_seed.run', name):016x}"


#: Seconds per GET_LOCK call; it is called again until the lock is ours (MariaDB takes no
#: "forever").
MYSQL_LOCK_WAIT = 60


@contextlib.contextmanager
def mysql_lock(using: str, name: str) -> Iterator[None]:
    """A session-level named lock: the transactions of the steps do not release it, and the
    server releases it when the connection ends (a killed process included)."""
    connection = connections[using]
    lock = mysql_lock_name(name)
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT GET_LOCK(%s, %s)", [lock, MYSQL_LOCK_WAIT])
            if cursor.fetchone()[0] == 1:
                break
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [lock])


@contextlib.contextmanager
def run_lock(using: str) -> Iterator[None]:
    connection = connections[using]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "postgresql":
        key = advisory_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            yield
        finally:
            # A lost session took its lock with it; asking again would only hide the real error.
            if connection.connection is not None and not connection.connection.closed:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    if connection.vendor == "mysql":
        with mysql_lock(using, name):
            yield
        return
    path = sqlite_lock_path(name) if connection.vendor == "sqlite" else None
    if path is None or fcntl is None:
        yield
        return
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        try:  # flock works on a descriptor opened for reading: an existing lock file will do
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            raise DatabaseNotReady(
                f"cannot open the seeding lock file {path}: {exc.strerror}; nothing was written"
            ) from exc
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
