"""manage.py seed_audit: read-only counts and gaps; --check fails when gaps exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from mentara_seed.pipeline import audit

from ._options import SeedCommandMixin, add_common_arguments


class Command(SeedCommandMixin):
    help = "Report what the database holds against the seeding requirements. Writes nothing."
    report_title = "mentara-seed: audit"

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
        verbosity: int,
        **options: Any,
    ) -> str:
        report = audit(mode=mode, scale=scale, seed=seed, now=now, database=database)
        output = self.render(report, format, verbosity)
        if check and not report.satisfied:
            self.stdout.write(output, ending="")
            raise CommandError("the database has gaps (seed_audit --check)", returncode=1)
        return output
