"""How a seeder's rows become the values an INSERT binds, exactly as ``bulk_create`` would
prepare them: field conversions, a parent given as an instance, defaults, ``auto_now``,
database defaults; moved column by column, which is far cheaper per row than per value."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Container, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db import connections, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.fields import NOT_PROVIDED

# Fields whose Python values every driver binds exactly as Django would prepare them; others go
# through get_db_prep_save (dates on SQLite, JSON, UUID-as-text, custom fields, ...).
NATIVE_FIELDS: tuple[type[models.Field], ...] = (
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
PSYCOPG_NATIVE_FIELDS = (
    *NATIVE_FIELDS,
    models.DateTimeField,
    models.DateField,
    models.TimeField,
    models.DecimalField,
)


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


def _values(row: dict[str, Any], columns: Sequence[Column]) -> list[Any]:
    values = []
    for _column, key, convert, default in columns:
        value = row[key] if default is None else row.get(key, default())
        values.append(convert(value) if convert is not None and value is not None else value)
    return values


def row_values(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> Iterable[Any]:
    """Each row's values in column order, as the database stores them."""
    if all(convert is None and default is None for _c, _k, convert, default in columns):
        return _tuples(rows, columns)
    return zip(*column_values(rows, columns), strict=True)


def tuple_columns(
    names: Sequence[str], table: Sequence[Sequence[Any]], count: int, columns: Sequence[Column]
) -> list[Any]:
    """The values of rows given as columns in ``names``' order (``table``, ``count`` rows; see
    ``FillContext.add_tuples``) column by column as the database stores them: ``column_values``
    for rows that never were dicts."""
    position = {name: index for index, name in enumerate(names)}
    out: list[Any] = []
    for _column, key, converter, default in columns:
        index = position.get(key)
        if index is None:
            assert default is not None  # column_plan gives every unset field a default
            values: Sequence[Any] = [default() for _ in range(count)]
        else:
            values = table[index]
        if converter is not None:
            values = converter.column(values)
        out.append(values)
    return out


def column_values(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> list[Any]:
    """The rows' values column by column, as the database stores them."""
    if any(default is not None for _c, _k, _cv, default in columns):
        return list(zip(*(_values(row, columns) for row in rows), strict=True))
    # The common case, every column set: rows to columns at C speed, then whole columns
    # converted at once.
    table = list(zip(*_tuples(rows, columns), strict=True))
    for index, (_c, _k, converter, _d) in enumerate(columns):
        if converter is not None:
            table[index] = converter.column(table[index])
    return table


def _tuples(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> Iterable[tuple]:
    """Each row's values in column order, unconverted, for rows that set every column."""
    getter = operator.itemgetter(*(key for _c, key, _cv, _d in columns))
    return [(getter(row),) for row in rows] if len(columns) == 1 else map(getter, rows)


def pk_column(model: type[models.Model]) -> str:
    pk = model._meta.pk
    if pk is None:  # only abstract models, which the registry refuses
        raise TypeError(f"{model._meta.label} has no primary key")
    return pk.column


@functools.cache
def column_plan(
    model: type[models.Model],
    provided: frozenset[str],
    using: str,
    native: tuple[type[models.Field], ...],
    epoch: frozenset[str] = frozenset(),
) -> tuple[Column, ...]:
    """(column, row key, converter, default) for each column an INSERT of these rows sets, the
    way ``bulk_create`` prepares it: ``convert`` turns a value into what the driver binds,
    ``default`` gives the value of a field the rows do not set. The row keys in ``epoch`` hold
    whole seconds since 1970 (UTC) instead of datetimes (see ``FillContext.add_tuples``)."""
    connection = connections[using]
    columns: list[Column] = []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        key = field.attname if field.attname in provided else field.name
        convert: Converter | None = None
        if key in epoch:
            convert = _epoch_converter(field, connection, native)
        elif field.is_relation and key != field.attname:
            convert = Converter(functools.partial(_related_key, field, connection))  # instances
        elif isinstance(field, models.DateTimeField) and not isinstance(field, native):
            convert = _datetime_converter(field, connection)
        elif type(field) is models.DecimalField and not isinstance(field, native):
            convert = _decimal_converter(field, connection)
        elif not isinstance(field.target_field if field.is_relation else field, native):
            convert = Converter(functools.partial(_prep, field, connection))
        default: Callable[[], Any] | None = None
        if key not in provided and (
            getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ):
            # Rows are completed with the run's clock before they get here; a row that still
            # lacks the value gets what save() would give.
            default = functools.partial(field.pre_save, SimpleNamespace(), True)
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


def _decimal_converter(field: models.DecimalField, connection: Any) -> Converter:
    """Django's own preparation, or, where the backend hands a Decimal to its driver as it is
    (``adapt_decimalfield_value`` not overridden: SQLite, MySQL), a finite Decimal kept as it
    is: what that preparation gives it (``Decimal(Decimal(value))``, digits and exponent kept),
    without its three calls per value. Anything else goes through Django's."""
    prep = functools.partial(_prep, field, connection)
    adapt = type(connection.ops).adapt_decimalfield_value
    # Older Django versions formatted the value as text here, to the field's decimal places.
    sample = Decimal("-12.5")
    prepared = prep(sample)
    if (
        adapt is not BaseDatabaseOperations.adapt_decimalfield_value
        or prepared.__class__ is not Decimal
        or str(prepared) != str(sample)
    ):
        return Converter(prep)

    def column(values: Sequence[Any]) -> list[Any]:
        return [
            value
            if value.__class__ is Decimal and value.is_finite()
            else None
            if value is None
            else prep(value)
            for value in values
        ]

    return Converter(prep, column)


def epoch_datetimes(values: Iterable[Any]) -> list[Any]:
    """Whole seconds since 1970 as the aware UTC datetimes they stand for (None kept)."""
    to_datetime = datetime.fromtimestamp
    return [None if value is None else to_datetime(value, UTC) for value in values]


#: 2000-01-01 UTC, PostgreSQL's epoch, in seconds since 1970.
POSTGRES_EPOCH = 946_684_800


def epoch_microseconds(values: Iterable[Any]) -> list[Any]:
    """Whole seconds since 1970 as microseconds since 2000-01-01 UTC (None kept): the int8 that
    binary COPY sends for a ``timestamptz`` of that moment."""
    start = POSTGRES_EPOCH * 1_000_000
    values = values if isinstance(values, list | tuple) else list(values)
    if None in values:
        return [None if value is None else value * 1_000_000 - start for value in values]
    return [value * 1_000_000 - start for value in values]


def tuple_dicts(
    names: Sequence[str], epoch: Container[str], rows: Sequence[Sequence[Any]]
) -> list[dict[str, Any]]:
    """Rows given as tuples of ``names``' values as the dicts ``add`` would have queued, the
    ``epoch`` fields' seconds as datetimes."""
    if not epoch or not rows:
        return [dict(zip(names, row, strict=True)) for row in rows]
    columns = [
        epoch_datetimes(column) if name in epoch else column
        for name, column in zip(names, zip(*rows, strict=True), strict=True)
    ]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _epoch_converter(
    field: models.Field, connection: Any, native: tuple[type[models.Field], ...]
) -> Converter:
    """Whole seconds since 1970 into what the backend stores for the datetime they stand for,
    exactly what the aware UTC datetime would have become: where the writer stores a datetime's
    naive UTC text (SQLite, MySQL), that text straight from the integer, with no datetime made
    per value; elsewhere the datetime, then the field's own conversion (none for psycopg, whose
    COPY writer sends the seconds to binary COPY as int8 instead: see
    ``PostgresCopyWriter.copy_columns``)."""
    if not isinstance(field, models.DateTimeField):
        raise TypeError(f"{field.model._meta.label}.{field.name} is not a DateTimeField")
    to_datetime = functools.partial(datetime.fromtimestamp, tz=UTC)
    if isinstance(field, native):
        return Converter(to_datetime, epoch_datetimes)
    convert = _datetime_converter(field, connection)
    if convert.many is None:  # the backend stores something else than the naive UTC text
        return Converter(
            lambda value: convert(to_datetime(value)),
            lambda values: convert.column([to_datetime(v) if v is not None else v for v in values]),
        )
    return Converter(utc_text, utc_texts)


#: "MM:SS" of each second of an hour, and "YYYY-MM-DD HH:" of each hour met so far.
_MINUTES_SECONDS = [f"{second // 60:02d}:{second % 60:02d}" for second in range(3600)]
_HOURS: dict[int, str] = {}


def utc_text(seconds: int) -> str:
    """``str()`` of the naive UTC datetime ``seconds`` after 1970: what Django's SQLite and MySQL
    backends store for that aware datetime (whole seconds: no fraction)."""
    hour, rest = divmod(seconds, 3600)
    prefix = _HOURS.get(hour)
    if prefix is None:
        prefix = _HOURS[hour] = datetime.fromtimestamp(hour * 3600, UTC).isoformat(" ")[:14]
    return prefix + _MINUTES_SECONDS[rest]


def utc_texts(values: Sequence[Any]) -> list[Any]:
    hours = _HOURS
    minutes_seconds = _MINUTES_SECONDS
    texts: list[Any] = []
    append = texts.append
    for value in values:
        if value is None:
            append(None)
            continue
        hour, rest = divmod(value, 3600)
        prefix = hours.get(hour)
        if prefix is None:
            prefix = utc_text(hour * 3600)[:14]
        append(prefix + minutes_seconds[rest])
    return texts


def _related_key(field: models.Field, connection: Any, instance: models.Model) -> Any:
    value = getattr(instance, field.target_field.attname)
    return field.get_db_prep_save(value, connection)
