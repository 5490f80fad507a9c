"""Deterministic randomness keyed by (seed, model label, entity key, purpose, ordinal).

Every generated value comes from a ``random.Random`` seeded by a hash of where it is used, so the
same database state, seed and reference time always give the same rows, whatever else the run did
before. Faker is used once, with a fixed seed, to build pools of names; drawing from a pool with a
keyed generator is both deterministic and far faster than seeding Faker per row.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from faker import Faker

T = TypeVar("T")

_POOL_SIZE = 600


def derive_seed(*parts: object) -> int:
    """A 64-bit integer from the parts; stable across processes and Python versions."""
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@functools.cache
def _name_pools() -> tuple[tuple[str, ...], tuple[str, ...]]:
    fake = Faker("en_US")
    fake.seed_instance(20251014)
    first = tuple(dict.fromkeys(fake.first_name() for _ in range(_POOL_SIZE * 2)))
    last = tuple(dict.fromkeys(fake.last_name() for _ in range(_POOL_SIZE * 2)))
    return first, last


class Rand(random.Random):
    """A ``random.Random`` with the helpers seeders need."""

    def __init__(self, *parts: object) -> None:
        super().__init__(derive_seed(*parts))

    def pick(self, options: Sequence[T]) -> T:
        # random() is several times cheaper than randrange(); the bias is below 2**-40.
        return options[int(self.random() * len(options))]

    def first_name(self) -> str:
        return self.pick(_name_pools()[0])

    def last_name(self) -> str:
        return self.pick(_name_pools()[1])

    def moment_between(self, start: datetime, end: datetime) -> datetime:
        """A time in [start, end], to the second (databases differ below that)."""
        # Epoch seconds: integer arithmetic is far cheaper than datetime arithmetic per row.
        low = math.ceil(start.timestamp())
        high = math.floor(end.timestamp())
        if high > low:
            low += int(self.random() * (high - low + 1))
        return datetime.fromtimestamp(low, start.tzinfo or UTC)

    def moment_before(self, now: datetime, *, days: float, min_days: float = 0) -> datetime:
        """A time between ``days`` and ``min_days`` days before ``now``."""
        return self.moment_between(now - timedelta(days=days), now - timedelta(days=min_days))
