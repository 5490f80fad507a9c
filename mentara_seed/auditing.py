"""The audit: totals per model and, per requirement, the entities below their minimum.

Each requirement costs one aggregate query that returns only the entities with a gap, so the
number of queries depends on the requirements, never on the rows.

Each entity with a gap gets a stable key (``Gap.key``): its target under a distribution and
every value written for it are drawn from that key, so it must be the same in two fresh
databases and in a run resumed after a crash. A seeder's ``key_field`` gives it; with
``key_field = "pk"`` an allocated primary key would not do (sequences and InnoDB counters are
not rolled back, so a rolled-back step, a crash or a dry run moves every later key). Such an
entity is keyed instead by its parent's natural key and its ordinal among its siblings (the
entities of the same parent, in primary-key order), or, with no such parent, by its rank among
the seeder's entities in primary-key order. Both come from a window function in the same one
query.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, FieldError
from django.db import connections, models
from django.db.models import Case, Count, F, IntegerField, Max, Q, Value, When, Window
from django.db.models.functions import RowNumber

from .ordering import CodePointOrder
from .registry import Seeder, SeedRegistry
from .requirements import POPULATION, Requirement, Target
from .streaming import stream, stream_sql
from .validation import field_error_line, seeder_name


@dataclass(frozen=True)
class AuditContext:
    using: str
    mode: str
    now: datetime
    seed: int
    scale: int = 1


@dataclass(frozen=True)
class Keying:
    """How the entities of a seeder are keyed (see the module's docstring)."""

    #: "natural" (the seeder's ``key_field``), "parent" (the parent's key and the entity's
    #: ordinal among its siblings) or "rank" (the entity's rank in primary-key order).
    kind: str
    #: For "parent": the attname of the foreign key, and the path to the parent's natural key.
    parent_field: str = ""
    parent_key: str = ""


def entity_keying(seeder: Seeder, registry: SeedRegistry) -> Keying:
    """The seeder's natural key; else its first required foreign key to a model whose seeders
    key it by a natural key; else the rank."""
    if seeder.key_field != "pk":
        return Keying("natural")
    for field in seeder.model._meta.concrete_fields:
        if not (field.many_to_one or field.one_to_one) or field.null:
            continue
        parent = field.related_model._meta.concrete_model
        # A proxy's seeder keys the rows it sees; every seeder of the table must agree.
        keys = {s.key_field for s in registry if s.model._meta.concrete_model is parent}
        if len(keys) == 1 and "pk" not in keys:
            return Keying("parent", field.attname, f"{field.name}__{keys.pop()}")
    return Keying("rank")


@dataclass(frozen=True)
class Step:
    """One requirement of one seeder with its numbers in force: the unit of audit and fill."""

    seeder: Seeder
    requirement: Requirement | None  # None: the seeder's population
    target: Target
    #: How its entities are keyed; None: by ``key_field``, or the rank with ``"pk"``.
    keying: Keying | None = None

    @property
    def name(self) -> str:
        return self.requirement.name if self.requirement else POPULATION

    @property
    def id(self) -> str:
        return f"{self.seeder.label}.{self.name}"

    @property
    def is_population(self) -> bool:
        return self.requirement is None


@dataclass(frozen=True, slots=True)  # one per entity below its target: no __dict__
class Gap:
    """An entity (or, for a population, the whole model) that lacks data for one step."""

    step: Step
    pk: Any
    #: The entity's stable key: its natural key, ``"<parent key>#<ordinal>"`` or ``"#<rank>"``
    #: (never its primary key; see the module's docstring).
    key: Any
    label: str
    current: int
    required: int
    #: Rows to add; 0 when the entity is over a maximum, which mentara-seed never repairs.
    missing: int

    @property
    def over_maximum(self) -> bool:
        return self.step.target.maximum is not None and self.current > self.step.target.maximum

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.step.seeder.label,
            "pk": self.pk,
            "label": self.label,
            "requirement": self.step.name,
            "current": self.current,
            "required": self.required,
            "missing": self.missing,
            "kind": "maximum" if self.over_maximum else "minimum",
        }


#: Rows an audit query fetches at a time (``stream``'s chunk).
AUDIT_CHUNK = 2000


def audit_step(step: Step, ctx: AuditContext) -> list[Gap]:
    """The gaps of one step, in the stable order of the entities' keys, by code point whatever
    the collation (one query at most)."""
    seeder = step.seeder
    target = step.target
    if step.requirement is None:
        current = seeder.get_queryset(ctx.using).count()
        if current >= target.minimum:
            return []
        return [
            Gap(step, None, None, "population", current, target.minimum, target.minimum - current)
        ]

    bound = audit_bound(target)
    if bound is None:
        return []

    requirement = step.requirement
    keying = step.keying or Keying("natural" if seeder.key_field != "pk" else "rank")
    gaps = []
    try:
        # Streamed (on MySQL and MariaDB too, ``stream``): every entity below the highest
        # target is read (at the row cap, 454,000 conversations), and only those below their
        # own target are kept. Nothing else queries until the rows are read, and the read is
        # closed however the loop ends: an unbuffered result left open (a traceback keeps the
        # frame) would block the connection's rollback.
        counted = child_count(seeder, requirement, ctx, target.window_days)
        if keying.kind == "natural" and counted is not None:
            read = _counted_below_bounds(seeder, requirement, target, ctx, counted)
        elif keying.kind == "natural":
            read = stream(_below_bounds(seeder, requirement, target, bound, ctx), AUDIT_CHUNK)
        else:
            read = _keyed_below_bounds(seeder, requirement, target, bound, ctx, keying)
        own_target = target.targets()
        with contextlib.closing(read) as rows:
            for pk, key, label, current in rows:
                current = int(current or 0)
                own = own_target(key)
                missing = max(own - current, 0)
                if not missing and (target.maximum is None or current <= target.maximum):
                    continue  # at or above its own target, below the cap
                required = own if missing else target.maximum or 0
                gaps.append(Gap(step, pk, key, str(label), current, required, missing))
    except FieldError as exc:
        # Paths and Q objects are checked before the run (validation); what is left is a
        # callable's query, which only exists now.
        where = f"{seeder_name(seeder)}, requirement {requirement.name!r}"
        raise field_error_line(where, exc) from exc
    return gaps


def audit_bound(target: Target) -> Q | None:
    """The counts an audit reads (None: none): every entity below the highest target any entity
    can have, whose own target (with a distribution, drawn from its key) is compared in Python,
    and every entity above the maximum."""
    bounds: list[Q] = []
    if target.highest > 0:
        bounds.append(Q(_seed_current__lt=target.highest))
    if target.maximum is not None:
        bounds.append(Q(_seed_current__gt=target.maximum))
    if not bounds:
        return None
    bound = bounds[0]
    for extra in bounds[1:]:
        bound |= extra
    return bound


def _when(requirement: Requirement, seeder: Seeder, ctx: AuditContext) -> Q | None:
    """The requirement's condition as a filter on the entities' primary keys: a subquery keeps
    joins in the condition from multiplying the count."""
    if requirement.when is None:
        return None
    condition = requirement.when(ctx) if callable(requirement.when) else requirement.when
    return Q(pk__in=seeder.get_queryset(ctx.using).filter(condition).values("pk"))


def _entities(seeder: Seeder, using: str) -> models.QuerySet:
    """The seeder's entities, each once: a queryset that filters through a reverse relation or
    a many-to-many (``filter(reviews__product__status="live")``) repeats an entity per row it
    joins, which would multiply every count and, in a derived table, the entity itself."""
    queryset = seeder.get_queryset(using)
    if len(queryset.query.alias_map) <= 1:  # no join at all: nothing repeats
        return queryset
    return seeder.model._base_manager.using(using).filter(pk__in=queryset.values("pk"))


def _count_expression(
    requirement: Requirement, seeder: Seeder, ctx: AuditContext, window_days: int | None
) -> Any:
    """The requirement's count; one whose condition Django knows matches nothing (an empty
    ``__in``) as a condition that matches no counted row but compiles: Django would otherwise
    answer the whole audit with no rows on PostgreSQL and SQLite (the aggregate's empty filter
    in HAVING), where every entity counts 0, and count the rows on MySQL."""
    expression = requirement.count_expression(ctx, window_days)
    condition = getattr(expression, "filter", None)
    if requirement.count is None or condition is None:
        return expression
    matching = seeder.model._base_manager.using(ctx.using).filter(condition)
    try:
        matching.query.get_compiler(using=ctx.using).as_sql()
    except EmptyResultSet:
        relation = requirement.count.split("__", 1)[0]
        never = Q(**{f"{relation}__pk__isnull": True})  # no counted row has a null key
        return Count(requirement.count, filter=never, distinct=requirement.distinct)
    return expression


def _below_bounds(
    seeder: Seeder, requirement: Requirement, target: Target, bound: Q, ctx: AuditContext
) -> models.QuerySet:
    queryset = _entities(seeder, ctx.using)
    when = _when(requirement, seeder, ctx)
    if when is not None:
        queryset = queryset.filter(when)
    key_field = seeder.key_field
    label_field = seeder.label_field or key_field
    count = _count_expression(requirement, seeder, ctx, target.window_days)
    return (
        queryset.annotate(_seed_current=count)
        .filter(bound)
        .order_by(CodePointOrder(key_field), "pk")
        .values_list("pk", key_field, label_field, "_seed_current")
    )


@dataclass(frozen=True)
class ChildCount:
    """A requirement's count over one reverse foreign key (the usual shape: ``count="posts"``,
    maybe with a filter or a time window on the posts, or a distinct column of them), counted
    as the child table's rows grouped by that key, before they meet the entities."""

    #: The child table's rows the count keeps (their own filter applied), grouped by the key.
    counts: models.QuerySet


def child_count(
    seeder: Seeder, requirement: Requirement, ctx: AuditContext, window_days: int | None
) -> ChildCount | None:
    """The requirement's count as a ``ChildCount``, or None when it is not of that shape (a
    custom expression, a many-to-many, a path of several relations, a condition that is not
    on the child's own columns): those keep the aggregate over the join."""
    if requirement.count is None or requirement.expression is not None:
        return None
    relation, _, column = requirement.count.partition("__")
    opts = seeder.model._meta
    try:
        rel = opts.get_field(relation)
    except FieldDoesNotExist:
        return None
    if not isinstance(rel, models.ManyToOneRel) or isinstance(rel, models.ManyToManyRel):
        return None
    foreign_key = rel.field
    child = rel.related_model
    if not foreign_key.target_field.primary_key or child._meta.parents:
        return None
    if column and not _own_column(child, column):
        return None
    condition = requirement.filter
    if requirement.recent and window_days is not None:
        recent = Q(**{f"{requirement.recent}__gte": ctx.now - timedelta(days=window_days)})
        condition = recent if condition is None else condition & recent
    own: Q | None = None
    if condition is not None:
        own = _on_child(condition, f"{relation}__", child)
        if own is None:
            return None
    # Any manager's filter aside, as the join Django builds for the count reads the table.
    rows = models.QuerySet(model=child, using=ctx.using)
    if own is not None:
        rows = rows.filter(own)
    counts = (
        rows.order_by()
        .values(_seed_of=F(foreign_key.attname))
        .annotate(_seed_n=Count(column or "pk", distinct=requirement.distinct))
        .values_list("_seed_of", "_seed_n")
    )
    return ChildCount(counts)


def _own_column(model: type[models.Model], name: str) -> bool:
    """Whether ``name`` is a concrete column of ``model`` (not a lookup, not a relation path
    that could multiply rows)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(field.concrete) and not field.many_to_many


def _on_child(condition: Q, prefix: str, child: type[models.Model]) -> Q | None:
    """``condition``, whose lookups all start with ``prefix`` (the relation counted), as a
    filter on the child's own columns; None when a lookup leaves the child or reaches the
    entity, a value is an expression (it could refer to the entity), or a part is negated
    (Django's null handling of a negated lookup differs across a join)."""
    if condition.negated:
        return None
    children: list[Any] = []
    for part in condition.children:
        if isinstance(part, Q):
            inner = _on_child(part, prefix, child)
            if inner is None:
                return None
            children.append(inner)
            continue
        lookup, value = part
        if not lookup.startswith(prefix) or hasattr(value, "resolve_expression"):
            return None
        own = lookup[len(prefix) :]
        if not _single_valued(child, own):
            return None
        children.append((own, value))
    return Q(*children, _connector=condition.connector)


def _single_valued(model: type[models.Model], lookup: str) -> bool:
    """Whether ``lookup`` reaches a column of ``model`` through forward foreign keys and
    one-to-ones alone, so filtering by it never repeats a row (the rest of the path is the
    column's lookups and transforms)."""
    parts = lookup.split("__")
    for index, name in enumerate(parts):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return index > 0  # a lookup or transform of the column before it
        if not field.concrete or field.many_to_many:
            return False  # a reverse relation or a many-to-many: one row per related row
        if not field.is_relation:
            return True
        model = field.related_model
    return True


def _counted_below_bounds(
    seeder: Seeder,
    requirement: Requirement,
    target: Target,
    ctx: AuditContext,
    counted: ChildCount,
) -> Generator[tuple[Any, Any, Any, int], None, None]:
    """``_below_bounds`` with the count of a ``ChildCount``: the child's rows grouped by their
    key first, then joined to the entities (one row per entity, not per child row). The same
    rows in the same order; PostgreSQL reads the key's index alone once the table's visibility
    map is set, where the join of every child row to its entity read the whole table twice."""
    using = ctx.using
    connection = connections[using]
    queryset = _entities(seeder, using)
    when = _when(requirement, seeder, ctx)
    if when is not None:
        queryset = queryset.filter(when)
    key_field = seeder.key_field
    label_field = seeder.label_field or key_field
    entities = (
        queryset.order_by()
        .annotate(
            _seed_pk=F("pk"),
            _seed_key=F(key_field),
            _seed_label=F(label_field),
            _seed_order=CodePointOrder(key_field),
        )
        .values_list("_seed_pk", "_seed_key", "_seed_label", "_seed_order")
    )
    compiler = entities.query.get_compiler(using=using)
    try:
        entities_sql, entities_params = compiler.as_sql()
    except EmptyResultSet:  # a ``when`` Django knows matches nothing (``__in=[]``)
        return
    quote = connection.ops.quote_name
    current = f"COALESCE(n.{quote('_seed_n')}, 0)"
    try:
        counts_sql, counts_params = counted.counts.query.get_compiler(using=using).as_sql()
        joined = f" LEFT JOIN ({counts_sql}) n ON n.{quote('_seed_of')} = p.{quote('_seed_pk')}"
    except EmptyResultSet:  # a filter that matches no child row: every entity counts 0
        counts_params, joined, current = (), "", "0"
    converters = compiler.get_converters([column for column, _sql, _alias in compiler.select][:3])
    bounds, bound_params = [], []
    if target.highest > 0:
        bounds.append(f"{current} < %s")
        bound_params.append(target.highest)
    if target.maximum is not None:
        bounds.append(f"{current} > %s")
        bound_params.append(target.maximum)
    sql = (
        f"SELECT p.{quote('_seed_pk')}, p.{quote('_seed_key')}, p.{quote('_seed_label')}, "
        f"{current} FROM ({entities_sql}) p{joined} WHERE {' OR '.join(bounds)} "
        f"ORDER BY p.{quote('_seed_order')}, p.{quote('_seed_pk')}"
    )
    rows = stream_sql(using, sql, (*entities_params, *counts_params, *bound_params), AUDIT_CHUNK)
    with contextlib.closing(rows):
        if converters:
            yield from map(tuple, compiler.apply_converters(rows, converters))
        else:
            yield from rows


def _keyed_below_bounds(
    seeder: Seeder,
    requirement: Requirement,
    target: Target,
    bound: Q,
    ctx: AuditContext,
    keying: Keying,
) -> Generator[tuple[Any, str, Any, Any], None, None]:
    """Like ``_below_bounds``, for entities keyed by a parent and an ordinal or by a rank: the
    ordinal is numbered over every entity of the seeder (``when`` and the bounds must not
    renumber them), so they are applied after the window, in one query."""
    by_parent = keying.kind == "parent"
    annotations: dict[str, Any] = {
        "_seed_ordinal": Window(
            RowNumber(),
            partition_by=[F(keying.parent_field)] if by_parent else None,
            order_by=F("pk").asc(),
        ),
        "_seed_current": _count_expression(requirement, seeder, ctx, target.window_days),
    }
    condition = bound
    when = _when(requirement, seeder, ctx)
    if when is not None:
        # An aggregate, as the count usually is: Django filters on both after the window.
        annotations["_seed_when"] = Max(
            Case(When(when, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        condition &= Q(_seed_when=1)
    # Never true: it makes the whole condition one filter on the window's result (Django puts
    # a condition that mixes a window with anything else in an outer query).
    condition = Q(_seed_ordinal__lt=0) | condition
    parent_key = keying.parent_key if by_parent else "pk"
    label_field = seeder.label_field or "pk"
    # Each path once: Django's outer query loses a column selected twice.
    paths = list(dict.fromkeys(("pk", parent_key, label_field, "_seed_current", "_seed_ordinal")))
    at = [paths.index(p) for p in ("pk", parent_key, label_field, "_seed_current")]
    rows = (
        _entities(seeder, ctx.using)
        .annotate(**annotations)
        .filter(condition)
        .order_by(CodePointOrder(parent_key), "pk")
        .values_list(*paths)
    )
    with contextlib.closing(stream(rows, AUDIT_CHUNK)) as streamed:
        for row in streamed:
            pk, parent, label, current, ordinal = (*(row[i] for i in at), row[-1])
            key = f"{parent}#{ordinal - 1}" if by_parent else f"#{ordinal - 1}"
            yield (pk, key, label, current)


def audit_steps(steps: Iterable[Step], ctx: AuditContext) -> list[Gap]:
    gaps: list[Gap] = []
    for step in steps:
        gaps.extend(audit_step(step, ctx))
    return gaps


def counted_models(registry: SeedRegistry) -> list[type[models.Model]]:
    """Every model a run can be expected to write, in a stable order: the registered models,
    every model of their apps with the many-to-many tables Django creates for them, and the
    models the registered ones point at (a profile's seeder creates its users)."""
    seen: dict[str, type[models.Model]] = {}
    for seeder in registry:
        seen[seeder.label] = seeder.model
        app_config = apps.get_app_config(seeder.model._meta.app_label)
        for model in app_config.get_models(include_auto_created=True):
            seen.setdefault(model._meta.label, model)
        for field in seeder.model._meta.concrete_fields:
            if field.many_to_one or field.one_to_one:
                parent = field.related_model._meta.concrete_model
                seen.setdefault(parent._meta.label, parent)
    return [seen[label] for label in sorted(seen)]


def count_totals(registry: SeedRegistry, using: str, written: Iterable[str] = ()) -> dict[str, int]:
    """Rows per model (one COUNT each) for the counted models and the models labelled in
    ``written`` (whatever else the run wrote); registered proxies count through their seeder."""
    totals: dict[str, int] = {}
    models_ = {m._meta.label: m for m in counted_models(registry)}
    for label in written:
        models_.setdefault(label, apps.get_model(label))
    for label in sorted(models_):
        model = models_[label]
        if registry.is_registered(model):
            totals[label] = registry.get(model).get_queryset(using).count()
        else:
            totals[label] = model._default_manager.using(using).count()
    return totals
