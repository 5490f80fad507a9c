"""One base class for everything mentara-seed raises on purpose."""


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
