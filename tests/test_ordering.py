"""Orders the seeders rely on are by code point on every backend, whatever the collation (MySQL
and MariaDB compare text case-insensitively by default, PostgreSQL by the database's locale)."""

from __future__ import annotations

import pytest

from mentara_seed import CodePointOrder
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
