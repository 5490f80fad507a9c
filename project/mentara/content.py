"""Pools of English text for a mental-health community, combined by a keyed random generator.

Every function takes a ``random.Random`` and draws from fixed pools, so the same generator state
always gives the same text; combining a few small pools gives thousands of distinct results.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils.text import slugify

COMMUNITY_TOPICS = (
    "Anxiety",
    "Depression",
    "Grief and Loss",
    "ADHD",
    "Sleep",
    "Work Stress",
    "Parenting",
    "LGBTQ+ Wellbeing",
    "Social Anxiety",
    "OCD",
    "PTSD",
    "Bipolar",
    "Eating Disorder Recovery",
    "Self-Care",
    "Mindfulness",
    "Panic",
    "Loneliness",
    "Student Stress",
    "Caregivers",
    "Chronic Illness",
    "Burnout",
    "Relationships",
    "Postpartum",
    "Men's Mental Health",
    "Addiction Recovery",
    "Body Image",
    "Anger",
    "Seasonal Depression",
    "Life Transitions",
    "Self-Esteem",
)
COMMUNITY_KINDS = (
    "Support Circle",
    "Community",
    "Peer Support",
    "Check-In",
    "Recovery Group",
    "Safe Space",
    "Collective",
    "Corner",
)
COMMUNITY_QUALIFIERS = (
    "",
    "Evening",
    "Morning",
    "Weekend",
    "Gentle",
    "Young Adult",
    "Over-40",
    "Newcomers'",
    "Daily",
    "Quiet",
)
COMMUNITY_PURPOSES = (
    "A place to share what is hard and what is helping.",
    "Peer support moderated by licensed therapists. Be kind, be honest, no medical advice.",
    "Small steps, shared openly. Newcomers are always welcome.",
    "Talk through setbacks and celebrate progress with people who understand.",
    "Weekly prompts, practical tools and a community that listens.",
)


def community_name(rng: random.Random, attempt: int) -> str:
    """A community name; attempt 0 draws a name, later attempts walk on deterministically."""
    topic = rng.choice(COMMUNITY_TOPICS)
    kind = rng.choice(COMMUNITY_KINDS)
    qualifier = rng.choice(COMMUNITY_QUALIFIERS)
    combos = len(COMMUNITY_TOPICS) * len(COMMUNITY_KINDS) * len(COMMUNITY_QUALIFIERS)
    if attempt:
        index = (
            COMMUNITY_TOPICS.index(topic) * len(COMMUNITY_KINDS) * len(COMMUNITY_QUALIFIERS)
            + COMMUNITY_KINDS.index(kind) * len(COMMUNITY_QUALIFIERS)
            + COMMUNITY_QUALIFIERS.index(qualifier)
            + attempt
        )
        lap, index = divmod(index, combos)
        topic = COMMUNITY_TOPICS[index // (len(COMMUNITY_KINDS) * len(COMMUNITY_QUALIFIERS))]
        kind = COMMUNITY_KINDS[(index // len(COMMUNITY_QUALIFIERS)) % len(COMMUNITY_KINDS)]
        qualifier = COMMUNITY_QUALIFIERS[index % len(COMMUNITY_QUALIFIERS)]
        name = " ".join(part for part in (qualifier, topic, kind) if part)
        return f"{name} {lap + 1}" if lap else name
    return " ".join(part for part in (qualifier, topic, kind) if part)


def community_slug(name: str, attempt: int) -> str:
    base = slugify(name)[:120]
    return base if attempt == 0 else f"{base}-{attempt + 1}"


def community_description(rng: random.Random, name: str) -> str:
    return f"{name}. {rng.choice(COMMUNITY_PURPOSES)}"


STRUGGLES = (
    "racing thoughts at night",
    "Sunday evening dread",
    "feeling numb after work",
    "the urge to cancel plans",
    "panic on the train",
    "low energy in the mornings",
    "comparing myself to others",
    "saying no without guilt",
    "the first week back at work",
    "missing someone every day",
    "waking up at 4am",
    "overthinking every text I send",
    "the holidays with family",
    "starting a new medication",
    "motivation to cook for myself",
    "talking to my partner about therapy",
)
WINS = (
    "I went for a walk even though I did not feel like it",
    "I told my manager I needed a break",
    "I slept seven hours for the first time in weeks",
    "I used the breathing exercise during a meeting",
    "I called my sister instead of isolating",
    "I finished a thought record without skipping",
    "I went to the grocery store on a busy day",
    "I asked for help before things got bad",
    "I said no to an extra shift",
    "I journaled three days in a row",
)
TITLE_TEMPLATES = (
    "How do you cope with {struggle}?",
    "Does anyone else struggle with {struggle}?",
    "Small win today: {win}",
    "{weeks} weeks into therapy and {win}",
    "Tips for {struggle} that actually helped me",
    "Check-in thread: how is everyone doing with {struggle}?",
    "Rough week, but {win}",
    "Question about {struggle}",
)
OPENERS = (
    "I have been sitting on this for a while.",
    "Not sure if this is the right place, but here goes.",
    "Long-time reader, first post.",
    "Quick update for anyone who remembers my last post.",
    "Today was a mixed day.",
    "I wanted to share something that surprised me.",
)
MIDDLES = (
    "My therapist suggested noticing the thought without arguing with it, and it helped.",
    "Some days I manage fine and other days everything feels like too much.",
    "I tried the five-four-three-two-one grounding exercise and it took the edge off.",
    "Writing things down before bed has made the nights a little quieter.",
    "I keep telling myself it should be easier by now, which probably does not help.",
    "Going outside for ten minutes is the one habit that has stuck.",
    "It helps to remember that a bad day is not a bad life.",
    "I am learning that rest is not the same as giving up.",
)
CLOSERS = (
    "What has worked for you?",
    "Thanks for reading, this community means a lot.",
    "Any advice is welcome.",
    "Sending strength to everyone having a hard week.",
    "I would love to hear how others handle this.",
    "Just needed to get that out.",
)
COMMENTS = (
    "Thank you for sharing this, it really resonates with me.",
    "That is a real win, be proud of yourself.",
    "I have felt exactly the same way. You are not alone.",
    "Have you tried box breathing? Four counts in, hold, out, hold. It helps me.",
    "Sending you a lot of kindness today.",
    "This is such a helpful way to think about it.",
    "Small steps count. Thank you for the reminder.",
    "It took me months to notice that pattern too. Be gentle with yourself.",
    "Would you be open to bringing this up in your next session?",
    "Reading this made my evening a little lighter.",
    "I am saving this post for the next time I need it.",
    "Same here. Mornings are the hardest part for me.",
)
THERAPIST_COMMENT_ADDITIONS = (
    "A gentle reminder that this community is not a substitute for professional care.",
    "Noticing the pattern is already a meaningful step.",
    "Consistency matters more than intensity with habits like this.",
    "If this feels overwhelming, please reach out to your care team.",
)


def post_title(rng: random.Random) -> str:
    template = rng.choice(TITLE_TEMPLATES)
    return template.format(
        struggle=rng.choice(STRUGGLES), win=rng.choice(WINS), weeks=rng.randint(2, 30)
    )


def post_body(rng: random.Random) -> str:
    middle = rng.sample(MIDDLES, k=rng.randint(1, 3))
    return " ".join([rng.choice(OPENERS), *middle, rng.choice(CLOSERS)])


def comment_body(rng: random.Random, *, professional: bool = False) -> str:
    parts = rng.sample(COMMENTS, k=rng.randint(1, 2))
    if professional:
        parts.append(rng.choice(THERAPIST_COMMENT_ADDITIONS))
    return " ".join(parts)


SPECIALTIES = (
    "Cognitive Behavioral Therapy",
    "Anxiety disorders",
    "Depression",
    "Trauma and PTSD",
    "Couples therapy",
    "Mindfulness-based therapy",
    "EMDR",
    "Dialectical Behavior Therapy",
    "Grief counseling",
    "Adolescent therapy",
    "Addiction",
    "Eating disorders",
)


def therapist_specialties(rng: random.Random) -> str:
    return ", ".join(rng.sample(SPECIALTIES, k=rng.randint(2, 4)))


def therapist_bio(rng: random.Random, first_name: str, specialties: str, years: int) -> str:
    return (
        f"{first_name} has {years} years of clinical experience and works mainly with "
        f"{specialties.lower()}. Sessions are collaborative, practical and paced to the client."
    )


GOALS = (
    "Manage anxiety at work",
    "Sleep through the night",
    "Rebuild a daily routine",
    "Process a recent loss",
    "Feel less alone",
    "Set healthier boundaries",
    "Understand my mood swings",
    "Reduce panic attacks",
)
PRONOUNS = ("she/her", "he/him", "they/them", "")


def client_goals(rng: random.Random) -> str:
    return "; ".join(rng.sample(GOALS, k=rng.randint(1, 3)))


WORKSHEETS = (
    ("Thought Record", "Write down a situation, the automatic thought, and a balanced response."),
    ("Gratitude Journal", "List three things you are grateful for each evening this week."),
    ("Sleep Diary", "Record when you went to bed, woke up, and how rested you felt."),
    ("Behavioral Activation Plan", "Schedule one enjoyable and one useful activity per day."),
    ("Grounding Techniques Practice", "Practice 5-4-3-2-1 grounding twice a day and rate anxiety."),
    ("Values Clarification", "Rank your top five values and note one action for each."),
    ("Worry Time Log", "Set aside 15 minutes for worries; postpone them to that time."),
    ("Cognitive Distortions Checklist", "Mark the distortions you notice in three situations."),
    ("Breathing Exercise Tracker", "Track box breathing sessions and how you felt afterwards."),
    ("Weekly Mood Chart", "Rate your mood morning and evening from 1 to 10."),
)


def worksheet(rng: random.Random) -> tuple[str, str]:
    return rng.choice(WORKSHEETS)


NOTE_PRESENTATION = (
    "Client reported improved sleep since last session.",
    "Client described a stressful week at work with two panic episodes.",
    "Client arrived on time and engaged well throughout.",
    "Client reported low mood most days but kept daily walks going.",
    "Client shared progress with the thought record homework.",
    "Client discussed conflict with a family member.",
)
NOTE_FOCUS = (
    "We explored the link between avoidance and rising anxiety.",
    "We practised cognitive restructuring on a recent situation.",
    "We reviewed the sleep diary and adjusted the wind-down routine.",
    "We identified early warning signs and coping strategies.",
    "We worked on assertive communication through role play.",
)
NOTE_PLAN = (
    "Plan: continue the thought record and review next session.",
    "Plan: behavioral activation, two scheduled activities per day.",
    "Plan: practise grounding twice daily; reassess PHQ-9 in two weeks.",
    "Plan: keep the worry-time log; follow up on sleep.",
)


def session_note(rng: random.Random) -> str:
    return " ".join((rng.choice(NOTE_PRESENTATION), rng.choice(NOTE_FOCUS), rng.choice(NOTE_PLAN)))


REVIEW_BODIES = (
    "Warm, patient and practical. I finally have tools that work for me.",
    "Sessions felt structured without being rigid. Highly recommend.",
    "Helped me through a really difficult year. Grateful.",
    "Good listener, though scheduling was sometimes tricky.",
    "I always leave sessions with something concrete to try.",
    "Took a while to find our rhythm, but it was worth it.",
)


def review(rng: random.Random) -> tuple[int, str]:
    rating = rng.choices((5, 4, 3, 2), weights=(55, 30, 10, 5))[0]
    return rating, rng.choice(REVIEW_BODIES)


CLIENT_MESSAGES = (
    "Hi, I wanted to check in before our next session.",
    "The breathing exercise helped a bit yesterday.",
    "Could we talk about work stress next time?",
    "I had a hard night but I am doing better this morning.",
    "Thanks for the worksheet, I have started on it.",
    "Is it okay if we move Thursday's session by an hour?",
    "I noticed the pattern we talked about again today.",
    "Just wanted to say the walk this morning helped.",
)
REPLY_MESSAGES = (
    "Thanks for letting me know. How are you feeling right now?",
    "That sounds like real progress. Let's build on it.",
    "Of course, we can make that the focus next time.",
    "I'm glad you reached out. Remember the grounding steps we practised.",
    "No problem, I have moved it. See you then.",
    "Well done for noticing it. What did you do next?",
    "That is great to hear. Keep going at your own pace.",
    "Same here, some days are like that. Hang in there.",
)


def message(rng: random.Random, *, opening: bool) -> str:
    return rng.choice(CLIENT_MESSAGES if opening else REPLY_MESSAGES)


def conversation_title(partner_name: str) -> str:
    return f"Conversation with {partner_name}"


def worksheet_due(rng: random.Random, today: date) -> date:
    return today + timedelta(days=rng.randint(-14, 21))
