"""MySQL and MariaDB: the fast path and the checks a database must pass before a run.

``MysqlInsertWriter`` writes rows as multi-row ``INSERT`` statements of literals made column by
column (an int column is formatted at once, a text column escaped by the driver's C code), a few
megabytes each: what the driver's ``executemany`` does, without its per-value dispatch in Python.
Each is sent without waiting, so the server ingests one batch while Python makes the next.
Rows whose primary keys the caller needs go through ``bulk_create``, which reads them back with
``RETURNING`` on MariaDB (one by one on MySQL, see ``BulkCreateWriter``).

``MysqlBulkLoads``: MySQL commits any DDL at once, which would break "every step is one
transaction", so a bulk load drops nothing; it turns the session's per-row foreign-key checks
off for the rest of its step and checks every row written meanwhile before the step commits:
all of a table's foreign keys in one pass over its new rows, then, only if a row is broken, one
anti-join per key to name it.

``LOAD DATA LOCAL INFILE`` is not used: it needs ``local_infile`` on the client connection (an
option of the user's ``DATABASES``), and lets the server read any file the client can.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.db import connections, models

from .bulk_loads import BulkLoads, check_references
from .columns import NATIVE_FIELDS, column_plan, column_values, tuple_columns
from .exceptions import DatabaseNotReady
from .writers import BulkCreateWriter

M = TypeVar("M", bound=models.Model)

#: Storage engines whose tables take part in transactions (a step lands whole or not at all).
TRANSACTIONAL_ENGINES = frozenset({"INNODB", "NDBCLUSTER", "NDB"})


class MysqlInsertWriter(BulkCreateWriter):
    #: Bytes per INSERT statement (the server refuses one above its ``max_allowed_packet``,
    #: 16 MiB by default on MariaDB and 64 MiB on MySQL 8; it is read once per writer).
    max_statement = 4 * 1024 * 1024

    def __init__(self, using: str, batch_size: int, *, bulk_loads: bool = True) -> None:
        super().__init__(using, batch_size)
        self.bulk_loads = (
            MysqlBulkLoads(using, self.close) if bulk_loads else BulkLoads(using, self.close)
        )
        self._statement_bytes: int | None = None
        #: Whether an INSERT was sent whose result the server has not given back yet.
        self._pending = False

    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        if not rows:
            return []
        concrete = model._meta.concrete_model
        assert concrete is not None
        table = concrete._meta.db_table
        self.bulk_loads.before_first_write(table, len(rows))
        if returning:
            self.close()
            return super().write(model, rows, returning=returning)
        columns = column_plan(concrete, frozenset(rows[0]), self.using, NATIVE_FIELDS)
        if not columns:  # only a primary key: a multi-row INSERT would need a column to name
            self.close()
            return super().write(model, rows, returning=returning)
        self._insert(table, columns, column_values(rows, columns))
        return []

    def write_columns(
        self,
        model: type[models.Model],
        names: tuple[str, ...],
        epoch: frozenset[str],
        table: Sequence[Sequence[Any]],
        count: int,
    ) -> None:
        concrete = model._meta.concrete_model or model
        columns = column_plan(concrete, frozenset(names), self.using, NATIVE_FIELDS, epoch)
        if not columns:
            super().write_columns(model, names, epoch, table, count)
            return
        db_table = concrete._meta.db_table
        self.bulk_loads.before_first_write(db_table, count)
        self._insert(db_table, columns, tuple_columns(names, table, count, columns))

    def _insert(self, table: str, columns: Sequence[Any], cells: Sequence[Sequence[Any]]) -> None:
        connection = connections[self.using]
        quote = connection.ops.quote_name
        prefix = (
            f"INSERT INTO {quote(table)} ({', '.join(quote(c[0]) for c in columns)}) VALUES "
        ).encode()
        connection.ensure_connection()
        driver = connection.connection
        literals = [_literals(driver, values) for values in cells]
        # One "(a,b,c)" per row from a format made once: a single C call per row.
        row_format = b"(" + b",".join([b"%s"] * len(columns)) + b")"
        values = list(map(row_format.__mod__, zip(*literals, strict=True)))
        for statement in self._statements(prefix, values):
            self._send(statement)

    def _send(self, statement: bytes) -> None:
        """Send an INSERT without waiting for the server: it ingests the rows while Python
        makes the next ones (on a second core). The driver's own call, not a Django cursor,
        which would also format megabytes of text for its query log when queries are captured.
        Any other statement first ends the wait (``close``, see ``FillContext.writing``)."""
        self.close()
        connection = connections[self.using]
        with connection.wrap_database_errors:
            connection.connection.send_query(statement)
        self._pending = True

    def close(self) -> None:
        """Wait for the INSERT in flight; its error, if any, is raised here."""
        if not self._pending:
            return
        self._pending = False
        connection = connections[self.using]
        with connection.wrap_database_errors:
            connection.connection.read_query_result()

    def _statements(self, prefix: bytes, values: list[bytes]) -> Iterator[bytes]:
        limit = self._statement_limit() - len(prefix)
        if sum(map(len, values)) + len(values) < limit:  # a batch usually fits one statement
            yield prefix + b",".join(values)
            return
        batch: list[bytes] = []
        size = 0
        for value in values:
            if batch and size + len(value) >= limit:
                yield prefix + b",".join(batch)
                batch, size = [], 0
            batch.append(value)
            size += len(value) + 1
        if batch:
            yield prefix + b",".join(batch)

    def _statement_limit(self) -> int:
        if self._statement_bytes is None:
            self.close()
            with connections[self.using].cursor() as cursor:
                cursor.execute("SELECT @@max_allowed_packet")
                packet = int(cursor.fetchone()[0])
            # Room for the prefix and the protocol's own bytes.
            self._statement_bytes = max(min(self.max_statement, packet // 2), 64 * 1024)
        return self._statement_bytes

    def finish(self) -> None:
        self.close()
        self.bulk_loads.finish()

    def abort(self) -> None:
        """The step is failing: collect the INSERT in flight (the connection cannot roll back
        while it waits), whatever its outcome, then put the checks back."""
        with contextlib.suppress(Exception):  # the step's own error is the one to report
            self.close()
        self.bulk_loads.reset()


def _literals(driver: Any, values: Sequence[Any]) -> list[bytes]:
    """The SQL literal of each value of one column, as the driver would write it (NULL for
    None): ints, bools and text at C speed, anything else through the driver's dispatch."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds == {int}:
        return [b"NULL" if value is None else b"%d" % value for value in values]
    if kinds == {bool}:
        return [b"NULL" if value is None else b"1" if value else b"0" for value in values]
    if kinds == {str}:
        string_literal = driver.string_literal
        encoding = driver.encoding
        return [
            b"NULL" if value is None else string_literal(value.encode(encoding)) for value in values
        ]
    literal = driver.literal
    return [literal(value) for value in values]


def non_transactional_tables(using: str, tables: Iterable[str]) -> list[tuple[str, str]]:
    """(table, engine) of the given tables whose storage engine has no transactions (MyISAM,
    Aria, MEMORY...): a step written there could not roll back."""
    wanted = sorted(set(tables))
    if not wanted:
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
            f" AND TABLE_NAME IN ({', '.join(['%s'] * len(wanted))}) ORDER BY TABLE_NAME",
            wanted,
        )
        return [
            (table, engine)
            for table, engine in cursor.fetchall()
            if (engine or "").upper() not in TRANSACTIONAL_ENGINES
        ]


def check_transactional(using: str, models_: Iterable[type[models.Model]]) -> None:
    """Refuse, in one line, a database whose seeded tables cannot roll a step back."""
    tables = [m._meta.db_table for m in models_ if m._meta.managed and not m._meta.proxy]
    found = non_transactional_tables(using, tables)
    if found:
        listed = ", ".join(f"{table} ({engine})" for table, engine in found)
        raise DatabaseNotReady(
            f"database {using!r} keeps {listed} in a storage engine without transactions, so a "
            "failed step could not be rolled back; convert them to InnoDB "
            "(ALTER TABLE ... ENGINE=InnoDB) first"
        )


class MysqlBulkLoads(BulkLoads):
    """Foreign keys checked once per key at the end of the step instead of once per row.

    ``foreign_key_checks`` is a session setting: once it is off, every table the step writes is
    unchecked, so each one gets a watermark (its largest primary key before its unchecked rows)
    and its rows above the mark are validated, whatever their number. ``unique_checks`` stays
    on: without it InnoDB may skip duplicate checks of secondary unique indexes.
    """

    def __init__(self, using: str, before_statement: Any = lambda: None) -> None:
        super().__init__(using, before_statement)
        #: Table -> its largest primary key when its rows went unchecked (None: check it all).
        self._watermarks: dict[str, Any] = {}
        #: Table -> (its foreign keys, its integer primary key column), read once per run for
        #: every table at once: information_schema costs MariaDB 20 to 40 ms a query, and a run
        #: never changes a schema (no DDL on MySQL, see above).
        self._schema: dict[str, tuple[list[tuple[str, str, str, str]], str | None]] | None = None

    def _table_schema(
        self, cursor: Any, table: str
    ) -> tuple[list[tuple[str, str, str, str]], str | None]:
        if self._schema is None:
            self._schema = _keys(cursor)
        # A table with neither a foreign key nor a primary key is absent from the answer.
        return self._schema.get(table, ([], None))

    def before_first_write(self, table: str, rows: int) -> None:
        if self._watermarks and table not in self._written:
            self._written.add(table)
            self.before_statement()
            self._watermarks[table] = self._watermark(table)
            return
        super().before_first_write(table, rows)

    def _begin(self, table: str, rows: int) -> bool:
        with connections[self.using].cursor() as cursor:
            if not self._table_schema(cursor, table)[0] or self._holds_too_many(
                cursor, table, rows
            ):
                return False
            cursor.execute("SELECT @@SESSION.foreign_key_checks")
            if not cursor.fetchone()[0]:
                return False  # off already, by the caller's choice: nothing of ours to check
        # Rows written so far in this step were checked as they landed; later ones are not.
        self.before_statement()
        self._watermarks = {name: self._watermark(name) for name in sorted(self._written)}
        with connections[self.using].cursor() as cursor:
            cursor.execute("SET SESSION foreign_key_checks = 0")
        return True

    def _watermark(self, table: str) -> Any:
        with connections[self.using].cursor() as cursor:
            key = self._table_schema(cursor, table)[1]
            if key is None:
                return None
            quote = connections[self.using].ops.quote_name
            cursor.execute(f"SELECT coalesce(max({quote(key)}), 0) FROM {quote(table)}")
            return cursor.fetchone()[0]

    def finish(self) -> None:
        """Validate every unchecked row, all of a table's foreign keys in one pass; a row that
        references nothing fails the step (an IntegrityError, as the per-row check would have
        raised)."""
        watermarks = self._watermarks
        if not watermarks:
            self.reset()
            return
        self.before_statement()
        quote = connections[self.using].ops.quote_name
        try:
            with connections[self.using].cursor() as cursor:
                for table, mark in sorted(watermarks.items()):
                    foreign_keys, key = self._table_schema(cursor, table)
                    above = f"c.{quote(key)} > %s" if key and mark is not None else ""
                    params = [mark] if above else []
                    if len(foreign_keys) > 1 and not _any_dangling(
                        cursor, quote, table, foreign_keys, above, params
                    ):
                        continue
                    # One anti-join per key: the first broken one names its row.
                    for name, column, parent, parent_column in foreign_keys:
                        check_references(
                            cursor,
                            quote,
                            name=name,
                            table=table,
                            column=column,
                            parent=parent,
                            parent_column=parent_column,
                            child_from=quote(table),
                            parent_from=quote(parent),
                            where=above,
                            params=params,
                        )
        finally:
            self.reset()

    def reset(self) -> None:
        """Per-row checks back on (the step is committing or rolling back)."""
        if self._watermarks:
            self._watermarks = {}
            self.before_statement()
            with connections[self.using].cursor() as cursor:
                cursor.execute("SET SESSION foreign_key_checks = 1")
        super().reset()


def _any_dangling(
    cursor: Any,
    quote: Any,
    table: str,
    foreign_keys: Sequence[tuple[str, str, str, str]],
    where: str,
    params: Sequence[Any],
) -> bool:
    """Whether a row of ``table`` (those ``where`` selects, as ``c``) breaks any of its foreign
    keys: every key in one pass over the rows. MariaDB reads a table's new rows once instead of
    once per key (a heavy x10 build's messages: 0.26 to 0.36 s against 0.49 to 0.59 s)."""
    broken = " OR ".join(
        f"(c.{quote(column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {quote(parent)} p"
        f" WHERE p.{quote(parent_column)} = c.{quote(column)}))"
        for _name, column, parent, parent_column in foreign_keys
    )
    restrict = f"{where} AND " if where else ""
    first = quote(foreign_keys[0][1])
    cursor.execute(
        f"SELECT c.{first} FROM {quote(table)} c WHERE {restrict}({broken}) LIMIT 1", params
    )
    return cursor.fetchone() is not None


def _keys(cursor: Any) -> dict[str, tuple[list[tuple[str, str, str, str]], str | None]]:
    """Per table of the current database: its single-column foreign keys, as (constraint,
    column, referenced table, referenced column), and its primary key column if it is one
    integer column. One query for every table: MariaDB opens the tables' definitions either way,
    and one query per table cost about 35 ms each on a heavy build (12 of them)."""
    cursor.execute(
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME,"
        " k.REFERENCED_COLUMN_NAME, c.DATA_TYPE FROM information_schema.KEY_COLUMN_USAGE k"
        " JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = k.TABLE_SCHEMA"
        " AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME"
        " WHERE k.TABLE_SCHEMA = DATABASE()"
        " AND (k.REFERENCED_TABLE_NAME IS NOT NULL OR k.CONSTRAINT_NAME = 'PRIMARY')"
        " ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
    )
    foreign_keys: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    primary: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for table, name, column, parent, parent_column, data_type in cursor.fetchall():
        if parent is not None:
            foreign_keys[table].append((name, column, parent, parent_column))
        elif name == "PRIMARY":
            primary[table].append((column, data_type))
    keys = {}
    for table in sorted(set(foreign_keys) | set(primary)):
        columns = primary.get(table, [])
        integer = len(columns) == 1 and columns[0][1].lower() in INTEGER_TYPES
        keys[table] = (foreign_keys.get(table, []), columns[0][0] if integer else None)
    return keys


#: Column types whose values a watermark (``max(pk)``) can order.
INTEGER_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "bigint"})


def values_held(using: str, model: type[models.Model], field: str, values: Sequence[Any]) -> set:
    """Those of ``values`` the table already holds by its column's own equality: with a
    case-insensitive collation, "Ada" is held when "ada" is stored, and a unique index would
    refuse it (a lookup returns "ada", which Python does not find equal to "Ada"). The query
    answers with the proposals' positions, not their values: a value comes back as the driver
    reads it (MariaDB's native UUID column, as a string), which may not equal what was sent."""
    if not values:
        return set()
    connection = connections[using]
    quote = connection.ops.quote_name
    column = model._meta.get_field(field)
    proposals = " UNION ALL ".join(f"SELECT {index} AS i, %s AS v" for index in range(len(values)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.i FROM ({proposals}) AS p WHERE EXISTS (SELECT 1 FROM"
            f" {quote(model._meta.db_table)} t WHERE t.{quote(column.column)} = p.v)",
            [column.get_db_prep_value(value, connection) for value in values],
        )
        return {values[index] for (index,) in cursor.fetchall()}
