"""Declarative mistakes (mentara_seed.E030-E034): each a system check error naming the seeder and
the requirement at ``manage.py check``, the same line from the commands, nothing written, and
never an error at import."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db.models import Q

from mentara_seed import Fake, LongTail, Requirement, Seeder, SeedRegistry
from mentara_seed.declarative_checks import static_errors
from tests.conftest import run
from tests.declarative_app import seeding
from tests.declarative_app.models import Customer, Order, Product, Review, Tag
from tests.testapp.models import Author, Book

pytestmark = pytest.mark.django_db


class NotARelationSeeder(Seeder):
    # Counting through a forward foreign key: the engine would have to change existing rows.
    requirements = (Requirement("customer", minimum=1, count="customer"),)


class TwoHopsSeeder(Seeder):
    requirements = (Requirement("products", minimum=1, count="orders__items"),)


class FilterOnAMissingFieldSeeder(Seeder):
    requirements = (
        Requirement("orders", minimum=1, count="orders", filter=Q(orders__colour="red")),
    )


class NotAMethodSeeder(Seeder):
    requirements = (Requirement("orders", minimum=1, count="orders", fill="write_orders"),)
    write_orders = "not a method"


class MissingSpecFieldSeeder(Seeder):
    values: ClassVar[dict[str, Any]] = {"nickname": "x", "first_name": Fake("no_such_provider")}
    requirements = (
        Requirement("orders", minimum=1, count="orders", values={"colour": "red"}),
        Requirement("reviews", minimum=1, count="reviews", candidates={"rating": Q(pk=1)}),
    )


class CapBelowMinimumSeeder(Seeder):
    requirements = (
        Requirement("orders", minimum=5, count="orders", distribution=LongTail(alpha=1.5, cap=3)),
    )


def messages(seeder_class: type[Seeder], model: Any) -> list[tuple[str, str]]:
    registry = SeedRegistry()
    registry.register(model, seeder_class)
    return list(static_errors(registry))


def test_a_count_the_engine_cannot_fill_is_e030_naming_seeder_and_requirement():
    [(code, message)] = messages(NotARelationSeeder, Order)
    assert code == "E030"
    assert "NotARelationSeeder (shop.Order), requirement 'customer'" in message
    assert "fill_customer()" in message
    [(code, message)] = messages(TwoHopsSeeder, Customer)
    assert code == "E030" and "more than one relation" in message
    [(code, message)] = messages(FilterOnAMissingFieldSeeder, Customer)
    assert code == "E030" and "'colour', which is not a field of shop.Order" in message


class NoSuchRelationSeeder(Seeder):
    requirements = (Requirement("orders", minimum=1, count="order"),)


def test_a_count_that_is_no_relation_is_left_to_e020_and_reported_once():
    assert messages(NoSuchRelationSeeder, Customer) == []


def test_a_fill_that_is_not_a_method_is_e031():
    [(code, message)] = messages(NotAMethodSeeder, Customer)
    assert code == "E031"
    assert "'orders'" in message and "write_orders" in message


def test_a_field_spec_naming_a_missing_field_is_e032():
    found = messages(MissingSpecFieldSeeder, Customer)
    assert [code for code, _ in found] == ["E032", "E032", "E032", "E032"]
    text = "\n".join(message for _, message in found)
    assert "nickname" in text and "colour" in text and "rating" in text
    assert "first_name=Fake('no_such_provider')" in text
    assert "requirement 'orders'" in text and "requirement 'reviews'" in text


class CandidatesOfTheWrongShapeSeeder(Seeder):
    requirements = (
        Requirement("orders", minimum=1, count="orders", candidates=Q(status="placed")),
        Requirement("favorites", minimum=1, count="favorites", candidates={"seller": Q(pk=1)}),
    )


def test_candidates_of_the_wrong_shape_are_e032():
    found = messages(CandidatesOfTheWrongShapeSeeder, Customer)
    assert [code for code, _ in found] == ["E032", "E032"]
    assert "'orders': candidates of child rows is {'foreign_key': Q(...)}" in found[0][1]
    assert "'favorites': candidates of a many-to-many is a Q" in found[1][1]


def test_a_distribution_whose_minimum_is_above_its_cap_is_e033():
    [(code, message)] = messages(CapBelowMinimumSeeder, Customer)
    assert code == "E033"
    assert "minimum 5 is above the distribution's cap 3" in message


def test_the_shop_and_the_library_have_no_declarative_error():
    assert list(static_errors(seeding.registry)) == []
    registry = SeedRegistry()

    class Books(Seeder):
        requirements = (Requirement("books", minimum=1, count="books"),)

    registry.register(Author, Books)
    assert list(static_errors(registry)) == []


@pytest.mark.parametrize(
    ("seeder_class", "model", "code"),
    [
        (NotARelationSeeder, Order, "E030"),
        (NotAMethodSeeder, Customer, "E031"),
        (CapBelowMinimumSeeder, Customer, "E033"),
    ],
)
def test_each_mistake_is_one_line_from_check_and_from_the_commands(
    register_on_site, seeder_class, model, code
):
    register_on_site(model, seeder_class)

    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check")
    assert f"mentara_seed.{code}" in str(excinfo.value)
    assert seeder_class.__name__ in str(excinfo.value)

    for command in ("seed_dynamic", "seed_audit"):
        result = run(command, "--mode", "light")
        assert result.code != 0
        assert result.err.startswith(f"CommandError: {seeder_class.__name__}")
        assert result.err.endswith(f"(mentara_seed.{code})")
        assert "\n" not in result.err.strip()
        assert "Traceback" not in result.err
    assert Customer.objects.count() == 0
    assert Order.objects.count() == 0


class ReviewsWithoutCustomers(Seeder):
    """Reviews need an author (a Customer) that nothing creates."""

    requirements = (Requirement("reviews", minimum=1, count="reviews"),)


def test_a_relation_with_no_candidates_and_no_way_to_create_them_is_e034(register_on_site):
    Product.objects.bulk_create([])  # an empty shop: no customers at all
    register_on_site(Product, ReviewsWithoutCustomers)

    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check", "--database", "default")
    assert "mentara_seed.E034" in str(excinfo.value)
    assert "ReviewsWithoutCustomers (shop.Product), requirement 'reviews'" in str(excinfo.value)
    assert "shop.Customer" in str(excinfo.value)

    result = run("seed_dynamic", "--mode", "light")
    assert result.code != 0
    assert result.err.startswith("CommandError: ReviewsWithoutCustomers (shop.Product)")
    assert result.err.endswith("(mentara_seed.E034)")
    assert Review.objects.count() == 0


def test_candidates_made_by_another_seeder_are_not_e034(register_on_site):
    class Reviews(Seeder):
        population = 1
        requirements = (Requirement("reviews", minimum=1, count="reviews"),)

    class Customers(Seeder):
        population = 2

    register_on_site(Product, Reviews)
    register_on_site(Customer, Customers)
    call_command("check", "--database", "default")  # no error


def test_a_missing_fill_method_never_breaks_import_or_unrelated_commands(register_on_site):
    register_on_site(Order, NotARelationSeeder)
    result = run("showmigrations", "shop")
    assert result.code == 0
    assert Tag.objects.count() == 0
    assert Book.objects.count() == 0
