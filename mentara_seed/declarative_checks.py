"""System checks for declarative seeders (mentara_seed.E030-E039), and the same lines from the
commands: each names the seeder and the requirement.

- E030: a requirement with no fill method that the engine cannot fill automatically;
- E031: ``fill=`` (or ``fill_<name>``) names something that is not a method of the seeder;
- E032: a field spec or a candidate filter names a field the model lacks, or a Faker provider
  that does not exist;
- E033: a distribution whose minimum is above its cap;
- E034: a relation with no candidate rows and no way to create them (needs a database).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connections, models
from django.db.models import Q

from .declarative import automatic_relation, writes_and_reads
from .exceptions import ConfigurationError
from .registry import Seeder, SeedRegistry, site
from .requirements import MODES, Requirement
from .validation import PathError, resolve_path
from .values import Fake

HINT = "See docs/declarative.md (Mistakes) and docs/reference.md (System checks)."


def _where(seeder: Seeder, requirement: Requirement | None) -> str:
    name = requirement.name if requirement is not None else "population"
    return f"{type(seeder).__name__} ({seeder.label}), requirement {name!r}"


def _missing_fields(model: type[models.Model], names: Iterable[str]) -> list[str]:
    missing = []
    for name in names:
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            if name not in {f.attname for f in model._meta.concrete_fields}:
                missing.append(name)
    return missing


def _unknown_providers(specs: Mapping[str, Any]) -> list[str]:
    return [
        f"{name}=Fake({spec.provider!r})"
        for name, spec in specs.items()
        if isinstance(spec, Fake) and not spec.exists
    ]


def static_errors(registry: SeedRegistry) -> Iterator[tuple[str, str]]:
    """(check id, message) for every declarative mistake visible without a database."""
    for seeder in registry:
        specs = getattr(seeder, "values", None) or {}
        missing = _missing_fields(seeder.model, specs)
        if missing:
            yield (
                "E032",
                f"{type(seeder).__name__} ({seeder.label}): values names no field of "
                f"{seeder.label}: {', '.join(missing)}",
            )
        unknown = _unknown_providers(specs)
        if unknown:
            yield (
                "E032",
                f"{type(seeder).__name__} ({seeder.label}): values names no Faker provider: "
                f"{', '.join(unknown)}",
            )
        for requirement in seeder.requirements:
            yield from _requirement_errors(seeder, requirement)


def _count_is_reported(seeder: Seeder, count: str) -> bool:
    """Whether the count path is already an E020 (not a relation path of the model)."""
    try:
        fields = resolve_path(seeder.model, count)
    except PathError:
        return True
    return not fields[0].is_relation


def _requirement_errors(seeder: Seeder, requirement: Requirement) -> Iterator[tuple[str, str]]:
    where = _where(seeder, requirement)
    method = getattr(seeder, requirement.fill_method, None)
    if (requirement.fill is not None or method is not None) and not callable(method):
        yield "E031", f"{where}: {requirement.fill_method} is not a method of the seeder"
        return
    if requirement.count is not None and _count_is_reported(seeder, requirement.count):
        return
    try:
        relation = automatic_relation(seeder, requirement)
    except ConfigurationError as exc:
        yield (
            "E030",
            f"{where}: no {requirement.fill_method}() and the engine cannot fill it: {exc}",
        )
        return
    distribution = getattr(requirement, "distribution", None)
    if distribution is not None:
        for mode in MODES:
            cap = distribution.cap_in(mode)
            if cap is not None and requirement.minimum[mode] > cap:  # type: ignore[index]
                yield (
                    "E033",
                    f"{where}: minimum {requirement.minimum[mode]} is above the "  # type: ignore[index]
                    f"distribution's cap {cap} in mode {mode}",
                )
                break
    if relation is None:
        return
    missing = _missing_fields(relation.model, requirement.values)
    if missing:
        yield (
            "E032",
            f"{where}: values names no field of {relation.model._meta.label}: {', '.join(missing)}",
        )
    unknown = _unknown_providers(requirement.values)
    if unknown:
        yield "E032", f"{where}: values names no Faker provider: {', '.join(unknown)}"
    candidates = requirement.candidates
    if relation.kind == "links" and candidates is not None and not isinstance(candidates, Q):
        yield "E032", f"{where}: candidates of a many-to-many is a Q over the other side"
    elif relation.kind == "children" and isinstance(candidates, Q):
        yield "E032", f"{where}: candidates of child rows is {{'foreign_key': Q(...)}}"
    elif relation.kind == "children" and isinstance(candidates, Mapping):
        target = relation.model
        wrong = [
            name
            for name in candidates
            if _missing_fields(target, [name]) or not target._meta.get_field(name).is_relation
        ]
        if wrong:
            yield (
                "E032",
                f"{where}: candidates names no foreign key of {target._meta.label}: "
                f"{', '.join(wrong)}",
            )


def database_errors(registry: SeedRegistry, using: str) -> Iterator[tuple[str, str]]:
    """E034: rows an automatic step must point at, in a database that has none and no step
    that makes them."""
    creatable = {s.model._meta.concrete_model for s in registry if s.population is not None}
    needs: list[tuple[str, type[models.Model]]] = []
    for seeder in registry:
        steps: list[Requirement | None] = [None, *seeder.requirements]
        for requirement in steps:
            if requirement is None and seeder.population is None:
                continue
            fake_step = _StepView(seeder, requirement)
            try:
                writes, reads = writes_and_reads(fake_step)  # type: ignore[arg-type]
            except ConfigurationError:
                continue
            creatable |= writes
            own = seeder.model._meta.concrete_model
            needs.extend((_where(seeder, requirement), model) for model in reads - {own})
    for where, model in needs:
        if model in creatable:
            continue
        try:
            empty = not model._default_manager.using(using).exists()
        except DatabaseError:
            continue  # an unmigrated or unreachable database is reported on its own
        if empty:
            yield (
                "E034",
                f"{where}: needs existing {model._meta.label} rows to point at, the database "
                f"{using!r} has none, and no seeder creates them",
            )


class _StepView:
    """What ``writes_and_reads`` reads of a step, without resolving its numbers."""

    def __init__(self, seeder: Seeder, requirement: Requirement | None) -> None:
        self.seeder = seeder
        self.requirement = requirement


def raise_first_error(registry: SeedRegistry, using: str | None = None) -> None:
    """The commands' side of the checks: the first problem as one ConfigurationError line;
    with ``using``, only the checks that need the (reachable, migrated) database."""
    found = static_errors(registry) if using is None else database_errors(registry, using)
    for code, message in found:
        raise ConfigurationError(f"{message} (mentara_seed.{code})")


@register()
def check_declarative_seeders(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(message, hint=HINT, id=f"mentara_seed.{code}")
        for code, message in static_errors(site)
    ]


@register(Tags.database)
def check_declarative_candidates(
    app_configs: Any = None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for using in databases or ():
        if using in connections:
            errors.extend(
                Error(message, hint=HINT, id=f"mentara_seed.{code}")
                for code, message in database_errors(site, using)
            )
    return errors
