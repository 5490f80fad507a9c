"""The demo's rows made in epoch seconds (meetings, worksheets, memberships) are those the
datetime code makes, draw for draw and moment for moment, for any fixed-offset clock; for a zone
with DST they are made by the datetime code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mentara_seed.rand import Rand
from project.mentara.models import Membership, Worksheet
from project.mentara.seeding import (
    MEETING_FIELDS,
    MEMBERSHIP_FIELDS,
    WORKSHEET_FIELDS,
    MeetingClock,
    Memberships,
    Worksheets,
    assign_worksheet,
    latest,
    schedule_meeting,
    since_then,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def as_seconds(row: dict[str, Any]) -> tuple:
    return tuple(
        round(row[name].timestamp()) if isinstance(row[name], datetime) else row[name]
        for name in MEETING_FIELDS
    )


def sinces(now: datetime) -> list[datetime | None]:
    """Relationships of every age: new ones (no past session fits), older than the past
    window, later than now, in other zones, and none."""
    berlin = ZoneInfo("Europe/Berlin")
    kolkata = timezone(timedelta(hours=5, minutes=30))
    starts: list[datetime | None] = [None, now + timedelta(days=3), now - timedelta(minutes=30)]
    for hours in (1, 7, 49, 24 * 20 + 5, 24 * 59 + 23, 24 * 400):
        moment = now - timedelta(hours=hours, minutes=17, seconds=41)
        starts += [moment, moment.astimezone(berlin), moment.astimezone(kolkata)]
    return starts


CLOCKS = [
    NOW,
    datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),  # before Europe's spring change
    datetime(2026, 1, 15, 23, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 7, 1, 2, 0, tzinfo=timezone(timedelta(hours=-7))),
]


class Recorder:
    """A context that keeps what a fill adds, as (model, fields and values) in call order,
    tuples with their epoch fields as the datetimes they stand for."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.added: list[tuple[Any, dict[str, Any]]] = []

    def add(self, model: Any, /, **values: Any) -> None:
        self.added.append((model, values))

    def appender(self, model: Any, names: tuple[str, ...], *, epoch: Any = ()) -> Any:
        recorder = self

        class Appender:
            def append(self, row: tuple) -> None:
                values = dict(zip(names, row, strict=True))
                for name in epoch:
                    values[name] = datetime.fromtimestamp(values[name], UTC)
                recorder.added.append((model, values))

        return Appender()


def same_rows(left: list[tuple[Any, dict[str, Any]]], right: list[tuple[Any, dict[str, Any]]]):
    """Equal models, fields and moments (a datetime's zone aside: the database stores UTC)."""
    assert [(model, list(values)) for model, values in left] == [
        (model, list(values)) for model, values in right
    ]
    assert [values for _m, values in left] == [values for _m, values in right]


@pytest.mark.parametrize("now", CLOCKS)
def test_the_clocks_meetings_are_schedule_meetings(now: datetime):
    ctx: Any = SimpleNamespace(now=now)
    clock = MeetingClock(ctx)
    assert clock.exact
    for index, since in enumerate(sinces(now)):
        link = clock.link(since)
        assert link is not None
        for ordinal in range(40):
            expected = Rand("meetings", index, ordinal)
            drawn = Rand("meetings", index, ordinal)
            row = schedule_meeting(ctx, expected, 1, 2, since)
            assert clock.meeting(drawn, 1, 2, link) == as_seconds(row)
            assert drawn.random() == expected.random()  # the same number of draws


def test_the_clock_declines_what_seconds_cannot_hold():
    zoned = MeetingClock(SimpleNamespace(now=NOW.astimezone(ZoneInfo("Europe/Berlin"))))
    fraction = MeetingClock(SimpleNamespace(now=NOW.replace(microsecond=5)))
    assert not zoned.exact and zoned.link(NOW - timedelta(days=9)) is None
    assert not fraction.exact and fraction.link(NOW - timedelta(days=9)) is None
    clock = MeetingClock(SimpleNamespace(now=NOW))
    assert clock.link(NOW - timedelta(days=9, microseconds=1)) is None


@pytest.mark.parametrize("now", [*CLOCKS, NOW.astimezone(ZoneInfo("Europe/Berlin"))])
def test_worksheets_in_seconds_are_assign_worksheets(now: datetime):
    expected, made = Recorder(now), Recorder(now)
    worksheets = Worksheets(made)  # type: ignore[arg-type]
    for index, since in enumerate(sinces(now)):
        if since is None:
            continue
        start = worksheets.start(since)
        for ordinal in range(30):
            assign_worksheet(expected, Rand("w", index, ordinal), 1, 2, since)  # type: ignore[arg-type]
            worksheets.add(Rand("w", index, ordinal), 1, 2, since, start)
    same_rows(made.added, expected.added)
    assert all(model is Worksheet for model, _values in made.added)
    assert {tuple(values) for _m, values in made.added} == {WORKSHEET_FIELDS}
    statuses = {values["status"] for _m, values in made.added}
    assert len(statuses) == 3  # assigned, and done one way or the other


@pytest.mark.parametrize("now", CLOCKS)
def test_memberships_in_seconds_are_since_then_or_the_first_trace(now: datetime):
    expected, made = Recorder(now), Recorder(now)
    memberships = Memberships(made)  # type: ignore[arg-type]
    starts = [since for since in sinces(now) if since is not None]
    for index, start in enumerate(starts):
        for trace in (None, start, start + timedelta(seconds=1, microseconds=7), now):
            rng = Rand("m", index)
            joined = since_then(rng, start, now)
            first = joined if trace is None else trace
            expected.add(
                Membership, user_id=1, community_id=2, role="member", joined_at=min(joined, first)
            )
            memberships.add(Rand("m", index), 1, 2, "member", start, trace)
    same_rows(made.added, expected.added)
    assert any(tuple(values) == MEMBERSHIP_FIELDS for _m, values in made.added)
    assert latest(*(v["joined_at"] for _m, v in made.added)) <= now
