"""The audit counts a requirement over one reverse foreign key by grouping the child table's rows
by that key before they meet the entities (``auditing.child_count``): the same rows, in the same
order, as the aggregate over the join it replaces, which stays for every other shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

import mentara_seed
from mentara_seed import Requirement
from mentara_seed.auditing import (
    AuditContext,
    Step,
    _below_bounds,
    _counted_below_bounds,
    audit_bound,
    audit_step,
    child_count,
)
from mentara_seed.plan import build_steps
from mentara_seed.registry import SeedRegistry, site
from project.mentara.models import Community, Role, User
from tests.conftest import NOW
from tests.declarative_app import seeding as shop
from tests.declarative_app.models import Customer, Order, OrderItem, Product, Review, Tag

pytestmark = pytest.mark.django_db

CTX = AuditContext(using="default", mode="heavy", now=NOW, seed=0)


def by_join(step: Step) -> list[tuple[Any, ...]]:
    """The rows of the aggregate over the join, as the audit read them before."""
    bound = audit_bound(step.target)
    assert step.requirement is not None and bound is not None
    rows = _below_bounds(step.seeder, step.requirement, step.target, bound, CTX)
    return [(pk, key, label, int(current or 0)) for pk, key, label, current in rows]


def by_child_count(step: Step) -> list[tuple[Any, ...]] | None:
    assert step.requirement is not None
    counted = child_count(step.seeder, step.requirement, CTX, step.target.window_days)
    if counted is None:
        return None
    rows = _counted_below_bounds(step.seeder, step.requirement, step.target, CTX, counted)
    return [(pk, key, label, int(current)) for pk, key, label, current in rows]


def compare_every_step(registry: SeedRegistry) -> tuple[list[str], list[str]]:
    """Each natural-keyed requirement's rows both ways, at heavy targets over a light build
    (many entities below them): (the steps compared, the steps left to the join)."""
    compared, joined = [], []
    for step in build_steps(registry, mode="heavy", scale=2):
        if step.requirement is None or step.seeder.key_field == "pk":
            continue
        if not step.target.highest and step.target.maximum is None:
            continue
        counted = by_child_count(step)
        if counted is None:
            joined.append(step.id)
            continue
        expected = by_join(step)
        assert counted == expected, step.id
        if expected:
            compared.append(step.id)
    return compared, joined


def test_the_demos_requirements_counted_by_their_child_rows_match_the_join():
    mentara_seed.seed(mode="light", now=NOW)
    # Entities with no rows at all: the left join must keep them, with a count of 0.
    User.objects.create(username="zz-client", role=Role.CLIENT)
    User.objects.create(username="Aa-therapist", role=Role.THERAPIST)
    Community.objects.create(name="Quiet corner", slug="quiet-corner", created_at=NOW)
    compared, joined = compare_every_step(site)
    # Every count over one reverse key, filtered or distinct, is compared; only the demo's
    # custom expression keeps the join.
    assert len(compared) >= 15, compared
    assert joined == ["mentara.Community.activity"]


def test_the_shops_requirements_counted_by_their_child_rows_match_the_join():
    mentara_seed.seed(mode="light", now=NOW, registry=shop.registry)
    Customer.objects.create(
        email="zz@example.org", first_name="No", last_name="Orders", tier="basic"
    )
    compared, joined = compare_every_step(shop.registry)
    assert compared, "nothing compared"
    # Many-to-many counts (tags, follows, favourites) keep the join.
    assert joined and all(step_id.startswith("shop.") for step_id in joined)


def customer_step(requirement: Requirement) -> Step:
    [step] = [
        step
        for step in build_steps(single_requirement(requirement), mode="heavy")
        if step.requirement is not None
    ]
    return step


def single_requirement(requirement: Requirement) -> SeedRegistry:
    class Customers(shop.CustomerSeeder):
        requirements = (requirement,)

    registry = SeedRegistry()
    registry.register(Customer, Customers)
    return registry


@pytest.mark.parametrize(
    "requirement",
    [
        Requirement("all", minimum=3, count="orders"),
        Requirement("delivered", minimum=2, count="orders", filter=Q(orders__status="delivered")),
        Requirement(
            "recent", minimum=2, count="orders", recent="orders__placed_at", window_days=30
        ),
        Requirement(
            "either",
            minimum=2,
            count="orders",
            filter=Q(orders__status="delivered") | Q(orders__status="shipped"),
        ),
        Requirement("statuses", minimum=2, count="orders__status", distinct=True),
    ],
    ids=lambda requirement: requirement.name,
)
def test_a_count_over_one_reverse_key_is_counted_by_the_child_rows(requirement):
    mentara_seed.seed(mode="light", now=NOW, registry=shop.registry)
    Customer.objects.create(
        email="zz@example.org", first_name="No", last_name="Orders", tier="basic"
    )
    step = customer_step(requirement)
    counted = by_child_count(step)
    assert counted is not None
    assert counted == by_join(step)
    assert any(current == 0 for *_row, current in counted)  # the customer with no orders


@pytest.mark.parametrize(
    "requirement",
    [
        # Negated: Django's null handling of a negated lookup differs across a join.
        Requirement(
            "undelivered", minimum=1, count="orders", filter=~Q(orders__status="delivered")
        ),
        # A condition on the entity, not on the rows counted.
        Requirement("gold", minimum=1, count="orders", filter=Q(tier="gold")),
        # A value that is an expression may refer to the entity.
        Requirement(
            "late", minimum=1, count="orders", filter=Q(orders__placed_at__gt=F("joined_at"))
        ),
        # A path of two relations (each order's items), and a many-to-many.
        Requirement("items", minimum=1, count="orders__items"),
        Requirement("favorites", minimum=1, count="favorites"),
        # A lookup that is not a column of the child.
        Requirement("any", minimum=1, count="orders", filter=Q(orders__isnull=False)),
    ],
    ids=lambda requirement: requirement.name,
)
def test_other_shapes_keep_the_aggregate_over_the_join(requirement):
    step = customer_step(requirement)
    assert child_count(step.seeder, requirement, CTX, step.target.window_days) is None


def test_the_audit_of_a_child_count_is_one_query_grouping_the_child_rows():
    mentara_seed.seed(mode="light", now=NOW, registry=shop.registry)
    step = customer_step(Requirement("all", minimum=3, count="orders"))
    with CaptureQueriesContext(connection) as queries:
        gaps = audit_step(step, CTX)
    assert gaps
    [query] = queries.captured_queries
    orders = connection.ops.quote_name("shop_order")
    assert f"FROM {orders}" in query["sql"] and " GROUP BY " in query["sql"]


def new_customer(email: str) -> Customer:
    return Customer.objects.create(email=email, first_name="A", last_name="B", tier="basic")


def new_product(seller: Customer, sku: str) -> Product:
    return Product.objects.create(
        sku=sku, name="n", description="d", price=2, stock=1, status="live", seller=seller
    )


def test_distinct_count_with_a_filter_through_a_childs_many_to_many():
    """count="reviews", distinct=True, a filter through the review's product to its tags: the
    join counts each review once (COUNT(DISTINCT review.id)). A path through a many-to-many
    repeats the review, so the join keeps it."""
    customer = new_customer("a@example.org")
    product = new_product(customer, "S1")
    product.tags.add(Tag.objects.create(name="python"), Tag.objects.create(name="django"))
    Review.objects.create(product=product, author=customer, rating=5, title="t", body="b")
    step = customer_step(
        Requirement(
            "tagged_reviews",
            minimum=3,
            count="reviews",
            distinct=True,
            filter=Q(reviews__product__tags__name__in=["python", "django"]),
        )
    )
    expected = by_join(step)
    assert expected == [(customer.pk, "a@example.org", "a@example.org", 1)]
    assert by_child_count(step) is None
    [gap] = audit_step(step, CTX)
    assert (gap.current, gap.missing) == (1, 2)


def test_a_seeder_queryset_with_a_multi_valued_join_gives_one_row_per_entity():
    customer = new_customer("b@example.org")
    for sku in ("S1", "S2"):
        product = new_product(customer, sku)
        Review.objects.create(product=product, author=customer, rating=4, title="t", body="b")
    step = reviewers_step(Requirement("orders", minimum=2, count="orders"))
    expected = by_join(step)
    assert len(expected) == 1
    assert by_child_count(step) == expected
    assert len(audit_step(step, CTX)) == 1


@pytest.mark.parametrize(
    "requirement",
    [
        # A condition on the entities that matches none (a list computed from the run, empty).
        Requirement("none_when", minimum=2, count="orders", when=Q(tier__in=[])),
        # A filter on the child rows that matches none.
        Requirement("none_filter", minimum=2, count="orders", filter=Q(orders__status__in=[])),
    ],
    ids=lambda requirement: requirement.name,
)
def test_an_empty_in_list_gives_the_joins_rows_not_an_error(requirement):
    new_customer("c@example.org")
    step = customer_step(requirement)
    expected = by_join(step)
    assert by_child_count(step) == expected


def test_an_empty_in_list_on_the_child_rows_still_reports_every_entity_at_zero():
    """filter=Q(orders__status__in=[]): no order qualifies, so a customer with orders counts 0,
    below the minimum of 2, in both forms (Django answers a join whose aggregate filter is
    empty with no rows at all on PostgreSQL and SQLite, which would miss the gap)."""
    customer = new_customer("c@example.org")
    Order.objects.create(number="N1", customer=customer, status="placed")
    step = customer_step(
        Requirement("none_filter", minimum=2, count="orders", filter=Q(orders__status__in=[]))
    )
    assert by_child_count(step) == [(customer.pk, "c@example.org", "c@example.org", 0)]
    assert by_join(step) == by_child_count(step)
    [gap] = audit_step(step, CTX)
    assert (gap.current, gap.missing) == (0, 2)


def test_an_empty_in_list_anded_with_another_condition_still_reports_the_gap():
    """The same with the empty list ANDed with another condition on the order."""
    customer = new_customer("d@example.org")
    step = customer_step(
        Requirement(
            "none_filter",
            minimum=2,
            count="orders",
            filter=Q(orders__status__in=[]) & Q(orders__status="placed"),
        )
    )
    [gap] = audit_step(step, CTX)
    assert (gap.current, gap.missing) == (0, 2)
    assert customer.pk == gap.pk


class ReviewersOnly(shop.CustomerSeeder):
    """Customers who reviewed a live product (a reverse foreign key in get_queryset)."""

    def get_queryset(self, using):
        return super().get_queryset(using).filter(reviews__product__status="live")


def reviewers_step(requirement: Requirement):
    class Seeder(ReviewersOnly):
        requirements = (requirement,)

    registry = SeedRegistry()
    registry.register(shop.Customer, Seeder)
    [step] = [s for s in build_steps(registry, mode="heavy") if s.requirement is not None]
    return step


def reviewer_with_one_order():
    customer = new_customer("b@example.org")
    for sku in ("S1", "S2"):
        product = new_product(customer, sku)
        Review.objects.create(product=product, author=customer, rating=4, title="t", body="b")
    order = Order.objects.create(number="N1", customer=customer, status="placed")
    OrderItem.objects.create(order=order, product=product, quantity=1, unit_price=2)
    return customer


def test_a_seeder_queryset_with_a_multi_valued_join_counts_each_child_once_in_the_join():
    """One order, two live reviews: each form counts the order once (the seeder's queryset
    joined the reviews, which repeated the customer per review)."""
    customer = reviewer_with_one_order()
    step = reviewers_step(Requirement("orders", minimum=2, count="orders"))
    assert by_child_count(step) == [(customer.pk, "b@example.org", "b@example.org", 1)]
    assert by_join(step) == by_child_count(step)


def test_a_seeder_queryset_with_a_multi_valued_join_misses_the_gap_of_a_join_count():
    """A count that keeps the join (a filter through the order's items): the customer has
    one qualifying order, below the minimum of 2: a gap of one."""
    reviewer_with_one_order()
    step = reviewers_step(
        Requirement(
            "orders_with_items", minimum=2, count="orders", filter=Q(orders__items__quantity__gte=1)
        )
    )
    [gap] = audit_step(step, CTX)
    assert (gap.current, gap.missing) == (1, 1)
