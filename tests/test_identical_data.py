"""Identical data: a fixed build's content is pinned, so a change that alters what is generated
(an optimisation of the fill path, say) fails here instead of passing unnoticed.

The build is heavy x1 (every step of the demo, the large ones through bulk loads and, on
PostgreSQL, binary COPY) with a fixed seed and ``--now``. Its fingerprint is a SHA-256 of every
row of every Mentara table, every field, with primary and foreign keys replaced by the row's
rank in its table (``content_dump``): the same on SQLite, PostgreSQL and MariaDB, which the
determinism tests already require to hold the same content.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

import mentara_seed
from tests.conftest import NOW, content_dump

#: The fingerprint of the build below. A change that means to alter the generated data (new
#: fields, other texts, another distribution) updates it; nothing else should. To regenerate,
#: run ``.venv/bin/pytest -q -p no:cacheprovider tests/test_identical_data.py`` (SQLite; every
#: backend gives the same value) and copy the value the failure prints.
FINGERPRINT = "ee6615e071352689bc80c139c6edef938bbd4df4fbea01a057bb2b848d7cb8dd"
SEED = 15
MODE, SCALE = "heavy", 1

#: The same for the zero-code shop (``tests/declarative_app``: no fill method, no ``create()``),
#: whose every row comes from the engine's declarative path alone; regenerated the same way.
SHOP_FINGERPRINT = "8c7ff5671c7b7ed860757e48847e12b2f7bc5551928dac1e5b1a4bb43c98634f"


def canonical(value: Any) -> Any:
    """One spelling per value, whatever the backend returned it as."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


def fingerprint(dump: dict[str, list[tuple[Any, ...]]]) -> str:
    digest = hashlib.sha256()
    for label in sorted(dump):
        digest.update(label.encode())
        for row in dump[label]:
            digest.update(json.dumps([canonical(v) for v in row]).encode())
            digest.update(b"\n")
    return digest.hexdigest()


@pytest.mark.django_db
def test_a_fixed_heavy_build_writes_exactly_the_pinned_data() -> None:
    report = mentara_seed.seed(mode=MODE, scale=SCALE, seed=SEED, now=NOW, strict=True)
    assert report.satisfied
    dump = content_dump()
    assert sum(len(rows) for rows in dump.values()) == sum(report.added.values()) > 40_000
    found = fingerprint(dump)
    assert found == FINGERPRINT, f"the build's data changed: its fingerprint is now {found}"


@pytest.mark.django_db
def test_a_fixed_zero_code_build_writes_exactly_the_pinned_data() -> None:
    """Heavy x1 of the shop: its large steps go through bulk loads and, on PostgreSQL, binary
    COPY, as the zero-code benchmark's builds do."""
    from tests.declarative_app.seeding import registry

    report = mentara_seed.seed(
        mode=MODE, scale=SCALE, seed=SEED, now=NOW, strict=True, registry=registry
    )
    assert report.satisfied
    # The plain many-to-many fields' own tables too (product tags, profile follows).
    dump = content_dump("shop", include_auto_created=True)
    assert sum(len(rows) for rows in dump.values()) == sum(report.added.values()) > 40_000
    found = fingerprint(dump)
    assert found == SHOP_FINGERPRINT, f"the shop's data changed: its fingerprint is now {found}"


def test_the_fingerprint_sees_any_change_of_a_value() -> None:
    """The check can fail: one field of one row, a row's order, a time a second off."""
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    dump = {"mentara.Post": [(0, "a", moment), (1, "b", moment)]}
    same = fingerprint(dump)
    assert fingerprint({"mentara.Post": [(0, "a", moment), (1, "b", moment)]}) == same
    assert fingerprint({"mentara.Post": [(0, "a", moment), (1, "c", moment)]}) != same
    assert fingerprint({"mentara.Post": [(1, "b", moment), (0, "a", moment)]}) != same
    later = moment.replace(second=6)
    assert fingerprint({"mentara.Post": [(0, "a", moment), (1, "b", later)]}) != same
    assert fingerprint({"mentara.Post": [(0, "a", Decimal("4.50"))]}) == fingerprint(
        {"mentara.Post": [(0, "a", Decimal("4.5"))]}
    )
