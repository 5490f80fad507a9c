"""mentara-seed: keep a Django database stocked with realistic, related data.

The public API, importable once Django is set up::

    from mentara_seed import Levels, Requirement, Seeder, register   # in an app's seeding.py
    report = mentara_seed.seed(mode="light")                        # or audit(...)

Names are resolved lazily so that listing ``mentara_seed`` in INSTALLED_APPS imports nothing
that needs the app registry.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auditing import AuditContext, Gap
    from .distributions import Distribution, LongTail, Uniform
    from .exceptions import (
        AlreadyRegistered,
        ConfigurationError,
        DatabaseNotReady,
        NotRegistered,
        SeedingError,
        StrictFailure,
    )
    from .failures import RunFailed
    from .fill import FillContext
    from .jobs import parallel
    from .ordering import CodePointOrder
    from .passwords import seeded_password
    from .pipeline import audit, seed_database
    from .registry import Seeder, SeedRegistry, register, site
    from .report import SeedReport
    from .requirements import Levels, Requirement
    from .values import Fake, Weighted

    seed = seed_database

_EXPORTS = {
    "AuditContext": "auditing",
    "Gap": "auditing",
    "Distribution": "distributions",
    "LongTail": "distributions",
    "Uniform": "distributions",
    "AlreadyRegistered": "exceptions",
    "ConfigurationError": "exceptions",
    "DatabaseNotReady": "exceptions",
    "NotRegistered": "exceptions",
    "SeedingError": "exceptions",
    "RunFailed": "failures",
    "StrictFailure": "exceptions",
    "FillContext": "fill",
    "CodePointOrder": "ordering",
    "parallel": "jobs",
    "seeded_password": "passwords",
    "audit": "pipeline",
    "seed_database": "pipeline",
    "SeedRegistry": "registry",
    "Seeder": "registry",
    "register": "registry",
    "site": "registry",
    "SeedReport": "report",
    "Levels": "requirements",
    "Requirement": "requirements",
    "Fake": "values",
    "Weighted": "values",
}

__all__ = [
    "AlreadyRegistered",
    "AuditContext",
    "CodePointOrder",
    "ConfigurationError",
    "DatabaseNotReady",
    "Distribution",
    "Fake",
    "FillContext",
    "Gap",
    "Levels",
    "LongTail",
    "NotRegistered",
    "Requirement",
    "RunFailed",
    "SeedRegistry",
    "SeedReport",
    "Seeder",
    "SeedingError",
    "StrictFailure",
    "Uniform",
    "Weighted",
    "audit",
    "parallel",
    "register",
    "seed",
    "seed_database",
    "seeded_password",
    "site",
]


def __getattr__(name: str) -> Any:
    if name == "seed":
        name = "seed_database"
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mentara_seed' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
