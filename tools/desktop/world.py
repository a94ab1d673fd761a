"""The seeded state of a simulated macOS desktop: contacts, mail, calendar, notes, files, maps.

TinyAgent's tools drive the real Contacts, Mail, Calendar, Notes, Reminders, Messages, Maps and Zoom
apps through AppleScript. Here the apps' state is a :class:`World` of plain dataclasses that
:class:`tools.desktop.apps.Desktop` reads and changes, so an episode's effect can be checked by
comparing snapshots. ``World.generate(seed, split)`` builds one deterministically from its seed; the
"test" split draws contacts and file names only from the held-out parts of :mod:`tools.desktop.names`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import random
import unicodedata
from dataclasses import dataclass, field

from tools.desktop.names import SPLITS, pool

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
USER_EMAIL = "me@example.com"
HOME = "/Users/me"

# Letters that Unicode decomposition does not reduce to ASCII, for email addresses.
_ASCII_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "ı": "i"}  # noqa: RUF001
)
_AREA_CODES = ("415", "650", "510", "408", "212", "617", "206", "312")
_FILE_FOLDERS = ("Documents", "Downloads", "Desktop")
_OTHER_EXTENSIONS = (".pdf", ".docx", ".xlsx", ".txt", ".pages", ".key")
_EXTRA_NOTE_FOLDERS = ("Work", "Recipes", "Personal", "Travel", "Ideas")
_EXTRA_REMINDER_LISTS = ("Groceries", "Work", "Errands", "Family")
_TEAMS = ("finance", "design", "research", "sales", "operations", "legal", "marketing")
_MONTHS = ("January", "March", "April", "June", "September", "October", "November")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


@dataclass
class Contact:
    """One entry of Contacts."""

    name: str
    phone: str
    email: str


@dataclass
class Email:
    """A message in Mail: the selected inbox message (kind "inbox") or one the agent wrote."""

    sender: str
    recipients: list[str]
    cc: list[str]
    subject: str
    body: str
    attachments: list[str]
    kind: str = "new"  # "new" | "reply" | "forward" | "inbox"


@dataclass
class Event:
    """A Calendar event; dates are ``DATE_FORMAT`` strings."""

    title: str
    start_date: str
    end_date: str
    location: str
    invitees: list[str]
    notes: str
    calendar: str


@dataclass
class Note:
    """A note in Notes."""

    name: str
    folder: str
    content: str


@dataclass
class Reminder:
    """An item in Reminders."""

    name: str
    due_date: str
    notes: str
    list_name: str
    priority: int
    all_day: bool


@dataclass
class File:
    """A document Spotlight can find: ``name`` with its extension, ``path`` absolute."""

    name: str
    path: str
    text: str


@dataclass
class Meeting:
    """A Zoom meeting that ``get_zoom_meeting_link`` created."""

    topic: str
    start_time: str
    duration: int
    invitees: list[str]
    link: str


@dataclass
class World:
    """Everything the 16 desktop tools read or change. JSON-able through :meth:`snapshot`."""

    now: str
    """The desktop's clock, ``DATE_FORMAT``; defaults for dates are taken from it."""
    contacts: list[Contact]
    """8-14 contacts with unique names (many with accents) and unique emails and phones."""
    calendars: list[str]
    """Calendar names; the first is the default."""
    events: list[Event]
    current_email: Email | None
    """The message selected in Mail that reply/forward act on (kind "inbox"); None: nothing selected."""
    outbox: list[Email]
    """Emails composed, replied or forwarded, in order (their ``kind`` says which)."""
    folders: list[str]
    """Notes folders; the first is the default."""
    notes: list[Note]
    reminder_lists: list[str]
    """Reminders lists; the first is the default."""
    reminders: list[Reminder]
    files: list[File]
    """6-12 files with unique names and stems, at least 3 of them PDFs with 3-6 sentences of text."""
    opened: list[str]
    """Paths opened by ``open_and_get_file_path``, in order."""
    places: list[str]
    """Place names the user might ask Maps about."""
    map_views: list[dict] = field(default_factory=list)
    """What Maps showed: ``{"kind": "location", "location", "url"}`` or
    ``{"kind": "directions", "start", "end", "transport", "url"}``."""
    sms: list[dict] = field(default_factory=list)
    """Messages sent: ``{"recipients": [phone, ...], "message": str}``."""
    meetings: list[Meeting] = field(default_factory=list)

    @classmethod
    def generate(cls, seed: int, split: str = "train") -> World:
        """A deterministic world for ``seed``; ``split`` ("train"/"test") picks the name pools."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, not {type(seed).__name__}")
        if split not in SPLITS:
            raise ValueError(f"split must be 'train' or 'test', not {split!r}")
        rng = random.Random(f"desktop-world:{split}:{seed}")
        now = datetime.datetime(2024, 1, 1, rng.randint(8, 17), rng.choice((0, 15, 30, 45)))
        now += datetime.timedelta(days=rng.randrange(366))
        contacts = _contacts(rng, split)
        files = _files(rng, split, contacts)
        calendars = ["Home", "Work"] if rng.random() < 0.7 else ["Home", "Work", "Family"]
        folders = ["Notes", *rng.sample(_EXTRA_NOTE_FOLDERS, rng.randint(1, 3))]
        reminder_lists = ["Reminders", *rng.sample(_EXTRA_REMINDER_LISTS, rng.randint(1, 2))]
        return cls(
            now=now.strftime(DATE_FORMAT),
            contacts=contacts,
            calendars=calendars,
            events=_events(rng, split, now, contacts, calendars),
            current_email=_inbox_email(rng, split, contacts, files),
            outbox=[],
            folders=folders,
            notes=_notes(rng, split, folders),
            reminder_lists=reminder_lists,
            reminders=_reminders(rng, now, reminder_lists),
            files=files,
            opened=[],
            places=rng.sample(pool("places", split), rng.randint(6, 8)),
        )

    def snapshot(self) -> dict:
        """All state as a JSON-able dict (``dataclasses.asdict``), for comparing end states."""
        return dataclasses.asdict(self)

    @classmethod
    def from_snapshot(cls, data: dict) -> World:
        """The world that :meth:`snapshot` wrote ``data`` from."""
        data = copy.deepcopy(data)
        email = data["current_email"]
        return cls(
            **{
                **data,
                "contacts": [Contact(**c) for c in data["contacts"]],
                "events": [Event(**e) for e in data["events"]],
                "current_email": None if email is None else Email(**email),
                "outbox": [Email(**e) for e in data["outbox"]],
                "notes": [Note(**n) for n in data["notes"]],
                "reminders": [Reminder(**r) for r in data["reminders"]],
                "files": [File(**f) for f in data["files"]],
                "meetings": [Meeting(**m) for m in data["meetings"]],
            }
        )

    def copy(self) -> World:
        """An independent deep copy."""
        return copy.deepcopy(self)


def ascii_fold(text: str) -> str:
    """``text`` with accents removed and non-ASCII letters spelled in ASCII ("Søren" -> "Soren")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def email_for(name: str) -> str:
    """``firstname.lastname@example.com`` from a full name, ASCII letters and digits only."""
    parts = ["".join(ch for ch in ascii_fold(part).lower() if ch.isalnum()) for part in name.split()]
    return ".".join(part for part in parts if part) + "@example.com"


def _contacts(rng: random.Random, split: str) -> list[Contact]:
    firsts, lasts = pool("first_names", split), pool("last_names", split)
    # First names are dealt without replacement (reshuffled when the pool runs out), so that most
    # worlds let a first name alone identify a contact, as people often write.
    order: list[str] = []
    contacts: list[Contact] = []
    emails: set[str] = set()
    phones: set[str] = set()
    target = rng.randint(8, 14)
    while len(contacts) < target:
        if not order:
            order = rng.sample(firsts, len(firsts))
        name = f"{order.pop()} {rng.choice(lasts)}"
        email = email_for(name)
        phone = f"+1 {rng.choice(_AREA_CODES)} 555 {rng.randrange(10000):04d}"
        # Unique names, emails and phones keep every lookup unambiguous.
        if email in emails or phone in phones or any(c.name == name for c in contacts):
            continue
        emails.add(email)
        phones.add(phone)
        contacts.append(Contact(name=name, phone=phone, email=email))
    return contacts


def _files(rng: random.Random, split: str, contacts: list[Contact]) -> list[File]:
    stems = rng.sample(pool("file_stems", split), rng.randint(6, 12))
    files = []
    for i, stem in enumerate(stems):
        extension = ".pdf" if i < 3 else rng.choice(_OTHER_EXTENSIONS)
        file_name = stem + extension
        path = f"{HOME}/{rng.choice(_FILE_FOLDERS)}/{file_name}"
        sentences = _document_sentences(rng, stem, contacts)
        text = " ".join(sentences if extension == ".pdf" else sentences[:2])
        files.append(File(name=file_name, path=path, text=text))
    rng.shuffle(files)
    return files


def _document_sentences(rng: random.Random, stem: str, contacts: list[Contact]) -> list[str]:
    """3-6 sentences about a document, the first always saying what it is."""
    author, reviewer = rng.sample([c.name for c in contacts], 2)
    body = [
        f"It was prepared for the {rng.choice(_TEAMS)} team.",
        f"The total cost is estimated at ${rng.randint(2, 90) * 500:,}.",
        f"The key deadlines fall in {rng.choice(_MONTHS)}.",
        f"{reviewer} reviewed the figures and approved the draft.",
        "Open questions are listed in the appendix.",
        f"Next steps are due by {rng.choice(_WEEKDAYS)}, after a final check.",
    ]
    kept = sorted(rng.sample(range(len(body)), rng.randint(2, 5)))
    return [f"This document is the {stem} written by {author}.", *(body[i] for i in kept)]


def _events(
    rng: random.Random, split: str, now: datetime.datetime, contacts: list[Contact], calendars: list[str]
) -> list[Event]:
    events = []
    for topic in rng.sample(pool("meeting_topics", split), rng.randint(1, 4)):
        day = now.date() + datetime.timedelta(days=rng.randint(-7, 14))
        start = datetime.datetime.combine(day, datetime.time(rng.randint(9, 16), rng.choice((0, 30))))
        end = start + datetime.timedelta(minutes=rng.choice((30, 60, 90)))
        events.append(
            Event(
                title=topic,
                start_date=start.strftime(DATE_FORMAT),
                end_date=end.strftime(DATE_FORMAT),
                location=rng.choice(("", *pool("places", split)[:5])),
                invitees=[c.email for c in rng.sample(contacts, rng.randint(0, 2))],
                notes="",
                calendar=rng.choice(calendars),
            )
        )
    return events


def _inbox_email(rng: random.Random, split: str, contacts: list[Contact], files: list[File]) -> Email:
    sender = rng.choice(contacts)
    subject = rng.choice(pool("subjects", split))
    first_name = sender.name.split()[0]
    return Email(
        sender=sender.email,
        recipients=[USER_EMAIL],
        cc=[c.email for c in rng.sample([c for c in contacts if c is not sender], rng.randint(0, 1))],
        subject=subject,
        body=f"Hi, could you get back to me about this when you have a moment? Thanks, {first_name}",
        attachments=[rng.choice(files).path] if rng.random() < 0.4 else [],
        kind="inbox",
    )


def _notes(rng: random.Random, split: str, folders: list[str]) -> list[Note]:
    return [
        Note(name=name, folder=rng.choice(folders), content=f"{name}\n- first item\n- second item")
        for name in rng.sample(pool("note_names", split), rng.randint(2, 4))
    ]


def _reminders(rng: random.Random, now: datetime.datetime, lists: list[str]) -> list[Reminder]:
    reminders = []
    chores = ("Pay rent", "Call the dentist", "Water the plants", "Buy milk")
    for name in rng.sample(chores, rng.randint(0, 2)):
        due = now + datetime.timedelta(days=rng.randint(1, 10))
        reminders.append(
            Reminder(
                name=name,
                due_date=due.strftime(DATE_FORMAT),
                notes="",
                list_name=rng.choice(lists),
                priority=0,
                all_day=False,
            )
        )
    return reminders
