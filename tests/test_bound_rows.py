"""The declarative fills' faster paths give what the plain ones gave: a row maker bound once per
fill (``RowMaker.bind``), pick filters compiled once (``compile_q``), times drawn in epoch
seconds (``_moment_drawer``), first text draws without a retry check, keys read by one array
parameter (``_rows_by``) and SQLite's datetimes given their zone directly. Each is compared with
the code it replaces, kept here as the reference, over many inputs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection, models
from django.db.models import OuterRef, Q
from django.test.utils import isolate_apps

from mentara_seed import declarative
from mentara_seed.fill import FillContext, _fast_time_reads
from mentara_seed.rand import Rand
from mentara_seed.values import HISTORY, RowMaker, _moment_drawer, compile_q, evaluate
from tests.declarative_app.models import Customer, Order, Product, Review
from tests.testapp.models import Author, Book

from .conftest import NOW

# compile_q ------------------------------------------------------------------------------------


def random_q(rng: random.Random, depth: int = 0) -> Q:
    """A Q of LOOKUPS over fields a, b, c, constants or the entity's x and y, nested, negated,
    AND or OR."""
    children: list[Any] = []
    for _ in range(rng.randint(1, 3)):
        if depth < 2 and rng.random() < 0.3:
            children.append(random_q(rng, depth + 1))
            continue
        field = rng.choice("abc")
        lookup = rng.choice(["", "__exact", "__gt", "__gte", "__lt", "__lte", "__in", "__isnull"])
        if lookup == "__in":
            expected: Any = rng.sample(range(5), 2)
        elif lookup == "__isnull":
            expected = rng.random() < 0.5
        elif rng.random() < 0.4:
            expected = OuterRef(rng.choice("xy"))
        else:
            expected = rng.randint(0, 4)
        children.append((f"{field}{lookup}", expected))
    q = Q(*children, _connector=rng.choice([Q.AND, Q.OR]))
    return ~q if rng.random() < 0.3 else q


def test_a_compiled_filter_answers_as_evaluate_does() -> None:
    rng = random.Random(15)
    checked = 0
    for _ in range(400):
        q = random_q(rng)
        test = compile_q(q)
        for _ in range(20):
            values = {name: rng.choice([None, 0, 1, 2, 3, 4]) for name in "abc"}
            outer = {name: rng.randint(0, 4) for name in "xy"}
            try:
                expected = evaluate(q, values, outer)
            except TypeError:  # a lookup evaluate cannot apply to None: the same error
                with pytest.raises(TypeError):
                    test(values, outer)
                continue
            assert bool(test(values, outer)) is bool(expected), (q, values, outer)
            checked += 1
    assert checked > 5000


def test_a_compiled_filter_reads_an_entity_instance_as_its_key() -> None:
    class Instance(Customer):
        class Meta:
            proxy = True
            app_label = "shop"

    entity = Instance(pk=7)
    test = compile_q(~Q(pk=OuterRef("seller")))
    assert test({"pk": 7}, {"seller": entity}) is False
    assert test({"pk": 8}, {"seller": entity}) is True
    assert compile_q(Q(pk=entity))({"pk": 7}, {}) is True


# Times ----------------------------------------------------------------------------------------


def old_moment(now: datetime, rng: Rand, after: datetime | None) -> datetime:
    """What RowMaker._moment drew before (the reference)."""
    start = now - HISTORY
    if after is not None and after > start:
        start = min(after, now)
    return rng.moment_between(start, now)


@pytest.mark.parametrize(
    "now",
    [
        NOW,
        NOW.replace(microsecond=250_000),
        NOW.astimezone(timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_times_in_epoch_seconds_are_the_draws_moment_between_made(now: datetime) -> None:
    draw = _moment_drawer(now)
    in_seconds = _moment_drawer(now, epoch=True)
    rng = random.Random(now.microsecond)
    zones = [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=9))]
    afters: list[datetime | None] = [None, now, now - HISTORY, now - HISTORY - timedelta(days=3)]
    for _ in range(300):
        offset = timedelta(
            seconds=rng.randint(-400 * 86400, 30 * 86400), microseconds=rng.choice([0, 1, 999_999])
        )
        afters.append((now + offset).astimezone(rng.choice(zones)))
    for index, after in enumerate(afters):
        old_rng, new_rng = Rand(0, "moment", index), Rand(0, "moment", index)
        seconds_rng = Rand(0, "moment", index)
        # The same object twice (a gap's rows follow one parent), then an equal one.
        same = [after, after, None if after is None else after + timedelta(0)]
        for value in same:
            old = old_moment(now, old_rng, value)
            new = draw(new_rng, {}, None, value)
            assert new == old and new.tzinfo == old.tzinfo, (now, value)
            assert new.isoformat() == old.isoformat()
            # In epoch seconds (the tuples' form): the same instant, whole seconds.
            seconds = in_seconds(seconds_rng, {}, None, value)
            assert type(seconds) is int and datetime.fromtimestamp(seconds, UTC) == old
        assert new_rng.getstate() == old_rng.getstate() == seconds_rng.getstate()


# First text draws -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Customer, "email"),
        (Customer, "first_name"),
        (Product, "sku"),
        (Product, "description"),
        (Product, "name"),
        (Review, "title"),
        (Order, "number"),
        (Author, "name"),
        (Book, "isbn"),
    ],
)
def test_a_first_text_draw_is_the_draw_of_the_maker_with_the_retry_check(
    model: Any, field: str
) -> None:
    django_field = model._meta.get_field(field)
    full = RowMaker._text_maker(None, django_field, True)  # type: ignore[arg-type]
    first = RowMaker._text_maker(None, django_field, True, first=True)  # type: ignore[arg-type]
    for index in range(300):
        row = {"first_name": f"Ann{index}", "last_name": "Lee"} if index % 2 else {}
        row.pop(field, None)  # a first draw: the row lacks the value
        old_rng, new_rng = Rand(1, field, index), Rand(1, field, index)
        assert first(new_rng, dict(row), None, None) == full(old_rng, dict(row), None, None)
        assert new_rng.getstate() == old_rng.getstate()


# Bound makers ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bound_maker_completes_rows_as_the_kept_one_does() -> None:
    """``bind(static=True)`` (the declarative fills') and ``complete`` (rows seeders leave
    incomplete) give the same rows, picks under a filter and a unique pair included."""
    _sellers, products = _shop_entities()

    def rows(bound: bool) -> list[dict[str, Any]]:
        ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
        ctx.load_entities(Product, [p.pk for p in products], {"seller"})
        maker = ctx.row_maker(
            Review, frozenset({"product_id"}), None, {"author": ~Q(pk=OuterRef("seller"))}
        )
        complete = maker.bind(static=True) if bound else maker.complete
        made = []
        for product in products:
            rng = Rand(0, "reviews", product.pk)
            for _ in range(5):  # 5 of the 5 other customers: later picks walk past taken ones
                row: dict[str, Any] = {"product_id": product.pk}
                complete(row, rng, product, product.created_at)
                made.append(row)
        return made

    bound, kept = rows(True), rows(False)
    assert bound == kept
    assert all(
        row["author_id"] != Product.objects.get(pk=row["product_id"]).seller_id for row in bound
    )
    assert len({(row["product_id"], row["author_id"]) for row in bound}) == len(bound)


@pytest.mark.django_db
def test_complete_picks_among_rows_written_after_its_first_row() -> None:
    """``complete`` (not bound static) serves seeders that write the rows it points at between
    their rows: a pick sees every author written so far."""
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    maker = ctx.row_maker(Book, frozenset({"title", "isbn", "pages"}))
    picked = set()
    for index in range(40):
        ctx.add(Author, name=f"A{index}", email=f"a{index}@example.org")
        ctx.flush(Author)
        row: dict[str, Any] = {"title": "T", "isbn": "1", "pages": 1}
        maker.complete(row, Rand(0, "book", index))
        picked.add(row["author_id"])
    assert len(picked) > 20  # a maker stuck on its first read would pick among one author


# Reads by arrays of keys ----------------------------------------------------------------------


@pytest.mark.django_db
def test_rows_read_by_arrays_of_keys_are_the_rows_read_by_in_lists(monkeypatch) -> None:
    customers = [
        Customer.objects.create(
            email=f"k{n}@example.org", first_name="K", last_name="L", tier="gold"
        )
        for n in range(30)
    ]
    for n, customer in enumerate(customers):
        for m in range(n % 4):
            Order.objects.create(number=f"{n}-{m}", customer=customer, status="placed")
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    monkeypatch.setattr(declarative, "ARRAY_CHUNK", 7)  # several chunks, one short
    keys = [c.pk for c in customers[::2]] + [10**9]  # one key no row has
    orders = Order.objects.all()

    def as_sets(grouped: Any) -> dict[Any, set]:
        return {key: set(rows) for key, rows in grouped.items()}

    with ctx.writing():
        assert as_sets(declarative._rows_by(ctx, orders, "customer_id", "number", keys=keys)) == (
            as_sets(ctx.values_by(orders, "customer_id", "number", keys=keys))
        )
        by_pk = declarative._rows_by(ctx, Customer.objects.all(), "pk", "joined_at", keys=keys)
        assert as_sets(by_pk) == as_sets(
            ctx.values_by(Customer.objects.all(), "pk", "joined_at", keys=keys)
        )
        assert len(by_pk) == 15


@pytest.mark.backend("sqlite")
@pytest.mark.django_db
def test_sqlite_datetimes_read_while_filling_are_djangos() -> None:
    for n in range(50):
        customer = Customer.objects.create(
            email=f"t{n}@example.org", first_name="T", last_name="U", tier="basic"
        )
        moment = NOW - timedelta(days=n, seconds=n * 37, microseconds=n * 1013 % 1_000_000)
        Customer.objects.filter(pk=customer.pk).update(joined_at=moment)
    django_read = list(Customer.objects.order_by("pk").values_list("joined_at", flat=True))
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    with _fast_time_reads("default"):
        assert "convert_datetimefield_value" in vars(connection.ops)
        fast_read = list(Customer.objects.order_by("pk").values_list("joined_at", flat=True))
    assert "convert_datetimefield_value" not in vars(connection.ops)  # put back
    assert fast_read == django_read
    assert [v.isoformat() for v in fast_read] == [v.isoformat() for v in django_read]
    assert all(v.tzinfo is UTC for v in fast_read)
    del ctx


# Rows as tuples -------------------------------------------------------------------------------


def _shop_entities() -> tuple[list[Customer], list[Product]]:
    """Six customers and four products they sell, with times spread over the run's history."""
    sellers = [
        Customer.objects.create(
            email=f"u{n}@example.org", first_name="U", last_name=f"{n}", tier="basic"
        )
        for n in range(6)
    ]
    products = [
        Product.objects.create(
            sku=f"T{n}",
            name="P",
            description="d",
            price=5,
            stock=1,
            status="live",
            seller=sellers[n % 6],
        )
        for n in range(4)
    ]
    # Times before the run's now, some within the history a row's times are drawn in, so a
    # drawn time's bound depends on them.
    for n, seller in enumerate(sellers):
        seller.joined_at = NOW - timedelta(days=400 - 90 * n, seconds=n * 7919)
        Customer.objects.filter(pk=seller.pk).update(joined_at=seller.joined_at)
    for n, product in enumerate(products):
        product.created_at = NOW - timedelta(days=200 - 60 * n, seconds=n * 104729)
        Product.objects.filter(pk=product.pk).update(created_at=product.created_at)
    return sellers, products


def _as_datetimes(row: tuple, names: tuple[str, ...], epoch: frozenset[str]) -> dict[str, Any]:
    return {
        name: datetime.fromtimestamp(value, UTC) if name in epoch else value
        for name, value in zip(names, row, strict=True)
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "given", "picks"),
    [
        (Review, ("product_id",), {"author": ~Q(pk=OuterRef("seller"))}),  # a pick, a pair
        (Order, ("customer_id",), None),  # a unique number, times after the parent's
        (Product, (), None),  # a population: auto_now after auto_now_add, a picked seller
        (Customer, (), None),  # an email made from the row's names
    ],
)
def test_bound_tuples_are_the_bound_dicts_in_column_order(model: Any, given: Any, picks) -> None:
    """``bind_tuples`` (what the declarative fills queue) makes the rows ``bind`` makes, draw
    for draw: the same values in ``names``' order, engine-drawn times as the epoch seconds of
    the same instants."""
    sellers, products = _shop_entities()
    parents = products if model is Review else sellers

    def rows(tuples: bool) -> tuple[list[Any], Any]:
        ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
        ctx.load_entities(Product, [p.pk for p in products], {"seller"})
        maker = ctx.row_maker(model, frozenset(given), None, picks)
        bound = maker.bind_tuples(given) if tuples else None
        complete = bound.complete if bound is not None else maker.bind(static=True)
        made = []
        for parent in parents:
            rng = Rand(0, "rows", parent.pk)
            after = getattr(parent, "created_at", getattr(parent, "joined_at", None))
            for _ in range(4 if model is Review else 3):
                row: dict[str, Any] = dict.fromkeys(given, parent.pk)
                complete(row, rng, parent if given else None, after if given else None)
                made.append(tuple(row.values()) if tuples else row)
        return made, bound

    dicts, _ = rows(False)
    tuples, bound = rows(True)
    assert bound.names[: len(given)] == given and len(set(bound.names)) == len(bound.names)
    assert bound.epoch and all(
        isinstance(row[bound.names.index(n)], int) for row in tuples for n in bound.epoch
    )
    assert [_as_datetimes(row, bound.names, bound.epoch) for row in tuples] == dicts
    assert [tuple(row) for row in dicts] == [bound.names] * len(dicts)  # the key order


@pytest.mark.django_db
def test_a_unique_rule_over_a_time_keeps_its_times_as_datetimes() -> None:
    """Claimed values of a rule holding a DateTimeField are datetimes read back: rows whose
    times were seconds would never match them."""
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    maker = ctx.row_maker(Order, frozenset({"customer_id"}))
    assert maker.epoch_fields() == {"placed_at"}
    try:
        Order._meta.unique_together = (("customer", "placed_at"),)
        assert RowMaker(ctx, Order, frozenset({"customer_id"})).epoch_fields() == frozenset()
    finally:
        Order._meta.unique_together = ()


@isolate_apps("tests.declarative_app")
def test_only_a_key_to_its_own_model_makes_a_row_read_its_own_model() -> None:
    """Such a row may point at the one made before it: the fills queue it before the next."""

    class Reply(models.Model):
        parent = models.ForeignKey("self", on_delete=models.CASCADE)
        text = models.TextField()

        class Meta:
            app_label = "shop"

        def __str__(self) -> str:
            return str(self.pk)

    class TimedReply(models.Model):
        parent = models.ForeignKey("self", on_delete=models.CASCADE)
        created_at = models.DateTimeField(auto_now_add=True)

        class Meta:
            app_label = "shop"

        def __str__(self) -> str:
            return str(self.pk)

    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    for model in (Customer, Product, Order, Review):
        assert not ctx.row_maker(model, frozenset()).reads_own_rows
    assert RowMaker(ctx, Reply, frozenset()).reads_own_rows  # it picks its parent
    assert not RowMaker(ctx, Reply, frozenset({"parent_id"})).reads_own_rows
    # Given its parent, it still reads the parent's time, which a row just made may hold.
    assert RowMaker(ctx, TimedReply, frozenset({"parent_id"})).reads_own_rows
