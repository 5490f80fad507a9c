"""The database itself rejects the rows the Mentara constraints forbid.

Each test saves with the ORM (``save()`` does not run ``validate_constraints()``), so the only
thing that can stop a bad row is the constraint in the database. Each one also saves the nearest
good row first, so a test cannot pass because of some unrelated error, and checks the error names
the expected constraint (PostgreSQL names every constraint; SQLite names CHECK constraints but
reports the columns of a UNIQUE one; MariaDB names a UNIQUE key after its first column, and the
partial unique constraint, which it lacks, is a unique index of the same name on a virtual
column: see mentara migration 0002).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from project.mentara.models import (
    Assessment,
    Client,
    ClientTherapist,
    Community,
    Heart,
    Meeting,
    Membership,
    Post,
    Review,
    Role,
    Therapist,
    TherapistAvailability,
    TherapistProfile,
    User,
)

pytestmark = pytest.mark.django_db


@contextmanager
def rejected_by(*evidence: str) -> Iterator[None]:
    """Expect the block to raise IntegrityError mentioning one of ``evidence``.

    The savepoint keeps the test's transaction usable after the error (PostgreSQL aborts the
    whole transaction otherwise).
    """
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        yield
    message = str(excinfo.value)
    assert any(text in message for text in evidence), message


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()


@pytest.fixture
def client_user() -> User:
    return User.objects.create(username="casey", role=Role.CLIENT)


@pytest.fixture
def therapist() -> User:
    return User.objects.create(username="dr-tess", role=Role.THERAPIST)


@pytest.fixture
def other_therapist() -> User:
    return User.objects.create(username="dr-theo", role=Role.THERAPIST)


@pytest.fixture
def community(now: dt.datetime) -> Community:
    return Community.objects.create(name="Anxiety support", slug="anxiety-support", created_at=now)


@pytest.fixture
def post(client_user: User, community: Community, now: dt.datetime) -> Post:
    return Post.objects.create(
        author=client_user, community=community, title="Hello", body="First post", created_at=now
    )


# --- ClientTherapist ---------------------------------------------------------------------------


def test_second_active_therapist_is_rejected(client_user, therapist, other_therapist, now):
    ClientTherapist.objects.create(
        client=client_user,
        therapist=therapist,
        status=ClientTherapist.Status.ACTIVE,
        started_at=now,
    )
    with rejected_by("one_active_therapist_per_client", "mentara_clienttherapist.client_id"):
        ClientTherapist.objects.create(
            client=client_user,
            therapist=other_therapist,
            status=ClientTherapist.Status.ACTIVE,
            started_at=now,
        )


def test_ended_relationship_does_not_block_a_new_active_one(
    client_user, therapist, other_therapist, now
):
    ClientTherapist.objects.create(
        client=client_user,
        therapist=therapist,
        status=ClientTherapist.Status.ENDED,
        started_at=now - dt.timedelta(days=90),
        ended_at=now - dt.timedelta(days=30),
    )
    ClientTherapist.objects.create(
        client=client_user,
        therapist=other_therapist,
        status=ClientTherapist.Status.ACTIVE,
        started_at=now,
    )
    # A pending link is not active either, so it may sit beside the active one.
    ClientTherapist.objects.create(
        client=client_user,
        therapist=therapist,
        status=ClientTherapist.Status.PENDING,
        started_at=now,
    )
    assert ClientTherapist.objects.filter(client=client_user).count() == 3
    assert (
        ClientTherapist.objects.get(client=client_user, status=ClientTherapist.Status.ACTIVE)
    ).therapist == other_therapist


def test_another_clients_active_therapist_is_allowed(client_user, therapist, now):
    """The unique constraint is per client: one therapist may have many active clients."""
    second_client = User.objects.create(username="casey-2", role=Role.CLIENT)
    for client in (client_user, second_client):
        ClientTherapist.objects.create(client=client, therapist=therapist, started_at=now)
    assert ClientTherapist.objects.filter(therapist=therapist).count() == 2


def test_client_therapist_with_same_user_on_both_sides_is_rejected(client_user, now):
    with rejected_by("client_therapist_distinct_users"):
        ClientTherapist.objects.create(
            client=client_user,
            therapist=client_user,
            status=ClientTherapist.Status.ENDED,
            started_at=now,
        )


# --- Community and membership ------------------------------------------------------------------


def test_duplicate_community_name_is_rejected(community, now):
    with rejected_by("mentara_community_name_key", "mentara_community.name", "for key 'name'"):
        Community.objects.create(name=community.name, slug="another-slug", created_at=now)


def test_duplicate_community_slug_is_rejected(community, now):
    with rejected_by("mentara_community_slug_key", "mentara_community.slug", "for key 'slug'"):
        Community.objects.create(name="Another name", slug=community.slug, created_at=now)


def test_duplicate_membership_is_rejected(client_user, community, now):
    Membership.objects.create(user=client_user, community=community, joined_at=now)
    with rejected_by(
        "one_membership_per_user", "mentara_membership.user_id, mentara_membership.community_id"
    ):
        Membership.objects.create(
            user=client_user,
            community=community,
            role=Membership.Role.MODERATOR,
            joined_at=now,
        )


def test_duplicate_heart_is_rejected(client_user, post, now):
    Heart.objects.create(user=client_user, post=post, created_at=now)
    with rejected_by("one_heart_per_user_and_post", "mentara_heart.user_id, mentara_heart.post_id"):
        Heart.objects.create(user=client_user, post=post, created_at=now + dt.timedelta(hours=1))


# --- Reviews -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [0, 6])
def test_review_rating_outside_1_to_5_is_rejected(client_user, therapist, now, rating):
    with rejected_by("review_rating_1_to_5"):
        Review.objects.create(
            client=client_user, therapist=therapist, rating=rating, created_at=now
        )


@pytest.mark.parametrize("rating", [1, 5])
def test_review_rating_bounds_are_allowed(client_user, therapist, now, rating):
    Review.objects.create(client=client_user, therapist=therapist, rating=rating, created_at=now)


def test_second_review_of_the_same_therapist_is_rejected(
    client_user, therapist, other_therapist, now
):
    Review.objects.create(client=client_user, therapist=therapist, rating=4, created_at=now)
    Review.objects.create(client=client_user, therapist=other_therapist, rating=4, created_at=now)
    with rejected_by(
        "one_review_per_client_and_therapist",
        "mentara_review.client_id, mentara_review.therapist_id",
    ):
        Review.objects.create(client=client_user, therapist=therapist, rating=2, created_at=now)


# --- Meetings and availability -----------------------------------------------------------------


@pytest.mark.parametrize(
    "length", [dt.timedelta(minutes=-50), dt.timedelta(0)], ids=["ends-before", "ends-at-start"]
)
def test_meeting_not_ending_after_it_starts_is_rejected(client_user, therapist, now, length):
    with rejected_by("meeting_ends_after_start"):
        Meeting.objects.create(
            client=client_user,
            therapist=therapist,
            starts_at=now,
            ends_at=now + length,
            created_at=now,
        )


def test_meeting_ending_after_it_starts_is_allowed(client_user, therapist, now):
    Meeting.objects.create(
        client=client_user,
        therapist=therapist,
        starts_at=now,
        ends_at=now + dt.timedelta(microseconds=1),
        created_at=now,
    )


def test_availability_ending_before_it_starts_is_rejected(therapist):
    TherapistAvailability.objects.create(
        therapist=therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    with rejected_by("availability_ends_after_start"):
        TherapistAvailability.objects.create(
            therapist=therapist, weekday=1, start_time=dt.time(17), end_time=dt.time(9)
        )


# --- Profiles and assessments ------------------------------------------------------------------


def test_negative_hourly_rate_is_rejected(therapist, other_therapist, now):
    TherapistProfile.objects.create(
        user=other_therapist, license_number="LIC-1", hourly_rate=Decimal("0.00"), created_at=now
    )
    with rejected_by("therapist_profile_rate_not_negative"):
        TherapistProfile.objects.create(
            user=therapist, license_number="LIC-2", hourly_rate=Decimal("-0.01"), created_at=now
        )


def test_completed_assessment_without_score_is_rejected(client_user, now):
    Assessment.objects.create(
        client=client_user,
        instrument=Assessment.Instrument.PHQ9,
        status=Assessment.Status.COMPLETED,
        score=0,
        completed_at=now,
        created_at=now,
    )
    with rejected_by("completed_assessment_has_score"):
        Assessment.objects.create(
            client=client_user,
            instrument=Assessment.Instrument.GAD7,
            status=Assessment.Status.COMPLETED,
            score=None,
            completed_at=now,
            created_at=now,
        )


def test_pending_assessment_without_score_is_allowed(client_user, now):
    Assessment.objects.create(
        client=client_user, instrument=Assessment.Instrument.GAD7, created_at=now
    )


# --- Role proxies ------------------------------------------------------------------------------


def test_proxy_managers_see_only_their_role():
    clients = {User.objects.create(username=f"client-{i}", role=Role.CLIENT) for i in range(2)}
    therapists = {User.objects.create(username=f"dr-{i}", role=Role.THERAPIST) for i in range(3)}
    others = {
        User.objects.create(username="mod", role=Role.MODERATOR),
        User.objects.create(username="root", role=Role.ADMIN),
    }

    assert set(Client.objects.values_list("pk", flat=True)) == {u.pk for u in clients}
    assert set(Therapist.objects.values_list("pk", flat=True)) == {u.pk for u in therapists}
    assert User.objects.count() == len(clients | therapists | others)
    with pytest.raises(Client.DoesNotExist):
        Client.objects.get(pk=next(iter(therapists)).pk)
    with pytest.raises(Therapist.DoesNotExist):
        Therapist.objects.get(pk=next(iter(clients)).pk)


def test_proxy_save_sets_its_role():
    client = Client.objects.create(username="new-client", role=Role.THERAPIST)
    therapist = Therapist.objects.create_user(username="new-therapist")

    assert User.objects.get(pk=client.pk).role == Role.CLIENT
    assert User.objects.get(pk=therapist.pk).role == Role.THERAPIST
    assert list(Client.objects.all()) == [client]
    assert list(Therapist.objects.all()) == [therapist]


# --- Migrations --------------------------------------------------------------------------------


def test_models_and_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"makemigrations found model changes without a migration:\n{out.getvalue()}")


def test_all_migrations_are_applied():
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
