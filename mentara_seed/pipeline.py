"""The pipeline: audit -> gaps -> fill -> verify -> report, behind ``seed()`` and ``audit()``."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .auditing import (
    AuditContext,
    Gap,
    Step,
    audit_step,
    audit_steps,
    count_totals,
    counted_models,
)
from .conf import (
    check_settings_types,
    parse_iso_datetime,
    parsed_overrides,
    seed_settings,
    validate_mode,
    validate_positive_int,
    validate_seed,
)
from .declarative_checks import raise_first_error
from .drivers import driver_problem
from .estimate import estimate_rows
from .exceptions import ConfigurationError, DatabaseNotReady, ProductionRefused, StrictFailure
from .failures import FAULTS, RunState
from .fill import FillContext
from .jobs import fill_in_parallel, validate_jobs
from .locking import run_lock
from .plan import build_steps
from .registry import SeedRegistry, site
from .report import DatabaseInfo, SeedReport, StepResult, step_warnings
from .validation import validate_registry

#: Later steps can change what earlier ones see (a new member needs posts); a further pass
#: picks that up. Two suffice for the shipped seeders; the cap stops a seeder that never converges.
#: The row cap's estimate simulates as many passes (``_check_estimate`` hands it this number).
MAX_PASSES = 3

ProgressCallback = Callable[[Step, int, int], None]
AnnounceCallback = Callable[[DatabaseInfo], None]


class _DryRunRollback(Exception):
    pass


def database_info(using: str) -> DatabaseInfo:
    connection = connections[using]
    return DatabaseInfo(
        alias=using, vendor=connection.vendor, name=str(connection.settings_dict.get("NAME"))
    )


def check_database(using: str) -> None:
    """Refuse an unknown alias, an unreachable server or unapplied migrations, in one line."""
    if using not in connections:
        known = ", ".join(connections) or "none"
        raise ConfigurationError(f"unknown database {using!r}; configured: {known}")
    problem = driver_problem(using)
    if problem:
        raise ConfigurationError(problem)
    connection = connections[using]
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseNotReady(
            f"cannot use database {using!r}: {first_line}; nothing was written"
        ) from exc
    if pending:
        raise DatabaseNotReady(
            f"database {using!r} has {len(pending)} unapplied migration(s); "
            "run manage.py migrate first"
        )


def _options(
    mode: str | None, scale: int | None, seed: int | None, now: datetime | str | None
) -> tuple[str, int, int, datetime]:
    mode = validate_mode(mode if mode is not None else seed_settings.mode)
    scale = validate_positive_int("scale", scale if scale is not None else seed_settings.scale)
    seed = validate_seed(seed if seed is not None else seed_settings.seed)
    if isinstance(now, str):
        try:
            now = parse_iso_datetime(now)
        except ConfigurationError as exc:
            raise ConfigurationError(f"now: {exc}") from None
    now = now if now is not None else timezone.now()
    if not isinstance(now, datetime):
        raise ConfigurationError(f"now must be a datetime, got {now!r}")
    if timezone.is_naive(now):
        raise ConfigurationError("now must be timezone-aware (for example 2026-01-01T00:00:00Z)")
    # Whole seconds: every generated time is an offset from now and databases differ below that.
    return mode, scale, seed, now.replace(microsecond=0)


#: The times each backend stores (Python's own datetime is the narrowest of SQLite's and
#: PostgreSQL's), with a day's margin for time zones.
TIME_LIMITS = {
    "mysql": (datetime(1000, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)),
}
PYTHON_TIME_LIMITS = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))


def check_time_span(steps: list[Step], now: datetime, vendor: str) -> None:
    """Refuse a ``now`` whose generated times would not fit the database: the oldest and newest
    offsets the seeders declare, and every requirement's time window."""
    oldest = min((step.seeder.time_span[0] for step in steps), default=timedelta(0))
    newest = max((step.seeder.time_span[1] for step in steps), default=timedelta(0))
    windows = [step.target.window_days for step in steps if step.target.window_days]
    if windows:
        oldest = min(oldest, -timedelta(days=max(windows)))
    low, high = TIME_LIMITS.get(vendor, PYTHON_TIME_LIMITS)
    # Compare as offsets from the limits: now + offset itself may overflow.
    if now - low < -oldest or high - now < newest:
        raise ConfigurationError(
            f"now {now.isoformat()} puts generated times outside what the database stores "
            f"({low.date()} to {high.date()}): the seeders write from {-oldest.days} days "
            f"before now to {newest.days} days after it"
        )


def prepare(
    *,
    mode: str | None,
    scale: int | None,
    seed: int | None,
    now: datetime | str | None,
    using: str,
    registry: SeedRegistry,
    jobs: int | str | None = None,
) -> tuple[list[Step], AuditContext, int, int]:
    """Validate everything, touching nothing; raise ``SeedingError`` on the first problem.
    Returns the steps, the audit context, the batch size and the number of workers."""
    check_settings_types()
    mode, scale, seed, now = _options(mode, scale, seed, now)
    workers = validate_jobs(jobs if jobs is not None else seed_settings.jobs)
    batch_size = validate_positive_int("BATCH_SIZE", seed_settings.batch_size)
    validate_registry(registry)
    raise_first_error(registry)
    steps = build_steps(
        registry, mode=mode, scale=scale, overrides=parsed_overrides(seed_settings.requirements)
    )
    check_database(using)
    check_time_span(steps, now, connections[using].vendor)
    raise_first_error(registry, using=using)
    if connections[using].vendor == "mysql":
        from .mysql import check_transactional

        check_transactional(using, counted_models(registry))
    return (
        steps,
        AuditContext(using=using, mode=mode, now=now, seed=seed, scale=scale),
        batch_size,
        workers,
    )


def audit(
    *,
    mode: str | None = None,
    scale: int | None = None,
    seed: int | None = None,
    now: datetime | str | None = None,
    database: str = DEFAULT_DB_ALIAS,
    registry: SeedRegistry = site,
) -> SeedReport:
    """Read-only: counts and gaps against the requirements of ``mode``."""
    return seed_database(
        mode=mode,
        scale=scale,
        seed=seed,
        now=now,
        database=database,
        registry=registry,
        audit_only=True,
    )


def seed_database(
    *,
    mode: str | None = None,
    scale: int | None = None,
    seed: int | None = None,
    now: datetime | str | None = None,
    database: str = DEFAULT_DB_ALIAS,
    registry: SeedRegistry = site,
    audit_only: bool = False,
    dry_run: bool = False,
    allow_production: bool = False,
    progress: ProgressCallback | None = None,
    announce: AnnounceCallback | None = None,
    strict: bool = False,
    jobs: int | str | None = None,
) -> SeedReport:
    """Audit, fill exactly what is missing, verify; see the README for the guarantees.

    Raises a ``SeedingError`` (and writes nothing) on bad options or settings, an unreachable or
    unmigrated database, or, when DEBUG is off, unless ``allow_production`` (or
    ``MENTARA_SEED["ALLOW_PRODUCTION"]``) says writing is intended. ``announce`` is called with
    the target database before the first write; ``progress`` before each fill step.
    With ``strict``, a run whose report has warnings (a step that left gaps it was asked to fill
    after its own pass) raises ``StrictFailure``, which carries the report; what was written
    stays. ``jobs`` (default ``MENTARA_SEED["JOBS"]``, else 1): worker processes that generate
    the rows of the steps whose fills are ``@parallel`` (a number, or ``"auto"`` for the cores);
    the data is the same for any number.
    """
    started = time.perf_counter()
    steps, ctx, batch_size, workers = prepare(
        mode=mode, scale=scale, seed=seed, now=now, using=database, registry=registry, jobs=jobs
    )
    writes = not (audit_only or dry_run)
    if writes and not settings.DEBUG and not (allow_production or seed_settings.allow_production):
        info = database_info(database)
        raise ProductionRefused(
            f"refusing to write to database {info} while DEBUG is off; pass --allow-production "
            "(or set MENTARA_SEED['ALLOW_PRODUCTION']) if this database is meant to be seeded"
        )
    report = SeedReport(
        mode=ctx.mode,
        scale=ctx.scale,
        seed=ctx.seed,
        now=ctx.now,
        database=database_info(database),
        audit_only=audit_only,
        dry_run=dry_run,
    )
    state = RunState(database=report.database, writes=writes)
    try:
        with _short_query_log(database), _sqlite_page_cache(database, writes):
            _run(steps, ctx, batch_size, report, registry, progress, announce, state, workers)
    except FAULTS as exc:
        raise state.failure(exc) from exc
    report.duration_s = time.perf_counter() - started
    if strict and report.warnings:
        raise StrictFailure(report)
    return report


def _run(
    steps: list[Step],
    ctx: AuditContext,
    batch_size: int,
    report: SeedReport,
    registry: SeedRegistry,
    progress: ProgressCallback | None,
    announce: AnnounceCallback | None,
    state: RunState,
    jobs: int = 1,
) -> None:
    database = ctx.using
    audit_only, dry_run = report.audit_only, report.dry_run
    _set_busy_timeout(database)
    # Audit-only runs read; every other run holds the database's seeding lock from the audit on.
    lock = contextlib.nullcontext() if audit_only else run_lock(database)
    with lock:
        report.counts_before = count_totals(registry, database)
        report.gaps = audit_steps(steps, ctx)
        if not audit_only:
            _check_estimate(steps, report.gaps, report.counts_before)
        if audit_only:
            report.counts = dict(report.counts_before)
        elif dry_run:
            try:
                with transaction.atomic(using=database):
                    _fill_and_verify(
                        steps, ctx, batch_size, report, registry, progress, state, jobs
                    )
                    raise _DryRunRollback
            except _DryRunRollback:
                pass
        elif any(gap.missing for gap in report.gaps):
            if announce:
                announce(report.database)
            _fill_and_verify(steps, ctx, batch_size, report, registry, progress, state, jobs)
        else:
            # Nothing to add (gaps left, if any, are above a maximum, which is never repaired).
            report.counts = dict(report.counts_before)
            report.remaining = list(report.gaps)


def _check_estimate(steps: list[Step], gaps: list[Gap], counts: dict[str, int]) -> None:
    cap = seed_settings.number("MAX_ROWS")
    estimate = estimate_rows(steps, gaps, counts, passes=MAX_PASSES)
    if estimate > cap:
        raise ConfigurationError(
            f"this run would add about {estimate:,} rows, more than MENTARA_SEED['MAX_ROWS'] "
            f"({cap:,}); lower --scale or raise the cap"
        )


#: SQLite's page cache while a run writes, in KiB (its default is 2 MiB): a build's index
#: updates then find their pages in memory instead of asking the OS for them again.
SQLITE_CACHE_KIB = 65536


@contextlib.contextmanager
def _sqlite_page_cache(using: str, writes: bool) -> Iterator[None]:
    """A larger page cache for the run on SQLite, the connection's own size given back after
    (the connection may be the caller's: a test's, a shell's)."""
    connection = connections[using]
    if not writes or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (size,) = cursor.fetchone()
        cursor.execute("PRAGMA page_size")
        (page_size,) = cursor.fetchone()
        # A negative size is in KiB, a positive one in pages; a cache already larger stays.
        raise_it = (-size if size < 0 else size * page_size // 1024) < SQLITE_CACHE_KIB
        if raise_it:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        # After a fault the connection may be gone, and its cache with it.
        if raise_it and connection.connection is not None:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {size}")


def _set_busy_timeout(using: str) -> None:
    """SQLite: wait for another process's write lock instead of failing at once."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {seed_settings.number('BUSY_TIMEOUT_MS')}")


def _fill_and_verify(
    steps: list[Step],
    actx: AuditContext,
    batch_size: int,
    report: SeedReport,
    registry: SeedRegistry,
    progress: ProgressCallback | None,
    state: RunState,
    jobs: int = 1,
) -> None:
    ctx = FillContext(
        using=actx.using,
        mode=actx.mode,
        now=actx.now,
        seed=actx.seed,
        batch_size=batch_size,
        fast_path=seed_settings.fast_path,
        bulk_loads=seed_settings.bulk_loads,
        registry=registry,
    )
    ctx.targets = {step.id: step.target for step in steps}
    ctx.jobs = jobs
    remaining = report.gaps
    with _rare_garbage_collection():
        for _ in range(MAX_PASSES):
            if not any(gap.missing for gap in remaining):
                break
            added_before = sum(ctx.added.values())
            this_pass: list[StepResult] = []
            for index, step in enumerate(steps):
                if progress:
                    progress(step, index, len(steps))
                state.step = step.id
                result = _apply_step_retrying(step, actx, ctx)
                state.step = None
                if result:
                    this_pass.append(result)
                    state.kept += 1
            remaining = audit_steps(steps, actx)
            report.steps.extend(_with_shortfalls(this_pass, remaining, ctx.shortfalls))
            if sum(ctx.added.values()) == added_before:
                break
    report.remaining = remaining
    report.warnings = step_warnings(report.steps)
    report.reasons = dict(ctx.shortfalls)
    report.added = dict(sorted(ctx.added.items()))
    report.counts = count_totals(registry, actx.using, written=report.added)


#: Queries of a run kept in the connection's log while DEBUG alone has Django log them.
QUERY_LOG_SIZE = 100


@contextlib.contextmanager
def _short_query_log(using: str) -> Iterator[None]:
    """With DEBUG on (the default of a development project), Django keeps the SQL of the last
    9,000 queries of a connection, parameters inlined: a run's reads by chunks of 500 keys and
    its batches made that log grow with the rows (tens of MB at heavy x50). While the run lasts
    the log keeps its last ``QUERY_LOG_SIZE`` queries, appended to the log as it was when the run
    ends. A log someone asked for (``CaptureQueriesContext``, ``assertNumQueries``: they force
    the debug cursor) is left whole."""
    connection = connections[using]
    if connection.force_debug_cursor or not connection.queries_logged:
        yield
        return
    kept = connection.queries_log
    connection.queries_log = collections.deque(maxlen=QUERY_LOG_SIZE)
    try:
        yield
    finally:
        kept.extend(connection.queries_log)
        connection.queries_log = kept


@contextlib.contextmanager
def _rare_garbage_collection() -> Iterator[None]:
    """A fill allocates millions of short-lived row tuples and dicts, none in a reference cycle;
    with the default thresholds the cycle collector keeps rescanning every live object (a tenth
    of a heavy build). Collect rarely while filling, as before afterwards."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


#: Rows added to a table before its planner statistics are refreshed.
ANALYZE_THRESHOLD = 500


def _refresh_statistics(using: str, added: dict[str, int]) -> None:
    """PostgreSQL plans the next audits from table statistics; after a bulk load they describe
    empty tables until autovacuum catches up, and a conditional audit can take seconds instead
    of milliseconds. ANALYZE is what a bulk load is expected to run. VACUUM with it also sets
    the tables' visibility maps, so counting by a key reads its index alone (the audits, the
    no-op re-run and the project's own queries), for about the cost of the ANALYZE; it runs
    after the step's commit, when no transaction encloses the run (not a caller's ``atomic``,
    nor a connection without autocommit). Not TRUNCATE: giving back empty pages at the end
    takes a lock every reader waits for."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    tables = [
        connection.ops.quote_name(apps.get_model(label)._meta.db_table)
        for label, count in sorted(added.items())
        if count >= ANALYZE_THRESHOLD
    ]
    if tables:
        with connection.cursor() as cursor:
            if connection.in_atomic_block or not connection.get_autocommit():
                cursor.execute(f"ANALYZE {', '.join(tables)}")
            else:
                cursor.execute(f"VACUUM (ANALYZE, TRUNCATE false) {', '.join(tables)}")


def _apply_step_retrying(step: Step, actx: AuditContext, ctx: FillContext) -> StepResult | None:
    """SQLite: a step that found the database locked by another process is retried whole (its
    transaction rolled back), from the same state, so the retry writes what the first try would
    have. Its transaction starts IMMEDIATE: a reader that later wants to write can be refused at
    once, whatever the busy timeout, when another process wrote in between."""
    connection = connections[actx.using]
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return _apply_step(step, actx, ctx)
    retries = seed_settings.number("LOCKED_RETRIES")
    connection.ensure_connection()
    mode = connection.transaction_mode
    connection.transaction_mode = "IMMEDIATE"
    attempt = 0
    try:
        while True:
            checkpoint = ctx.checkpoint()
            try:
                return _apply_step(step, actx, ctx)
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt >= retries:
                    raise
            ctx.restore(checkpoint)
            time.sleep(0.05 * 2**attempt)
            attempt += 1
    finally:
        connection.transaction_mode = mode


def _apply_step(step: Step, actx: AuditContext, ctx: FillContext) -> StepResult | None:
    started = time.perf_counter()
    workers = 0
    # Audit and fill under one transaction: a step lands whole or not at all.
    with transaction.atomic(using=actx.using), ctx.writing():
        gaps = [gap for gap in audit_step(step, actx) if gap.missing > 0]
        if not gaps:
            return None
        try:
            if step.requirement is None:
                ctx.begin_step(step, ordinal_start=gaps[0].current)
                step.seeder.create(ctx, gaps[0].missing)
            else:
                ctx.begin_step(step)
                workers = fill_in_parallel(step, ctx, gaps, ctx.jobs)
                if not workers:
                    step.seeder.fill(step.requirement, ctx, gaps)
            ctx.flush()
        except BaseException:
            ctx.discard()
            raise
    if not ctx.step_added:
        return None
    _refresh_statistics(actx.using, ctx.step_added)
    return StepResult(
        step_id=step.id,
        entities=len(gaps),
        added=dict(ctx.step_added),
        seconds=time.perf_counter() - started,
        fill_method="create" if step.requirement is None else step.requirement.fill_method,
        asked=frozenset(gap.pk for gap in gaps),
        workers=workers or 1,
    )


def _with_shortfalls(
    results: list[StepResult], remaining: list[Gap], explained: dict[tuple[str, Any], str]
) -> list[StepResult]:
    """The pass's step results with the entities each step was asked to fill that still lack
    rows at the end of the pass. Counts never go down within a run, so an entity short now was
    short right after its step: that step's seeder added too little per call, which the further
    passes would otherwise hide. Gaps the seeder explained (``ctx.shortfall``) are not its fault.
    Read from the pass's verify audit, so it costs no query."""
    short: dict[str, list[Gap]] = defaultdict(list)
    for gap in remaining:
        if gap.missing and (gap.step.id, gap.pk) not in explained:
            short[gap.step.id].append(gap)
    marked = []
    for result in results:
        left = [gap for gap in short.get(result.step_id, ()) if gap.pk in result.asked]
        marked.append(
            dataclasses.replace(
                result,
                short_entities=len(left),
                short_rows=sum(gap.missing for gap in left),
                asked=frozenset(),  # read: no key of an entity outlives its pass
            )
        )
    return marked
