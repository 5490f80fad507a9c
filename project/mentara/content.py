"""Pools of English text for a mental-health community, combined by a keyed random generator.

Every function takes a ``random.Random`` and draws from fixed pools, so the same generator state
always gives the same text; combining a few small pools gives thousands of distinct results.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

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


#: Attempts that walk to the next combination before a name takes a number instead: a walk
#: finds a free name at once while few are taken, but past a lap of combinations (thousands of
#: communities) it would cross every taken one. Numbered names ("... 2", "... 3") of the drawn
#: combination leave room for any count: a combination drawn k times needs k numbers.
WALK_ATTEMPTS = 16


def community_name(rng: random.Random, attempt: int) -> str:
    """A community name; attempt 0 draws a name, later attempts walk on deterministically, then
    number the drawn name."""
    topic = rng.choice(COMMUNITY_TOPICS)
    kind = rng.choice(COMMUNITY_KINDS)
    qualifier = rng.choice(COMMUNITY_QUALIFIERS)
    combos = len(COMMUNITY_TOPICS) * len(COMMUNITY_KINDS) * len(COMMUNITY_QUALIFIERS)
    if attempt >= WALK_ATTEMPTS:
        name = " ".join(part for part in (qualifier, topic, kind) if part)
        return f"{name} {attempt - WALK_ATTEMPTS + 2}"
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


def community_description(rng: random.Random, name: str) -> str:
    return f"{name}. {rng.choice(COMMUNITY_PURPOSES)}"


# Posts and comments ------------------------------------------------------------------------------
# Titles, bodies and comments are composed from several slots, so a heavy build (thousands of
# posts, tens of thousands of comments) rarely shows the same line twice; each draw is a handful
# of index picks, as cheap as picking one line from a short list.

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
    "crying for no clear reason",
    "a constant knot in my stomach",
    "doom-scrolling until 2am",
    "feeling like a burden",
    "small talk at the office",
    "making phone calls",
    "keeping up with friends",
    "the guilt after snapping at my kids",
    "brain fog",
    "feeling behind everyone my age",
    "checking the door lock again and again",
    "flashbacks that come out of nowhere",
    "eating regularly",
    "getting out of bed on weekends",
    "irritability I cannot explain",
    "the silence in an empty flat",
    "imposter syndrome",
    "asking for help",
    "a mind that will not switch off",
    "the anniversary of a loss",
    "health anxiety",
    "feeling disconnected from my body",
    "procrastinating on everything",
    "heavy days after good ones",
    "meetings where I freeze up",
    "the end of a long relationship",
    "loneliness in a busy city",
    "not recognising my own wins",
)
CONTEXTS = (
    "lately",
    "this month",
    "since the clocks changed",
    "since moving cities",
    "since starting a new job",
    "after a breakup",
    "during exam season",
    "now that the kids are back at school",
    "since becoming a parent",
    "while caring for my dad",
    "after the diagnosis",
    "since going back to the office",
    "on my days off",
    "in the run-up to the holidays",
    "after a long illness",
    "since stopping my medication",
    "while working night shifts",
    "since I started university",
    "now that winter is here",
    "after a rough year",
    "when I am on my own",
    "at family gatherings",
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
    "I cooked a proper meal",
    "I went to a yoga class alone",
    "I booked the appointment I had been putting off",
    "I answered every email I had been avoiding",
    "I let myself rest without feeling guilty",
    "I spoke up in a team meeting",
    "I rode the bus through a panic wave",
    "I texted a friend first",
    "I kept my phone out of the bedroom",
    "I noticed a spiral and stopped it early",
    "I made it to the gym twice this week",
    "I cleaned the kitchen after weeks of putting it off",
    "I went to a party and stayed an hour",
    "I was honest with my partner about how I feel",
    "I did not check the stove a second time",
    "I took my medication every day this week",
    "I sat with a craving until it passed",
    "I got through a family dinner calmly",
)
WHEN = (
    "today",
    "this week",
    "this weekend",
    "this morning",
    "last night",
    "after a hard month",
    "at last",
    "for the first time",
)
PERIODS = (
    "week",
    "month",
    "few days",
    "weekend",
    "fortnight",
    "stretch",
    "winter",
    "start to the year",
)
TITLE_TEMPLATES = (
    "How do you cope with {struggle} {context}?",
    "Does anyone else struggle with {struggle} {context}?",
    "What actually helped me with {struggle} {context}",
    "Check-in thread: {struggle} {context}",
    "Question about {struggle} {context}",
    "Struggling with {struggle} {context}",
    "What helps you with {struggle} {context}?",
    "Is {struggle} normal {context}?",
    "Venting about {struggle} {context}",
    "Small win {when}: {win}",
    "{weeks} weeks into therapy and {win}",
    "Rough {period}, but {win}",
    "Proud moment {when}: {win}",
    "Progress, not perfection: {win} {when}",
    "Update after a rough {period}: {win}",
)
OPENERS = (
    "I have been sitting on this for a while.",
    "Not sure if this is the right place, but here goes.",
    "Long-time reader, first post.",
    "Quick update for anyone who remembers my last post.",
    "Today was a mixed day.",
    "I wanted to share something that surprised me.",
    "This is hard to write, so bear with me.",
    "I am posting this mostly to hold myself accountable.",
    "Some context first: I have been in therapy for a few months.",
    "I almost deleted this before posting.",
    "Writing this from the bus on the way home.",
    "Mods, feel free to move this if it belongs elsewhere.",
    "I do not usually share things like this.",
    "It has been a strange few weeks.",
    "A friend suggested I post here.",
    "I need to get this out of my head.",
    "Throwaway thoughts from a sleepless night.",
    "I have read this group for a year and it has helped a lot.",
    "Good news for once, or at least I think so.",
    "This week tested me.",
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
    "The hardest part is the first five minutes; after that it gets lighter.",
    "I noticed I hold my breath when I am anxious, so I set a reminder to breathe out slowly.",
    "My sleep is still patchy, but I am waking up less often.",
    "I told one person at work and they were kinder than I expected.",
    "I have started keeping a list of things that went okay each day.",
    "The urge to isolate is strong, so I made a plan to see someone every weekend.",
    "I realised I only notice the bad days and forget the good ones.",
    "Cutting back on caffeine made a bigger difference than I thought it would.",
    "My partner and I agreed on a signal for when I need a break.",
    "Setting a timer for worries sounded silly, but it works for me.",
    "I still have setbacks, but they do not last as long.",
    "I have been trying to talk to myself the way I would talk to a friend.",
    "Medication took a few weeks to settle, and the side effects eased.",
    "Journaling feels awkward, so I voice-record instead.",
    "I caught myself catastrophising and wrote down the most likely outcome instead.",
    "The group here reminded me that I am not the only one.",
    "Breaking tasks into tiny steps is the only way I get anything done.",
    "My mood dips every afternoon, so I schedule something small for 3pm.",
    "I finally stopped checking my work email after dinner.",
    "I went to a support group in person and it was less scary than I imagined.",
    "Stretching before bed seems to calm my body down.",
    "I keep a note on my phone of things that helped last time.",
    "Walking the dog forces me outside even on grey days.",
    "Naming the feeling out loud makes it smaller somehow.",
    "I reached out to an old friend and we are meeting next week.",
    "I am trying to accept that progress is not a straight line.",
    "Limiting social media to half an hour a day has helped my mood.",
    "I booked a regular time for exercise so I do not have to decide each day.",
    "My therapist and I are working on boundaries with my family.",
    "I noticed my thoughts are harsher when I am hungry or tired.",
    "A warm shower and an early night turned the day around.",
    "I used to think asking for help was weak; now I see it as a skill.",
)
CLOSERS = (
    "What has worked for you?",
    "Thanks for reading, this community means a lot.",
    "Any advice is welcome.",
    "Sending strength to everyone having a hard week.",
    "I would love to hear how others handle this.",
    "Just needed to get that out.",
    "Does this sound familiar to anyone?",
    "Be gentle with yourselves this week.",
    "Happy to share more if it helps someone.",
    "How are you all doing?",
    "Thanks for letting me vent.",
    "Hoping this helps someone in the same spot.",
    "Wish me luck for tomorrow.",
    "Any book or app recommendations?",
    "I will post an update next week.",
    "Grateful for this space.",
)
COMMENT_REACTIONS = (
    "Thank you for sharing this.",
    "This really resonates with me.",
    "That is a real win, be proud of yourself.",
    "I have felt exactly the same way.",
    "You are not alone in this.",
    "Sending you a lot of kindness today.",
    "This is such a helpful way to think about it.",
    "Small steps count.",
    "Reading this made my evening a little lighter.",
    "I am saving this post for the next time I need it.",
    "Same here.",
    "Well done, that takes courage.",
    "Oh, I know that feeling too well.",
    "I am so glad you posted this.",
    "Wow, that is huge progress.",
    "Thank you for being so honest.",
    "This thread is exactly what I needed today.",
    "Virtual hug if you want one.",
    "I could have written this myself.",
    "Proud of you, honestly.",
    "That sounds exhausting.",
    "I hear you.",
    "What a lovely update.",
    "Thanks for the reminder.",
    "Oof, this one hit home.",
    "Love this for you.",
    "Thank you, I needed to read this.",
    "This is brave to share.",
    "Big hugs.",
    "You put into words what I could not.",
    "Honestly, same.",
    "So relatable.",
    "Good for you!",
    "This gives me hope.",
    "Ugh, I am sorry it has been so hard.",
    "Such a good point.",
)
COMMENT_THOUGHTS = (
    "Have you tried box breathing? Four counts in, hold, out, hold.",
    "Mornings are the hardest part for me too.",
    "It took me months to notice that pattern.",
    "Would you be open to bringing this up in your next session?",
    "What helped me was writing the worry down and coming back to it later.",
    "I find a short walk after lunch resets my whole afternoon.",
    "For me the trick was lowering the bar on the bad days.",
    "Going to bed at the same time every night made a real difference for me.",
    "I keep a list of people I can text when it gets bad.",
    "The first weeks on a new medication were rough for me too, then it settled.",
    "I started saying no to one thing a week and the guilt faded.",
    "Grounding through the senses helps me when my thoughts race.",
    "Talking to my GP was easier than I expected.",
    "I use a mood tracker and it shows me the good days I forget.",
    "Cold water on my face helps when panic starts.",
    "I schedule worry time in the evening and it works surprisingly well.",
    "My therapist calls that all-or-nothing thinking, and naming it helps me.",
    "I have learned to plan something small to look forward to each day.",
    "Sometimes I just need to get through the day, and that is enough.",
    "Music on the commute takes the edge off for me.",
    "Meal prepping on Sundays saved me on low-energy days.",
    "I remind myself that feelings pass, even the big ones.",
    "Telling one trusted person took a lot of pressure off.",
    "Getting outside in daylight early helps my sleep.",
    "Try to notice what you did well, not only what went wrong.",
    "Progress is rarely a straight line.",
    "The anniversary days hit me hard too; I plan something gentle for them.",
    "I turned off notifications after 9pm and sleep better for it.",
    "Breaking things into five-minute tasks is how I get started.",
    "A support group near me has been a lifeline.",
    "Be as patient with yourself as you would be with a friend.",
    "I found it easier once I stopped comparing my progress to others.",
    "Writing a kind note to myself sounded cheesy but it helped.",
    "Have you talked to your therapist about the sleep side of it?",
    "Stretching for five minutes before bed calms my body.",
    "I found that naming the emotion takes some of its power away.",
)
COMMENT_ENDINGS = (
    "",
    "",
    "",
    "Hang in there.",
    "Rooting for you.",
    "Keep us posted.",
    "Take care of yourself.",
    "You have got this.",
    "One day at a time.",
    "Thinking of you.",
    "Let us know how it goes.",
    "Sending strength.",
    "Proud of this community.",
    "Be kind to yourself tonight.",
    "How are you feeling about it now?",
    "Did anything else help?",
    "What does your therapist think?",
    "Has it got easier over time?",
    "Do you have someone you can lean on this week?",
    "Want to swap tips?",
    "How long did it take you to notice?",
    "Is it better on weekends?",
    "Have you tried writing it down?",
    "What would make tomorrow a little easier?",
    "Do you mind if I try your approach?",
    "Was it hard to get started?",
)
THERAPIST_COMMENT_ADDITIONS = (
    "A gentle reminder that this community is not a substitute for professional care.",
    "Noticing the pattern is already a meaningful step.",
    "Consistency matters more than intensity with habits like this.",
    "If this feels overwhelming, please reach out to your care team.",
    "Speaking as a therapist: what you describe is very common and very treatable.",
    "It may help to track when it happens; patterns are easier to work with once they are seen.",
    "If you ever feel unsafe, please contact a crisis line or emergency services.",
    "Self-compassion is a skill, and it gets stronger with practice.",
    "Small, repeatable steps tend to last longer than big changes.",
    "Worth raising with your clinician, who can tailor this to you.",
)


TITLE_PREFIXES = (
    "",
    "",
    "",
    "",
    "Honest question: ",
    "Long post, sorry. ",
    "Need advice: ",
    "Newbie here. ",
    "Late-night thoughts: ",
    "Checking in. ",
    "Not sure where else to ask. ",
    "TW: low mood. ",
    "Vent: ",
    "Update: ",
    "A bit of hope: ",
    "Advice welcome: ",
)


def post_title(rng: random.Random) -> str:
    template = rng.choice(TITLE_TEMPLATES)
    prefix = rng.choice(TITLE_PREFIXES)
    # A template that has a colon of its own reads badly after a prefix.
    return ("" if ":" in template else prefix) + template.format(
        struggle=rng.choice(STRUGGLES),
        context=rng.choice(CONTEXTS),
        win=rng.choice(WINS),
        when=rng.choice(WHEN),
        period=rng.choice(PERIODS),
        weeks=rng.randint(2, 30),
    )


def post_body(rng: random.Random) -> str:
    middle = rng.sample(MIDDLES, k=rng.randint(1, 3))
    return " ".join([rng.choice(OPENERS), *middle, rng.choice(CLOSERS)])


def comment_body(rng: random.Random, *, professional: bool = False) -> str:
    parts = [rng.choice(COMMENT_REACTIONS), rng.choice(COMMENT_THOUGHTS)]
    ending = rng.choice(COMMENT_ENDINGS)
    if ending:
        parts.append(ending)
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


def worksheet_due(rng: random.Random, assigned: date) -> date:
    """A due date one to three weeks after the day the worksheet was assigned, never before."""
    return assigned + timedelta(days=rng.randint(3, 21))


# Session notes and reviews -----------------------------------------------------------------------

NOTE_PRESENTATION = (
    "Client reported improved sleep since last session.",
    "Client described a stressful week at work with two panic episodes.",
    "Client arrived on time and engaged well throughout.",
    "Client reported low mood most days but kept daily walks going.",
    "Client shared progress with the thought record homework.",
    "Client discussed conflict with a family member.",
    "Client presented as tired and somewhat flat in affect.",
    "Client reported fewer intrusive thoughts this week.",
    "Client described avoiding social plans twice since we last met.",
    "Client was tearful when discussing the recent loss.",
    "Client reported a good week overall and increased energy.",
    "Client described irritability and difficulty concentrating at work.",
    "Client reported a setback after an argument with their partner.",
    "Client completed the weekly mood chart and brought it to session.",
    "Client reported increased worry about health symptoms.",
    "Client noticed early warning signs and used a coping plan.",
    "Client described urges to check and reassurance-seek.",
    "Client reported better appetite and a steadier routine.",
    "Client arrived late and described a chaotic morning.",
    "Client reported sleeping about five hours a night.",
)
NOTE_FOCUS = (
    "We explored the link between avoidance and rising anxiety.",
    "We practised cognitive restructuring on a recent situation.",
    "We reviewed the sleep diary and adjusted the wind-down routine.",
    "We identified early warning signs and coping strategies.",
    "We worked on assertive communication through role play.",
    "We mapped a recent panic episode onto the cycle of panic.",
    "We discussed values and how they relate to current choices.",
    "We practised paced breathing and a brief body scan in session.",
    "We explored self-critical thoughts and practised a compassionate response.",
    "We built a graded exposure hierarchy for social situations.",
    "We reviewed medication adherence and side effects to raise with the prescriber.",
    "We looked at grief responses and normalised the waves of emotion.",
    "We problem-solved the week's barriers to behavioural activation.",
    "We discussed boundaries at work and drafted a script for a conversation.",
    "We explored the role of rumination and practised postponing it.",
    "We reviewed risk; client denied thoughts of self-harm and has a safety plan.",
    "We practised a grounding sequence for flashbacks.",
    "We examined core beliefs that came up around failure.",
)
NOTE_PLAN = (
    "Plan: continue the thought record and review next session.",
    "Plan: behavioral activation, two scheduled activities per day.",
    "Plan: practise grounding twice daily; reassess PHQ-9 in two weeks.",
    "Plan: keep the worry-time log; follow up on sleep.",
    "Plan: first exposure step before next session; rate anxiety before and after.",
    "Plan: client to draft a values list; review together next week.",
    "Plan: reassess GAD-7 next session; continue breathing practice.",
    "Plan: try the assertiveness script once this week.",
    "Plan: maintain sleep schedule, no screens after 10pm.",
    "Plan: continue weekly sessions; consider spacing to fortnightly next month.",
    "Plan: client to contact prescriber about side effects.",
    "Plan: self-compassion exercise daily; bring reflections to session.",
    "Plan: schedule one social contact this week.",
    "Plan: review the safety plan together at the start of next session.",
)
REVIEW_OPENINGS = (
    "Warm, patient and practical.",
    "Sessions felt structured without being rigid.",
    "Helped me through a really difficult year.",
    "A good listener who never rushed me.",
    "Honest, kind and very easy to talk to.",
    "I was nervous about starting therapy, but I felt at ease from the first session.",
    "Took a while to find our rhythm, but it was worth it.",
    "Calm, thoughtful and genuinely curious about my life.",
    "Professional and down to earth.",
    "I have seen a few therapists and this has been the best fit.",
    "Clear explanations and no jargon.",
    "Compassionate without ever being patronising.",
    "Really good at gently challenging me.",
    "Flexible and understanding about my shift work.",
    "Sessions were focused and practical.",
)
REVIEW_DETAILS = (
    "I finally have tools that work for me.",
    "I always leave sessions with something concrete to try.",
    "The thought records were hard at first and now I use them without thinking.",
    "My sleep and my mood are both better than they were in spring.",
    "I understand my anxiety much better now.",
    "We worked through things I had avoided for years.",
    "The homework was realistic for my schedule.",
    "I feel more confident setting boundaries at work.",
    "Scheduling was sometimes tricky, but the sessions made up for it.",
    "Panic attacks went from weekly to rare.",
    "I learned to notice my patterns before they spiral.",
    "Grief still comes in waves, but I know how to ride them now.",
    "I feel heard, and I feel like I am getting better.",
    "The video sessions worked well for me.",
    "I went from dreading Mondays to managing them.",
)
REVIEW_CLOSINGS = (
    "Highly recommend.",
    "Grateful.",
    "Would recommend to a friend.",
    "Thank you.",
    "Five stars from me.",
    "I would go back without hesitation.",
    "Worth every session.",
    "",
    "",
    "",
)


def session_note(rng: random.Random) -> str:
    return " ".join((rng.choice(NOTE_PRESENTATION), rng.choice(NOTE_FOCUS), rng.choice(NOTE_PLAN)))


def review(rng: random.Random) -> tuple[int, str]:
    rating = rng.choices((5, 4, 3, 2), weights=(55, 30, 10, 5))[0]
    parts = [rng.choice(REVIEW_OPENINGS), rng.choice(REVIEW_DETAILS), rng.choice(REVIEW_CLOSINGS)]
    return rating, " ".join(part for part in parts if part)


# Messages ----------------------------------------------------------------------------------------
# Who speaks decides the bank: a client writing to their therapist (check-ins, scheduling,
# homework), the therapist answering, or two clients supporting each other. The banks share no
# sentence, so a line a therapist sends never appears in a client's mouth. Each message is an
# opening or a reply, composed of two or three slots.

CLIENT = "client"
THERAPIST = "therapist"
PEER = "peer"

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
HOURS = ("9am", "10am", "11am", "noon", "1pm", "2pm", "3pm", "4pm", "5pm", "6pm")

CLIENT_GREETINGS = ("Hi,", "Hello,", "Hi there,", "Good morning,", "Hey,", "Hi again,", "")
CLIENT_OPENINGS = (
    "I wanted to check in before our next session.",
    "I had a hard night but I am doing better this morning.",
    "I noticed the pattern we talked about again today.",
    "just a quick update on the worksheet.",
    "I started the sleep diary and it is already showing something.",
    "this week has been rougher than I expected.",
    "I tried the breathing exercise in a meeting and it worked.",
    "I am not sure the new routine is working for me.",
    "I had a panic attack on the train yesterday.",
    "I have a question about the homework.",
    "I had a better week, I wanted to tell you.",
    "something came up with my family that I would like to talk about.",
)
CLIENT_SCHEDULING = (
    "Is it okay if we move {day}'s session to {hour}?",
    "Could we meet on {day} at {hour} instead?",
    "I might be a few minutes late on {day}.",
    "Do you have anything free on {day} around {hour}?",
    "Can we do {day}'s session by video?",
)
CLIENT_REPLIES = (
    "Thanks, that helps.",
    "I will try that tonight.",
    "Okay, I will bring my notes.",
    "That makes sense when you put it like that.",
    "I managed two of the three activities.",
    "Honestly, about a five out of ten today.",
    "I wrote it down when it happened, like you suggested.",
    "It went better than I feared.",
    "I think it was the lack of sleep more than anything.",
    "I will keep going with it and see.",
    "Yes, the worry time helped a bit.",
    "I did not get to the worksheet yet, sorry.",
    "I noticed I was catastrophising again.",
    "That works for me, thank you.",
    "I called my sister like we discussed.",
    "I felt calmer after the walk.",
)
CLIENT_DETAILS = (
    "Work was busy again.",
    "Sleep is still up and down.",
    "The mornings are the worst part.",
    "My partner noticed the difference too.",
    "I kept the diary every day.",
    "I skipped it on Tuesday but picked it up again.",
    "The weekend was quieter.",
    "I went out with friends once.",
    "I am a bit anxious about next week.",
    "The walks are getting easier.",
    "I did feel the urge to cancel plans.",
    "I only checked my phone twice in bed.",
    "",
    "",
)
CLIENT_SIGNOFFS = ("", "", "Thanks!", "See you soon.", "Thank you.", "Speak then.")

THERAPIST_ACKS = (
    "Thanks for letting me know.",
    "I'm glad you reached out.",
    "Thank you for the update.",
    "That sounds like real progress.",
    "Well done for noticing it.",
    "That sounds like a tough few days.",
    "Good to hear from you.",
    "I appreciate you telling me.",
    "That is a big step.",
    "It makes sense that it felt hard.",
    "Thanks for checking in.",
    "I hear how draining this week has been.",
    "That's really useful to notice.",
    "I'm sorry the night was so rough.",
    "Well done for sticking with it.",
    "Thank you for being honest about that.",
)
THERAPIST_FOLLOWUPS = (
    "How are you feeling right now?",
    "Let's build on it in our next session.",
    "We can make that the focus next time.",
    "Remember the grounding steps we practised.",
    "What did you do next?",
    "Keep going at your own pace.",
    "Try to jot down what you noticed before and after.",
    "Bring the worksheet along and we'll go through it together.",
    "Be gentle with yourself this week.",
    "What would you say to a friend in the same spot?",
    "Let's look at what made the difference.",
    "Notice the thought, name it, and let it pass.",
    "A short walk or a few slow breaths can help in the moment.",
    "If things feel unsafe at any point, please use the crisis line we discussed.",
    "We'll review the sleep diary together.",
    "How did your body feel when it happened?",
    "What was going through your mind just before?",
    "Could you try the thought record on that moment?",
    "Let's keep an eye on how often it comes up.",
    "It might help to plan something small for the evening.",
    "Try the five-minute rule and see what happens.",
    "We can look at the pattern together on Thursday.",
)
THERAPIST_ENCOURAGEMENT = (
    "",
    "",
    "",
    "Small steps still count.",
    "Progress is rarely a straight line.",
    "You're doing the work, and it shows.",
    "Setbacks are part of the process.",
    "It's okay if it feels slow.",
    "Go easy on yourself.",
    "I'm looking forward to hearing more.",
    "There's no right or wrong answer here.",
    "We can adjust the plan if it isn't working.",
)
THERAPIST_SCHEDULING = (
    "I have moved us to {day} at {hour}. See you then.",
    "{day} at {hour} works for me.",
    "I can offer {day} at {hour}, would that suit you?",
    "No problem, video on {day} is fine.",
    "I'm away on {day}; could we do {hour} the day after?",
)

PEER_GREETINGS = ("Hey!", "Hi!", "Hiya,", "Hey there,", "Hi friend,", "Morning!", "")
PEER_OPENINGS = (
    "I saw your post in the group and wanted to say hi.",
    "your comment about bad mornings really stuck with me.",
    "how did the week go in the end?",
    "I am having one of those days, fancy a chat?",
    "just checking in after your last post.",
    "thanks for the reply on my thread, it meant a lot.",
    "did you try that breathing app you mentioned?",
    "I went to the in-person meetup, you should come next time.",
    "hope the appointment went okay today.",
    "I finally told my boss, like you encouraged me to.",
    "are you still doing the walking challenge?",
    "random question, how do you handle Sunday nights?",
)
PEER_REACTIONS = (
    "Same here, some days are like that.",
    "Hang in there, honestly.",
    "That is so good to hear!",
    "Aw, thank you for checking in.",
    "It was rough but I got through it.",
    "I tried it and it kind of helped.",
    "Haha yes, the struggle is real.",
    "We should do a check-in every Friday.",
    "I feel that so much.",
    "Proud of you for doing that.",
    "I had a better day today, thanks for asking.",
    "Let me know how it goes?",
    "That group thread really helped me too.",
    "Counting down to the weekend over here.",
    "I am trying the early nights thing this week.",
    "Sending good vibes your way.",
    "Honestly just knowing someone gets it helps.",
    "I will try to come to the next meetup.",
    "Oh no, that sounds like a lot.",
    "Yay, go you!",
    "Thank you for thinking of me.",
    "Ahh, I love that.",
    "Oh, I get that completely.",
    "Sorry I was slow to reply.",
    "Thanks, it is good to hear from you.",
)
PEER_SHARES = (
    "I slept a bit better after journaling last night.",
    "Work has been a lot, but I managed a walk at lunch.",
    "My sister came over and we cooked together.",
    "I skipped the gym but did some stretching at home.",
    "I am trying to stay off my phone after ten.",
    "Therapy this week was tough but useful.",
    "The grounding thing from the group actually worked on the bus.",
    "I have been rereading the pinned post in the group.",
    "Mornings are still hard, but evenings are easier.",
    "I cancelled one plan and kept the other, so that is progress.",
    "I started a gratitude list, three things a night.",
    "I had a wobble on Tuesday but bounced back faster.",
    "The new medication is making me sleepy but calmer.",
    "I booked a GP appointment finally.",
    "My dog is the only reason I get outside some days.",
    "I told a coworker what is going on and they were lovely.",
    "I had a good cry and felt lighter afterwards.",
    "The weekend was quiet, which I needed.",
    "I am reading a book about anxiety that someone recommended here.",
    "I finally unpacked the last boxes from the move.",
    "I went to bed early three nights in a row.",
    "My appetite is coming back a bit.",
    "I went to the meetup and only wanted to leave twice.",
    "I am learning to say no without explaining myself.",
    "Caffeine after lunch was definitely part of the problem for me.",
    "I had a panic wave at the shops but rode it out.",
    "I am taking it one day at a time this week.",
    "The anniversary is next week so I am planning something gentle.",
    "I tried the cold water trick and it actually helped.",
    "I had coffee with a friend and did not cancel.",
    "My therapist gave me a sleep diary to fill in.",
    "I spent the morning in the garden, which helped.",
    "I am back on the early walks again.",
    "Work was quieter, so I could breathe a bit.",
    "I said no to an extra shift and felt fine about it.",
    "I cleaned my room, which felt like a big deal.",
    "I listened to that podcast from the group thread.",
    "The bad days are a bit further apart now.",
    "I wrote a list of wins like someone suggested here.",
    "I finally called my mum back.",
)
PEER_QUESTIONS = (
    "How are you doing today?",
    "How is your week going?",
    "Did the new routine stick?",
    "Are you coming to the Friday check-in?",
    "Have you tried the breathing app yet?",
    "How did the appointment go?",
    "What got you through the weekend?",
    "Are evenings still the hardest part for you?",
    "Any plans for the weekend?",
    "Is the new job any less stressful now?",
    "How are you sleeping these days?",
    "Did you manage to get outside at all?",
    "Want to swap tips for bad mornings?",
    "Have you talked to your therapist about it?",
)
PEER_SIGNOFFS = ("", "", ":)", "Take care!", "Talk soon!", "x", "Chat later!")


def _client_line(rng: random.Random, opening: bool) -> str:
    if opening:
        greeting = rng.choice(CLIENT_GREETINGS)
        if rng.random() < 0.3:
            line = rng.choice(CLIENT_SCHEDULING).format(
                day=rng.choice(DAYS), hour=rng.choice(HOURS)
            )
        else:
            line = rng.choice(CLIENT_OPENINGS)
        line = f"{greeting} {line}" if greeting else line[0].upper() + line[1:]
    else:
        detail = rng.choice(CLIENT_DETAILS)
        line = rng.choice(CLIENT_REPLIES)
        line = f"{line} {detail}" if detail else line
    signoff = rng.choice(CLIENT_SIGNOFFS)
    return f"{line} {signoff}" if signoff else line


def _therapist_line(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(THERAPIST_SCHEDULING).format(day=rng.choice(DAYS), hour=rng.choice(HOURS))
    encouragement = rng.choice(THERAPIST_ENCOURAGEMENT)
    line = f"{rng.choice(THERAPIST_ACKS)} {rng.choice(THERAPIST_FOLLOWUPS)}"
    return f"{line} {encouragement}" if encouragement else line


def _peer_line(rng: random.Random, opening: bool) -> str:
    if opening:
        greeting = rng.choice(PEER_GREETINGS)
        line = rng.choice(PEER_OPENINGS)
        line = f"{greeting} {line}" if greeting else line[0].upper() + line[1:]
    else:
        line = f"{rng.choice(PEER_REACTIONS)} {rng.choice(PEER_SHARES)}"
        if rng.random() < 0.5:
            return f"{line} {rng.choice(PEER_QUESTIONS)}"
    signoff = rng.choice(PEER_SIGNOFFS)
    return f"{line} {signoff}" if signoff else line


def message(rng: random.Random, speaker: str, *, opening: bool) -> str:
    """A message by ``speaker`` (CLIENT writing to a therapist, THERAPIST, or PEER)."""
    if speaker == THERAPIST:
        return _therapist_line(rng)
    if speaker == CLIENT:
        return _client_line(rng, opening)
    return _peer_line(rng, opening)


def conversation_title(partner_name: str) -> str:
    return f"Conversation with {partner_name}"
