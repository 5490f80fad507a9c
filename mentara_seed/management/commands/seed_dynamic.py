"""manage.py seed_dynamic: audit, add exactly what is missing, verify, report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from mentara_seed.exceptions import SeedingError
from mentara_seed.pipeline import seed_database
from mentara_seed.report import render_text

from ._options import SeedCommandMixin, add_common_arguments


class Command(SeedCommandMixin):
    help = (
        "Audit the database against the seeding requirements, add only the missing rows, "
        "verify and report. Safe to run any number of times; never changes existing rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_common_arguments(parser)
        parser.add_argument(
            "--audit-only",
            action="store_true",
            help="Stop after the audit and the list of gaps; write nothing.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Work out what would be added, per model, and write nothing (rolled back).",
        )

    def handle(
        self,
        *,
        mode: str | None,
        scale: int | None,
        seed: int | None,
        now: datetime | None,
        database: str,
        format: str,
        audit_only: bool,
        dry_run: bool,
        **options: Any,
    ) -> str | None:
        try:
            report = seed_database(
                mode=mode,
                scale=scale,
                seed=seed,
                now=now,
                database=database,
                audit_only=audit_only,
                dry_run=dry_run,
            )
        except SeedingError as exc:
            raise CommandError(str(exc)) from exc
        if format == "json":
            self.stdout.write(report.to_json())
        elif options["verbosity"] > 0:
            self.stdout.write(render_text(report), ending="")
        if not report.satisfied:
            raise CommandError("requirements are not satisfied", returncode=1)
        return None
