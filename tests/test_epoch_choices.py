"""A DateTimeField with choices gets one of its choices on the tuple path too
(``RowMaker.bind_tuples`` draws other engine-drawn times as epoch seconds)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.apps.registry import Apps
from django.db import models

from mentara_seed import FillContext
from mentara_seed.columns import epoch_datetimes
from tests.conftest import NOW

SLOTS = [
    (datetime(2025, 1, 1, 9, tzinfo=UTC), "morning"),
    (datetime(2025, 1, 1, 18, tzinfo=UTC), "evening"),
]


class Slot(models.Model):
    """Never migrated, in a registry of its own (the suite's apps never see it): completing
    its rows reads nothing of it."""

    starts_at = models.DateTimeField(choices=SLOTS)

    class Meta:
        app_label = "review"
        apps = Apps()
        managed = False

    def __str__(self) -> str:
        return str(self.starts_at)


@pytest.mark.django_db
def test_a_datetime_field_with_choices_gets_one_of_its_choices_as_tuples_too():
    ctx = FillContext(using="default", mode="light", now=NOW, seed=0)
    maker = ctx.row_maker(Slot, frozenset())
    allowed = {moment for moment, _label in SLOTS}

    as_dicts = []
    complete = maker.bind(static=True)  # what create_entities used before bind_tuples
    for ordinal in range(20):
        row: dict = {}
        complete(row, ctx.rng("population", ordinal))
        as_dicts.append(row["starts_at"])
    assert set(as_dicts) <= allowed

    bound = maker.bind_tuples(())
    as_tuples = []
    for ordinal in range(20):
        row = {}
        bound.complete(row, ctx.rng("population", ordinal))
        as_tuples.append(tuple(row.values()))
    [column] = zip(*as_tuples, strict=True)
    made = epoch_datetimes(column) if "starts_at" in bound.epoch else list(column)
    assert made == as_dicts
