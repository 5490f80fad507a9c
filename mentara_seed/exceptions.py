"""One base class for everything mentara-seed raises on purpose."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .report import SeedReport


class SeedingError(Exception):
    """Base class: catch this to handle any mentara-seed failure."""


class ConfigurationError(SeedingError):
    """The settings, an override or a command option is invalid; nothing was written."""


class AlreadyRegistered(SeedingError):
    """A model was registered twice."""


class NotRegistered(SeedingError):
    """A model has no registered seeder."""


class DatabaseNotReady(SeedingError):
    """The database cannot be seeded as it is (for example, migrations are not applied)."""


class ProductionRefused(SeedingError):
    """DEBUG is off and writing was not explicitly allowed."""


class StrictFailure(SeedingError):
    """``strict=True`` (``--strict``) and the run reported warnings; ``report`` is its report.
    The rows written stay: the run itself completed."""

    def __init__(self, report: SeedReport) -> None:
        self.report = report
        count = len(report.warnings)
        super().__init__(
            f"strict: {count} warning{'' if count == 1 else 's'}: {report.warnings[0]}"
        )
