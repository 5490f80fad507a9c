"""The seeder registry (register / unregister / is_registered / get), autodiscovery, the engine's
independence from the demo project, the exception hierarchy, and the order of the plan's steps."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.db import models

import mentara_seed
from mentara_seed import exceptions
from mentara_seed.auditing import Gap, Step
from mentara_seed.exceptions import (
    AlreadyRegistered,
    ConfigurationError,
    NotRegistered,
    SeedingError,
)
from mentara_seed.fill import FillContext
from mentara_seed.plan import build_steps
from mentara_seed.registry import Seeder, SeedRegistry, autodiscover, register, site
from mentara_seed.requirements import MODES, Levels, Requirement
from project.mentara.models import Client, Community, Conversation, Therapist
from tests.conftest import NOW
from tests.testapp.models import Author, Book


class BooksSeeder(Seeder):
    population = Levels(1, 2, 3)
    requirements = (Requirement("books", minimum=1, count="books"),)

    def create(self, ctx: FillContext, count: int) -> None:
        pass

    def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        pass


class OtherBooksSeeder(BooksSeeder):
    pass


class AbstractThing(models.Model):
    class Meta:
        abstract = True
        app_label = "testapp"


def seeder_with(*requirements: Requirement, population: int | None = None) -> type[Seeder]:
    """A seeder class whose requirements each have a do-nothing fill method."""
    methods = {r.fill_method: lambda self, ctx, gaps: None for r in requirements}
    attrs = {"requirements": requirements, "population": population, **methods}
    if population is not None:
        attrs["create"] = lambda self, ctx, count: None
    return type("GeneratedSeeder", (Seeder,), attrs)


@pytest.mark.django_db
def test_a_population_without_create_creates_its_entities_itself():
    class NoCreate(Seeder):
        population = 3

    registry = SeedRegistry()
    registry.register(Author, NoCreate)
    report = mentara_seed.seed(mode="light", now=NOW, registry=registry)

    assert report.satisfied
    emails = list(Author.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == 3
    for author in Author.objects.all():
        author.full_clean()


@pytest.fixture(autouse=True)
def global_site_unchanged():
    """Undo (through the public API) any registration a test leaks into the global site, so a
    leak fails the test that caused it and no other."""
    before = {seeder.model for seeder in site}
    yield
    for seeder in site:
        if seeder.model not in before:
            site.unregister(seeder.model)


# Registry -----------------------------------------------------------------------------------------


def test_register_is_registered_get_unregister():
    registry = SeedRegistry()
    assert not registry.is_registered(Author)
    assert len(registry) == 0

    seeder = registry.register(Author, BooksSeeder)

    assert isinstance(seeder, BooksSeeder)
    assert seeder.model is Author
    assert seeder.label == "testapp.Author"
    assert registry.is_registered(Author)
    assert registry.get(Author) is seeder
    assert registry.by_label("testapp.author") is seeder
    assert list(registry) == [seeder]
    assert not registry.is_registered(Book)

    registry.unregister(Author)

    assert not registry.is_registered(Author)
    assert len(registry) == 0
    with pytest.raises(NotRegistered, match=r"testapp\.Author is not registered"):
        registry.get(Author)
    # Unregistered, the model can be registered again.
    registry.register(Author, OtherBooksSeeder)
    assert isinstance(registry.get(Author), OtherBooksSeeder)


def test_registries_are_independent():
    first, second = SeedRegistry(), SeedRegistry()
    first.register(Author, BooksSeeder)
    assert not second.is_registered(Author)
    assert not site.is_registered(Author)


def test_register_decorator_returns_the_class():
    registry = SeedRegistry()

    decorated = register(Author, site=registry)(BooksSeeder)

    assert decorated is BooksSeeder
    assert not site.is_registered(Author), "registered on the global site, not on site="
    assert registry.is_registered(Author)
    assert isinstance(registry.get(Author), BooksSeeder)


def test_register_decorator_uses_an_empty_registry_it_is_given():
    # An empty registry has len() 0, so it is falsy; it must still be the one used.
    registry = SeedRegistry()
    assert len(registry) == 0

    register(Book, site=registry)(BooksSeeder)

    assert [seeder.model for seeder in registry] == [Book]
    assert not site.is_registered(Book)


def test_register_decorator_with_several_models():
    registry = SeedRegistry()

    @register(Author, Book, site=registry)
    class Both(Seeder):
        pass

    assert not site.is_registered(Author)
    assert not site.is_registered(Book)
    assert isinstance(registry.get(Author), Both)
    assert isinstance(registry.get(Book), Both)
    assert registry.get(Book).model is Book


def test_registering_twice_names_the_first_registration():
    registry = SeedRegistry()
    registry.register(Author, BooksSeeder)

    with pytest.raises(AlreadyRegistered) as excinfo:
        registry.register(Author, OtherBooksSeeder)

    message = str(excinfo.value)
    assert "testapp.Author" in message
    assert "tests.test_registry.BooksSeeder" in message
    assert "OtherBooksSeeder" not in message
    # The first registration is untouched.
    assert type(registry.get(Author)) is BooksSeeder


def test_registering_twice_through_the_decorator():
    registry = SeedRegistry()
    register(Author, site=registry)(BooksSeeder)
    assert registry.is_registered(Author)

    with pytest.raises(AlreadyRegistered, match=r"tests\.test_registry\.BooksSeeder"):
        register(Author, site=registry)(OtherBooksSeeder)


def test_unregister_unknown_model():
    registry = SeedRegistry()
    with pytest.raises(NotRegistered, match=r"testapp\.Book is not registered"):
        registry.unregister(Book)


def test_get_by_unknown_label():
    registry = SeedRegistry()
    with pytest.raises(NotRegistered, match=r"testapp\.Nope"):
        registry.by_label("testapp.Nope")


def test_requirement_without_its_fill_method_registers_and_is_filled_by_the_engine():
    class NoFill(Seeder):
        requirements = (Requirement("books", minimum=1, count="books"),)

    registry = SeedRegistry()
    registry.register(Author, NoFill)  # never raises at import (see test_declarative_checks)
    assert registry.is_registered(Author)


def test_requirement_with_a_named_fill_method():
    class NamedFill(Seeder):
        requirements = (Requirement("books", minimum=1, count="books", fill="write_books"),)

        def write_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
            pass

    class MissingNamedFill(Seeder):
        requirements = (Requirement("books", minimum=1, count="books", fill="write_books"),)

        def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
            pass

    registry = SeedRegistry()
    registry.register(Author, NamedFill)
    # A fill= naming no method is a system check error, not an import-time crash.
    registry.register(Book, MissingNamedFill)
    assert registry.is_registered(Book)


def test_duplicate_requirement_names_are_refused():
    seeder = seeder_with(
        Requirement("books", minimum=1, count="books"),
        Requirement("books", minimum=2, count="books"),
    )
    registry = SeedRegistry()
    with pytest.raises(ConfigurationError, match=r"testapp\.Author.*twice.*books"):
        registry.register(Author, seeder)
    assert not registry.is_registered(Author)


@pytest.mark.parametrize(
    "not_a_model",
    [object, "testapp.Author", Author(), None, 42, AbstractThing],
    ids=["class", "label", "instance", "none", "int", "abstract"],
)
def test_register_refuses_what_is_not_a_concrete_model(not_a_model):
    registry = SeedRegistry()
    with pytest.raises(ConfigurationError):
        registry.register(not_a_model, BooksSeeder)
    with pytest.raises(ConfigurationError):
        register(not_a_model, site=registry)(BooksSeeder)
    assert len(registry) == 0


def test_register_decorator_needs_a_model_and_a_seeder_class():
    registry = SeedRegistry()
    with pytest.raises(ConfigurationError, match="at least one model"):
        register(site=registry)(BooksSeeder)
    with pytest.raises(ConfigurationError, match="subclass Seeder"):
        register(Author, site=registry)(object)
    with pytest.raises(ConfigurationError, match="subclass Seeder"):
        register(Author, site=registry)(BooksSeeder(Author))
    assert len(registry) == 0


def test_requirement_declarations_are_validated():
    with pytest.raises(ConfigurationError, match="exactly one of count= or expression="):
        Requirement("books", minimum=1)
    with pytest.raises(ConfigurationError, match="exactly one of count= or expression="):
        Requirement("books", minimum=1, count="books", expression=lambda ctx, days: None)
    with pytest.raises(ConfigurationError, match="reserved"):
        Requirement("population", minimum=1, count="books")


# The global site -------------------------------------------------------------------------------


def test_site_has_the_mentara_seeders_by_autodiscovery():
    for model in (Client, Therapist, Community, Conversation):
        assert site.is_registered(model), model
        assert type(site.get(model)).__module__ == "project.mentara.seeding"
    labels = {seeder.label for seeder in site}
    assert {"mentara.Client", "mentara.Therapist", "mentara.Community"} <= labels
    assert "mentara.Conversation" in labels
    # The test app's seeders live in a module that is not autodiscovered.
    assert not site.is_registered(Author)
    assert not site.is_registered(Book)
    assert mentara_seed.site is site


def test_autodiscover_again_is_harmless():
    before = [type(seeder) for seeder in site]
    autodiscover()
    assert [type(seeder) for seeder in site] == before


def test_engine_never_imports_the_demo_project():
    package = Path(inspect.getfile(mentara_seed)).parent
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 10
    offenders = []
    for path in sources:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [
                f"{path.relative_to(package)}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[0] in {"project", "tests"}
            ]
            offenders += [
                f"{path.relative_to(package)}:{node.lineno} imports {name}"
                for name in names
                if "mentara" in name.split(".") and name.split(".")[0] != "mentara_seed"
            ]
    assert offenders == []


def test_every_exception_derives_from_seeding_error():
    classes = [
        obj
        for obj in vars(exceptions).values()
        if inspect.isclass(obj) and issubclass(obj, BaseException)
    ]
    assert {c.__name__ for c in classes} >= {
        "SeedingError",
        "ConfigurationError",
        "AlreadyRegistered",
        "NotRegistered",
        "DatabaseNotReady",
    }
    for cls in classes:
        assert issubclass(cls, SeedingError), cls
    assert issubclass(SeedingError, Exception)
    for name in mentara_seed.__all__:
        obj = getattr(mentara_seed, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            assert issubclass(obj, SeedingError), name


# The order of the steps ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_mentara_steps_are_ordered(mode):
    steps = build_steps(site, mode=mode)
    ids = [step.id for step in steps]
    assert len(ids) == len(set(ids))
    expected = sum((seeder.population is not None) + len(seeder.requirements) for seeder in site)
    assert len(steps) == expected

    populations = [step for step in steps if step.is_population]
    assert steps[: len(populations)] == populations
    assert [step.seeder for step in populations] == [
        seeder for seeder in site if seeder.population is not None
    ]

    position = {step_id: index for index, step_id in enumerate(ids)}
    checked = 0
    for index, step in enumerate(steps):
        if step.requirement is None:
            continue
        for name in step.requirement.after:
            assert name in position, f"{step.id} is after unknown {name}"
            assert position[name] < index, f"{step.id} runs before {name}"
            checked += 1
    assert checked > 20


def test_requirements_keep_declaration_order_unless_after_says_otherwise():
    seeder = seeder_with(
        Requirement("first", minimum=1, count="books", after=("testapp.Author.third",)),
        Requirement("second", minimum=1, count="books"),
        Requirement("third", minimum=1, count="books"),
        Requirement("fourth", minimum=1, count="books", after=("testapp.Author.population",)),
        population=1,
    )
    registry = SeedRegistry()
    registry.register(Author, seeder)

    steps = build_steps(registry, mode="light")

    assert [step.id for step in steps] == [
        "testapp.Author.population",
        "testapp.Author.second",
        "testapp.Author.third",
        "testapp.Author.first",
        "testapp.Author.fourth",
    ]
    assert all(isinstance(step, Step) for step in steps)


def test_populations_come_first_across_seeders():
    registry = SeedRegistry()
    registry.register(Book, seeder_with(population=4))
    registry.register(Author, BooksSeeder)

    steps = build_steps(registry, mode="medium", scale=3)

    assert [(step.id, step.target.minimum) for step in steps] == [
        ("testapp.Book.population", 12),
        ("testapp.Author.population", 6),
        ("testapp.Author.books", 1),
    ]


@pytest.mark.parametrize(
    "requirements",
    [
        (
            Requirement("a", minimum=1, count="books", after=("testapp.Author.b",)),
            Requirement("b", minimum=1, count="books", after=("testapp.Author.a",)),
        ),
        (Requirement("a", minimum=1, count="books", after=("testapp.Author.a",)),),
        (
            Requirement("a", minimum=1, count="books", after=("testapp.Author.c",)),
            Requirement("b", minimum=1, count="books", after=("testapp.Author.a",)),
            Requirement("c", minimum=1, count="books", after=("testapp.Author.b",)),
            Requirement("d", minimum=1, count="books"),
        ),
    ],
    ids=["two", "self", "three"],
)
def test_a_cycle_in_after_is_refused(requirements):
    registry = SeedRegistry()
    registry.register(Author, seeder_with(*requirements))

    with pytest.raises(ConfigurationError, match="cycle") as excinfo:
        build_steps(registry, mode="light")

    message = str(excinfo.value)
    assert "testapp.Author.a" in message
    assert "testapp.Author.d" not in message


def test_an_unknown_after_name_is_refused():
    registry = SeedRegistry()
    registry.register(
        Author,
        seeder_with(Requirement("a", minimum=1, count="books", after=("testapp.Author.nope",))),
    )

    with pytest.raises(ConfigurationError, match=r"testapp\.Author\.a.*'testapp\.Author\.nope'"):
        build_steps(registry, mode="light")
