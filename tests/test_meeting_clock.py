"""``MeetingClock``: the demo's meetings in epoch seconds are ``schedule_meeting``'s, draw for
draw and moment for moment, for any fixed-offset clock; otherwise it declines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mentara_seed.rand import Rand
from project.mentara.seeding import MEETING_FIELDS, MeetingClock, schedule_meeting

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


@pytest.mark.parametrize(
    "now",
    [
        NOW,
        datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),  # before Europe's spring change
        datetime(2026, 1, 15, 23, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 7, 1, 2, 0, tzinfo=timezone(timedelta(hours=-7))),
    ],
)
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
