"""Stable keys: an entity whose seeder keys it by its primary key (``key_field = "pk"``) gets its
target and its values from its parent's key and its ordinal among its siblings, or from its rank
in primary-key order, never from the primary key itself. Sequences and InnoDB counters are not
rolled back, so after a dry run or a rolled-back transaction the same entities get other primary
keys: the data must not change with them."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

import mentara_seed
from mentara_seed import Levels, LongTail, Requirement, Seeder, SeedRegistry, Uniform
from mentara_seed.auditing import AuditContext, Keying, audit_step, entity_keying
from mentara_seed.plan import build_steps
from tests.conftest import NOW, content_dump
from tests.declarative_app.models import Customer, Order, OrderItem, Product, Profile, Tag

SHOP = "shop"

pytestmark = pytest.mark.django_db


def item_price(rng: Any, ctx: Any, parent: Any) -> Decimal:
    return Decimal(rng.randint(199, 9999)) / 100


class Customers(Seeder):
    population = Levels(light=6, medium=12, heavy=20)
    key_field = "email"
    requirements = (
        Requirement("orders", minimum=1, count="orders", distribution=LongTail(alpha=1.0, cap=4)),
        Requirement("profile", minimum=1, count="profile"),
    )


class Products(Seeder):
    population = Levels(light=8, medium=12, heavy=20)
    key_field = "sku"


class Orders(Seeder):
    """Keyed by primary key: its customer's email and its ordinal among the customer's orders."""

    requirements = (
        Requirement(
            "items",
            minimum=1,
            count="items",
            distribution=Uniform(high=5),
            values={"unit_price": item_price},
        ),
    )


class OrdersInCode(Orders):
    """The same requirement filled by hand-written code, keyed by ``gap.key`` as seeders are."""

    def fill_items(self, ctx: Any, gaps: Sequence[Any]) -> None:
        for gap in gaps:
            rng = ctx.rng(gap.key, "items", gap.current)
            for _ in range(gap.missing):
                ctx.add(OrderItem, order_id=gap.pk, quantity=rng.randint(1, 10))


class Tags(Seeder):
    """Keyed by primary key with no parent: its rank in primary-key order."""

    population = Levels(light=5, medium=8, heavy=10)
    requirements = (
        Requirement("products", minimum=1, count="products", distribution=Uniform(high=4)),
    )


class Profiles(Seeder):
    """Keyed by primary key through a one-to-one: its customer's email and ordinal 0."""

    requirements = (
        Requirement("follows", minimum=1, count="follows", distribution=LongTail(alpha=1.0, cap=4)),
    )


def pk_keyed_registry(orders: type[Seeder]) -> SeedRegistry:
    registry = SeedRegistry()
    for model, seeder in (
        (Customer, Customers),
        (Product, Products),
        (Order, orders),
        (Tag, Tags),
        (Profile, Profiles),
    ):
        registry.register(model, seeder)
    return registry


class Rollback(Exception):
    pass


def burn_keys(registry: SeedRegistry) -> None:
    """Consume primary keys without keeping rows: a dry run (it inserts, then rolls back) and a
    rolled-back transaction of hand-made rows. SQLite's AUTOINCREMENT counter rolls back with
    them; there, deleting the rows (as the tests do before) is what moves the keys."""
    mentara_seed.seed(mode="light", now=NOW, seed=5, registry=registry, dry_run=True)
    with contextlib.suppress(Rollback), transaction.atomic():
        customer = Customer.objects.create(email="burn@example.org", tier="basic")
        order = Order.objects.create(customer=customer, number="BURN", status="placed")
        product = Product.objects.create(
            sku="BURN", price=1, stock=1, status="live", seller=customer
        )
        OrderItem.objects.create(order=order, product=product, quantity=1, unit_price=1)
        Tag.objects.create(name="burn")
        Profile.objects.create(customer=customer)
        raise Rollback


def wipe() -> None:
    for model in (Customer, Product, Tag):
        model.objects.all().delete()


@pytest.mark.parametrize("orders", [Orders, OrdersInCode], ids=["automatic", "code"])
def test_pk_keyed_entities_get_the_same_data_whatever_keys_were_burnt(orders: type[Seeder]):
    registry = pk_keyed_registry(orders)

    def seed() -> mentara_seed.SeedReport:
        return mentara_seed.seed(mode="light", now=NOW, seed=5, registry=registry)

    assert seed().satisfied
    reference = content_dump(SHOP)
    first = {m: set(m.objects.values_list("pk", flat=True)) for m in (Order, Tag, Profile)}
    # The distributions give entities different numbers: a target drawn from another key
    # would show.
    assert len(set(Order.objects.values_list("items__order", flat=True))) == Order.objects.count()
    assert len({o.items.count() for o in Order.objects.all()}) > 1
    assert len({t.products.count() for t in Tag.objects.all()}) > 1

    wipe()
    burn_keys(registry)
    assert seed().satisfied

    for model, pks in first.items():
        assert pks.isdisjoint(model.objects.values_list("pk", flat=True)), model
    assert content_dump(SHOP) == reference

    # Children deleted by hand come back in the same number for their entity, keys burnt
    # in between.
    order = Order.objects.order_by("pk")[3]
    tag = Tag.objects.order_by("pk")[1]
    own = (order.items.count(), tag.products.count())
    order.items.all().delete()
    tag.products.clear()
    burn_keys(registry)
    assert seed().satisfied
    assert (order.items.count(), tag.products.count()) == own
    assert {m: m.objects.count() for m in (OrderItem, Order, Tag)} == {
        m: len(reference[m._meta.label]) for m in (OrderItem, Order, Tag)
    }


def test_how_entities_without_a_natural_key_are_keyed():
    registry = pk_keyed_registry(Orders)
    keyings = {seeder.label: entity_keying(seeder, registry) for seeder in registry}
    assert keyings == {
        "shop.Customer": Keying("natural"),
        "shop.Product": Keying("natural"),
        "shop.Order": Keying("parent", "customer_id", "customer__email"),
        "shop.Tag": Keying("rank"),
        "shop.Profile": Keying("parent", "customer_id", "customer__email"),
    }
    mentara_seed.seed(mode="light", now=NOW, seed=5, registry=registry)
    OrderItem.objects.all().delete()
    Profile.follows.through.objects.all().delete()
    steps = {step.id: step for step in build_steps(registry, mode="light")}
    ctx = AuditContext(using="default", mode="light", now=NOW, seed=5)

    gaps = audit_step(steps["shop.Order.items"], ctx)
    expected = []
    for email in sorted(Customer.objects.values_list("email", flat=True)):
        orders = Order.objects.filter(customer__email=email).order_by("pk")
        expected += [(o.pk, f"{email}#{n}") for n, o in enumerate(orders)]
    assert [(gap.pk, gap.key) for gap in gaps] == expected
    profiles = audit_step(steps["shop.Profile.follows"], ctx)
    assert {gap.key for gap in profiles} == {
        f"{email}#0" for email in Customer.objects.values_list("email", flat=True)
    }
    tags = list(Tag.objects.order_by("pk")[1:3])
    Tag.products.through.objects.filter(tag__in=tags).delete()
    tags = audit_step(steps["shop.Tag.products"], ctx)
    assert [gap.key for gap in tags] == ["#1", "#2"]


def test_the_audit_of_pk_keyed_entities_costs_one_query_per_requirement_whatever_the_rows():
    registry = pk_keyed_registry(Orders)
    steps = [
        step
        for step in build_steps(registry, mode="light")
        if step.keying is not None and step.keying.kind != "natural"
    ]
    ctx = AuditContext(using="default", mode="light", now=NOW, seed=5)
    counts = []
    for mode in ("light", "medium"):
        mentara_seed.seed(mode=mode, now=NOW, seed=5, registry=registry)
        OrderItem.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            gaps = [gap for step in steps for gap in audit_step(step, ctx)]
        counts.append(len(queries))
        assert len(gaps) >= Order.objects.count()
    assert counts == [len(steps), len(steps)]


def test_a_condition_never_renumbers_the_entities_it_leaves_out():
    registry = pk_keyed_registry(Orders)
    mentara_seed.seed(mode="light", now=NOW, seed=5, registry=registry)
    OrderItem.objects.all().delete()
    step = next(s for s in build_steps(registry, mode="light") if s.id == "shop.Order.items")
    first_orders = [
        Order.objects.filter(customer=c).order_by("pk").first().pk for c in Customer.objects.all()
    ]
    conditional = Requirement("items", minimum=1, count="items", when=~Q(pk__in=first_orders))
    ctx = AuditContext(using="default", mode="light", now=NOW, seed=5)

    gaps = audit_step(dataclasses.replace(step, requirement=conditional), ctx)

    keys = {gap.pk: gap.key for gap in audit_step(step, ctx)}
    assert gaps and all(gap.pk not in first_orders for gap in gaps)
    assert [gap.key for gap in gaps] == [keys[gap.pk] for gap in gaps]
    assert all(not gap.key.endswith("#0") for gap in gaps)
