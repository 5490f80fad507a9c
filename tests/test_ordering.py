"""Orders the seeders rely on are by code point on every backend, whatever the collation (MySQL
and MariaDB compare text case-insensitively by default, PostgreSQL by the database's locale)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from mentara_seed import CodePointOrder, Requirement, Seeder
from mentara_seed.auditing import AuditContext, Step, audit_step
from mentara_seed.requirements import Target
from project.mentara.models import Community, Membership, User

from .conftest import NOW

pytestmark = pytest.mark.django_db

#: Names a case-insensitive or locale collation orders otherwise than code points do (some of
#: them equal under MariaDB's default collation, so they go in a column that is not unique).
NAMES = ["b", "B", "a", "A", "_x", "Z", "ab", "a b", "a_b", "é", "e", "E", "a ", "z", "a"]


def test_text_is_ordered_by_code_point():
    for n, name in enumerate(NAMES):
        User.objects.create(username=f"user{n}", first_name=name)
    ordered = list(
        User.objects.order_by(CodePointOrder("first_name"), "pk").values_list(
            "first_name", flat=True
        )
    )
    assert ordered == sorted(NAMES)


def test_a_related_text_column_is_ordered_by_code_point_and_a_number_stays_a_number():
    for pk, name in ((10, "b"), (9, "B"), (100, "a")):
        user = User.objects.create(pk=pk, username=f"user{pk}", first_name=name)
        Community.objects.create(pk=pk, name=f"C{pk}", slug=f"c{pk}", created_at=NOW)
        Membership.objects.create(user=user, community_id=pk, joined_at=NOW)
    by_user = list(
        Membership.objects.order_by(CodePointOrder("user__first_name")).values_list(
            "user__first_name", flat=True
        )
    )
    assert by_user == ["B", "a", "b"]
    by_pk = list(Community.objects.order_by(CodePointOrder("pk")).values_list("pk", flat=True))
    assert by_pk == [9, 10, 100]  # not "10" < "100" < "9"


def _group_by(sql: str) -> str:
    return sql.split(" GROUP BY ", 1)[1].split(" HAVING ", 1)[0].split(" ORDER BY ", 1)[0]


def test_an_aggregate_ordered_by_code_point_groups_by_the_key_not_by_the_order():
    """The audit's shape: rows per entity, ordered by a text key by code point. Grouped by the
    ordering expression too, MariaDB aggregates the join through a temporary table (six times
    slower on a heavy build's comments); the groups are the same, so it groups by the column, and
    by the primary key alone where the database allows it."""
    for n, name in enumerate(["b1", "B2", "a3", "A4"]):
        user = User.objects.create(username=name)
        Community.objects.create(name=f"C{n}", slug=f"c{n}", created_at=NOW)
        for community in Community.objects.all()[: n + 1]:
            Membership.objects.create(user=user, community=community, joined_at=NOW)
    query = (
        User.objects.annotate(memberships_count=Count("memberships"))
        .order_by(CodePointOrder("username"), "pk")
        .values_list("username", "memberships_count")
    )
    assert list(query) == [("A4", 4), ("B2", 2), ("a3", 3), ("b1", 1)]
    sql, _params = query.query.get_compiler(connection=connection).as_sql()
    grouped = _group_by(sql)
    assert "CAST" not in grouped and "COLLATE" not in grouped
    if connection.features.allows_group_by_selected_pks:
        table = connection.ops.quote_name(User._meta.db_table)
        assert grouped.strip() == f"{table}.{connection.ops.quote_name('id')}"


class UserSeeder(Seeder):
    key_field = "username"


def test_the_audits_group_by_no_ordering_expression():
    audited = Requirement("memberships", minimum=1, count="memberships")
    ctx = AuditContext(using="default", mode="heavy", now=NOW, seed=0)
    User.objects.create(username="Ada")
    with CaptureQueriesContext(connection) as queries:
        gaps = audit_step(Step(UserSeeder(User), audited, Target(minimum=1)), ctx)
    assert [gap.key for gap in gaps] == ["Ada"]
    grouped = [_group_by(q["sql"]) for q in queries.captured_queries if " GROUP BY " in q["sql"]]
    assert grouped
    assert not any("CAST" in g or "COLLATE" in g for g in grouped)
