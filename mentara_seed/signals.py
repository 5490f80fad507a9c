"""Seed at the end of ``manage.py migrate`` when MENTARA_SEED["ON_MIGRATE"] is on and DEBUG is.

Modelled on ``django.contrib.sites.management.create_default_site``: it uses the database being
migrated, is quiet at verbosity 0, and is safe to run on every migrate. ``post_migrate`` is sent
once per app; the seeding runs once, on the signal for the last app, when every table exists.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from django.apps import AppConfig, apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, router

from .conf import seed_settings
from .exceptions import SeedingError
from .report import SeedReport, render_text


def last_migrated_app() -> AppConfig | None:
    # The order in which emit_post_migrate_signal sends the signal.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    return with_models[-1] if with_models else None


def summary(report: SeedReport) -> str:
    """One line, then the rows per model when any were added, so a newcomer sees what the
    migrate gave them (``migrate -v 2`` prints the whole report)."""
    added = sum(report.added.values())
    state = "satisfied" if report.satisfied else f"{len(report.remaining)} gaps remain"
    lines = [
        f"mentara-seed: {report.mode} mode on {report.database.alias}: added {added} rows "
        f"in {report.duration_s:.2f}s; {state}."
    ]
    if report.added:
        width = max(map(len, report.added))
        lines.extend(
            f"  {label:<{width}}  +{count} (now {report.counts.get(label, count)})"
            for label, count in report.added.items()
        )
        lines.append("  (the whole report: manage.py migrate -v 2)")
    return "\n".join(lines) + "\n"


def seed_after_migrate(
    sender: AppConfig,
    app_config: AppConfig | None = None,
    verbosity: int = 1,
    using: str = DEFAULT_DB_ALIAS,
    stdout: TextIO | None = None,
    **kwargs: Any,
) -> None:
    try:
        on_migrate = seed_settings.on_migrate
    except SeedingError as exc:
        # Only reached with --skip-checks (the system check refuses the setting first).
        if verbosity > 0:
            (stdout or sys.stdout).write(f"mentara-seed: seeding skipped: {exc}\n")
        return
    if not on_migrate or not settings.DEBUG:
        return
    if (app_config or sender) is not last_migrated_app():
        return
    from .pipeline import seed_database
    from .registry import site

    # A database the routers keep these models off (a replica, another app's store) is not ours.
    if not all(router.allow_migrate_model(using, seeder.model) for seeder in site):
        return

    stream = stdout or sys.stdout
    try:
        report = seed_database(database=using)
    except SeedingError as exc:
        # A migrate that unapplied migrations leaves tables missing: say so, never fail migrate.
        if verbosity > 0:
            stream.write(f"mentara-seed: seeding skipped: {exc}\n")
        return
    if verbosity >= 2:
        stream.write(render_text(report, verbosity=verbosity))
    elif verbosity == 1:
        stream.write(summary(report))
