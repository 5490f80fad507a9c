"""Bulk loads: whatever the backend does with a large load, the schema ends exactly as it was,
every row is still checked, and the rows are the ones the portable path writes.

- PostgreSQL (the default): no DDL; the foreign keys' per-row triggers are skipped while the
  load's COPY streams (``session_replication_role = replica``) and one anti-join per key checks
  its rows before the step commits. With ``EXCLUSIVE_BULK_LOADS``: secondary indexes and foreign
  keys dropped and rebuilt.
- SQLite: secondary indexes dropped and rebuilt.
- MariaDB/MySQL, where DDL would commit the step: per-row foreign-key checks off for the step, one
  anti-join per foreign key before it commits.

These tests run outside a test transaction (``transaction=True``): a bulk load only happens in a
transaction of the step's own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

import mentara_seed
from mentara_seed import SeedRegistry
from mentara_seed.bulk_loads import BulkLoads, PostgresBulkLoads
from mentara_seed.failures import RunFailed
from mentara_seed.writers import writer_for
from project.mentara.models import Comment, Community, Heart, Post, User
from tests.declarative_app import seeding as shop
from tests.declarative_app.models import Customer
from tests.testapp.library_seeding import AuthorSeeder
from tests.testapp.models import Author, Book

from .conftest import NOW
from .test_fast_path import seeded_content

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bulk_loads_from_one_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every load counts as large, so the small test volumes take the bulk path."""
    monkeypatch.setattr(BulkLoads, "min_rows", 1)


def schema() -> dict[str, Any]:
    """Every constraint and index of every table, as introspection sees them (and, on
    PostgreSQL, each foreign key's full definition, deferrability and validation state, and
    each index's definition)."""
    with connection.cursor() as cursor:
        introspection = connection.introspection
        found: dict[str, Any] = {
            table: sorted(
                (name, sorted((k, str(v)) for k, v in info.items()))
                for name, info in introspection.get_constraints(cursor, table).items()
            )
            for table in introspection.table_names(cursor)
        }
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid),"
                " condeferrable, condeferred, convalidated"
                " FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2"
            )
            found["pg_constraint"] = cursor.fetchall()
            cursor.execute("SELECT tablename, indexdef FROM pg_indexes ORDER BY 1, 2")
            found["pg_indexes"] = cursor.fetchall()
    return found


def schema_statements(queries: CaptureQueriesContext, verb: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if verb in q["sql"]]


def anti_joins(queries: CaptureQueriesContext) -> list[str]:
    """The foreign-key checks' anti-joins (those that look for a value referencing nothing)."""
    return [sql for sql in schema_statements(queries, "AND NOT EXISTS") if " LIMIT 1" in sql]


#: What starts a bulk load's rows, per vendor: PostgreSQL skips the per-row triggers, MySQL turns
#: its per-row checks off, SQLite drops indexes.
BEGUN = {
    "postgresql": "'session_replication_role', 'replica'",
    "mysql": "foreign_key_checks = 0",
    "sqlite": "DROP INDEX",
}


def bulk_loads_begun(queries: CaptureQueriesContext, *, exclusive: bool = False) -> list[str]:
    """The statements that start bulk loads (with ``exclusive``, on PostgreSQL: indexes
    dropped)."""
    marker = "DROP INDEX" if exclusive else BEGUN[connection.vendor]
    return schema_statements(queries, marker)


#: On PostgreSQL the exclusive path (indexes and foreign keys dropped and rebuilt) too.
PATHS = [pytest.param(False, id="default")] + (
    [pytest.param(True, id="exclusive")] if connection.vendor == "postgresql" else []
)


def test_a_bulk_load_leaves_every_index_and_foreign_key_as_it_was(
    settings, bulk_loads_from_one_row
):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True}
    before = schema()
    assert sum(len(found) for found in before.values()) > 50
    with CaptureQueriesContext(connection) as queries:
        report = mentara_seed.seed(mode="medium", now=NOW)
    assert report.satisfied
    assert schema() == before
    added_back = schema_statements(queries, "ADD CONSTRAINT")
    rebuilt = schema_statements(queries, "CREATE INDEX")
    if connection.vendor == "mysql":
        # No DDL inside a step (MySQL would commit it): per-row foreign-key checks go off for
        # the step and come back on, with one anti-join per foreign key in between.
        assert rebuilt == added_back == schema_statements(queries, "DROP ") == []
        off = schema_statements(queries, "foreign_key_checks = 0")
        assert len(off) >= 10
        assert len(schema_statements(queries, "foreign_key_checks = 1")) == len(off)
        assert len(schema_statements(queries, "AND NOT EXISTS")) >= len(off)
        # The keys of every table the loads check, read once for the run, in one query.
        assert len(schema_statements(queries, "information_schema.KEY_COLUMN_USAGE")) == 1
        return
    if connection.vendor == "postgresql":
        # No DDL: the loads skipped the per-row triggers, then locked each referenced row once
        # and looked for a row that references nothing, per foreign key.
        assert rebuilt == added_back == schema_statements(queries, "DROP ") == []
        assert schema_statements(queries, "ALTER TABLE") == []
        begun = bulk_loads_begun(queries)
        assert len(begun) >= 10
        assert len(schema_statements(queries, "'session_replication_role', 'origin'")) >= len(begun)
        # One statement per key locks the referenced rows and counts the values: every value
        # found a row, so no anti-join ran; rows the step's own transaction wrote (a
        # conversation's, for its messages) were counted, not locked.
        assert len(schema_statements(queries, "FOR KEY SHARE")) >= 10
        assert len(schema_statements(queries, "WHERE p.xmin = ")) >= 1
        assert anti_joins(queries) == []
        return
    # The bulk path really ran: every loaded table got its indexes back, once per step that
    # loaded it.
    assert len(rebuilt) >= 20
    assert len(schema_statements(queries, "DROP INDEX")) == len(rebuilt)
    assert added_back == []  # SQLite keeps its foreign keys


@pytest.mark.backend("postgresql")
def test_an_exclusive_bulk_load_rebuilds_every_index_and_foreign_key_as_it_was(
    settings, bulk_loads_from_one_row
):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, "EXCLUSIVE_BULK_LOADS": True}
    before = schema()
    with CaptureQueriesContext(connection) as queries:
        report = mentara_seed.seed(mode="medium", now=NOW)
    assert report.satisfied
    assert schema() == before
    # Every loaded table got its indexes and foreign keys back, once per step that loaded it.
    rebuilt = schema_statements(queries, "CREATE INDEX")
    added_back = schema_statements(queries, "ADD CONSTRAINT")
    assert len(rebuilt) >= 20 and len(added_back) >= 10
    assert len(schema_statements(queries, "DROP INDEX")) == len(rebuilt)
    assert len(schema_statements(queries, "DROP CONSTRAINT")) == len(added_back)
    assert bulk_loads_begun(queries) == []  # no trigger skipped


def test_bulk_checked_rows_are_the_rows_the_portable_path_writes(settings, bulk_loads_from_one_row):
    bulk = seeded_content(settings)
    portable = seeded_content(settings, FAST_PATH=False)
    assert bulk == portable
    assert sum(len(rows) for rows in bulk.values()) > 500


class DanglingBookSeeder(AuthorSeeder):
    """Writes books whose author does not exist: the foreign key must still catch them."""

    def fill_books(self, ctx, gaps):
        missing_author = Author.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
        for gap in gaps:
            ctx.add(Book, author_id=gap.pk, title="Fine", isbn="1", pages=1)
            ctx.add(Book, author_id=missing_author, title="Dangling", isbn="1", pages=1)


class FailingBookSeeder(AuthorSeeder):
    def fill_books(self, ctx, gaps):
        for gap in gaps:
            ctx.add(Book, author_id=gap.pk, title="Half", isbn="1", pages=1)
        ctx.flush()  # the rows are in the table, the constraints (on PostgreSQL) dropped
        raise RuntimeError("a seeder bug")


@pytest.mark.parametrize("exclusive", PATHS)
def test_a_row_that_breaks_a_foreign_key_fails_its_step_and_leaves_nothing(
    settings, bulk_loads_from_one_row, exclusive
):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, "EXCLUSIVE_BULK_LOADS": exclusive}
    registry = SeedRegistry()
    registry.register(Author, DanglingBookSeeder)
    before = schema()
    # A database error during a step is a RunFailed naming the step, the original chained.
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(RunFailed, match=r"step testapp\.Author\.books failed") as excinfo,
    ):
        mentara_seed.seed(mode="light", now=NOW, registry=registry)
    assert isinstance(excinfo.value.__cause__, IntegrityError)
    # The books were a bulk load: the anti-join (or the rebuilt constraint) caught the row.
    assert bulk_loads_begun(queries, exclusive=exclusive)
    if connection.vendor != "sqlite" and not exclusive:
        assert "testapp_book.author_id = " in str(excinfo.value.__cause__)
    assert Author.objects.count() == 2  # the population step landed whole
    assert not Book.objects.exists()  # the failing step, good rows included, left nothing
    assert schema() == before


@pytest.mark.parametrize("exclusive", PATHS)
def test_a_failing_step_rolls_its_constraints_back_with_its_rows(
    settings, bulk_loads_from_one_row, exclusive
):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, "EXCLUSIVE_BULK_LOADS": exclusive}
    registry = SeedRegistry()
    registry.register(Author, FailingBookSeeder)
    before = schema()
    with pytest.raises(RuntimeError, match="a seeder bug"):
        mentara_seed.seed(mode="light", now=NOW, registry=registry)
    assert not Book.objects.exists()
    assert schema() == before
    # The connection is usable and the constraint enforced.
    with pytest.raises(IntegrityError), transaction.atomic():
        Book.objects.create(author_id=10**9, title="x", isbn="1", pages=1)


def test_a_dry_run_never_touches_the_schema(settings, bulk_loads_from_one_row):
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True}
    with CaptureQueriesContext(connection) as queries:
        report = mentara_seed.seed(mode="light", now=NOW, dry_run=True)
    assert sum(report.added.values()) > 50
    assert schema_statements(queries, "ALTER TABLE") == []
    assert schema_statements(queries, "DROP INDEX") == []
    assert not Post.objects.exists()


def community_post() -> tuple[User, Post]:
    user = User.objects.create(username="ada", email="ada@example.org")
    community = Community.objects.create(name="Calm", slug="calm", created_at=NOW)
    post = Post.objects.create(
        author=user, community=community, title="t", body="b", created_at=NOW
    )
    return user, post


def comment_rows(user: User, post: Post, count: int) -> list[dict[str, Any]]:
    return [
        {"post_id": post.pk, "author_id": user.pk, "body": f"c{n}", "created_at": NOW}
        for n in range(count)
    ]


def test_a_parent_with_checks_pending_keeps_per_row_checks(
    settings, bulk_loads_from_one_row, caplog
):
    """An exclusive bulk load: a post written through the ORM in the same transaction has its
    own foreign-key checks pending, so PostgreSQL refuses to drop the comments' constraint to
    it: the writer falls back to per-row checks and the step still lands."""
    settings.MENTARA_SEED = {"EXCLUSIVE_BULK_LOADS": True}
    user, _post = community_post()
    before = schema()
    writer = writer_for("default", 100)
    caplog.set_level(logging.INFO, logger="mentara_seed.bulk_loads")
    with transaction.atomic():
        post = Post.objects.create(
            author=user, community=Community.objects.get(), title="t", body="b", created_at=NOW
        )
        writer.write(Comment, comment_rows(user, post, 3), returning=False)
        writer.finish()
    assert Comment.objects.filter(post=post).count() == 3
    assert schema() == before
    refused = [r.getMessage() for r in caplog.records if "per-row" in r.getMessage()]
    if connection.vendor == "postgresql":
        assert refused and "mentara_comment" in refused[0] and "pending" in refused[0]
    else:
        assert refused == []


def test_a_parent_loaded_with_per_row_checks_keeps_its_children_per_row(settings, monkeypatch):
    """Below the threshold a table keeps per-row checks; in an exclusive bulk load its children
    then keep them too, since PostgreSQL would refuse to drop a constraint to a table with
    checks pending."""
    settings.MENTARA_SEED = {"EXCLUSIVE_BULK_LOADS": True}
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    writer = writer_for("default", 100)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        posts = writer.write(
            Post,
            [{"author_id": user.pk, "community_id": post.community_id, "title": "t",
              "body": "b", "created_at": NOW}],
            returning=True,
        )  # fmt: skip
        writer.write(Comment, comment_rows(user, posts[0], 5), returning=False)
        writer.finish()
    assert Comment.objects.filter(post_id=posts[0].pk).count() == 5
    assert schema_statements(queries, "ALTER TABLE") == []
    # On PostgreSQL the comments' pending checks would also forbid rebuilding their indexes, so
    # they keep them; SQLite checks foreign keys without pending events and rebuilds its three;
    # MySQL checked the post as it landed and loads the comments unchecked, then validates them.
    if connection.vendor == "postgresql":
        assert bulk_loads_begun(queries, exclusive=True) == []
    else:
        assert len(bulk_loads_begun(queries)) == {"sqlite": 3, "mysql": 1}[connection.vendor]


@pytest.mark.parametrize(("loaded", "bulk"), [(2, False), (3, True)])
def test_a_small_load_into_a_large_table_keeps_per_row_checks(monkeypatch, loaded, bulk):
    """Rebuilding an index or a constraint reads the whole table: not worth it for a few rows
    into many."""
    monkeypatch.setattr(BulkLoads, "min_rows", 1)
    monkeypatch.setattr(BulkLoads, "max_ratio", 20)
    user, post = community_post()
    Comment.objects.bulk_create(Comment(**row) for row in comment_rows(user, post, 50))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE mentara_comment")  # the estimate the writer reads
    writer = writer_for("default", 100)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        writer.write(Comment, comment_rows(user, post, loaded), returning=False)
        writer.finish()
    assert Comment.objects.count() == 50 + loaded
    assert bool(bulk_loads_begun(queries)) is bulk


@pytest.mark.parametrize("option", [{"BULK_LOADS": False}, {"FAST_PATH": False}])
def test_bulk_loads_can_be_turned_off(settings, bulk_loads_from_one_row, option):
    """For a database others use meanwhile: no schema statement, no table lock beyond the rows'."""
    settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True, **option}
    with CaptureQueriesContext(connection) as queries:
        report = mentara_seed.seed(mode="light", now=NOW)
    assert report.satisfied and sum(report.added.values()) > 50
    assert schema_statements(queries, "DROP ") == []
    assert schema_statements(queries, "ALTER TABLE") == []
    assert schema_statements(queries, "replica") == []


def test_a_parent_without_deferred_checks_does_not_hold_its_children_back(settings, monkeypatch):
    """A community has no foreign keys, so writing one row by row leaves nothing pending: the
    posts that follow in the same step still load in bulk, exclusively on PostgreSQL."""
    settings.MENTARA_SEED = {"EXCLUSIVE_BULK_LOADS": True}
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, _post = community_post()
    writer = writer_for("default", 100)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        (community,) = writer.write(
            Community, [{"name": "Quiet", "slug": "quiet", "created_at": NOW}], returning=True
        )
        writer.write(
            Post,
            [
                {"author_id": user.pk, "community_id": community.pk, "title": "t", "body": "b",
                 "created_at": NOW}
            ] * 5,
            returning=False,
        )  # fmt: skip
        writer.finish()
    assert Post.objects.filter(community_id=community.pk).count() == 5
    dropped = schema_statements(queries, "DROP CONSTRAINT")
    assert len(dropped) == (1 if connection.vendor == "postgresql" else 0)
    assert "mentara_post" in "".join(dropped) or connection.vendor != "postgresql"
    assert bulk_loads_begun(queries, exclusive=connection.vendor == "postgresql")


def test_a_small_write_after_a_bulk_load_in_the_same_step_is_still_checked(monkeypatch):
    """On MySQL a bulk load turns foreign-key checks off for the whole session: a table the
    step writes afterwards, however few its rows, must be validated too."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    writer = writer_for("default", 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        writer.write(Comment, comment_rows(user, post, 5), returning=False)
        writer.write(
            Heart, [{"user_id": user.pk, "post_id": post.pk + 1000, "created_at": NOW}],
            returning=False,
        )  # fmt: skip
        writer.finish()
    assert not Comment.objects.exists() and not Heart.objects.exists()
    # Checks are back on for whatever the connection does next.
    with pytest.raises(IntegrityError), transaction.atomic():
        Heart.objects.create(user=user, post_id=post.pk + 1000, created_at=NOW)


@pytest.mark.parametrize("dangling", ["user_id", "post_id"])
def test_a_row_that_breaks_any_one_of_its_foreign_keys_is_caught_and_named(monkeypatch, dangling):
    """On MySQL the keys of a table are checked in one pass over its rows, then each broken
    one is looked for on its own: the error names the key and the value, as before."""
    monkeypatch.setattr(BulkLoads, "min_rows", 1)
    user, post = community_post()
    good = {"user_id": user.pk, "post_id": post.pk, "created_at": NOW}
    writer = writer_for("default", 100)
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(IntegrityError) as excinfo,
        transaction.atomic(),
    ):
        writer.write(Heart, [good, {**good, dangling: good[dangling] + 1000}], returning=False)
        writer.finish()
    assert bulk_loads_begun(queries)
    if connection.vendor != "sqlite":
        assert f"mentara_heart.{dangling} = {good[dangling] + 1000}" in str(excinfo.value)
    assert not Heart.objects.exists()
    writer = writer_for("default", 100)
    with transaction.atomic():
        writer.write(Heart, [good], returning=False)
        writer.finish()
    assert Heart.objects.count() == 1


# PostgreSQL's default path: no table lock beyond the rows', triggers skipped only where nothing
# but the foreign keys' checks would be ---------------------------------------------------------


@contextlib.contextmanager
def other_session() -> Iterator[Any]:
    """A second connection to the test database, as another application would hold one."""
    from tests.test_hardening import admin_connection

    with admin_connection(connection.settings_dict["NAME"]) as other:
        other.execute("SET lock_timeout = '200ms'")
        yield other


def locks_held(other: Any) -> set[str]:
    (pid,) = connection.cursor().execute("SELECT pg_backend_pid()").fetchone()
    rows = other.execute(
        "SELECT mode FROM pg_locks WHERE pid = %s AND locktype = 'relation'", [pid]
    ).fetchall()
    return {mode for (mode,) in rows}


def load_comments(writer: Any, user: User, post: Post, count: int = 5) -> None:
    writer.write(Comment, comment_rows(user, post, count), returning=False)


@pytest.mark.backend("postgresql")
def test_postgres_a_bulk_load_holds_no_lock_that_readers_or_writers_wait_for(monkeypatch):
    """Until the step commits, after its checks: only the locks any INSERT takes (ROW
    EXCLUSIVE, and ROW SHARE on the parents it locked): another session reads, inserts, and
    updates a referenced row's other columns at once."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    writer = writer_for("default", 100)
    with other_session() as other, transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            load_comments(writer, user, post)
            writer.finish()
        assert bulk_loads_begun(queries)
        assert locks_held(other) <= {"AccessShareLock", "RowShareLock", "RowExclusiveLock"}
        assert other.execute("SELECT count(*) FROM mentara_comment").fetchone() == (0,)
        other.execute("UPDATE mentara_post SET title = 'other' WHERE id = %s", [post.pk])
        other.execute(
            "INSERT INTO mentara_comment (post_id, author_id, body, created_at)"
            " VALUES (%s, %s, 'theirs', now())",
            [post.pk, user.pk],
        )
    assert Comment.objects.count() == 6


@pytest.mark.backend("postgresql")
def test_postgres_a_referenced_row_cannot_be_deleted_before_the_load_commits(monkeypatch):
    """The per-row checks lock each referenced row FOR KEY SHARE; the load's check locks them
    too, so a concurrent DELETE waits for the step (here: gives up) instead of leaving the
    loaded rows dangling."""
    from psycopg.errors import LockNotAvailable

    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    writer = writer_for("default", 100)
    with other_session() as other, transaction.atomic():
        load_comments(writer, user, post)
        writer.finish()
        with pytest.raises(LockNotAvailable):
            other.execute("DELETE FROM mentara_post WHERE id = %s", [post.pk])
    assert Comment.objects.filter(post=post).count() == 5


def dangling_comment(user: User, post: Post) -> dict[str, Any]:
    return {"post_id": post.pk + 1000, "author_id": user.pk, "body": "lost", "created_at": NOW}


@pytest.mark.backend("postgresql")
def test_postgres_an_orm_write_during_a_load_is_checked_per_row(monkeypatch):
    """The triggers are off only while our COPY streams: a seeder's own INSERT between two
    batches runs with them on (nothing checks that table at the end of the step)."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    writer = writer_for("default", 100)
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        load_comments(writer, user, post)
        writer.close()  # as FillContext.writing does before any other statement
        Heart.objects.create(user=user, post_id=post.pk + 1000, created_at=NOW)
        load_comments(writer, user, post)
        writer.finish()
    assert len(bulk_loads_begun(queries)) == 2
    assert not Comment.objects.exists() and not Heart.objects.exists()


@pytest.mark.backend("postgresql")
def test_postgres_rows_written_in_a_savepoint_are_checked_too(monkeypatch):
    """Inside a savepoint the rows keep their per-row checks (the end-of-step check looks for the
    transaction's own id); a savepoint rolled back changes the count of the step's rows, and the
    whole table is checked instead: a dangling row is caught either way."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    writer = writer_for("default", 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        load_comments(writer, user, post)
        with transaction.atomic():
            writer.write(Comment, [dangling_comment(user, post)], returning=False)
            writer.close()
        writer.finish()
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(IntegrityError, match=r"mentara_comment\.post_id"),
        transaction.atomic(),
    ):
        rows = [*comment_rows(user, post, 4), dangling_comment(user, post)]
        writer.write(Comment, rows, returning=False)
        with contextlib.suppress(RuntimeError), transaction.atomic():
            load_comments(writer, user, post)
            writer.close()
            raise RuntimeError("rolled back to the savepoint")
        writer.finish()
    # The second check read the whole table: no xmin condition in its anti-joins.
    assert anti_joins(queries) and not any("xmin" in sql for sql in anti_joins(queries))
    assert not Comment.objects.exclude(pk=None).filter(body__in=["c0", "lost"]).exists()


def xmax_of(table: str, pk: int) -> int:
    """The row's xmax: 0 unless a transaction locked, updated or deleted it (here: our lock)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmax::text::bigint FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def current_xid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint % (2^32)::bigint")
        return cursor.fetchone()[0]


def new_posts(writer: Any, user: User, post: Post, count: int) -> list[Post]:
    """Posts written by the load's own transaction (as a conversation's step writes its
    participants and messages)."""
    row = {"author_id": user.pk, "community_id": post.community_id, "title": "t", "body": "b",
           "created_at": NOW}  # fmt: skip
    return writer.write(Post, [row] * count, returning=True)


@pytest.mark.backend("postgresql")
def test_postgres_a_parent_the_step_wrote_is_checked_but_not_locked(monkeypatch):
    """No other transaction sees a row this one wrote, so none can delete it: the check counts
    it without locking it (its xmax stays 0). A parent committed before is locked, and a value
    that references nothing still fails the step, named as the per-row check would."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    writer = writer_for("default", 100)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        posts = new_posts(writer, user, post, 3)
        rows = [
            {**row, "post_id": posts[n % 3].pk} for n, row in enumerate(comment_rows(user, post, 6))
        ]
        writer.write(Comment, rows, returning=False)
        writer.finish()
        xid = current_xid()
        assert [xmax_of("mentara_post", p.pk) for p in posts] == [0, 0, 0]
        assert xmax_of("mentara_user", user.pk) == xid  # FOR KEY SHARE, held to the commit
        assert xmax_of("mentara_post", post.pk) == 0  # referenced by nothing new
    assert bulk_loads_begun(queries)
    assert anti_joins(queries) == []  # every value found its row
    # Only a table the step wrote may hold rows of ours: the users' lock exempts none (a
    # frozen row may show our 32-bit id after wraparound), the posts' lock exempts ours.
    locks = [q["sql"] for q in queries.captured_queries if "FOR KEY SHARE" in q["sql"]]
    assert {("post_id" in sql, "p.xmin" in sql) for sql in locks} == {(True, True), (False, False)}
    assert Comment.objects.filter(post__in=posts).count() == 6
    with (
        pytest.raises(IntegrityError, match=rf"mentara_comment\.post_id = {post.pk + 1000}\b"),
        transaction.atomic(),
    ):
        posts = new_posts(writer, user, post, 3)
        rows = [{**row, "post_id": posts[0].pk} for row in comment_rows(user, post, 4)]
        writer.write(Comment, [*rows, dangling_comment(user, post)], returning=False)
        writer.finish()
    assert Comment.objects.count() == 6


@contextlib.contextmanager
def after_each_lock(
    action: Any, before: Any = None, table: str = "mentara_comment"
) -> Iterator[list[str]]:
    """Run ``action`` (and ``before``) right after (before) each statement that locks the
    referenced rows of ``table``'s loaded rows: another session acting between the check's
    statements. Yields the locking statements seen."""
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        locking = "FOR KEY SHARE" in sql and f'FROM ONLY "{table}"' in sql and "post_id" in sql
        if locking and before is not None:
            before()
        result = execute(sql, params, many, context)
        if locking:
            seen.append(sql)
            action()
        return result

    with connection.execute_wrapper(wrapper):
        yield seen


@pytest.mark.backend("postgresql")
def test_postgres_a_parent_committed_between_the_lock_and_the_check_is_locked_too(monkeypatch):
    """Another session commits the referenced post after the lock looked for it and before the
    check does: the check finds every value referenced but one row unlocked, and locks again,
    so that session cannot delete the post before the load commits."""
    from psycopg.errors import LockNotAvailable

    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    late = post.pk + 1000
    writer = writer_for("default", 100)
    with other_session() as other:

        def commit_the_parent() -> None:
            if not other.execute("SELECT 1 FROM mentara_post WHERE id = %s", [late]).fetchone():
                other.execute(
                    "INSERT INTO mentara_post (id, author_id, community_id, title, body,"
                    " created_at) VALUES (%s, %s, %s, 'late', 'b', now())",
                    [late, user.pk, post.community_id],
                )

        with after_each_lock(commit_the_parent) as locks, transaction.atomic():
            rows = [*comment_rows(user, post, 4), dangling_comment(user, post)]
            writer.write(Comment, rows, returning=False)
            writer.finish()
            assert len(locks) == 2  # locked, found the late post unlocked, locked again
            with pytest.raises(LockNotAvailable):
                other.execute("DELETE FROM mentara_post WHERE id = %s", [late])
    assert Comment.objects.filter(post_id=late).count() == 1


@pytest.mark.backend("postgresql")
def test_postgres_a_parent_deleted_while_the_check_waits_for_it_fails_the_step(monkeypatch):
    """Another session has deleted the referenced post and not committed yet: the lock waits for
    it and, once the delete commits, finds no row (its count falls short of the values), and the
    step fails naming the value, as the per-row check would."""
    import threading

    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    writer = writer_for("default", 100)
    with other_session() as other:
        other.execute("BEGIN")
        other.execute("DELETE FROM mentara_post WHERE id = %s", [post.pk])
        commit = threading.Timer(0.5, other.execute, ["COMMIT"])
        with (
            pytest.raises(IntegrityError, match=rf"mentara_comment\.post_id = {post.pk}\b"),
            transaction.atomic(),
        ):
            load_comments(writer, user, post)
            commit.start()
            writer.finish()
        commit.join()
    assert not Post.objects.filter(pk=post.pk).exists()
    assert not Comment.objects.exists()


@pytest.mark.backend("postgresql")
def test_postgres_a_parent_that_keeps_coming_and_going_fails_the_step(monkeypatch):
    """A session that deletes the referenced post before each lock and commits it again after:
    the check never holds it, and gives up after ``max_check_rounds`` rather than commit a row
    whose parent nothing protects."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    late = post.pk + 1000
    writer = writer_for("default", 100)
    with other_session() as other:

        def delete() -> None:
            other.execute("DELETE FROM mentara_post WHERE id = %s", [late])

        def insert() -> None:
            other.execute(
                "INSERT INTO mentara_post (id, author_id, community_id, title, body, created_at)"
                " VALUES (%s, %s, %s, 'late', 'b', now())",
                [late, user.pk, post.community_id],
            )

        with (
            after_each_lock(insert, before=delete) as locks,
            pytest.raises(IntegrityError, match="kept changing while they were checked"),
            transaction.atomic(),
        ):
            rows = [*comment_rows(user, post, 4), dangling_comment(user, post)]
            writer.write(Comment, rows, returning=False)
            writer.finish()
    assert len(locks) == PostgresBulkLoads.max_check_rounds
    assert not Comment.objects.exists()


@pytest.mark.backend("postgresql")
@pytest.mark.parametrize(("own", "checking"), [("4MB", "32MB"), ("5MB", "32MB"), ("1GB", "1GB")])
def test_postgres_the_checks_run_with_more_work_mem_and_give_the_step_its_own_back(
    monkeypatch, own, checking
):
    """The checks gather each key's distinct values in memory: they run with 32 MB (unless the
    connection has more), and the rest of the step runs with the connection's own setting."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    seen: list[str] = []

    def work_mem() -> str:
        (value,) = connection.cursor().cursor.execute("SHOW work_mem").fetchone()
        return value

    with connection.cursor() as cursor:
        cursor.execute(f"SET work_mem = '{own}'")
    try:
        writer = writer_for("default", 100)
        with after_each_lock(lambda: seen.append(work_mem())), transaction.atomic():
            load_comments(writer, user, post)
            writer.finish()
            assert work_mem() == own
        assert seen == [checking]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")


TRIGGERS = {
    "a trigger of its own": (
        "CREATE FUNCTION i11_shout() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN NEW.body := upper(NEW.body); RETURN NEW; END $$;"
        " CREATE TRIGGER i11_shout BEFORE INSERT ON mentara_comment"
        " FOR EACH ROW EXECUTE FUNCTION i11_shout()",
        "DROP TRIGGER i11_shout ON mentara_comment; DROP FUNCTION i11_shout()",
    ),
    "a deferrable unique constraint": (
        "ALTER TABLE mentara_comment ADD CONSTRAINT i11_unique_body UNIQUE (body)"
        " DEFERRABLE INITIALLY DEFERRED",
        "ALTER TABLE mentara_comment DROP CONSTRAINT i11_unique_body",
    ),
    "a rule": (
        "CREATE RULE i11_rule AS ON INSERT TO mentara_comment WHERE NEW.body = 'never'"
        " DO INSTEAD NOTHING",
        "DROP RULE i11_rule ON mentara_comment",
    ),
}


@pytest.mark.backend("postgresql")
@pytest.mark.parametrize("kind", list(TRIGGERS))
def test_postgres_a_table_with_other_triggers_or_rules_keeps_them(monkeypatch, kind):
    """session_replication_role = replica would skip them too: such a table loads row by row,
    and they do what they do (the user's trigger upper-cases, the deferrable constraint still
    refuses a duplicate)."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    create, drop = TRIGGERS[kind]
    with connection.cursor() as cursor:
        cursor.execute(create)
    try:
        writer = writer_for("default", 100)
        rows = comment_rows(user, post, 5)
        if kind == "a deferrable unique constraint":
            rows.append(rows[0])
        with (
            CaptureQueriesContext(connection) as queries,
            contextlib.suppress(IntegrityError),
            transaction.atomic(),
        ):
            writer.write(Comment, rows, returning=False)
            writer.finish()
        assert bulk_loads_begun(queries) == []
        bodies = sorted(Comment.objects.values_list("body", flat=True))
        expected = {
            "a trigger of its own": ["C0", "C1", "C2", "C3", "C4"],
            "a deferrable unique constraint": [],
            "a rule": ["c0", "c1", "c2", "c3", "c4"],
        }
        assert bodies == expected[kind]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(drop)


@pytest.mark.backend("postgresql")
@pytest.mark.parametrize("granted", [False, True])
def test_postgres_a_role_that_may_not_skip_triggers_loads_row_by_row(monkeypatch, granted):
    """Only a superuser, or a role granted SET on session_replication_role, may skip the
    triggers; any other role loads with per-row checks, and a dangling row still fails."""
    monkeypatch.setattr(BulkLoads, "min_rows", 3)
    user, post = community_post()
    role = f"{connection.settings_dict['NAME']}_plain"[:63]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
        cursor.execute(f'CREATE ROLE "{role}"')
        cursor.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
        cursor.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        if granted:
            cursor.execute(f'GRANT SET ON PARAMETER session_replication_role TO "{role}"')
        cursor.execute(f'SET SESSION AUTHORIZATION "{role}"')
    try:
        writer = writer_for("default", 100)
        with (
            CaptureQueriesContext(connection) as queries,
            pytest.raises(IntegrityError),
            transaction.atomic(),
        ):
            rows = [*comment_rows(user, post, 4), dangling_comment(user, post)]
            writer.write(Comment, rows, returning=False)
            writer.finish()
        assert bool(bulk_loads_begun(queries)) is granted
        with transaction.atomic():
            load_comments(writer, user, post)
            writer.finish()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET SESSION AUTHORIZATION")
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
    assert Comment.objects.count() == 5


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


@pytest.mark.backend("sqlite")
@pytest.mark.parametrize(
    ("given", "while_writing"), [(-2000, -65536), (100, -65536), (-131072, -131072)]
)
def test_sqlite_a_run_writes_with_a_larger_page_cache_and_gives_the_connection_its_own_back(
    given, while_writing
):
    """A larger cache (64 MiB) while the run writes, whatever unit the connection's own size is
    in (KiB when negative, pages when positive); a cache already larger is left; the
    connection's size comes back after the run, and an audit-only run never changes it."""
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA cache_size = {given}")
    seen: list[int] = []
    mentara_seed.seed(mode="light", seed=0, now=NOW, progress=lambda *_: seen.append(_cache_size()))
    assert seen and set(seen) == {while_writing}
    assert _cache_size() == given
    seen.clear()
    mentara_seed.audit(mode="heavy", seed=0, now=NOW)
    assert _cache_size() == given


def visibility(table: str) -> tuple[float, int, int]:
    """The planner's row estimate, the table's pages and those its visibility map marks."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples, relpages, relallvisible FROM pg_class WHERE oid = %s::regclass",
            [table],
        )
        return cursor.fetchone()


@pytest.mark.backend("postgresql")
def test_postgres_a_step_that_loaded_many_rows_vacuums_and_analyzes_them():
    """After its commit, a step that added many rows to a table runs VACUUM (ANALYZE) on it:
    the planner's statistics describe the rows, and the visibility map is set, so the audits
    and the project's own queries read the keys' indexes alone."""
    mentara_seed.seed(mode="heavy", now=NOW)
    estimate, pages, visible = visibility("mentara_comment")
    assert Comment.objects.count() >= 500
    assert estimate > 0 and pages > 0
    # Most pages: a later step that adds fewer than ANALYZE_THRESHOLD rows (therapists'
    # comments) is not followed by VACUUM, and its pages stay unmarked. ANALYZE marks none.
    assert visible > pages // 2


@pytest.mark.backend("postgresql")
def test_postgres_inside_a_callers_transaction_the_loaded_tables_are_only_analyzed():
    """VACUUM cannot run in a transaction block: inside a caller's ``atomic`` the run
    refreshes the statistics with ANALYZE, as before, and leaves the visibility map alone."""
    with transaction.atomic():
        mentara_seed.seed(mode="heavy", now=NOW)
        estimate, pages, visible = visibility("mentara_comment")
    assert estimate > 0 and pages > 0
    assert visible == 0


class CustomersOnly(shop.CustomerSeeder):
    requirements = ()


@pytest.mark.backend("postgresql")
def test_postgres_a_run_on_a_connection_without_autocommit_is_only_analyzed():
    """With autocommit off (``AUTOCOMMIT: False``, or the caller's ``set_autocommit(False)``)
    a transaction stays open after each step: VACUUM cannot run there, ANALYZE does."""
    registry = SeedRegistry()
    registry.register(Customer, CustomersOnly)
    transaction.set_autocommit(False)
    try:
        mentara_seed.seed(mode="heavy", now=NOW, registry=registry)
        assert Customer.objects.count() >= 500
        estimate, _pages, visible = visibility("shop_customer")
        assert estimate > 0 and visible == 0
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)
