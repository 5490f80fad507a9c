"""The ``MENTARA_SEED`` settings dict, read on every access so ``override_settings`` works."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings as django_settings
from django.utils.dateparse import parse_datetime

from .exceptions import ConfigurationError
from .requirements import DEFAULT_MODE, MODES, parse_override

#: Settings that are True or False, and nothing else: a string such as "false" is truthy, so
#: accepting it would turn the production guard off by accident.
BOOLEAN_KEYS: dict[str, bool] = {
    "ON_MIGRATE": False,
    "ALLOW_PRODUCTION": False,
    "FAST_PATH": True,
    "BULK_LOADS": True,
    #: PostgreSQL: bulk loads drop and rebuild indexes and foreign keys, under ACCESS EXCLUSIVE
    #: locks that make every other session's reads of the table wait for the step.
    "EXCLUSIVE_BULK_LOADS": False,
}
#: Whole-number settings (bools are not numbers here) and their defaults.
NUMBER_KEYS: dict[str, int] = {
    #: How long an exclusive bulk load waits for a table lock before loading row by row instead.
    "LOCK_TIMEOUT_MS": 1000,
    #: How long a statement on SQLite waits for another process's write lock.
    "BUSY_TIMEOUT_MS": 5000,
    #: Times a step that found SQLite locked is retried, whole, before the run gives up.
    "LOCKED_RETRIES": 5,
    #: A run that would add more rows than this is refused before it writes anything.
    "MAX_ROWS": 20_000_000,
}
KNOWN_KEYS = frozenset(
    {"MODE", "SEED", "SCALE", "BATCH_SIZE", "REQUIREMENTS", "PASSWORD", "JOBS"}
    | set(BOOLEAN_KEYS)
    | set(NUMBER_KEYS)
)


class SeedSettings:
    @property
    def raw(self) -> dict[str, Any]:
        value = getattr(django_settings, "MENTARA_SEED", {})
        if not isinstance(value, dict):
            raise ConfigurationError(f"MENTARA_SEED must be a dict, got {type(value).__name__}")
        return value

    @property
    def mode(self) -> str:
        return str(self.raw.get("MODE", DEFAULT_MODE))

    @property
    def seed(self) -> int:
        return self.raw.get("SEED", 0)

    @property
    def scale(self) -> int:
        return self.raw.get("SCALE", 1)

    @property
    def batch_size(self) -> int:
        return self.raw.get("BATCH_SIZE", 5000)

    @property
    def jobs(self) -> int | str:
        """Worker processes generating rows (``--jobs``): 1 to 64, or "auto" for the cores."""
        return self.raw.get("JOBS", 1)

    @property
    def requirements(self) -> dict[str, dict[str, Any]]:
        return self.raw.get("REQUIREMENTS", {})

    def boolean(self, key: str) -> bool:
        return validate_boolean(key, self.raw.get(key, BOOLEAN_KEYS[key]))

    def number(self, key: str) -> int:
        return validate_number(key, self.raw.get(key, NUMBER_KEYS[key]))

    @property
    def on_migrate(self) -> bool:
        return self.boolean("ON_MIGRATE")

    @property
    def fast_path(self) -> bool:
        """COPY on PostgreSQL, executemany elsewhere (the default); off, bulk_create."""
        return self.boolean("FAST_PATH")

    @property
    def bulk_loads(self) -> bool:
        """Large loads rebuild secondary indexes (and, on PostgreSQL, foreign keys) once at the
        end of their step (the default); off, every row updates them as it lands."""
        return self.boolean("BULK_LOADS")

    @property
    def allow_production(self) -> bool:
        return self.boolean("ALLOW_PRODUCTION")

    @property
    def password(self) -> str | None:
        """The password seeded users get, when set; see ``passwords.seeded_password``."""
        return validate_password(self.raw.get("PASSWORD"))


seed_settings = SeedSettings()


def validate_mode(mode: object) -> str:
    if mode not in MODES:
        raise ConfigurationError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    return str(mode)


def validate_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def validate_boolean(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"MENTARA_SEED[{key!r}] must be True or False, got {value!r}")
    return value


def validate_number(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"MENTARA_SEED[{key!r}] must be a whole number of at least 0, got {value!r}"
        )
    return value


def validate_password(value: object) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigurationError(
            f"MENTARA_SEED['PASSWORD'] must be a non-empty string or None, got {value!r}"
        )
    return value


def settings_errors() -> list[tuple[str, str]]:
    """Every problem with ``MENTARA_SEED`` as (check id, message); empty when all is well. The
    system check lists them all; a run refuses to start on the first."""
    try:
        raw = seed_settings.raw
    except ConfigurationError as exc:
        return [("E001", str(exc))]
    errors: list[tuple[str, str]] = []
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        errors.append(
            (
                "E002",
                f"MENTARA_SEED has unknown key(s): {', '.join(sorted(map(str, unknown)))} "
                f"(known keys: {', '.join(sorted(KNOWN_KEYS))})",
            )
        )
    validations: list[tuple[str, Callable[[], object]]] = [
        ("E003", lambda: validate_mode(seed_settings.mode)),
        ("E004", lambda: validate_seed(seed_settings.seed)),
        ("E005", lambda: validate_positive_int("MENTARA_SEED['SCALE']", seed_settings.scale)),
        (
            "E006",
            lambda: validate_positive_int("MENTARA_SEED['BATCH_SIZE']", seed_settings.batch_size),
        ),
        *(("E010", functools.partial(seed_settings.boolean, key)) for key in BOOLEAN_KEYS),
        *(("E011", functools.partial(seed_settings.number, key)) for key in NUMBER_KEYS),
        ("E012", lambda: seed_settings.password),
        ("E013", lambda: validate_jobs(seed_settings.jobs, "MENTARA_SEED['JOBS']")),
    ]
    for code, validate in validations:
        try:
            validate()
        except ConfigurationError as exc:
            errors.append((code, str(exc)))
    return errors


def check_settings_types() -> None:
    """Refuse to run, in one line, with any setting of the wrong type or value."""
    errors = settings_errors()
    if errors:
        code, message = errors[0]
        more = f" ({len(errors) - 1} more: run manage.py check)" if len(errors) > 1 else ""
        raise ConfigurationError(f"{message} [mentara_seed.{code}]{more}")


def validate_jobs(value: object, name: str) -> int:
    from .jobs import validate_jobs as validate  # it imports the fill path

    return validate(value, name)


def validate_seed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"the seed must be a whole number, got {value!r}")
    return value


def parsed_overrides(raw: object) -> dict[str, dict[str, dict[str, int]]]:
    """``REQUIREMENTS`` validated for shape and numbers (labels are checked against the registry
    by the plan, which knows what is registered)."""
    if not isinstance(raw, dict):
        raise ConfigurationError(
            "MENTARA_SEED['REQUIREMENTS'] must be a dict of model label to requirements"
        )
    parsed: dict[str, dict[str, dict[str, int]]] = {}
    for label, requirements in raw.items():
        if not isinstance(requirements, dict):
            raise ConfigurationError(
                f"MENTARA_SEED['REQUIREMENTS'][{label!r}] must be a dict of requirement to count"
            )
        parsed[str(label)] = {
            str(name): parse_override(f"{label}.{name}", value)
            for name, value in requirements.items()
        }
    return parsed


def parse_iso_datetime(text: str) -> datetime:
    """An ISO-8601 date-time with a time zone (``Z`` included); anything else is one line.

    The one parser behind ``--now``, ``now="..."`` in the Python API and the pytest plugin's
    ``mentara_seed_now``, so all three accept and refuse the same text."""
    try:
        value = parse_datetime(text.removesuffix("Z") + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        value = None
    if value is None:
        raise ConfigurationError(
            f"expected an ISO-8601 date-time such as 2026-01-01T12:00:00Z, got {text!r}"
        )
    if value.tzinfo is None:
        raise ConfigurationError(
            f"{text!r} has no time zone; add one, for example 2026-01-01T12:00:00Z"
        )
    return value
