"""Every Mentara model has a working admin: changelist, search, add and change views.

Rows are built with the ORM by one small factory per model, each making its own related rows,
so a test can ask for "one more X" without knowing what X depends on.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from project.mentara.models import (
    Assessment,
    Client,
    ClientProfile,
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
    TherapistAvailability,
    TherapistProfile,
    User,
    Worksheet,
)

# get_models() already yields proxies; naming them keeps the test honest if that ever changes.
MODELS: list[type[Model]] = sorted(
    set(apps.get_app_config("mentara").get_models(include_auto_created=False))
    | {Client, Therapist},
    key=lambda model: model._meta.model_name,
)
MODEL_IDS = [model._meta.model_name for model in MODELS]

_seq = itertools.count(1)


# --- Factories ---------------------------------------------------------------------------------


def make_user(role: str = Role.MODERATOR) -> User:
    n = next(_seq)
    return User.objects.create(
        username=f"{role}-{n}",
        email=f"{role}-{n}@example.com",
        first_name=f"First{n}",
        last_name=f"Last{n}",
        role=role,
    )


def make_client() -> User:
    return make_user(Role.CLIENT)


def make_therapist() -> User:
    return make_user(Role.THERAPIST)


def make_client_profile() -> ClientProfile:
    return ClientProfile.objects.create(
        user=make_client(),
        date_of_birth=dt.date(1990, 5, 17),
        pronouns="they/them",
        goals="Sleep better",
        created_at=timezone.now(),
    )


def make_therapist_profile() -> TherapistProfile:
    n = next(_seq)
    return TherapistProfile.objects.create(
        user=make_therapist(),
        license_number=f"LIC-{n:05d}",
        specialties="anxiety grief",
        years_experience=7,
        hourly_rate=Decimal("120.00"),
        created_at=timezone.now(),
    )


def make_client_therapist() -> ClientTherapist:
    return ClientTherapist.objects.create(
        client=make_client(), therapist=make_therapist(), started_at=timezone.now()
    )


def make_community() -> Community:
    n = next(_seq)
    return Community.objects.create(
        name=f"Community {n}", slug=f"community-{n}", created_at=timezone.now()
    )


def make_membership() -> Membership:
    return Membership.objects.create(
        user=make_client(), community=make_community(), joined_at=timezone.now()
    )


def make_post() -> Post:
    n = next(_seq)
    return Post.objects.create(
        author=make_client(),
        community=make_community(),
        title=f"Post{n}",
        body="Some days are harder than others.",
        created_at=timezone.now(),
    )


def make_comment() -> Comment:
    n = next(_seq)
    return Comment.objects.create(
        post=make_post(), author=make_client(), body=f"Comment{n}", created_at=timezone.now()
    )


def make_heart() -> Heart:
    return Heart.objects.create(user=make_client(), post=make_post(), created_at=timezone.now())


def make_meeting() -> Meeting:
    starts_at = timezone.now() + dt.timedelta(days=1)
    return Meeting.objects.create(
        client=make_client(),
        therapist=make_therapist(),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
        created_at=timezone.now(),
    )


def make_session_note() -> SessionNote:
    n = next(_seq)
    meeting = make_meeting()
    return SessionNote.objects.create(
        meeting=meeting,
        therapist=meeting.therapist,
        client=meeting.client,
        body=f"Note{n}",
        created_at=timezone.now(),
    )


def make_assessment() -> Assessment:
    now = timezone.now()
    return Assessment.objects.create(
        client=make_client(),
        instrument=Assessment.Instrument.PHQ9,
        status=Assessment.Status.COMPLETED,
        score=11,
        completed_at=now,
        created_at=now,
    )


def make_worksheet() -> Worksheet:
    n = next(_seq)
    return Worksheet.objects.create(
        therapist=make_therapist(),
        client=make_client(),
        title=f"Worksheet{n}",
        due_date=timezone.localdate() + dt.timedelta(days=7),
        created_at=timezone.now(),
    )


def make_conversation() -> Conversation:
    n = next(_seq)
    conversation = Conversation.objects.create(title=f"Conversation{n}", created_at=timezone.now())
    for user in (make_client(), make_therapist()):
        ConversationParticipant.objects.create(
            conversation=conversation, user=user, joined_at=timezone.now()
        )
    return conversation


def make_conversation_participant() -> ConversationParticipant:
    conversation = Conversation.objects.create(
        title=f"Conversation{next(_seq)}", created_at=timezone.now()
    )
    return ConversationParticipant.objects.create(
        conversation=conversation, user=make_client(), joined_at=timezone.now()
    )


def make_message() -> Message:
    participant = make_conversation_participant()
    return Message.objects.create(
        conversation=participant.conversation,
        sender=participant.user,
        body=f"Message{next(_seq)}",
        sent_at=timezone.now(),
    )


def make_availability() -> TherapistAvailability:
    return TherapistAvailability.objects.create(
        therapist=make_therapist(),
        weekday=TherapistAvailability.Weekday.TUESDAY,
        start_time=dt.time(9),
        end_time=dt.time(17),
    )


def make_review() -> Review:
    return Review.objects.create(
        client=make_client(),
        therapist=make_therapist(),
        rating=4,
        body=f"Review{next(_seq)}",
        created_at=timezone.now(),
    )


FACTORIES: dict[type[Model], Callable[[], Model]] = {
    User: make_user,
    Client: lambda: Client.objects.get(pk=make_client().pk),
    Therapist: lambda: Therapist.objects.get(pk=make_therapist().pk),
    ClientProfile: make_client_profile,
    TherapistProfile: make_therapist_profile,
    ClientTherapist: make_client_therapist,
    Community: make_community,
    Membership: make_membership,
    Post: make_post,
    Comment: make_comment,
    Heart: make_heart,
    Meeting: make_meeting,
    SessionNote: make_session_note,
    Assessment: make_assessment,
    Worksheet: make_worksheet,
    Conversation: make_conversation,
    ConversationParticipant: make_conversation_participant,
    Message: make_message,
    TherapistAvailability: make_availability,
    Review: make_review,
}


# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """``admin_user`` hashes a password; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def rows(db) -> dict[type[Model], Model]:
    """One row of every model, each with its own related rows."""
    return {model: FACTORIES[model]() for model in MODELS}


def admin_url(model: type[Model], view: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def result_pks(response) -> set[object]:
    return {obj.pk for obj in response.context["cl"].result_list}


def field_value(obj: Model, search_field: str) -> str:
    """The value ``obj`` holds for an admin search field such as ``"^client__username"``."""
    value: object = obj
    for part in search_field.lstrip("^=@").split("__"):
        value = getattr(value, part)
    return str(value)


# --- Tests -------------------------------------------------------------------------------------


def test_every_model_has_a_factory():
    assert set(FACTORIES) == set(MODELS)
    assert {Client, Therapist} <= set(MODELS)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_model_is_registered(model):
    assert admin.site.is_registered(model)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_changelist_renders(admin_client, rows, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert rows[model].pk in result_pks(response)


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_add_view_renders(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_change_view_renders(admin_client, rows, model):
    row = rows[model]
    response = admin_client.get(admin_url(model, "change", row.pk))
    assert response.status_code == 200
    assert response.context["original"].pk == row.pk


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_changelist_search_finds_the_row(admin_client, rows, model):
    search_fields = admin.site.get_model_admin(model).search_fields
    if not search_fields:
        pytest.skip(f"{model.__name__} admin has no search_fields")
    row = rows[model]
    url = admin_url(model, "changelist")
    for search_field in search_fields:
        term = field_value(row, search_field)
        response = admin_client.get(url, {"q": term})
        assert response.status_code == 200, search_field
        assert row.pk in result_pks(response), f"searching {search_field} for {term!r}"

    response = admin_client.get(url, {"q": "no-row-matches-this-zq9"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, rows, model):
    url = admin_url(model, "changelist")
    admin_client.get(url)  # warm up per-process caches (content types, site, ...)

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    for _ in range(3):
        FACTORIES[model]()
    with CaptureQueriesContext(connection) as more:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 4
    assert len(more) == len(few), "\n".join(q["sql"] for q in more.captured_queries)


@pytest.mark.parametrize(
    ("proxy", "role", "other"),
    [(Client, Role.CLIENT, Therapist), (Therapist, Role.THERAPIST, Client)],
    ids=["client", "therapist"],
)
def test_role_admin_shows_only_its_role(admin_client, rows, proxy, role, other):
    response = admin_client.get(admin_url(proxy, "changelist"))
    assert response.status_code == 200
    listed = response.context["cl"].result_list
    assert listed
    assert {user.role for user in listed} == {role}
    assert rows[other].pk not in {user.pk for user in listed}

    # A user of another role is not reachable through this admin at all.
    response = admin_client.get(admin_url(proxy, "change", rows[other].pk))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_adding_through_therapist_admin_makes_a_therapist(admin_client):
    response = admin_client.post(
        admin_url(Therapist, "add"),
        {"username": "dr-new", "usable_password": "false", "password1": "", "password2": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="dr-new")
    assert user.role == Role.THERAPIST
    assert response.url == admin_url(Therapist, "change", user.pk)


def test_user_admin_shows_and_filters_role(admin_client, rows):
    url = admin_url(User, "changelist")
    response = admin_client.get(url, {"role__exact": Role.THERAPIST})
    assert response.status_code == 200
    assert rows[Therapist].pk in result_pks(response)
    assert rows[Client].pk not in result_pks(response)
    assert b"column-role" in response.content


AUTOCOMPLETE_FIELDS = [
    (model, field_name)
    for model in MODELS
    for field_name in admin.site.get_model_admin(model).autocomplete_fields
]


@pytest.mark.parametrize(
    ("model", "field_name"),
    AUTOCOMPLETE_FIELDS,
    ids=[f"{model._meta.model_name}.{name}" for model, name in AUTOCOMPLETE_FIELDS],
)
def test_autocomplete_field_finds_the_related_row(admin_client, rows, model, field_name):
    related = getattr(rows[model], field_name)
    search_fields = admin.site.get_model_admin(type(related)).search_fields
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field_name,
            "term": field_value(related, search_fields[0]),
        },
    )
    assert response.status_code == 200
    assert str(related.pk) in {result["id"] for result in response.json()["results"]}
