"""Every mode stocks an empty database to docs/design.md's table, and the data makes sense.

The counts are checked independently of the engine: docs/design.md's requirement table is written
out below as plain data and every requirement is one ORM query that looks for an entity below its
minimum. The invariants of "The data must make sense" are each a query for violating rows, run
against one medium dataset seeded once for the class; ``test_invariant_query_catches_violation``
then breaks the data in one place per invariant and checks that the query notices, so no
invariant test can pass vacuously.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import Lag, Lower, Trim, TruncDate

import mentara_seed
from project.mentara.models import (
    Assessment,
    Client,
    ClientTherapist,
    Comment,
    Community,
    Conversation,
    ConversationParticipant,
    Heart,
    Meeting,
    Membership,
    Message,
    Post,
    Review,
    Role,
    SessionNote,
    Therapist,
    User,
    Worksheet,
)
from tests.conftest import NOW

SEED = 20260115
WINDOW_DAYS = 30
ACTIVE = ClientTherapist.Status.ACTIVE
COMPLETED = Meeting.Status.COMPLETED
SCHEDULED = Meeting.Status.SCHEDULED
CANCELLED = Meeting.Status.CANCELLED

# docs/design.md, "Requirements by mode", copied as data: (light, medium, heavy).
POPULATION = {
    "clients": (8, 20, 200),
    "therapists": (2, 5, 25),
    "communities": (3, 7, 15),
}
CLIENT = {
    "memberships": (1, 1, 3),
    "posts": (2, 5, 15),
    "comments": (5, 10, 30),
    "hearts": (1, 3, 10),
    "meetings_if_therapist": (1, 3, 8),
    "completed_assessments": (1, 2, 5),
    "worksheets_if_therapist": (1, 1, 3),
    "conversations": (1, 2, 4),
    "messages_per_conversation": (3, 5, 10),
}
THERAPIST = {
    "active_clients": (1, 2, 5),
    "memberships": (1, 1, 2),
    "posts": (1, 2, 6),
    "comments": (2, 5, 15),
    "availability_weekdays": (2, 3, 5),
    "meetings": (2, 4, 12),
    "worksheets_created": (1, 3, 8),
    "session_notes_written": (1, 2, 6),
    "reviews_received": (1, 1, 3),
}
COMMUNITY = {
    "members": (4, 8, 25),
    "posts": (5, 10, 40),
    "moderators": (1, 1, 2),
}
MODES = ("light", "medium", "heavy")


def level(row: tuple[int, int, int], mode: str) -> int:
    return row[MODES.index(mode)]


def has_active_therapist() -> Exists:
    return Exists(ClientTherapist.objects.filter(client=OuterRef("pk"), status=ACTIVE))


def with_active_link(client: str, therapist: str) -> Exists:
    """An active relationship between the row's ``client`` and ``therapist`` fields."""
    return Exists(
        ClientTherapist.objects.filter(
            client=OuterRef(client), therapist=OuterRef(therapist), status=ACTIVE
        )
    )


def is_member(user: str, community: str) -> Exists:
    return Exists(Membership.objects.filter(user=OuterRef(user), community=OuterRef(community)))


def recent_activity(now: datetime) -> Q:
    since = now - timedelta(days=WINDOW_DAYS)
    posts = Post.objects.filter(community=OuterRef("pk"), created_at__gte=since)
    comments = Comment.objects.filter(post__community=OuterRef("pk"), created_at__gte=since)
    return Q(Exists(posts)) | Q(Exists(comments))


def below(queryset: models.QuerySet, minimum: int, count: Count) -> list[Any]:
    """A few entities of ``queryset`` whose ``count`` is below ``minimum``."""
    return list(queryset.annotate(n=count).filter(n__lt=minimum).values_list("username", "n")[:5])


def shortfalls(mode: str) -> dict[str, Any]:
    """Every requirement of ``mode`` that some entity misses, counted with the ORM."""
    found: dict[str, Any] = {}

    def check(name: str, offenders: list[Any]) -> None:
        if offenders:
            found[name] = offenders

    populations = {"clients": Client, "therapists": Therapist, "communities": Community}
    for name, model in populations.items():
        total = model.objects.count()
        if total < level(POPULATION[name], mode):
            found[f"population: {name}"] = total

    clients = Client.objects.all()
    with_therapist = Client.objects.filter(has_active_therapist())
    client_counts = {
        "memberships": (clients, Count("memberships")),
        "posts": (clients, Count("posts")),
        "comments": (clients, Count("comments")),
        "hearts": (clients, Count("hearts")),
        "meetings_if_therapist": (with_therapist, Count("client_meetings")),
        "completed_assessments": (
            clients,
            Count("assessments", filter=Q(assessments__status=Assessment.Status.COMPLETED)),
        ),
        "worksheets_if_therapist": (with_therapist, Count("assigned_worksheets")),
        "conversations": (clients, Count("conversation_participations")),
    }
    for name, (queryset, count) in client_counts.items():
        check(f"client: {name}", below(queryset, level(CLIENT[name], mode), count))

    with_client = Conversation.objects.filter(
        Exists(
            ConversationParticipant.objects.filter(
                conversation=OuterRef("pk"), user__role=Role.CLIENT
            )
        )
    )
    check(
        "client: messages_per_conversation",
        list(
            with_client.annotate(n=Count("messages"))
            .filter(n__lt=level(CLIENT["messages_per_conversation"], mode))
            .values_list("pk", "n")[:5]
        ),
    )

    therapists = Therapist.objects.all()
    therapist_counts = {
        "active_clients": Count("client_links", filter=Q(client_links__status=ACTIVE)),
        "memberships": Count("memberships"),
        "posts": Count("posts"),
        "comments": Count("comments"),
        "availability_weekdays": Count("availability__weekday", distinct=True),
        "meetings": Count("therapist_meetings"),
        "worksheets_created": Count("created_worksheets"),
        "session_notes_written": Count("written_notes"),
        "reviews_received": Count("reviews_received"),
    }
    for name, count in therapist_counts.items():
        check(f"therapist: {name}", below(therapists, level(THERAPIST[name], mode), count))

    community_counts = {
        "members": Count("memberships", filter=Q(memberships__role=Membership.Role.MEMBER)),
        "posts": Count("posts"),
        "moderators": Count("memberships", filter=Q(memberships__role=Membership.Role.MODERATOR)),
    }
    for name, count in community_counts.items():
        check(
            f"community: {name}",
            list(
                Community.objects.annotate(n=count)
                .filter(n__lt=level(COMMUNITY[name], mode))
                .values_list("slug", "n")[:5]
            ),
        )
    check(
        "community: activity",
        list(Community.objects.exclude(recent_activity(NOW)).values_list("slug", flat=True)[:5]),
    )
    check("client: at most one active therapist", list(more_than_one_active_therapist()[:5]))
    return found


def more_than_one_active_therapist() -> models.QuerySet:
    return (
        ClientTherapist.objects.filter(status=ACTIVE)
        .values("client")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("client__username", "n")
    )


def assert_empty_database() -> None:
    for model in apps.get_app_config("mentara").get_models():
        assert not model._base_manager.exists(), f"{model._meta.label} is not empty"


# Modes from an empty database --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("mode", MODES)
def test_mode_from_empty_database_meets_design_table(mode: str) -> None:
    assert_empty_database()
    report = mentara_seed.seed(mode=mode, seed=SEED, now=NOW, strict=True)
    assert report.satisfied, report.as_dict()["gaps"]
    assert not [gap for gap in report.remaining if gap.missing], report.remaining
    assert sum(report.added.values()) > 0
    assert shortfalls(mode) == {}


@pytest.mark.django_db
def test_shortfall_queries_notice_a_missing_row() -> None:
    """The independent counting can fail: remove one row and the right requirement reports it."""
    mentara_seed.seed(mode="light", seed=SEED, now=NOW, strict=True)
    assert shortfalls("light") == {}
    # A therapist with exactly the minimum of weekdays loses one.
    therapist = (
        Therapist.objects.annotate(n=Count("availability__weekday", distinct=True))
        .filter(n=level(THERAPIST["availability_weekdays"], "light"))
        .first()
    )
    assert therapist is not None
    therapist.availability.filter(
        weekday=therapist.availability.order_by("weekday")[0].weekday
    ).delete()
    assert set(shortfalls("light")) == {"therapist: availability_weekdays"}


# Invariants of one medium run -------------------------------------------------------------------


def comment_authors_outside_community() -> models.QuerySet:
    return Comment.objects.exclude(is_member("author", "post__community"))


def post_authors_outside_community() -> models.QuerySet:
    return Post.objects.exclude(is_member("author", "community"))


def duplicate_hearts() -> models.QuerySet:
    return Heart.objects.values("user", "post").annotate(n=Count("pk")).filter(n__gt=1)


def hearts_outside_communities() -> models.QuerySet:
    return Heart.objects.exclude(is_member("user", "post__community"))


def meetings_not_with_clients_therapist() -> models.QuerySet:
    return Meeting.objects.exclude(with_active_link("client", "therapist"))


def meetings_before_relationship() -> models.QuerySet:
    started = ClientTherapist.objects.filter(
        client=OuterRef("client"), therapist=OuterRef("therapist"), status=ACTIVE
    ).values("started_at")[:1]
    return Meeting.objects.filter(starts_at__lt=models.Subquery(started))


def worksheets_not_with_clients_therapist() -> models.QuerySet:
    return Worksheet.objects.exclude(with_active_link("client", "therapist"))


def notes_not_with_clients_therapist() -> models.QuerySet:
    return SessionNote.objects.exclude(with_active_link("client", "therapist"))


def past_meetings_not_done() -> models.QuerySet:
    return Meeting.objects.filter(ends_at__lte=NOW).exclude(status__in=(COMPLETED, CANCELLED))


def future_meetings_not_scheduled() -> models.QuerySet:
    return Meeting.objects.filter(starts_at__gt=NOW).exclude(status=SCHEDULED)


def meetings_straddling_now() -> models.QuerySet:
    return Meeting.objects.filter(starts_at__lte=NOW, ends_at__gt=NOW)


def notes_not_matching_completed_meeting() -> models.QuerySet:
    return SessionNote.objects.filter(
        ~Q(meeting__status=COMPLETED)
        | ~Q(client=F("meeting__client"))
        | ~Q(therapist=F("meeting__therapist"))
        | Q(created_at__lt=F("meeting__ends_at"))
    )


def reviews_without_completed_meeting() -> models.QuerySet:
    met = Meeting.objects.filter(
        client=OuterRef("client"),
        therapist=OuterRef("therapist"),
        status=COMPLETED,
        ends_at__lte=OuterRef("created_at"),
    )
    return Review.objects.exclude(Exists(met))


def duplicate_reviews() -> models.QuerySet:
    return Review.objects.values("client", "therapist").annotate(n=Count("pk")).filter(n__gt=1)


def messages_from_outsiders() -> models.QuerySet:
    joined = ConversationParticipant.objects.filter(
        conversation=OuterRef("conversation"),
        user=OuterRef("sender"),
        joined_at__lte=OuterRef("sent_at"),
    )
    return Message.objects.exclude(Exists(joined))


def messages_before_conversation() -> models.QuerySet:
    return Message.objects.filter(sent_at__lt=F("conversation__created_at"))


def messages_out_of_order() -> models.QuerySet:
    """A message sent before the one written just before it in the same conversation."""
    previous = Window(Lag("sent_at"), partition_by=[F("conversation_id")], order_by=F("pk").asc())
    return Message.objects.annotate(previous=previous).filter(previous__gt=F("sent_at"))


def assessment_scores_out_of_range() -> models.QuerySet:
    return Assessment.objects.filter(status=Assessment.Status.COMPLETED).filter(
        Q(score__isnull=True)
        | Q(completed_at__isnull=True)
        | Q(score__lt=0)
        | Q(instrument=Assessment.Instrument.PHQ9, score__gt=27)
        | Q(instrument=Assessment.Instrument.GAD7, score__gt=21)
        | ~Q(instrument__in=(Assessment.Instrument.PHQ9, Assessment.Instrument.GAD7))
        | Q(completed_at__lt=F("created_at"))
    )


def worksheets_due_before_assigned() -> models.QuerySet:
    return Worksheet.objects.filter(due_date__lt=TruncDate("created_at"))


def memberships_before_sign_up() -> models.QuerySet:
    return Membership.objects.filter(joined_at__lt=F("user__date_joined"))


def joined_by_then(user: str, community: str) -> Exists:
    """The row's ``user`` had joined its ``community`` by the row's ``created_at``."""
    return Exists(
        Membership.objects.filter(
            user=OuterRef(user),
            community=OuterRef(community),
            joined_at__lte=OuterRef("created_at"),
        )
    )


def posts_before_joining() -> models.QuerySet:
    return Post.objects.exclude(joined_by_then("author", "community"))


def comments_before_joining() -> models.QuerySet:
    return Comment.objects.exclude(joined_by_then("author", "post__community")) | (
        Comment.objects.filter(created_at__lt=F("post__created_at"))
    )


def relationships_before_sign_up() -> models.QuerySet:
    return ClientTherapist.objects.filter(
        Q(started_at__lt=F("client__date_joined")) | Q(started_at__lt=F("therapist__date_joined"))
    )


def communities_without_recent_activity() -> models.QuerySet:
    return Community.objects.exclude(recent_activity(NOW))


def future_timestamps() -> dict[str, int]:
    """Rows per ``model.field`` holding a time after now, over every DateTimeField of the app;
    the times of scheduled meetings are the only ones allowed in the future."""
    found = {}
    for model in apps.get_app_config("mentara").get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.DateTimeField):
                continue
            rows = model._base_manager.filter(**{f"{field.name}__gt": NOW})
            if model is Meeting and field.name in {"starts_at", "ends_at", "created_at"}:
                rows = rows.exclude(status=SCHEDULED)
            if n := rows.count():
                found[f"{model._meta.label}.{field.name}"] = n
    return found


INVARIANTS: dict[str, Callable[[], models.QuerySet]] = {
    "comment author is a member of the post's community": comment_authors_outside_community,
    "post author is a member of its community": post_authors_outside_community,
    "nobody hearts the same post twice": duplicate_hearts,
    "hearts go to posts in the giver's communities": hearts_outside_communities,
    "meetings are with the client's therapist": meetings_not_with_clients_therapist,
    "meetings start after the relationship began": meetings_before_relationship,
    "worksheets are with the client's therapist": worksheets_not_with_clients_therapist,
    "session notes are with the client's therapist": notes_not_with_clients_therapist,
    "past meetings are completed or cancelled": past_meetings_not_done,
    "future meetings are scheduled": future_meetings_not_scheduled,
    "no meeting straddles now": meetings_straddling_now,
    "session notes follow their completed meeting": notes_not_matching_completed_meeting,
    "a review follows a completed meeting": reviews_without_completed_meeting,
    "one review per client-therapist pair": duplicate_reviews,
    "a message's sender is a participant": messages_from_outsiders,
    "messages are not before the conversation": messages_before_conversation,
    "messages are in time order": messages_out_of_order,
    "completed assessment scores are in range": assessment_scores_out_of_range,
    "every community has recent activity": communities_without_recent_activity,
    "worksheets are due on or after the day they were assigned": worksheets_due_before_assigned,
    "members join after they signed up": memberships_before_sign_up,
    "posts follow the author's joining the community": posts_before_joining,
    "comments follow the post and the author's joining": comments_before_joining,
    "relationships begin after both people signed up": relationships_before_sign_up,
}


INVARIANTS["at most one active therapist per client"] = more_than_one_active_therapist


# Breaking each invariant in one place ------------------------------------------------------------
# Each runs inside the test's own transaction, which is rolled back. "Nobody hearts the same post
# twice", "one review per pair" and "one active therapist" cannot be broken: the database's unique
# constraints refuse the row (tests/test_models.py covers those).


def first(queryset: models.QuerySet) -> Any:
    row = queryset.order_by("pk").first()
    assert row is not None, f"nothing to break in {queryset.model._meta.label}"
    return row


def past_meeting() -> Meeting:
    return first(Meeting.objects.filter(status=COMPLETED, notes__isnull=True))


def other_therapist(client_id: int) -> int:
    return first(Therapist.objects.exclude(client_links__client_id=client_id)).pk


def comment_by_outsider() -> None:
    comment = first(Comment.objects.all())
    outsider = first(User.objects.exclude(memberships__community=comment.post.community_id))
    Comment.objects.filter(pk=comment.pk).update(author=outsider)


def post_author_leaves() -> None:
    post = first(Post.objects.all())
    Membership.objects.filter(user=post.author_id, community=post.community_id).delete()


def heart_giver_leaves() -> None:
    heart = first(Heart.objects.all())
    Membership.objects.filter(user=heart.user_id, community=heart.post.community_id).delete()


def meeting_with_other_therapist() -> None:
    meeting = past_meeting()
    Meeting.objects.filter(pk=meeting.pk).update(therapist=other_therapist(meeting.client_id))


def meeting_before_relationship() -> None:
    starts = NOW - timedelta(days=400)
    Meeting.objects.filter(pk=past_meeting().pk).update(
        starts_at=starts, ends_at=starts + timedelta(minutes=50)
    )


def worksheet_from_other_therapist() -> None:
    worksheet = first(Worksheet.objects.all())
    Worksheet.objects.filter(pk=worksheet.pk).update(therapist=other_therapist(worksheet.client_id))


def note_client_changes_therapist() -> None:
    note = first(SessionNote.objects.all())
    ClientTherapist.objects.filter(client=note.client_id).update(
        status=ClientTherapist.Status.ENDED
    )


def past_meeting_still_scheduled() -> None:
    Meeting.objects.filter(pk=past_meeting().pk).update(status=SCHEDULED)


def future_meeting_completed() -> None:
    Meeting.objects.filter(pk=first(Meeting.objects.filter(status=SCHEDULED)).pk).update(
        status=COMPLETED
    )


def meeting_straddles_now() -> None:
    Meeting.objects.filter(pk=past_meeting().pk).update(
        starts_at=NOW - timedelta(minutes=10), ends_at=NOW + timedelta(minutes=40)
    )


def noted_meeting_cancelled() -> None:
    Meeting.objects.filter(pk=first(SessionNote.objects.all()).meeting_id).update(status=CANCELLED)


def reviewer_never_met() -> None:
    review = first(Review.objects.all())
    Meeting.objects.filter(client=review.client_id, therapist=review.therapist_id).update(
        status=CANCELLED
    )


def sender_leaves() -> None:
    message = first(Message.objects.all())
    ConversationParticipant.objects.filter(
        user=message.sender_id, conversation=message.conversation_id
    ).delete()


def conversation_starts_late() -> None:
    Conversation.objects.filter(pk=first(Message.objects.all()).conversation_id).update(
        created_at=NOW
    )


def first_message_sent_last() -> None:
    Message.objects.filter(pk=first(Message.objects.all()).pk).update(sent_at=NOW)


def score_out_of_range() -> None:
    assessment = first(Assessment.objects.filter(instrument=Assessment.Instrument.GAD7))
    Assessment.objects.filter(pk=assessment.pk).update(score=22)


def community_goes_quiet() -> None:
    community = Community.objects.order_by("slug")[0]
    since = NOW - timedelta(days=WINDOW_DAYS)
    Comment.objects.filter(post__community=community, created_at__gte=since).delete()
    Post.objects.filter(community=community, created_at__gte=since).delete()


def worksheet_due_before_assigned() -> None:
    worksheet = first(Worksheet.objects.all())
    Worksheet.objects.filter(pk=worksheet.pk).update(
        due_date=worksheet.created_at.date() - timedelta(days=1)
    )


def member_joins_before_sign_up() -> None:
    membership = first(Membership.objects.all())
    Membership.objects.filter(pk=membership.pk).update(
        joined_at=membership.user.date_joined - timedelta(days=1)
    )


def post_before_joining() -> None:
    post = first(Post.objects.all())
    joined = Membership.objects.get(user=post.author_id, community=post.community_id).joined_at
    Post.objects.filter(pk=post.pk).update(created_at=joined - timedelta(hours=1))


def comment_before_its_post() -> None:
    comment = first(Comment.objects.all())
    Comment.objects.filter(pk=comment.pk).update(
        created_at=comment.post.created_at - timedelta(hours=1)
    )


def relationship_before_sign_up() -> None:
    link = first(ClientTherapist.objects.all())
    ClientTherapist.objects.filter(pk=link.pk).update(
        started_at=link.client.date_joined - timedelta(days=1)
    )


SABOTAGE: dict[str, Callable[[], None]] = {
    "comment author is a member of the post's community": comment_by_outsider,
    "post author is a member of its community": post_author_leaves,
    "hearts go to posts in the giver's communities": heart_giver_leaves,
    "meetings are with the client's therapist": meeting_with_other_therapist,
    "meetings start after the relationship began": meeting_before_relationship,
    "worksheets are with the client's therapist": worksheet_from_other_therapist,
    "session notes are with the client's therapist": note_client_changes_therapist,
    "past meetings are completed or cancelled": past_meeting_still_scheduled,
    "future meetings are scheduled": future_meeting_completed,
    "no meeting straddles now": meeting_straddles_now,
    "session notes follow their completed meeting": noted_meeting_cancelled,
    "a review follows a completed meeting": reviewer_never_met,
    "a message's sender is a participant": sender_leaves,
    "messages are not before the conversation": conversation_starts_late,
    "messages are in time order": first_message_sent_last,
    "completed assessment scores are in range": score_out_of_range,
    "every community has recent activity": community_goes_quiet,
    "worksheets are due on or after the day they were assigned": worksheet_due_before_assigned,
    "members join after they signed up": member_joins_before_sign_up,
    "posts follow the author's joining the community": post_before_joining,
    "comments follow the post and the author's joining": comment_before_its_post,
    "relationships begin after both people signed up": relationship_before_sign_up,
}


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


@pytest.fixture(scope="class")
def medium_run(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """One medium run from an empty database with a fixed seed and ``now``, shared by the class
    and rolled back afterwards (each test runs in a savepoint inside this transaction)."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert_empty_database()
        report = mentara_seed.seed(mode="medium", seed=SEED, now=NOW, strict=True)
        assert report.satisfied, report.as_dict()["gaps"]
        yield report
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("medium_run")
class TestMediumRunMakesSense:
    @pytest.mark.parametrize("name", list(INVARIANTS), ids=[slug(n) for n in INVARIANTS])
    def test_invariant(self, name: str) -> None:
        assert list(INVARIANTS[name]()[:5]) == []

    @pytest.mark.parametrize("name", list(SABOTAGE), ids=[slug(n) for n in SABOTAGE])
    def test_invariant_query_catches_violation(self, name: str) -> None:
        assert not INVARIANTS[name]().exists()
        SABOTAGE[name]()
        assert INVARIANTS[name]().exists()

    def test_dataset_exercises_every_invariant(self) -> None:
        """The invariants are not satisfied vacuously: every kind of row they judge exists."""
        assert Comment.objects.exists()
        assert Heart.objects.exists()
        assert Meeting.objects.filter(status=COMPLETED, ends_at__lte=NOW).exists()
        assert Meeting.objects.filter(status=SCHEDULED, starts_at__gt=NOW).exists()
        assert Worksheet.objects.exists()
        assert SessionNote.objects.exists()
        assert Review.objects.exists()
        assert (
            Message.objects.values("conversation").annotate(n=Count("pk")).filter(n__gt=1).exists()
        )
        assert Assessment.objects.filter(status=Assessment.Status.COMPLETED).exists()

    def test_no_timestamp_after_now_except_scheduled_meetings(self) -> None:
        assert future_timestamps() == {}
        # The one exception is used: scheduled meetings are in the future.
        assert Meeting.objects.filter(status=SCHEDULED, starts_at__gt=NOW).exists()

    def test_future_timestamp_check_covers_every_model(self) -> None:
        later = NOW + timedelta(hours=1)
        Post.objects.filter(pk=first(Post.objects.all()).pk).update(created_at=later)
        User.objects.filter(pk=first(User.objects.all()).pk).update(last_login=later)
        Meeting.objects.filter(pk=past_meeting().pk).update(created_at=later)
        assert future_timestamps() == {
            "mentara.Post.created_at": 1,
            "mentara.User.last_login": 1,
            "mentara.Meeting.created_at": 1,
        }

    def test_usernames_and_emails_are_unique(self) -> None:
        for field in ("username", "email"):
            duplicates = (
                User.objects.annotate(value=Lower(field))
                .values("value")
                .annotate(n=Count("pk"))
                .filter(n__gt=1)
            )
            assert list(duplicates[:5]) == [], field
        assert not User.objects.filter(Q(username="") | Q(email="")).exists()

    def test_community_names_are_unique(self) -> None:
        duplicates = (
            Community.objects.annotate(value=Lower("name"))
            .values("value")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert list(duplicates) == []
        assert not Community.objects.annotate(t=Trim("name")).filter(t="").exists()

    def test_no_empty_titles_or_bodies(self) -> None:
        assert not Post.objects.annotate(t=Trim("title")).filter(t="").exists()
        assert not Post.objects.annotate(t=Trim("body")).filter(t="").exists()
        assert not Comment.objects.annotate(t=Trim("body")).filter(t="").exists()
        assert not Message.objects.annotate(t=Trim("body")).filter(t="").exists()

    def test_sign_ups_and_activity_spread_over_the_platform_life(self) -> None:
        joined = sorted(Client.objects.values_list("date_joined", flat=True))
        # Members of long standing and newcomers of the last weeks.
        assert NOW - joined[0] > timedelta(days=365), joined[0]
        assert NOW - joined[-1] < timedelta(days=28), joined[-1]
        ages = [NOW - moment for moment in joined]
        assert sum(age < timedelta(days=28) for age in ages) < len(ages) / 3
        # Posts span the platform's life, and each person's activity spans their membership:
        # most long-standing clients posted both more than 90 days ago and in the last 90.
        posts = Post.objects.values_list("created_at", flat=True)
        assert min(posts) < NOW - timedelta(days=365)
        assert max(posts) > NOW - timedelta(days=7)
        veterans = Client.objects.filter(date_joined__lt=NOW - timedelta(days=365)).annotate(
            old=Count("posts", filter=Q(posts__created_at__lt=NOW - timedelta(days=90))),
            new=Count("posts", filter=Q(posts__created_at__gte=NOW - timedelta(days=90))),
        )
        spread = [old > 0 and new > 0 for old, new in veterans.values_list("old", "new")]
        assert len(spread) >= 5 and sum(spread) > len(spread) / 2, spread

    def test_assessments_use_several_instruments(self) -> None:
        used = set(
            Assessment.objects.filter(status=Assessment.Status.COMPLETED).values_list(
                "instrument", flat=True
            )
        )
        assert len(used) >= 2, used
