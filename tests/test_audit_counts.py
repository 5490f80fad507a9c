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
    audit_step,
    child_count,
)
from mentara_seed.plan import build_steps
from mentara_seed.registry import SeedRegistry, site
from project.mentara.models import Community, Role, User
from tests.conftest import NOW
from tests.declarative_app import seeding as shop
from tests.declarative_app.models import Customer

pytestmark = pytest.mark.django_db

CTX = AuditContext(using="default", mode="heavy", now=NOW, seed=0)


def by_join(step: Step) -> list[tuple[Any, ...]]:
    """The rows of the aggregate over the join, as the audit read them before."""
    target = step.target
    bounds = []
    if target.highest > 0:
        bounds.append(Q(_seed_current__lt=target.highest))
    if target.maximum is not None:
        bounds.append(Q(_seed_current__gt=target.maximum))
    bound = bounds[0]
    for extra in bounds[1:]:
        bound |= extra
    assert step.requirement is not None
    rows = _below_bounds(step.seeder, step.requirement, target, bound, CTX)
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
