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
import logging
import operator
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, TypeVar

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

    #: A first write of at least this many rows into a table checks its foreign keys in bulk...
    bulk_check_rows = 5000
    #: ...unless the table already holds more than this many times as many rows (validating a
    #: constraint reads the whole table; a per-row check costs about this many row reads).
    bulk_check_ratio = 20

    def __init__(self, using: str, batch_size: int) -> None:
        super().__init__(using, batch_size)
        self._stream: tuple[Any, Any, Any, Any] | None = None  # (key, manager, copy, cursor)
        #: Tables written in the step's transaction, and those of them whose foreign-key
        #: triggers still fire (PostgreSQL refuses to drop a constraint touching such a table).
        self._written: set[str] = set()
        self._checked_per_row: set[str] = set()
        #: (table, [(constraint, definition), ...]) to add back before the step commits.
        self._dropped: list[tuple[str, list[tuple[str, str]]]] = []

    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        if not rows:
            return []
        concrete = model._meta.concrete_model
        assert concrete is not None
        columns = _column_plan(concrete, frozenset(rows[0]), self.using, _PSYCOPG_NATIVE_FIELDS)
        self._before_first_write(concrete._meta.db_table, len(rows))
        if returning:
            return self._write_returning(model, concrete, columns, rows)
        write_row = self._open(concrete, columns).write_row
        for values in _row_values(rows, columns):
            write_row(values)
        return []

    def _write_returning(
        self,
        model: type[M],
        concrete: type[models.Model],
        columns: Sequence[Column],
        rows: Sequence[dict[str, Any]],
    ) -> list[M]:
        self.close()
        connection = connections[self.using]
        pk = concrete._meta.pk
        assert pk is not None
        with connection.cursor() as cursor:
            # Primary keys first, so the caller can refer to these rows before they are written.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [concrete._meta.db_table, pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        copy = self._open(concrete, columns, with_pk=True)
        for pk_value, row in zip(ids, rows, strict=True):
            copy.write_row([pk_value, *_values(row, columns)])
        self.close()
        return [model(pk=pk_value, **row) for pk_value, row in zip(ids, rows, strict=True)]

    def _open(
        self, concrete: type[models.Model], columns: Sequence[Column], *, with_pk: bool = False
    ) -> Any:
        key = (concrete, tuple(columns), with_pk)
        if self._stream is not None and self._stream[0] == key:
            return self._stream[2]
        self.close()
        connection = connections[self.using]
        quote = connection.ops.quote_name
        pk = concrete._meta.pk
        assert pk is not None
        names = ([quote(pk.column)] if with_pk else []) + [quote(c[0]) for c in columns]
        sql = f"COPY {quote(concrete._meta.db_table)} ({', '.join(names)}) FROM STDIN"
        cursor = connection.cursor()
        manager = cursor.cursor.copy(sql)
        self._stream = (key, manager, manager.__enter__(), cursor)
        return self._stream[2]

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
        """End the stream and add back the constraints dropped for this step: adding one checks
        every row against its parent table in one query, and fails the step if one does not
        match, just as the deferred per-row checks would have at commit."""
        self.close()
        dropped, self._dropped = self._dropped, []
        self._written.clear()
        self._checked_per_row.clear()
        if not dropped:
            return
        quote = connections[self.using].ops.quote_name
        with connections[self.using].cursor() as cursor:
            for table, constraints in dropped:
                clauses = ", ".join(f"ADD CONSTRAINT {quote(n)} {d}" for n, d in constraints)
                cursor.execute(f"ALTER TABLE {quote(table)} {clauses}")

    def _before_first_write(self, table: str, rows: int) -> None:
        if table in self._written:
            return
        self._written.add(table)
        if not self._drop_foreign_keys(table, rows):
            self._checked_per_row.add(table)

    def _drop_foreign_keys(self, table: str, rows: int) -> bool:
        """Drop ``table``'s foreign keys for a bulk check at the end of the step, when that pays
        and is safe; return whether the table now has no per-row foreign-key triggers."""
        connection = connections[self.using]
        # Only in a transaction of the step's own: in a dry run or a test's transaction, earlier
        # statements may have left checks pending, which forbid dropping the constraint.
        if rows < self.bulk_check_rows or len(connection.atomic_blocks) != 1:
            return False
        quote = connection.ops.quote_name
        self.close()
        with connection.cursor() as cursor:
            cursor.execute(_FOREIGN_KEYS_SQL, [quote(table)])
            found = cursor.fetchall()
        if not found or found[0][0] is None:
            return True  # no foreign keys: nothing to check per row
        _name, _definition, _parent, _droppable, existing, other_deferred = found[0]
        parents = {parent.strip('"') for _n, _d, parent, *_rest in found}
        if (
            max(existing, 0) > rows * self.bulk_check_ratio
            or other_deferred  # its pending events would forbid adding the constraints back
            or not all(droppable for _n, _d, _p, droppable, *_rest in found)
            or parents & self._checked_per_row
        ):
            return False
        constraints = [(name, definition) for name, definition, *_rest in found]
        drops = ", ".join(f"DROP CONSTRAINT {quote(name)}" for name, _d in constraints)
        try:
            # A savepoint: a refusal (not the table's owner, a lock timeout, a pending trigger
            # of the seeder's own) leaves the step's transaction usable, with per-row checks.
            with transaction.atomic(using=self.using), connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {quote(table)} {drops}")
        except DatabaseError as exc:
            logger.info("checking %s's foreign keys per row: %s", table, exc)
            return False
        self._dropped.append((table, constraints))
        return True

    def abort(self) -> None:
        """Abandon the open COPY (the step is failing and its transaction will roll back, and
        with it any constraint dropped for the step)."""
        self._dropped = []
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


Column = tuple[str, str, Callable[[Any], Any] | None, Callable[[], Any] | None]

# A table's foreign keys: name, definition, referenced table, whether it can be dropped and added
# back as it is (validated, not inherited from a partitioned parent); with the table's estimated
# rows, and whether another deferrable trigger fires on insert (a deferrable unique constraint).
_FOREIGN_KEYS_SQL = """
SELECT c.conname, pg_get_constraintdef(c.oid), c.confrelid::regclass::text,
       c.convalidated AND c.conparentid = 0 AND c.coninhcount = 0,
       t.reltuples,
       EXISTS (
           SELECT 1 FROM pg_trigger g
           LEFT JOIN pg_constraint gc ON gc.oid = g.tgconstraint
           WHERE g.tgrelid = t.oid AND g.tgdeferrable AND g.tgtype & 4 <> 0
             AND (gc.contype IS DISTINCT FROM 'f' OR gc.conrelid <> t.oid)
       )
FROM pg_class t
LEFT JOIN pg_constraint c ON c.conrelid = t.oid AND c.contype = 'f'
WHERE t.oid = %s::regclass
ORDER BY c.conname
"""


def _values(row: dict[str, Any], columns: Sequence[Column]) -> list[Any]:
    values = []
    for _column, key, convert, default in columns:
        value = row[key] if default is None else row.get(key, default())
        values.append(convert(value) if convert is not None and value is not None else value)
    return values


def _row_values(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> Iterable[Any]:
    """Each row's values in column order, as the database stores them."""
    if any(convert is not None or default is not None for _c, _k, convert, default in columns):
        return (_values(row, columns) for row in rows)
    # The common case, every column set and nothing to convert: C speed.
    getter = operator.itemgetter(*(key for _c, key, _cv, _d in columns))
    if len(columns) == 1:
        return ((getter(row),) for row in rows)
    return map(getter, rows)


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
        convert: Callable[[Any], Any] | None = None
        if field.is_relation and key != field.attname:
            convert = functools.partial(_related_key, field, connection)  # a model instance
        elif not isinstance(field.target_field if field.is_relation else field, native):
            convert = functools.partial(_prep, field, connection)
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


def _related_key(field: models.Field, connection: Any, instance: models.Model) -> Any:
    value = getattr(instance, field.target_field.attname)
    return field.get_db_prep_save(value, connection)


def writer_for(using: str, batch_size: int, *, fast: bool = True) -> BulkCreateWriter:
    if not fast:
        return BulkCreateWriter(using, batch_size)
    if connections[using].vendor == "postgresql":
        return PostgresCopyWriter(using, batch_size)
    return ExecutemanyWriter(using, batch_size)
