"""manage.py seed_dynamic: audit, add exactly what is missing, verify, report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from mentara_seed.exceptions import StrictFailure
from mentara_seed.pipeline import seed_database
from mentara_seed.progress import ProgressBar, stream_is_terminal
from mentara_seed.report import DatabaseInfo

from ._options import SeedCommandMixin, add_common_arguments, jobs_count


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
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Write even though DEBUG is off (refused otherwise).",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Fail (exit 1) when the report has warnings, such as a step that left gaps it "
            "was asked to fill after its own pass; what was written stays.",
        )
        parser.add_argument(
            "--jobs",
            type=jobs_count,
            default=None,
            help="Worker processes generating rows, 1 to 64, or 'auto' for this machine's cores "
            "(default: MENTARA_SEED['JOBS'], else 1); the data is the same for any number.",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="No progress bar on stderr (it is shown only on a terminal, and not at -v 0).",
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
        allow_production: bool,
        no_progress: bool,
        verbosity: int,
        strict: bool = False,
        jobs: int | None = None,
        **options: Any,
    ) -> str:
        show_progress = not no_progress and verbosity > 0 and stream_is_terminal(self.stderr)
        bar = ProgressBar(self.stderr) if show_progress else None

        def announce(info: DatabaseInfo) -> None:
            if verbosity > 0:
                self.stderr.write(f"Seeding database {info}")

        try:
            report = seed_database(
                mode=mode,
                scale=scale,
                seed=seed,
                now=now,
                database=database,
                audit_only=audit_only,
                dry_run=dry_run,
                allow_production=allow_production,
                progress=bar,
                announce=announce,
                strict=strict,
                jobs=jobs,
            )
        except StrictFailure as exc:
            self.stdout.write(self.render(exc.report, format, verbosity), ending="")
            raise CommandError(str(exc)) from exc
        finally:
            if bar:
                bar.close()
        output = self.render(report, format, verbosity)
        if not report.satisfied:
            self.stdout.write(output, ending="")
            raise CommandError("requirements are not satisfied", returncode=1)
        # Returned, not written: BaseCommand.execute prints it, and call_command returns it.
        return output
