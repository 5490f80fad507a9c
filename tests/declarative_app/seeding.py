"""The shop's seeders: requirements and field specs only, no fill method and no create().

They register on a registry of their own (not the global site), so the demo's runs stay
Mentara's alone; tests and the benchmark pass ``registry`` to ``mentara_seed.seed``.
"""

from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import OuterRef, Q

from mentara_seed import (
    Fake,
    Levels,
    LongTail,
    Requirement,
    Seeder,
    SeedRegistry,
    Uniform,
    Weighted,
    register,
)

from .models import Customer, Order, Product, Profile, Tag

registry = SeedRegistry()


def item_price(rng: Any, ctx: Any, parent: Any) -> Decimal:
    return Decimal(rng.randint(199, 9999)) / 100


# Registered before the seeders whose steps create their entities (and products before the
# customers who sell them): the order of the steps follows from the relations, not from the
# order of registration.
@register(Order, site=registry)
class OrderSeeder(Seeder):
    key_field = "number"
    requirements = (
        # 1-3 items per order in light mode (1-5 in heavy), each order its own number.
        Requirement(
            "items",
            minimum=1,
            count="items",
            distribution=Uniform(high=Levels(3, 4, 5)),
            values={"unit_price": item_price},
        ),
    )


@register(Profile, site=registry)
class ProfileSeeder(Seeder):
    key_field = "customer__email"
    # Follows follow a power law: most profiles follow a few, some follow many.
    requirements = (
        Requirement(
            "follows",
            minimum=Levels(1, 2, 5),
            count="follows",
            distribution=LongTail(alpha=1.2, cap=Levels(5, 15, 60)),
        ),
    )


@register(Tag, site=registry)
class TagSeeder(Seeder):
    population = Levels(light=4, medium=8, heavy=60)
    key_field = "name"
    requirements = (Requirement("products", minimum=1, count="products"),)


@register(Product, site=registry)
class ProductSeeder(Seeder):
    population = Levels(light=5, medium=15, heavy=1000)
    key_field = "sku"
    label_field = "name"
    values: ClassVar[dict[str, Any]] = {
        "name": Fake("catch_phrase"),
        "status": Weighted({"live": 9, "draft": 1}),
    }
    requirements = (
        Requirement("tags", minimum=Levels(1, 2, 3), count="tags"),
        Requirement(
            "reviews",
            minimum=Levels(1, 2, 5),
            count="reviews",
            # Reviews are by customers other than the seller.
            candidates={"author": ~Q(pk=OuterRef("seller"))},
        ),
    )


@register(Customer, site=registry)
class CustomerSeeder(Seeder):
    population = Levels(light=6, medium=20, heavy=2000)
    key_field = "email"
    values: ClassVar[dict[str, Any]] = {"tier": Weighted({"basic": 4, "gold": 1})}
    requirements = (
        Requirement("orders", minimum=Levels(1, 2, 4), count="orders"),
        Requirement("profile", minimum=1, count="profile"),
        Requirement(
            "favorites",
            minimum=Levels(1, 2, 3),
            count="favorites",
            # Never one's own products.
            candidates=~Q(seller=OuterRef("pk")),
            values={"note": Fake("catch_phrase")},
        ),
    )
