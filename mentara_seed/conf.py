"""The ``MENTARA_SEED`` settings dict, read on every access so ``override_settings`` works."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings as django_settings
from django.utils.dateparse import parse_datetime

from .exceptions import ConfigurationError
from .requirements import DEFAULT_MODE, MODES, parse_override

KNOWN_KEYS = frozenset(
    {
        "MODE",
        "SEED",
        "SCALE",
        "BATCH_SIZE",
        "REQUIREMENTS",
        "ON_MIGRATE",
        "ALLOW_PRODUCTION",
        "FAST_PATH",
        "BULK_LOADS",
    }
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
    def requirements(self) -> dict[str, dict[str, Any]]:
        return self.raw.get("REQUIREMENTS", {})

    @property
    def on_migrate(self) -> bool:
        return bool(self.raw.get("ON_MIGRATE", False))

    @property
    def fast_path(self) -> bool:
        """COPY on PostgreSQL, executemany elsewhere (the default); off, bulk_create."""
        return bool(self.raw.get("FAST_PATH", True))

    @property
    def bulk_loads(self) -> bool:
        """Large loads rebuild secondary indexes (and, on PostgreSQL, foreign keys) once at the
        end of their step (the default); off, every row updates them as it lands."""
        return bool(self.raw.get("BULK_LOADS", True))

    @property
    def allow_production(self) -> bool:
        return bool(self.raw.get("ALLOW_PRODUCTION", False))


seed_settings = SeedSettings()


def validate_mode(mode: object) -> str:
    if mode not in MODES:
        raise ConfigurationError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    return str(mode)


def validate_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


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
