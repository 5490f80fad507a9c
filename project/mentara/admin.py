"""Django admin for the Mentara domain.

Every model is registered. A seeded database can hold thousands of users, so foreign keys are
edited through autocomplete widgets rather than ``<select>`` boxes listing every row, filters
never list users, and each changelist joins the rows its columns display (``list_select_related``)
so a page of 100 rows costs a fixed number of queries.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator

from .models import (
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

EXCERPT_LENGTH = 60


def user_search(prefix: str) -> tuple[str, ...]:
    """The search fields that find a row by the user behind its ``prefix`` foreign key."""
    return (f"{prefix}__username", f"{prefix}__email", f"{prefix}__last_name")


def excerpt(text: str) -> str:
    return Truncator(text).chars(EXCERPT_LENGTH)


class MentaraAdmin(admin.ModelAdmin):
    """Base admin: the add form proposes "now" for the timestamps the models require."""

    now_fields: ClassVar[tuple[str, ...]] = ()

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        now = timezone.now()
        for name in self.now_fields:
            initial.setdefault(name, now)
        return initial


class TimeStampedAdmin(MentaraAdmin):
    """Base admin for models with the ``created_at`` column of ``TimeStamped``."""

    now_fields: ClassVar[tuple[str, ...]] = ("created_at",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)


# --- Users -------------------------------------------------------------------------------------


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (*BaseUserAdmin.list_display, "role")
    list_filter = ("role", *BaseUserAdmin.list_filter)
    fieldsets = (*BaseUserAdmin.fieldsets, ("Mentara", {"fields": ("role",)}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Mentara", {"fields": ("role",)}))
    date_hierarchy = "date_joined"


class RoleUserAdmin(UserAdmin):
    """Admin for a role proxy: lists only users of ``role``, and every user it saves has it."""

    role: ClassVar[str]
    list_display = BaseUserAdmin.list_display
    list_filter = BaseUserAdmin.list_filter
    fieldsets = BaseUserAdmin.fieldsets
    add_fieldsets = BaseUserAdmin.add_fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # The proxy's manager already filters; filtering here too keeps the admin right even if
        # the proxy's default manager changes.
        return super().get_queryset(request).filter(role=self.role)

    def save_model(
        self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool
    ) -> None:
        obj.role = self.role
        super().save_model(request, obj, form, change)


@admin.register(Client)
class ClientAdmin(RoleUserAdmin):
    role = Role.CLIENT


@admin.register(Therapist)
class TherapistAdmin(RoleUserAdmin):
    role = Role.THERAPIST


@admin.register(ClientProfile)
class ClientProfileAdmin(TimeStampedAdmin):
    list_display = ("user", "pronouns", "date_of_birth", "created_at")
    list_select_related = ("user",)
    search_fields = (*user_search("user"), "pronouns")
    autocomplete_fields = ("user",)


@admin.register(TherapistProfile)
class TherapistProfileAdmin(TimeStampedAdmin):
    list_display = ("user", "license_number", "specialties", "years_experience", "hourly_rate")
    list_select_related = ("user",)
    list_filter = ("years_experience",)
    search_fields = (*user_search("user"), "license_number", "specialties")
    autocomplete_fields = ("user",)


@admin.register(ClientTherapist)
class ClientTherapistAdmin(MentaraAdmin):
    now_fields = ("started_at",)
    list_display = ("client", "therapist", "status", "started_at", "ended_at")
    list_select_related = ("client", "therapist")
    list_filter = ("status",)
    search_fields = (*user_search("client"), *user_search("therapist"))
    autocomplete_fields = ("client", "therapist")
    date_hierarchy = "started_at"
    ordering = ("-started_at",)


@admin.register(TherapistAvailability)
class TherapistAvailabilityAdmin(MentaraAdmin):
    list_display = ("therapist", "weekday", "start_time", "end_time")
    list_select_related = ("therapist",)
    list_filter = ("weekday",)
    search_fields = user_search("therapist")
    autocomplete_fields = ("therapist",)
    ordering = ("therapist__username", "weekday", "start_time")


# --- Communities -------------------------------------------------------------------------------


@admin.register(Community)
class CommunityAdmin(TimeStampedAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields: ClassVar[dict[str, tuple[str, ...]]] = {"slug": ("name",)}
    ordering = ("name",)


@admin.register(Membership)
class MembershipAdmin(MentaraAdmin):
    now_fields = ("joined_at",)
    list_display = ("user", "community", "role", "joined_at")
    list_select_related = ("user", "community")
    list_filter = ("role", "community")
    search_fields = (*user_search("user"), "community__name")
    autocomplete_fields = ("user", "community")
    date_hierarchy = "joined_at"
    ordering = ("-joined_at",)


@admin.register(Post)
class PostAdmin(TimeStampedAdmin):
    list_display = ("title", "author", "community", "created_at")
    list_select_related = ("author", "community")
    list_filter = ("community",)
    search_fields = ("title", *user_search("author"))
    autocomplete_fields = ("author", "community")


@admin.register(Comment)
class CommentAdmin(TimeStampedAdmin):
    list_display = ("short_body", "author", "post", "created_at")
    list_select_related = ("author", "post")
    search_fields = ("body", "post__title", *user_search("author"))
    autocomplete_fields = ("post", "author")

    @admin.display(description="body")
    def short_body(self, obj: Comment) -> str:
        return excerpt(obj.body)


@admin.register(Heart)
class HeartAdmin(TimeStampedAdmin):
    list_display = ("user", "post", "created_at")
    list_select_related = ("user", "post")
    search_fields = ("post__title", *user_search("user"))
    autocomplete_fields = ("user", "post")


# --- Care --------------------------------------------------------------------------------------


@admin.register(Meeting)
class MeetingAdmin(TimeStampedAdmin):
    now_fields = ("created_at", "starts_at", "ends_at")
    list_display = ("starts_at", "ends_at", "client", "therapist", "status")
    list_select_related = ("client", "therapist")
    list_filter = ("status",)
    search_fields = (*user_search("client"), *user_search("therapist"))
    autocomplete_fields = ("client", "therapist")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at",)


@admin.register(SessionNote)
class SessionNoteAdmin(TimeStampedAdmin):
    list_display = ("meeting", "therapist", "client", "short_body", "created_at")
    # ``Meeting.__str__`` names the meeting's client and therapist, so join them too.
    list_select_related = ("meeting__client", "meeting__therapist", "therapist", "client")
    search_fields = ("body", *user_search("client"), *user_search("therapist"))
    autocomplete_fields = ("meeting", "therapist", "client")

    @admin.display(description="body")
    def short_body(self, obj: SessionNote) -> str:
        return excerpt(obj.body)


@admin.register(Assessment)
class AssessmentAdmin(TimeStampedAdmin):
    list_display = ("client", "instrument", "status", "score", "created_at", "completed_at")
    list_select_related = ("client",)
    list_filter = ("instrument", "status")
    search_fields = user_search("client")
    autocomplete_fields = ("client",)


@admin.register(Worksheet)
class WorksheetAdmin(TimeStampedAdmin):
    list_display = ("title", "therapist", "client", "status", "due_date")
    list_select_related = ("therapist", "client")
    list_filter = ("status", "due_date")
    search_fields = ("title", *user_search("client"), *user_search("therapist"))
    autocomplete_fields = ("therapist", "client")


@admin.register(Review)
class ReviewAdmin(TimeStampedAdmin):
    list_display = ("therapist", "client", "rating", "created_at")
    list_select_related = ("therapist", "client")
    list_filter = ("rating",)
    search_fields = ("body", *user_search("therapist"), *user_search("client"))
    autocomplete_fields = ("client", "therapist")


# --- Messaging ---------------------------------------------------------------------------------


class ConversationParticipantInline(admin.TabularInline):
    model = ConversationParticipant
    autocomplete_fields = ("user",)
    extra = 0


@admin.register(Conversation)
class ConversationAdmin(TimeStampedAdmin):
    list_display = ("__str__", "participant_count", "created_at")
    search_fields = ("title", "=public_id")
    readonly_fields = ("public_id",)
    inlines = (ConversationParticipantInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return super().get_queryset(request).annotate(_participant_count=Count("participations"))

    @admin.display(description="participants", ordering="_participant_count")
    def participant_count(self, obj: Conversation) -> int:
        return obj._participant_count  # type: ignore[attr-defined]


@admin.register(ConversationParticipant)
class ConversationParticipantAdmin(MentaraAdmin):
    now_fields = ("joined_at",)
    list_display = ("user", "conversation", "joined_at")
    list_select_related = ("user", "conversation")
    search_fields = ("conversation__title", *user_search("user"))
    autocomplete_fields = ("conversation", "user")
    date_hierarchy = "joined_at"
    ordering = ("-joined_at",)


@admin.register(Message)
class MessageAdmin(MentaraAdmin):
    now_fields = ("sent_at",)
    list_display = ("sent_at", "sender", "conversation", "short_body")
    list_select_related = ("sender", "conversation")
    search_fields = ("body", "conversation__title", *user_search("sender"))
    autocomplete_fields = ("conversation", "sender")
    date_hierarchy = "sent_at"
    ordering = ("-sent_at",)

    @admin.display(description="body")
    def short_body(self, obj: Message) -> str:
        return excerpt(obj.body)
