"""The TinyAgent study's tasks: requests a user makes of the simulated desktop, with gold plans.

TinyAgent's 40,000 training queries were written by GPT-3.5 and planned by GPT-4 ("Send an email to
Ana about the budget with the PDF attached and remind me on Friday"). Here a request is built from
1-3 *intents*, each a small function that reads the task's world (:class:`tools.desktop.world.World`:
its contacts, files, notes, places, the selected email and the clock) and returns a clause of the
request and the gold sub-plan that does it, with ``$k`` references local to the sub-plan. The
clauses are joined with connectors ("and", "then", "Also, ", "After that, "), the sub-plans
concatenated with their ``$k`` shifted, so a plan has 1 to 13 steps, with chains (a summary emailed)
and parallel branches (lookups of several invitees, independent intents).

Gold arguments follow from the request by fixed rules, so a planner can learn them and the state
success (the world after the plan equals the world after the gold plan) is attainable: names and
file names as the user wrote them (a first name alone when it is unique in Contacts, a file's stem
as in "the Budget Q3 PDF"); titles, subjects and messages verbatim, reminder names and event titles
in sentence case; calendar ``None``, list, folder and location ``""`` unless the request names one;
meeting duration 60 unless stated. Dates are resolved against ``world.now`` into
``YYYY-MM-DD HH:MM:SS``: "tomorrow", "today", "the day after tomorrow", "in 3 days", "on Friday"
(the next Friday after today), "on June 12" (the next June 12), "on 2024-06-12", at "3pm",
"3:30pm", "15:00" or "noon"; a reminder without a time is all-day at ``00:00:00``.

What the test set holds out from training (TinyAgent's test queries come from the same generator
as its training queries; these also measure generalisation):

- phrasings: each intent has at least 6 phrasings; the last :data:`HELDOUT_PHRASINGS` only appear in
  test tasks (each test intent takes one with probability :data:`TEST_NOVEL_PHRASING_RATE`);
- names: test worlds (``World.generate(seed, "test")``) draw contacts and file names from the
  held-out name pools, so every test task names people and documents never seen in training;
- combinations: :data:`HELDOUT_PAIRS`, a fixed tenth of the intent pairs, never meet in one
  training request; a share :data:`TEST_NOVEL_PAIR_RATE` of the multi-intent test tasks has one.

``Task.novel`` says which held-out phrasings and combinations a test task uses, for summaries.
:data:`TASKS_PER_WORLD` consecutive tasks share one world (a world costs more to build than a task).
"""

# The phrasing tables keep one phrasing per line, however long, so they read and diff as tables.
# ruff: noqa: E501

from __future__ import annotations

import datetime
import functools
import itertools
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from envs.checks import check_int
from tools.desktop import names
from tools.desktop.world import DATE_FORMAT, File, Note, World, ascii_fold

TEST_SIZE = 1000
TASKS_PER_WORLD = 10
HELDOUT_PHRASINGS = 2
"""How many of each intent's phrasings (the last ones) only test tasks use."""
HELDOUT_PAIR_FRACTION = 0.1
TEST_NOVEL_PHRASING_RATE = 0.5
TEST_NOVEL_PAIR_RATE = 0.3
INTENT_COUNT_WEIGHTS = (3, 4, 3)  # requests of 1, 2 and 3 intents
FINISHED = "Task completed!"

# Intent -> phrasings, with {slots} the intent fills; the last HELDOUT_PHRASINGS are test-only.
PHRASINGS: dict[str, tuple[str, ...]] = {
    "email": (
        "email {name} {content}",
        "send an email to {name} {content}",
        "send {name} an email {content}",
        "write {name} an email {content}",
        "shoot {name} a quick email {content}",
        "draft a new email to {name} {content}",
        "get an email off to {name} {content}",
        "reach out to {name} over email {content}",
    ),
    "email_file": (
        "email {file} to {name}",
        "send {name} {file} by email",
        "send an email to {name} with {file} attached",
        "email {name} and attach {file}",
        "mail {file} over to {name}",
        "share {file} with {name} over email",
        "get {file} into {name}'s inbox",
        "attach {file} to an email for {name}",
    ),
    "summarize": (
        "summarize {file}",
        "give me a summary of {file}",
        "tell me what {file} says",
        "sum up {file} for me",
        "give me the gist of {file}",
        "read {file} and summarize it",
        "boil {file} down to the key points",
        "walk me through the main points of {file}",
    ),
    "summary_email": (
        "summarize {file} and email the summary to {name}",
        "send {name} a summary of {file}",
        "email {name} a short summary of {file}",
        "write up a summary of {file} and send it to {name} by email",
        "read {file} and email {name} the key points",
        "mail {name} the gist of {file}",
        "let {name} know by email what {file} says",
        "get {name} an emailed recap of {file}",
    ),
    "summary_note": (
        "summarize {file} into a new note called {note}",
        "save a summary of {file} as a note named {note}",
        "create a note called {note} with a summary of {file}",
        "make a note named {note} summarizing {file}",
        "put the key points of {file} in a new note titled {note}",
        "jot down a summary of {file} in a note called {note}",
        "turn {file} into a summary note called {note}",
        "have the highlights of {file} written up in a note named {note}",
    ),
    "sms": (
        "text {names} that {message}",
        "send {names} a text saying {message}",
        "message {names} that {message}",
        "send an SMS to {names} saying {message}",
        "let {names} know by text that {message}",
        "text {names} to say {message}",
        "ping {names} with a text that says {message}",
        "tell {names} over SMS that {message}",
    ),
    "share_place": (
        "text {name} the location of {place}",
        "send {name} a map link for {place} by text",
        "share the location of {place} with {name} over SMS",
        "text {name} where {place} is",
        "send {name} a text with the location of {place}",
        "message {name} a link to {place} on the map",
        "pin {place} on the map and text the link to {name}",
        "let {name} know where {place} is with a text",
    ),
    "email_place": (
        "email {name} the location of {place}",
        "send {name} the map link for {place} by email",
        "email {name} where {place} is",
        "share the location of {place} with {name} by email",
        "write {name} an email with the location of {place}",
        "look up {place} in Maps and email it to {name}",
        "put the map link for {place} in an email to {name}",
        "get {name} the location of {place} via email",
    ),
    "meeting": (
        "schedule a meeting with {names} {when} about {topic}",
        "set up a meeting called {topic} with {names} {when}",
        "put {topic} with {names} on my calendar {when}",
        "book {topic} with {names} {when}",
        "create a calendar event for {topic} {when} and invite {names}",
        "invite {names} to {topic} {when}",
        "block out time {when} for {topic} with {names}",
        "gather {names} together {when} for {topic}",
    ),
    "event": (
        "add {event} to my calendar {when}",
        "put {event} on my calendar {when}",
        "schedule {event} {when}",
        "create a calendar event for {event} {when}",
        "make a calendar entry for {event} {when}",
        "block my calendar {when} for {event}",
        "pencil in {event} {when}",
        "mark {event} in my calendar {when}",
    ),
    "zoom_event": (
        "create a Zoom meeting with {names} about {topic} {when}",
        "set up a Zoom call for {topic} with {names} {when}",
        "schedule a Zoom meeting called {topic} with {names} {when} and put it on my calendar",
        "make a Zoom link for {topic} with {names} {when} and add it to my calendar",
        "book a Zoom call with {names} {when} for {topic}",
        "organize {topic} on Zoom with {names} {when}",
        "host {topic} over Zoom with {names} {when}",
        "arrange a video call on Zoom for {topic} {when} with {names}",
    ),
    "zoom_email": (
        "send {names} a Zoom link for {topic} {when}",
        "email {names} a Zoom invite for {topic} {when}",
        "create a Zoom meeting for {topic} {when} and email the link to {names}",
        "set up a Zoom call about {topic} {when} and send {names} the link",
        "make a Zoom link for {topic} {when} and mail it to {names}",
        "get a Zoom meeting going for {topic} {when} and email {names} the invite",
        "share a fresh Zoom link for {topic} {when} with {names} over email",
        "invite {names} by email to a Zoom call about {topic} {when}",
    ),
    "reminder": (
        "remind me to {todo} {when}",
        "set a reminder to {todo} {when}",
        "create a reminder {when} to {todo}",
        "add a reminder to {todo} {when}",
        "make sure I remember to {todo} {when}",
        "put in a reminder for me to {todo} {when}",
        "nudge me {when} to {todo}",
        "give me a heads-up {when} to {todo}",
    ),
    "note_create": (
        "create a note called {note} with {content}",
        "make a new note named {note} containing {content}",
        "start a note titled {note} with {content}",
        "write {content} down in a new note called {note}",
        "jot down {content} in a note named {note}",
        "save a new note called {note} with {content}",
        "open a fresh note named {note} and put {content} in it",
        "take a note titled {note} listing {content}",
    ),
    "note_read": (
        "open my {note} note",
        "show me the {note} note",
        "read me my {note} note",
        "pull up the note called {note}",
        "tell me what my {note} note says",
        "find the {note} note and show it to me",
        "check what I wrote in the {note} note",
        "bring the {note} note up on screen",
    ),
    "note_append": (
        "add {content} to my {note} note",
        "append {content} to the {note} note",
        "put {content} at the end of my {note} note",
        "update my {note} note with {content}",
        "add {content} as a new line in the {note} note",
        "write {content} into my {note} note",
        "tack {content} onto the {note} note",
        "extend the {note} note with {content}",
    ),
    "reply": (
        "reply to {mail} saying {message}",
        "answer {mail} and say {message}",
        "write back to {mail} saying {message}",
        "respond to {mail} to say {message}",
        "send a reply to {mail} saying {message}",
        "reply to {mail} and tell them {message}",
        "hit reply on {mail} and write {message}",
        "shoot back a response to {mail} that says {message}",
    ),
    "forward": (
        "forward {mail} to {names}",
        "send {mail} on to {names}",
        "pass {mail} along to {names}",
        "forward {names} {mail}",
        "share {mail} with {names}",
        "send a copy of {mail} to {names}",
        "loop {names} in on {mail}",
        "relay {mail} to {names}",
    ),
    "directions": (
        "get me directions to {place}",
        "show me how to get to {place}",
        "show directions to {place}",
        "find the route to {place}",
        "navigate to {place}",
        "open Maps with directions to {place}",
        "plot a route over to {place}",
        "map out the way to {place}",
    ),
    "open_location": (
        "open {place} in Maps",
        "show me {place} on the map",
        "find {place} on the map",
        "pull up {place} in Apple Maps",
        "show {place} in Maps",
        "look up {place} in Maps",
        "drop a pin on {place}",
        "zoom the map in on {place}",
    ),
    "lookup": (
        "look up {name}'s {what}",
        "find {name}'s {what}",
        "get me {name}'s {what}",
        "tell me {name}'s {what}",
        "check my contacts for {name}'s {what}",
        "pull up the {what} I have for {name}",
        "dig {name}'s {what} out of my contacts",
        "fetch the {what} saved for {name}",
    ),
    "open_file": (
        "open {file}",
        "find {file} and open it",
        "pull up {file}",
        "bring up {file}",
        "locate {file} and open it",
        "open up {file} for me",
        "dig up {file} and open it",
        "get {file} open on my screen",
    ),
}

# Content pools (shared by both splits: what varies between them is who and which document), kept
# as compact tables.
# fmt: off
# (topic, message): an email's message always contains its topic, so the subject can be read off it.
_EMAIL_TOPICS = (
    ("the budget review", "the budget review moved to Thursday"),
    ("the team offsite", "the team offsite is confirmed"),
    ("the quarterly report", "the quarterly report is ready for review"),
    ("the client presentation", "the client presentation went really well"),
    ("the project deadline", "the project deadline has been pushed back a week"),
    ("the holiday party", "the holiday party will be at the usual place"),
    ("the contract renewal", "the contract renewal needs a signature"),
    ("the marketing campaign", "the marketing campaign launches next month"),
    ("the kitchen renovation", "the kitchen renovation starts next week"),
    ("the conference travel", "the conference travel is all booked"),
    ("the sprint demo", "the sprint demo is moving to the afternoon"),
    ("the hiring plan", "the hiring plan was approved"),
    ("the office move", "the office move happens next weekend"),
    ("the product launch", "the product launch is on track"),
    ("the school fundraiser", "the school fundraiser raised more than expected"),
    ("the dinner plans", "the dinner plans are still on"),
    ("the lease renewal", "the lease renewal came through"),
    ("the design mockups", "the design mockups are ready"),
    ("the invoice", "the invoice has been paid"),
    ("the server outage", "the server outage is fixed"),
    ("the book club", "the book club picked a new novel"),
    ("the soccer schedule", "the soccer schedule changed"),
    ("the training session", "the training session is full"),
    ("the website redesign", "the website redesign is live"),
)
_SMS_MESSAGES = (
    "I'm running ten minutes late", "I'll pick up the groceries on the way home", "dinner is at seven tonight",
    "the keys are under the mat", "I just landed", "I'll call you after my meeting", "the meeting got moved to 4pm",
    "I'm outside the building", "the cake is in the fridge", "I left the charger at your place", "the package arrived",
    "I'm on my way", "let's meet at the main entrance", "dinner last night was lovely", "the game starts at eight",
    "I'll be home late tonight", "practice is cancelled today", "I booked the table for Friday",
    "the train is delayed by twenty minutes", "I found your sunglasses",
)
_REPLY_MESSAGES = (
    "I'll be there", "thanks, I'll take a look tomorrow", "that works for me", "sounds good, see you then",
    "I can't make it this week", "I'll send the numbers by Friday", "thanks for the update",
    "let's discuss it on Monday", "I'm happy to help", "could we push it to next week",
    "I've signed and returned it", "count me in",
)
_FORWARD_NOTES = (
    "please take a look", "can you handle this one", "FYI", "this is the one I mentioned",
    "let me know what you think", "please review before Friday",
)
_TODOS = (
    "call the plumber", "pick up the dry cleaning", "renew my passport", "water the plants",
    "book a table for Saturday", "take out the recycling", "pay the electricity bill", "buy a birthday card",
    "submit the expense report", "back up my laptop", "return the library books", "pick up the kids from practice",
    "order printer ink", "schedule a car service", "call grandma", "refill my prescription", "buy coffee beans",
    "cancel the gym trial", "charge the camera batteries", "confirm the hotel booking", "pack the gym bag",
    "walk the dog", "update my resume", "pay the parking ticket", "defrost the chicken", "buy flowers",
    "print the boarding passes", "send the rent",
)
_NOTE_CONTENTS = (
    "milk, eggs, spinach and bread", "passport, charger and sunglasses", "the gate code 4821",
    "ideas for the offsite: bowling or a cooking class", "a question for the landlord about the heating",
    "the Wi-Fi password bluebird42", "three books to read this summer", "a call to the bank about the new card",
    "venue ideas for the reunion", "a watering schedule for the tomatoes", "the tent and two sleeping bags",
    "the new ramen place downtown", "questions for the doctor about my knee", "a gift card for the neighbours",
    "parking spot level 3, row F",
)
_EVENTS = (
    "my dentist appointment", "a haircut", "my piano lesson", "the car service", "a doctor's appointment",
    "date night", "soccer practice", "a gym session", "the vet appointment", "my flight to Boston",
    "the dinner reservation", "movie night", "a guitar lesson", "a physio session", "the plumber visit",
    "my yoga class", "the parent-teacher meeting", "brunch with the neighbours",
)
_FILE_NOUNS = {
    ".pdf": ("PDF", "document", "file"),
    ".docx": ("document", "Word document", "file"),
    ".xlsx": ("spreadsheet", "file"),
    ".txt": ("text file", "file"),
    ".pages": ("document", "Pages document"),
    ".key": ("presentation", "Keynote presentation", "Keynote file"),
}
_TRANSPORT = (
    ("", "d"), ("", "d"), (" by car", "d"), (" driving", "d"), (" on foot", "w"), (" walking", "w"),
    (" by public transit", "r"), (" on public transport", "r"),
)
_DURATIONS = (
    ("", 60), ("", 60), ("", 60), ("for an hour", 60), ("for 30 minutes", 30), ("for half an hour", 30),
    ("for 45 minutes", 45), ("for 90 minutes", 90), ("for an hour and a half", 90), ("for two hours", 120),
)
_PRIORITIES = (
    (" with high priority", 1), (" and mark it high priority", 1), (" with medium priority", 5),
    (" as a low-priority reminder", 9),
)
# fmt: on
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip
# fmt: off
_WRAPPERS = (  # (prefix, the first sentence is a question)
    ("", False), ("", False), ("", False), ("Please ", False), ("Can you ", True), ("Could you ", True),
    ("Could you please ", True), ("Can you please ", True), ("I need you to ", False), ("I'd like you to ", False),
    ("Hey, can you ", True), ("Would you ", True), ("Go ahead and ", False),
)
_CONNECTORS = (" and ", ", and ", ", then ", " and then ", ", and also ", ". Also, ", ". Then ", ". After that, ",
               ". Oh, and ", ". And ")
_MIDDLE_CONNECTORS = (", then ", ". Also, ", ". Then ")
# fmt: on
_ANSWERS = frozenset({"summarize", "note_read", "lookup"})  # the joiner returns their result
_NEED_EMAIL = frozenset({"reply", "forward"})  # they act on the email selected in Mail
_REF = re.compile(r"\$\{?(\d+)\}?")
_ARTICLE = re.compile(r"^(the|my|a|an|our) ")


@dataclass(frozen=True)
class Task:
    """A request, the seed of its world, its gold plan and the gold joiner turn."""

    split: str
    """``"train"`` or ``"test"``: which name pools the world and the phrasings come from."""
    index: int
    seed: int
    """``World.generate(seed, split)`` rebuilds the task's world."""
    query: str
    steps: tuple[tuple[str, tuple], ...]
    """The gold calls ``(tool, positional args)`` in plan order, ``"$k"`` referring to step k; no join."""
    join: str
    """The gold joiner turn ``"Thought: ...\\nAction: Finish(...)"``; a ``$k`` in the Finish message
    (a summary, a note, a phone number the user asked for) is step k's observation, filled in after
    execution (``envs.tinyagent.env.fill_finish``)."""
    intents: tuple[str, ...]
    novel: tuple[str, ...] = ()
    """Held-out parts this (test) task uses beyond its names: ``"phrasing"``, ``"combo"``."""

    @property
    def tools(self) -> tuple[str, ...]:
        """The distinct gold tools in order of first use (ToolRAG's labels)."""
        return tuple(dict.fromkeys(tool for tool, _ in self.steps))

    def world(self) -> World:
        """A fresh copy of the task's world, for the gold or a predicted plan to change."""
        return World.generate(self.seed, self.split)


# ------------------------------------------------------------------------------------ the world


@dataclass(frozen=True)
class _Facts:
    """What intents read from a world, worked out once per world."""

    world: World
    now: datetime.datetime
    mentions: dict[str, tuple[str, ...]]  # contact -> ways to name them (full name, first name if unique)
    pdfs: tuple[File, ...]
    files: tuple[File, ...]
    places: tuple[str, ...]
    notes: tuple[Note, ...]
    topics: tuple[str, ...]  # meeting topics of the split's pool
    new_notes: tuple[str, ...]  # note names of the split's pool that the world does not have


def _fold(text: str) -> str:
    return ascii_fold(text).casefold()


def _clean(text: str) -> bool:
    """World text that may go into a plan ("$" would read as a step reference)."""
    return "$" not in text


@functools.lru_cache(maxsize=16)
def _facts(seed: int, split: str) -> _Facts:
    world = World.generate(seed, split)
    # A first name alone names a contact when no other first name folds to it (Zoë, Zoe), as
    # Contacts (tools.desktop.apps) matches it.
    firsts = Counter(_fold(c.name.split()[0]) for c in world.contacts)
    mentions = {
        c.name: (c.name, c.name.split()[0]) if firsts[_fold(c.name.split()[0])] == 1 else (c.name,)
        for c in world.contacts
        if _clean(c.name)
    }
    files = tuple(f for f in world.files if _clean(f.name))
    existing = {n.name for n in world.notes}
    return _Facts(
        world=world,
        now=datetime.datetime.strptime(world.now, DATE_FORMAT),
        mentions=mentions,
        pdfs=tuple(f for f in files if f.name.lower().endswith(".pdf")),
        files=files,
        places=tuple(p for p in world.places if _clean(p)),
        notes=tuple(n for n in world.notes if _clean(n.name) and _clean(n.folder)),
        topics=tuple(t for t in names.pool("meeting_topics", split) if _clean(t)),
        new_notes=tuple(n for n in names.pool("note_names", split) if n not in existing),
    )


# -------------------------------------------------------------------------- drawing one request


@dataclass
class _Part:
    """One intent's share of a request: its clause, sub-plan (local ``$k``), and what the joiner says."""

    clause: str
    steps: list[tuple[str, tuple]]
    done: str  # past-tense phrase for the joiner's thought: "emailed Ana"
    answer: str | None = None  # local "$k" whose observation the joiner returns


@dataclass
class _Draw:
    """The state shared by the intents of one request: world facts, randomness, what is taken."""

    facts: _Facts
    rng: random.Random
    test: bool
    used: set[str] = field(default_factory=set)  # contacts, files, notes, places already in the request
    novel: bool = False

    def phrase(self, intent: str, **slots: str) -> str:
        """One of ``intent``'s phrasings filled with ``slots``: held-out ones only in test tasks."""
        options = PHRASINGS[intent]
        if self.test and self.rng.random() < TEST_NOVEL_PHRASING_RATE:
            self.novel = True
            template = self.rng.choice(options[-HELDOUT_PHRASINGS:])
        else:
            template = self.rng.choice(options[:-HELDOUT_PHRASINGS])
        return template.format(**slots)

    def take(self, options):
        """A random option not yet used in the request (any when all are), marked as used."""
        free = [o for o in options if _key(o) not in self.used] or list(options)
        choice = self.rng.choice(free)
        self.used.add(_key(choice))
        return choice

    def contact(self) -> str:
        """How the user names a contact: the full name, or the first name alone when it is unique."""
        full = self.take(tuple(self.facts.mentions))
        return self.rng.choice(self.facts.mentions[full])

    def contacts(self, weights: tuple[int, ...]) -> list[str]:
        """1..len(weights) distinct contacts, their number drawn with ``weights``."""
        count = self.rng.choices(range(1, len(weights) + 1), weights)[0]
        return [self.contact() for _ in range(count)]

    def file(self, pdf: bool = False) -> tuple[str, str, str]:
        """``(mention, argument, stem)``: "the Budget Q3 PDF" -> "Budget Q3"; "Budget Q3.pdf" -> itself."""
        f = self.take(self.facts.pdfs if pdf else self.facts.files)
        stem, dot, extension = f.name.rpartition(".")
        if not dot:
            stem, extension = f.name, ""
        nouns = _FILE_NOUNS.get("." + extension.lower(), ("file",))
        if self.rng.random() < 0.35:
            return self.rng.choice((f.name, f"the file {f.name}")), f.name, stem
        determiner = self.rng.choice(("the", "the", "my"))
        return f"{determiner} {stem} {self.rng.choice(nouns)}", stem, stem

    def place(self) -> str:
        return self.take(self.facts.places)

    def note(self) -> Note:
        return self.take(self.facts.notes)

    def when(self, timed: bool = True) -> tuple[str, datetime.datetime]:
        """A date phrase and the moment it means, relative to the world's clock."""
        rng, now = self.rng, self.facts.now
        kind = rng.randrange(6)
        hour = rng.randint(8, 19)
        if kind == 0 and timed and now.hour < 18:
            days, day, hour = 0, "today", rng.randint(now.hour + 1, 19)
        elif kind == 1:
            days = rng.randint(1, 7)
            day = "on " + _WEEKDAYS[(now + datetime.timedelta(days=days)).weekday()]
        elif kind == 2:
            days = rng.randint(2, 40)
            date = now + datetime.timedelta(days=days)
            day = f"on {_MONTHS[date.month - 1]} {date.day}"
        elif kind == 3:
            days = rng.randint(1, 40)
            day = f"on {(now + datetime.timedelta(days=days)):%Y-%m-%d}"
        elif kind == 4:
            days = rng.randint(2, 5)
            day = f"in {days} days"
        else:
            days, day = rng.choice(((1, "tomorrow"), (1, "tomorrow"), (2, "the day after tomorrow")))
        date = (now + datetime.timedelta(days=days)).replace(hour=0, minute=0, second=0)
        if not timed:
            return day, date
        minute = rng.choice((0, 0, 0, 30, 15, 45))
        clock = _clock(hour, minute, rng)
        phrase = f"at {clock} {day}" if kind in (0, 1, 5) and rng.random() < 0.3 else f"{day} at {clock}"
        return phrase, date.replace(hour=hour, minute=minute)

    def meeting_time(self) -> tuple[str, str, str, int]:
        """``(phrase, start, end, minutes)`` for a meeting: a date phrase and maybe a duration."""
        phrase, start = self.when()
        duration, minutes = self.rng.choice(_DURATIONS)
        end = start + datetime.timedelta(minutes=minutes)
        return f"{phrase} {duration}".rstrip(), _fmt(start), _fmt(end), minutes


def _key(option) -> str:
    return option if isinstance(option, str) else option.name


def _clock(hour: int, minute: int, rng: random.Random) -> str:
    """A time as people write it: "3pm", "3:30pm", "3 PM", "15:00", "noon"."""
    if hour == 12 and minute == 0 and rng.random() < 0.5:
        return "noon"
    style = rng.randrange(4)
    if style == 3:
        return f"{hour:02d}:{minute:02d}"
    h12 = hour % 12 or 12
    mins = f":{minute:02d}" if minute else ""
    return (
        f"{h12}{mins} {'AM' if hour < 12 else 'PM'}"
        if style == 2
        else f"{h12}{mins}{'am' if hour < 12 else 'pm'}"
    )


def _fmt(moment: datetime.datetime) -> str:
    return moment.strftime(DATE_FORMAT)


def _sentence_case(phrase: str) -> str:
    """ "my dentist appointment" -> "Dentist appointment" (a title or subject from a phrase)."""
    phrase = _ARTICLE.sub("", phrase)
    return phrase[:1].upper() + phrase[1:]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _refs(first: int, count: int) -> list[str]:
    return [f"${k}" for k in range(first, first + count)]


# ------------------------------------------------------------------------------------- intents


def _email(d: _Draw) -> _Part:
    name = d.contact()
    topic, message = d.rng.choice(_EMAIL_TOPICS)
    steps: list[tuple[str, tuple]] = [("get_email_address", (name,))]
    cc: list[str] = []
    if d.rng.random() < 0.65:
        content, context = d.rng.choice(("about {}", "regarding {}", "on {}")).format(topic), ""
        if d.rng.random() < 0.3:
            other = d.contact()
            steps.append(("get_email_address", (other,)))
            cc = ["$2"]
            content += d.rng.choice((" and cc {}", ", cc'ing {}", " with {} in cc")).format(other)
    else:
        template = d.rng.choice(("saying that {}", "to let them know that {}", "to tell them {}"))
        content, context = template.format(message), message
    steps.append(("compose_new_email", (["$1"], cc, _sentence_case(topic), context, [])))
    return _Part(d.phrase("email", name=name, content=content), steps, f"emailed {name}")


def _email_file(d: _Draw) -> _Part:
    name = d.contact()
    mention, arg, stem = d.file()
    steps = [
        ("get_email_address", (name,)),
        ("open_and_get_file_path", (arg,)),
        ("compose_new_email", (["$1"], [], stem, "", ["$2"])),
    ]
    return _Part(d.phrase("email_file", name=name, file=mention), steps, f"emailed {arg} to {name}")


def _summarize(d: _Draw) -> _Part:
    mention, arg, _ = d.file(pdf=True)
    steps = [("open_and_get_file_path", (arg,)), ("summarize_pdf", ("$1",))]
    return _Part(d.phrase("summarize", file=mention), steps, f"summarized {arg}", answer="$2")


def _summary_email(d: _Draw) -> _Part:
    mention, arg, stem = d.file(pdf=True)
    name = d.contact()
    steps = [
        ("open_and_get_file_path", (arg,)),
        ("summarize_pdf", ("$1",)),
        ("get_email_address", (name,)),
        ("compose_new_email", (["$3"], [], f"Summary of {stem}", "$2", [])),
    ]
    clause = d.phrase("summary_email", file=mention, name=name)
    return _Part(clause, steps, f"emailed {name} a summary of {arg}")


def _summary_note(d: _Draw) -> _Part:
    mention, arg, stem = d.file(pdf=True)
    note = f"{stem} {d.rng.choice(('Summary', 'Notes', 'Highlights'))}"
    clause = d.phrase("summary_note", file=mention, note=note)
    clause, folder = _folder_fragment(d, clause)
    steps = [
        ("open_and_get_file_path", (arg,)),
        ("summarize_pdf", ("$1",)),
        ("create_note", (note, "$2", folder)),
    ]
    return _Part(clause, steps, f"saved a summary of {arg} in the note {note}")


def _sms(d: _Draw) -> _Part:
    people = d.contacts((3, 1))
    message = d.rng.choice(_SMS_MESSAGES)
    steps = [("get_phone_number", (p,)) for p in people]
    steps.append(("send_sms", (_refs(1, len(people)), message)))
    return _Part(d.phrase("sms", names=_and(people), message=message), steps, f"texted {_and(people)}")


def _share_place(d: _Draw) -> _Part:
    place, name = d.place(), d.contact()
    steps = [
        ("maps_open_location", (place,)),
        ("get_phone_number", (name,)),
        ("send_sms", (["$2"], f"Here is the location of {place}: $1")),
    ]
    clause = d.phrase("share_place", place=place, name=name)
    return _Part(clause, steps, f"texted {name} the location of {place}")


def _email_place(d: _Draw) -> _Part:
    place, name = d.place(), d.contact()
    steps = [
        ("maps_open_location", (place,)),
        ("get_email_address", (name,)),
        ("compose_new_email", (["$2"], [], f"Location of {place}", "$1", [])),
    ]
    clause = d.phrase("email_place", place=place, name=name)
    return _Part(clause, steps, f"emailed {name} the location of {place}")


def _calendar_extras(d: _Draw, clause: str) -> tuple[str, str, str | None]:
    """Maybe a place and a calendar named after the clause: ``(clause, location, calendar)``."""
    location, calendar = "", None
    if d.facts.places and d.rng.random() < 0.3:
        location = d.place()
        clause += f" at {location}"
    if d.rng.random() < 0.2:
        calendar = d.rng.choice(d.facts.world.calendars)
        clause += d.rng.choice((" on my {} calendar", " in the {} calendar")).format(calendar)
    return clause, location, calendar


def _meeting(d: _Draw) -> _Part:
    people = d.contacts((5, 3, 2))
    topic = d.rng.choice(d.facts.topics)
    when, start, end, _ = d.meeting_time()
    clause = d.phrase("meeting", names=_and(people), topic=topic, when=when)
    clause, location, calendar = _calendar_extras(d, clause)
    steps = [("get_email_address", (p,)) for p in people]
    steps.append(
        ("create_calendar_event", (topic, start, end, location, _refs(1, len(people)), "", calendar))
    )
    return _Part(clause, steps, f"scheduled {topic} with {_and(people)}")


def _event(d: _Draw) -> _Part:
    event = d.rng.choice(_EVENTS)
    when, start, end, _ = d.meeting_time()
    clause, location, calendar = _calendar_extras(d, d.phrase("event", event=event, when=when))
    title = _sentence_case(event)
    steps = [("create_calendar_event", (title, start, end, location, [], "", calendar))]
    return _Part(clause, steps, f"added {title} to the calendar")


def _zoom(d: _Draw, intent: str, weights: tuple[int, ...]) -> tuple[str, list, list[str], str, str, str]:
    """The shared start of the Zoom intents: invitees looked up, then the meeting link."""
    people = d.contacts(weights)
    topic = d.rng.choice(d.facts.topics)
    when, start, end, minutes = d.meeting_time()
    refs = _refs(1, len(people))
    steps = [("get_email_address", (p,)) for p in people]
    steps.append(("get_zoom_meeting_link", (topic, start, minutes, refs)))
    clause = d.phrase(intent, names=_and(people), topic=topic, when=when)
    return clause, steps, refs, topic, start, end


def _zoom_event(d: _Draw) -> _Part:
    clause, steps, _, topic, start, end = _zoom(d, "zoom_event", (5, 3, 2))
    # TinyAgent's own example puts the link in the event's location and leaves its invitees empty.
    steps.append(("create_calendar_event", (topic, start, end, f"${len(steps)}", [], "", None)))
    return _Part(clause, steps, f"created the Zoom meeting {topic} and added it to the calendar")


def _zoom_email(d: _Draw) -> _Part:
    clause, steps, refs, topic, _, _ = _zoom(d, "zoom_email", (3, 1))
    steps.append(("compose_new_email", (refs, [], topic, f"${len(steps)}", [])))
    return _Part(clause, steps, f"emailed the Zoom link for {topic}")


def _reminder(d: _Draw) -> _Part:
    todo = d.rng.choice(_TODOS)
    timed = d.rng.random() < 0.7
    when, due = d.when(timed)
    clause = d.phrase("reminder", todo=todo, when=when)
    list_name, priority = "", 0
    others = d.facts.world.reminder_lists[1:]
    if others and d.rng.random() < 0.3:
        list_name = d.rng.choice(others)
        clause += d.rng.choice((" on my {} list", " in the {} list")).format(list_name)
    if d.rng.random() < 0.2:
        fragment, priority = d.rng.choice(_PRIORITIES)
        clause += fragment
    name = _sentence_case(todo)
    steps = [("create_reminder", (name, _fmt(due), "", list_name, priority, not timed))]
    return _Part(clause, steps, f"created the reminder to {todo}")


def _folder_fragment(d: _Draw, clause: str) -> tuple[str, str]:
    """Maybe a Notes folder named after the clause: ``(clause, folder or "")``."""
    if d.rng.random() < 0.35:
        folder = d.rng.choice(d.facts.world.folders)
        return clause + d.rng.choice((" in my {} folder", " in the {} folder")).format(folder), folder
    return clause, ""


def _note_create(d: _Draw) -> _Part:
    note = d.take(d.facts.new_notes) if d.facts.new_notes else "Scratchpad"
    content = d.rng.choice(_NOTE_CONTENTS)
    clause, folder = _folder_fragment(d, d.phrase("note_create", note=note, content=content))
    return _Part(clause, [("create_note", (note, content, folder))], f"created the note {note}")


def _existing_note(d: _Draw, clause_of: Callable[[str], str]) -> tuple[str, str, str]:
    """An existing note, its clause, and its folder when the user names it (else "")."""
    note = d.note()
    clause = clause_of(note.name)
    if d.rng.random() < 0.3:
        return (
            clause + d.rng.choice((" in the {} folder", " from my {} folder")).format(note.folder),
            note.name,
            note.folder,
        )
    return clause, note.name, ""


def _note_read(d: _Draw) -> _Part:
    clause, note, folder = _existing_note(d, lambda n: d.phrase("note_read", note=n))
    return _Part(clause, [("open_note", (note, folder))], f"opened the note {note}", answer="$1")


def _note_append(d: _Draw) -> _Part:
    content = d.rng.choice(_NOTE_CONTENTS)
    clause, note, folder = _existing_note(d, lambda n: d.phrase("note_append", note=n, content=content))
    return _Part(clause, [("append_note_content", (note, content, folder))], f"added to the note {note}")


def _mail(d: _Draw) -> str:
    """How the user refers to the email selected in Mail."""
    email = d.facts.world.current_email
    sender = next((c.name for c in d.facts.world.contacts if c.email == email.sender), None)
    options = ["this email", "the email I have open", "the selected email", f'the "{email.subject}" email']
    if sender in d.facts.mentions and sender not in d.used:
        first = d.facts.mentions[sender][-1]
        options += [f"the email from {first}", f"{first}'s email"]
    choice = d.rng.choice(options)
    if sender is not None and choice.startswith(("the email from", sender.split()[0])):
        d.used.add(sender)  # named in the request: not also a recipient
    return choice


def _reply(d: _Draw) -> _Part:
    message = d.rng.choice(_REPLY_MESSAGES)
    clause = d.phrase("reply", mail=_mail(d), message=message)
    steps: list[tuple[str, tuple]] = []
    cc: list[str] = []
    attachments: list[str] = []
    if d.rng.random() < 0.25:
        other = d.contact()
        steps.append(("get_email_address", (other,)))
        cc = [f"${len(steps)}"]
        clause += d.rng.choice((" and cc {}", ", copying {}")).format(other)
    if d.facts.files and d.rng.random() < 0.25:
        mention, arg, _ = d.file()
        steps.append(("open_and_get_file_path", (arg,)))
        attachments = [f"${len(steps)}"]
        clause += d.rng.choice((" with {} attached", " and attach {}")).format(mention)
    steps.append(("reply_to_email", (cc, message, attachments)))
    return _Part(clause, steps, "replied to the email")


def _forward(d: _Draw) -> _Part:
    mail = _mail(d)
    people = d.contacts((3, 1))
    clause = d.phrase("forward", mail=mail, names=_and(people))
    context = ""
    if d.rng.random() < 0.3:
        context = d.rng.choice(_FORWARD_NOTES)
        clause += f" with a note saying {context}"
    steps = [("get_email_address", (p,)) for p in people]
    steps.append(("forward_email", (_refs(1, len(people)), [], context, [])))
    return _Part(clause, steps, f"forwarded the email to {_and(people)}")


def _directions(d: _Draw) -> _Part:
    place = d.place()
    clause = d.phrase("directions", place=place)
    start = ""
    if d.rng.random() < 0.3:
        start = d.place()
        clause += f" from {start}"
    fragment, transport = d.rng.choice(_TRANSPORT)
    steps = [("maps_show_directions", (start, place, transport))]
    return _Part(clause + fragment, steps, f"shown the directions to {place}")


def _open_location(d: _Draw) -> _Part:
    place = d.place()
    clause = d.phrase("open_location", place=place)
    return _Part(clause, [("maps_open_location", (place,))], f"opened {place} in Maps")


def _lookup(d: _Draw) -> _Part:
    name = d.contact()
    tool, what = d.rng.choice(
        (
            ("get_phone_number", "phone number"),
            ("get_phone_number", "number"),
            ("get_phone_number", "mobile number"),
            ("get_email_address", "email address"),
            ("get_email_address", "email address"),
        )
    )
    clause = d.phrase("lookup", name=name, what=what)
    return _Part(clause, [(tool, (name,))], f"looked up the {what} of {name}", answer="$1")


def _open_file(d: _Draw) -> _Part:
    mention, arg, _ = d.file()
    return _Part(d.phrase("open_file", file=mention), [("open_and_get_file_path", (arg,))], f"opened {arg}")


_INTENTS: dict[str, Callable[[_Draw], _Part]] = {
    "email": _email,
    "email_file": _email_file,
    "summarize": _summarize,
    "summary_email": _summary_email,
    "summary_note": _summary_note,
    "sms": _sms,
    "share_place": _share_place,
    "email_place": _email_place,
    "meeting": _meeting,
    "event": _event,
    "zoom_event": _zoom_event,
    "zoom_email": _zoom_email,
    "reminder": _reminder,
    "note_create": _note_create,
    "note_read": _note_read,
    "note_append": _note_append,
    "reply": _reply,
    "forward": _forward,
    "directions": _directions,
    "open_location": _open_location,
    "lookup": _lookup,
    "open_file": _open_file,
}
INTENTS = tuple(_INTENTS)


def _combinable(a: str, b: str) -> bool:
    """Two intents may share a request unless both ask for an answer (the joiner returns one)."""
    return a != b and not (a in _ANSWERS and b in _ANSWERS)


def _heldout_pairs() -> frozenset[tuple[str, str]]:
    pairs = [p for p in itertools.combinations(sorted(INTENTS), 2) if _combinable(*p)]
    rng = random.Random("tinyagent-heldout-pairs")
    return frozenset(rng.sample(pairs, round(HELDOUT_PAIR_FRACTION * len(pairs))))


HELDOUT_PAIRS = _heldout_pairs()
"""Intent pairs (sorted) that only test requests combine."""


def heldout_pair(a: str, b: str) -> bool:
    """Whether intents ``a`` and ``b`` are a held-out combination (in either order)."""
    return (min(a, b), max(a, b)) in HELDOUT_PAIRS


# For each intent, the intents a request may add to it: in training, no held-out pair.
_PARTNERS = {
    test: {
        a: frozenset(b for b in INTENTS if _combinable(a, b) and (test or not heldout_pair(a, b)))
        for a in INTENTS
    }
    for test in (False, True)
}


# ------------------------------------------------------------------------------------ assembly


def _available(facts: _Facts) -> list[str]:
    """The intents a world supports (reply and forward need a selected email, and so on)."""
    lacking = set()
    if facts.world.current_email is None:
        lacking |= _NEED_EMAIL
    if not facts.pdfs:
        lacking |= {"summarize", "summary_email", "summary_note"}
    if not facts.files:
        lacking |= {"email_file", "open_file"}
    if not facts.notes:
        lacking |= {"note_read", "note_append"}
    if not facts.places:
        lacking |= {"share_place", "email_place", "directions", "open_location"}
    return [i for i in INTENTS if i not in lacking]


def _choose_intents(rng: random.Random, test: bool, available: list[str]) -> list[str]:
    count = rng.choices((1, 2, 3), INTENT_COUNT_WEIGHTS)[0]
    chosen: list[str] = []
    if test and count > 1 and rng.random() < TEST_NOVEL_PAIR_RATE:
        pairs = sorted(p for p in HELDOUT_PAIRS if all(i in available for i in p))
        if pairs:
            chosen = list(rng.choice(pairs))
            rng.shuffle(chosen)
    partners = _PARTNERS[test]
    while len(chosen) < count:
        options = [i for i in available if all(i in partners[c] for c in chosen)]
        if not options:
            break
        chosen.append(rng.choice(options))
    return chosen


def _assemble(clauses: list[str], rng: random.Random) -> str:
    """The request: the clauses joined by connectors, the first one maybe a polite question."""
    prefix, question = rng.choice(_WRAPPERS)
    sentences = [prefix + clauses[0]]
    connectors = []
    if len(clauses) > 1:
        last = rng.choice(_CONNECTORS)
        # "A, B and C" lists with commas; before a new sentence ("A, B. Also, C") a comma would dangle.
        middles = _MIDDLE_CONNECTORS if last.startswith(". ") else (", ", *_MIDDLE_CONNECTORS)
        connectors = [rng.choice(middles) for _ in clauses[2:]] + [last]
    for clause, connector in zip(clauses[1:], connectors, strict=True):
        if connector.startswith(". "):
            sentences.append(connector[2:] + clause)
        else:
            sentences[-1] += connector + clause
    ends = ["?" if question else "."] + ["."] * (len(sentences) - 1)
    return " ".join(
        s[:1].upper() + s[1:] + ("" if s[-1] in ".?!" else end)
        for s, end in zip(sentences, ends, strict=True)
    )


def _shift(value, offset: int):
    """``value`` with each ``$k`` inside it (strings, lists) moved to ``$(k + offset)``."""
    if isinstance(value, str):
        return _REF.sub(lambda m: f"${int(m.group(1)) + offset}", value) if "$" in value else value
    if isinstance(value, list):
        return [_shift(v, offset) for v in value]
    return value


def _join(dones: list[str], answer: str | None) -> str:
    if answer is None:
        return f"Thought: I have {_and(dones)}, so the task is complete.\nAction: Finish({FINISHED})"
    return f"Thought: I have {_and(dones)}, and the result answers the request.\nAction: Finish({answer})"


def _build(split: str, index: int) -> Task:
    seed = index // TASKS_PER_WORLD
    facts = _facts(seed, split)
    rng = random.Random(f"tinyagent-task:{split}:{index}")
    test = split == "test"
    intents = _choose_intents(rng, test, _available(facts))
    draw = _Draw(facts, rng, test)
    steps: list[tuple[str, tuple]] = []
    clauses, dones, answer = [], [], None
    for intent in intents:
        part = _INTENTS[intent](draw)
        offset = len(steps)
        steps.extend((tool, tuple(_shift(a, offset) for a in args)) for tool, args in part.steps)
        clauses.append(part.clause)
        dones.append(part.done)
        if part.answer is not None:
            answer = _shift(part.answer, offset)
    novel = []
    if draw.novel:
        novel.append("phrasing")
    if any(heldout_pair(a, b) for a, b in itertools.combinations(intents, 2)):
        novel.append("combo")
    query = _assemble(clauses, rng)
    return Task(split, index, seed, query, tuple(steps), _join(dones, answer), tuple(intents), tuple(novel))


def train_task(index: int) -> Task:
    """Training task ``index`` (any int >= 0): the same task for the same index, every time."""
    check_int("index", index, minimum=0)
    return _build("train", index)


def test_tasks(n: int = TEST_SIZE) -> list[Task]:
    """The first ``n`` tasks of the fixed test set (held-out names, phrasings and combinations)."""
    check_int("n", n, minimum=0)
    return [_build("test", i) for i in range(n)]


def count_distinct(n: int) -> int:
    """How many of the first ``n`` training tasks differ in their query or their gold plan."""
    check_int("n", n, minimum=0)
    return len({(t.query, repr(t.steps)) for t in map(train_task, range(n))})
