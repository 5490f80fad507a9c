"""What seed_dynamic and seed_audit share: option parsing and turning errors into CommandError."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any, NoReturn

from django.core import checks
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from mentara_seed.conf import parse_iso_datetime
from mentara_seed.exceptions import ConfigurationError, SeedingError
from mentara_seed.failures import EXIT_SIGINT, EXIT_SIGTERM, Terminated, sigterm_as_interrupt
from mentara_seed.report import SeedReport, render_text
from mentara_seed.requirements import MODES


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def jobs_count(text: str) -> int:
    from mentara_seed.jobs import MAX_JOBS, validate_jobs

    try:
        return validate_jobs(text)
    except ConfigurationError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to {MAX_JOBS} or 'auto', got {text!r}"
        ) from None


def iso_datetime(text: str) -> datetime:
    try:
        return parse_iso_datetime(text)
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_common_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--mode",
        choices=MODES,
        default=None,
        help="Requirement table to meet (default: MENTARA_SEED['MODE'], else medium).",
    )
    parser.add_argument(
        "--scale",
        type=positive_int,
        default=None,
        help="Multiply the population minimums (not the per-entity ones) by K (default 1).",
    )
    parser.add_argument(
        "--seed",
        type=whole_number,
        default=None,
        help="Random seed; the same state, seed and --now give the same rows (default 0).",
    )
    parser.add_argument(
        "--now",
        type=iso_datetime,
        default=None,
        help="Reference time for generated timestamps, ISO-8601 with a zone (default: now).",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DB_ALIAS,
        help='Database alias to work on (default "default").',
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: the human report; json: one JSON object on stdout.",
    )


class SeedCommandMixin(BaseCommand):
    report_title = "mentara-seed: dynamic database seeding"

    # Argparse errors become CommandError (one line, exit 1), not a usage dump on exit 2, and
    # without Django's "Error: " prefix, which would follow "CommandError: ".
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: object) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str) -> NoReturn:
            raise CommandError(message)

        parser.error = error  # type: ignore[method-assign]
        return parser

    def check(
        self,
        app_configs: Any = None,
        tags: Any = None,
        display_num_errors: bool = False,
        include_deployment_checks: bool = False,
        fail_level: int = checks.ERROR,
        databases: Any = None,
    ) -> None:
        """The system checks Django runs before the command, failing in one line (the first
        error, and how many more ``manage.py check`` lists) instead of the full listing."""
        messages = checks.run_checks(
            app_configs=app_configs,
            tags=tags,
            include_deployment_checks=include_deployment_checks,
            databases=databases,
        )
        serious = [m for m in messages if m.level >= fail_level and not m.is_silenced()]
        if not serious:
            return
        first = serious[0]
        text = str(first.msg).strip().splitlines()[0] if str(first.msg).strip() else ""
        line = f"{text} ({first.id})" if first.id else text
        if len(serious) > 1:
            line += f" and {len(serious) - 1} more (manage.py check lists them all)"
        raise CommandError(line)

    def run_from_argv(self, argv: list[str]) -> None:
        # Django parses the arguments outside its own CommandError handling; without this, a
        # bad option would print a traceback instead of one line.
        try:
            super().run_from_argv(argv)
        except CommandError as exc:
            if "--traceback" in argv:
                raise
            self.stderr.write(f"CommandError: {exc}")
            sys.exit(exc.returncode)

    def execute(self, *args: Any, **options: Any) -> str | None:
        # Faults arrive as RunFailed (a SeedingError) from the pipeline; an interrupt outside a
        # run (while checking the database, say) wrote nothing.
        try:
            with sigterm_as_interrupt():
                return super().execute(*args, **options)
        except SeedingError as exc:
            raise CommandError(str(exc), returncode=getattr(exc, "returncode", 1)) from exc
        except KeyboardInterrupt as exc:
            returncode = EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
            raise CommandError("interrupted; nothing was written", returncode=returncode) from exc

    def render(self, report: SeedReport, format: str, verbosity: int) -> str:
        if format == "json":
            return report.to_json() + "\n"
        if verbosity == 0:
            return ""
        text = render_text(report, title=self.report_title, verbosity=verbosity)
        return text.replace("Satisfied: Yes", self.style.SUCCESS("Satisfied: Yes")).replace(
            "Satisfied: No", self.style.ERROR("Satisfied: No")
        )
