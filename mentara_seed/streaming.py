"""Reading many rows a chunk at a time on every backend: ``stream(queryset, chunk_size)``.

``QuerySet.iterator()`` streams on PostgreSQL (a server-side cursor) and on SQLite (the
statement is stepped as rows are fetched), but not on MySQL or MariaDB: Django's backend gets
the driver's default cursor, and mysqlclient's default cursor reads the whole result with
``mysql_store_result`` and turns every row into Python objects before the first row is
returned. At the row cap a run reads 2.5 million posts at once for the comments (and an audit
454,000 conversations): a heavy x424 build peaked at 1.1 GB of RSS on MariaDB against 0.3 GB on
the others, all of it in that one read.

On MySQL and MariaDB ``stream`` runs the queryset's own SQL through an unbuffered cursor
(mysqlclient's ``SSCursor``, ``mysql_use_result``): the server sends rows as they are fetched,
and only a chunk is turned into Python objects at a time. Everything else is Django's own
``iterator()``: the same SQL, the same order, the same value conversions, so the rows are the
ones a buffered read gives (``tests/test_streaming.py``). The unbuffered cursor is what Django's
``chunked_cursor()`` is for ("a cursor that tries to avoid caching in the database"); MySQL's
backend does not give one because an open unbuffered result blocks its connection: until the
last row is read, any other statement on it fails ("Commands out of sync"). So it is given here
only for one query, to a caller that reads the rows without querying in between (the driver
refuses a statement that tries: "Commands out of sync", an error, never wrong data), and the
connection is free again once the rows are read or the iterator is closed (closing reads the
rest). It runs in the caller's transaction, like any query.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from django.db import connections, models

#: Rows fetched at a time when the caller does not say (Django's own default).
CHUNK_SIZE = 2000


def stream(queryset: models.QuerySet, chunk_size: int = CHUNK_SIZE) -> Generator[Any, None, None]:
    """``queryset.iterator(chunk_size)``, streamed from the server on MySQL and MariaDB too.
    Do not query the same database until the iterator is exhausted or closed."""
    connection = connections[queryset.db]
    if connection.vendor != "mysql":
        # PostgreSQL: a server-side cursor already (unless DISABLE_SERVER_SIDE_CURSORS, the
        # setting for poolers that cannot keep one); SQLite: already stepped row by row.
        return queryset.iterator(chunk_size)
    return _unbuffered(queryset, chunk_size, connection)


def stream_sql(
    using: str, sql: str, params: Sequence[Any], chunk_size: int = CHUNK_SIZE
) -> Generator[tuple, None, None]:
    """The rows of a query of raw SQL, streamed as ``stream`` streams a queryset's: a
    server-side cursor on PostgreSQL (unless ``DISABLE_SERVER_SIDE_CURSORS``), mysqlclient's
    unbuffered cursor on MySQL and MariaDB, SQLite's own stepping. Through Django's cursor
    wrappers (errors, the query log, execute wrappers). Do not query the same database until
    the rows are read or the generator closed."""
    connection = connections[using]
    if connection.vendor == "mysql":
        cursor = _unbuffered_cursor(connection)
    elif connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        cursor = connection.chunked_cursor()
    else:
        cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows
    finally:
        cursor.close()


def _unbuffered(
    queryset: models.QuerySet, chunk_size: int, connection: Any
) -> Generator[Any, None, None]:
    rows = queryset.iterator(chunk_size)
    opened: list[Any] = []

    def chunked_cursor() -> Any:
        cursor = _unbuffered_cursor(connection)
        opened.append(cursor)
        return cursor

    # Django opens the cursor when the first row is asked for: the unbuffered one is given to
    # that one query, on this connection only, and taken back before anything else runs.
    earlier = vars(connection).get("chunked_cursor")
    connection.chunked_cursor = chunked_cursor
    try:
        first = next(rows, _END)
    finally:
        if earlier is None:
            del connection.chunked_cursor
        else:
            connection.chunked_cursor = earlier
    try:
        if first is _END:
            return
        yield first
        yield from rows
    finally:
        # Closed here, not whenever Django's row iterator is collected: an unbuffered result
        # blocks the connection until it is read to the end (closing reads the rest).
        for cursor in opened:
            cursor.close()


_END = object()


def _unbuffered_cursor(connection: Any) -> Any:
    """What ``connection.cursor()`` gives (Django's wrappers: error translation, the query log,
    execute wrappers), over mysqlclient's unbuffered cursor."""
    from django.db.backends.mysql.base import CursorWrapper
    from MySQLdb.cursors import SSCursor

    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(CursorWrapper(connection.connection.cursor(SSCursor)))
