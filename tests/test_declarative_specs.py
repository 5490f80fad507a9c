"""Declarative fills queue rows as tuples a batch at a time (``_TupleSink``), except where a
field spec's callable may read the model being filled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import mentara_seed
from mentara_seed import Requirement, SeedRegistry, Uniform
from tests.conftest import NOW
from tests.declarative_app import seeding as shop
from tests.declarative_app.models import Order, OrderItem

pytestmark = pytest.mark.django_db


def items_so_far(rng: Any, ctx: Any, parent: Any) -> Decimal:
    """A field spec (a documented ``(rng, ctx, parent)`` callable) that reads the rows of its
    own model through the context: ``ctx.candidates`` flushes queued rows, so it sees every
    row made before this one."""
    return Decimal(len(ctx.candidates(OrderItem).pks))


class NumberedItemsOrderSeeder(shop.OrderSeeder):
    requirements = (
        Requirement(
            "items",
            minimum=1,
            count="items",
            distribution=Uniform(high=3),
            values={"unit_price": items_so_far},
        ),
    )


def numbered_registry() -> SeedRegistry:
    registry = SeedRegistry()
    for seeder in shop.registry:
        seeder_class = NumberedItemsOrderSeeder if seeder.model is Order else type(seeder)
        registry.register(seeder.model, seeder_class)
    return registry


def test_a_spec_that_reads_its_own_model_sees_every_row_made_before_it():
    """A spec reading its own model through ``ctx.candidates`` sees every row made before its
    own, as with ``add`` (``RowMaker.reads_own_rows`` counts callable specs: each row is then
    queued as it is made)."""
    mentara_seed.seed(mode="light", now=NOW, registry=numbered_registry())
    prices = list(OrderItem.objects.order_by("pk").values_list("unit_price", flat=True))
    assert len(prices) > 2
    assert prices == [Decimal(n) for n in range(len(prices))]
