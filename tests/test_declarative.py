"""Declarative fills: the shop app (tests/declarative_app) is seeded from its requirements alone,
with no fill method and no create(), through every relation kind an automatic fill handles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.db.models import OuterRef, Q

import mentara_seed
from mentara_seed import ConfigurationError, Requirement, Seeder, SeedRegistry, declarative
from mentara_seed.columns import tuple_dicts
from mentara_seed.fill import FillContext
from mentara_seed.plan import build_steps
from mentara_seed.values import RowMaker, evaluate, q_paths
from tests.conftest import NOW, content_dump, table_dump
from tests.databases import fresh_databases
from tests.declarative_app import seeding
from tests.declarative_app.models import (
    Customer,
    Favorite,
    Order,
    OrderItem,
    Product,
    Profile,
    Review,
    Tag,
)
from tests.testapp.library_seeding import library_registry
from tests.testapp.models import Book

ROOT = Path(__file__).resolve().parent.parent
SHOP = "shop"
NOW_ISO = "2026-01-15T12:00:00Z"

pytestmark = pytest.mark.django_db


def seed(mode: str = "light", **options: Any) -> mentara_seed.SeedReport:
    return mentara_seed.seed(mode=mode, now=NOW, seed=3, registry=seeding.registry, **options)


def shop_models() -> list[type[models.Model]]:
    return [m for m in apps.get_app_config(SHOP).get_models() if not m._meta.proxy]


def minimums(mode: str) -> dict[str, int]:
    steps = build_steps(seeding.registry, mode=mode)
    return {step.id: step.target.minimum for step in steps}


def assert_every_entity_meets_its_minimum(mode: str) -> None:
    """Counted here, independently of the engine's audit."""
    need = minimums(mode)
    assert Customer.objects.count() >= need["shop.Customer.population"]
    assert Product.objects.count() >= need["shop.Product.population"]
    assert Tag.objects.count() >= need["shop.Tag.population"]
    for customer in Customer.objects.all():
        assert customer.orders.count() >= need["shop.Customer.orders"]
        assert Profile.objects.filter(customer=customer).count() == 1
        assert customer.favorites.count() >= need["shop.Customer.favorites"]
    for product in Product.objects.all():
        assert product.tags.count() >= need["shop.Product.tags"]
        assert product.reviews.count() >= need["shop.Product.reviews"]
    for tag in Tag.objects.all():
        assert tag.products.count() >= need["shop.Tag.products"]
    for order in Order.objects.all():
        assert order.items.count() >= need["shop.Order.items"]
    for profile in Profile.objects.all():
        assert profile.follows.count() >= need["shop.Profile.follows"]


@pytest.mark.parametrize("mode", ["light", "medium"])
def test_the_shop_is_seeded_from_its_requirements_alone(mode):
    for seeder in seeding.registry:
        assert not [name for name in vars(type(seeder)) if name.startswith("fill")]
        assert "create" not in vars(type(seeder))

    report = seed(mode)

    assert report.satisfied, report.as_dict()["remaining_gaps"]
    assert report.remaining == []
    assert_every_entity_meets_its_minimum(mode)
    # Every relation kind wrote rows: children, a reverse one-to-one, and every kind of link.
    for label in (
        "shop.Order",
        "shop.OrderItem",
        "shop.Review",
        "shop.Profile",
        "shop.Favorite",
        "shop.Product_tags",
        "shop.Profile_follows",
    ):
        assert report.added.get(label, 0) > 0, label


def test_every_row_passes_full_clean():
    seed("medium")

    checked = 0
    for model in shop_models():
        for row in model.objects.all():
            row.full_clean()
            checked += 1
    assert checked > 200


def test_the_checks_above_can_fail():
    """full_clean and the minimum counter reject what a broken fill would write."""
    seed()
    item = OrderItem.objects.first()
    item.quantity = 11  # above MaxValueValidator(10)
    with pytest.raises(Exception, match="quantity"):
        item.full_clean()
    OrderItem.objects.filter(order=Order.objects.first()).delete()
    with pytest.raises(AssertionError):
        assert_every_entity_meets_its_minimum("light")


def test_a_second_run_adds_nothing_and_changes_nothing():
    assert seed().satisfied
    before = table_dump(SHOP)

    again = seed()

    assert (again.satisfied, again.gaps, again.added) == (True, [], {})
    assert table_dump(SHOP) == before


def test_links_are_distinct_never_to_itself_and_respect_candidate_filters():
    seed("medium")

    follows = list(Profile.follows.through.objects.values_list("from_profile", "to_profile"))
    assert follows and len(follows) == len(set(follows))
    assert all(a != b for a, b in follows)
    tags = list(Product.tags.through.objects.values_list("product", "tag"))
    assert len(tags) == len(set(tags))
    # Customers never favour their own products; reviews are never by the seller.
    for favorite in Favorite.objects.select_related("product"):
        assert favorite.product.seller_id != favorite.customer_id
    for review in Review.objects.select_related("product"):
        assert review.product.seller_id != review.author_id
    # A required foreign key besides the parent respects unique_together.
    pairs = list(OrderItem.objects.values_list("order", "product"))
    assert len(pairs) == len(set(pairs))


def test_values_are_realistic_and_follow_the_field_specs():
    seed("medium")

    for customer in Customer.objects.all():
        local = customer.email.split("@")[0]
        assert customer.first_name.lower() in local, customer.email
        assert customer.tier in ("basic", "gold")
    tiers = Counter(Customer.objects.values_list("tier", flat=True))
    assert tiers["basic"] > tiers["gold"]  # Weighted({"basic": 4, "gold": 1})
    titles = list(Review.objects.values_list("title", flat=True))
    assert len(set(titles)) > len(titles) * 0.8  # no same line twice, or nearly
    notes = set(Favorite.objects.values_list("note", flat=True))
    assert len(notes) > 1
    for item in OrderItem.objects.all():
        assert 1 <= item.quantity <= 10
        assert item.unit_price >= 1


def test_times_follow_the_run_clock_and_come_after_the_parent():
    seed("medium")

    for customer in Customer.objects.all():
        assert NOW - timedelta(days=366) <= customer.joined_at <= NOW
        for order in customer.orders.all():
            assert customer.joined_at <= order.placed_at <= NOW
    for product in Product.objects.select_related("seller"):
        assert product.created_at <= product.updated_at <= NOW  # auto_now after auto_now_add
        # After the rows it points at: the seller joined before listing the product.
        assert product.seller.joined_at <= product.created_at
        for review in product.reviews.select_related("author"):
            assert max(product.created_at, review.author.joined_at) <= review.created_at <= NOW
    for favorite in Favorite.objects.select_related("customer", "product"):
        latest = max(favorite.customer.joined_at, favorite.product.created_at)
        assert latest <= favorite.added_at <= NOW


def test_another_now_moves_the_auto_now_fields():
    seed()
    early = sorted(Customer.objects.values_list("email", "joined_at"))
    for model in shop_models():
        model.objects.all().delete()

    mentara_seed.seed(mode="light", now=NOW + timedelta(days=30), seed=3, registry=seeding.registry)

    late = sorted(Customer.objects.values_list("email", "joined_at"))
    assert [e for e, _ in early] == [e for e, _ in late]
    assert all(b - a == timedelta(days=30) for (_, a), (_, b) in zip(early, late, strict=True))


def test_rows_come_back_to_each_entitys_target_after_hand_deletions():
    seed("medium")
    complete = {m._meta.label: m.objects.count() for m in shop_models()}
    order = Order.objects.order_by("pk").first()
    own_items = order.items.count()
    order.items.all().delete()
    Profile.follows.through.objects.filter(
        from_profile=Profile.objects.order_by("pk").last()
    ).delete()
    Favorite.objects.filter(customer=Customer.objects.order_by("pk")[1]).delete()
    Product.tags.through.objects.filter(product=Product.objects.order_by("pk")[2]).delete()
    Profile.objects.filter(pk=Profile.objects.order_by("pk")[3].pk).delete()

    report = seed("medium")

    assert report.satisfied
    assert_every_entity_meets_its_minimum("medium")
    assert order.items.count() == own_items  # the order's own target, not the minimum
    # A deleted profile takes its follow links with it, and they come back with it.
    assert {m._meta.label: m.objects.count() for m in shop_models()} == complete


def test_hand_made_rows_holding_generated_values_never_cause_an_integrity_error():
    seed()
    generated_emails = list(Customer.objects.order_by("pk").values_list("email", flat=True))
    generated_tags = list(Tag.objects.order_by("pk").values_list("name", flat=True))
    generated_skus = list(Product.objects.order_by("pk").values_list("sku", flat=True))
    for model in shop_models():
        model.objects.all().delete()
    # Hand-made rows hold the values the generator gives the next ordinals.
    hand = [
        Customer.objects.create(
            email=generated_emails[n], first_name="Hand", last_name="Made", tier="gold"
        )
        for n in (2, 3)
    ]
    Tag.objects.create(name=generated_tags[1])
    Product.objects.create(
        sku=generated_skus[1],
        name="Hand made",
        description="x",
        price=5,
        stock=1,
        status="live",
        seller=hand[0],
    )
    before = table_dump(SHOP)

    report = seed()

    assert report.satisfied
    emails = list(Customer.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails))
    for label, rows in before.items():
        after = table_dump(SHOP)[label]
        assert all(row in after for row in rows), label


@pytest.mark.parametrize("batch_size", [1, 3])
def test_the_batch_size_changes_nothing_for_fields_a_seeder_leaves_unset(settings, batch_size):
    """The library's books get isbn and pages, which their seeder never sets, keyed per row.
    (The shop, where every value is generated, is compared across batch sizes in fresh
    databases below.)"""
    mentara_seed.seed(mode="medium", now=NOW, registry=library_registry())
    reference = content_dump("testapp")
    for model in apps.get_app_config("testapp").get_models():
        model.objects.all().delete()

    settings.MENTARA_SEED = {**settings.MENTARA_SEED, "BATCH_SIZE": batch_size}
    mentara_seed.seed(mode="medium", now=NOW, registry=library_registry())

    assert content_dump("testapp") == reference
    assert Book.objects.count() > 2 * batch_size


def test_distributions_give_each_entity_its_own_number():
    seed("medium")

    items = Counter(OrderItem.objects.values_list("order", flat=True))
    assert set(items.values()) <= {1, 2, 3, 4} and len(set(items.values())) > 1
    follows = Counter(
        Profile.follows.through.objects.values_list("from_profile", flat=True)
    ).values()
    assert min(follows) >= 2 and max(follows) > 2


def test_steps_are_ordered_by_their_relations():
    """The shop registers Order and Profile before Customer, whose steps create them, and
    Product (whose sellers are customers) before Customer."""
    order = [step.id for step in build_steps(seeding.registry, mode="light")]

    def before(first: str, then: str) -> bool:
        return order.index(first) < order.index(then)

    assert before("shop.Customer.population", "shop.Product.population")
    assert before("shop.Customer.orders", "shop.Order.items")
    assert before("shop.Customer.profile", "shop.Profile.follows")
    assert next(iter(seeding.registry)).label == "shop.Order"


# Two fresh databases, each built by its own process ----------------------------------------------


def build(url: str, seed_value: int, batch_size: int | None = None) -> dict[str, Any]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "MENTARA_SEED_ON_MIGRATE": "0",
    }
    options = ["light", str(seed_value), NOW_ISO]
    if batch_size is not None:
        options.append(str(batch_size))
    result = subprocess.run(
        [sys.executable, "-m", "tests.declarative_app.build", *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.django_db(transaction=True)
def test_fresh_databases_are_identical_whatever_the_batch_size_and_another_seed_differs():
    runs = {"a": (3, None), "b": (3, None), "batch_1": (3, 1), "batch_2": (3, 2), "c": (4, None)}
    with fresh_databases(list(runs)) as made, ThreadPoolExecutor(max_workers=3) as pool:
        urls = dict(zip(runs, made, strict=True))
        futures = {name: pool.submit(build, urls[name], *options) for name, options in runs.items()}
        built = {name: future.result() for name, future in futures.items()}

    assert all(outcome["report"]["satisfied"] for outcome in built.values())
    a = built["a"]
    assert len(a["dump"]) > 30  # many-to-many links travel inside their rows
    assert a == built["b"]  # every row, every field, primary keys included
    assert a == built["batch_1"] == built["batch_2"]
    assert a["dump"] != built["c"]["dump"]


class RecentPlacedOrders(Seeder):
    population = 3
    key_field = "email"
    requirements = (
        Requirement(
            "placed",
            minimum=2,
            count="orders",
            filter=Q(orders__status="placed"),
            recent="orders__placed_at",
            window_days=10,
        ),
    )


def test_a_count_filter_and_a_time_window_shape_the_children():
    registry = SeedRegistry()
    registry.register(Customer, RecentPlacedOrders)

    report = mentara_seed.seed(mode="light", now=NOW, registry=registry)

    assert report.satisfied
    assert Order.objects.count() == 6
    for order in Order.objects.all():
        assert order.status == "placed"
        assert NOW - timedelta(days=10) <= order.placed_at <= NOW
        order.full_clean()


def test_a_one_to_one_picks_every_candidate_once_and_says_when_none_is_left():
    class Customers(Seeder):
        population = 5

    class Profiles(Seeder):
        population = 5

    registry = SeedRegistry()
    registry.register(Customer, Customers)
    registry.register(Profile, Profiles)

    assert mentara_seed.seed(mode="light", now=NOW, registry=registry).satisfied
    assert sorted(Profile.objects.values_list("customer", flat=True)) == sorted(
        Customer.objects.values_list("pk", flat=True)
    )

    class MoreProfiles(Seeder):
        population = 6

    registry.unregister(Profile)
    registry.register(Profile, MoreProfiles)
    with pytest.raises(ConfigurationError, match=r"shop\.Profile\.customer: every shop\.Customer"):
        mentara_seed.seed(mode="light", now=NOW, registry=registry)
    assert Profile.objects.count() == 5


def test_candidate_filters_evaluate_lookups_and_the_entitys_own_values():
    q = (Q(price__gte=10) & ~Q(seller=OuterRef("pk"))) | Q(status__in=["draft"])
    assert evaluate(q, {"price": 12, "seller": 2, "status": "live"}, {"pk": 1})
    assert not evaluate(q, {"price": 12, "seller": 1, "status": "live"}, {"pk": 1})
    assert not evaluate(q, {"price": 9, "seller": 2, "status": "live"}, {"pk": 1})
    assert evaluate(q, {"price": 1, "seller": 1, "status": "draft"}, {"pk": 1})
    assert q_paths(q) == ({"price", "seller", "status"}, {"pk"})


class ItemsGivenTheirOrderAsAnInstance(Seeder):
    """A fill written in code that sets only the parent, as an instance: the engine picks each
    item's product, distinct within the order (unique_together)."""

    requirements = (Requirement("items", minimum=4, count="items"),)

    def fill_items(self, ctx: Any, gaps: Any) -> None:
        for gap in gaps:
            for _ in range(gap.missing):
                ctx.add(OrderItem, order=Order(pk=gap.pk), quantity=1, unit_price=1)


def test_rows_added_in_code_get_their_missing_foreign_keys_respecting_unique_together():
    seed()  # five products, and orders with one to three items each
    registry = SeedRegistry()
    registry.register(Order, ItemsGivenTheirOrderAsAnInstance)

    report = mentara_seed.seed(mode="light", now=NOW, registry=registry)

    assert report.satisfied
    pairs = list(OrderItem.objects.values_list("order", "product"))
    assert len(pairs) == len(set(pairs))
    assert all(order.items.count() >= 4 for order in Order.objects.all())


def test_a_dry_run_predicts_the_automatic_fills_and_writes_nothing():
    predicted = seed(dry_run=True)
    assert all(model.objects.count() == 0 for model in shop_models())

    real = seed()

    assert predicted.added == real.added
    assert predicted.satisfied and real.satisfied


def test_the_fills_queue_tuples_that_write_what_dicts_wrote(monkeypatch, settings):
    """The automatic fills queue their rows as tuples (``add_tuples``' path, engine-drawn times
    as epoch seconds), never a dict; queued instead as the dicts they stand for (the path they
    replaced), or one at a time (the path of rows that point at their own model), every row
    comes out the same."""
    # Batches of 7: rows held back by a fill cross batch boundaries.
    settings.MENTARA_SEED = {**settings.MENTARA_SEED, "BATCH_SIZE": 7}
    queued: Counter[str] = Counter()
    queue_tuples = FillContext._queue_tuples

    def counted(self: FillContext, model: Any, names: Any, epoch: Any, rows: Any) -> None:
        queued[model._meta.label] += len(rows)
        queue_tuples(self, model, names, epoch, rows)

    def refused(self: FillContext, model: Any, row: Any) -> None:
        raise AssertionError(f"a dict queued for {model._meta.label}")

    def wipe() -> None:
        Tag.objects.all().delete()
        Customer.objects.all().delete()  # and, by cascade, every other shop row
        assert not any(model.objects.exists() for model in shop_models())

    with monkeypatch.context() as patch:
        patch.setattr(FillContext, "_queue_tuples", counted)
        patch.setattr(FillContext, "_add_row", refused)
        report = seed()
    assert report.satisfied
    assert sum(queued.values()) == sum(report.added.values()) > 60
    assert queued["shop.Review"] == report.added["shop.Review"] > 0
    as_tuples = content_dump(SHOP, include_auto_created=True)

    def as_dicts(self: declarative._TupleSink) -> list[tuple]:
        names, epoch = self.appender.names, self.appender.epoch
        for row in tuple_dicts(names, epoch, self.rows):
            self.ctx._add_row(self.model, row)
        self.rows = []
        return self.rows

    wipe()
    with monkeypatch.context() as patch:
        patch.setattr(declarative._TupleSink, "queue", as_dicts)
        assert seed().satisfied
    assert content_dump(SHOP, include_auto_created=True) == as_tuples

    wipe()
    with monkeypatch.context() as patch:
        patch.setattr(RowMaker, "reads_own_rows", property(lambda self: True))
        assert seed().satisfied
    assert content_dump(SHOP, include_auto_created=True) == as_tuples


def test_entities_times_are_read_only_for_rows_that_draw_a_time(monkeypatch):
    """An entity's own time bounds its children's times: rows without a time of their own (an
    order's items, a profile, plain links) need no read of it."""
    read: list[str] = []
    parent_times = declarative._parent_times

    def recorded(ctx: Any, seeder: Any, gaps: Any) -> Any:
        read.append(gaps[0].step.id)
        return parent_times(ctx, seeder, gaps)

    monkeypatch.setattr(declarative, "_parent_times", recorded)
    assert seed().satisfied
    assert sorted(read) == [
        "shop.Customer.favorites",
        "shop.Customer.orders",
        "shop.Product.reviews",
    ]
