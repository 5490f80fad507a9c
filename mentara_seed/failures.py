"""Faults during a run (a lost connection, Ctrl-C, a lock, a full disk, a missing permission, a
seeder's row that breaks a constraint) become one ``RunFailed`` line naming the database, the step,
what was rolled back and what was kept. The original exception stays chained for ``--traceback``.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

from django.apps import apps
from django.db import DatabaseError, IntegrityError

from .exceptions import SeedingError
from .report import DatabaseInfo

#: Exit statuses of a process stopped by SIGINT or SIGTERM, as a shell reports them.
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is, so its step rolls back like on Ctrl-C (a
    ``KeyboardInterrupt``, so psycopg cancels a running query the same way)."""


class RunFailed(SeedingError):
    """A run stopped by a fault; ``returncode`` is the exit status the commands use."""

    def __init__(self, message: str, returncode: int = 1) -> None:
        super().__init__(message)
        self.returncode = returncode


class WorkerFailed(Exception):
    """A ``--jobs`` worker process died (killed, out of memory) before returning its rows."""


#: What a run stops on and reports in one line: database errors, interruptions, lost workers.
FAULTS = (DatabaseError, KeyboardInterrupt, WorkerFailed)


@dataclass
class RunState:
    """Where a run is, for the line that reports a fault."""

    database: DatabaseInfo
    writes: bool
    #: The step being applied (its transaction is open), or None between steps.
    step: str | None = None
    #: Steps committed so far.
    kept: int = 0

    def failure(self, exc: BaseException) -> RunFailed:
        if isinstance(exc, Terminated):
            cause, returncode = "interrupted by SIGTERM", EXIT_SIGTERM
        elif isinstance(exc, KeyboardInterrupt):
            cause, returncode = "interrupted by SIGINT", EXIT_SIGINT
        else:
            cause, returncode = describe_database_error(exc), 1
        where = f"step {self.step}" if self.step else "the run"
        if not self.writes:
            outcome = "nothing was written"
        else:
            earlier = "earlier " if self.step else ""
            kept = f"{self.kept} {earlier}step{'' if self.kept == 1 else 's'}"
            kept += " was kept" if self.kept == 1 else " were kept"
            outcome = f"this step was rolled back, {kept}" if self.step else kept
        return RunFailed(
            f"{where} failed on database {self.database}: {cause}; {outcome}", returncode
        )


def describe_database_error(exc: BaseException) -> str:
    """The error's class and first line, with the model and constraint when the driver names
    them (PostgreSQL's diagnostics, SQLite's "constraint failed: table.column" text, the key or
    column MariaDB/MySQL name when it belongs to one model)."""
    text = str(exc).strip()
    first_line = text.splitlines()[0].strip() if text else ""
    summary = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    if not isinstance(exc, IntegrityError):
        return summary
    diag = getattr(exc.__cause__, "diag", None)
    table = getattr(diag, "table_name", None)
    constraint = getattr(diag, "constraint_name", None)
    if table is None:
        match = re.search(r"constraint failed: ([^.\s,]+)\.", first_line)
        table = match.group(1) if match else None
    model = model_for_table(table) if table else None
    if table is None and constraint is None:
        # MariaDB/MySQL name the key or the column, not the table: the model is named when that
        # name belongs to one model only.
        model, constraint = mysql_model_and_constraint(first_line)
    details = []
    if model or table:
        details.append(f"model {model or table}")
    if constraint:
        details.append(f"constraint {constraint}")
    return f"{summary} ({', '.join(details)})" if details else summary


def mysql_model_and_constraint(message: str) -> tuple[str | None, str | None]:
    duplicate = re.search(r"Duplicate entry .* for key '(?:[^'.]+\.)?([^']+)'", message)
    if duplicate:
        name = duplicate.group(1)
        owners = {
            model._meta.label
            for model in apps.get_models(include_auto_created=True)
            if any(getattr(c, "name", None) == name for c in model._meta.constraints)
            or any(f.unique and f.column == name for f in model._meta.local_concrete_fields)
        }
        return (owners.pop() if len(owners) == 1 else None), name
    null = re.search(r"Column '([^']+)' cannot be null", message)
    if null:
        owners = {
            model._meta.label
            for model in apps.get_models(include_auto_created=True)
            if any(f.column == null.group(1) and not f.null for f in model._meta.local_fields)
        }
        return (owners.pop() if len(owners) == 1 else None), None
    return None, None


def model_for_table(table: str) -> str | None:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return model._meta.label
    return None


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``Terminated`` instead of killing the process with
    no word, so the step in flight rolls back and the run says what was kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
