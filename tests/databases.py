"""Fresh, empty databases of the vendor the suite runs on, for tests that run real processes
(determinism, concurrency, crashes): temporary SQLite files, or databases created and dropped on
the PostgreSQL or MariaDB/MySQL server the suite's own test database lives on."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from django.db import connection

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
SCHEMES = {"postgresql": "postgres", "mysql": "mysql"}


def server_url(name: str, *, port: int | None = None) -> str:
    """The URL of database ``name`` on the server the suite runs against (``port`` overrides
    the server's, to name one nobody listens on)."""
    settings = connection.settings_dict
    vendor = connection.vendor
    user = quote(settings.get("USER") or ("postgres" if vendor == "postgresql" else "root"), "")
    password = settings.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host = settings.get("HOST") or "127.0.0.1"
    port = port or settings.get("PORT") or DEFAULT_PORTS[vendor]
    return f"{SCHEMES[vendor]}://{auth}@{host}:{port}/{name}"


def _admin(statements: Sequence[str]) -> None:
    """Run statements on the suite's server outside any database and transaction."""
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    if connection.vendor == "postgresql":
        import psycopg

        options: dict[str, Any] = {
            "host": host,
            "port": settings.get("PORT") or 5432,
            "user": settings.get("USER") or "postgres",
            "dbname": "postgres",
            "autocommit": True,
        }
        if settings.get("PASSWORD"):
            options["password"] = settings["PASSWORD"]
        with psycopg.connect(**options) as server:
            for statement in statements:
                server.execute(statement)
        return
    with mysql_server() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def mysql_server() -> Iterator[Any]:
    """A cursor on the suite's MariaDB/MySQL server as the suite's user, outside any database
    (autocommit, the driver's default)."""
    import MySQLdb

    settings = connection.settings_dict
    server = MySQLdb.connect(
        host=settings.get("HOST") or "127.0.0.1",
        port=int(settings.get("PORT") or 3306),
        user=settings.get("USER") or "root",
        password=settings.get("PASSWORD") or "",
    )
    try:
        with server.cursor() as cursor:
            yield cursor
    finally:
        server.close()


@contextmanager
def fresh_databases(names: Sequence[str]) -> Iterator[list[str]]:
    """URLs of new, empty databases of the suite's vendor, one per name, removed afterwards."""
    vendor = connection.vendor
    if vendor == "sqlite":
        with tempfile.TemporaryDirectory(prefix="mentara-fresh-") as directory:
            yield [f"sqlite:///{directory}/{name}.sqlite3" for name in names]
        return
    assert vendor in SCHEMES, f"no fresh databases for {vendor}"
    unique = [f"mentara_{name}_{uuid.uuid4().hex[:10]}" for name in names]
    if vendor == "postgresql":
        create, drop = 'CREATE DATABASE "{}"', 'DROP DATABASE IF EXISTS "{}" WITH (FORCE)'
    else:
        # The server's default collation (case-insensitive on MariaDB and MySQL), as a user's
        # database would have it.
        create, drop = "CREATE DATABASE `{}` CHARACTER SET utf8mb4", "DROP DATABASE IF EXISTS `{}`"
    try:
        _admin([create.format(name) for name in unique])
        yield [server_url(name) for name in unique]
    finally:
        _admin([drop.format(name) for name in unique])


def mysql_is_mariadb() -> bool:
    """Whether the suite's MySQL-family server is MariaDB (asked of the server itself, so that
    tests without database access can ask too)."""
    with mysql_server() as cursor:
        cursor.execute("SELECT VERSION()")
        return "mariadb" in cursor.fetchone()[0].lower()
