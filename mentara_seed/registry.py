"""The registry of seeders, modelled on ``django.contrib.admin.site``.

A seeder tells mentara-seed how many entities of one model must exist (``population``), what each
entity must have (``requirements``) and how to make the missing rows (``create`` and
``fill_<requirement>`` methods). Projects register seeders in a ``seeding.py`` module beside their
models; :func:`autodiscover` imports those modules when the app registry is ready.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.db import models
from django.utils.module_loading import autodiscover_modules

from .exceptions import AlreadyRegistered, ConfigurationError, NotRegistered
from .requirements import POPULATION, Levels, Requirement

if TYPE_CHECKING:
    from .auditing import Gap
    from .fill import FillContext


class Seeder:
    """The seeder of one model; subclass it and decorate it with ``@register(Model)``."""

    model: type[models.Model]
    #: How many entities of ``model`` must exist, per mode (``--scale`` multiplies it).
    population: ClassVar[Levels | int | None] = None
    #: What each entity must have.
    requirements: ClassVar[Sequence[Requirement]] = ()
    #: A unique field that identifies an entity across runs (its natural key). Random values are
    #: keyed by it, so it must not be a primary key the tool allocates (sequences skip on rollback).
    key_field: ClassVar[str] = "pk"
    #: The field shown for an entity in reports.
    label_field: ClassVar[str | None] = None
    #: The oldest and newest times this seeder writes, as offsets from ``now``: a ``--now`` that
    #: would put them outside what the database stores is refused before anything is written.
    #: The default covers a birth date a century back and a booking a year ahead.
    time_span: ClassVar[tuple[timedelta, timedelta]] = (timedelta(days=-36525), timedelta(days=366))

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model

    @property
    def label(self) -> str:
        return self.model._meta.label

    def get_queryset(self, using: str) -> models.QuerySet:
        """The entities this seeder is responsible for (a proxy's manager already filters them)."""
        return self.model._default_manager.using(using)

    #: Field specs for rows of ``model`` that the engine completes: a constant,
    #: ``Fake("provider")``, ``Weighted({...})`` or a callable of ``(rng, ctx, parent)``.
    values: ClassVar[Mapping[str, Any]] = {}
    #: Rows of other models ``create`` writes with each new entity, by model label (a user's
    #: profile): only the row cap's estimate reads it (see ``estimate``).
    also_writes: ClassVar[Mapping[str, float]] = {}

    def create(self, ctx: FillContext, count: int) -> None:
        """Create ``count`` new entities to meet the population; ``ctx.ordinal_start`` is the
        number that already exist. By default, entities made from automatic values alone."""
        from .declarative import create_entities

        create_entities(self, ctx, count)

    def fill(self, requirement: Requirement, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        """Call ``fill_<name>`` (or ``fill=``); without one, the engine fills the relation."""
        method: Callable[[FillContext, Sequence[Gap]], None] | None = getattr(
            self, requirement.fill_method, None
        )
        if callable(method):
            method(ctx, gaps)
            return
        if requirement.fill is not None or method is not None:
            raise ConfigurationError(
                f"{type(self).__name__}.{requirement.name}: {requirement.fill_method} is not a "
                "method of the seeder"
            )
        from .declarative import fill_automatically

        if ctx.step is None:
            raise ConfigurationError(f"{self.label}.{requirement.name}: fill outside a step")
        fill_automatically(self, ctx.step, ctx, gaps)

    def requirement_names(self) -> list[str]:
        names = [r.name for r in self.requirements]
        return [POPULATION, *names] if self.population is not None else names

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.label}>"


SeederT = TypeVar("SeederT", bound=type[Seeder])


class SeedRegistry:
    """Seeders by model, in registration order (which breaks ties in the fill order)."""

    def __init__(self) -> None:
        self._registry: dict[type[models.Model], Seeder] = {}
        self._origins: dict[type[models.Model], str] = {}

    def register(self, model: type[models.Model], seeder_class: type[Seeder]) -> Seeder:
        if not (isinstance(model, type) and issubclass(model, models.Model)):
            raise ConfigurationError(f"{model!r} is not a Django model")
        if model._meta.abstract:
            raise ConfigurationError(f"{model.__name__} is abstract and cannot be seeded")
        if model in self._registry:
            raise AlreadyRegistered(
                f"{model._meta.label} is already registered by {self._origins[model]}"
            )
        seeder = seeder_class(model)
        self._check_fill_methods(seeder)
        self._registry[model] = seeder
        self._origins[model] = f"{seeder_class.__module__}.{seeder_class.__qualname__}"
        return seeder

    @staticmethod
    def _check_fill_methods(seeder: Seeder) -> None:
        # A requirement without a fill method is filled by the engine; whether it can be is a
        # system check (mentara_seed.E030), so a mistake never breaks every manage.py command.
        names = [r.name for r in seeder.requirements]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ConfigurationError(
                f"{seeder.label} declares requirement(s) twice: {', '.join(sorted(duplicates))}"
            )

    def unregister(self, model: type[models.Model]) -> None:
        if model not in self._registry:
            raise NotRegistered(f"{model._meta.label} is not registered")
        del self._registry[model]
        del self._origins[model]

    def is_registered(self, model: type[models.Model]) -> bool:
        return model in self._registry

    def get(self, model: type[models.Model]) -> Seeder:
        try:
            return self._registry[model]
        except KeyError:
            raise NotRegistered(f"{model._meta.label} is not registered") from None

    def by_label(self, label: str) -> Seeder:
        for seeder in self:
            if seeder.label.lower() == label.lower():
                return seeder
        raise NotRegistered(f"no seeder is registered for {label!r}")

    def __iter__(self) -> Iterator[Seeder]:
        return iter(list(self._registry.values()))

    def __len__(self) -> int:
        return len(self._registry)


site = SeedRegistry()


def register(
    *models_: type[models.Model], site: SeedRegistry | None = None
) -> Callable[[SeederT], SeederT]:
    """Class decorator: ``@register(Model)`` registers the seeder class for ``Model``."""

    def wrapper(seeder_class: SeederT) -> SeederT:
        if not models_:
            raise ConfigurationError("register() needs at least one model")
        if not (inspect.isclass(seeder_class) and issubclass(seeder_class, Seeder)):
            raise ConfigurationError("the class decorated with register() must subclass Seeder")
        registry = site if site is not None else globals()["site"]
        for model in models_:
            registry.register(model, seeder_class)
        return seeder_class

    return wrapper


def autodiscover() -> None:
    """Import every installed app's ``seeding`` module (missing ones are skipped, not masked)."""
    autodiscover_modules("seeding", register_to=site)
