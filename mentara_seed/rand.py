"""Deterministic randomness keyed by (seed, model label, entity key, purpose, ordinal).

Every generated value comes from a ``random.Random`` seeded by a hash of where it is used, so the
same database state, seed and reference time always give the same rows, whatever else the run did
before. Faker is used once, with a fixed seed, to build pools of names; drawing from a pool with a
keyed generator is both deterministic and far faster than seeding Faker per row. The name pools
were drawn from Faker once and ship as data (``name_pools.json``, with the Faker version that drew
them): start-up does not wait for Faker, and another Faker version does not change the names.
"""

from __future__ import annotations

import _random
import functools
import hashlib
import json
import math
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_POOL_SIZE = 600
_POOL_LOCALE = "en_US"
_POOL_SEED = 20251014
NAME_POOLS_FILE = Path(__file__).with_name("name_pools.json")

_from_timestamp = datetime.fromtimestamp
_seed = _random.Random.seed
_blake2b = hashlib.blake2b
#: The last ``end`` moment_between() saw and its epoch second (holding the object keeps its
#: identity from being reused).
_last_end: tuple[Any, int] = (None, 0)
#: The same for the last ``start``, with its zone: a seeder draws many times after one entity's
#: own time (its messages after the conversation began, its posts after joining).
_last_start: tuple[Any, int, Any] = (None, 0, None)


def derive_seed(*parts: object) -> int:
    """A 64-bit integer from the parts; stable across processes and Python versions."""
    text = "\x1f".join(map(str, parts))
    return int.from_bytes(_blake2b(text.encode(), digest_size=8).digest(), "big")


def draw_name_pools() -> dict[str, Any]:
    """The name pools as Faker draws them, with what drew them: what ``name_pools.json`` holds.
    Regenerate the file (a deliberate change of every seeded name) with
    ``python -m mentara_seed.rand > mentara_seed/name_pools.json``."""
    from faker import VERSION, Faker

    fake = Faker(_POOL_LOCALE)
    fake.seed_instance(_POOL_SEED)
    first = list(dict.fromkeys(fake.first_name() for _ in range(_POOL_SIZE * 2)))
    last = list(dict.fromkeys(fake.last_name() for _ in range(_POOL_SIZE * 2)))
    return {
        "faker_version": VERSION,
        "locale": _POOL_LOCALE,
        "seed": _POOL_SEED,
        "draws": _POOL_SIZE * 2,
        "first_names": first,
        "last_names": last,
    }


@functools.cache
def _name_pools() -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = json.loads(NAME_POOLS_FILE.read_text(encoding="utf-8"))
    return tuple(data["first_names"]), tuple(data["last_names"])


class Rand(random.Random):
    """A ``random.Random`` with the helpers seeders need."""

    def __init__(self, *parts: object) -> None:
        # What random.Random.__init__ does for an int seed, without its type checks in Python:
        # a run makes one generator per entity and purpose, tens of thousands.
        _seed(self, derive_seed(*parts))
        self.gauss_next = None

    # The draws below use random() instead of randrange(): several times cheaper per row, with a
    # bias below 2**-40 for the small ranges seeders use.

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.random() * len(options))]

    def choice(self, seq: Sequence[T]) -> T:
        if not seq:
            raise IndexError("cannot choose from an empty sequence")
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        if b < a:
            raise ValueError(f"empty range for randint({a}, {b})")
        return a + int(self.random() * (b - a + 1))

    def sample(self, population: Sequence[T], k: int, *, counts: object = None) -> list[T]:
        size = len(population)
        if counts is not None or not 0 <= k <= size or 2 * k > size:
            return super().sample(population, k, counts=counts)
        # Few from many: draw indices until k distinct ones, instead of copying the population.
        chosen: list[int] = []
        seen: set[int] = set()
        while len(chosen) < k:
            index = int(self.random() * size)
            if index not in seen:
                seen.add(index)
                chosen.append(index)
        return [population[index] for index in chosen]

    def indices(self, size: int) -> Iterator[int]:
        """Every index of range(size) once, in random order, drawn lazily: taking the first few
        costs a few draws, and the first ones do not depend on how many are taken."""
        seen: set[int] = set()
        misses = 0
        while len(seen) < size and misses <= 2 * size:
            index = int(self.random() * size)
            if index in seen:
                misses += 1
                continue
            seen.add(index)
            yield index
        rest = [index for index in range(size) if index not in seen]
        self.shuffle(rest)
        yield from rest

    def first_name(self) -> str:
        return self.pick(_name_pools()[0])

    def last_name(self) -> str:
        return self.pick(_name_pools()[1])

    def moment_between(self, start: datetime, end: datetime) -> datetime:
        """A time in [start, end], to the second (databases differ below that)."""
        # Epoch seconds: integer arithmetic is far cheaper than datetime arithmetic per row.
        # Most calls end at the run's reference time: its bound is kept, keyed by identity.
        global _last_end, _last_start
        last = _last_end  # one read: another thread may replace the pair meanwhile
        if end is last[0]:
            high = last[1]
        else:
            high = math.floor(end.timestamp())
            _last_end = (end, high)
        first = _last_start
        if start is first[0]:
            low, zone = first[1], first[2]
        else:
            low, zone = math.ceil(start.timestamp()), start.tzinfo or UTC
            _last_start = (start, low, zone)
        if high > low:
            low += int(self.random() * (high - low + 1))
        return _from_timestamp(low, zone)

    def second_between(self, low: int, high: int) -> int:
        """``moment_between`` for bounds already in whole seconds since 1970 (``low`` the
        ceiling of the start's, ``high`` the floor of the end's): the same draw, as the epoch
        second, with no datetime made (see ``FillContext.add_tuples``'s ``epoch``)."""
        if high > low:
            low += int(self.random() * (high - low + 1))
        return low

    def moment_before(self, now: datetime, *, days: float, min_days: float = 0) -> datetime:
        """A time between ``days`` and ``min_days`` days before ``now``."""
        return self.moment_between(now - timedelta(days=days), now - timedelta(days=min_days))


if __name__ == "__main__":
    print(json.dumps(draw_name_pools(), indent=0, ensure_ascii=False))
