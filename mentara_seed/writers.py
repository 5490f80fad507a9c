"""Row writers: how queued rows reach the database.

``BulkCreateWriter`` is the portable path (``bulk_create`` in batches, any backend).
The fast paths skip model instances and write each row's values as the database stores them:
``PostgresCopyWriter`` on PostgreSQL, ``COPY ... FROM STDIN`` through psycopg 3, with primary keys
allocated from the table's sequence up front when the caller needs them, so children can
reference parents without a round trip per row; ``ExecutemanyWriter`` elsewhere, one INSERT run
over a batch with the driver's ``executemany``. All receive the same rows and prepare values as
``bulk_create`` would (field conversions, defaults, ``auto_now``), so all write the same data;
only the speed differs.

A large load on PostgreSQL also checks its foreign keys in bulk, as PostgreSQL's "Populating a
Database" advises: the table's foreign-key constraints are dropped before its first row and added
back, with their exact definitions, before the step commits. Adding a constraint validates every
row in one join instead of one trigger-fired lookup per row, which was a third of a heavy build.
It all happens inside the step's transaction, so a failing step (or a row that breaks a foreign
key) rolls the constraints back with the rows.
"""

from __future__ import annotations

import functools
import json
import logging
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, TypeVar
from uuid import UUID

from django.db import DatabaseError, connections, models, transaction
from django.db.models.fields import NOT_PROVIDED

M = TypeVar("M", bound=models.Model)

logger = logging.getLogger(__name__)

# Fields whose Python values every driver binds exactly as Django would prepare them; others go
# through get_db_prep_save (dates on SQLite, JSON, UUID-as-text, custom fields, ...).
_NATIVE_FIELDS: tuple[type[models.Field], ...] = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.FloatField,
)
# psycopg also adapts these as Django does.
_PSYCOPG_NATIVE_FIELDS = (
    *_NATIVE_FIELDS,
    models.DateTimeField,
    models.DateField,
    models.TimeField,
    models.DecimalField,
)


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
        return model._default_manager.using(self.using).bulk_create(
            instances, batch_size=self.batch_size
        )


class ExecutemanyWriter(BulkCreateWriter):
    """Rows the caller does not need back go to the driver's ``executemany`` as tuples of
    database values: no model instances, no per-row SQL compilation. Rows with keys wanted back
    still use ``bulk_create``, which reads them back portably."""

    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        if returning or not rows:
            return super().write(model, rows, returning=returning)
        concrete = model._meta.concrete_model
        assert concrete is not None
        columns = _column_plan(concrete, frozenset(rows[0]), self.using, _NATIVE_FIELDS)
        connection = connections[self.using]
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(concrete._meta.db_table)} "
            f"({', '.join(quote(c[0]) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        values = list(_row_values(rows, columns))
        with connection.cursor() as cursor:
            for start in range(0, len(values), self.batch_size):
                cursor.executemany(sql, values[start : start + self.batch_size])
        return []


class PostgresCopyWriter(BulkCreateWriter):
    """COPY, kept open between batches of the same table: while Python generates the next batch,
    the server is still ingesting the last one (on a second core). Any other statement on the
    connection closes the stream first (see ``FillContext.writing``)."""

    #: A first write of at least this many rows into a table makes it a bulk load...
    bulk_load_rows = 5000
    #: ...unless the table already holds more than this many times as many rows (rebuilding an
    #: index or validating a constraint reads the whole table).
    bulk_load_ratio = 20

    def __init__(self, using: str, batch_size: int) -> None:
        super().__init__(using, batch_size)
        self._stream: tuple[Any, Any, Any, Any] | None = None  # (key, manager, copy, cursor)
        #: Tables written in the step's transaction, and those of them whose foreign-key
        #: triggers still fire (PostgreSQL refuses to drop a constraint touching such a table).
        self._written: set[str] = set()
        self._checked_per_row: set[str] = set()
        #: What to rebuild before the step commits.
        self._bulk_loads: list[_BulkLoad] = []
        #: Per table: column name -> (type oid, type name).
        self._column_types: dict[str, dict[str, tuple[int, str]]] = {}

    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        if not rows:
            return []
        concrete = model._meta.concrete_model
        assert concrete is not None
        columns = _column_plan(concrete, frozenset(rows[0]), self.using, _PSYCOPG_NATIVE_FIELDS)
        table = concrete._meta.db_table
        self._before_first_write(table, len(rows))
        names = [c[0] for c in columns]
        values = _column_values(rows, columns)
        ids: list[Any] = []
        if returning:
            ids = self._allocate_keys(concrete, len(rows))
            names, values = [_pk_column(concrete), *names], [ids, *values]
        write_row = self._open(table, names, self._binary_types(table, names, values)).write_row
        for row in zip(*values, strict=True):
            write_row(row)
        if not returning:
            return []
        self.close()
        return [model(pk=pk_value, **row) for pk_value, row in zip(ids, rows, strict=True)]

    def _allocate_keys(self, concrete: type[models.Model], count: int) -> list[Any]:
        """Primary keys from the table's sequence, so the caller can refer to rows before they
        are written."""
        self.close()
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [concrete._meta.db_table, _pk_column(concrete), count],
            )
            return [row[0] for row in cursor.fetchall()]

    def _binary_types(
        self, table: str, names: Sequence[str], values: Sequence[Sequence[Any]]
    ) -> tuple[int, ...] | None:
        """The columns' type oids when every value can travel in COPY's binary format (several
        times cheaper to encode than text): a type psycopg encodes exactly as its text form,
        and only values of the Python type that encoder takes. Otherwise None: text."""
        known = self._column_types.get(table)
        if known is None:
            self.close()
            with connections[self.using].cursor() as cursor:
                cursor.execute(_COLUMN_TYPES_SQL, [connections[self.using].ops.quote_name(table)])
                known = self._column_types[table] = {
                    name: (oid, typname) for name, oid, typname in cursor.fetchall()
                }
        oids = []
        for name, column in zip(names, values, strict=True):
            oid, typname = known[name]
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
        from psycopg.adapt import PyFormat

        adapters = connections[self.using].connection.adapters
        dumper = adapters.get_dumper(kind, PyFormat.TEXT)
        return any(dumper is adapters.get_dumper(base, PyFormat.TEXT) for base in allowed)

    def _open(self, table: str, names: Sequence[str], binary: tuple[int, ...] | None) -> Any:
        key = (table, tuple(names), binary)
        if self._stream is not None and self._stream[0] == key:
            return self._stream[2]
        self.close()
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
            manager.__exit__(None, None, None)
        finally:
            cursor.close()

    def finish(self) -> None:
        """End the stream and rebuild what was dropped for this step's loads: the indexes, in
        one sorted pass each, then the foreign keys, each checking every row against its parent
        table in one query; a row that does not match fails the step, just as the deferred
        per-row check would have at commit."""
        self.close()
        loads, self._bulk_loads = self._bulk_loads, []
        self._written.clear()
        self._checked_per_row.clear()
        quote = connections[self.using].ops.quote_name
        with connections[self.using].cursor() as cursor:
            for load in loads:
                for definition in load.indexes:
                    cursor.execute(definition)
                if load.constraints:
                    clauses = ", ".join(
                        f"ADD CONSTRAINT {quote(name)} {definition}"
                        for name, definition in load.constraints
                    )
                    cursor.execute(f"ALTER TABLE {quote(load.table)} {clauses}")

    def _before_first_write(self, table: str, rows: int) -> None:
        if table in self._written:
            return
        self._written.add(table)
        if not self._begin_bulk_load(table, rows):
            self._checked_per_row.add(table)

    def _begin_bulk_load(self, table: str, rows: int) -> bool:
        """Drop ``table``'s foreign keys and secondary indexes until the end of the step, when
        that pays and is safe; return whether the table is left without per-row checks."""
        connection = connections[self.using]
        # Only in a transaction of the step's own: in a dry run or a test's transaction, earlier
        # statements may have left checks pending, which forbid dropping anything.
        if rows < self.bulk_load_rows or len(connection.atomic_blocks) != 1:
            return False
        quote = connection.ops.quote_name
        self.close()
        with connection.cursor() as cursor:
            cursor.execute(_BULK_LOAD_SQL, [quote(table)])
            existing, other_deferred, *found = cursor.fetchone()
        indexes, keys = (json.loads(x) if isinstance(x, str) else x for x in found)
        constraints = [(name, definition) for name, definition, _parent, _ok in keys]
        if (
            existing > rows * self.bulk_load_ratio
            or other_deferred  # its pending events would forbid rebuilding
            or not all(droppable for _n, _d, _p, droppable in keys)
            or {parent.strip('"') for _n, _d, parent, _ok in keys} & self._checked_per_row
        ):
            return False
        if not constraints and not indexes:
            return True
        drops = [f"DROP INDEX {name}" for name, _definition in indexes]
        if constraints:
            clauses = ", ".join(f"DROP CONSTRAINT {quote(name)}" for name, _d in constraints)
            drops.append(f"ALTER TABLE {quote(table)} {clauses}")
        try:
            # A savepoint: a refusal (not the table's owner, a lock timeout, a pending trigger
            # of the seeder's own) leaves the step's transaction usable, with per-row checks.
            with transaction.atomic(using=self.using), connection.cursor() as cursor:
                for statement in drops:
                    cursor.execute(statement)
        except DatabaseError as exc:
            logger.info("loading %s with per-row checks: %s", table, exc)
            return False
        self._bulk_loads.append(
            _BulkLoad(table, [definition for _n, definition in indexes], constraints)
        )
        return True

    def abort(self) -> None:
        """Abandon the open COPY (the step is failing and its transaction will roll back, and
        with it any constraint dropped for the step)."""
        self._bulk_loads = []
        self._written.clear()
        self._checked_per_row.clear()
        if self._stream is None:
            return
        _key, manager, _copy, cursor = self._stream
        self._stream = None
        error = RuntimeError("mentara-seed step failed")
        try:
            manager.__exit__(RuntimeError, error, None)
        except Exception:
            pass
        finally:
            cursor.close()


@dataclass
class _BulkLoad:
    table: str
    indexes: list[str]  # CREATE INDEX statements
    constraints: list[tuple[str, str]]  # (name, definition) of foreign keys


class Converter:
    """Turns a field's Python values into what the driver binds: one at a time (``convert(v)``)
    or a whole column at once (``convert.column(values)``, which a converter may do faster)."""

    def __init__(
        self,
        one: Callable[[Any], Any],
        many: Callable[[Sequence[Any]], list[Any]] | None = None,
    ) -> None:
        self.one = one
        self.many = many

    def __call__(self, value: Any) -> Any:
        return self.one(value)

    def column(self, values: Sequence[Any]) -> list[Any]:
        if self.many is not None:
            return self.many(values)
        one = self.one
        return [None if value is None else one(value) for value in values]


# (column name, row key, converter or None, default or None for a field the rows do not set)
Column = tuple[str, str, Converter | None, Callable[[], Any] | None]

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

# What a bulk load of a table needs to know: its estimated rows; whether a deferrable trigger
# other than its foreign keys' fires on insert (a deferrable unique constraint, say); its
# secondary indexes, as (name, CREATE statement): neither unique nor backing a constraint;
# and its foreign keys, as (name, definition, referenced table, whether it can be dropped and
# added back as it is: validated, not inherited from a partitioned parent).
_BULK_LOAD_SQL = """
SELECT
    greatest(t.reltuples, 0),
    EXISTS (
        SELECT 1 FROM pg_trigger g
        LEFT JOIN pg_constraint gc ON gc.oid = g.tgconstraint
        WHERE g.tgrelid = t.oid AND g.tgdeferrable AND g.tgtype & 4 <> 0
          AND (gc.contype IS DISTINCT FROM 'f' OR gc.conrelid <> t.oid)
    ),
    (
        SELECT coalesce(json_agg(json_build_array(
            i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        ) ORDER BY i.indexrelid::regclass::text), '[]')
        FROM pg_index i
        WHERE i.indrelid = t.oid AND NOT i.indisunique AND NOT i.indisprimary
          AND NOT i.indisexclusion AND i.indisvalid AND i.indisready
          AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid)
          AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
    ),
    (
        SELECT coalesce(json_agg(json_build_array(
            c.conname, pg_get_constraintdef(c.oid), c.confrelid::regclass::text,
            c.convalidated AND c.conparentid = 0 AND c.coninhcount = 0
        ) ORDER BY c.conname), '[]')
        FROM pg_constraint c
        WHERE c.conrelid = t.oid AND c.contype = 'f'
    )
FROM pg_class t
WHERE t.oid = %s::regclass
"""


def _values(row: dict[str, Any], columns: Sequence[Column]) -> list[Any]:
    values = []
    for _column, key, convert, default in columns:
        value = row[key] if default is None else row.get(key, default())
        values.append(convert(value) if convert is not None and value is not None else value)
    return values


def _row_values(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> Iterable[Any]:
    """Each row's values in column order, as the database stores them."""
    if all(convert is None and default is None for _c, _k, convert, default in columns):
        getter = operator.itemgetter(*(key for _c, key, _cv, _d in columns))
        return [(getter(row),) for row in rows] if len(columns) == 1 else map(getter, rows)
    return zip(*_column_values(rows, columns), strict=True)


def _column_values(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> list[Any]:
    """The rows' values column by column, as the database stores them."""
    if any(default is not None for _c, _k, _cv, default in columns):
        return list(zip(*(_values(row, columns) for row in rows), strict=True))
    # The common case, every column set: rows to columns at C speed, then whole columns
    # converted at once.
    getter = operator.itemgetter(*(key for _c, key, _cv, _d in columns))
    tuples = [(getter(row),) for row in rows] if len(columns) == 1 else map(getter, rows)
    table = list(zip(*tuples, strict=True))
    for index, (_c, _k, converter, _d) in enumerate(columns):
        if converter is not None:
            table[index] = converter.column(table[index])
    return table


def _pk_column(model: type[models.Model]) -> str:
    assert model._meta.pk is not None
    return model._meta.pk.column


@functools.cache
def _column_plan(
    model: type[models.Model],
    provided: frozenset[str],
    using: str,
    native: tuple[type[models.Field], ...],
) -> tuple[Column, ...]:
    """(column, row key, converter, default) for each column an INSERT of these rows sets, the
    way ``bulk_create`` prepares it: ``convert`` turns a value into what the driver binds,
    ``default`` gives the value of a field the rows do not set."""
    connection = connections[using]
    columns: list[Column] = []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        key = field.attname if field.attname in provided else field.name
        convert: Converter | None = None
        if field.is_relation and key != field.attname:
            convert = Converter(functools.partial(_related_key, field, connection))  # instances
        elif isinstance(field, models.DateTimeField) and not isinstance(field, native):
            convert = _datetime_converter(field, connection)
        elif not isinstance(field.target_field if field.is_relation else field, native):
            convert = Converter(functools.partial(_prep, field, connection))
        default: Callable[[], Any] | None = None
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            # Like save(): the current time, whatever the row says.
            key, default = "", functools.partial(field.pre_save, SimpleNamespace(), True)
        elif key not in provided:
            if field.db_default is not NOT_PROVIDED and not field.has_default():
                continue  # the database fills it in
            default = field.get_default
        columns.append((field.column, key, convert, default))
    return tuple(columns)


def _prep(field: models.Field, connection: Any, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def _datetime_converter(field: models.DateTimeField, connection: Any) -> Converter:
    """Django's own preparation, or, where the backend stores a UTC datetime as the text of its
    naive form (SQLite), that text made directly: the same string at a fraction of the cost."""
    prep = functools.partial(_prep, field, connection)
    sample = datetime(2001, 2, 3, 4, 5, 6, 789, tzinfo=UTC)
    if connection.timezone is not UTC or any(
        connection.ops.adapt_datetimefield_value(value) != value.isoformat(" ")[:-6]
        for value in (sample, sample.replace(microsecond=0))
    ):
        return Converter(prep)

    def column(values: Sequence[Any]) -> list[Any]:
        texts = []
        for value in values:
            if value.__class__ is datetime and value.tzinfo is UTC:
                texts.append(value.isoformat(" ")[:-6])  # "+00:00" off: the naive form
            else:
                texts.append(None if value is None else prep(value))
        return texts

    return Converter(prep, column)


def _related_key(field: models.Field, connection: Any, instance: models.Model) -> Any:
    value = getattr(instance, field.target_field.attname)
    return field.get_db_prep_save(value, connection)


def writer_for(using: str, batch_size: int, *, fast: bool = True) -> BulkCreateWriter:
    if not fast:
        return BulkCreateWriter(using, batch_size)
    if connections[using].vendor == "postgresql":
        return PostgresCopyWriter(using, batch_size)
    return ExecutemanyWriter(using, batch_size)
