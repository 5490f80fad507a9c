"""Row writers: how queued rows reach the database.

``BulkCreateWriter`` is the portable path (``bulk_create`` in batches, any backend).
``PostgresCopyWriter`` is the fast path on PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3,
with primary keys allocated from the table's sequence up front when the caller needs them, so
children can reference parents without a round trip per row. Both receive the same rows, so both
write the same data; only the speed differs.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)

# Fields whose Python values psycopg adapts exactly as Django would; others go through
# get_db_prep_save (JSON, UUID-as-text, custom fields, ...).
_NATIVE_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.DateTimeField,
    models.DateField,
    models.TimeField,
    models.DecimalField,
    models.BooleanField,
    models.FloatField,
)


class BulkCreateWriter:
    def __init__(self, using: str, batch_size: int) -> None:
        self.using = using
        self.batch_size = batch_size

    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        instances = [model(**row) for row in rows]
        return model._default_manager.using(self.using).bulk_create(
            instances, batch_size=self.batch_size
        )


class PostgresCopyWriter(BulkCreateWriter):
    def write(self, model: type[M], rows: Sequence[dict[str, Any]], *, returning: bool) -> list[M]:
        if not rows:
            return []
        concrete = model._meta.concrete_model
        assert concrete is not None
        columns = _copy_columns(concrete, frozenset(rows[0]), self.using)
        connection = connections[self.using]
        quote = connection.ops.quote_name
        pk = concrete._meta.pk
        assert pk is not None
        ids: list[Any] = []
        with connection.cursor() as cursor:
            if returning:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [concrete._meta.db_table, pk.column, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
            names = ([quote(pk.column)] if returning else []) + [
                quote(column[0]) for column in columns
            ]
            sql = f"COPY {quote(concrete._meta.db_table)} ({', '.join(names)}) FROM STDIN"
            plain = all(convert is None and default is None for _c, _k, convert, default in columns)
            getter = operator.itemgetter(*(key for _c, key, _cv, _d in columns))
            with cursor.cursor.copy(sql) as copy:
                write_row = copy.write_row
                if returning:
                    for pk_value, row in zip(ids, rows, strict=True):
                        write_row([pk_value, *_values(row, columns)])
                elif plain and len(columns) > 1:
                    # The common case: every column set, nothing to convert.
                    for row in rows:
                        write_row(getter(row))
                else:
                    for row in rows:
                        write_row(_values(row, columns))
        if not returning:
            return []
        return [model(pk=pk_value, **row) for pk_value, row in zip(ids, rows, strict=True)]


Column = tuple[str, str, Callable[[Any], Any] | None, Callable[[], Any] | None]


def _values(row: dict[str, Any], columns: Sequence[Column]) -> list[Any]:
    values = []
    for _column, key, convert, default in columns:
        value = row[key] if default is None else row.get(key, default())
        values.append(convert(value) if convert is not None and value is not None else value)
    return values


@functools.cache
def _copy_columns(
    model: type[models.Model], provided: frozenset[str], using: str
) -> tuple[Column, ...]:
    """(column, row key, converter, default) for every concrete field but the pk; ``default``
    gives the value a model instance would hold when the row does not set the field."""
    connection = connections[using]
    columns: list[Column] = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        key = field.attname if field.attname in provided else field.name
        convert: Callable[[Any], Any] | None = None
        if not isinstance(field, _NATIVE_FIELDS) and not field.is_relation:
            convert = functools.partial(_prep, field, connection)
        default = None if key in provided else field.get_default
        columns.append((field.column, key, convert, default))
    return tuple(columns)


def _prep(field: models.Field, connection: Any, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def writer_for(using: str, batch_size: int, *, fast: bool = True) -> BulkCreateWriter:
    if fast and connections[using].vendor == "postgresql":
        return PostgresCopyWriter(using, batch_size)
    return BulkCreateWriter(using, batch_size)
