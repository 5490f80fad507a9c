"""Keyed randomness: the same parts give the same values, and drawn times keep to their bounds."""

from __future__ import annotations

from datetime import UTC, timedelta

from mentara_seed.rand import Rand

from .conftest import NOW


def test_the_same_parts_give_the_same_draws_and_other_parts_others():
    def draws(*parts: object) -> list[float]:
        rng = Rand(*parts)
        return [rng.random() for _ in range(5)]

    assert draws(0, "mentara.Client", ("ada",), "posts", 3) == draws(
        0, "mentara.Client", ("ada",), "posts", 3
    )
    assert draws(0, "mentara.Client", ("ada",), "posts", 3) != draws(
        0, "mentara.Client", ("ada",), "posts", 4
    )


def test_moment_between_keeps_to_its_bounds_whatever_end_came_before():
    rng = Rand(1, "bounds")
    ends = [NOW, NOW - timedelta(days=3), NOW.replace(), NOW + timedelta(hours=1, seconds=30.5)]
    for index in range(400):
        end = ends[index % len(ends)]  # identical, equal and different ends, interleaved
        start = end - timedelta(days=index % 7, seconds=index)
        moment = rng.moment_between(start, end)
        assert start <= moment <= end
        assert moment.microsecond == 0 and moment.tzinfo is UTC


def test_the_shipped_name_pools_are_faker_names_and_say_which_faker_drew_them() -> None:
    """Start-up reads the pools instead of drawing them from Faker (see ``name_pools.json``)."""
    import json

    from faker.providers.person.en_US import Provider

    from mentara_seed import rand

    data = json.loads(rand.NAME_POOLS_FILE.read_text(encoding="utf-8"))
    assert data["faker_version"] and data["locale"] == "en_US"
    first, last = rand._name_pools()
    assert (list(first), list(last)) == (data["first_names"], data["last_names"])
    assert len(set(first)) == len(first) > 300 and len(set(last)) == len(last) > 300
    assert set(first) <= set(Provider.first_names) and set(last) <= set(Provider.last_names)
    assert Rand(1, "people").first_name() in first
