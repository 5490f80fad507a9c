"""Bulk loads: a large first write into a table, in a step's own transaction, skips the per-row
upkeep a database can do once for the whole load before the step commits.

- PostgreSQL (``PostgresBulkLoads``, the default): the foreign keys' per-row triggers are skipped
  while our COPY streams the table, and before the commit one statement per key locks the rows
  its new rows reference and counts the values that found none (an anti-join names one only
  then). Indexes stay: dropping one takes ACCESS EXCLUSIVE, which would make every reader of
  the table wait for the step.
- PostgreSQL with ``EXCLUSIVE_BULK_LOADS`` (``PostgresRebuildingBulkLoads``), and SQLite: the
  table's secondary indexes (and on PostgreSQL its foreign keys) are dropped and rebuilt, with
  their exact definitions, before the step commits, as PostgreSQL's "Populating a Database"
  advises: one sort per index instead of a btree insert per row.
- MariaDB and MySQL (``mysql.MysqlBulkLoads``): per-row foreign-key checks off for the step, all
  of a table's keys checked in one pass over its new rows before it commits.

Everything happens inside the step's transaction, so a failing step (or a row that breaks a
foreign key) rolls back whatever the load changed with its rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, IntegrityError, connections, transaction

logger = logging.getLogger(__name__)


@dataclass
class BulkLoad:
    table: str
    #: CREATE INDEX statements of the dropped indexes.
    indexes: list[str] = field(default_factory=list)
    #: (name, definition) of the dropped foreign keys.
    constraints: list[tuple[str, str]] = field(default_factory=list)
    #: Statements (with their parameters) that restore what the CREATE and ADD statements do
    #: not carry: comments, CLUSTER ON, tablespaces; run after them.
    restore: list[tuple[str, list[Any]]] = field(default_factory=list)


class BulkLoads:
    """One step's bulk loads on one database: which tables it wrote, which of them became bulk
    loads, and what to rebuild before it commits. Backends without support load row by row."""

    #: A first write of at least this many rows into a table makes it a bulk load...
    min_rows = 5000
    #: ...unless the table already holds more than this many times as many rows (rebuilding an
    #: index or validating a constraint reads the whole table).
    max_ratio = 20

    def __init__(self, using: str, before_statement: Callable[[], None] = lambda: None) -> None:
        self.using = using
        #: Called before any statement of ours (the writer ends an open COPY).
        self.before_statement = before_statement
        self._written: set[str] = set()
        #: Written tables whose foreign-key triggers fire per row (and leave checks pending).
        self._checked_per_row: set[str] = set()
        self._loads: list[BulkLoad] = []

    def before_first_write(self, table: str, rows: int) -> None:
        """Called before every write; the first write of a table in a step decides."""
        if table in self._written:
            return
        self._written.add(table)
        # Only in a transaction of the step's own: in a dry run or a test's transaction, earlier
        # statements may have left checks pending, which forbid dropping anything.
        if rows >= self.min_rows and len(connections[self.using].atomic_blocks) == 1:
            self.before_statement()
            if self._begin(table, rows):
                return
        self._checked_per_row.add(table)

    def finish(self) -> None:
        """Rebuild what this step's loads dropped: indexes first, then foreign keys (a row that
        does not match fails the step, as the deferred per-row check would have at commit)."""
        loads = self._loads
        self.reset()
        if not loads:
            return
        self.before_statement()
        quote = connections[self.using].ops.quote_name
        with connections[self.using].cursor() as cursor:
            for load in loads:
                for statement in load.indexes:
                    cursor.execute(statement)
                if load.constraints:
                    clauses = ", ".join(
                        f"ADD CONSTRAINT {quote(name)} {definition}"
                        for name, definition in load.constraints
                    )
                    cursor.execute(f"ALTER TABLE {quote(load.table)} {clauses}")
                for statement, params in load.restore:
                    cursor.execute(statement, params)

    def reset(self) -> None:
        """Forget the step (its transaction is committing or rolling back)."""
        self._written.clear()
        self._checked_per_row.clear()
        self._loads = []

    @contextlib.contextmanager
    def _lock_timeout(self, cursor: Any) -> Iterator[None]:
        """While the drops wait for their locks (nothing by default)."""
        yield

    def before_stream(self, table: str) -> None:
        """The writer is about to stream rows into ``table`` (nothing to do by default)."""

    def _begin(self, table: str, rows: int) -> bool:
        """Drop what a bulk load of ``table`` rebuilds, when that pays and is safe; return
        whether the table is left without per-row checks."""
        return False

    def _holds_too_many(self, cursor: Any, table: str, rows: int) -> bool:
        """Whether ``table`` already holds more than ``max_ratio`` times ``rows`` (counting
        stops at the limit: a large table costs no more than a small one)."""
        limit = rows * self.max_ratio
        quote = connections[self.using].ops.quote_name
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {quote(table)} LIMIT %s) AS counted",
            [limit + 1],
        )
        return cursor.fetchone()[0] > limit

    def _drop(self, load: BulkLoad, statements: list[str]) -> bool:
        if not statements:
            return True
        try:
            # A savepoint: a refusal (not the table's owner, a lock timeout, a pending trigger
            # of the seeder's own) leaves the step's transaction usable, with per-row checks.
            connection = connections[self.using]
            with (
                transaction.atomic(using=self.using),
                connection.cursor() as cursor,
                self._lock_timeout(cursor),
            ):
                for statement in statements:
                    cursor.execute(statement)
        except DatabaseError as exc:
            logger.info("loading %s with per-row checks: %s", load.table, exc)
            return False
        self._loads.append(load)
        return True


class PostgresRebuildingBulkLoads(BulkLoads):
    """``EXCLUSIVE_BULK_LOADS``: the table's secondary indexes and foreign keys dropped and
    rebuilt. Faster than keeping the indexes, but DROP INDEX and DROP CONSTRAINT hold ACCESS
    EXCLUSIVE locks on the table (and the tables it references) until the step commits: every
    other session's reads of them wait that long. For a database nobody else uses meanwhile."""

    @contextlib.contextmanager
    def _lock_timeout(self, cursor: Any) -> Iterator[None]:
        """The drops take ACCESS EXCLUSIVE locks; waiting for one (behind a session idle in a
        transaction, say) would make every later reader of the table queue behind the request.
        Give up after LOCK_TIMEOUT_MS instead (the step then loads with per-row upkeep)."""
        from .conf import seed_settings

        timeout = seed_settings.number("LOCK_TIMEOUT_MS")
        cursor.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
            [f"{timeout}ms"],
        )
        previous = cursor.fetchone()[0]
        yield
        # Only after success: a failure rolls the savepoint, and this setting with it, back.
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])

    def _begin(self, table: str, rows: int) -> bool:
        quote = connections[self.using].ops.quote_name
        with connections[self.using].cursor() as cursor:
            cursor.execute(_POSTGRES_BULK_LOAD_SQL, [quote(table)])
            existing, other_deferred, *found = cursor.fetchone()
        indexes, keys = (json.loads(x) if isinstance(x, str) else x for x in found)
        if (
            existing > rows * self.max_ratio
            or other_deferred  # its pending events would forbid rebuilding
            or not all(droppable for _n, _d, _p, droppable, _defers, _c in keys)
            # What CREATE INDEX cannot say and we do not restore: keep those indexes as they are.
            or not all(restorable for *_i, restorable in indexes)
            # A parent written row by row in this step may have left checks pending, which
            # forbid dropping a constraint to it: only a parent whose inserts defer any can.
            or {parent.strip('"') for _n, _d, parent, _ok, defers, _c in keys if defers}
            & self._checked_per_row
        ):
            return False
        load = BulkLoad(table)
        for name, relname, statement, tablespace, comment, clustered, _ok in indexes:
            # As pg_dump does: the index goes where default_tablespace says, set per index.
            load.indexes.append(
                f"SELECT set_config('default_tablespace', {_literal(tablespace or '')}, true)"
            )
            load.indexes.append(statement)
            if comment is not None:
                load.restore.append((f"COMMENT ON INDEX {name} IS %s", [comment]))
            if clustered:
                load.restore.append((f"ALTER TABLE {quote(table)} CLUSTER ON {quote(relname)}", []))
        if load.indexes:
            load.indexes.append("SELECT set_config('default_tablespace', '', true)")
        for name, definition, _parent, _ok, _defers, comment in keys:
            load.constraints.append((name, definition))
            if comment is not None:
                load.restore.append(
                    (f"COMMENT ON CONSTRAINT {quote(name)} ON {quote(table)} IS %s", [comment])
                )
        drops = [f"DROP INDEX {name}" for name, *_rest in indexes]
        if load.constraints:
            clauses = ", ".join(f"DROP CONSTRAINT {quote(n)}" for n, _d in load.constraints)
            drops.append(f"ALTER TABLE {quote(table)} {clauses}")
        return self._drop(load, drops)


class PostgresBulkLoads(BulkLoads):
    """Bulk loads that take no lock a reader waits for: indexes stay in place (dropping one, or a
    foreign key, takes ACCESS EXCLUSIVE, which queues every later reader of the table behind the
    step), and only the foreign keys' per-row triggers are skipped.

    While our own COPY streams a table of the load, the transaction runs with
    ``session_replication_role = replica``, which fires no ordinary trigger: only where the role
    may set it (a superuser, or ``GRANT SET ON PARAMETER``) and where the table has no trigger
    or rule but its own foreign-key checks, so nothing else is skipped. Any other statement
    first puts the role back (a seeder's ORM write is checked per row as usual). Before the step
    commits, one statement per foreign key reads the distinct values of the rows the load wrote
    and locks the rows they reference ``FOR KEY SHARE``, once each, as the per-row checks lock
    them: a concurrent DELETE cannot remove a parent of a row that is about to commit. As many
    rows locked as values means every value found its row, locked in the same statement that
    found it (as the per-row check does): nothing else to read. Rows this transaction wrote
    itself are counted, not locked (no one else can see them). Only when the numbers differ
    does an anti-join look for the value that references nothing, to fail the step naming it;
    if there is none (another session committed the row in between), the rows are locked again.

    Nothing here takes a table lock beyond the rows' own (``ROW EXCLUSIVE``, and ``ROW SHARE``
    on the referenced tables), so no SELECT, and no INSERT or UPDATE, ever queues behind it.
    """

    #: How many times in all a key's check locks its referenced rows before the step fails,
    #: when each time a referenced row turned up (another session committed it) between the
    #: lock and the anti-join.
    max_check_rounds = 3
    #: work_mem of the end-of-step checks.
    check_work_mem = "32MB"

    def __init__(self, using: str, before_statement: Callable[[], None] = lambda: None) -> None:
        super().__init__(using, before_statement)
        #: Tables of this step's loads -> their foreign keys, as (name, column, referenced table
        #: as SQL, referenced column, "ONLY " or "").
        self._unchecked: dict[str, list[tuple[str, str, str, str, str]]] = {}
        #: Rows the writer sent to each table in this step, whatever the role.
        self._rows: dict[str, int] = {}
        #: Whether the transaction runs as replica now (our COPY of an unchecked table).
        self._replica = False
        self._may_set_role: bool | None = None
        self._setting_role = False

    def before_first_write(self, table: str, rows: int) -> None:
        self._rows[table] = self._rows.get(table, 0) + rows
        super().before_first_write(table, rows)

    def before_stream(self, table: str) -> None:
        """Our COPY into ``table`` is about to start: per-row foreign-key triggers off for it
        when it is one of the step's loads, on otherwise."""
        connection = connections[self.using]
        # Rows written inside a savepoint would carry the savepoint's transaction id, which the
        # check at the end of the step does not look for: those keep per-row checks.
        self._set_replica(table in self._unchecked and len(connection.atomic_blocks) == 1)

    def _begin(self, table: str, rows: int) -> bool:
        if not self._role_settable():
            return False
        quote = connections[self.using].ops.quote_name
        with connections[self.using].cursor() as cursor:
            cursor.execute(_POSTGRES_TRIGGER_SKIP_SQL, [quote(table)])
            existing, only_own_checks, keys = cursor.fetchone()
        keys = json.loads(keys) if isinstance(keys, str) else keys
        if existing > rows * self.max_ratio or not only_own_checks or not keys:
            return False
        if not all(single and validated for *_key, single, validated in keys):
            return False
        if not self._unchecked:
            connections[self.using].execute_wrappers.insert(0, self._checked_statement)
        self._unchecked[table] = [tuple(key[:5]) for key in keys]
        return True

    def _role_settable(self) -> bool:
        if self._may_set_role is None:
            with connections[self.using].cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('is_superuser') = 'on'"
                    " OR (current_setting('server_version_num')::int >= 150000"
                    " AND has_parameter_privilege('session_replication_role', 'SET'))"
                )
                self._may_set_role = bool(cursor.fetchone()[0])
        return self._may_set_role

    def _set_replica(self, replica: bool) -> None:
        if replica == self._replica:
            return
        self.before_statement()
        self._replica = replica
        self._setting_role = True  # past _checked_statement
        try:
            with connections[self.using].cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('session_replication_role', %s, true)",
                    ["replica" if replica else "origin"],
                )
        finally:
            self._setting_role = False

    def _checked_statement(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        """Every statement but our COPY runs with the triggers on."""
        if not self._setting_role:
            self._set_replica(False)
        return execute(sql, params, many, context)

    def finish(self) -> None:
        """Check every row the loads wrote: lock its referenced rows, and make sure each value
        found one (a value that references nothing fails the step, as the per-row check would
        have at commit)."""
        unchecked = self._unchecked
        if not unchecked:
            self.reset()
            return
        try:
            self._set_replica(False)
            with connections[self.using].cursor() as cursor, self._work_mem(cursor):
                cursor.execute("SELECT pg_current_xact_id()::text")
                xid = str(int(cursor.fetchone()[0]) % 2**32)
                # The tables this step wrote, named as the keys name their parents: only in
                # those can a parent row be ours (an xmin is 32 bits: after wraparound a frozen
                # row elsewhere may show our id, and must be locked all the same).
                quote = connections[self.using].ops.quote_name
                cursor.execute(
                    "SELECT coalesce(array_agg(t::regclass::text), '{}') FROM unnest(%s::text[]) t",
                    [[quote(table) for table in self._rows]],
                )
                written = frozenset(cursor.fetchone()[0])
                for table, keys in sorted(unchecked.items()):
                    self._check_table(cursor, table, keys, xid, written)
        finally:
            self.reset()

    @contextlib.contextmanager
    def _work_mem(self, cursor: Any) -> Iterator[None]:
        """The checks gather each key's distinct values (as many as the load's rows) in one
        hash or sort: with the default 4 MB they spill to disk past about 50,000. They run
        with ``check_work_mem`` (unless the connection's is larger), the connection's own
        setting given back after them."""
        cursor.execute(
            "SELECT current_setting('work_mem'), set_config('work_mem', CASE"
            " WHEN pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%s)"
            " THEN %s ELSE current_setting('work_mem') END, true)",
            [self.check_work_mem, self.check_work_mem],
        )
        previous = cursor.fetchone()[0]
        yield
        # Not after a failure: the step's transaction rolls back, and this setting with it.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [previous])

    def _check_table(
        self,
        cursor: Any,
        table: str,
        keys: list[tuple[str, str, str, str, str]],
        xid: str,
        written: frozenset[str],
    ) -> None:
        # The load's rows are the table's rows this transaction wrote (their xmin is its id)
        # when their number is the number the writer sent; anything else (rows written in a
        # savepoint, or by other means) checks them all. The first key's statement counts them.
        ours = True
        for index, key in enumerate(keys):
            # Parent rows this transaction wrote need no lock (see _lock_referenced).
            own = xid if key[2] in written else None
            rows, values, locked = self._lock_referenced(cursor, table, key, xid, own, ours=ours)
            if index == 0 and rows != self._rows.get(table):
                ours = False
                rows, values, locked = self._lock_referenced(
                    cursor, table, key, xid, own, ours=ours
                )
            rounds = 0
            while True:
                if locked != values:
                    locked += self._count_own_parents(cursor, table, key, xid, own, ours=ours)
                if locked == values:
                    break
                self._name_dangling(cursor, table, key, xid, ours=ours)
                # Every value references a row now, but one was not there to lock: another
                # session committed it in between. Lock again (it may be deleted meanwhile).
                rounds += 1
                if rounds == self.max_check_rounds:
                    name, column, parent, *_rest = key
                    raise IntegrityError(
                        f"foreign key {name}: the rows of {parent} that {table}.{column}"
                        " references kept changing while they were checked"
                    )
                _rows, values, locked = self._lock_referenced(
                    cursor, table, key, xid, own, ours=ours
                )

    def _name_dangling(
        self,
        cursor: Any,
        table: str,
        key: tuple[str, str, str, str, str],
        xid: str,
        *,
        ours: bool,
    ) -> None:
        """The anti-join: raise IntegrityError naming a value that references nothing."""
        name, column, parent, parent_column, only = key
        quote = connections[self.using].ops.quote_name
        where, params = ("c.xmin = %s::xid", [xid]) if ours else ("", [])
        check_references(
            cursor,
            quote,
            name=name,
            table=table,
            column=column,
            parent=parent,
            parent_column=parent_column,
            child_from=f"ONLY {quote(table)}",
            parent_from=f"{only}{parent}",
            where=where,
            params=params,
        )

    def _lock_referenced(
        self,
        cursor: Any,
        table: str,
        key: tuple[str, str, str, str, str],
        xid: str,
        own: str | None,
        *,
        ours: bool,
    ) -> tuple[int, int, int]:
        """One pass over the load's rows of ``table`` (``ours``: those with this transaction's
        id, else all of them) and one probe of the parent per distinct value: lock ``FOR KEY
        SHARE`` each referenced row that another transaction wrote, and return (rows, distinct
        non-null values, rows locked). Values == locked means every value references a row, each
        locked until the commit: no anti-join needed. The values are sorted: the parent's index
        and rows (written in key order, mostly) are then visited in order, each page once, where
        a hash's order would read and dirty them at random (at heavy x50 the parent outgrows
        the default shared_buffers and the random order evicts pages it needs again).

        A parent row this transaction wrote is not locked: no other transaction sees it, so none
        can delete it or change its key (a version of ours that replaced a committed row holds
        that row's lock already). The per-row checks would lock it for nothing. ``own`` is our
        id when the parent is a table this step wrote, else None: every referenced row is
        locked (an xmin is 32 bits, and a frozen row may show our id after wraparound; in a
        table the step wrote such a row would still go unlocked, a window of one transaction
        in 2^32)."""
        _name, column, parent, parent_column, only = key
        quote = connections[self.using].ops.quote_name
        restrict, params = (" WHERE c.xmin = %s::xid", [xid]) if ours else ("", [])
        theirs, own_params = (" WHERE p.xmin <> %s::xid", [own]) if own else ("", [])
        cursor.execute(
            f"WITH keys AS MATERIALIZED (SELECT c.{quote(column)} AS k, count(*) AS n"
            f" FROM ONLY {quote(table)} c{restrict} GROUP BY c.{quote(column)} ORDER BY 1),"
            f" locked AS (SELECT 1 FROM keys JOIN {only}{parent} p"
            f" ON p.{quote(parent_column)} = keys.k{theirs} FOR KEY SHARE OF p)"
            f" SELECT (SELECT coalesce(sum(n), 0) FROM keys), (SELECT count(k) FROM keys),"
            f" (SELECT count(*) FROM locked)",
            [*params, *own_params],
        )
        rows, values, locked = cursor.fetchone()
        return int(rows), int(values), int(locked)

    def _count_own_parents(
        self,
        cursor: Any,
        table: str,
        key: tuple[str, str, str, str, str],
        xid: str,
        own: str | None,
        *,
        ours: bool,
    ) -> int:
        """How many distinct values of the load's rows reference a row this transaction
        wrote (which ``_lock_referenced`` leaves unlocked; none when ``own`` is None)."""
        if own is None:
            return 0
        _name, column, parent, parent_column, only = key
        quote = connections[self.using].ops.quote_name
        restrict, params = (" AND c.xmin = %s::xid", [xid]) if ours else ("", [])
        cursor.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT c.{quote(column)} AS k"
            f" FROM ONLY {quote(table)} c WHERE c.{quote(column)} IS NOT NULL{restrict}) keys"
            f" JOIN {only}{parent} p ON p.{quote(parent_column)} = keys.k"
            f" WHERE p.xmin = %s::xid",
            [*params, own],
        )
        return int(cursor.fetchone()[0])

    def reset(self) -> None:
        """Forget the step. The role was set for the transaction only (``SET LOCAL``): a
        rollback puts it back, and ``finish`` did before the commit."""
        if self._unchecked:
            with contextlib.suppress(ValueError):
                connections[self.using].execute_wrappers.remove(self._checked_statement)
        self._unchecked = {}
        self._rows = {}
        self._replica = False
        super().reset()


def check_references(
    cursor: Any,
    quote: Callable[[str], str],
    *,
    name: str,
    table: str,
    column: str,
    parent: str,
    parent_column: str,
    child_from: str,
    parent_from: str,
    where: str = "",
    params: Sequence[Any] = (),
) -> None:
    """One anti-join: raise IntegrityError, as the per-row check would have, naming a row of
    ``table`` (those ``where`` selects, as ``c``) whose ``column`` references no row of
    ``parent``."""
    restrict = f" AND {where}" if where else ""
    cursor.execute(
        f"SELECT c.{quote(column)} FROM {child_from} c"
        f" WHERE c.{quote(column)} IS NOT NULL{restrict} AND NOT EXISTS"
        f" (SELECT 1 FROM {parent_from} p"
        f" WHERE p.{quote(parent_column)} = c.{quote(column)}) LIMIT 1",
        list(params),
    )
    dangling = cursor.fetchone()
    if dangling is not None:
        raise IntegrityError(
            f"foreign key {name}: {table}.{column} = {dangling[0]!r} references no row of {parent}"
        )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class SqliteBulkLoads(BulkLoads):
    """SQLite checks foreign keys through the parent's primary key, cheaply; only secondary
    indexes are worth rebuilding."""

    def _begin(self, table: str, rows: int) -> bool:
        quote = connections[self.using].ops.quote_name
        with connections[self.using].cursor() as cursor:
            if self._holds_too_many(cursor, table, rows):
                return False
            # origin "c": made by CREATE INDEX, not for a UNIQUE or PRIMARY KEY constraint.
            cursor.execute(
                "SELECT l.name, m.sql FROM pragma_index_list(%s) l"
                " JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name"
                " WHERE NOT l.\"unique\" AND l.origin = 'c' AND m.sql IS NOT NULL"
                " ORDER BY l.name",
                [table],
            )
            indexes = cursor.fetchall()
        load = BulkLoad(table, [statement for _name, statement in indexes])
        return self._drop(load, [f"DROP INDEX {quote(name)}" for name, _statement in indexes])


def bulk_loads_for(
    using: str, before_statement: Callable[[], None], *, enabled: bool = True
) -> BulkLoads:
    from .conf import seed_settings

    postgres = (
        PostgresRebuildingBulkLoads
        if seed_settings.boolean("EXCLUSIVE_BULK_LOADS")
        else PostgresBulkLoads
    )
    kinds = {"postgresql": postgres, "sqlite": SqliteBulkLoads}
    kind = kinds.get(connections[using].vendor, BulkLoads) if enabled else BulkLoads
    return kind(using, before_statement)


# What a bulk load of a table needs to know: its estimated rows; whether a deferrable trigger
# other than its foreign keys' fires on insert (a deferrable unique constraint, say); its
# secondary indexes, as (name, bare name, CREATE statement, tablespace, comment, whether the table
# is clustered on it, whether it carries nothing we do not restore): neither unique nor backing a
# constraint; and its foreign keys, as (name, definition, referenced table, whether it can be
# dropped and added back as it is: validated, not inherited from a partitioned parent; whether
# inserts into the referenced table can leave deferred checks pending; comment).
_POSTGRES_BULK_LOAD_SQL = """
SELECT
    greatest(t.reltuples, 0),
    EXISTS (
        SELECT 1 FROM pg_trigger g
        LEFT JOIN pg_constraint gc ON gc.oid = g.tgconstraint
        WHERE g.tgrelid = t.oid AND g.tgdeferrable AND g.tgtype & 4 <> 0
          AND (gc.contype IS DISTINCT FROM 'f' OR gc.conrelid <> t.oid)
    ),
    (
        SELECT coalesce(json_agg(json_build_array(
            i.indexrelid::regclass::text, ic.relname, pg_get_indexdef(i.indexrelid),
            (SELECT spcname FROM pg_tablespace WHERE oid = ic.reltablespace),
            obj_description(i.indexrelid, 'pg_class'),
            i.indisclustered,
            -- Per-column statistics targets and security labels are not rebuilt.
            NOT EXISTS (
                SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = i.indexrelid AND a.attstattarget > 0
            ) AND NOT EXISTS (SELECT 1 FROM pg_seclabel l WHERE l.objoid = i.indexrelid)
        ) ORDER BY i.indexrelid::regclass::text), '[]')
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = t.oid AND NOT i.indisunique AND NOT i.indisprimary
          AND NOT i.indisexclusion AND i.indisvalid AND i.indisready
          AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid)
          AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
    ),
    (
        SELECT coalesce(json_agg(json_build_array(
            c.conname, pg_get_constraintdef(c.oid), c.confrelid::regclass::text,
            c.convalidated AND c.conparentid = 0 AND c.coninhcount = 0,
            EXISTS (
                SELECT 1 FROM pg_trigger pg
                WHERE pg.tgrelid = c.confrelid AND pg.tgdeferrable AND pg.tgtype & 4 <> 0
            ),
            obj_description(c.oid, 'pg_constraint')
        ) ORDER BY c.conname), '[]')
        FROM pg_constraint c
        WHERE c.conrelid = t.oid AND c.contype = 'f'
    )
FROM pg_class t
WHERE t.oid = %s::regclass
"""


# Whether a table's rows may skip their per-row triggers with session_replication_role = replica
# and lose nothing but foreign-key checks: its estimated rows; whether it is a plain table with no
# rule, no trigger of a user's, and no internal trigger firing on INSERT other than its own
# enabled foreign-key checks (a deferrable unique constraint's recheck, say); and its foreign keys,
# as (name, column, referenced table as SQL, referenced column, how to read it, single-column,
# validated).
_POSTGRES_TRIGGER_SKIP_SQL = """
SELECT
    greatest(t.reltuples, 0),
    t.relkind = 'r'
    AND NOT EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = t.oid)
    AND NOT EXISTS (
        SELECT 1 FROM pg_trigger g
        LEFT JOIN pg_constraint gc ON gc.oid = g.tgconstraint
        WHERE g.tgrelid = t.oid
          AND (NOT g.tgisinternal OR (
              g.tgtype & 4 <> 0
              AND (gc.contype IS DISTINCT FROM 'f' OR gc.conrelid <> t.oid OR g.tgenabled <> 'O')
          ))
    ),
    (
        SELECT coalesce(json_agg(json_build_array(
            c.conname, a.attname, c.confrelid::regclass::text, pa.attname,
            -- As the per-row check reads it: a partitioned table with its partitions.
            CASE WHEN pt.relkind = 'p' THEN '' ELSE 'ONLY ' END,
            cardinality(c.conkey) = 1, c.convalidated
        ) ORDER BY c.conname), '[]')
        FROM pg_constraint c
        JOIN pg_class pt ON pt.oid = c.confrelid
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
        WHERE c.conrelid = t.oid AND c.contype = 'f'
    )
FROM pg_class t
WHERE t.oid = %s::regclass
"""
