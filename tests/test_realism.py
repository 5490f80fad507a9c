"""Believable data: the demo reads like a real platform, at every size.

- At heavy, the texts an admin page shows are varied: the share of distinct values of each text
  column meets the goals of issue 12 (measured there at 10% of post titles, 0.2% of messages).
- At medium, people are not clones: posts and comments per client, and members per community,
  range at least 3:1 with a coefficient of variation of at least 0.4; the README's ten sample
  rows are what that build writes.
- Conversations fit who is talking: no line a therapist sends is ever sent by anyone else, and
  conversations with a therapist never share a line with conversations between peers.

Each build is made once for the class of tests that reads it, inside a transaction rolled back
at the end.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q

import mentara_seed
from project.mentara import content
from project.mentara.models import (
    Client,
    Comment,
    Community,
    ConversationParticipant,
    Membership,
    Message,
    Post,
    Review,
    Role,
    SessionNote,
)
from tests.conftest import NOW
from tests.test_modes_and_invariants import SEED, assert_empty_database

pytestmark = pytest.mark.django_db

#: (model, text field, the least share of distinct values at heavy), from issue 12's table.
VARIETY_GOALS = {
    "post titles": (Post, "title", 0.60),
    "post bodies": (Post, "body", 0.95),
    "comment bodies": (Comment, "body", 0.60),
    "message bodies": (Message, "body", 0.50),
    "review bodies": (Review, "body", 0.80),
    "session notes": (SessionNote, "body", 0.80),
}


def built(mode: str, django_db_blocker: Any) -> Iterator[mentara_seed.SeedReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        assert_empty_database()
        report = mentara_seed.seed(mode=mode, seed=SEED, now=NOW)
        assert report.satisfied, report.as_dict()["remaining_gaps"]
        yield report
        transaction.set_rollback(True)


@pytest.fixture(scope="class")
def heavy_run(django_db_setup: None, django_db_blocker: Any) -> Iterator[mentara_seed.SeedReport]:
    yield from built("heavy", django_db_blocker)


@pytest.fixture(scope="class")
def medium_run(django_db_setup: None, django_db_blocker: Any) -> Iterator[mentara_seed.SeedReport]:
    yield from built("medium", django_db_blocker)


def distinct_share(model: type[models.Model], field: str) -> tuple[int, float]:
    values = list(model.objects.values_list(field, flat=True))
    return len(values), len(set(values)) / len(values)


def spread(counts: list[int]) -> tuple[float, float]:
    """(max / min, coefficient of variation) of per-entity counts."""
    return max(counts) / min(counts), statistics.pstdev(counts) / statistics.mean(counts)


def per_client(relation: str) -> list[int]:
    return list(Client.objects.annotate(n=Count(relation)).values_list("n", flat=True))


def members_per_community() -> list[int]:
    member = Q(memberships__role=Membership.Role.MEMBER)
    return list(
        Community.objects.annotate(n=Count("memberships", filter=member)).values_list(
            "n", flat=True
        )
    )


@pytest.mark.usefixtures("medium_run")
class TestMediumBuild:
    def test_readme_sample_rows_are_what_a_medium_build_writes(self) -> None:
        rows = readme_sample_rows()
        assert len(rows) == 10
        assert {kind for kind, _by, _body in rows} == set(SAMPLE_SOURCES)
        assert missing_sample_rows() == []
        Comment.objects.filter(author__username=rows[2][1], body=rows[2][2]).update(body="edited")
        assert missing_sample_rows() == [rows[2]]

    @pytest.mark.parametrize(
        "name, counts",
        [
            ("posts per client", lambda: per_client("posts")),
            ("comments per client", lambda: per_client("comments")),
            ("members per community", members_per_community),
        ],
    )
    def test_medium_people_are_not_clones(self, name: str, counts: Any) -> None:
        values = counts()
        ratio, cv = spread(values)
        assert ratio >= 3, f"{name}: range {min(values)}-{max(values)} is under 3:1"
        assert cv >= 0.4, f"{name}: coefficient of variation {cv:.2f} is under 0.4"


README = Path(__file__).resolve().parent.parent / "README.md"
#: Where each kind of README sample row lives: (model, author field, text field).
SAMPLE_SOURCES = {
    "post title": (Post, "author__username", "title"),
    "post body": (Post, "author__username", "body"),
    "comment": (Comment, "author__username", "body"),
    "message": (Message, "sender__username", "body"),
}


def readme_sample_rows() -> list[tuple[str, str, str]]:
    text = README.read_text()
    table = text[text.index("<!-- sample-rows") :].split("\n\n")[0]
    rows = [line.strip("|").split(" | ") for line in table.splitlines()[3:]]
    return [(kind.strip(), by.strip(), body.strip()) for kind, by, body in rows]


def missing_sample_rows() -> list[tuple[str, str, str]]:
    missing = []
    for kind, by, body in readme_sample_rows():
        model, author, field = SAMPLE_SOURCES[kind]
        if not model.objects.filter(**{author: by, field: body}).exists():
            missing.append((kind, by, body))
    return missing


def test_spread_check_fails_on_clones() -> None:
    assert spread([5] * 20) == (1.0, 0.0)
    ratio, cv = spread([5] * 18 + [8, 15])
    assert ratio >= 3 and cv < 0.4


def with_therapist() -> Exists:
    return Exists(
        ConversationParticipant.objects.filter(
            conversation=OuterRef("conversation"), user__role=Role.THERAPIST
        )
    )


def voices() -> dict[str, set[str]]:
    """Message bodies by who sends them and where."""
    messages = Message.objects.annotate(therapy=with_therapist())
    return {
        "therapist": set(
            messages.filter(sender__role=Role.THERAPIST).values_list("body", flat=True)
        ),
        "client to therapist": set(
            messages.filter(therapy=True)
            .exclude(sender__role=Role.THERAPIST)
            .values_list("body", flat=True)
        ),
        "peer": set(messages.filter(therapy=False).values_list("body", flat=True)),
    }


@pytest.mark.usefixtures("heavy_run")
class TestHeavyBuild:
    @pytest.mark.parametrize("text", list(VARIETY_GOALS))
    def test_heavy_texts_meet_the_variety_goals(self, text: str) -> None:
        model, field, goal = VARIETY_GOALS[text]
        rows, share = distinct_share(model, field)
        assert rows >= 50, f"too few {text} to judge: {rows}"
        assert share >= goal, f"{text}: {share:.1%} distinct of {rows}, goal {goal:.0%}"

    def test_no_text_reads_lorem_ipsum(self) -> None:
        for model, field, _goal in VARIETY_GOALS.values():
            assert not model.objects.filter(**{f"{field}__icontains": "lorem"}).exists()

    def test_lines_fit_who_is_talking(self) -> None:
        said = voices()
        assert all(said.values()), {name: len(lines) for name, lines in said.items()}
        assert said["therapist"].isdisjoint(said["client to therapist"])
        assert said["therapist"].isdisjoint(said["peer"])
        # Peer support and therapy read differently: no line is shared between the two.
        assert said["peer"].isdisjoint(said["client to therapist"])

    def test_voice_check_notices_a_client_speaking_like_a_therapist(self) -> None:
        line = Message.objects.filter(sender__role=Role.THERAPIST).values_list("body", flat=True)[0]
        peer = Message.objects.annotate(therapy=with_therapist()).filter(therapy=False)[0]
        Message.objects.filter(pk=peer.pk).update(body=line)
        assert not voices()["therapist"].isdisjoint(voices()["peer"])


def test_the_banks_share_no_sentence() -> None:
    """The root of the rule above: the sentences each voice is composed of are disjoint."""
    therapist = {
        *content.THERAPIST_ACKS,
        *content.THERAPIST_FOLLOWUPS,
        *content.THERAPIST_ENCOURAGEMENT,
        *content.THERAPIST_SCHEDULING,
    } - {""}
    client = {
        *content.CLIENT_OPENINGS,
        *content.CLIENT_SCHEDULING,
        *content.CLIENT_REPLIES,
        *content.CLIENT_DETAILS,
        *content.CLIENT_SIGNOFFS,
    } - {""}
    peer = {
        *content.PEER_OPENINGS,
        *content.PEER_REACTIONS,
        *content.PEER_SHARES,
        *content.PEER_QUESTIONS,
        *content.PEER_SIGNOFFS,
    } - {""}
    assert therapist.isdisjoint(client)
    assert therapist.isdisjoint(peer)
    assert client.isdisjoint(peer)
