"""How mentara-seed stocks the Mentara demo: the requirement table of docs/design.md and the
rules that make the data believable (authors are members, meetings are with the client's
therapist, ...).

Autodiscovered by ``mentara_seed`` from ``AppConfig.ready()``.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import uuid
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from mentara_seed import (
    CodePointOrder,
    FillContext,
    Gap,
    Levels,
    LongTail,
    Requirement,
    Seeder,
    parallel,
    register,
    seeded_password,
)
from mentara_seed.auditing import AuditContext
from mentara_seed.estimate import StepEstimate
from mentara_seed.rand import Rand

from . import content
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

MEETING_MINUTES = 50
ACTIVE = ClientTherapist.Status.ACTIVE

# Step ids, named once so that ``after`` declarations and lookups cannot drift apart.
THERAPIST_CLIENTS = "mentara.Therapist.clients"
COMMUNITY_MODERATORS = "mentara.Community.moderators"
COMMUNITY_MEMBERS = "mentara.Community.members"
COMMUNITY_POSTS = "mentara.Community.posts"
CLIENT_MEMBERSHIPS = "mentara.Client.memberships"
CLIENT_POSTS = "mentara.Client.posts"
CLIENT_COMMENTS = "mentara.Client.comments"
CLIENT_MEETINGS = "mentara.Client.meetings"
CLIENT_WORKSHEETS = "mentara.Client.worksheets"
CLIENT_CONVERSATIONS = "mentara.Client.conversations"
THERAPIST_MEMBERSHIPS = "mentara.Therapist.memberships"
THERAPIST_POSTS = "mentara.Therapist.posts"
THERAPIST_COMMENTS = "mentara.Therapist.comments"
THERAPIST_MEETINGS = "mentara.Therapist.meetings"
THERAPIST_NOTES = "mentara.Therapist.session_notes"
CONVERSATION_MESSAGES = "mentara.Conversation.messages"

# People are not clones: most sit near the minimum, a few are far busier (a Pareto tail drawn
# from each entity's key, cut at the cap). Medium shows the widest spread (up to ten times the
# minimum); heavy caps are lower so a large build stays about twice the minimum's volume. A
# membership cap stays within the communities of the mode's population. Communities of up to
# forty members at medium recruit new clients once the twenty are all in: size differs.
SPREAD = {
    "client_memberships": LongTail(alpha=2.0, cap=Levels(2, 4, 6)),
    "client_posts": LongTail(alpha=1.5, cap=Levels(8, 50, 60)),
    "client_comments": LongTail(alpha=1.5, cap=Levels(20, 100, 120)),
    "client_hearts": LongTail(alpha=1.5, cap=Levels(4, 30, 40)),
    "client_meetings": LongTail(alpha=1.5, cap=Levels(3, 8, 16)),
    "client_conversations": LongTail(alpha=2.5, cap=Levels(2, 4, 8)),
    "conversation_messages": LongTail(alpha=2.0, cap=Levels(6, 10, 20)),
    "therapist_clients": LongTail(alpha=1.5, cap=Levels(3, 5, 8)),
    "community_members": LongTail(alpha=0.8, cap=Levels(12, 40, 60)),
}


#: Staff and superusers run the platform: whatever their role field says (``createsuperuser``
#: leaves the default, client), they are never counted or filled as demo clients or therapists.
OPERATOR = Q(is_staff=True) | Q(is_superuser=True)


def people(ctx: FillContext, model: type[User] = User) -> QuerySet:
    """The users of ``model`` (User, Client or Therapist) the demo may count and fill."""
    return ctx.objects(model).exclude(OPERATOR)


def has_active_therapist(ctx: AuditContext) -> Q:
    return Q(Exists(ClientTherapist.objects.filter(client=OuterRef("pk"), status=ACTIVE)))


def has_client_participant(ctx: AuditContext) -> Q:
    return Q(
        Exists(
            ConversationParticipant.objects.filter(
                conversation=OuterRef("pk"),
                user__role=Role.CLIENT,
                user__is_staff=False,
                user__is_superuser=False,
            )
        )
    )


def recent_activity(ctx: AuditContext, window_days: int | None) -> Case:
    since = ctx.now - timedelta(days=window_days or 30)
    posts = Post.objects.filter(community=OuterRef("pk"), created_at__gte=since)
    comments = Comment.objects.filter(post__community=OuterRef("pk"), created_at__gte=since)
    return Case(
        When(Q(Exists(posts)) | Q(Exists(comments)), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


# Time lines ---------------------------------------------------------------------------------------
# The platform has been open for two years: sign-ups spread over that time, a share of clients
# joined in the last weeks, and everything a person does happens between their arrival and now.

PLATFORM_DAYS = 730
NEWCOMER_DAYS = 28
NEWCOMER_SHARE = 0.12
#: Therapists and moderators are on the platform a while before they take clients or moderate.
PROFESSIONAL_LEAD_DAYS = 60
#: Relationships a fill starts begin at least this long before now, so past sessions fit.
LINK_LEAD = timedelta(days=2)


def sign_up_time(rng: Rand, now: datetime, role: str, *, newcomers: bool = True) -> datetime:
    if role != Role.CLIENT:
        return rng.moment_before(now, days=PLATFORM_DAYS, min_days=PROFESSIONAL_LEAD_DAYS)
    if newcomers and rng.random() < NEWCOMER_SHARE:
        return rng.moment_before(now, days=NEWCOMER_DAYS, min_days=0.02)
    return rng.moment_before(now, days=PLATFORM_DAYS, min_days=NEWCOMER_DAYS)


def since_then(rng: Rand, start: datetime, now: datetime) -> datetime:
    """A moment between ``start`` and now (now itself when ``start`` is later, as a hand-made
    row may be)."""
    return rng.moment_between(min(start, now), now)


def second_of(moment: datetime) -> int:
    """The first whole second since 1970 at or after ``moment``: where ``moment_between``
    starts, as an epoch second (for rows whose times are given as ``epoch`` fields)."""
    return math.ceil(moment.timestamp())


def now_seconds(ctx: FillContext) -> tuple[int, int]:
    """The run's clock as the bounds ``since_then`` uses: its ceiling and floor in epoch
    seconds (equal for a whole-second ``--now``)."""
    stamp = ctx.now.timestamp()
    return math.ceil(stamp), math.floor(stamp)


def since_then_s(rng: Rand, start: int, now: tuple[int, int]) -> int:
    """``since_then`` in epoch seconds: ``start`` as ``second_of`` gives it, ``now`` as
    ``now_seconds`` does; the same draw and the same second."""
    return rng.second_between(min(start, now[0]), now[1])


def latest(*moments: datetime | None) -> datetime:
    return max(moment for moment in moments if moment is not None)


def dates_joined(ctx: FillContext, user_ids: Any) -> dict[Any, datetime]:
    return {
        pk: joined
        for pk, (joined,) in _first(
            ctx.values_by(ctx.objects(User), "pk", "date_joined", keys=sorted(set(user_ids)))
        ).items()
    }


def memberships_of(ctx: FillContext, user_ids: Any) -> dict[Any, list[tuple[Any, datetime]]]:
    """(community_id, joined_at) of each user's memberships, by community slug."""
    return ctx.values_by(
        ctx.objects(Membership).order_by(CodePointOrder("community__slug")),
        "user_id",
        "community_id",
        "joined_at",
        keys=user_ids,
    )


def relationship_start(rng: Rand, now: datetime, *joined: datetime) -> datetime:
    """When a relationship a fill starts began: after both people joined, within the last year,
    and at least LINK_LEAD ago when their sign-ups allow (so it can have past sessions)."""
    floor = latest(*joined, now - timedelta(days=365))
    if floor > now - LINK_LEAD:
        return since_then(rng, floor, now)
    return rng.moment_between(floor, now - LINK_LEAD)


# Users --------------------------------------------------------------------------------------------


def _draw_posts(
    rng: Rand, pools: list[list[tuple]], count: int, *, exclude: set[Any], author: Any
) -> list[tuple]:
    """``count`` distinct posts from the pools (by community, then post), skipping ``exclude``;
    others' posts first (random draws, then an exhaustive pass only when those keep missing),
    the author's own only when the author's communities hold too few of others'."""
    chosen: list[tuple] = []
    seen = set(exclude)
    for _attempt in range(count * 20 if pools else 0):
        if len(chosen) == count:
            return chosen
        post = rng.pick(rng.pick(pools))
        if post[0] not in seen and post[1] != author:
            seen.add(post[0])
            chosen.append(post)
    for others in (True, False):
        rest = [
            p for pool in pools for p in pool if p[0] not in seen and (p[1] != author) is others
        ]
        picked = rng.sample(rest, k=min(count - len(chosen), len(rest)))
        seen.update(p[0] for p in picked)
        chosen += picked
    return chosen


def least_busy(load: dict[Any, int]) -> Iterator[Any]:
    """The keys of ``load`` by least load, each pick adding one to its load, the first in
    ``load``'s order among equals: ``min(load, key=load.get)`` then ``load[pick] += 1``, as a
    heap, so a step assigning every client is not clients times therapists."""
    heap = [(n, index, key) for index, (key, n) in enumerate(load.items())]
    heapq.heapify(heap)
    while heap:
        n, index, key = heap[0]
        heapq.heapreplace(heap, (n + 1, index, key))
        yield key


def create_users(
    ctx: FillContext, role: str, keys: Sequence[tuple[Any, ...]], *, newcomers: bool = True
) -> list[User]:
    """New users of ``role``, one per key; names, usernames and emails are drawn from the key, and
    values that hand-made rows already hold are skipped deterministically. ``newcomers=False``:
    nobody who signed up in the last weeks (a client about to start therapy)."""
    if not keys:
        return []
    people = {}
    for key in keys:
        rng = ctx.rng("user", role, *key)
        people[key] = (rng.first_name(), rng.last_name())

    def generator(key: tuple[Any, ...]) -> Rand:
        """The key's generator where the names left it: made again rather than kept, since a
        generator is 2.5 kB of state and a population step at the row cap makes 84,800 users."""
        rng = ctx.rng("user", role, *key)
        rng.first_name()
        rng.last_name()
        return rng

    def username(key: tuple[Any, ...], attempt: int) -> str:
        first, last = people[key]
        base = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        return base if attempt == 0 else f"{base}{attempt + 1}"

    usernames = ctx.claim_unique(User, "username", keys, username)
    emails = ctx.claim_unique(
        User,
        "email",
        keys,
        lambda key, attempt: f"{usernames[key]}{'' if attempt == 0 else attempt}@example.org",
    )
    rows = []
    for key in keys:
        first, last = people[key]
        rows.append(
            {
                "username": usernames[key],
                "email": emails[key],
                "first_name": first,
                "last_name": last,
                "role": role,
                "password": seeded_password(),
                "is_active": True,
                "date_joined": sign_up_time(generator(key), ctx.now, role, newcomers=newcomers),
            }
        )
    users = ctx.insert(User, rows)
    licenses = _claim_licenses(ctx, keys) if role == Role.THERAPIST else {}
    for key, user in zip(keys, users, strict=True):
        rng = generator(key)
        sign_up_time(rng, ctx.now, role, newcomers=newcomers)
        if role == Role.CLIENT:
            ctx.add(
                ClientProfile,
                user_id=user.pk,
                date_of_birth=(ctx.now - timedelta(days=rng.randint(18 * 365, 70 * 365))).date(),
                pronouns=rng.choice(content.PRONOUNS),
                goals=content.client_goals(rng),
                created_at=user.date_joined,
            )
        elif role == Role.THERAPIST:
            specialties = content.therapist_specialties(rng)
            years = rng.randint(2, 30)
            ctx.add(
                TherapistProfile,
                user_id=user.pk,
                license_number=licenses[key],
                specialties=specialties,
                years_experience=years,
                hourly_rate=Decimal(rng.randrange(80, 220, 5)),
                bio=content.therapist_bio(rng, user.first_name, specialties, years),
                created_at=user.date_joined,
            )
    return users


def _claim_licenses(ctx: FillContext, keys: Sequence[tuple[Any, ...]]) -> dict[Any, str]:
    return ctx.claim_unique(
        TherapistProfile,
        "license_number",
        keys,
        lambda key, attempt: f"LPC-{ctx.rng('license', *key, attempt).randrange(10**7):07d}",
    )


def _first(grouped: dict[Any, list[tuple]]) -> dict[Any, tuple]:
    """The one row per key of a values_by() read keyed by a unique field."""
    return {key: rows[0] for key, rows in grouped.items()}


def _existing(ctx: FillContext, queryset: Any, group: str, field: str, keys: Any) -> dict:
    return {
        k: [row[0] for row in rows]
        for k, rows in ctx.values_by(queryset, group, field, keys=keys).items()
    }


# Shared fills -------------------------------------------------------------------------------------


def content_traces(ctx: FillContext, by: str, keys: Any) -> dict[Any, dict[Any, datetime]]:
    """When each user first posted, commented or hearted in each community, for the users
    (``by="user"``) or communities (``by="community"``) in ``keys``: a membership deleted by
    hand leaves these behind, and the member they belong to is the one to bring back."""
    sources = (
        (Post, "author_id", "community_id"),
        (Comment, "author_id", "post__community_id"),
        (Heart, "user_id", "post__community_id"),
    )
    traces: dict[Any, dict[Any, datetime]] = defaultdict(dict)
    for model, user, community in sources:
        group, other = (user, community) if by == "user" else (community, user)
        firsts = ctx.objects(model).values(user, community).annotate(first=Min("created_at"))
        for key, rows in ctx.values_by(firsts.order_by(), group, other, "first", keys=keys).items():
            seen = traces[key]
            for other_key, first in rows:
                seen[other_key] = min(first, seen.get(other_key, first))
    return traces


def popular_first(rng: Rand, options: Sequence[Any], sizes: Sequence[int], count: int) -> list[Any]:
    """``count`` distinct options, each drawn with odds in proportion to its size plus one:
    people join where others already are, so big communities grow and small ones stay small."""
    return Popularity(options, sizes).pick(rng, (), count)


class Popularity:
    """``popular_first`` over many users who each leave out a few options, in time that grows
    with the options a user leaves out and the log of all options, not with all options: the
    cumulative weights are built once, and the user's own cumulative (over the options it does
    not leave out) is the global one minus the weights left out before each position, ints, so
    every comparison with the draw is the same as on the user's own list. The draws and the
    picks are exactly those of ``popular_first(rng, free, free_sizes, count)`` on the free list
    (``tests/test_popularity.py`` compares them)."""

    def __init__(self, options: Sequence[Any], sizes: Sequence[int]) -> None:
        self.options = list(options)
        self.position = {option: index for index, option in enumerate(self.options)}
        self.cumulative = list(itertools.accumulate(size + 1 for size in sizes))

    def pick(self, rng: Rand, excluded: Iterable[Any], count: int) -> list[Any]:
        """``popular_first(rng, free, sizes of free, count)``, ``free`` being the options not in
        ``excluded``, in their order."""
        cumulative = self.cumulative
        n = len(cumulative)
        # The positions left out, in order, and the weight left out before each of them.
        gone = sorted({self.position[o] for o in excluded if o in self.position})
        before = [0, *itertools.accumulate(self._weight(i) for i in gone)]
        free = n - len(gone)
        picked: dict[Any, None] = {}
        if free:
            total = cumulative[-1] - before[-1]
            last = self.nth_free(free - 1, gone)
            for _attempt in range(8 * count):
                if len(picked) == count:
                    return list(picked)
                target = rng.random() * total
                # The first position whose free cumulative (its cumulative minus the weight left
                # out up to it) exceeds the target: bisect_right on the free list. A left-out
                # position repeats the free cumulative before it, so it is never the first.
                if not gone:
                    lo, hi = bisect.bisect_right(cumulative, target), 0
                else:
                    lo, hi = 0, n
                while lo < hi:
                    mid = (lo + hi) // 2
                    if target < cumulative[mid] - before[bisect.bisect_right(gone, mid)]:
                        hi = mid
                    else:
                        lo = mid + 1
                picked[self.options[lo if lo < n else last]] = None
        rest = _Rest(self, sorted([*gone, *(self.position[o] for o in picked)]), free - len(picked))
        return [*picked, *rng.sample(rest, k=min(count - len(picked), len(rest)))]

    def _weight(self, index: int) -> int:
        return self.cumulative[index] - (self.cumulative[index - 1] if index else 0)

    def nth_free(self, nth: int, gone: Sequence[int]) -> int:
        """The position of the ``nth`` option not at a position in ``gone`` (sorted)."""
        index = nth
        for position in gone:
            if position > index:
                break
            index += 1
        return index


class _Rest(Sequence[Any]):
    """The options at no position in ``gone`` (sorted), in order, without listing them:
    ``Rand.sample`` reads only the few it draws (or copies the population when it is small)."""

    def __init__(self, popularity: Popularity, gone: list[int], size: int) -> None:
        self.popularity = popularity
        self.gone = gone
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if not -self.size <= index < self.size:
            raise IndexError(index)
        nth = index % self.size
        return self.popularity.options[self.popularity.nth_free(nth, self.gone)]

    def __iter__(self) -> Iterator[Any]:
        gone = set(self.gone)
        options = self.popularity.options
        return (option for index, option in enumerate(options) if index not in gone)


def join_communities(ctx: FillContext, gaps: Sequence[Gap], purpose: str) -> None:
    """Each user joins communities it is not in yet, as a member: first those where its posts,
    comments or hearts outlived a membership deleted by hand, then others, busy ones likelier."""
    created = dict(
        ctx.objects(Community).order_by(CodePointOrder("slug")).values_list("pk", "created_at")
    )
    sizes = dict(
        ctx.objects(Membership)
        .values("community_id")
        .annotate(n=Count("pk"))
        .values_list("community_id", "n")
        .order_by()
    )
    rank = {pk: index for index, pk in enumerate(created)}
    # The sizes are read once for the whole step: every user draws from the same weights.
    popularity = Popularity(list(created), [sizes.get(pk, 0) for pk in created])
    keys = [g.pk for g in gaps]
    joined = _existing(ctx, ctx.objects(Membership), "user_id", "community_id", keys)
    arrived = dates_joined(ctx, keys)
    traces = content_traces(ctx, "user", keys)
    memberships = Memberships(ctx)
    for gap in gaps:
        mine = set(joined.get(gap.pk, ()))
        left = {c: first for c, first in traces.get(gap.pk, {}).items() if c not in mine}
        rng = ctx.rng(gap.key, purpose)
        chosen = sorted(left, key=rank.__getitem__)[: gap.missing]
        chosen += popularity.pick(rng, [*mine, *left], gap.missing - len(chosen))
        if len(chosen) < gap.missing:
            ctx.shortfall(gap, "not enough communities to join")
        for community_id in chosen:
            memberships.add(
                rng,
                gap.pk,
                community_id,
                Membership.Role.MEMBER,
                latest(arrived[gap.pk], created[community_id]),
                left.get(community_id),
            )


MEMBERSHIP_FIELDS = ("user_id", "community_id", "role", "joined_at")


class Memberships:
    """Memberships queued as tuples, joined ``since_then`` a start, or at the first trace a
    returning member left when that is earlier: the same draw and moment in epoch seconds."""

    def __init__(self, ctx: FillContext) -> None:
        self.ctx = ctx
        self.rows = ctx.appender(Membership, MEMBERSHIP_FIELDS, epoch=("joined_at",))
        self.now = now_seconds(ctx)

    def add(
        self,
        rng: Rand,
        user_id: Any,
        community_id: Any,
        role: str,
        start: datetime,
        trace: datetime | None,
    ) -> None:
        """``add(Membership, ..., joined_at=min(joined, trace))`` with ``joined`` drawn as
        ``since_then(rng, start, ctx.now)`` draws it."""
        joined = since_then_s(rng, second_of(start), self.now)
        if trace is not None and trace < datetime.fromtimestamp(joined, UTC):
            # A time read back (a hand-made row's, perhaps with a fraction): as it is.
            self.ctx.add(
                Membership, user_id=user_id, community_id=community_id, role=role, joined_at=trace
            )
            return
        self.rows.append((user_id, community_id, role, joined))


def write_posts(ctx: FillContext, gaps: Sequence[Gap], purpose: str) -> None:
    """Posts by each author, in communities the author belongs to, spread over each membership."""
    memberships = memberships_of(ctx, [g.pk for g in gaps])
    now = now_seconds(ctx)
    for gap in gaps:
        mine = memberships.get(gap.pk)
        if not mine:
            ctx.shortfall(gap, "the author belongs to no community")
            continue
        rng = ctx.rng(gap.key, purpose, gap.current)
        starts = [(community_id, second_of(joined)) for community_id, joined in mine]
        rows = []
        for _ in range(gap.missing):
            community_id, joined_s = rng.pick(starts)
            # The draws in add(Post, ...)'s order: title, body, then the time.
            rows.append(
                (
                    gap.pk,
                    community_id,
                    content.post_title(rng),
                    content.post_body(rng),
                    since_then_s(rng, joined_s, now),
                )
            )
        ctx.add_tuples(Post, POST_FIELDS, rows, epoch=("created_at",))


#: The fields of the tuples the hot fills add (see ``FillContext.add_tuples``).
POST_FIELDS = ("author_id", "community_id", "title", "body", "created_at")
COMMENT_FIELDS = ("post_id", "author_id", "body", "created_at")
HEART_FIELDS = ("user_id", "post_id", "created_at")
PARTICIPANT_FIELDS = ("conversation_id", "user_id", "joined_at")
ASSESSMENT_FIELDS = ("client_id", "instrument", "status", "score", "completed_at", "created_at")
MESSAGE_FIELDS = ("conversation_id", "sender_id", "body", "sent_at")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class PostPool(Sequence[tuple[int, int, datetime]]):
    """A community's posts as (pk, author_id, created_at), oldest first, held as three arrays of
    64-bit ints (24 bytes a post instead of about 170 as tuples): the read of every post is the
    largest a step holds. Each item is rebuilt exactly as read (same instant, same tzinfo)."""

    def __init__(self) -> None:
        self.pks = array("q")
        self.authors = array("q")
        self.times = array("q")
        self.tz: tzinfo | None = None

    def append(self, pk: int, author_id: int, created_at: datetime) -> None:
        self.pks.append(pk)
        self.authors.append(author_id)
        self.times.append((created_at - _EPOCH) // _MICROSECOND)
        self.tz = created_at.tzinfo

    def __len__(self) -> int:
        return len(self.pks)

    def second_item(self, index: int) -> tuple[int, int, int]:
        """``self[index]`` with the post's time as ``second_of`` gives it (the ceiling of its
        epoch second, from the stored microseconds), without rebuilding the datetime."""
        return self.pks[index], self.authors[index], -(-self.times[index] // 1_000_000)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        posted = _EPOCH + timedelta(microseconds=self.times[index])
        if self.tz is not UTC:
            posted = posted.astimezone(self.tz)
        return (self.pks[index], self.authors[index], posted)


def posts_by_community(ctx: FillContext) -> dict[Any, PostPool]:
    """(pk, author_id, created_at) of every post, by community, oldest first. Comments and hearts
    of clients and therapists all draw from it: read once, again only after posts were added,
    and held compactly (``PostPool``)."""

    def load() -> dict[Any, PostPool]:
        grouped: dict[Any, PostPool] = defaultdict(PostPool)
        rows = ctx.objects(Post).order_by("created_at", "pk")
        # Streamed a batch at a time on every backend: 2.5 million posts at the row cap.
        for community_id, pk, author_id, created_at in ctx.stream(
            rows.values_list("community_id", "pk", "author_id", "created_at")
        ):
            grouped[community_id].append(pk, author_id, created_at)
        return grouped

    return ctx.cached("posts_by_community", load, Post)


def write_comments(ctx: FillContext, gaps: Sequence[Gap], purpose: str, professional: bool) -> None:
    """Comments by each author on posts in the author's communities (others' posts first), after
    both the post and the author's joining."""
    memberships = memberships_of(ctx, [g.pk for g in gaps])
    posts = posts_by_community(ctx)
    now = now_seconds(ctx)
    for gap in gaps:
        pools = [
            (posts[c], second_of(joined)) for c, joined in memberships.get(gap.pk, ()) if posts[c]
        ]
        if not pools:
            ctx.shortfall(gap, "no posts in the author's communities to comment on")
            continue
        rng = ctx.rng(gap.key, purpose, gap.current)
        random = rng.random
        rows = []
        for _ in range(gap.missing):
            # Others' posts first: a few draws almost always find one; an author alone with
            # their own posts comments on those.
            for _attempt in range(8):
                pool, joined_s = rng.pick(pools)
                # rng.pick(pool)'s draw, the post's time in epoch seconds.
                post_id, author_id, posted_s = pool.second_item(int(random() * len(pool)))
                if author_id != gap.pk:
                    break
            rows.append(
                (
                    post_id,
                    gap.pk,
                    content.comment_body(rng, professional=professional),
                    since_then_s(rng, max(posted_s, joined_s), now),
                )
            )
        ctx.add_tuples(Comment, COMMENT_FIELDS, rows, epoch=("created_at",))


#: How far back a relationship's past sessions go.
PAST_MEETING_DAYS = 60


def _on_the_hour(moment: datetime, *, up: bool) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor + timedelta(hours=1) if up and floor != moment else floor


def past_meeting_starts(since: datetime | None, now: datetime) -> tuple[datetime, datetime] | None:
    """The first and last start, on the hour, of a meeting wholly between the relationship's
    start (at most PAST_MEETING_DAYS back) and now; None when none fits (a relationship that
    began within the hour has no past session, and no session of it may be completed)."""
    first = _on_the_hour(latest(since, now - timedelta(days=PAST_MEETING_DAYS)), up=True)
    last = _on_the_hour(now - timedelta(minutes=MEETING_MINUTES), up=False)
    return (first.astimezone(now.tzinfo), last) if first <= last else None


def can_meet_in_the_past(ctx: FillContext, link: tuple[Any, datetime]) -> bool:
    """Whether a (client_id, started_at) relationship can have a completed session by now."""
    return past_meeting_starts(link[1], ctx.now) is not None


def schedule_meeting(
    ctx: FillContext,
    rng: Rand,
    client_id: Any,
    therapist_id: Any,
    since: datetime | None,
    *,
    past: bool | None = None,
) -> dict[str, Any]:
    """A 50-minute meeting on the hour: past ones completed (some cancelled), future ones
    scheduled, never one that straddles now, never before the relationship began. ``past=True``
    asks for a past one; only a relationship with ``past_meeting_starts`` can have it."""
    window = past_meeting_starts(since, ctx.now)
    if past is None:
        past = window is not None and rng.random() < 0.65
    if past:
        assert window is not None, "no past meeting fits this relationship"
        first, last = window
        day = first.date() + timedelta(days=rng.randint(0, (last.date() - first.date()).days))
        starts_at = datetime.combine(day, time(hour=rng.randint(8, 18)), tzinfo=ctx.now.tzinfo)
        starts_at = min(max(starts_at, first), last)
        status = Meeting.Status.COMPLETED if rng.random() < 0.85 else Meeting.Status.CANCELLED
    else:
        day = ctx.now.date() + timedelta(days=rng.randint(1, 30))
        starts_at = datetime.combine(day, time(hour=rng.randint(8, 18)), tzinfo=ctx.now.tzinfo)
        status = Meeting.Status.SCHEDULED
    booked = starts_at - timedelta(days=rng.randint(3, 14))
    return {
        "client_id": client_id,
        "therapist_id": therapist_id,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=MEETING_MINUTES),
        "status": status,
        "created_at": min(latest(booked, since), ctx.now),
    }


#: The fields of the meetings the fills add as tuples, their times as epoch seconds.
MEETING_FIELDS = ("client_id", "therapist_id", "starts_at", "ends_at", "status", "created_at")
MEETING_TIMES = ("starts_at", "ends_at", "created_at")
_DAY_SECONDS = 86_400
_UNIX_DAY = date(1970, 1, 1).toordinal()


class MeetingClock:
    """``schedule_meeting`` in epoch seconds for the meetings fills add by the thousand: the
    same draws in the same order and the same moments, with no datetime made per meeting. A
    relationship's window of past sessions is worked out once (``link``), with datetimes, as
    ``schedule_meeting`` works it out. Exact when the run's clock has a fixed UTC offset and
    whole seconds, and the relationship began on a whole second (every time the demo makes);
    otherwise ``link`` gives None and that relationship's meetings take ``schedule_meeting``."""

    def __init__(self, ctx: FillContext) -> None:
        now = ctx.now
        self.now = now
        offset = now.utcoffset()
        self.exact = (
            isinstance(now.tzinfo, timezone)  # a fixed offset, no DST: days of 86,400 s
            and offset is not None
            and not offset.microseconds
            and not now.microsecond
        )
        self.offset = int(offset.total_seconds()) if self.exact and offset is not None else 0
        self.now_s = math.floor(now.timestamp())
        self.today = now.date().toordinal()

    def link(self, since: datetime | None) -> tuple | None:
        """(since, window) of a relationship that began at ``since``, in epoch seconds; the
        window (first start, last start, their days' ordinals) None when no past meeting fits."""
        if not self.exact or (since is not None and since.microsecond):
            return None
        window = past_meeting_starts(since, self.now)
        since_s = None if since is None else math.floor(since.timestamp())
        if window is None:
            return since_s, None
        first, last = window
        return since_s, (
            math.floor(first.timestamp()),
            math.floor(last.timestamp()),
            first.date().toordinal(),
            last.date().toordinal(),
        )

    def meeting(self, rng: Rand, client_id: Any, therapist_id: Any, link: tuple) -> tuple:
        """``schedule_meeting(ctx, rng, client_id, therapist_id, since)`` as a tuple of
        ``MEETING_FIELDS``, its times in epoch seconds (``link``: what ``link(since)`` gave)."""
        since_s, window = link
        if window is not None and rng.random() < 0.65:
            first_s, last_s, first_day, last_day = window
            day = first_day + rng.randint(0, last_day - first_day)
            starts = self._at(day, rng.randint(8, 18))
            starts = min(max(starts, first_s), last_s)
            status = Meeting.Status.COMPLETED if rng.random() < 0.85 else Meeting.Status.CANCELLED
        else:
            starts = self._at(self.today + rng.randint(1, 30), rng.randint(8, 18))
            status = Meeting.Status.SCHEDULED
        booked = starts - rng.randint(3, 14) * _DAY_SECONDS
        created = min(booked if since_s is None or booked >= since_s else since_s, self.now_s)
        return (client_id, therapist_id, starts, starts + MEETING_MINUTES * 60, status, created)

    def _at(self, day: int, hour: int) -> int:
        """The epoch second of ``hour`` o'clock on the day of ordinal ``day`` in the clock's
        zone (``datetime.combine(day, time(hour), tzinfo=now.tzinfo)``)."""
        return (day - _UNIX_DAY) * _DAY_SECONDS + hour * 3600 - self.offset


def active_links(ctx: FillContext, group: str, keys: Sequence[Any]) -> dict[Any, list[tuple]]:
    """Active client-therapist links grouped by ``client_id`` or ``therapist_id``."""
    other = "therapist_id" if group == "client_id" else "client_id"
    return ctx.values_by(
        ctx.objects(ClientTherapist)
        .filter(status=ACTIVE)
        .order_by(CodePointOrder(f"{other[:-3]}__username")),
        group,
        other,
        "started_at",
        keys=keys,
    )


def assign_worksheet(
    ctx: FillContext, rng: Rand, client_id: Any, therapist_id: Any, since: datetime
) -> None:
    """A worksheet assigned during the relationship (at most 45 days back), due after that day."""
    title, instructions = content.worksheet(rng)
    created_at = since_then(rng, latest(since, ctx.now - timedelta(days=45)), ctx.now)
    due = content.worksheet_due(rng, created_at.date())
    status = Worksheet.Status.ASSIGNED
    if due < ctx.now.date():
        status = rng.choice((Worksheet.Status.SUBMITTED, Worksheet.Status.REVIEWED))
    ctx.add(
        Worksheet,
        therapist_id=therapist_id,
        client_id=client_id,
        title=title,
        instructions=instructions,
        status=status,
        due_date=due,
        created_at=created_at,
    )


WORKSHEET_FIELDS = (
    "therapist_id",
    "client_id",
    "title",
    "instructions",
    "status",
    "due_date",
    "created_at",
)


class Worksheets:
    """``assign_worksheet`` for the fills that assign thousands, queued as tuples with the
    assignment time in epoch seconds: the same draws, in the same order, and the same values.
    The day a worksheet is due after is taken in the zone of the moment ``since_then`` starts
    from, as ``created_at.date()`` takes it; a relationship whose start is in a zone with DST
    (not a fixed offset) is assigned with ``assign_worksheet``."""

    def __init__(self, ctx: FillContext) -> None:
        self.ctx = ctx
        self.rows = ctx.appender(Worksheet, WORKSHEET_FIELDS, epoch=("created_at",))
        self.now_s = math.floor(ctx.now.timestamp())
        self.today = ctx.now.date()

    def start(self, since: datetime) -> tuple[int, int] | None:
        """(the first second ``since_then`` draws from, its zone's offset in seconds) for a
        relationship that began at ``since``; None when that zone has no fixed offset."""
        ctx = self.ctx
        start = min(latest(since, ctx.now - timedelta(days=45)), ctx.now)
        offset = start.utcoffset()
        if not isinstance(start.tzinfo, timezone) or offset is None or offset.microseconds:
            return None
        return second_of(start), int(offset.total_seconds())

    def add(
        self,
        rng: Rand,
        client_id: Any,
        therapist_id: Any,
        since: datetime,
        start: tuple[int, int] | None,
    ) -> None:
        """``assign_worksheet(ctx, rng, client_id, therapist_id, since)``; ``start``: what
        ``start(since)`` gave."""
        if start is None:
            assign_worksheet(self.ctx, rng, client_id, therapist_id, since)
            return
        title, instructions = content.worksheet(rng)
        low, offset = start
        created = rng.second_between(low, self.now_s)
        day = date.fromordinal((created + offset) // _DAY_SECONDS + _UNIX_DAY)
        due = content.worksheet_due(rng, day)
        status = Worksheet.Status.ASSIGNED
        if due < self.today:
            status = rng.choice((Worksheet.Status.SUBMITTED, Worksheet.Status.REVIEWED))
        self.rows.append((therapist_id, client_id, title, instructions, status, due, created))


# Seeders ------------------------------------------------------------------------------------------


class MemberSeeder(Seeder):
    """What clients and therapists share: they are users of one role who join communities, post
    and comment there."""

    role: str = ""
    #: Therapists' comments carry a professional note.
    professional = False
    key_field = "username"
    label_field = "username"

    def get_queryset(self, using: str) -> QuerySet:
        return super().get_queryset(using).exclude(OPERATOR)

    def create(self, ctx: FillContext, count: int) -> None:
        create_users(
            ctx,
            self.role,
            [("population", n) for n in range(ctx.ordinal_start, ctx.ordinal_start + count)],
        )

    def fill_memberships(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        join_communities(ctx, gaps, "memberships")

    @parallel
    def fill_posts(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        write_posts(ctx, gaps, "posts")

    @parallel(prepare=lambda seeder, ctx, gaps: posts_by_community(ctx))
    def fill_comments(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        write_comments(ctx, gaps, "comments", professional=self.professional)


@register(Client)
class ClientSeeder(MemberSeeder):
    role = Role.CLIENT
    population = Levels(light=8, medium=20, heavy=200)
    also_writes: ClassVar[dict[str, float]] = {"mentara.ClientProfile": 1}
    requirements = (
        Requirement(
            "therapist",
            minimum=0,
            maximum=1,
            count="therapist_links",
            filter=Q(therapist_links__status=ACTIVE),
            after=(THERAPIST_CLIENTS,),
            help="at most one active therapist; a minimum override assigns the least busy one",
        ),
        Requirement(
            "memberships",
            minimum=Levels(1, 1, 3),
            count="memberships",
            after=(COMMUNITY_MEMBERS,),
            distribution=SPREAD["client_memberships"],
        ),
        Requirement(
            "posts",
            minimum=Levels(2, 5, 15),
            count="posts",
            after=(CLIENT_MEMBERSHIPS,),
            distribution=SPREAD["client_posts"],
        ),
        Requirement(
            "comments",
            minimum=Levels(5, 10, 30),
            count="comments",
            after=(CLIENT_POSTS, THERAPIST_POSTS, COMMUNITY_POSTS),
            distribution=SPREAD["client_comments"],
        ),
        Requirement(
            "hearts",
            minimum=Levels(1, 3, 10),
            count="hearts",
            after=(CLIENT_COMMENTS,),
            distribution=SPREAD["client_hearts"],
        ),
        Requirement(
            "meetings",
            minimum=Levels(1, 3, 8),
            count="client_meetings",
            when=has_active_therapist,
            after=(THERAPIST_CLIENTS,),
            distribution=SPREAD["client_meetings"],
        ),
        Requirement(
            "assessments",
            minimum=Levels(1, 2, 5),
            count="assessments",
            filter=Q(assessments__status=Assessment.Status.COMPLETED),
        ),
        Requirement(
            "worksheets",
            minimum=Levels(1, 1, 3),
            count="assigned_worksheets",
            when=has_active_therapist,
            after=(THERAPIST_CLIENTS,),
        ),
        Requirement(
            "conversations",
            minimum=Levels(1, 2, 4),
            count="conversation_participations",
            after=(THERAPIST_CLIENTS, CLIENT_MEMBERSHIPS),
            help="conversations are created with their own target of messages",
            # One conversation and its other participant per participation the client lacks
            # (its messages are the conversations' own requirement).
            also_writes={"mentara.Conversation": 1, "mentara.ConversationParticipant": 1},
            distribution=SPREAD["client_conversations"],
        ),
    )

    def fill_therapist(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        load = dict(
            people(ctx, Therapist)
            .annotate(n=_active_count())
            .order_by(CodePointOrder("username"))
            .values_list("pk", "n")
        )
        if not load:
            for gap in gaps:
                ctx.shortfall(gap, "there is no therapist to assign")
            return
        joined = dates_joined(ctx, [*load, *(g.pk for g in gaps)])
        busy = least_busy(load)
        for gap in gaps:
            therapist_id = next(busy)
            rng = ctx.rng(gap.key, "therapist")
            ctx.add(
                ClientTherapist,
                client_id=gap.pk,
                therapist_id=therapist_id,
                status=ACTIVE,
                started_at=relationship_start(rng, ctx.now, joined[gap.pk], joined[therapist_id]),
            )

    @parallel(prepare=lambda seeder, ctx, gaps: posts_by_community(ctx))
    def fill_hearts(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        keys = [g.pk for g in gaps]
        memberships = memberships_of(ctx, keys)
        hearted = _existing(ctx, ctx.objects(Heart), "user_id", "post_id", keys)
        posts = posts_by_community(ctx)
        now = now_seconds(ctx)
        for gap in gaps:
            done = set(hearted.get(gap.pk, ()))
            mine = sorted(memberships.get(gap.pk, ()), key=lambda membership: membership[0])
            pools = [posts[c] for c, _joined in mine if posts[c]]
            # After the giver joined every community it is in: so after joining the post's one.
            settled = latest(*(joined for _c, joined in mine)) if mine else None
            rng = ctx.rng(gap.key, "hearts", gap.current)
            chosen = _draw_posts(rng, pools, gap.missing, exclude=done, author=gap.pk)
            if len(chosen) < gap.missing:
                ctx.shortfall(gap, "not enough posts in the client's communities to heart")
            ctx.add_tuples(
                Heart,
                HEART_FIELDS,
                [
                    (gap.pk, post_id, since_then_s(rng, second_of(latest(posted, settled)), now))
                    for post_id, _author, posted in chosen
                ],
                epoch=("created_at",),
            )

    @parallel
    def fill_meetings(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        links = active_links(ctx, "client_id", [g.pk for g in gaps])
        clock = MeetingClock(ctx)
        meetings = ctx.appender(Meeting, MEETING_FIELDS, epoch=MEETING_TIMES)
        for gap in gaps:
            therapist_id, since = links[gap.pk][0]
            rng = ctx.rng(gap.key, "meetings", gap.current)
            link = clock.link(since)
            for _ in range(gap.missing):
                if link is None:
                    ctx.add(Meeting, **schedule_meeting(ctx, rng, gap.pk, therapist_id, since))
                else:
                    meetings.append(clock.meeting(rng, gap.pk, therapist_id, link))

    @parallel
    def fill_assessments(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        joined = dates_joined(ctx, [g.pk for g in gaps])
        instruments = list(Assessment.MAX_SCORE)
        completed = Assessment.Status.COMPLETED
        assessments = ctx.appender(
            Assessment, ASSESSMENT_FIELDS, epoch=("completed_at", "created_at")
        )
        now = now_seconds(ctx)
        for gap in gaps:
            rng = ctx.rng(gap.key, "assessments", gap.current)
            since = latest(joined[gap.pk], ctx.now - timedelta(days=180))
            if not since.microsecond:
                # In epoch seconds: the same draws, in the same order, and the same moments.
                since_s = second_of(since)
                for _ in range(gap.missing):
                    instrument = rng.choice(instruments)
                    completed_s = since_then_s(rng, since_s, now)
                    score = rng.randint(0, Assessment.MAX_SCORE[instrument])
                    created_s = completed_s - rng.randint(5, 60 * 24) * 60
                    assessments.append(
                        (gap.pk, instrument, completed, score, completed_s, max(created_s, since_s))
                    )
                continue
            for _ in range(gap.missing):  # a time of the clock's or a hand-made fraction
                instrument = rng.choice(list(Assessment.MAX_SCORE))
                completed_at = since_then(rng, since, ctx.now)
                ctx.add(
                    Assessment,
                    client_id=gap.pk,
                    instrument=instrument,
                    status=Assessment.Status.COMPLETED,
                    score=rng.randint(0, Assessment.MAX_SCORE[instrument]),
                    completed_at=completed_at,
                    created_at=max(
                        completed_at - timedelta(minutes=rng.randint(5, 60 * 24)), since
                    ),
                )

    @parallel
    def fill_worksheets(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        links = active_links(ctx, "client_id", [g.pk for g in gaps])
        worksheets = Worksheets(ctx)
        for gap in gaps:
            therapist_id, since = links[gap.pk][0]
            rng = ctx.rng(gap.key, "worksheets", gap.current)
            start = worksheets.start(since)
            for _ in range(gap.missing):
                worksheets.add(rng, gap.pk, therapist_id, since, start)

    @parallel
    def fill_conversations(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        """A conversation with the client's therapist first, then with fellow community members
        (anyone it has not talked to yet); each conversation arrives with the messages its own
        requirement asks for, so a conversation is never seen half-made."""
        keys = [g.pk for g in gaps]
        therapists = active_links(ctx, "client_id", keys)
        mine = _existing(
            ctx, ctx.objects(ConversationParticipant), "user_id", "conversation_id", keys
        )
        in_conversations = _existing(
            ctx,
            ctx.objects(ConversationParticipant),
            "conversation_id",
            "user_id",
            sorted({c for ids in mine.values() for c in ids}),
        )
        communities = _existing(ctx, ctx.objects(Membership), "user_id", "community_id", keys)
        members = _existing(
            ctx,
            ctx.objects(Membership)
            .filter(user__role=Role.CLIENT, user__is_staff=False, user__is_superuser=False)
            .order_by(CodePointOrder("user__username")),
            "community_id",
            "user_id",
            sorted({c for ids in communities.values() for c in ids}),
        )
        # Someone to talk to when a client shares no community with anyone.
        fallback = list(
            people(ctx, Client)
            .order_by(CodePointOrder("username"))
            .values_list("pk", flat=True)[:50]
        )
        chosen: list[tuple[Gap, int, Any, Rand]] = []
        for gap in gaps:
            talked_to = {
                user
                for conversation in mine.get(gap.pk, ())
                for user in in_conversations[conversation]
            }
            peers = [
                user for c in sorted(communities.get(gap.pk, ())) for user in members.get(c, ())
            ]
            options = [row[0] for row in therapists.get(gap.pk, ())] + peers + fallback
            options = [u for u in dict.fromkeys(options) if u != gap.pk]
            fresh = [u for u in options if u not in talked_to] or options
            if not fresh:
                ctx.shortfall(gap, "nobody to start a conversation with")
                continue
            for index, ordinal in enumerate(range(gap.current, gap.current + gap.missing)):
                rng = ctx.rng(gap.key, "conversations", ordinal)
                # The therapist (first option) first; then peers drawn at random.
                partner = fresh[0] if index == 0 else rng.choice(fresh)
                chosen.append((gap, ordinal, partner, rng))
                # Each conversation holds its generator (2.5 kB of state) until it is written:
                # write a batch at a time, so memory stays bounded at any scale. Every value
                # comes from the conversation's own generator, in the same order: the same rows.
                if len(chosen) >= ctx.batch_size:
                    self._start_conversations(ctx, chosen, therapists)
                    chosen = []
        self._start_conversations(ctx, chosen, therapists)

    def _start_conversations(
        self,
        ctx: FillContext,
        chosen: list[tuple[Gap, int, Any, Rand]],
        therapists: dict[Any, list[tuple]],
    ) -> None:
        if not chosen:
            return
        involved = {user for gap, _ordinal, partner, _rng in chosen for user in (gap.pk, partner)}
        users = {
            pk: (first_name, role, joined)
            for pk, first_name, role, joined in ctx.objects(User)
            .filter(pk__in=sorted(involved))
            .values_list("pk", "first_name", "role", "date_joined")
        }
        planned: list[tuple[Gap, Any, int, Rand]] = []
        drawn: list[uuid.UUID] = []
        now = now_seconds(ctx)
        for gap, _ordinal, partner, rng in chosen:
            # Both have joined, and a therapist is talked to once the relationship began.
            therapy = [since for pk, since in therapists.get(gap.pk, ()) if pk == partner]
            floor = latest(
                users[gap.pk][2], users[partner][2], *therapy, ctx.now - timedelta(days=90)
            )
            planned.append((gap, partner, since_then_s(rng, second_of(floor), now), rng))
            drawn.append(uuid.UUID(int=rng.getrandbits(128), version=4))

        def public_id(index: int, attempt: int) -> uuid.UUID:
            # The conversation's own draw, unless a row holds it: a client's conversations are
            # drawn by ordinal, and after some were deleted by hand the ordinals drawn again
            # can be those of conversations that remain (or of a deleted client's, when a new
            # client gets its username back). Then a generator of its own, so the
            # conversation's stream (its messages) is the one it would have been.
            if attempt == 0:
                return drawn[index]
            gap, ordinal = chosen[index][:2]
            rng = ctx.rng(gap.key, "conversations", ordinal, "public_id", attempt)
            return uuid.UUID(int=rng.getrandbits(128), version=4)

        # One query for the batch: the ids rows hold already are drawn again.
        public_ids = ctx.free_values(Conversation, "public_id", range(len(chosen)), public_id)
        rows = [
            {
                "public_id": public_ids[index],
                "title": content.conversation_title(users[partner][0]),
                "created_at": datetime.fromtimestamp(started, UTC),
            }
            for index, (_gap, partner, started, _rng) in enumerate(planned)
        ]
        created = ctx.insert(Conversation, rows)
        participants = ctx.appender(
            ConversationParticipant, PARTICIPANT_FIELDS, epoch=("joined_at",)
        )
        for conversation, (gap, partner, started, rng) in zip(created, planned, strict=True):
            participants.extend(
                [(conversation.pk, gap.pk, started), (conversation.pk, partner, started)]
            )
            speakers = speakers_for([users[gap.pk][1], users[partner][1]])
            # Each conversation arrives with its own target of messages, drawn from its key.
            count = ctx.target_for(CONVERSATION_MESSAGES, conversation.public_id)
            write_messages(ctx, rng, conversation.pk, (gap.pk, partner), speakers, started, count)


def _active_count() -> Count:
    return Count("client_links", filter=Q(client_links__status=ACTIVE))


def speakers_for(roles: Sequence[str]) -> list[str]:
    """The voice of each participant (by role): a therapist speaks as one; with a therapist in
    the conversation, others write as clients in therapy; without, as peers."""
    in_therapy = Role.THERAPIST in roles
    return [
        content.THERAPIST
        if role == Role.THERAPIST
        else content.CLIENT
        if in_therapy
        else content.PEER
        for role in roles
    ]


#: How often the conversation's first speaker opens a new topic instead of replying.
NEW_TOPIC = 0.2


def write_messages(
    ctx: FillContext,
    rng: Rand,
    conversation_id: Any,
    senders: Sequence[Any],
    speakers: Sequence[str],
    after: int,
    count: int,
    first_sender: int = 0,
) -> None:
    """``count`` messages alternating between senders, each in its speaker's voice, in time
    order after ``after`` (an epoch second, as ``second_of`` gives it); the first opens the
    conversation, later turns mostly reply."""
    high = now_seconds(ctx)[1]
    times = sorted([rng.second_between(after, high) for _ in range(count)])
    rows = []
    for index, sent_at in enumerate(times):
        turn = first_sender + index
        sender = turn % len(senders)
        opening = turn == 0 or (sender == 0 and rng.random() < NEW_TOPIC)
        rows.append(
            (
                conversation_id,
                senders[sender],
                content.message(rng, speakers[sender], opening=opening),
                sent_at,
            )
        )
    ctx.add_tuples(Message, MESSAGE_FIELDS, rows, epoch=("sent_at",))


@register(Therapist)
class TherapistSeeder(MemberSeeder):
    role = Role.THERAPIST
    professional = True
    population = Levels(light=2, medium=5, heavy=25)
    also_writes: ClassVar[dict[str, float]] = {"mentara.TherapistProfile": 1}
    requirements = (
        Requirement(
            "clients",
            minimum=Levels(1, 2, 5),
            count="client_links",
            filter=Q(client_links__status=ACTIVE),
            help="active client relationships; clients without a therapist are linked first",
            distribution=SPREAD["therapist_clients"],
        ),
        Requirement(
            "memberships",
            minimum=Levels(1, 1, 2),
            count="memberships",
            after=(COMMUNITY_MODERATORS,),
        ),
        Requirement(
            "posts", minimum=Levels(1, 2, 6), count="posts", after=(THERAPIST_MEMBERSHIPS,)
        ),
        Requirement(
            "comments",
            minimum=Levels(2, 5, 15),
            count="comments",
            after=(COMMUNITY_POSTS, THERAPIST_POSTS),
        ),
        Requirement(
            "availability",
            minimum=Levels(2, 3, 5),
            count="availability__weekday",
            distinct=True,
            help="distinct weekdays with availability",
        ),
        Requirement(
            "meetings",
            minimum=Levels(2, 4, 12),
            count="therapist_meetings",
            after=(CLIENT_MEETINGS,),
        ),
        Requirement(
            "worksheets",
            minimum=Levels(1, 3, 8),
            count="created_worksheets",
            after=(CLIENT_WORKSHEETS,),
        ),
        Requirement(
            "session_notes",
            minimum=Levels(1, 2, 6),
            count="written_notes",
            after=(THERAPIST_MEETINGS,),
        ),
        Requirement(
            "reviews",
            minimum=Levels(1, 1, 3),
            count="reviews_received",
            after=(THERAPIST_NOTES,),
        ),
    )

    def fill_clients(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        self._link_clients(ctx, [(gap, gap.missing) for gap in gaps], "clients")

    def _link_clients(
        self,
        ctx: FillContext,
        wanted: Sequence[tuple[Gap, int]],
        purpose: str,
        *,
        for_past_meetings: bool = False,
    ) -> dict[Any, list[tuple[Any, datetime]]]:
        """New active relationships, ``count`` for each therapist's gap: clients without a
        therapist first (those who signed up in the last days last), new clients only when every
        existing one has a therapist. Returns each therapist's new (client_id, started_at).

        ``for_past_meetings``: the relationships are made for a past session (a note, a review),
        so only clients settled for ``LINK_LEAD`` qualify. A newcomer linked for that purpose
        could have no past session, leaving the therapist short and the newcomer with a
        therapist, hence new gaps, in every pass (as when ``now`` is earlier than the sign-ups
        an earlier run made). Therapists who joined within ``LINK_LEAD`` get none, for the
        same reason."""
        wanted = [(gap, count) for gap, count in wanted if count > 0]
        if not wanted:
            return {}
        settled = ctx.now - LINK_LEAD
        therapist_joined = dates_joined(ctx, [gap.pk for gap, _count in wanted])
        if for_past_meetings:
            wanted = [(gap, count) for gap, count in wanted if therapist_joined[gap.pk] <= settled]
            if not wanted:
                return {}
        unlinked = list(
            people(ctx, Client)
            .exclude(Exists(ClientTherapist.objects.filter(client=OuterRef("pk"), status=ACTIVE)))
            .order_by(CodePointOrder("username"))
            .values_list("pk", "date_joined")
        )
        free = [c for c in unlinked if c[1] <= settled]
        if not for_past_meetings:
            free += [c for c in unlinked if c[1] > settled]
        needed = sum(count for _gap, count in wanted)
        if len(free) < needed:
            keys = [(f"{purpose}-of", g.key, n) for g, count in wanted for n in range(count)]
            new = create_users(ctx, Role.CLIENT, keys, newcomers=False)
            free += [(user.pk, user.date_joined) for user in new][: needed - len(free)]
        made: dict[Any, list[tuple[Any, datetime]]] = defaultdict(list)
        clients = iter(free)
        for gap, count in wanted:
            for ordinal in range(gap.current, gap.current + count):
                rng = ctx.rng(gap.key, purpose, ordinal)
                client_id, joined = next(clients)
                started = relationship_start(rng, ctx.now, joined, therapist_joined[gap.pk])
                ctx.add(
                    ClientTherapist,
                    client_id=client_id,
                    therapist_id=gap.pk,
                    status=ACTIVE,
                    started_at=started,
                )
                made[gap.pk].append((client_id, started))
        return made

    @parallel
    def fill_availability(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        used = _existing(
            ctx, ctx.objects(TherapistAvailability), "therapist_id", "weekday", [g.pk for g in gaps]
        )
        for gap in gaps:
            taken = set(used.get(gap.pk, ()))
            rng = ctx.rng(gap.key, "availability", gap.current)
            weekdays = [d for d in range(5) if d not in taken]
            rng.shuffle(weekdays)
            weekend = [d for d in (5, 6) if d not in taken]
            for weekday in sorted((weekdays + weekend)[: gap.missing]):
                start = rng.randint(8, 12)
                ctx.add(
                    TherapistAvailability,
                    therapist_id=gap.pk,
                    weekday=weekday,
                    start_time=time(hour=start),
                    end_time=time(hour=start + rng.randint(4, 8)),
                )

    @parallel
    def fill_meetings(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        links = active_links(ctx, "therapist_id", [g.pk for g in gaps])
        clock = MeetingClock(ctx)
        meetings = ctx.appender(Meeting, MEETING_FIELDS, epoch=MEETING_TIMES)
        for gap in gaps:
            clients = links.get(gap.pk)
            if not clients:
                ctx.shortfall(gap, "the therapist has no active client to meet")
                continue
            rng = ctx.rng(gap.key, "meetings", gap.current)
            # Each relationship's window worked out once; picked as rng.pick(clients) picks.
            linked = [(client_id, since, clock.link(since)) for client_id, since in clients]
            for _ in range(gap.missing):
                client_id, since, link = rng.pick(linked)
                if link is None:
                    ctx.add(Meeting, **schedule_meeting(ctx, rng, client_id, gap.pk, since))
                else:
                    meetings.append(clock.meeting(rng, client_id, gap.pk, link))

    @parallel
    def fill_worksheets(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        links = active_links(ctx, "therapist_id", [g.pk for g in gaps])
        worksheets = Worksheets(ctx)
        for gap in gaps:
            clients = links.get(gap.pk)
            if not clients:
                ctx.shortfall(gap, "the therapist has no active client to assign a worksheet")
                continue
            rng = ctx.rng(gap.key, "worksheets", gap.current)
            # Each relationship's start worked out once; picked as rng.pick(clients) picks.
            linked = [(client_id, since, worksheets.start(since)) for client_id, since in clients]
            for _ in range(gap.missing):
                client_id, since, start = rng.pick(linked)
                worksheets.add(rng, client_id, gap.pk, since, start)

    def _completed_meetings(
        self, ctx: FillContext, gaps: Sequence[Gap], *, without_notes: bool
    ) -> dict[Any, list[tuple]]:
        meetings = ctx.objects(Meeting).filter(
            status=Meeting.Status.COMPLETED,
            # Only meetings with the current client: the relationship is what makes them shared.
            client__therapist_links__therapist_id=F("therapist_id"),
            client__therapist_links__status=ACTIVE,
        )
        if without_notes:
            meetings = meetings.exclude(Exists(SessionNote.objects.filter(meeting=OuterRef("pk"))))
        return ctx.values_by(
            meetings.order_by("starts_at", "pk"),
            "therapist_id",
            "pk",
            "client_id",
            "ends_at",
            keys=[g.pk for g in gaps],
        )

    def _extra_completed_meetings(
        self, ctx: FillContext, gap: Gap, purpose: str, clients: list[tuple], count: int
    ) -> list[tuple]:
        """``count`` completed meetings with ``clients`` in turn; each of them must be able to
        have a past session (see ``can_meet_in_the_past``)."""
        rows = []
        for ordinal in range(count):
            rng = ctx.rng(gap.key, purpose, "meeting", gap.current + ordinal)
            client_id, since = clients[ordinal % len(clients)]
            rows.append(schedule_meeting(ctx, rng, client_id, gap.pk, since, past=True))
        for row in rows:
            row["status"] = Meeting.Status.COMPLETED
        created = ctx.insert(Meeting, rows)
        return [(m.pk, m.client_id, m.ends_at) for m in created]

    def fill_session_notes(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        meetings = self._completed_meetings(ctx, gaps, without_notes=True)
        links = active_links(ctx, "therapist_id", [g.pk for g in gaps])
        short = [
            (gap, 1)
            for gap in gaps
            if len(meetings.get(gap.pk, ())) < gap.missing
            and not any(can_meet_in_the_past(ctx, link) for link in links.get(gap.pk, ()))
        ]
        for pk, linked in self._link_clients(
            ctx, short, "notes-clients", for_past_meetings=True
        ).items():
            links[pk] = [*links.get(pk, ()), *linked]
        for gap in gaps:
            available = list(meetings.get(gap.pk, ()))
            if len(available) < gap.missing:
                meetable = [
                    link for link in links.get(gap.pk, ()) if can_meet_in_the_past(ctx, link)
                ]
                if not meetable:
                    ctx.shortfall(gap, "no client the therapist could have met yet")
                    continue
                available += self._extra_completed_meetings(
                    ctx, gap, "notes", meetable, gap.missing - len(available)
                )
            for index, (meeting_id, client_id, ended) in enumerate(available[: gap.missing]):
                rng = ctx.rng(gap.key, "session_notes", gap.current + index)
                ctx.add(
                    SessionNote,
                    meeting_id=meeting_id,
                    therapist_id=gap.pk,
                    client_id=client_id,
                    body=content.session_note(rng),
                    created_at=min(ended + timedelta(minutes=rng.randint(10, 240)), ctx.now),
                )

    def fill_reviews(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        keys = [g.pk for g in gaps]
        meetings = self._completed_meetings(ctx, gaps, without_notes=False)
        reviewed = _existing(ctx, ctx.objects(Review), "therapist_id", "client_id", keys)
        links = active_links(ctx, "therapist_id", keys)
        reviewers: dict[Any, list[tuple[Any, datetime]]] = {}
        fresh: dict[Any, list[tuple]] = {}
        short = []
        for gap in gaps:
            done = set(reviewed.get(gap.pk, ()))
            last_meeting: dict[Any, datetime] = {}
            for _pk, client_id, ended in meetings.get(gap.pk, ()):
                if client_id not in done:
                    last_meeting[client_id] = ended
            reviewers[gap.pk] = sorted(last_meeting.items(), key=lambda item: item[1])
            # Clients who have not met the therapist yet get a completed meeting first.
            fresh[gap.pk] = [
                link
                for link in links.get(gap.pk, ())
                if link[0] not in done
                and link[0] not in last_meeting
                and can_meet_in_the_past(ctx, link)
            ]
            short.append((gap, gap.missing - len(reviewers[gap.pk]) - len(fresh[gap.pk])))
        for pk, linked in self._link_clients(
            ctx, short, "reviews-clients", for_past_meetings=True
        ).items():
            done = set(reviewed.get(pk, ()))
            fresh[pk] += [
                link for link in linked if link[0] not in done and can_meet_in_the_past(ctx, link)
            ]
        for gap in gaps:
            chosen = reviewers[gap.pk][: gap.missing]
            extra = fresh[gap.pk][: gap.missing - len(chosen)]
            if extra:
                made = self._extra_completed_meetings(ctx, gap, "reviews", extra, len(extra))
                chosen += [(client_id, ended) for _pk, client_id, ended in made]
            if len(chosen) < gap.missing:
                ctx.shortfall(gap, "not enough clients with a completed meeting to review")
            for index, (client_id, ended) in enumerate(chosen):
                rng = ctx.rng(gap.key, "reviews", gap.current + index)
                rating, body = content.review(rng)
                ctx.add(
                    Review,
                    client_id=client_id,
                    therapist_id=gap.pk,
                    rating=rating,
                    body=body,
                    created_at=rng.moment_between(ended, ctx.now),
                )


def new_members(estimate: StepEstimate) -> float:
    """The clients a community's members fill creates (for the row cap's estimate): as many as
    its own target exceeds the clients there are, whom it recruits first."""
    clients = estimate.count(Client._meta.label)
    return estimate.entities * estimate.mean_over_targets(lambda target: max(0.0, target - clients))


@register(Community)
class CommunitySeeder(Seeder):
    population = Levels(light=3, medium=7, heavy=15)
    key_field = "slug"
    label_field = "name"
    requirements = (
        Requirement(
            "moderators",
            minimum=Levels(1, 1, 2),
            count="memberships",
            filter=Q(memberships__role=Membership.Role.MODERATOR),
            help="moderators are therapists or moderator-role users",
        ),
        Requirement(
            "members",
            minimum=Levels(4, 8, 25),
            count="memberships",
            filter=Q(memberships__role=Membership.Role.MEMBER),
            after=(COMMUNITY_MODERATORS, THERAPIST_CLIENTS),
            distribution=SPREAD["community_members"],
            also_writes={"mentara.Client": new_members, "mentara.ClientProfile": new_members},
        ),
        Requirement(
            "posts",
            minimum=Levels(5, 10, 40),
            count="posts",
            after=(CLIENT_POSTS, THERAPIST_POSTS, COMMUNITY_MEMBERS),
        ),
        Requirement(
            "activity",
            minimum=1,
            window_days=30,
            expression=recent_activity,
            after=(COMMUNITY_POSTS, CLIENT_COMMENTS, THERAPIST_COMMENTS),
            help="a post or a comment within the window",
        ),
    )

    # The engine makes the slug from the name (a held one gets a suffix) and the opening date;
    # the name is claimed here, and the description that names it is written with it.
    values: ClassVar[dict[str, Any]] = {
        "created_at": lambda rng, ctx, parent: rng.moment_before(ctx.now, days=900, min_days=400),
    }

    def create(self, ctx: FillContext, count: int) -> None:
        ordinals = list(range(ctx.ordinal_start, ctx.ordinal_start + count))
        names = ctx.claim_unique(
            Community,
            "name",
            ordinals,
            lambda n, attempt: content.community_name(ctx.rng("population", n), attempt),
        )
        for n in ordinals:
            rng = ctx.rng("population", n, "details")
            description = content.community_description(rng, names[n])
            ctx.add(Community, name=names[n], description=description)

    def _members(self, ctx: FillContext, gaps: Sequence[Gap]) -> dict[Any, list[Any]]:
        return _existing(
            ctx, ctx.objects(Membership), "community_id", "user_id", [g.pk for g in gaps]
        )

    def _recruit(
        self,
        ctx: FillContext,
        gaps: Sequence[Gap],
        pool: list[Any],
        role: str,
        purpose: str,
        new_role: str,
        returning: list[Any],
    ) -> None:
        """Add ``missing`` people who are not in the community yet: first those of ``returning``
        whose posts, comments or hearts there outlived a membership deleted by hand, then people
        from ``pool``; create users of ``new_role`` only when the pool is exhausted."""
        keys = [g.pk for g in gaps]
        members = self._members(ctx, gaps)
        traces = content_traces(ctx, "community", keys)
        rank = {pk: index for index, pk in enumerate(returning)}
        shortages: list[tuple[Gap, int]] = []
        picks: dict[Any, list[Any]] = {}
        for gap in gaps:
            inside = set(members.get(gap.pk, ()))
            left = [user for user in traces.get(gap.pk, ()) if user in rank and user not in inside]
            chosen = sorted(left, key=rank.__getitem__)[: gap.missing]
            inside.update(chosen)
            rng = ctx.rng(gap.key, purpose, gap.current)
            for index in rng.indices(len(pool)):
                if len(chosen) == gap.missing:
                    break
                if pool[index] not in inside:
                    chosen.append(pool[index])
            picks[gap.pk] = chosen
            if len(chosen) < gap.missing:
                shortages.append((gap, gap.missing - len(chosen)))
        keys = [(purpose, gap.key, n) for gap, short in shortages for n in range(short)]
        new_users = iter(create_users(ctx, new_role, keys))
        for gap, short in shortages:
            picks[gap.pk] += [next(new_users).pk for _ in range(short)]
        created = dict(
            ctx.objects(Community).filter(pk__in=sorted(picks)).values_list("pk", "created_at")
        )
        arrived = dates_joined(ctx, [user for chosen in picks.values() for user in chosen])
        memberships = Memberships(ctx)
        for gap in gaps:
            for index, user_id in enumerate(picks[gap.pk]):
                rng = ctx.rng(gap.key, purpose, gap.current + index)
                # A returning member joined before the first thing they left behind.
                memberships.add(
                    rng,
                    user_id,
                    gap.pk,
                    role,
                    latest(arrived[user_id], created[gap.pk]),
                    traces.get(gap.pk, {}).get(user_id),
                )

    def fill_moderators(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        pool = list(
            people(ctx)
            .filter(role__in=(Role.THERAPIST, Role.MODERATOR))
            .order_by(CodePointOrder("username"))
            .values_list("pk", flat=True)
        )
        self._recruit(
            ctx, gaps, pool, Membership.Role.MODERATOR, "moderators", Role.MODERATOR, pool
        )

    def fill_members(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        pool = list(
            people(ctx, Client).order_by(CodePointOrder("username")).values_list("pk", flat=True)
        )
        # Therapists join communities as members too; any of them may be the one returning.
        returning = list(
            people(ctx)
            .filter(role__in=(Role.CLIENT, Role.THERAPIST))
            .order_by(CodePointOrder("username"))
            .values_list("pk", flat=True)
        )
        self._recruit(ctx, gaps, pool, Membership.Role.MEMBER, "members", Role.CLIENT, returning)

    def _write_community_posts(
        self, ctx: FillContext, gaps: Sequence[Gap], purpose: str, days: float | None
    ) -> None:
        """Posts by members, each after its author joined (within the last ``days`` when given,
        otherwise any time in the membership)."""
        members = ctx.values_by(
            ctx.objects(Membership).order_by(CodePointOrder("user__username")),
            "community_id",
            "user_id",
            "joined_at",
            keys=[g.pk for g in gaps],
        )
        recent = ctx.now - timedelta(days=days) if days is not None else None
        now = now_seconds(ctx)
        posts = ctx.appender(Post, POST_FIELDS, epoch=("created_at",))
        for gap in gaps:
            authors = members.get(gap.pk)
            if not authors:
                ctx.shortfall(gap, "the community has no members to post")
                continue
            for ordinal in range(gap.current, gap.current + gap.missing):
                rng = ctx.rng(gap.key, purpose, ordinal)
                author_id, joined = rng.choice(authors)
                # The draws in add(Post, ...)'s order: title, body, then the time.
                posts.append(
                    (
                        author_id,
                        gap.pk,
                        content.post_title(rng),
                        content.post_body(rng),
                        since_then_s(rng, second_of(latest(joined, recent)), now),
                    )
                )

    @parallel
    def fill_posts(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        self._write_community_posts(ctx, gaps, "posts", days=None)

    def fill_activity(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        assert ctx.step is not None
        window = ctx.step.target.window_days or 30
        self._write_community_posts(ctx, gaps, "activity", days=min(window, 7))


@register(Conversation)
class ConversationSeeder(Seeder):
    key_field = "public_id"
    label_field = "title"
    requirements = (
        Requirement(
            "messages",
            minimum=Levels(3, 5, 10),
            count="messages",
            when=has_client_participant,
            after=(CLIENT_CONVERSATIONS,),
            help="messages in each conversation that has a client in it",
            distribution=SPREAD["conversation_messages"],
        ),
    )

    @parallel
    def fill_messages(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        keys = [g.pk for g in gaps]
        participants = ctx.values_by(
            ctx.objects(ConversationParticipant).order_by("joined_at", "pk"),
            "conversation_id",
            "user_id",
            "user__role",
            keys=keys,
        )
        # When each conversation started and, if it has any, its latest message: new messages go
        # after both. One aggregate per chunk of conversations.
        after = {
            pk: started
            for pk, (started,) in _first(
                ctx.values_by(ctx.objects(Conversation), "pk", "created_at", keys=keys)
            ).items()
        }
        latest_messages = (
            ctx.objects(Message).values("conversation_id").annotate(latest=Max("sent_at"))
        )
        for pk, (newest,) in _first(
            ctx.values_by(latest_messages, "conversation_id", "latest", keys=keys)
        ).items():
            after[pk] = max(after[pk], newest)
        for gap in gaps:
            people_in = participants.get(gap.pk)
            if not people_in:
                ctx.shortfall(gap, "the conversation has no participants")
                continue
            senders = [user for user, _role in people_in]
            speakers = speakers_for([role for _user, role in people_in])
            rng = ctx.rng(gap.key, "messages", gap.current)
            write_messages(
                ctx,
                rng,
                gap.pk,
                senders,
                speakers,
                second_of(after[gap.pk]),
                gap.missing,
                first_sender=gap.current,
            )
