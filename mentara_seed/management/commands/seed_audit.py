"""manage.py seed_audit: read-only counts and gaps; --check fails when gaps exist."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from mentara_seed.exceptions import SeedingError
from mentara_seed.pipeline import audit
from mentara_seed.report import render_text

from ._options import SeedCommandMixin, add_common_arguments


class Command(SeedCommandMixin):
    help = "Report what the database holds against the seeding requirements. Writes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        add_common_arguments(parser)
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit with status 1 when any requirement has a gap (like makemigrations --check).",
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
        check: bool,
        **options: Any,
    ) -> None:
        try:
            report = audit(mode=mode, scale=scale, seed=seed, now=now, database=database)
        except SeedingError as exc:
            raise CommandError(str(exc)) from exc
        if format == "json":
            self.stdout.write(report.to_json())
        elif options["verbosity"] > 0:
            self.stdout.write(render_text(report, title="mentara-seed: audit"), ending="")
        if check and not report.satisfied:
            sys.exit(1)
