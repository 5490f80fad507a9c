"""The Mentara domain: a mental-health platform of clients, therapists and communities."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q


class Role(models.TextChoices):
    CLIENT = "client", "Client"
    THERAPIST = "therapist", "Therapist"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT, db_index=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ("username",)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class RoleManager(UserManager):
    """A manager that sees only the users of one role, so a proxy reads as its own table."""

    role: str = ""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(role=self.role)


class ClientManager(RoleManager):
    role = Role.CLIENT


class TherapistManager(RoleManager):
    role = Role.THERAPIST


class Client(User):
    """A user whose role is client; seeding requirements are declared against this proxy."""

    objects: ClassVar[ClientManager] = ClientManager()

    class Meta:
        proxy = True
        ordering = ("username",)

    def save(self, *args: object, **kwargs: object) -> None:
        self.role = Role.CLIENT
        super().save(*args, **kwargs)


class Therapist(User):
    """A user whose role is therapist."""

    objects: ClassVar[TherapistManager] = TherapistManager()

    class Meta:
        proxy = True
        ordering = ("username",)

    def save(self, *args: object, **kwargs: object) -> None:
        self.role = Role.THERAPIST
        super().save(*args, **kwargs)


class TimeStamped(models.Model):
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        abstract = True


class ClientProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="client_profile")
    date_of_birth = models.DateField(null=True, blank=True)
    pronouns = models.CharField(max_length=32, blank=True)
    goals = models.TextField(blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Client profile of {self.user}"


class TherapistProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="therapist_profile")
    license_number = models.CharField(max_length=32, unique=True)
    specialties = models.CharField(max_length=255, blank=True)
    years_experience = models.PositiveSmallIntegerField(default=0)
    hourly_rate = models.DecimalField(max_digits=7, decimal_places=2)
    bio = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0), name="therapist_profile_rate_not_negative"
            ),
        )

    def __str__(self) -> str:
        return f"Therapist profile of {self.user}"


class ClientTherapist(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="therapist_links")
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="client_links")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "client-therapist relationship"
        constraints = (
            models.UniqueConstraint(
                fields=("client",),
                condition=Q(status="active"),
                name="one_active_therapist_per_client",
            ),
            models.CheckConstraint(
                condition=~Q(client=F("therapist")), name="client_therapist_distinct_users"
            ),
        )
        indexes = (models.Index(fields=("therapist", "status")),)

    def __str__(self) -> str:
        return f"{self.client} with {self.therapist} ({self.status})"


class Community(TimeStamped):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "communities"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        MODERATOR = "moderator", "Moderator"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("user", "community"), name="one_membership_per_user"),
        )
        indexes = (models.Index(fields=("community", "role")),)

    def __str__(self) -> str:
        return f"{self.user} in {self.community} ({self.role})"


class Post(TimeStamped):
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="posts")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.title


class Comment(TimeStamped):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.post}"


class Heart(TimeStamped):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="hearts")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="hearts")

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("user", "post"), name="one_heart_per_user_and_post"),
        )

    def __str__(self) -> str:
        return f"{self.user} hearts {self.post}"


class Meeting(TimeStamped):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="client_meetings")
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="therapist_meetings")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)

    class Meta:
        ordering = ("-starts_at",)
        constraints = (
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"
            ),
        )

    def __str__(self) -> str:
        return f"{self.client} with {self.therapist} at {self.starts_at:%Y-%m-%d %H:%M}"


class Assessment(TimeStamped):
    class Instrument(models.TextChoices):
        PHQ9 = "PHQ-9", "PHQ-9 (depression)"
        GAD7 = "GAD-7", "GAD-7 (anxiety)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"

    # The highest score each instrument allows.
    MAX_SCORE: ClassVar[dict[str, int]] = {Instrument.PHQ9: 27, Instrument.GAD7: 21}

    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assessments")
    instrument = models.CharField(max_length=16, choices=Instrument.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = (
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0),
                name="assessment_score_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(score__isnull=False, completed_at__isnull=False),
                name="completed_assessment_has_score",
            ),
        )
        indexes = (models.Index(fields=("client", "status")),)

    def __str__(self) -> str:
        return f"{self.instrument} for {self.client} ({self.status})"


class Worksheet(TimeStamped):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        SUBMITTED = "submitted", "Submitted"
        REVIEWED = "reviewed", "Reviewed"

    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="created_worksheets")
    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assigned_worksheets")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ASSIGNED)
    due_date = models.DateField()

    def __str__(self) -> str:
        return self.title


class Conversation(TimeStamped):
    # A stable public identity (for URLs, and for seeding: random values are keyed by it, never by
    # a primary key a sequence allocated).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200, blank=True)
    participants = models.ManyToManyField(
        User, through="ConversationParticipant", related_name="conversations"
    )

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class ConversationParticipant(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participations"
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="conversation_participations"
    )
    joined_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("conversation", "user"), name="one_participation_per_user"
            ),
        )

    def __str__(self) -> str:
        return f"{self.user} in {self.conversation}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sent_messages")
    body = models.TextField()
    sent_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("sent_at",)

    def __str__(self) -> str:
        return f"Message from {self.sender} at {self.sent_at:%Y-%m-%d %H:%M}"


class TherapistAvailability(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        verbose_name_plural = "therapist availability"
        constraints = (
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="availability_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="availability_weekday_range"
            ),
        )

    def __str__(self) -> str:
        return f"{self.therapist} on {self.get_weekday_display()} {self.start_time}-{self.end_time}"


class SessionNote(TimeStamped):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="notes")
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="written_notes")
    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_notes")
    body = models.TextField()

    def __str__(self) -> str:
        return f"Note on {self.meeting}"


class Review(TimeStamped):
    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reviews_given")
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reviews_received")
    rating = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("client", "therapist"), name="one_review_per_client_and_therapist"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
        )

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.therapist} from {self.client}"
