"""Declarative requirements: how much data each entity must have, per mode.

A seeder declares a ``population`` (how many entities of its model must exist) and a list of
:class:`Requirement` objects (how many related rows each entity must have). Each number is given
per mode as :class:`Levels`; settings overrides and ``--scale`` are applied by :func:`resolve`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, Expression, Q

from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from .auditing import AuditContext
    from .distributions import Distribution

MODES: tuple[str, ...] = ("light", "medium", "heavy")
DEFAULT_MODE = "medium"
POPULATION = "population"


@dataclass(frozen=True)
class Levels:
    """One number per mode."""

    light: int
    medium: int
    heavy: int

    @classmethod
    def all(cls, value: int) -> Levels:
        return cls(value, value, value)

    def __getitem__(self, mode: str) -> int:
        if mode not in MODES:
            raise ConfigurationError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        return int(getattr(self, mode))


def as_levels(value: Levels | int) -> Levels:
    """A number for every mode, from one number or from Levels."""
    return value if isinstance(value, Levels) else Levels.all(value)


def levels_or_none(value: object, where: str) -> Levels | None:
    """A whole number or Levels of whole numbers (at least 0) as Levels; None stays None."""
    if value is None:
        return None
    levels = value if isinstance(value, Levels) else Levels(value, value, value)  # type: ignore[arg-type]
    for number in (levels.light, levels.medium, levels.heavy):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ConfigurationError(
                f"{where}: expected a whole number of at least 0, or Levels of them; got {value!r}"
            )
    return levels


@dataclass(frozen=True)
class Requirement:
    """Each entity of the seeder's model must have ``minimum`` (and at most ``maximum``) rows.

    The current value is counted with ``Count(count, filter=filter, distinct=distinct)`` over the
    relation path ``count``, or with a custom ``expression(ctx, window_days)``. ``when``
    restricts the requirement to the entities it matches (a conditional requirement).
    ``window_days`` with ``recent`` (the timestamp path) counts only rows from the last N days.
    ``distribution`` gives each entity its own target between the minimum and a cap (see
    ``distributions``); without one, every entity's target is the minimum.
    The seeder fills gaps with its method ``fill_<name>`` (or ``fill`` when given); without
    one, the engine fills the relation ``count`` names (see ``declarative``).
    ``after`` names steps (``"app_label.Model.requirement"``) that must be filled before this one.
    """

    name: str
    minimum: Levels | int = 0
    maximum: int | None = None
    count: str | None = None
    filter: Q | None = None
    distinct: bool = False
    expression: Callable[[AuditContext, int | None], Expression] | None = None
    when: Q | Callable[[AuditContext], Q] | None = None
    recent: str | None = None
    window_days: Levels | int | None = None
    fill: str | None = None
    after: tuple[str, ...] = ()
    help: str = ""
    distribution: Distribution | None = None
    #: Field specs for the rows an automatic fill creates (children, or link rows of an explicit
    #: through model): a constant, ``Fake("provider")``, ``Weighted({...})`` or a callable of
    #: ``(rng, ctx, parent)``.
    values: Mapping[str, Any] = field(default_factory=dict)
    #: Which existing rows an automatic fill may pick: a Q over the other side of a
    #: many-to-many, or ``{"field": Q}`` for a foreign key of the children it creates; values
    #: may be ``OuterRef("field")``, the entity's own (see ``values.LOOKUPS``).
    candidates: Q | Mapping[str, Q] | None = None
    #: Rows of other models the fill writes with each row it adds to the count, by model label
    #: (a conversation's other participant): only the row cap's estimate reads it, so a fill
    #: that writes more than it counts is not let past ``MAX_ROWS`` (see ``estimate``).
    also_writes: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "minimum", as_levels(self.minimum))
        from .distributions import Distribution

        if self.distribution is not None and not isinstance(self.distribution, Distribution):
            raise ConfigurationError(
                f"requirement {self.name!r}: distribution must be Uniform(...) or LongTail(...), "
                f"got {self.distribution!r}"
            )
        if self.window_days is not None:
            object.__setattr__(self, "window_days", as_levels(self.window_days))
        if (self.count is None) == (self.expression is None):
            raise ConfigurationError(
                f"requirement {self.name!r} needs exactly one of count= or expression="
            )
        if self.name == POPULATION:
            raise ConfigurationError(f"{POPULATION!r} is reserved for the seeder's population")

    @property
    def fill_method(self) -> str:
        return self.fill or f"fill_{self.name}"

    def count_expression(self, ctx: AuditContext, window_days: int | None) -> Expression:
        if self.expression is not None:
            return self.expression(ctx, window_days)
        # __post_init__ guarantees exactly one of count and expression.
        count = cast(str, self.count)
        condition = self.filter
        if self.recent and window_days is not None:
            recent = Q(**{f"{self.recent}__gte": ctx.now - timedelta(days=window_days)})
            condition = recent if condition is None else condition & recent
        return Count(count, filter=condition, distinct=self.distinct)


@dataclass(frozen=True)
class Target:
    """A requirement's numbers once mode, scale and overrides are applied."""

    minimum: int
    maximum: int | None = None
    window_days: int | None = None
    #: With a distribution: the highest target an entity can get, and the step it draws for.
    cap: int | None = None
    distribution: Distribution | None = None
    step_id: str = ""

    @property
    def highest(self) -> int:
        """No entity's own target is above this."""
        return self.cap if self.cap is not None else self.minimum

    def targets(self) -> Callable[[Any], int]:
        """``for_entity`` with what it needs bound once, for an audit that asks it per entity
        (tens of thousands at heavy scales: the import and the checks cost as much as the draw)."""
        minimum, cap, distribution = self.minimum, self.cap, self.distribution
        if distribution is None or cap is None or cap <= minimum:
            return lambda key: minimum
        from .distributions import entity_draw

        own_target, step_id = distribution.own_target, self.step_id
        return lambda key: own_target(minimum, cap, entity_draw(step_id, str(key)))

    def for_entity(self, key: Any) -> int:
        """The entity's own target: the minimum, or its draw from the distribution."""
        if self.distribution is None or self.cap is None or self.cap <= self.minimum:
            return self.minimum
        from .distributions import entity_draw

        draw = entity_draw(self.step_id, str(key))
        return self.distribution.own_target(self.minimum, self.cap, draw)


OVERRIDE_KEYS = frozenset({*MODES, "min", "max", "days", "cap"})


def parse_override(where: str, value: object) -> dict[str, int]:
    """Validate one override: an int (the minimum in every mode) or a dict of OVERRIDE_KEYS."""
    if isinstance(value, bool) or not isinstance(value, int | dict):
        raise ConfigurationError(
            f"{where}: expected a whole number or a dict with keys "
            f"{', '.join(sorted(OVERRIDE_KEYS))}, got {value!r}"
        )
    raw: dict[str, object] = {"min": value} if isinstance(value, int) else dict(value)
    unknown = set(raw) - OVERRIDE_KEYS
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"use {', '.join(sorted(OVERRIDE_KEYS))}"
        )
    parsed: dict[str, int] = {}
    for key, number in raw.items():
        if number is None and key == "max":
            continue
        if isinstance(number, bool) or not isinstance(number, int):
            raise ConfigurationError(f"{where}.{key}: expected a whole number, got {number!r}")
        if number < 0:
            raise ConfigurationError(f"{where}.{key}: a count cannot be negative (got {number})")
        parsed[key] = number
    return parsed


def resolve(
    *,
    where: str,
    minimum: Levels,
    maximum: int | None,
    window_days: Levels | None,
    mode: str,
    override: dict[str, int] | None,
    scale: int = 1,
    distribution: Distribution | None = None,
) -> Target:
    """The numbers in force for one requirement in one mode; raises on min above max, or on a
    cap below the minimum or above the maximum."""
    low = minimum[mode]
    high = maximum
    days = window_days[mode] if window_days is not None else None
    cap = distribution.cap_in(mode) if distribution is not None else None
    if override:
        if "min" in override:
            low = override["min"]
        if mode in override:
            low = override[mode]
        if "max" in override:
            high = override["max"]
        if "days" in override:
            if days is None:
                raise ConfigurationError(
                    f"{where}: 'days' applies only to a time-window requirement"
                )
            days = override["days"]
        if "cap" in override:
            if distribution is None:
                raise ConfigurationError(
                    f"{where}: 'cap' applies only to a requirement with a distribution"
                )
            cap = override["cap"]
    low *= scale
    if high is not None and low > high:
        raise ConfigurationError(f"{where}: minimum {low} is above maximum {high} in mode {mode}")
    if days is not None and days < 1:
        raise ConfigurationError(f"{where}: a time window must be at least 1 day (got {days})")
    if distribution is not None:
        if cap is None:
            try:
                cap = distribution.default_cap(low, high)
            except ConfigurationError as exc:
                raise ConfigurationError(f"{where}: {exc}") from None
        if cap < low:
            raise ConfigurationError(
                f"{where}: the distribution's cap {cap} is below the minimum {low} in mode {mode}"
            )
        if high is not None and cap > high:
            raise ConfigurationError(
                f"{where}: the distribution's cap {cap} is above the maximum {high} in mode {mode}"
            )
    return Target(
        minimum=low,
        maximum=high,
        window_days=days,
        cap=cap,
        distribution=distribution,
        step_id=where,
    )
