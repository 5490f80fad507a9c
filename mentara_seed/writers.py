"""Row writers: how queued rows reach the database.

``BulkCreateWriter`` is the portable path (``bulk_create`` in batches, any backend). The fast
paths skip model instances and write each row's values as the database stores them (see
``columns``): ``PostgresCopyWriter`` on PostgreSQL, ``COPY ... FROM STDIN`` through psycopg 3,
binary where every value allows, with primary keys allocated from the table's sequence up front
when the caller needs them, so children can reference parents without a round trip per row;
``MysqlInsertWriter`` on MySQL and MariaDB (in ``mysql``), multi-row INSERTs sent without
waiting; ``ExecutemanyWriter`` elsewhere, one INSERT run over a batch with the driver's
``executemany``.
All fast paths turn large loads into bulk loads (see ``bulk_loads``). All receive the same rows
and write the same data; only the speed differs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Container, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from django.db import connections, models

from .bulk_loads import bulk_loads_for
from .columns import (
    NATIVE_FIELDS,
    PSYCOPG_NATIVE_FIELDS,
    column_plan,
    column_values,
    epoch_datetimes,
    epoch_microseconds,
    pk_column,
    row_values,
    tuple_columns,
    tuple_dicts,
)

M = TypeVar("M", bound=models.Model)


class BulkCreateWriter:
    def __init__(self, using: str, batch_size: int) -> None:
        self.using = using
        self.batch_size = batch_size

    def close(self) -> None:
        """Make everything written so far visible to the next statement (nothing to do here)."""

    def finish(self) -> None:
        """The step is about to commit: leave the database as consistent as it found it."""

    def abort(self) -> None:
        """Drop anything half-written before the step's transaction rolls back."""

    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        instances = [model(**row) for row in rows]
        manager = model._default_manager.using(self.using)
        with _given_times_kept(model, frozenset(rows[0]) if rows else frozenset()):
            if returning and not connections[self.using].features.can_return_rows_from_bulk_insert:
                return [self._insert_one(manager, instance) for instance in instances]
            return manager.bulk_create(instances, batch_size=self.batch_size)

    def write_columns(
        self,
        model: type[models.Model],
        names: tuple[str, ...],
        epoch: frozenset[str],
        table: Sequence[Sequence[Any]],
        count: int,
    ) -> None:
        """Write ``count`` rows given column by column (``table[i]`` holds field ``names[i]``
        of every row; the fields in ``epoch`` as whole seconds since 1970, UTC): what
        ``write`` does for the same rows as dicts. Here, through those dicts."""
        rows = tuple_dicts(names, epoch, list(zip(*table, strict=True)))
        self.write(model, rows, returning=False)

    def _insert_one(self, manager: Any, instance: M) -> M:
        """MySQL (not MariaDB) has no INSERT ... RETURNING and bulk_create leaves primary keys
        unset there (a multi-row INSERT's keys are consecutive only under some auto-increment
        lock modes): each row's key is read as it lands."""
        manager.bulk_create([instance])
        if instance.pk is None:
            with connections[self.using].cursor() as cursor:
                cursor.execute("SELECT LAST_INSERT_ID()")
                instance.pk = cursor.fetchone()[0]
        return instance


@contextlib.contextmanager
def _given_times_kept(model: type[models.Model], provided: frozenset[str]) -> Iterator[None]:
    """bulk_create stamps ``auto_now``/``auto_now_add`` fields with the wall clock; a value the
    row gives (the run's clock) is kept instead, as the fast paths keep it."""
    flipped = []
    for field in model._meta.concrete_fields:
        if field.attname in provided or field.name in provided:
            flags = (getattr(field, "auto_now", False), getattr(field, "auto_now_add", False))
            if any(flags):
                flipped.append((field, flags))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, (auto_now, auto_now_add) in flipped:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class ExecutemanyWriter(BulkCreateWriter):
    """Rows the caller does not need back go to the driver's ``executemany`` as tuples of
    database values: no model instances, no per-row SQL compilation. Rows with keys wanted back
    still use ``bulk_create``, which reads them back portably."""

    def __init__(self, using: str, batch_size: int, *, bulk_loads: bool = True) -> None:
        super().__init__(using, batch_size)
        self.bulk_loads = bulk_loads_for(using, self.close, enabled=bulk_loads)

    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        if not rows:
            return []
        concrete = model._meta.concrete_model or model
        self.bulk_loads.before_first_write(concrete._meta.db_table, len(rows))
        if returning:
            return super().write(model, rows, returning=returning)
        columns = column_plan(concrete, frozenset(rows[0]), self.using, NATIVE_FIELDS)
        self._execute(concrete, columns, list(row_values(rows, columns)))
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
        self.bulk_loads.before_first_write(concrete._meta.db_table, count)
        columns = column_plan(concrete, frozenset(names), self.using, NATIVE_FIELDS, epoch)
        cells = tuple_columns(names, table, count, columns)
        self._execute(concrete, columns, list(zip(*cells, strict=True)))

    def _execute(
        self, concrete: type[models.Model], columns: Sequence[Any], values: list[Any]
    ) -> None:
        connection = connections[self.using]
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(concrete._meta.db_table)} "
            f"({', '.join(quote(c[0]) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        with connection.cursor() as cursor:
            for start in range(0, len(values), self.batch_size):
                cursor.executemany(sql, values[start : start + self.batch_size])

    def finish(self) -> None:
        self.bulk_loads.finish()

    def abort(self) -> None:
        self.bulk_loads.reset()


class PostgresCopyWriter(BulkCreateWriter):
    """COPY, kept open between batches of the same table: while Python generates the next batch,
    the server is still ingesting the last one (on a second core). Any other statement on the
    connection closes the stream first (see ``FillContext.writing``)."""

    def __init__(self, using: str, batch_size: int, *, bulk_loads: bool = True) -> None:
        super().__init__(using, batch_size)
        self._stream: tuple[Any, Any, Any, Any] | None = None  # (key, manager, copy, cursor)
        self.bulk_loads = bulk_loads_for(using, self.close, enabled=bulk_loads)
        #: Per table: column name -> (type oid, type name).
        self._column_types: dict[str, dict[str, tuple[int, str]]] = {}

    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        if not rows:
            return []
        concrete = model._meta.concrete_model or model
        columns = column_plan(concrete, frozenset(rows[0]), self.using, PSYCOPG_NATIVE_FIELDS)
        table = concrete._meta.db_table
        self.bulk_loads.before_first_write(table, len(rows))
        names = [c[0] for c in columns]
        values = column_values(rows, columns)
        ids: list[Any] = []
        if returning:
            ids = self._allocate_keys(concrete, len(rows))
            names, values = [pk_column(concrete), *names], [ids, *values]
        self._copy(table, names, values, self._binary_types(table, names, values))
        if not returning:
            return []
        self.close()
        return [model(pk=pk_value, **row) for pk_value, row in zip(ids, rows, strict=True)]

    def write_columns(
        self,
        model: type[models.Model],
        names: tuple[str, ...],
        epoch: frozenset[str],
        table: Sequence[Sequence[Any]],
        count: int,
    ) -> None:
        concrete = model._meta.concrete_model or model
        db_table = concrete._meta.db_table
        self.bulk_loads.before_first_write(db_table, count)
        columns, cells, binary = self.copy_columns(concrete, names, epoch, table, count)
        self._copy(db_table, columns, cells, binary)

    def copy_columns(
        self,
        concrete: type[models.Model],
        names: tuple[str, ...],
        epoch: frozenset[str],
        table: Sequence[Sequence[Any]],
        count: int,
    ) -> tuple[tuple[str, ...], list[Any], tuple[int, ...] | None]:
        """The column names, the columns' values and the binary COPY types (None: text) of rows
        given as ``write_columns`` takes them. An ``epoch`` column of whole seconds goes to a
        ``timestamptz`` column as the ``int8`` of its microseconds since 2000 (UTC), which is
        exactly the bytes binary COPY sends for that moment: no datetime per value. When the
        rows cannot travel in binary, those seconds become the aware datetimes text COPY
        writes, as for ``write``. (``--jobs`` workers encode their rows with this too.)"""
        plan = column_plan(concrete, frozenset(names), self.using, PSYCOPG_NATIVE_FIELDS, epoch)
        column_names = tuple(column[0] for column in plan)
        db_table = concrete._meta.db_table
        if not epoch:
            cells = tuple_columns(names, table, count, plan)
            return column_names, cells, self._binary_types(db_table, column_names, cells)
        # The epoch columns' seconds kept as they are, to encode in one of two ways.
        seconds = frozenset(index for index, column in enumerate(plan) if column[1] in epoch)
        raw = [
            (column, key, None, default) if index in seconds else (column, key, convert, default)
            for index, (column, key, convert, default) in enumerate(plan)
        ]
        cells = tuple_columns(names, table, count, raw)
        binary = self._binary_types(db_table, column_names, cells, seconds)
        if binary is not None:
            for index in seconds:
                cells[index] = epoch_microseconds(cells[index])
            return column_names, cells, binary
        for index in seconds:
            cells[index] = epoch_datetimes(cells[index])
        return column_names, cells, self._binary_types(db_table, column_names, cells)

    def _copy(
        self,
        table: str,
        names: Sequence[str],
        values: Sequence[Sequence[Any]],
        binary: tuple[int, ...] | None,
    ) -> None:
        """COPY the columns ``values`` into ``names``: in binary with the types ``binary``,
        or as text (None)."""
        # psycopg's own exceptions (COPY bypasses Django's cursor wrapper) become Django's.
        with connections[self.using].wrap_database_errors:
            write_row = self._open(table, names, binary).write_row
            for row in zip(*values, strict=True):
                write_row(row)

    def write_encoded(
        self,
        table: str,
        names: Sequence[str],
        binary: tuple[int, ...],
        count: int,
        data: bytes | bytearray,
    ) -> None:
        """``count`` rows already encoded as binary COPY data of ``names`` with the types
        ``binary`` (``--jobs`` workers' rows): into the table's stream, behind the rows
        ``write_row`` buffered there, as ``write_row`` would have put them."""
        self.bulk_loads.before_first_write(table, count)
        with connections[self.using].wrap_database_errors:
            copy = self._open(table, names, binary)
            # psycopg's own formatter state: the signature once, then rows; the trailer at the
            # end of the COPY (``_PSYCOPG_INTERNALS`` in ``jobs`` checks these exist).
            formatter = copy.formatter
            if not formatter._signature_sent:
                formatter._write_buffer += _binary_signature()
                formatter._signature_sent = True
            formatter._row_mode = True
            buffer, formatter._write_buffer = formatter._write_buffer, bytearray()
            if buffer:
                copy._write(buffer)
            copy._write(data)

    def _allocate_keys(self, concrete: type[models.Model], count: int) -> list[Any]:
        """Primary keys from the table's sequence, so the caller can refer to rows before they
        are written."""
        self.close()
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                # The function parses its first argument as SQL: a mixed-case or reserved name
                # must arrive quoted.
                [
                    connections[self.using].ops.quote_name(concrete._meta.db_table),
                    pk_column(concrete),
                    count,
                ],
            )
            return [row[0] for row in cursor.fetchall()]

    def _binary_types(
        self,
        table: str,
        names: Sequence[str],
        values: Sequence[Sequence[Any]],
        seconds: Container[int] = (),
    ) -> tuple[int, ...] | None:
        """The columns' type oids when every value can travel in COPY's binary format (several
        times cheaper to encode than text): a type psycopg encodes exactly as its text form,
        and only values of the Python type that encoder takes. Otherwise None: text. The
        columns at the positions in ``seconds`` hold whole seconds since 1970 for a timestamp
        column: ``int8`` (see ``copy_columns``) when they are ints a datetime can hold."""
        known = self._column_types.get(table)
        if known is None:
            self.close()
            with connections[self.using].cursor() as cursor:
                cursor.execute(_COLUMN_TYPES_SQL, [connections[self.using].ops.quote_name(table)])
                known = self._column_types[table] = {
                    name: (oid, typname) for name, oid, typname in cursor.fetchall()
                }
        oids = []
        for index, (name, column) in enumerate(zip(names, values, strict=True)):
            oid, typname = known[name]
            if index in seconds:
                if typname not in _TIMESTAMP_TYPES or not _datetime_seconds(column):
                    return None
                oids.append(_INT8_OID)
                continue
            allowed = _BINARY_PYTHON_TYPES.get(typname)
            found = set(map(type, column))
            found.discard(type(None))
            if allowed is None or not all(self._encodes_as(kind, allowed) for kind in found):
                return None
            # Text reads a naive datetime in the session's zone and a time's zone is dropped;
            # binary would refuse the first and mishandle the second.
            aware = {"timestamptz": True, "time": False}.get(typname)
            if aware is not None and any(
                value is not None and (value.tzinfo is not None) is not aware for value in column
            ):
                return None
            oids.append(oid)
        return tuple(oids)

    def _encodes_as(self, kind: type, allowed: frozenset[type]) -> bool:
        """Whether psycopg writes values of ``kind`` as it writes one of ``allowed`` (a choices
        enum is written as its str value, for instance)."""
        if kind in allowed:
            return True
        from psycopg import ProgrammingError
        from psycopg.adapt import PyFormat

        adapters = connections[self.using].connection.adapters
        try:
            dumper = adapters.get_dumper(kind, PyFormat.TEXT)
        except ProgrammingError:  # nothing encodes it: let the text COPY say so
            return False
        return any(dumper is adapters.get_dumper(base, PyFormat.TEXT) for base in allowed)

    def _open(self, table: str, names: Sequence[str], binary: tuple[int, ...] | None) -> Any:
        key = (table, tuple(names), binary)
        if self._stream is not None and self._stream[0] == key:
            return self._stream[2]
        self.close()
        self.bulk_loads.before_stream(table)
        connection = connections[self.using]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(name) for name in names)
        binary_format = " (FORMAT BINARY)" if binary else ""
        sql = f"COPY {quote(table)} ({columns}) FROM STDIN{binary_format}"
        cursor = connection.cursor()
        manager = cursor.cursor.copy(sql)
        copy = manager.__enter__()
        if binary:
            copy.set_types(list(binary))
        self._stream = (key, manager, copy, cursor)
        return copy

    def close(self) -> None:
        """End the open COPY, waiting for the server to take every row."""
        if self._stream is None:
            return
        _key, manager, _copy, cursor = self._stream
        self._stream = None
        try:
            with connections[self.using].wrap_database_errors:
                manager.__exit__(None, None, None)
        finally:
            cursor.close()

    def finish(self) -> None:
        self.close()
        self.bulk_loads.finish()

    def abort(self) -> None:
        """Abandon the open COPY (the step is failing and its transaction will roll back, and
        with it anything a bulk load dropped)."""
        self.bulk_loads.reset()
        if self._stream is None:
            return
        _key, manager, _copy, cursor = self._stream
        self._stream = None
        from psycopg import Error as PsycopgError

        error = RuntimeError("mentara-seed step failed")
        try:
            manager.__exit__(RuntimeError, error, None)
        except PsycopgError:
            # The server answers an abandoned COPY with an error (QueryCanceled, or whatever
            # made the step fail, a lost connection included); the error the caller is
            # raising already says what went wrong, and the transaction rolls back either way.
            pass
        finally:
            cursor.close()


def _binary_signature() -> bytes:
    from psycopg._copy_base import _binary_signature as signature

    return signature


#: ``int8``'s oid, fixed in every PostgreSQL: the type psycopg encodes epoch columns as.
_INT8_OID = 20
#: Both store a moment as an int8 of microseconds since 2000-01-01 in binary COPY; a naive
#: timestamp as the wall time, which for the UTC moments given is the UTC time, what text COPY
#: stores from the aware UTC datetime's literal (its offset ignored).
_TIMESTAMP_TYPES = frozenset({"timestamptz", "timestamp"})
#: The epoch seconds of 0001-01-01 and 9999-12-31 23:59:59 UTC: the moments a datetime holds.
_FIRST_SECOND, _LAST_SECOND = -62_135_596_800, 253_402_300_799


def _datetime_seconds(column: Sequence[Any]) -> bool:
    """Whether the values are ints (or None) that the datetime path could write: anything else
    (a float, a bool, a year past 9999) goes that way, to be written or refused as before."""
    kinds = set(map(type, column))
    if kinds - {int, type(None)}:
        return False
    present = column if type(None) not in kinds else [v for v in column if v is not None]
    return not present or (min(present) >= _FIRST_SECOND and max(present) <= _LAST_SECOND)


_COLUMN_TYPES_SQL = """
SELECT a.attname, a.atttypid, t.typname
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""

# Column types whose binary COPY encoding psycopg produces from exactly these Python types with
# the same result as its text encoding; anything else (bool into an integer, a naive datetime,
# enums, arrays, JSON, custom types) travels as text.
_BINARY_PYTHON_TYPES: dict[str, frozenset[type]] = {
    "int2": frozenset({int}),
    "int4": frozenset({int}),
    "int8": frozenset({int}),
    "varchar": frozenset({str}),
    "text": frozenset({str}),
    "bool": frozenset({bool}),
    "float4": frozenset({float}),
    "float8": frozenset({float}),
    "numeric": frozenset({Decimal}),
    "date": frozenset({date}),
    "time": frozenset({time}),
    "timestamptz": frozenset({datetime}),
    "uuid": frozenset({UUID}),
}


def writer_for(
    using: str, batch_size: int, *, fast: bool = True, bulk_loads: bool = True
) -> BulkCreateWriter:
    if not fast:
        return BulkCreateWriter(using, batch_size)
    vendor = connections[using].vendor
    if vendor == "postgresql":
        return PostgresCopyWriter(using, batch_size, bulk_loads=bulk_loads)
    if vendor == "mysql":
        from .mysql import MysqlInsertWriter  # it builds on this module

        return MysqlInsertWriter(using, batch_size, bulk_loads=bulk_loads)
    return ExecutemanyWriter(using, batch_size, bulk_loads=bulk_loads)
