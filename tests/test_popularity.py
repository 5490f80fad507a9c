"""``Popularity.pick``, the memberships step's weighted draw built once per step, draws and picks
exactly what the per-user draw it replaced did (issue 11, item 8: the old one listed every
community for every user, quadratic in the scale). The old code is kept here as the reference."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Any

import pytest

from mentara_seed.rand import Rand
from project.mentara.seeding import Popularity, least_busy, popular_first


def reference(rng: Rand, options: Sequence[Any], sizes: Sequence[int], count: int) -> list[Any]:
    """``popular_first`` as it was before ``Popularity``, word for word."""
    cumulative = list(itertools.accumulate(size + 1 for size in sizes))
    picked: dict[Any, None] = {}
    for _attempt in range(8 * count if options else 0):
        if len(picked) == count:
            return list(picked)
        index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
        picked[options[min(index, len(options) - 1)]] = None
    rest = [option for option in options if option not in picked]
    return [*picked, *rng.sample(rest, k=min(count - len(picked), len(rest)))]


def old_pick(
    rng: Rand, options: Sequence[Any], sizes: Sequence[int], excluded: set[Any], count: int
) -> list[Any]:
    """What ``join_communities`` did per user: list the free options, then draw."""
    free = [i for i, option in enumerate(options) if option not in excluded]
    return reference(rng, [options[i] for i in free], [sizes[i] for i in free], count)


class Counting(Rand):
    """Counts the samples of the rare path: the ``8 * count`` draws fell short."""

    fallbacks = 0

    def sample(self, population: Sequence[Any], k: int, *, counts: object = None) -> list[Any]:
        Counting.fallbacks += k > 0
        return super().sample(population, k, counts=counts)


class Grid(Counting):
    """Draws below a half on a grid of 32nds, so that a draw often lands exactly on a cumulative
    weight, where a comparison off by its equal case would pick the neighbour (the draws above
    a half stay as they are, so ``Rand.sample`` still reaches every index)."""

    def random(self) -> float:
        draw = super().random()
        return draw if draw >= 0.5 else int(draw * 32) / 32


def same(
    options: list[Any],
    sizes: list[int],
    excluded: set[Any],
    count: int,
    seed: object,
    kind: type[Rand] = Counting,
) -> None:
    new_rng, old_rng = kind("popularity", seed), kind("popularity", seed)
    got = Popularity(options, sizes).pick(new_rng, excluded, count)
    want = old_pick(old_rng, options, sizes, excluded, count)
    assert got == want, (options, sizes, excluded, count)
    # The generator is left in the same state: the memberships' dates are drawn from it next.
    assert new_rng.getstate() == old_rng.getstate()


@pytest.mark.parametrize("kind", [Counting, Grid])
def test_random_inputs_give_the_same_picks_and_leave_the_same_generator_state(
    kind: type[Rand],
) -> None:
    shapes = random.Random(20261206)
    Counting.fallbacks = 0
    for case in range(4000):
        n = shapes.choice([0, 1, 2, 3, 5, 8, 20, 60, 300])
        options = [f"c{i}" for i in shapes.sample(range(10 * n + 1), n)]
        skew = shapes.choice(["flat", "zero", "heavy", "one giant"])
        if skew == "flat":
            sizes = [shapes.randrange(5) for _ in options]
        elif skew == "zero":
            sizes = [0] * n
        elif skew == "heavy":
            sizes = [int(shapes.paretovariate(0.7)) for _ in options]
        else:
            sizes = [0] * n
            if n:
                sizes[shapes.randrange(n)] = 10 ** shapes.randrange(3, 12)
        share = shapes.choice([0.0, 0.05, 0.3, 0.9, 1.0])
        excluded = {option for option in options if shapes.random() < share}
        # Unknown options left out are ignored, as communities outside the step's list.
        excluded |= {f"x{case}"} if shapes.random() < 0.2 else set()
        count = shapes.choice([0, 1, 2, 3, 7, n // 2, n, n + 3])
        same(options, sizes, excluded, count, case, kind)
    # The rare path (the draws fall short, the rest is sampled) is compared too.
    assert Counting.fallbacks > 100


@pytest.mark.parametrize(
    ("options", "sizes", "excluded", "count"),
    [
        ([], [], set(), 0),
        ([], [], set(), 4),
        (["a"], [0], {"a"}, 1),
        (["a", "b", "c"], [1, 2, 3], {"a", "b", "c"}, 2),
        (["a", "b", "c"], [1, 2, 3], set(), 0),
        (["a", "b", "c"], [1, 2, 3], set(), 3),
        (["a", "b", "c"], [1, 2, 3], set(), 10),
        (["a", "b", "c"], [1, 2, 3], {"b"}, 10),
        (["a", "b", "c", "d"], [0, 10**15, 0, 0], {"a"}, 3),
        (["a", "b", "c", "d"], [10**15, 0, 0, 0], {"d"}, 4),
        ([1, 2, 3, 4, 5, 6, 7, 8], [0] * 8, {1, 8}, 6),
    ],
)
def test_edge_cases(options: list[Any], sizes: list[int], excluded: set[Any], count: int) -> None:
    for seed in range(50):
        same(options, sizes, excluded, count, seed)
        same(options, sizes, excluded, count, seed, Grid)


def test_the_last_free_option_when_the_draw_reaches_the_total() -> None:
    """A draw equal to the total (``random()`` never returns 1.0, but the old code guarded
    against the bisect falling past the end) takes the last free option, as the old code did."""

    class Top(Rand):
        def random(self) -> float:
            return 1.0

    options, sizes = ["a", "b", "c", "d", "e"], [0, 4, 0, 0, 5]
    for excluded in [{"b", "e"}, {"e"}, {"a", "d", "e"}, set()]:
        free = [o for o in options if o not in excluded]
        want = reference(Top("t"), free, [sizes[options.index(o)] for o in free], 1)
        assert Popularity(options, sizes).pick(Top("t"), excluded, 1) == want == [free[-1]]


def test_popular_first_is_unchanged() -> None:
    for seed in range(200):
        rng, old = Rand("popular", seed), Rand("popular", seed)
        sizes = [seed % 7, 0, 3, seed % 2, 11]
        assert popular_first(rng, "abcde", sizes, seed % 7) == reference(
            old, "abcde", sizes, seed % 7
        )
        assert rng.getstate() == old.getstate()


def test_least_busy_is_the_old_min_then_plus_one() -> None:
    shapes = random.Random(6)
    for _case in range(300):
        keys = shapes.sample(range(1000), shapes.randrange(1, 30))
        load = {key: shapes.randrange(4) for key in keys}
        old = dict(load)
        busy = least_busy(load)
        for _ in range(shapes.randrange(80)):
            want = min(old, key=lambda pk: old[pk])
            old[want] += 1
            assert next(busy) == want
    assert list(least_busy({})) == []
