"""Automatic field values: what a field nobody sets receives.

Values are realistic by field name and type (Faker providers drawn once, with a fixed seed, into
pools), valid for the field (choices, Min/MaxValueValidators, ``max_digits``, ``max_length``,
times before the run's ``now`` and after the parent's own timestamp) and unique where the schema
says so (unique fields, ``unique_together``, ``UniqueConstraint``), against existing rows and this
run's. A required foreign key is picked among existing rows by rank in a stable order. Every draw
comes from the keyed generator the caller passes, so values depend on the row, never on batches.

Field specs (:class:`Fake`, :class:`Weighted`, a callable of ``(rng, ctx, parent)`` or a
constant) let a seeder or a requirement choose a field's values without writing a method.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core import validators as dj_validators
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import OuterRef, Q
from django.db.models.fields import NOT_PROVIDED
from django.utils.text import slugify

from .exceptions import ConfigurationError
from .rand import Rand

if TYPE_CHECKING:
    from faker import Faker

    from .fill import FillContext

_POOL_SIZE = 400
_POOL_SEED = 20261126
#: Generated times reach this far before the run's ``now`` (or the parent's timestamp).
HISTORY = timedelta(days=365)
#: Draws of a row's unique values before giving up (each draw is a fresh value).
UNIQUE_ATTEMPTS = 200


# Field specs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fake:
    """A Faker provider by name (``Fake("company")``), drawn from a pool built once."""

    provider: str

    @property
    def exists(self) -> bool:
        """Whether Faker has the provider (a system check, E032, says so when not)."""
        return callable(getattr(_faker(), self.provider, None))

    def __call__(self, rng: Rand, ctx: Any, parent: Any) -> Any:
        return rng.pick(pool(self.provider))


@dataclass(frozen=True)
class Weighted:
    """Weighted choices: ``Weighted({"draft": 1, "published": 4})``."""

    weights: Mapping[Any, float]

    def __post_init__(self) -> None:
        if not self.weights or any(w < 0 for w in self.weights.values()):
            raise ConfigurationError("Weighted() needs at least one choice and no negative weight")
        total = sum(self.weights.values())
        if total <= 0:
            raise ConfigurationError("Weighted() needs a positive total weight")
        cumulative: list[tuple[float, Any]] = []
        running = 0.0
        for value, weight in self.weights.items():
            running += weight / total
            cumulative.append((running, value))
        object.__setattr__(self, "_cumulative", tuple(cumulative))

    def __call__(self, rng: Rand, ctx: Any, parent: Any) -> Any:
        draw = rng.random()
        cumulative: tuple[tuple[float, Any], ...] = self._cumulative  # type: ignore[attr-defined]
        for bound, value in cumulative:
            if draw < bound:
                return value
        return cumulative[-1][1]


Spec = Any  # a constant, Fake, Weighted, or a callable of (rng, ctx, parent)


def spec_value(spec: Spec, rng: Rand, ctx: Any, parent: Any) -> Any:
    return spec(rng, ctx, parent) if callable(spec) else spec


# Pools ----------------------------------------------------------------------------------------


@functools.cache
def _faker() -> Faker:
    # Imported when a pool is first drawn: a run whose rows need no Faker pool (the demo's) does
    # not pay for importing it.
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(_POOL_SEED)
    return fake


@functools.cache
def pool(provider: str) -> tuple[Any, ...]:
    """``_POOL_SIZE`` distinct values of a Faker provider, the same in every process."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(_POOL_SEED)
    make = getattr(fake, provider)
    drawn = [make() for _ in range(_POOL_SIZE * 2)]
    try:
        distinct = list(dict.fromkeys(drawn))
    except TypeError:  # values that do not hash (lists, dicts): kept as drawn
        distinct = drawn
    return tuple(distinct[:_POOL_SIZE])


#: (pattern over the field name, Faker provider); the first match wins.
_BY_NAME: tuple[tuple[str, str], ...] = (
    (r"first_?name|given_?name", "first_name"),
    (r"last_?name|surname|family_?name", "last_name"),
    (r"user_?name|login|handle|nick", "user_name"),
    (r"email", "email"),
    (r"company|organi[sz]ation|employer|publisher|brand", "company"),
    (r"(^|_)(title|headline|subject|heading)$", "sentence"),
    (r"url|website|homepage|link", "url"),
    (r"phone|mobile|fax", "phone_number"),
    (r"city|town", "city"),
    (r"country", "country"),
    (r"address|street", "street_address"),
    (r"zip|post_?code|postal", "postcode"),
    (r"(^|_)(state|region|province)$", "state"),
    (r"colou?r", "color_name"),
    (r"job|occupation|profession", "job"),
    (r"(^|_)(description|body|text|content|bio|summary|about|comment|message|notes?)$", "text"),
    (r"(^|_)(tag|label|category|keyword|word|kind|genre)s?$", "word"),
    (r"(^|_)(code|sku|isbn|reference|ref|number|serial)$", "code"),
    (r"name$", "name"),
)


#: What a plain ``name`` holds, by the model's name.
_NAME_BY_MODEL: tuple[tuple[str, str], ...] = (
    (r"tag|categor|genre|label|topic|keyword|skill|interest", "word"),
    (r"company|organi[sz]ation|shop|store|brand|publisher|vendor|supplier|team", "company"),
    (r"product|item|article|course|project|event|group|community|book|title", "words"),
    (r"city|town|place|location", "city"),
    (r"country", "country"),
)


def provider_for(field: models.Field) -> str:
    if isinstance(field, models.EmailField):
        return "email"
    if isinstance(field, models.URLField):
        return "url"
    if isinstance(field, models.SlugField):
        return "slug"
    name = field.name.lower()
    for pattern, provider in _BY_NAME:
        if re.search(pattern, name):
            if provider == "name" and field.model is not None:
                model_name = field.model.__name__.lower()
                for model_pattern, by_model in _NAME_BY_MODEL:
                    if re.search(model_pattern, model_name):
                        return by_model
            return provider
    return "text" if isinstance(field, models.TextField) else "words"


#: Providers whose value is better made from the row's own names (an email that matches the
#: person): generated after the other fields.
_DERIVED = frozenset({"email", "user_name", "slug"})


def _derived(provider: str, row: Mapping[str, Any], rng: Rand) -> str | None:
    first, last = row.get("first_name"), row.get("last_name")
    if not (isinstance(first, str) and isinstance(last, str)):
        full = row.get("name") or row.get("full_name") or row.get("title")
        if not isinstance(full, str) or not full.strip():
            return None
        if provider == "slug":
            return slugify(full)
        parts = full.split()
        first, last = parts[0], parts[-1]
    local = re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower())
    if provider == "email":
        return f"{local}@{rng.pick(pool('free_email_domain'))}"
    if provider == "user_name":
        return local.replace(".", "_" if rng.random() < 0.5 else "")
    return slugify(f"{first} {last}")


def _words(rng: Rand, low: int, high: int) -> str:
    words = pool("word")
    return " ".join(words[int(rng.random() * len(words))] for _ in range(rng.randint(low, high)))


_DIGITS = "0123456789"


def _text_drawer(provider: str) -> Callable[[Rand], str]:
    """How a provider's values are drawn, its pool and branch resolved once per column instead
    of per value (``randint(a, b)`` is ``a + int(random() * (b - a + 1))`` and ``pick`` is
    ``options[int(random() * len(options))]``, inlined). Lines people read in lists (titles,
    names, text) are composed of several draws, so a page of them shows no line twice; one pool
    draw would repeat within a few dozen rows."""
    if provider in ("words", "sentence", "text"):
        options = pool("sentence" if provider == "text" else "word")
        size = len(options)
        low, span = {"words": (1, 3), "sentence": (3, 5), "text": (2, 3)}[provider]

        def joined(rng: Rand) -> str:
            random = rng.random
            count = low + int(random() * span)
            return " ".join([options[int(random() * size)] for _ in range(count)])

        if provider == "words":
            return lambda rng: joined(rng).title()
        if provider == "sentence":
            return lambda rng: joined(rng).capitalize()
        return joined
    if provider == "code":
        # ``str(int(random() * 10))`` is the digit at that index; a list joins faster than a
        # generator.
        return lambda rng: "".join([_DIGITS[int(rng.random() * 10)] for _ in range(10)])
    if provider == "slug":
        return lambda rng: slugify(_words(rng, 2, 4))
    if provider == "name":
        return lambda rng: f"{rng.first_name()} {rng.last_name()}"
    return lambda rng: str(rng.pick(pool(provider)))


def _with_suffix(provider: str, base: str, suffix: str, size: int) -> str:
    """A unique variant of ``base`` that still reads as its kind, within ``size`` characters."""
    if provider == "email" and "@" in base:
        local, domain = base.split("@", 1)
        local = local[: max(size - len(domain) - len(suffix) - 1, 1)]
        return f"{local}{suffix}@{domain}"[:size]
    if provider == "url":
        return f"{base.rstrip('/')[: size - len(suffix) - 1]}/{suffix}"
    joiner = "-" if provider == "slug" else "" if provider in ("user_name", "code") else " "
    return f"{base[: max(size - len(suffix) - len(joiner), 0)]}{joiner}{suffix}"


# Bounds ---------------------------------------------------------------------------------------


def _limit(validator: Any) -> Any:
    value = validator.limit_value
    return value() if callable(value) else value


def validator_bounds(field: models.Field) -> tuple[Any, Any]:
    low: Any = None
    high: Any = None
    for validator in field.validators:
        if isinstance(validator, dj_validators.MinValueValidator):
            limit = _limit(validator)
            low = limit if low is None else max(low, limit)
        elif isinstance(validator, dj_validators.MaxValueValidator):
            limit = _limit(validator)
            high = limit if high is None else min(high, limit)
    return low, high


#: A believable range by field name for numbers nobody bounds.
_NUMBER_RANGES: tuple[tuple[str, tuple[int, int]], ...] = (
    (r"year", (1950, 2025)),
    (r"age$", (18, 90)),
    (r"rating|stars|score", (1, 5)),
    (r"quantity|qty|count|number|amount_of", (1, 10)),
    (r"price|amount|cost|total|fee|salary", (1, 500)),
    (r"percent", (0, 100)),
    (r"minutes|duration|length", (5, 120)),
    (r"page", (40, 900)),
)


def number_bounds(field: models.Field, unique: bool) -> tuple[Any, Any]:
    low, high = validator_bounds(field)
    suggested = (0, 1000)
    for pattern, bounds in _NUMBER_RANGES:
        if re.search(pattern, field.name.lower()):
            suggested = bounds
            break
    if unique:
        suggested = (suggested[0], suggested[0] + 10**9)
    # The field's own bounds win; a suggestion is used where it fits inside them.
    lo = suggested[0] if low is None else low
    hi = suggested[1] if high is None else high
    if high is None and low is not None and lo > suggested[1]:
        hi = lo + (suggested[1] - suggested[0])
    if low is None and high is not None and hi < suggested[0]:
        lo = hi - (suggested[1] - suggested[0])
    if lo < suggested[0] <= hi:
        lo = suggested[0]
    if lo <= suggested[1] < hi:
        hi = suggested[1]
    if isinstance(field, models.DecimalField):
        digits = field.max_digits - field.decimal_places
        top = Decimal(10) ** digits - Decimal(1).scaleb(-field.decimal_places)
        hi = min(Decimal(str(hi)), top)
        lo = max(Decimal(str(lo)), -top)
    return lo, hi


# Per-model plans ------------------------------------------------------------------------------


def unique_sets(model: type[models.Model]) -> tuple[tuple[str, ...], ...]:
    """The attnames of every unconditional uniqueness rule of the model (primary key aside)."""
    opts = model._meta
    sets: list[tuple[str, ...]] = []

    def attnames(names: Sequence[str]) -> tuple[str, ...]:
        return tuple(opts.get_field(name).attname for name in names)

    for field in opts.concrete_fields:
        if field.unique and not field.primary_key:
            sets.append((field.attname,))
    for together in opts.unique_together:
        sets.append(attnames(together))
    for constraint in opts.total_unique_constraints:
        sets.append(attnames(constraint.fields))
    return tuple(dict.fromkeys(sets))


def needs_value(field: models.Field) -> bool:
    """Whether a field nobody sets must get a generated value (else its default, null or ""
    stands). A callable default is replaced where it would make the data depend on the wall
    clock or on chance (``uuid4``, ``timezone.now``)."""
    if field.primary_key or getattr(field, "generated", False):
        return False
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return True
    if field.has_default():
        return callable(field.default) and isinstance(
            field, models.UUIDField | models.DateField | models.TimeField
        )
    if field.null or field.db_default is not NOT_PROVIDED:
        return False
    return not (field.blank and field.empty_strings_allowed)


def _late(field: models.Field) -> int:
    """Relations first (times come after the rows they point at), then plain values, then
    values made from others."""
    if field.is_relation:
        return -1
    if getattr(field, "auto_now", False):
        return 2
    if isinstance(field, models.CharField) and provider_for(field) in _DERIVED:
        return 1
    return 0


@dataclass
class Candidates:
    """Existing rows a foreign key may point at, by rank in a stable order, with the values a
    candidate filter reads."""

    pks: list[Any]
    values: list[dict[str, Any]]
    #: When each row came to be (its ``parent_timestamp_field``), where the model says.
    times: dict[Any, datetime]


def parent_timestamp_field(model: type[models.Model]) -> str | None:
    """The field that says when a row came to be: ``auto_now_add``, else a creation-like name."""
    fields = [f for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
    for field in fields:
        if getattr(field, "auto_now_add", False):
            return field.attname
    for field in fields:
        if re.search(r"created|joined|registered|opened|placed|published|started", field.name):
            return field.attname
    return None


#: The lookups a candidate filter may use, evaluated in Python on one read of the candidates.
LOOKUPS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "in": lambda value, expected: value in expected,
    "isnull": lambda value, expected: (value is None) is bool(expected),
    "gt": lambda value, expected: value is not None and value > expected,
    "gte": lambda value, expected: value is not None and value >= expected,
    "lt": lambda value, expected: value is not None and value < expected,
    "lte": lambda value, expected: value is not None and value <= expected,
    "contains": lambda value, expected: value is not None and str(expected) in value,
    "icontains": lambda value, expected: (
        value is not None and str(expected).lower() in value.lower()
    ),
}


def _lookup(path: str) -> tuple[str, str]:
    """(field path, lookup) of a Q's key: ``"price__gte"`` -> ``("price", "gte")``."""
    base, _, lookup = path.rpartition("__")
    return (base, lookup) if base and lookup in LOOKUPS else (path, "exact")


def evaluate(q: Q, values: Mapping[str, Any], outer: Mapping[str, Any]) -> bool:
    """A Q over one row's values (lookups in LOOKUPS); ``OuterRef("x")`` reads the entity's
    ``x``. Used for candidate filters and count filters, in Python, after one read."""
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(evaluate(child, values, outer))
            continue
        path, expected = child
        if isinstance(expected, OuterRef):
            expected = outer[str(expected.name)]
        if isinstance(expected, models.Model):
            expected = expected.pk
        field_path, lookup = _lookup(path)
        results.append(LOOKUPS[lookup](values[field_path], expected))
    combined = all(results) if q.connector == Q.AND else any(results)
    return not combined if q.negated else combined


def _pk_of(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


Test = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]


def compile_q(q: Q) -> Test:
    """``evaluate`` with the Q read once: a function of (row values, entity values) that gives
    the same answer (every child evaluated, as ``evaluate`` does), for a filter tested on many
    candidates."""
    tests: list[Test] = []
    for child in q.children:
        if isinstance(child, Q):
            tests.append(compile_q(child))
            continue
        path, expected = child
        field_path, lookup = _lookup(path)
        compare = LOOKUPS[lookup]
        if isinstance(expected, OuterRef):
            tests.append(_outer_test(compare, field_path, str(expected.name)))
        else:
            tests.append(_constant_test(compare, field_path, expected))
    combine = all if q.connector == Q.AND else any
    negated = q.negated
    if len(tests) == 1:
        (only,) = tests

        def one(values: Mapping[str, Any], outer: Mapping[str, Any]) -> bool:
            combined = combine([only(values, outer)])
            return not combined if negated else combined

        return one

    def several(values: Mapping[str, Any], outer: Mapping[str, Any]) -> bool:
        combined = combine([test(values, outer) for test in tests])
        return not combined if negated else combined

    return several


def _outer_test(compare: Callable[[Any, Any], bool], field_path: str, name: str) -> Test:
    return lambda values, outer: compare(values[field_path], _pk_of(outer[name]))


def _constant_test(compare: Callable[[Any, Any], bool], field_path: str, expected: Any) -> Test:
    # The instance's key is read when tested, as evaluate() reads it.
    return lambda values, outer: compare(values[field_path], _pk_of(expected))


def q_paths(q: Q) -> tuple[set[str], set[str]]:
    """(row paths, entity paths) a Q reads, lookups removed."""
    own: set[str] = set()
    outer: set[str] = set()
    for child in q.children:
        if isinstance(child, Q):
            a, b = q_paths(child)
            own |= a
            outer |= b
            continue
        path, expected = child
        own.add(_lookup(path)[0])
        if isinstance(expected, OuterRef):
            outer.add(str(expected.name))
    return own, outer


#: A maker: a field's value for (rng, row, parent, after).
Maker = Callable[[Rand, dict[str, Any], Any, "datetime | None"], Any]
#: ``RowMaker.complete``'s signature: completes a row in place.
Completer = Callable[..., None]


def _moment_drawer(now: datetime, *, epoch: bool = False) -> Maker:
    """``rng.moment_between(start, now)`` with ``start`` the later of ``now - HISTORY`` and
    ``after`` (at most ``now``), in epoch seconds: the run's bounds are converted once and
    ``after`` once per object (a gap's rows all follow the same parent), not per value. The same
    draw and the same datetime, zone included, as ``moment_between``; ``epoch``: that datetime's
    whole seconds since 1970 instead (what ``FillContext.add_tuples`` takes), no datetime made."""
    start = now - HISTORY
    high = math.floor(now.timestamp())
    earliest, start_zone = math.ceil(start.timestamp()), start.tzinfo or UTC
    now_low, now_zone = math.ceil(now.timestamp()), now.tzinfo or UTC
    last: list[Any] = [None, 0, None]  # the last ``after`` seen, its lower bound and zone

    def moment(rng: Rand, row: Any, parent: Any, after: datetime | None) -> datetime:
        if after is None or not after > start:
            low, zone = earliest, start_zone
        elif after is last[0]:
            low, zone = last[1], last[2]
        else:
            if now < after:  # min(after, now)
                low, zone = now_low, now_zone
            else:
                low, zone = math.ceil(after.timestamp()), after.tzinfo or UTC
            last[:] = after, low, zone
        if high > low:
            low += int(rng.random() * (high - low + 1))
        return _from_timestamp(low, zone)

    if not epoch:
        return moment

    def seconds(rng: Rand, row: Any, parent: Any, after: datetime | None) -> int:
        if after is None or not after > start:
            low = earliest
        elif after is last[0]:
            low = last[1]
        else:
            low = now_low if now < after else math.ceil(after.timestamp())
            last[:] = after, low, None
        if high > low:
            low += int(rng.random() * (high - low + 1))
        return low

    return seconds


_from_timestamp = datetime.fromtimestamp


@dataclass(frozen=True)
class BoundRows:
    """``RowMaker.bind_tuples``: ``complete(row, rng, parent, after)`` fills a row dict that
    gives the first of ``names`` (the provided values, in that order), after which
    ``tuple(row.values())`` holds every one of ``names``' values in that order, the ``epoch``
    fields as whole seconds since 1970: what ``FillContext.add_tuples`` takes."""

    complete: Completer
    names: tuple[str, ...]
    epoch: frozenset[str]


class RowMaker:
    """Completes rows of one model: every field in ``specs`` or needing a value and not given."""

    def __init__(
        self,
        ctx: FillContext,
        model: type[models.Model],
        provided: frozenset[str],
        specs: Mapping[str, Spec] | None = None,
        pick_filters: Mapping[str, Q] | None = None,
    ) -> None:
        self.ctx = ctx
        self.model = model
        self.specs = dict(specs or {})
        self.pick_filters = dict(pick_filters or {})
        opts = model._meta
        given = set(provided)
        #: attname -> the key rows give that field by (``author`` for ``author_id``).
        self.aliases: dict[str, str] = {}
        for name in list(provided):
            try:
                attname = opts.get_field(name).attname
            except FieldDoesNotExist:  # not a field: the writer refuses it
                continue
            given.add(attname)
            if attname not in provided:
                self.aliases[attname] = name
        self._moment = _moment_drawer(ctx.now)
        self.fields: list[tuple[models.Field, Maker]] = []
        self.unique = unique_sets(model)
        generated: set[str] = set()
        for field in opts.concrete_fields:
            if field.attname in given or field.name in given:
                continue
            spec = self._spec(field)
            if spec is not NOT_PROVIDED:
                self.fields.append((field, self._spec_maker(field, spec)))
            elif needs_value(field):
                self.fields.append((field, self._maker(field)))
            else:
                continue
            generated.add(field.attname)
        # Made from the others: values derived from the row's names, and auto_now after every
        # other time of the row.
        self.fields.sort(key=lambda pair: _late(pair[0]))
        # Only rules that involve a generated value are ours to keep; the others are the seeder's.
        self.unique = tuple(s for s in self.unique if generated & set(s))
        self.generated = generated
        #: The attnames a row holds once completed (rows give ``provided``, all of them).
        self._present = frozenset(provided) | generated
        # A generated time comes after the rows the row points at (a review after its product).
        timed = any(isinstance(f, models.DateField) for f, _make in self.fields)
        #: Whether a value it makes may depend on the times it is given (``after``): a date or
        #: time among the fields it makes. Rows without one need no time read for them.
        self.timed = timed
        self.relations = [
            (field.attname, field.related_model)
            for field in opts.concrete_fields
            if timed and field.is_relation and parent_timestamp_field(field.related_model)
        ]
        #: complete()'s binding, kept until the step ends (see forget_claims).
        self._bound: Completer | None = None

    def _spec(self, field: models.Field) -> Any:
        return self.specs.get(field.name, self.specs.get(field.attname, NOT_PROVIDED))

    @property
    def idle(self) -> bool:
        """Whether completing a row does nothing (a plain link row): no value to make, no rule."""
        return not self.fields and not self.unique

    # Makers: each returns a value for (rng, row, parent, after) ---------------------------------

    def _spec_maker(self, field: models.Field, spec: Spec) -> Maker:
        ctx = self.ctx

        def make(rng: Rand, row: dict[str, Any], parent: Any, after: datetime | None) -> Any:
            value = spec_value(spec, rng, ctx, parent)
            if field.is_relation and isinstance(value, models.Model):
                return value.pk
            return value

        return make

    def _maker(self, field: models.Field) -> Maker:
        if field.is_relation:
            return self._relation_maker(field)
        unique = any(field.attname in s for s in unique_sets(self.model))
        # Draws inlined where a helper would cost a call per value: ``pick(options)`` is
        # ``options[int(random() * len(options))]``, ``randint(a, b)`` is
        # ``a + int(random() * (b - a + 1))``.
        if field.choices:
            options = [value for value, _label in field.flatchoices]
            count = len(options)
            return lambda rng, row, parent, after: options[int(rng.random() * count)]
        if isinstance(field, models.BooleanField):
            return lambda rng, row, parent, after: rng.random() < 0.5
        if isinstance(field, models.DateTimeField):
            return self._last_moment if getattr(field, "auto_now", False) else self._moment
        if isinstance(field, models.DateField):
            moment = self._moment
            return lambda rng, row, parent, after: moment(rng, row, parent, after).date()
        if isinstance(field, models.TimeField):
            return lambda rng, row, parent, after: time(
                int(rng.random() * 24), int(rng.random() * 60), int(rng.random() * 60)
            )
        if isinstance(field, models.DurationField):
            return lambda rng, row, parent, after: timedelta(minutes=rng.randint(1, 600))
        if isinstance(field, models.UUIDField):
            return lambda rng, row, parent, after: uuid.UUID(int=rng.getrandbits(128), version=4)
        if isinstance(field, models.JSONField):
            return lambda rng, row, parent, after: {}
        if isinstance(field, models.BinaryField):
            return lambda rng, row, parent, after: bytes(rng.getrandbits(8) for _ in range(16))
        if isinstance(field, models.GenericIPAddressField):
            return lambda rng, row, parent, after: ".".join(
                str(rng.randint(1, 254)) for _ in range(4)
            )
        if isinstance(field, models.DecimalField):
            low, high = number_bounds(field, unique)
            scale = 10**field.decimal_places
            lo_units, hi_units = int(low * scale), int(high * scale)
            places = Decimal(1).scaleb(-field.decimal_places)
            return lambda rng, row, parent, after: (
                Decimal(rng.randint(lo_units, hi_units)) / scale
            ).quantize(places)
        if isinstance(field, models.FloatField):
            low, high = number_bounds(field, unique)
            return lambda rng, row, parent, after: round(low + rng.random() * (high - low), 2)
        if isinstance(field, models.IntegerField):
            low, high = number_bounds(field, unique)
            low, high = int(low), int(high)
            if high < low:  # randint's error, when a value is drawn
                return lambda rng, row, parent, after: rng.randint(low, high)
            span = high - low + 1
            return lambda rng, row, parent, after: low + int(rng.random() * span)
        if isinstance(field, models.CharField | models.TextField):
            return self._text_maker(field, unique)
        raise ConfigurationError(
            f"{self.model._meta.label}.{field.name} ({type(field).__name__}) needs a value that "
            "mentara-seed cannot make; give it a field spec (values={...})"
        )

    def _text_maker(self, field: models.Field, unique: bool, *, first: bool = False) -> Maker:
        """A text column's values; ``first``: for a row's first draw only (the value is not in
        the row yet, so it is no retry after a unique clash, and needs no check for one)."""
        provider = provider_for(field)
        size = field.max_length or 10_000
        attname = field.attname
        is_derived = provider in _DERIVED
        draw = _text_drawer(provider)

        if first and is_derived:
            return lambda rng, row, parent, after: (
                (_derived(provider, row, rng) or draw(rng))[:size].rstrip() or "x"
            )
        if first:
            return lambda rng, row, parent, after: draw(rng)[:size].rstrip() or "x"

        def make(rng: Rand, row: dict[str, Any], parent: Any, after: datetime | None) -> str:
            retry = row.get(attname) is not None  # a unique value already taken
            derived = _derived(provider, row, rng) if is_derived else None
            text = derived or draw(rng)
            # A value made from the row's names cannot change by drawing again; another draw
            # reads better than a number, which is kept for when draws keep colliding.
            if retry and (derived is not None or rng.random() < 0.25):
                text = _with_suffix(provider, text, str(rng.randint(2, 9_999)), size)
            return text[:size].rstrip() or "x"

        return make

    def _last_moment(
        self, rng: Rand, row: dict[str, Any], parent: Any, after: datetime | None
    ) -> Any:
        """auto_now: the row was last changed after every other time it holds."""
        times = [v for v in row.values() if isinstance(v, datetime)]
        if after is not None:
            times.append(after)
        return self._moment(rng, row, parent, max(times) if times else None)

    def _last_seconds(self, epoch: frozenset[str]) -> Maker:
        """``_last_moment`` in epoch seconds, for a row whose ``epoch`` fields hold seconds: the
        latest of those is made a datetime once per row, compared with the row's datetimes, and
        drawn after as ``_last_moment`` draws (the instant is what the bound reads, not its
        zone)."""
        seconds = _moment_drawer(self.ctx.now, epoch=True)

        def make(rng: Rand, row: dict[str, Any], parent: Any, after: datetime | None) -> int:
            times = [v for v in row.values() if isinstance(v, datetime)]
            held = [row[name] for name in epoch if row.get(name) is not None]
            if held:
                times.append(_from_timestamp(max(held), UTC))
            if after is not None:
                times.append(after)
            return seconds(rng, row, parent, max(times) if times else None)

        return make

    def _relation_maker(self, field: models.Field, *, static: bool = False) -> Maker:
        """A required foreign key's value: a candidate by a keyed draw, the first that passes
        the pick filter and no uniqueness rule holds. Kept makers read the candidates and the
        unique sets from the context per value; ``static`` ones (see ``bind``) read them once."""
        ctx = self.ctx
        model = self.model
        target = field.related_model
        pick_filter = self.pick_filters.get(field.name)
        label = f"{model._meta.label}.{field.name}"
        outer_paths = q_paths(pick_filter)[1] if pick_filter is not None else set()
        test = compile_q(pick_filter) if pick_filter is not None else None
        attname = field.attname
        get = self.get
        # Uniqueness rules this key takes part in (a one-to-one, unique_together with the
        # parent): candidates already paired with the row's other values are skipped.
        rules = [fields for fields in unique_sets(model) if attname in fields]
        # A key that points at its own model sees the rows this fill writes: read per value.
        keep = static and target._meta.concrete_model is not model._meta.concrete_model
        found_cell: list[Candidates] = []
        claimed_cells: list[list[set[tuple]]] = [[] for _ in rules]
        entity_rows = ctx.entity_rows

        def claimed(index: int) -> set[tuple]:
            if not static:
                return ctx.unique_values(model, rules[index])
            cell = claimed_cells[index]
            if not cell:
                cell.append(ctx.unique_values(model, rules[index]))
            return cell[0]

        def key_with(fields: tuple[str, ...]) -> Callable[[Any, dict[str, Any]], tuple]:
            """The rule's key of a row whose ``attname`` would be ``pk``."""
            if len(fields) == 2 and not self.aliases:  # a pair with the parent, most often
                if fields[0] == attname:
                    other = fields[1]
                    return lambda pk, row: (pk, row.get(other))
                if fields[1] == attname:
                    other = fields[0]
                    return lambda pk, row: (row.get(other), pk)
            return lambda pk, row: tuple(
                [pk if name == attname else get(row, name) for name in fields]
            )

        keys = [key_with(fields) for fields in rules]

        def free(pk: Any, row: dict[str, Any]) -> bool:
            for index, key_of in enumerate(keys):
                key = key_of(pk, row)
                if None not in key and key in claimed(index):
                    return False
            return True

        def make(rng: Rand, row: dict[str, Any], parent: Any, after: datetime | None) -> Any:
            if found_cell:
                candidates = found_cell[0]
            else:
                candidates = ctx.candidates(target, pick_filter)
                if keep:
                    found_cell.append(candidates)
            pks = candidates.pks
            size = len(pks)
            if not size:
                raise ConfigurationError(
                    f"{label} is a required relation with no {target._meta.label} row to point "
                    "at; register a seeder with a population for it, or set it in the seeder"
                )
            first = int(rng.random() * size)
            if test is None and not rules:
                return pks[first]
            if test is None:
                outer: Mapping[str, Any] = {}
            elif static:
                outer = {} if parent is None else entity_rows.get(getattr(parent, "pk", parent), {})
            else:
                outer = ctx.entity_values(parent, outer_paths)
            values = candidates.values
            # The first draw usually fits; only then are the others walked, in a keyed order.
            if (test is None or test(values[first], outer)) and free(pks[first], row):
                return pks[first]
            for index in rng.indices(size):
                if test is not None and not test(values[index], outer):
                    continue
                if free(pks[index], row):
                    return pks[index]
            raise ConfigurationError(
                f"{label}: every {target._meta.label} row is taken or filtered out for {parent}"
            )

        return make

    # Completing ---------------------------------------------------------------------------------

    def get(self, row: dict[str, Any], attname: str) -> Any:
        """A row's value of a field by attname, whichever key the row uses (an instance given
        for a foreign key reads as its primary key)."""
        if not self.aliases:
            return row.get(attname)
        value = row.get(self.aliases.get(attname, attname))
        return value.pk if isinstance(value, models.Model) else value

    def forget_claims(self) -> None:
        """Read the unique sets again on the next row (``FillContext`` calls this when a step
        ends or rolls back: the sets it reads are the context's, which it then drops)."""
        self._bound = None

    def complete(
        self, row: dict[str, Any], rng: Rand, parent: Any = None, after: datetime | None = None
    ) -> None:
        """Give ``row`` (which sets exactly the ``provided`` keys) every value it lacks."""
        bound = self._bound
        if bound is None:
            bound = self._bound = self.bind()
        bound(row, rng, parent, after)

    def epoch_fields(self) -> frozenset[str]:
        """The generated DateTimeFields whose values ``bind(epoch=...)`` may draw as whole
        seconds since 1970: those the engine draws itself (no field spec, no choices), unless a
        uniqueness rule of the model holds a DateTimeField (its claimed values are datetimes)."""
        opts = self.model._meta
        timed_rules = any(
            isinstance(opts.get_field(name), models.DateTimeField)
            for names in unique_sets(self.model)
            for name in names
        )
        if timed_rules:
            return frozenset()
        return frozenset(
            field.attname
            for field, _make in self.fields
            # A field with choices draws one of them, not a time (``_maker``).
            if isinstance(field, models.DateTimeField)
            and not field.choices
            and self._spec(field) is NOT_PROVIDED
        )

    @property
    def reads_own_rows(self) -> bool:
        """Whether completing a row may read rows of its own model (a key to its own model, its
        times, or a field spec's callable, which is given the context and may read anything): a
        caller that holds rows back before queueing them would hide them."""
        own = self.model._meta.concrete_model
        return (
            any(
                field.is_relation and field.related_model._meta.concrete_model is own
                for field, _make in self.fields
            )
            or any(model._meta.concrete_model is own for _attname, model in self.relations)
            or any(
                callable(spec) and type(spec) not in (Fake, Weighted)
                for spec in self.specs.values()
            )
        )

    def bind_tuples(self, given: tuple[str, ...]) -> BoundRows:
        """``bind(static=True)`` for rows that become tuples (see ``BoundRows``): a row dict
        that gives exactly ``given``, in that order, is completed with the same draws, its
        engine-drawn times as epoch seconds."""
        epoch = self.epoch_fields()
        names = (*given, *(field.attname for field, _make in self.fields))
        return BoundRows(self.bind(static=True, epoch=epoch), names, epoch)

    def bind(self, *, static: bool = False, epoch: frozenset[str] = frozenset()) -> Completer:
        """``complete`` with what its values need resolved once: each field's first draw without
        a retry check, the unique sets read at the first row, a key per rule taken by
        ``itemgetter``, related rows' times folded in as each key is set. The same draws in the
        same order as ``complete``. ``static``: the caller writes no rows of the models the row
        points at while it uses the result (a declarative fill writes only its own model), so
        their candidates are read once, at the first pick, instead of checked per value.
        ``epoch``: fields of ``epoch_fields()`` whose times are made as whole seconds since 1970
        (the same instants), for a caller that queues tuples (``bind_tuples``)."""
        makers = [
            (field.attname, self._epoch_maker(field, epoch))
            if field.attname in epoch
            else (field.attname, self._first_maker(field, static))
            for field, _ in self.fields
        ]
        get = self.get
        # Related rows' times, per key of the row that points at a timed model.
        times_cells: dict[str, list[dict[Any, datetime]]] = {}
        ctx = self.ctx

        def times_of(attname: str, model: type[models.Model]) -> dict[Any, datetime]:
            cell = times_cells[attname]
            if cell:
                return cell[0]
            times = ctx.candidates(model).times
            if static and model._meta.concrete_model is not self.model._meta.concrete_model:
                cell.append(times)
            return times

        relations = dict(self.relations)
        for attname in relations:
            times_cells[attname] = []
        follows = [(attname, make, relations.get(attname)) for attname, make in makers]

        def after_related(row: dict[str, Any], after: datetime | None) -> datetime | None:
            for attname, model in relations.items():
                pk = get(row, attname)
                if pk is None:
                    continue
                moment = times_of(attname, model).get(pk)
                if moment is not None and (after is None or moment > after):
                    after = moment
            return after

        rules: list[tuple[Callable[[dict[str, Any]], tuple], set[tuple], tuple[str, ...]]] = []
        unique = self.unique

        def read_rules() -> None:  # the step's sets, read at the first row (see forget_claims)
            for fields in unique:
                claimed = ctx.unique_values(self.model, fields)
                rules.append((self._key_of(fields), claimed, fields))

        def complete(
            row: dict[str, Any], rng: Rand, parent: Any = None, after: datetime | None = None
        ) -> None:
            if relations:
                after = after_related(row, after)  # the rows the seeder pointed it at
                for attname, make, model in follows:
                    value = row[attname] = make(rng, row, parent, after)
                    if model is not None and value is not None:
                        # Only the key just set can move ``after``: the fold is a running max.
                        if isinstance(value, models.Model):
                            value = value.pk
                        moment = times_of(attname, model).get(value)
                        if moment is not None and (after is None or moment > after):
                            after = moment
            else:
                for attname, make in makers:
                    row[attname] = make(rng, row, parent, after)
            if not unique:
                return
            if not rules:
                read_rules()
            keys = []
            for key_of, claimed, fields in rules:
                key = key_of(row)
                if None not in key and key in claimed:
                    self._draw_again(row, rng, parent, after, rules, fields)
                    return
                keys.append(key)
            for key, (_key_of, claimed, _fields) in zip(keys, rules, strict=True):
                if None not in key:
                    claimed.add(key)

        return complete

    def _epoch_maker(self, field: models.Field, epoch: frozenset[str]) -> Maker:
        """An engine-drawn DateTimeField's maker in epoch seconds: the draws of its kept maker."""
        if getattr(field, "auto_now", False):
            return self._last_seconds(epoch)
        return _moment_drawer(self.ctx.now, epoch=True)

    def _first_maker(self, field: models.Field, static: bool) -> Maker:
        """A field's maker for a row's first draw (see ``bind``): the same draws as the kept
        maker's when the row lacks the value."""
        spec = self._spec(field)
        if spec is not NOT_PROVIDED:
            if field.is_relation:
                return self._spec_maker(field, spec)
            if not callable(spec):
                return lambda rng, row, parent, after: spec
            if type(spec) is Fake:
                provider = spec.provider
                options: list[tuple[Any, ...]] = []

                def fake(rng: Rand, row: dict[str, Any], parent: Any, after: Any) -> Any:
                    if not options:  # the pool, drawn when first needed
                        options.append(pool(provider))
                    values = options[0]
                    return values[int(rng.random() * len(values))]

                return fake
            ctx = self.ctx
            return lambda rng, row, parent, after: spec(rng, ctx, parent)
        if field.is_relation:
            return self._relation_maker(field, static=static)
        if isinstance(field, models.CharField | models.TextField) and not field.choices:
            unique = any(field.attname in s for s in unique_sets(self.model))
            return self._text_maker(field, unique, first=True)
        return dict(self.fields)[field]

    def _key_of(self, fields: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple]:
        """A completed row's key for a uniqueness rule, as ``get`` reads each value."""
        if self.aliases or not self._present.issuperset(fields):
            get = self.get
            return lambda row: tuple([get(row, name) for name in fields])
        if len(fields) == 1:
            (name,) = fields
            return lambda row: (row[name],)
        return operator.itemgetter(*fields)

    def _draw_again(
        self,
        row: dict[str, Any],
        rng: Rand,
        parent: Any,
        after: datetime | None,
        rules: list[tuple[Callable[[dict[str, Any]], tuple], set[tuple], tuple[str, ...]]],
        clash: tuple[str, ...],
    ) -> None:
        """A row whose first values clash with a uniqueness rule: the clashing fields drawn again
        (their makers see their taken value in the row) until no rule holds the row's keys."""
        for attempt in range(UNIQUE_ATTEMPTS):
            for field, make in self.fields:
                if field.attname in clash:
                    row[field.attname] = make(rng, row, parent, after)
            if attempt == UNIQUE_ATTEMPTS - 1:
                break
            keys = []
            for key_of, claimed, fields in rules:
                key = key_of(row)
                if None not in key and key in claimed:
                    clash = fields
                    break
                keys.append(key)
            else:
                for key, (_key_of, claimed, _fields) in zip(keys, rules, strict=True):
                    if None not in key:
                        claimed.add(key)
                return
        raise ConfigurationError(
            f"no free value for {self.model._meta.label} "
            f"({', '.join(clash)}) after {UNIQUE_ATTEMPTS} draws"
        )
