"""Applying a step: buffered, batched inserts with deterministic values.

Seeders describe rows as plain dicts of field values (attnames such as ``author_id`` are
welcome) and hand them to :meth:`FillContext.add`; the context inserts them in batches through
a writer (see ``writers``). Fields a seeder does not set but the model requires are completed
with automatic values (see ``values``), so a model that gains a required field keeps seeding.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import sqlite3
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Hashable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from operator import methodcaller
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, models
from django.db.models import Q

from .auditing import Gap, Step
from .columns import epoch_datetimes, tuple_dicts
from .exceptions import ConfigurationError
from .ordering import CodePointOrder
from .rand import Rand
from .requirements import Target
from .streaming import stream
from .values import Candidates, RowMaker, parent_timestamp_field, q_paths
from .writers import writer_for

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

#: SQLite allows at most 999 host parameters in old builds; chunks of ``IN (...)`` stay under it.
IN_CHUNK = 500


def chunked(items: Sequence[K], size: int = IN_CHUNK) -> Iterator[Sequence[K]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _row_key(model: type[models.Model], attname: str, row: Container[str]) -> str:
    """The key a row (a dict, or the names of a tuple's values) uses for a field: its attname
    (``author_id``) or its name (``author``)."""
    if attname in row:
        return attname
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    return attname


def _value(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


@contextlib.contextmanager
def _fast_time_reads(using: str) -> Iterator[None]:
    """PostgreSQL, while filling: cursors read ``timestamptz`` with psycopg's own loader (C when
    psycopg's binary build is installed) instead of Django's, a pure-Python subclass that only
    swaps in the connection's zone. With the session in UTC both give the same aware datetimes
    (``datetime.timezone.utc``); Django's was most of the cost of reading back the times of rows
    a run just wrote (a post's, for its comments). Any other zone keeps Django's loader."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with _fast_sqlite_time_reads(connection):
            yield
        return
    raw = connection.connection
    if (
        connection.vendor != "postgresql"
        or connection.timezone is not UTC
        or raw is None
        or not hasattr(raw, "adapters")  # psycopg 2
        or raw.info.parameter_status("TimeZone") != "UTC"
    ):
        yield
        return
    import psycopg
    from psycopg.pq import Format

    loader = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    create_cursor = connection.create_cursor

    def create_fast_cursor(name: str | None = None) -> Any:
        cursor = create_cursor(name)
        cursor.adapters.register_loader("timestamptz", loader)
        return cursor

    patched = vars(connection).get("create_cursor")  # someone else's wrapper, to put back
    connection.create_cursor = create_fast_cursor  # this connection, until the step ends
    try:
        yield
    finally:
        if patched is None:
            del connection.create_cursor
        else:
            connection.create_cursor = patched


class _Run:
    """Rows queued as tuples: each holds ``names``' values in that order (``epoch``: the names
    whose values are whole seconds since 1970, UTC)."""

    __slots__ = ("epoch", "names", "rows")

    def __init__(self, names: tuple[str, ...], epoch: frozenset[str]) -> None:
        self.names = names
        self.epoch = epoch
        self.rows: list[tuple] = []


class _Copied:
    """Rows a ``--jobs`` worker encoded as binary COPY data (see ``jobs``), queued where the
    tuples they stand for would be: they count towards the model's batches and are written when
    a serial run writes those tuples. ``starts`` holds each row's offset in ``data`` (a batch
    boundary may fall inside them); ``claims`` the values of the columns of ``names`` that a
    uniqueness rule of the model holds, which the parent claims when it tracks the rule."""

    __slots__ = ("binary", "claims", "count", "data", "epoch", "names", "starts")

    def __init__(
        self,
        names: tuple[str, ...],
        binary: tuple[int, ...],
        data: bytearray,
        starts: array,
        epoch: frozenset[str] = frozenset(),
        claims: dict[str, list[Any]] | None = None,
    ) -> None:
        self.names, self.binary, self.epoch = names, binary, epoch
        self.data, self.starts = data, starts
        self.count = len(starts)
        self.claims = claims or {}

    def split(self, count: int) -> tuple[_Copied, _Copied]:
        """The first ``count`` rows, and the rest."""
        at = self.starts[count]
        rest = array("q", [start - at for start in self.starts[count:]])
        head = _Copied(
            self.names, self.binary, self.data[:at], self.starts[:count], self.epoch,
            {name: column[:count] for name, column in self.claims.items()},
        )  # fmt: skip
        tail = _Copied(
            self.names, self.binary, self.data[at:], rest, self.epoch,
            {name: column[count:] for name, column in self.claims.items()},
        )  # fmt: skip
        return head, tail

    def extend(self, other: _Copied) -> None:
        """``other``'s rows after these (the same columns)."""
        shift = len(self.data)
        self.data += other.data
        self.starts.extend(start + shift for start in other.starts)
        self.count += other.count
        for name, column in self.claims.items():
            column.extend(other.claims[name])


class _Queue(list):
    """A model's queued rows in order: row dicts (``add``), runs of tuples (``add_tuples``) and
    rows ``--jobs`` workers encoded (``_Copied``); ``rows`` counts the rows, which is what a
    batch is made of."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        super().__init__()
        self.rows = 0


class Appender:
    """``ctx.appender(model, names, epoch=...)``: queues rows given as tuples of ``names``'
    values, for a seeder that adds many rows of one shape (see ``FillContext.add_tuples``).
    ``append(row)`` queues one, ``extend(rows)`` several; both check each row's length."""

    __slots__ = ("_ctx", "_model", "_width", "epoch", "names")

    def __init__(
        self,
        ctx: FillContext,
        model: type[models.Model],
        names: tuple[str, ...],
        epoch: frozenset[str],
    ) -> None:
        self._ctx = ctx
        self._model = model
        self.names = names
        self.epoch = epoch
        self._width = len(names)

    def append(self, row: tuple) -> None:
        if len(row) != self._width:
            raise _wrong_width(self._model, self.names, row)
        self._ctx._queue_tuples(self._model, self.names, self.epoch, [row])

    def extend(self, rows: Iterable[tuple]) -> None:
        rows = list(rows)
        _check_widths(self._model, self.names, rows)
        self._ctx._queue_tuples(self._model, self.names, self.epoch, rows)


def _field_names(model: type[models.Model], names: Iterable[str]) -> tuple[str, ...]:
    if isinstance(names, str):  # tuple("title") would be five one-letter names
        raise ConfigurationError(
            f"the fields of {model._meta.label}'s rows must be a tuple of names, not one string"
        )
    return tuple(names)


def _wrong_width(model: type[models.Model], names: tuple[str, ...], row: Any) -> ConfigurationError:
    return ConfigurationError(
        f"a row for {model._meta.label} has {len(row)} values, but its fields are "
        f"{len(names)}: {', '.join(names)}"
    )


def _check_widths(model: type[models.Model], names: tuple[str, ...], rows: list[tuple]) -> None:
    width = len(names)
    for length in set(map(len, rows)):
        if length != width:
            raise _wrong_width(model, names, next(row for row in rows if len(row) == length))


@functools.cache
def tuple_fields(
    model: type[models.Model], names: tuple[str, ...], epoch: frozenset[str]
) -> tuple[str, ...]:
    """``names`` checked as ``add_tuples`` takes them: each a concrete field's name or attname
    (``author`` or ``author_id``), once; ``epoch`` among them, each a DateTimeField."""
    fields = {}
    for field in model._meta.concrete_fields:
        fields[field.name] = field
        fields[field.attname] = field
    seen: dict[str, str] = {}
    for name in names:
        field = fields.get(name)
        if field is None:
            raise ConfigurationError(
                f"{model._meta.label} has no field {name!r} to take tuples' values for; its "
                f"fields: {', '.join(f.attname for f in model._meta.concrete_fields)}"
            )
        if field.attname in seen:
            raise ConfigurationError(
                f"{model._meta.label}.{field.name} is named twice ({seen[field.attname]!r} and "
                f"{name!r}) in the fields of its rows"
            )
        seen[field.attname] = name
    for name in epoch:
        if name not in names:
            raise ConfigurationError(
                f"epoch field {name!r} of {model._meta.label} is not among the rows' fields"
            )
        if not isinstance(fields[name], models.DateTimeField):
            raise ConfigurationError(
                f"{model._meta.label}.{name} is not a DateTimeField: its values cannot be given "
                "as epoch seconds"
            )
    return names


@contextlib.contextmanager
def _fast_sqlite_time_reads(connection: Any) -> Iterator[None]:
    """SQLite, while filling: a ``DateTimeField`` value read back is given the connection's zone
    directly (parsed by ``datetime.fromisoformat`` if the driver left it as text), which is what
    Django's converter does (``parse_datetime`` tries ``fromisoformat`` first, ``make_aware``
    replaces the zone) through several calls and checks per value: the candidates' and parents'
    times of a declarative fill. Anything else (a text ``fromisoformat`` refuses, USE_TZ off)
    goes to Django's own converter."""
    ops = connection.ops
    if not settings.USE_TZ or "convert_datetimefield_value" in vars(ops):
        yield
        return
    django_convert = ops.convert_datetimefield_value
    zone = connection.timezone
    parse = datetime.fromisoformat

    def convert(value: Any, expression: Any, using_connection: Any) -> Any:
        if value.__class__ is datetime:  # the driver parsed it (Django's detect_types)
            return value.replace(tzinfo=zone) if value.tzinfo is None else value
        if value.__class__ is str:
            try:
                parsed = parse(value)
            except ValueError:
                return django_convert(value, expression, using_connection)
            return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed
        return django_convert(value, expression, using_connection)

    ops.convert_datetimefield_value = convert  # this connection's reads, until the step ends
    try:
        yield
    finally:
        del ops.convert_datetimefield_value


class FillContext:
    """What a seeder's ``create`` and ``fill_*`` methods use to read and write."""

    def __init__(
        self,
        *,
        using: str,
        mode: str,
        now: datetime,
        seed: int,
        batch_size: int = 1000,
        fast_path: bool = True,
        bulk_loads: bool = True,
        registry: Any = None,
    ) -> None:
        self.using = using
        self.mode = mode
        self.now = now
        self.seed = seed
        self.batch_size = batch_size
        self.added: Counter[str] = Counter()
        self.step_added: Counter[str] = Counter()
        self.shortfalls: dict[tuple[str, Any], str] = {}
        self.step: Step | None = None
        #: The numbers in force for every step of the run, by step id.
        self.targets: dict[str, Target] = {}
        #: For a population step: how many entities existed before (the first new ordinal).
        self.ordinal_start = 0
        self._buffers: dict[type[models.Model], _Queue] = defaultdict(_Queue)
        self._claimed: dict[tuple[str, str], set[Any]] = defaultdict(set)
        self.writer = writer_for(using, batch_size, fast=fast_path, bulk_loads=bulk_loads)
        self._cache: dict[str, tuple[tuple[int, ...], Any]] = {}
        #: Rows this run wrote per model: what invalidates a cached read.
        self._written: Counter[type[models.Model]] = Counter()
        #: Values claimed since the last checkpoint, to release if the step is retried.
        self._claims_since_checkpoint: list[tuple[tuple[str, str], Any]] = []
        #: The registry of the run: its seeders' field specs and keys apply to generated rows.
        self.registry = registry
        #: Values of every uniqueness rule this run generates for, existing and claimed.
        self._unique: dict[tuple[type[models.Model], tuple[str, ...]], set[tuple]] = {}
        #: Per model: the keyed stream that completes rows a seeder writes (see add()).
        self._streams: dict[type[models.Model], Rand] = {}
        self._makers: dict[tuple[type[models.Model], frozenset[str]], RowMaker] = {}
        self._candidates: dict[tuple[type[models.Model], tuple[str, ...]], Any] = {}
        #: Values of the entities of the step that candidate filters read, by pk.
        self.entity_rows: dict[Any, dict[str, Any]] = {}
        #: Worker processes for ``@parallel`` fills (see ``parallel``); 1: none.
        self.jobs = 1

    def checkpoint(self) -> tuple[Counter[str], Counter[type[models.Model]], dict[Any, str]]:
        """What a step about to run may change in the context; see ``restore``."""
        self._claims_since_checkpoint = []
        return Counter(self.added), Counter(self._written), dict(self.shortfalls)

    def restore(
        self, checkpoint: tuple[Counter[str], Counter[type[models.Model]], dict[Any, str]]
    ) -> None:
        """Forget what a rolled-back step did, so its retry writes what the first try would
        have: its counts, its claimed unique values, and every cached read (they may hold its
        rows' keys)."""
        self.added, self._written, self.shortfalls = checkpoint
        for key, value in self._claims_since_checkpoint:
            self._claimed[key].discard(value)
        self._claims_since_checkpoint = []
        self._cache.clear()
        # Automatic fills' reads hold the rolled-back step's values and rows: read them again.
        self._unique.clear()
        self._forget_makers_claims()
        self._candidates.clear()

    def _forget_makers_claims(self) -> None:
        """Row makers are kept for the run, their unique sets are not: a set read in an earlier
        step no longer learns what is written (the values seeders set themselves are added to
        the step's sets only), so the next row a maker completes reads the database again."""
        for maker in self._makers.values():
            maker.forget_claims()

    def target(self, step_id: str, default: int = 0) -> int:
        """The minimum in force for another step (for a parent that creates its children's
        minimum at once); ``default`` when that step is not registered."""
        target = self.targets.get(step_id)
        return target.minimum if target is not None else default

    def target_for(self, step_id: str, key: Any, default: int = 0) -> int:
        """An entity's own target for another step (with a distribution, drawn from its key),
        for a parent that creates its children's rows at once; ``default`` when that step is
        not registered."""
        target = self.targets.get(step_id)
        return target.for_entity(key) if target is not None else default

    def begin_step(self, step: Step, ordinal_start: int = 0) -> None:
        self.step = step
        self.ordinal_start = ordinal_start
        self.step_added = Counter()
        self._streams = {}
        self.entity_rows = {}

    def _end_step(self) -> None:
        """Forget the step's reads for rows and entities, so what a run holds between steps
        grows only with what ``ctx.cached`` keeps: the step's rows are written, so the next read
        sees them (claim_unique and unique_values check the database again). Cached reads are
        kept: they are read again only when their models gain rows, and re-reading them for
        every step cost more time (about 10% of a heavy build, for the demo's posts) than their
        compact form costs memory."""
        self._unique.clear()
        self._forget_makers_claims()
        self._candidates.clear()
        self._claimed.clear()
        self._claims_since_checkpoint = []
        self._streams = {}
        self.entity_rows = {}

    def rng(self, *parts: object) -> Rand:
        """A generator keyed by the seed, the step's model, and ``parts`` (entity key, purpose,
        ordinal): the same parts always give the same values."""
        label = self.step.seeder.label if self.step else ""
        return Rand(self.seed, label, *parts)

    def objects(self, model: type[M]) -> models.QuerySet[M]:
        return model._default_manager.using(self.using)

    def stream(self, queryset: models.QuerySet, chunk_size: int | None = None) -> Iterator[Any]:
        """``queryset.iterator()`` a batch at a time, from the server on MySQL and MariaDB too
        (``streaming.stream``): for reads of many rows. Read them to the end before the next
        query or write."""
        return stream(queryset, chunk_size or self.batch_size)

    # Writing -----------------------------------------------------------------------------------

    def add(self, model: type[models.Model], /, **values: Any) -> None:
        """Queue one row; it is inserted in a batch, by the end of the step at the latest."""
        self._add_row(model, values)

    def _add_row(self, model: type[models.Model], row: dict[str, Any]) -> None:
        """``add(model, **row)`` for a row dict its caller gives up (the queue keeps it): the
        declarative fills' form, without a keyword round trip per row."""
        buffer = self._buffers[model]
        buffer.append(row)
        buffer.rows += 1
        if buffer.rows >= self.batch_size:
            # Taken off the queue first: completing the batch may read the model's unique
            # values, which flushes its queue, and must not write these rows half-made.
            del self._buffers[model]
            self._write(model, buffer, returning=False)

    def add_rows(self, model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
        """``add(model, **row)`` for each row, without the keyword round trip: the same queue,
        written in the same batches."""
        size = self.batch_size
        start = 0
        while start < len(rows):
            buffer = self._buffers[model]
            take = max(size - buffer.rows, 1)
            part = rows[start : start + take]
            buffer.extend(part)
            buffer.rows += len(part)
            start += take
            if buffer.rows >= size:
                del self._buffers[model]
                self._write(model, buffer, returning=False)

    def add_tuples(
        self,
        model: type[models.Model],
        names: tuple[str, ...],
        rows: Iterable[tuple],
        *,
        epoch: Iterable[str] = (),
    ) -> None:
        """Queue rows given as tuples of ``names``' values, in that order: ``add(model,
        **dict(zip(names, row)))`` for each row, into the same queue and batches, but with no
        dict per row; the values go to the writer column by column. The fields named in
        ``epoch`` (DateTimeFields) take whole seconds since 1970 (UTC) instead of datetimes,
        which the writer turns into what the backend stores for the same aware datetime. Fields
        left out are completed as ``add`` completes them."""
        epoch = frozenset(epoch)
        names = tuple_fields(model, _field_names(model, names), epoch)
        rows = rows if isinstance(rows, list) else list(rows)
        _check_widths(model, names, rows)
        self._queue_tuples(model, names, epoch, rows)

    def appender(
        self, model: type[models.Model], names: tuple[str, ...], *, epoch: Iterable[str] = ()
    ) -> Appender:
        """An ``Appender`` for rows of ``model`` given as tuples of ``names``' values (see
        ``add_tuples``): the names are checked once, then each ``append(row)`` only queues."""
        epoch = frozenset(epoch)
        return Appender(self, model, tuple_fields(model, _field_names(model, names), epoch), epoch)

    def _queue_tuples(
        self,
        model: type[models.Model],
        names: tuple[str, ...],
        epoch: frozenset[str],
        rows: list[tuple],
    ) -> None:
        """Queue checked tuples behind the model's queued rows, writing a batch whenever the
        queue holds ``batch_size`` rows (the boundaries ``add`` would make)."""
        size = self.batch_size
        start = 0
        total = len(rows)
        while start < total:
            buffer = self._buffers[model]
            last = buffer[-1] if buffer else None
            if last.__class__ is not _Run or last.names != names or last.epoch != epoch:
                last = _Run(names, epoch)
                buffer.append(last)
            take = size - buffer.rows
            if start == 0 and take >= total:  # the common case: all of them fit
                last.rows += rows
                buffer.rows += total
                start = total
            else:
                take = max(take, 1)
                part = rows[start : start + take]
                last.rows += part
                buffer.rows += len(part)
                start += len(part)
            if buffer.rows >= size:
                del self._buffers[model]
                self._write(model, buffer, returning=False)

    def _queue_copied(self, model: type[models.Model], copied: _Copied) -> None:
        """Queue rows a worker encoded as ``_queue_tuples`` would queue the tuples they stand
        for: behind the model's queued rows, a batch written whenever the queue holds
        ``batch_size`` rows, so fields are completed, values claimed and rows read at the
        moments of a serial run."""
        size = self.batch_size
        rest: _Copied | None = copied
        while rest is not None:
            buffer = self._buffers[model]
            take = max(size - buffer.rows, 1)
            part, rest = rest.split(take) if rest.count > take else (rest, None)
            last = buffer[-1] if buffer else None
            if (
                last.__class__ is _Copied
                and last.names == part.names
                and last.binary == part.binary
                and last.epoch == part.epoch
            ):
                last.extend(part)
            else:
                buffer.append(part)
            buffer.rows += part.count
            if buffer.rows >= size:
                del self._buffers[model]
                self._write(model, buffer, returning=False)

    def insert(self, model: type[M], rows: Sequence[dict[str, Any]]) -> list[M]:
        """Insert rows now and return them with primary keys (for rows that others refer to)."""
        self.flush(model)
        return self._write(model, list(rows), returning=True)

    def flush(self, model: type[models.Model] | None = None) -> None:
        targets = [model] if model is not None else list(self._buffers)
        for target in targets:
            rows = self._buffers.pop(target, [])
            if rows:
                self._write(target, rows, returning=False)
        # Whoever flushes is about to read or commit: end any open COPY stream (only batches
        # written from add() keep it open, for the next batch of the same table).
        self.writer.close()

    def discard(self) -> None:
        """Forget queued rows and any half-written stream; the step is rolling back."""
        self._buffers.clear()
        self.writer.abort()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """While filling: any statement on the connection first ends an open COPY stream, so
        seeders may query freely between ``add()`` calls."""

        def end_stream_first(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            self.writer.close()
            return execute(sql, params, many, context)

        with (
            connections[self.using].execute_wrapper(end_stream_first),
            _fast_time_reads(self.using),
        ):
            yield
            self.writer.finish()
        self._end_step()

    def _write(self, model: type[M], rows: list[Any], *, returning: bool) -> list[M]:
        if not rows:
            return []
        if any(row.__class__ is _Run or row.__class__ is _Copied for row in rows):
            # Runs of tuples or workers' COPY data among the dicts: each part written in order,
            # as it was queued.
            for kind, part in itertools.groupby(rows, key=lambda row: row.__class__):
                if kind is _Run:
                    for run in part:
                        self._write_run(model, run)
                elif kind is _Copied:
                    for copied in part:
                        self._write_copied(model, copied)
                else:
                    self._write(model, list(part), returning=False)
            return []
        first = rows[0].keys()
        if not all(map(first.__eq__, map(dict.keys, rows))):
            # Rows that set different fields are completed and written a run of equals at a
            # time, in order: one statement has one column list, and a field one row sets
            # itself must not be drawn for it because the batch's first row left it unset.
            created: list[M] = []
            for _fields, run in itertools.groupby(rows, key=frozenset):
                created += self._write(model, list(run), returning=returning)
            return created
        self._complete_required_fields(model, rows)
        created = self.writer.write(model, rows, returning=returning)
        self._count_written(model, len(rows))
        return created

    def _write_run(self, model: type[models.Model], run: _Run) -> None:
        """Tuples of one shape: completed and claimed as ``_write`` does for dicts, then handed
        to the writer as columns."""
        names, rows = run.names, run.rows
        if not rows:
            return
        if self.row_maker(model, frozenset(names)).fields:
            # Fields left to complete: the maker works on dicts (and datetimes), so this run is
            # written as the same rows given to add() would be.
            self._write(model, tuple_dicts(run.names, run.epoch, run.rows), returning=False)
            return
        table = list(zip(*rows, strict=True))
        self._claim_columns(model, run, table)
        self.writer.write_columns(model, names, run.epoch, table, len(rows))
        self._count_written(model, len(rows))

    def _write_copied(self, model: type[models.Model], copied: _Copied) -> None:
        """Rows a worker encoded: their unique values claimed as a run of the same tuples'
        would be, then their bytes into the table's COPY stream."""
        if copied.claims and any(unique_model is model for unique_model, _f in self._unique):
            run = _Run(tuple(copied.claims), copied.epoch)
            self._claim_columns(model, run, list(copied.claims.values()))
        concrete = model._meta.concrete_model or model
        self.writer.write_encoded(
            concrete._meta.db_table, copied.names, copied.binary, copied.count, copied.data
        )
        self._count_written(model, copied.count)

    def _claim_columns(self, model: type[models.Model], run: _Run, table: list[tuple]) -> None:
        """The unique values a run of tuples sets, claimed as ``_complete_required_fields``
        claims a batch of dicts' (epoch seconds as the datetimes they stand for)."""
        names = run.names
        for (unique_model, fields), claimed in self._unique.items():
            if unique_model is not model:
                continue
            count = len(table[0]) if table else 0
            columns = []
            for name in fields:
                key = _row_key(model, name, names)
                column = table[names.index(key)] if key in names else [None] * count
                if key in run.epoch:
                    column = epoch_datetimes(column)
                if any(issubclass(kind, models.Model) for kind in set(map(type, column))):
                    column = [_value(value) for value in column]
                columns.append(column)
            claimed.update([key for key in zip(*columns, strict=True) if None not in key])

    def _count_written(self, model: type[models.Model], count: int) -> None:
        """Count rows of ``model`` written outside ``_write`` too (a worker's COPY data): the
        report's numbers and every cached read's version depend on it."""
        concrete = model._meta.concrete_model or model
        self._written[concrete] += count
        label = concrete._meta.label
        self.added[label] += count
        self.step_added[label] += count

    def _complete_required_fields(
        self, model: type[models.Model], rows: list[dict[str, Any]]
    ) -> None:
        maker = self.row_maker(model, frozenset(rows[0]))
        if maker.fields:
            # One keyed stream per model and step, drawn row after row: the values depend on
            # the rows' order, never on how they were batched.
            stream = self._streams.get(model)
            if stream is None:
                step = self.step.id if self.step else ""
                stream = self._streams[model] = Rand(self.seed, step, model._meta.label, "fields")
            for row in rows:
                maker.complete(row, stream)
        # Values the seeder set itself are taken too: later generated ones must not repeat them.
        for (unique_model, fields), claimed in self._unique.items():
            if unique_model is model:
                # Column by column at C speed (map, zip), not a tuple built in Python per row;
                # a column holding instances (``author=user``) reads as their keys.
                columns = []
                for name in fields:
                    column = list(map(methodcaller("get", _row_key(model, name, rows[0])), rows))
                    if any(issubclass(kind, models.Model) for kind in set(map(type, column))):
                        column = [_value(value) for value in column]
                    columns.append(column)
                claimed.update([key for key in zip(*columns, strict=True) if None not in key])

    def row_maker(
        self,
        model: type[models.Model],
        provided: frozenset[str],
        specs: dict[str, Any] | None = None,
        pick_filters: dict[str, Q] | None = None,
    ) -> RowMaker:
        """How rows of ``model`` that set ``provided`` are completed: the seeder's field specs
        of that model (if any), then ``specs``."""
        if specs is None and pick_filters is None:
            cached = self._makers.get((model, provided))
            if cached is not None:
                return cached
        merged = dict(self.model_specs(model))
        merged.update(specs or {})
        maker = RowMaker(self, model, provided, merged, pick_filters)
        if specs is None and pick_filters is None:
            self._makers[(model, provided)] = maker
        return maker

    def model_specs(self, model: type[models.Model]) -> dict[str, Any]:
        if self.registry is not None and self.registry.is_registered(model):
            return dict(getattr(self.registry.get(model), "values", None) or {})
        return {}

    def unique_values(self, model: type[models.Model], fields: tuple[str, ...]) -> set[tuple]:
        """Every value of a uniqueness rule that exists or this run has claimed (read once a run:
        the run holds the seeding lock, and everything it writes is added)."""
        key = (model, fields)
        claimed = self._unique.get(key)
        if claimed is None:
            self.flush(model)
            claimed = self._unique[key] = {
                tuple(row)
                for row in model._base_manager.using(self.using).values_list(*fields)
                if None not in row
            }
        return claimed

    def candidates(self, model: type[models.Model], pick_filter: Q | None = None) -> Candidates:
        """Existing rows of ``model`` in a stable order (its seeder's key, then pk), with the
        values ``pick_filter`` reads; read again only after this run writes rows of ``model``
        (called once per row: the check costs no query and leaves open streams alone)."""
        paths = tuple(sorted(q_paths(pick_filter)[0])) if pick_filter is not None else ()
        if self._buffers.get(model):
            self.flush(model)  # queued rows are candidates too
        version = self._written[model._meta.concrete_model]
        hit = self._candidates.get((model, paths))
        if hit is not None and hit[0] == version:
            return hit[1]
        key_field = "pk"
        queryset = model._default_manager.using(self.using)
        if self.registry is not None and self.registry.is_registered(model):
            seeder = self.registry.get(model)
            key_field = seeder.key_field
            queryset = seeder.get_queryset(self.using)
        time_field = parent_timestamp_field(model)
        extra = (time_field,) if time_field else ()
        # Code point order, not the collation's: MariaDB's case-insensitive default put
        # "American" after "ability", so the same seed linked other tags there than elsewhere.
        rows = list(
            queryset.order_by(CodePointOrder(key_field), "pk").values_list("pk", *paths, *extra)
        )
        found = Candidates(
            [row[0] for row in rows],
            [dict(zip(paths, row[1 : 1 + len(paths)], strict=True)) for row in rows],
            {row[0]: row[-1] for row in rows if row[-1] is not None} if time_field else {},
        )
        self._candidates[(model, paths)] = (version, found)
        return found

    def entity_values(self, parent: Any, paths: set[str]) -> dict[str, Any]:
        """The entity's values a candidate filter refers to (``OuterRef``), loaded by the fill."""
        if parent is None:
            return {}
        return self.entity_rows.get(getattr(parent, "pk", parent), {})

    def load_entities(self, model: type[models.Model], pks: Sequence[Any], paths: set[str]) -> None:
        """Read ``paths`` of the entities ``pks`` at once, for candidate filters."""
        if not paths:
            return
        names = sorted(paths)
        for part in chunked(list(pks)):
            for row in (
                model._base_manager.using(self.using).filter(pk__in=part).values_list("pk", *names)
            ):
                self.entity_rows[row[0]] = dict(zip(names, row[1:], strict=True))

    # Reading helpers ---------------------------------------------------------------------------

    def claim_unique(
        self,
        model: type[models.Model],
        field: str,
        keys: Sequence[K],
        make: Callable[[K, int], Any],
        max_attempts: int = 1000,
    ) -> dict[K, Any]:
        """A unique value of ``model.field`` for each key: ``make(key, attempt)`` is tried with
        attempt 0, 1, 2... until the value is neither in the database nor claimed in this run, so
        hand-made rows that hold a generated value push the generator to its next value."""
        claim_key = (model._meta.label, field)
        claimed = self._claimed[claim_key]
        result: dict[K, Any] = {}
        for key, value in self._first_free(model, field, keys, make, max_attempts, claimed):
            self._claims_since_checkpoint.append((claim_key, value))
            result[key] = value
        return result

    def free_values(
        self,
        model: type[models.Model],
        field: str,
        keys: Sequence[K],
        make: Callable[[K, int], Any],
        max_attempts: int = 1000,
    ) -> dict[K, Any]:
        """A value of the unique ``model.field`` for each key that no row of the database holds
        and no other key of the call takes: ``make(key, 0)``, else ``make(key, 1)``, and so on.
        For values a seeder draws itself, per entity and ordinal (a conversation's public id):
        after rows were deleted by hand, an ordinal is drawn again while a row made for another
        ordinal, or for an entity whose key came back, still holds the value. One query per
        batch (more only for the values drawn again). Unlike ``claim_unique`` it keeps nothing
        between calls. It checks the rows the database holds when called (a ``--jobs`` worker
        sees only those committed before the step): with each key's values drawn from a
        generator of its own, the step's own rows never hold them, so a ``@parallel`` fill may
        use it. Write the rows right after the call (``ctx.insert``)."""
        return dict(self._first_free(model, field, keys, make, max_attempts, set()))

    def _first_free(
        self,
        model: type[models.Model],
        field: str,
        keys: Sequence[K],
        make: Callable[[K, int], Any],
        max_attempts: int,
        claimed: set[Any],
    ) -> Iterator[tuple[K, Any]]:
        """Each key with its first value (attempt 0, 1, ...) that neither the database nor
        ``claimed`` holds, added to ``claimed``: one query per round, over the keys whose value
        was taken in the round before."""
        attempts: dict[K, int] = dict.fromkeys(keys, 0)
        pending = list(keys)
        size = self._held_chunk()
        while pending:
            proposals = {key: make(key, attempts[key]) for key in pending}
            taken: set[Any] = set()
            values = list(proposals.values())
            for part in chunked(values, size):
                taken.update(self._values_held(model, field, part))
            retry = []
            for key in pending:
                value = proposals[key]
                if value in taken or value in claimed:
                    attempts[key] += 1
                    if attempts[key] >= max_attempts:
                        raise ConfigurationError(
                            f"no free value for {model._meta.label}.{field} after "
                            f"{max_attempts} attempts"
                        )
                    retry.append(key)
                else:
                    claimed.add(value)
                    yield key, value
            pending = retry

    def _held_chunk(self) -> int:
        """Values looked up in one query: a batch's worth (one query per batch of a fill), within
        the parameters a statement may bind (SQLite: its build's limit, 999 in old builds;
        PostgreSQL: 65,535; MySQL's client interpolates them)."""
        connection = connections[self.using]
        limit = 65_535
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(IN_CHUNK, min(self.batch_size, limit))

    def _values_held(self, model: type[models.Model], field: str, values: Sequence[Any]) -> set:
        if connections[self.using].vendor == "mysql":
            from .mysql import values_held  # its collation decides what is equal

            return values_held(self.using, model, field, values)
        return set(
            self.objects(model).filter(**{f"{field}__in": values}).values_list(field, flat=True)
        )

    def cached(self, name: str, load: Callable[[], T], *depends_on: type[models.Model]) -> T:
        """``load()``'s result, reused by later steps of this run until this run writes rows of
        a model in ``depends_on`` (the run holds the seeding lock, so nobody else seeds)."""
        for model in depends_on:
            self.flush(model)  # queued rows count as written
        version = tuple(self._written[m._meta.concrete_model] for m in depends_on)
        hit = self._cache.get(name)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = load()
        self._cache[name] = (version, value)
        return value

    def shortfall(self, gap: Gap, reason: str) -> None:
        """Record why a gap could not be filled; verification reports it."""
        self.shortfalls[(gap.step.id, gap.pk)] = reason

    def values_by(
        self, queryset: models.QuerySet, group: str, *fields: str, keys: Iterable[Any]
    ) -> dict[Any, list[tuple[Any, ...]]]:
        """``fields`` of the rows of ``queryset`` grouped by ``group``, for the given keys, read
        in chunks (a query per chunk of keys) in the queryset's order."""
        grouped: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
        for part in chunked(list(keys)):
            for row in queryset.filter(**{f"{group}__in": part}).values_list(group, *fields):
                grouped[row[0]].append(row[1:])
        return grouped
