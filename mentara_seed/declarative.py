"""Automatic fills: what the engine does for a requirement with no ``fill_<name>`` method and
for a population with no ``create()``.

What ``count`` names decides the fill:

- a reverse foreign key or reverse one-to-one: child rows that point at the entity, every other
  field completed automatically (see ``values``), equality lookups of ``filter`` applied as
  constants, a ``recent`` timestamp drawn inside the window;
- a many-to-many, forward or reverse, self-referential included, with an auto-created or an
  explicit ``through`` model: link rows to existing rows of the other side, distinct, never a
  pair already there, never the entity itself, among the rows ``candidates`` allows.

Every row is drawn from a generator keyed by (seed, model, entity key, requirement, first
ordinal); the entity key is the gap's stable key (see ``auditing``), never an allocated primary
key, so two fresh databases and a run resumed after a crash agree on it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import NotSupportedError, connections, models
from django.db.models import F, Lookup, Q
from django.db.models.fields.related import ForeignObjectRel

from .exceptions import ConfigurationError
from .values import BoundRows, compile_q, needs_value, parent_timestamp_field, q_paths

if TYPE_CHECKING:
    from .auditing import Gap, Step
    from .fill import FillContext
    from .registry import Seeder
    from .requirements import Requirement


@dataclass(frozen=True)
class Relation:
    """How an automatic fill writes rows for one requirement."""

    #: "children" (rows pointing at the entity) or "links" (many-to-many rows).
    kind: str
    #: The model whose rows are written: the child model or the through model.
    model: type[models.Model]
    #: The attname on ``model`` that points at the entity.
    entity_field: str
    #: Links: the attname on ``model`` that points at the other side, and that side's model.
    partner_field: str | None = None
    partner: type[models.Model] | None = None
    #: Children: field values the count's filter requires (its equality lookups).
    constants: Mapping[str, Any] = field(default_factory=dict)
    #: Links: the count's filter as a filter on the other side.
    partner_filter: Q | None = None


def has_fill_method(seeder: Seeder, requirement: Requirement) -> bool:
    return callable(getattr(seeder, requirement.fill_method, None))


def _strip(q: Q, prefix: str) -> Q:
    """The Q with ``prefix__`` removed from every lookup; raises where a lookup is elsewhere."""
    stripped = Q()
    stripped.connector, stripped.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            stripped.children.append(_strip(child, prefix))
            continue
        path, value = child
        if not path.startswith(f"{prefix}__"):
            raise ConfigurationError(f"its filter reads {path!r}, outside the counted relation")
        stripped.children.append((path[len(prefix) + 2 :], value))
    return stripped


def _constants(q: Q) -> dict[str, Any]:
    """The equality lookups of an AND-only, un-negated Q: the values children must hold."""
    if q.negated or (q.connector != Q.AND and len(q.children) > 1):
        raise ConfigurationError("its filter is not a plain AND of equalities")
    constants: dict[str, Any] = {}
    for child in q.children:
        if isinstance(child, Q):
            constants.update(_constants(child))
            continue
        path, value = child
        name = path.removesuffix("__exact")
        if "__" in name:
            raise ConfigurationError(f"its filter looks up {path!r}, not a field's own value")
        constants[name] = value
    return constants


def relation_for(seeder: Seeder, requirement: Requirement) -> Relation:
    """What an automatic fill of ``requirement`` writes; raises ConfigurationError saying why
    the engine cannot fill it."""
    if requirement.count is None:
        raise ConfigurationError("it counts with expression=, which names no relation")
    name = requirement.count
    if "__" in name:
        raise ConfigurationError(
            f"count={name!r} crosses more than one relation; an automatic fill needs one"
        )
    try:
        found = seeder.model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ConfigurationError(f"count={name!r} is not a field of {seeder.label}") from None
    if found.many_to_many:
        if isinstance(found, ForeignObjectRel):
            m2m = found.field
            through = found.through
            entity_name, partner_name = m2m.m2m_reverse_field_name(), m2m.m2m_field_name()
            partner = found.related_model
        else:
            m2m = found
            through = found.remote_field.through
            entity_name, partner_name = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
            partner = found.related_model
        if m2m.remote_field.symmetrical and m2m.model is m2m.related_model:
            raise ConfigurationError(
                f"count={name!r} is a symmetrical many-to-many; declare it symmetrical=False"
            )
        partner_filter = _strip(requirement.filter, name) if requirement.filter else None
        return Relation(
            "links",
            through,
            through._meta.get_field(entity_name).attname,
            through._meta.get_field(partner_name).attname,
            partner,
            partner_filter=partner_filter,
        )
    if isinstance(found, ForeignObjectRel) and (found.one_to_many or found.one_to_one):
        child = found.related_model
        constants = _constants(_strip(requirement.filter, name)) if requirement.filter else {}
        for key in constants:
            try:
                child._meta.get_field(key)
            except FieldDoesNotExist:
                raise ConfigurationError(
                    f"its filter sets {key!r}, which is not a field of {child._meta.label}"
                ) from None
        return Relation("children", child, found.field.attname, constants=constants)
    raise ConfigurationError(
        f"count={name!r} is not a reverse foreign key, reverse one-to-one or many-to-many; "
        "the engine cannot add rows through it"
    )


def automatic_relation(seeder: Seeder, requirement: Requirement) -> Relation | None:
    """The relation an automatic fill writes, or None when the seeder fills it with code."""
    if has_fill_method(seeder, requirement):
        return None
    return relation_for(seeder, requirement)


def picked_models(model: type[models.Model], provided: set[str], specs: Mapping) -> set[type]:
    """Models whose existing rows a completed row of ``model`` points at (required foreign keys
    nobody sets)."""
    picked = set()
    for candidate in model._meta.concrete_fields:
        if not candidate.is_relation or candidate.attname in provided:
            continue
        if candidate.name in provided or candidate.name in specs or candidate.attname in specs:
            continue
        if needs_value(candidate):
            picked.add(candidate.related_model._meta.concrete_model)
    return picked


# Filling --------------------------------------------------------------------------------------


class _InArray(Lookup):
    """``lhs IN keys`` with the keys as one parameter: an array on PostgreSQL (``= ANY(%s)``), a
    JSON array on SQLite (``json_each``). A 500-key ``IN`` list costs Django a prepared value
    per key, psycopg a split of the query in Python (it caches only queries of at most 50
    parameters) and PostgreSQL a plan per chunk: reading 32,000 orders' times took 0.3 s of CPU
    by ``IN`` chunks on either backend, 0.05 s by arrays on PostgreSQL and 0.11 s on SQLite."""

    lookup_name = "mentara_in_array"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        raise NotSupportedError(f"{connection.vendor}: no array of keys in one parameter")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*params, list(self.rhs))

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*params, json.dumps(self.rhs))


#: Keys per array parameter.
ARRAY_CHUNK = 10_000


def _rows_by(
    ctx: FillContext, queryset: models.QuerySet, group: str, *fields: str, keys: Sequence[Any]
) -> Mapping[Any, Sequence[tuple[Any, ...]]]:
    """``ctx.values_by(queryset, group, *fields, keys=keys)`` for a caller that does not depend
    on the order of a group's rows: with integer keys on PostgreSQL and SQLite, read by arrays
    of keys (see ``_InArray``)."""
    model = queryset.model
    key_field = model._meta.pk if group == "pk" else model._meta.get_field(group)
    target = key_field.target_field if key_field.is_relation else key_field
    connection = connections[ctx.using]
    arrays = connection.vendor == "postgresql" or (
        # json_each is SQLite's JSON1 extension, built in only from 3.38 on.
        connection.vendor == "sqlite" and connection.features.supports_json_field
    )
    if not arrays or not isinstance(target, models.IntegerField):
        return ctx.values_by(queryset, group, *fields, keys=keys)
    grouped: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    keys = [int(key) for key in keys]
    for start in range(0, len(keys), ARRAY_CHUNK):
        part = keys[start : start + ARRAY_CHUNK]
        for row in queryset.filter(_InArray(F(group), part)).values_list(group, *fields):
            grouped[row[0]].append(row[1:])
    return grouped


def _parent_times(ctx: FillContext, seeder: Seeder, gaps: Sequence[Gap]) -> dict[Any, datetime]:
    name = parent_timestamp_field(seeder.model)
    if name is None:
        return {}
    grouped = _rows_by(
        ctx, seeder.model._base_manager.using(ctx.using), "pk", name, keys=[g.pk for g in gaps]
    )
    return {pk: rows[0][0] for pk, rows in grouped.items() if rows and rows[0][0] is not None}


def fill_automatically(seeder: Seeder, step: Step, ctx: FillContext, gaps: Sequence[Gap]) -> None:
    requirement = step.requirement
    if requirement is None:
        raise ConfigurationError(f"{step.id}: a population has no relation to fill")
    job = _Job(ctx, step, requirement, relation_for(seeder, requirement), gaps)
    if job.relation.kind == "links":
        _fill_links(job)
    else:
        _fill_children(job)


@dataclass(frozen=True)
class _Job:
    """One automatic step's fill: what it writes, for which entities, keyed how."""

    ctx: FillContext
    step: Step
    requirement: Requirement
    relation: Relation
    gaps: Sequence[Gap]

    def times(self, needed: bool) -> Mapping[Any, datetime]:
        """Each entity's own timestamp (children come after it), read only when ``needed``:
        when the rows draw a time (``RowMaker.timed``) or a ``recent`` one. Rows without one
        (an order's items, plain links) never read them."""
        return _parent_times(self.ctx, self.step.seeder, self.gaps) if needed else {}


def _fill_children(job: _Job) -> None:
    ctx, step, requirement, relation = job.ctx, job.step, job.requirement, job.relation
    gaps = job.gaps
    times: Mapping[Any, datetime] = {}
    specs = dict(requirement.values)
    window = step.target.window_days
    recent_field = ""
    if requirement.recent and window is not None:
        head, _, recent_field = requirement.recent.partition("__")
        if head == requirement.count and recent_field and "__" not in recent_field:
            since = ctx.now - timedelta(days=window)

            def recent(rng: Any, fctx: Any, parent: Any) -> datetime:
                start = max(since, times.get(getattr(parent, "pk", None), since))
                return rng.moment_between(min(start, ctx.now), ctx.now)

            specs[recent_field] = recent
    picks = (
        dict(requirement.candidates or {}) if isinstance(requirement.candidates, Mapping) else {}
    )
    outer: set[str] = set()
    for q in picks.values():
        outer |= q_paths(q)[1]
    ctx.load_entities(step.seeder.model, [g.pk for g in gaps], outer)
    provided = frozenset({relation.entity_field, *relation.constants})
    maker = ctx.row_maker(relation.model, provided, specs, picks)
    times = job.times(maker.timed or recent_field in specs)
    model, entity_field, constants = relation.model, relation.entity_field, relation.constants
    # The fill writes only the child model: the rows it points at are read once (see bind),
    # and the rows go to the writer as tuples.
    bound = maker.bind_tuples((entity_field, *constants))
    complete = bound.complete
    sink = _TupleSink(ctx, model, bound, each=maker.reads_own_rows)
    rows, size, each = sink.rows, sink.size, sink.each
    for gap in gaps:
        rng = ctx.rng(gap.key, requirement.name, gap.current)
        after = times.get(gap.pk)
        pk = gap.pk
        for _ in range(gap.missing):
            row = {entity_field: pk, **constants}
            complete(row, rng, gap, after)
            rows.append(tuple(row.values()))
            if each:
                rows = sink.queue()
        if len(rows) >= size:
            rows = sink.queue()
    sink.queue()


class _TupleSink:
    """Rows a declarative fill makes as tuples (see ``RowMaker.bind_tuples``), queued through
    an appender a batch at a time instead of one call per row. Holding rows back is safe
    because completing a row reads the database only at its step's first row (unique sets,
    candidates and times are read once: ``bind(static=True)``), unless it holds a key to its
    own model (``RowMaker.reads_own_rows``: it may point at the row before it), when ``each``
    row is queued before the next is made. Either way the rows reach the writer in the same
    order and batches, and every read sees the rows made before it, as with ``add``."""

    def __init__(
        self, ctx: FillContext, model: type[models.Model], bound: BoundRows, *, each: bool
    ) -> None:
        self.ctx, self.model = ctx, model
        self.appender = ctx.appender(model, bound.names, epoch=bound.epoch)
        self.each = each
        self.size = ctx.batch_size
        self.rows: list[tuple] = []

    def queue(self) -> list[tuple]:
        """Queue the rows held; returns the (new, empty) list to append the next ones to."""
        if self.rows:
            if self.appender.names:
                self.appender.extend(self.rows)
            else:  # rows of nothing but a primary key: the writers take those as dicts
                for _row in self.rows:
                    self.ctx._add_row(self.model, {})
            self.rows = []
        return self.rows


def _fill_links(job: _Job) -> None:
    ctx, step, requirement, relation = job.ctx, job.step, job.requirement, job.relation
    gaps = job.gaps
    if relation.partner is None or relation.partner_field is None:
        raise ConfigurationError(f"{step.id}: a many-to-many fill needs both sides")
    conditions = [
        q
        for q in (relation.partner_filter, requirement.candidates)
        if isinstance(q, Q) and q.children
    ]
    condition = None
    for q in conditions:
        condition = q if condition is None else condition & q
    candidates = ctx.candidates(relation.partner, condition)
    outer = q_paths(condition)[1] if condition is not None else set()
    ctx.load_entities(step.seeder.model, [g.pk for g in gaps], outer)
    through = ctx.objects(relation.model)
    linked = _rows_by(
        ctx, through, relation.entity_field, relation.partner_field, keys=[g.pk for g in gaps]
    )
    same_model = relation.partner._meta.concrete_model is step.seeder.model._meta.concrete_model
    provided = frozenset({relation.entity_field, relation.partner_field})
    maker = ctx.row_maker(relation.model, provided, dict(requirement.values))
    test = compile_q(condition) if condition is not None else None
    entity_field, partner_field = relation.entity_field, relation.partner_field
    # A plain link row (an auto-created through table) has nothing to complete.
    bound = maker.bind_tuples((entity_field, partner_field))
    complete = None if maker.idle else bound.complete
    times = job.times(complete is not None and maker.timed)
    sink = _TupleSink(ctx, relation.model, bound, each=maker.reads_own_rows)
    rows, batch, each = sink.rows, sink.size, sink.each
    pks, values = candidates.pks, candidates.values
    size = len(pks)
    for gap in gaps:
        taken = {row[0] for row in linked.get(gap.pk, ())}
        if same_model:
            taken.add(gap.pk)
        rng = ctx.rng(gap.key, requirement.name, gap.current)
        after = times.get(gap.pk)
        entity = ctx.entity_values(gap, outer)
        needed = gap.missing
        entity_pk = gap.pk
        for index in rng.indices(size):
            if not needed:
                break
            pk = pks[index]
            if pk in taken:
                continue
            if test is not None and not test(values[index], entity):
                continue
            taken.add(pk)
            if complete is None:
                rows.append((entity_pk, pk))
            else:
                row = {entity_field: entity_pk, partner_field: pk}
                complete(row, rng, gap, after)
                rows.append(tuple(row.values()))
                if each:
                    rows = sink.queue()
            needed -= 1
        if needed:
            ctx.shortfall(
                gap,
                f"only {gap.missing - needed} of {gap.missing} {relation.partner._meta.label} "
                "rows could be linked (every other candidate is linked, filtered out or itself)",
            )
        if len(rows) >= batch:
            rows = sink.queue()
    sink.queue()


def create_entities(seeder: Seeder, ctx: FillContext, count: int) -> None:
    """A population with no ``create()``: entities made from automatic values alone."""
    # The step writes only the population's model: the rows it points at are read once.
    maker = ctx.row_maker(seeder.model, frozenset())
    bound = maker.bind_tuples(())
    complete = bound.complete
    sink = _TupleSink(ctx, seeder.model, bound, each=maker.reads_own_rows)
    rows, size, each = sink.rows, sink.size, sink.each
    for ordinal in range(ctx.ordinal_start, ctx.ordinal_start + count):
        rng = ctx.rng("population", ordinal)
        row: dict[str, Any] = {}
        complete(row, rng)
        rows.append(tuple(row.values()))
        if each or len(rows) >= size:
            rows = sink.queue()
    sink.queue()


# The order of steps ---------------------------------------------------------------------------


def writes_and_reads(step: Step) -> tuple[set[type], set[type]]:
    """The models an automatic step writes, and the models any step reads (its own entities,
    and for an automatic step the rows it links to or picks): ordering edges for the plan."""
    model = step.seeder.model._meta.concrete_model
    reads: set[type] = {model}
    writes: set[type] = set()
    requirement = step.requirement
    if requirement is None:
        if type(step.seeder).create is _default_create():
            writes.add(model)
            reads = picked_models(model, set(), dict(getattr(step.seeder, "values", {}) or {}))
        return writes, reads
    try:
        relation = automatic_relation(step.seeder, requirement)
    except ConfigurationError:
        return writes, reads  # the system checks report it
    if relation is None:
        return writes, reads
    writes.add(relation.model._meta.concrete_model)
    if relation.partner is not None:
        reads.add(relation.partner._meta.concrete_model)
    provided = {relation.entity_field, relation.partner_field or "", *relation.constants}
    reads |= picked_models(relation.model, provided, requirement.values)
    return writes, reads


def _default_create() -> Any:
    from .registry import Seeder

    return Seeder.create
