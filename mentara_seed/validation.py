"""Every registered seeder checked against its model before anything runs.

A requirement names fields by path (``count="orders"``, ``recent="orders__placed_at"``,
``key_field="user__username"``) and may carry ``Q`` objects (``filter``, ``when``). A path that
does not resolve would otherwise surface mid-run as a long ``FieldError`` traceback; here each
mistake becomes one line naming the seeder, the requirement and the attribute, reported by
``manage.py check`` (ids ``mentara_seed.E020``-``E026``) and raised by the commands and the
Python API before anything is written.

Callables (``when=callable``, ``expression=``) build their query from the run's context and
cannot be checked without running it; a ``FieldError`` they raise is turned into the same kind of
line when the audit runs (see ``auditing.audit_step``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import models
from django.db.models import Count, Q

from .exceptions import ConfigurationError
from .registry import Seeder, SeedRegistry
from .requirements import Requirement

#: What each check id is about; the README and docs/reference.md list the same.
CHECK_IDS = {
    "mentara_seed.E020": "count is not a relation path of the model",
    "mentara_seed.E021": "filter does not resolve against the model",
    "mentara_seed.E022": "recent is not a date or date-time path of the model",
    "mentara_seed.E023": "when does not resolve against the model",
    "mentara_seed.E024": "key_field is not a single-valued field path of the model",
    "mentara_seed.E025": "label_field is not a single-valued field path of the model",
    "mentara_seed.E026": "window_days without recent (nothing would be limited to the window)",
}

HINT = "Paths use the ORM's lookup syntax from the seeder's model; see docs/reference.md."


@dataclass(frozen=True)
class Problem:
    id: str
    message: str

    def as_error(self) -> ConfigurationError:
        return ConfigurationError(f"{self.message} ({self.id})")


class PathError(Exception):
    pass


def seeder_name(seeder: Seeder) -> str:
    return f"{type(seeder).__name__} ({seeder.label})"


def _field_names(model: type[models.Model]) -> str:
    names = sorted(
        field.name
        for field in model._meta.get_fields()
        if not (field.auto_created and field.is_relation and field.related_name == "+")
    )
    return ", ".join(["pk", *names])


def resolve_path(model: type[models.Model], path: str) -> list[models.Field]:
    """The fields along an ORM path (``user__username``), or PathError saying where it breaks."""
    fields: list[models.Field] = []
    current: type[models.Model] | None = model
    previous = ""
    for part in path.split("__"):
        if current is None:
            raise PathError(f"{previous!r} is not a relation, so the path cannot go on to {part!r}")
        try:
            field = current._meta.pk if part == "pk" else current._meta.get_field(part)
        except FieldDoesNotExist:
            raise PathError(
                f"{current._meta.label} has no field {part!r} (it has {_field_names(current)})"
            ) from None
        if field is None:
            raise PathError(f"{current._meta.label} has no primary key")
        fields.append(field)
        current = field.related_model if field.is_relation else None
        previous = part
    return fields


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _count_problem(model: type[models.Model], count: str) -> str | None:
    try:
        fields = resolve_path(model, count)
    except PathError as exc:
        return str(exc)
    if not fields[0].is_relation:
        return (
            f"{count.split('__')[0]!r} is a plain field of {model._meta.label}, not a relation; "
            "count through a relation (a reverse foreign key, a many-to-many)"
        )
    return None


def _q_problem(model: type[models.Model], condition: object, *, inside_count: bool) -> str | None:
    if not isinstance(condition, Q):
        return f"expected a Q object, got {type(condition).__name__}"
    queryset = model._base_manager.all()
    try:
        # Building the query resolves every path in the Q; nothing is sent to the database.
        if inside_count:
            queryset.annotate(_seed_check=Count("pk", filter=condition))
        else:
            queryset.filter(condition)
    except (FieldError, ValueError, TypeError) as exc:
        return _first_line(exc)
    return None


def _recent_problem(model: type[models.Model], recent: str) -> str | None:
    try:
        fields = resolve_path(model, recent)
    except PathError as exc:
        return str(exc)
    if not isinstance(fields[-1], models.DateField):  # DateTimeField subclasses DateField
        return f"{recent!r} ends at {type(fields[-1]).__name__}, not a date or date-time field"
    return None


def _single_valued_problem(model: type[models.Model], path: str) -> str | None:
    try:
        fields = resolve_path(model, path)
    except PathError as exc:
        return str(exc)
    for field in fields:
        if field.one_to_many or field.many_to_many:
            return (
                f"{field.name!r} is a many-valued relation, so {path!r} would give an entity "
                "several values; use a field of the model or a path through foreign keys"
            )
    return None


def requirement_problems(seeder: Seeder, requirement: Requirement) -> list[Problem]:
    where = f"{seeder_name(seeder)}, requirement {requirement.name!r}"
    model = seeder.model
    checks: list[tuple[str, str, object, str | None]] = []
    if requirement.count is not None:
        problem = _count_problem(model, requirement.count)
        checks.append(("E020", "count", requirement.count, problem))
    if requirement.filter is not None:
        problem = _q_problem(model, requirement.filter, inside_count=True)
        checks.append(("E021", "filter", requirement.filter, problem))
    if requirement.recent is not None:
        checks.append(
            ("E022", "recent", requirement.recent, _recent_problem(model, requirement.recent))
        )
    if isinstance(requirement.when, Q):
        problem = _q_problem(model, requirement.when, inside_count=False)
        checks.append(("E023", "when", requirement.when, problem))
    if (
        requirement.window_days is not None
        and requirement.recent is None
        and requirement.expression is None
    ):
        problem = "it has no recent= path, so no row would be limited to the window"
        checks.append(("E026", "window_days", requirement.window_days, problem))
    return [
        Problem(f"mentara_seed.{code}", f"{where}: {attribute}={value!r}: {problem}")
        for code, attribute, value, problem in checks
        if problem is not None
    ]


def seeder_problems(seeder: Seeder) -> list[Problem]:
    problems = []
    for code, attribute, path in (
        ("E024", "key_field", seeder.key_field),
        ("E025", "label_field", seeder.label_field),
    ):
        if path is None:
            continue
        problem = _single_valued_problem(seeder.model, path)
        if problem is not None:
            problems.append(
                Problem(
                    f"mentara_seed.{code}",
                    f"{seeder_name(seeder)}: {attribute}={path!r}: {problem}",
                )
            )
    for requirement in seeder.requirements:
        problems.extend(requirement_problems(seeder, requirement))
    return problems


def registry_problems(registry: SeedRegistry) -> list[Problem]:
    return [problem for seeder in registry for problem in seeder_problems(seeder)]


def validate_registry(registry: SeedRegistry) -> None:
    """Raise the first problem as one line (``manage.py check`` lists them all)."""
    problems = registry_problems(registry)
    if not problems:
        return
    error = problems[0].as_error()
    if len(problems) > 1:
        more = len(problems) - 1
        error = ConfigurationError(f"{error} and {more} more (manage.py check lists them all)")
    raise error


def field_error_line(where: str, exc: FieldError) -> ConfigurationError:
    """A FieldError from a requirement's callable, at audit time, as one line."""
    return ConfigurationError(f"{where}: {_first_line(exc)}")
