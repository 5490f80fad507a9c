"""How many rows each entity gets beyond its minimum: one target per entity, drawn from its key.

Real people are not clones: some post ten times more than others. A requirement with a
``distribution`` gives every entity its own target between the minimum and a cap, drawn from
(model label, requirement, entity key) and nothing else, so the audit and every re-run agree on
it: an entity is topped up to its own target, and rows deleted by hand come back in the same
number for that entity. The run's seed is deliberately not part of the draw: re-running with
another seed must not ask for more rows, only write other content.

    Requirement("items", minimum=1, maximum=5, count="items", distribution=Uniform())
    Requirement("posts", minimum=Levels(2, 5, 15), count="posts",
                distribution=LongTail(alpha=1.5, cap=Levels(20, 50, 150)))
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from typing import Any

from .exceptions import ConfigurationError
from .requirements import Levels, levels_or_none


class Distribution:
    """Base class: ``own_target(minimum, cap, draw)`` maps a uniform draw in [0, 1) to a target
    in [minimum, cap]; ``default_cap`` is the cap when neither the distribution nor the
    requirement's maximum gives one."""

    def cap_in(self, mode: str) -> int | None:
        raise NotImplementedError

    def default_cap(self, minimum: int, maximum: int | None) -> int:
        raise NotImplementedError

    def own_target(self, minimum: int, cap: int, draw: float) -> int:
        raise NotImplementedError


@dataclass(frozen=True)
class Uniform(Distribution):
    """Every target between the minimum and ``high`` is equally likely; ``high`` defaults to the
    requirement's maximum ("1-5 items per order")."""

    high: Levels | int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "high", levels_or_none(self.high, "Uniform(high=...)"))

    def cap_in(self, mode: str) -> int | None:
        return self.high[mode] if isinstance(self.high, Levels) else None

    def default_cap(self, minimum: int, maximum: int | None) -> int:
        if maximum is None:
            raise ConfigurationError(
                "Uniform() needs high= or a maximum on its requirement (the top of the range)"
            )
        return maximum

    def own_target(self, minimum: int, cap: int, draw: float) -> int:
        return minimum + int(draw * (cap - minimum + 1))


@dataclass(frozen=True)
class LongTail(Distribution):
    """Most entities near the minimum, a few far above it: a Pareto tail with exponent
    ``alpha`` (smaller is longer; 1.5 puts about one entity in ten above four times the
    minimum) cut at ``cap``, which defaults to ten times the minimum (at least 10)."""

    alpha: float = 1.5
    cap: Levels | int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int | float):
            raise ConfigurationError(f"LongTail(alpha=...) must be a number, got {self.alpha!r}")
        if not self.alpha > 0:
            raise ConfigurationError(f"LongTail(alpha=...) must be above 0, got {self.alpha}")
        object.__setattr__(self, "cap", levels_or_none(self.cap, "LongTail(cap=...)"))

    def cap_in(self, mode: str) -> int | None:
        return self.cap[mode] if isinstance(self.cap, Levels) else None

    def default_cap(self, minimum: int, maximum: int | None) -> int:
        cap = max(10 * minimum, 10)
        return cap if maximum is None else min(cap, maximum)

    def own_target(self, minimum: int, cap: int, draw: float) -> int:
        base = max(minimum, 1)
        # Inverse CDF of a Pareto(alpha) variable at or above ``base``; 1 - draw is in (0, 1].
        above = base * ((1.0 - draw) ** (-1.0 / self.alpha) - 1.0)
        return min(minimum + math.floor(above), cap)


@functools.lru_cache(maxsize=256)
def _draw_hasher(step_id: str) -> Any:
    """The hash state after ``derive_seed``'s first two parts for a step (one per step)."""
    return hashlib.blake2b(f"mentara_seed.target\x1f{step_id}\x1f".encode(), digest_size=8)


def entity_draw(step_id: str, key: str) -> float:
    """The uniform draw in [0, 1) behind an entity's own target:
    ``derive_seed("mentara_seed.target", step_id, key)`` scaled, hashed from a copy of the step's
    prefix state. Not cached per entity: a cache of every entity's draw (262,144 entries, up to
    68 MB) was what grew most with the scale, and hashing from the prefix costs about what a
    cache hit did (about 1 us instead of 4 to 6 for ``derive_seed``)."""
    hasher = _draw_hasher(step_id).copy()
    hasher.update(key.encode())
    return int.from_bytes(hasher.digest(), "big") / 2.0**64
