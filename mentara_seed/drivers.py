"""A database driver that is not installed, said in one line.

Django raises ``ImproperlyConfigured`` (a message over two lines, with a traceback) the first time
a connection of a backend whose driver is missing is used; for the default database that is while
the models load, before any command runs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import load_backend

#: What to install for each backend's driver.
INSTALL_HINTS = {
    "django.db.backends.mysql": "install mysqlclient: pip install 'mentara-seed[mysql]'",
    "django.db.backends.postgresql": "install psycopg: pip install 'mentara-seed[postgres]'",
}


def driver_problem(alias: str) -> str | None:
    """One line naming the missing driver when the backend of database ``alias`` cannot load;
    None when it loads (or the alias is unknown: that is said elsewhere)."""
    engine = settings.DATABASES.get(alias, {}).get("ENGINE")
    if not engine:
        return None
    try:
        load_backend(engine)
    except ImproperlyConfigured as exc:
        reason = " ".join(str(exc).split())
        hint = INSTALL_HINTS.get(engine)
        return f"cannot load the database driver of {alias!r} ({engine}): {reason}" + (
            f"; {hint}" if hint else ""
        )
    return None
