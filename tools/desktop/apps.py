"""TinyAgent's 16 desktop tools, acting on a simulated :class:`~tools.desktop.world.World`.

TinyAgent (SqueezeAILab) drives the Mac's apps through AppleScript; :class:`Desktop` keeps their
names, argument order and types (``src/tiny_agent/tiny_agent_tools.py``) and answers with
observation strings of the same meaning and shape, but changes a ``World`` instead. LLMCompiler passes
arguments positionally, so :meth:`Desktop.call` takes a tool name and a list of values, checks them
against the tool's JSON Schema and answers misuse with a :class:`~tools.base.ToolError` that names
the tool, the argument and what was expected. A lookup that finds nothing ("No contacts found") is a
normal answer, as in TinyAgent, not an error.

Where TinyAgent hands work to an LLM sub-agent (the email body, the note text, the PDF summary),
the simulation is deterministic: the given ``context``/``content`` is used verbatim and a PDF's
summary is its first two sentences.

Each tool's docstring is both its JSON Schema description (``transformers.utils.get_json_schema``)
and, with its signature, its TinyAgent-style prompt text (:func:`describe`).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import inspect
import json
import re
import types
import typing
import urllib.parse
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator

from tools.base import ToolError
from tools.desktop.world import (
    DATE_FORMAT,
    USER_EMAIL,
    Contact,
    Email,
    Event,
    File,
    Meeting,
    Note,
    Reminder,
    World,
)
from tools.desktop.world import ascii_fold as _ascii_fold

TOOL_NAMES: tuple[str, ...] = (
    "get_phone_number",
    "get_email_address",
    "create_calendar_event",
    "open_and_get_file_path",
    "summarize_pdf",
    "compose_new_email",
    "reply_to_email",
    "forward_email",
    "maps_open_location",
    "maps_show_directions",
    "create_note",
    "open_note",
    "append_note_content",
    "create_reminder",
    "send_sms",
    "get_zoom_meeting_link",
)

NO_CONTACT = "No contacts found"
MAX_STRING = 10_000
MAX_ITEMS = 50
MAX_DEPTH = 4
# Notes and summaries are the long answers; everything else stays under 300 characters.
MAX_LONG_ANSWER = 999
TRANSPORTS = {"d": "driving", "w": "walking", "r": "public transit"}
_INPUT_DATE_FORMATS = (DATE_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class Desktop:
    """The desktop's apps over one :class:`World`, which every tool call reads and changes in place."""

    def __init__(self, world: World):
        self.world = world

    def call(self, name: str, args: Sequence[Any]) -> str:
        """Runs tool ``name`` with positional ``args`` and returns its observation.

        Raises:
            ToolError: unknown tool, wrong number of arguments, an argument of the wrong type or over
                the size limits, or a call the app refuses; the message starts with the tool's name.
        """
        if not isinstance(name, str) or name not in TOOL_NAMES:
            raise ToolError(_unknown_tool(name))
        if not isinstance(args, list | tuple):
            raise ToolError(f"{name}: arguments must be a list of values, not {type(args).__name__}")
        params = _PARAMETERS[name]
        if len(args) != len(params):
            raise ToolError(
                f"{name} takes {len(params)} argument{'s' * (len(params) != 1)} "
                f"({', '.join(params)}), got {len(args)}"
            )
        values = [
            _checked(name, i, param, value) for i, (param, value) in enumerate(zip(params, args, strict=True))
        ]
        try:
            return getattr(self, name)(*values)
        except ToolError as error:
            raise ToolError(f"{name}: {error}") from None

    @staticmethod
    def schemas() -> list[dict]:
        """The 16 tools' JSON Schemas in ``tools=`` form, in :data:`TOOL_NAMES` order.

        They do not depend on the world, so ``Desktop.schemas()`` works without an instance.
        """
        return json.loads(json.dumps(_hf_schemas()))  # a copy, so callers may edit theirs

    # Contacts

    def get_phone_number(self, name: str) -> str:
        """- Looks a contact up by name (the first name alone works when it is unique).
        - Returns the contact's phone number.

        Args:
            name: The contact's name.
        """
        return self._contact_field(name, "phone")

    def get_email_address(self, name: str) -> str:
        """- Looks a contact up by name (the first name alone works when it is unique).
        - Returns the contact's email address.

        Args:
            name: The contact's name.
        """
        return self._contact_field(name, "email")

    def _contact_field(self, name: str, field: str) -> str:
        # A miss is an answer the planner reads ("No contacts found"), not an error.
        try:
            return getattr(self._contact(name), field)
        except LookupError as miss:
            return str(miss)

    # Calendar

    def create_calendar_event(
        self,
        title: str,
        start_date: str | None,
        end_date: str | None,
        location: str | None,
        invitees: list[str],
        notes: str | None,
        calendar: str | None,
    ) -> str:
        """- Adds an event to Calendar.
        - start_date and end_date are written 'YYYY-MM-DD HH:MM:SS'; a missing one is taken one hour
          from the other, both missing means now until an hour from now.
        - invitees is a list of email addresses (contact names are looked up); use [] for none.
        - location, notes and calendar may be an empty string or None; no calendar means the default one.
        - Returns whether the event was created.

        Args:
            title: The event's title.
            start_date: When it starts, 'YYYY-MM-DD HH:MM:SS'.
            end_date: When it ends, 'YYYY-MM-DD HH:MM:SS'.
            location: Where it takes place, or an empty string.
            invitees: Email addresses of the people invited; may be empty.
            notes: Notes for the event, or an empty string.
            calendar: The calendar's name, or an empty string for the default calendar.
        """
        _require(title, "title")
        start, end = _parse_date(start_date), _parse_date(end_date)
        # TinyAgent's rule: an unreadable date counts as missing and is filled in from the other.
        if start is None and end is None:
            start = datetime.strptime(self.world.now, DATE_FORMAT)
            end = start + timedelta(hours=1)
        elif start is None:
            start = end - timedelta(hours=1)
        elif end is None:
            end = start + timedelta(hours=1)
        if end < start:
            raise ToolError(f"end_date {end:{DATE_FORMAT}} is before start_date {start:{DATE_FORMAT}}")
        emails = self._emails(invitees, "invitees")
        # As TinyAgent does, an unknown calendar (or "None") falls back to the first one.
        chosen = calendar if calendar in self.world.calendars else _first(self.world.calendars, "calendar")
        self.world.events.append(
            Event(
                title=title,
                start_date=start.strftime(DATE_FORMAT),
                end_date=end.strftime(DATE_FORMAT),
                location=location or "",
                invitees=emails,
                notes=notes or "",
                calendar=chosen,
            )
        )
        when = f"{start:{DATE_FORMAT}} to {end:{DATE_FORMAT}}"
        return f'Event "{_short(title)}" created in the "{chosen}" calendar, {when}.'

    # Files

    def open_and_get_file_path(self, file_name: str) -> str:
        """- Finds a file by its name (with or without the extension) and opens it.
        - Returns the file's path.

        Args:
            file_name: The file's name, e.g. 'Budget Q3.pdf' or 'Budget Q3'.
        """
        _require(file_name, "file_name")
        found = self._file(file_name)
        if isinstance(found, str):
            return found
        self.world.opened.append(found.path)
        return found.path

    def summarize_pdf(self, pdf_path: str) -> str:
        """- Summarizes a PDF file and returns the summary.
        - Works only AFTER open_and_get_file_path has returned the PDF's path.

        Args:
            pdf_path: The PDF's path, as returned by open_and_get_file_path.
        """
        file = next((f for f in self.world.files if f.path == pdf_path), None)
        if file is None or pdf_path not in self.world.opened:
            raise ToolError(
                f"{_short(pdf_path, 80)!r} is not the path of an opened file; "
                "call open_and_get_file_path first and pass its result"
            )
        if not file.name.lower().endswith(".pdf"):
            raise ToolError(f"{file.name!r} is not a PDF")
        # TinyAgent has an LLM sub-agent write the summary; here it is the text's first two sentences.
        return _short(" ".join(_SENTENCE_END.split(file.text.strip())[:2]), MAX_LONG_ANSWER)

    # Mail

    def compose_new_email(
        self, recipients: list[str], cc: list[str], subject: str, context: str, attachments: list[str]
    ) -> str:
        """- Composes a new email and returns whether it was composed.
        - recipients and cc are lists of email addresses (contact names are looked up).
        - attachments is a list of file paths (file names are looked up); use [] for none.
        - context is the content of the email: pass intermediate results here (a summary, a map
          location or a Zoom link must go in context to be in the email), otherwise an empty string.

        Args:
            recipients: Email addresses of the recipients.
            cc: Email addresses to copy; may be empty.
            subject: The subject line.
            context: What the email should say; may be empty.
            attachments: Paths of files to attach; may be empty.
        """
        email = Email(
            sender=USER_EMAIL,
            recipients=self._emails(recipients, "recipients"),
            cc=self._emails(cc, "cc"),
            subject=subject,
            body=context,
            attachments=self._paths(attachments),
            kind="new",
        )
        self.world.outbox.append(email)
        return f"New email to {_listed(email.recipients)} composed successfully."

    def reply_to_email(self, cc: list[str], context: str, attachments: list[str]) -> str:
        """- Replies to the email currently selected in Mail.
        - cc is a list of email addresses (contact names are looked up); attachments a list of file paths.
        - context is the content of the reply: pass intermediate results here, otherwise an empty string.

        Args:
            cc: Email addresses to copy; may be empty.
            context: What the reply should say; may be empty.
            attachments: Paths of files to attach; may be empty.
        """
        selected = self._selected_email("reply to")
        self.world.outbox.append(
            Email(
                sender=USER_EMAIL,
                recipients=[selected.sender],
                cc=self._emails(cc, "cc"),
                subject=_prefixed("Re: ", selected.subject),
                body=context,
                attachments=self._paths(attachments),
                kind="reply",
            )
        )
        return f"Replied to the selected email from {selected.sender} successfully."

    def forward_email(
        self, recipients: list[str], cc: list[str], context: str, attachments: list[str]
    ) -> str:
        """- Forwards the email currently selected in Mail, with its attachments.
        - recipients and cc are lists of email addresses (contact names are looked up).
        - attachments is a list of file paths to add; context what to write above the forwarded email.

        Args:
            recipients: Email addresses to forward to.
            cc: Email addresses to copy; may be empty.
            context: What to add to the forwarded email; may be empty.
            attachments: Paths of more files to attach; may be empty.
        """
        selected = self._selected_email("forward")
        email = Email(
            sender=USER_EMAIL,
            recipients=self._emails(recipients, "recipients"),
            cc=self._emails(cc, "cc"),
            subject=_prefixed("Fwd: ", selected.subject),
            body=context,
            attachments=[*selected.attachments, *self._paths(attachments)],
            kind="forward",
        )
        self.world.outbox.append(email)
        return f"Forwarded the selected email to {_listed(email.recipients)} successfully."

    # Maps

    def maps_open_location(self, location: str) -> str:
        """- Shows a place in Apple Maps: a place name, an address or coordinates.
        - Returns the place's Apple Maps URL.

        Args:
            location: The place to show.
        """
        _require(location, "location")
        url = "https://maps.apple.com/?q=" + urllib.parse.quote_plus(location)
        self.world.map_views.append({"kind": "location", "location": location, "url": url})
        return f"{_short(location, 80)} in Apple Maps: {_short(url, 200)}"

    def maps_show_directions(
        self, start_location: str | None, end_location: str, transport: str | None
    ) -> str:
        """- Shows directions between two places in Apple Maps.
        - transport is 'd' (driving, the default), 'w' (walking) or 'r' (public transit).
        - An empty start_location means the device's current location.
        - Returns the Apple Maps URL of the directions.

        Args:
            start_location: Where to start, or an empty string for the current location.
            end_location: Where to go.
            transport: 'd', 'w' or 'r'.
        """
        _require(end_location, "end_location")
        transport = transport or "d"
        if transport not in TRANSPORTS:
            raise ToolError(
                f"transport must be 'd' (driving), 'w' (walking) or 'r' (public transit), not {transport!r}"
            )
        start = f"saddr={urllib.parse.quote_plus(start_location)}&" if start_location else ""
        url = (
            f"https://maps.apple.com/?{start}daddr={urllib.parse.quote_plus(end_location)}&dirflg={transport}"
        )
        self.world.map_views.append(
            {
                "kind": "directions",
                "start": start_location or "",
                "end": end_location,
                "transport": transport,
                "url": url,
            }
        )
        return f"Directions to {_short(end_location, 60)} in Apple Maps: {_short(url, 200)}"

    # Notes

    def create_note(self, name: str, content: str, folder: str | None) -> str:
        """- Creates a new note; name is its title, content its text.
        - folder is optional (an empty string means the default folder); a new folder is created.
        - Returns whether the note was created.

        Args:
            name: The note's title.
            content: The note's text.
            folder: The Notes folder, or an empty string.
        """
        _require(name, "name")
        folder = folder or _first(self.world.folders, "Notes folder")
        if folder not in self.world.folders:
            self.world.folders.append(folder)
        self.world.notes.append(Note(name=name, folder=folder, content=content))
        return f"Note '{_short(name)}' created in the '{_short(folder)}' folder successfully."

    def open_note(self, name: str, folder: str | None) -> str:
        """- Opens an existing note by its name, looking in folder first (empty: any folder).
        - Returns the note's content.

        Args:
            name: The note's title.
            folder: The Notes folder, or an empty string.
        """
        note = self._note(name, folder)
        if note is None:
            return f"No note named '{_short(name)}' found."
        return _short(note.content, MAX_LONG_ANSWER)

    def append_note_content(self, name: str, content: str, folder: str | None) -> str:
        """- Appends content to an existing note, found by its name (in folder first, else anywhere).
        - Returns whether the content was appended.

        Args:
            name: The note's title.
            content: The text to add at the end of the note.
            folder: The Notes folder, or an empty string.
        """
        note = self._note(name, folder)
        if note is None:
            return f"No note named '{_short(name)}' found."
        note.content += "\n" + content
        return f"Content appended to the note '{_short(note.name)}' successfully."

    # Reminders

    def create_reminder(
        self,
        name: str,
        due_date: str | None,
        notes: str | None,
        list_name: str | None,
        priority: int,
        all_day: bool,
    ) -> str:
        """- Creates a new reminder and returns whether it was created.
        - due_date is written 'YYYY-MM-DD HH:MM:SS' ('YYYY-MM-DD' when all_day is True); empty means now.
        - list_name is optional: an empty string means the default list.
        - priority is 0 (none) to 9; use 0 by default. all_day defaults to False.

        Args:
            name: What to be reminded of.
            due_date: When, 'YYYY-MM-DD HH:MM:SS', or an empty string.
            notes: Notes for the reminder, or an empty string.
            list_name: The Reminders list, or an empty string.
            priority: 0 to 9.
            all_day: Whether the reminder is for the whole day.
        """
        _require(name, "name")
        if not 0 <= priority <= 9:
            raise ToolError(f"priority must be an integer from 0 to 9, not {_short(str(priority))}")
        due = _parse_date(due_date) or datetime.strptime(self.world.now, DATE_FORMAT)
        if all_day:
            due = due.replace(hour=0, minute=0, second=0)
        # As in Reminders, an unknown list name falls back to the default list.
        chosen = (
            list_name if list_name in self.world.reminder_lists else _first(self.world.reminder_lists, "list")
        )
        self.world.reminders.append(
            Reminder(
                name=name,
                due_date=due.strftime(DATE_FORMAT),
                notes=notes or "",
                list_name=chosen,
                priority=priority,
                all_day=all_day,
            )
        )
        return f"Reminder '{_short(name)}' created in the '{chosen}' list successfully."

    # Messages

    def send_sms(self, recipients: list[str], message: str) -> str:
        """- Writes an SMS to a list of phone numbers (contact names are looked up).
        - Returns whether the SMS draft was composed.

        Args:
            recipients: Phone numbers of the recipients.
            message: The text of the message.
        """
        phones = [
            item if re.search(r"\d", item) else self._contact_or_error(item, "recipients").phone
            for item in recipients
        ]
        self.world.sms.append({"recipients": phones, "message": message})
        return f"SMS draft to {_listed(phones)} composed."

    # Zoom

    def get_zoom_meeting_link(
        self, topic: str, start_time: str, duration: int, meeting_invitees: list[str]
    ) -> str:
        """- Creates a Zoom meeting and returns its join URL.
        - To share the link, pass it to create_calendar_event (as location or notes) or to
          compose_new_email (in context).
        - All arguments are required; duration is in minutes, start_time is 'YYYY-MM-DD HH:MM:SS'.

        Args:
            topic: The meeting's topic.
            start_time: When it starts, 'YYYY-MM-DD HH:MM:SS'.
            duration: How long it lasts, in minutes.
            meeting_invitees: Email addresses of the people invited.
        """
        _require(topic, "topic")
        start = _parse_date(start_time)
        if start is None:
            raise ToolError(
                f"start_time must be written 'YYYY-MM-DD HH:MM:SS', not {_short(start_time, 40)!r}"
            )
        if not 1 <= duration <= 1440:
            raise ToolError(f"duration must be 1 to 1440 minutes, not {_short(str(duration))}")
        invitees = self._emails(meeting_invitees, "meeting_invitees")
        topic = topic[:200]  # Zoom's limit, which TinyAgent applies too
        when = start.strftime(DATE_FORMAT)
        key = json.dumps([topic, when, duration, invitees], ensure_ascii=False)
        number = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 9_000_000_000 + 1_000_000_000
        link = f"https://zoom.us/j/{number}"
        self.world.meetings.append(
            Meeting(topic=topic, start_time=when, duration=duration, invitees=invitees, link=link)
        )
        return link

    # Lookups shared by the tools

    def _contact(self, name: str) -> Contact:
        """The contact called ``name``: exact, then ignoring case and accents, then a unique first name.

        Raises:
            LookupError: with the text to answer ("No contacts found", or which contacts are meant).
        """
        contacts = self.world.contacts
        exact = [c for c in contacts if c.name == name]
        if exact:
            return exact[0]
        key = _key(name)
        same = [c for c in contacts if _key(c.name) == key]
        if len(same) == 1:
            return same[0]
        if key and " " not in key:
            firsts = [c for c in contacts if _key(c.name.split()[0]) == key]
            if len(firsts) == 1:
                return firsts[0]
            if firsts:
                options = ", ".join(c.name for c in firsts[:5])
                raise LookupError(
                    f"A contact for '{_short(name, 40)}' is ambiguous: {options}. Give the full name."
                )
        raise LookupError(NO_CONTACT)

    def _contact_or_error(self, name: str, argument: str) -> Contact:
        try:
            return self._contact(name)
        except LookupError as miss:
            if str(miss) == NO_CONTACT:
                raise ToolError(
                    f"{argument}: no contact named {_short(name, 60)!r}; give an address or a contact's name"
                ) from None
            raise ToolError(f"{argument}: {miss}") from None

    def _emails(self, items: list[str], argument: str) -> list[str]:
        """TinyAgent's ensure_email_formatting: an item with '@' is kept, a name becomes its email."""
        return [
            item.strip() if "@" in item else self._contact_or_error(item, argument).email for item in items
        ]

    def _paths(self, items: list[str]) -> list[str]:
        """Attachments as paths: a file's path is kept, a file name becomes that file's path."""
        paths = []
        for item in items:
            found = self._file(item)
            if isinstance(found, str):
                raise ToolError(f"attachments: {found}")
            paths.append(found.path)
        return paths

    def _file(self, query: str) -> File | str:
        """The file ``query`` names (path, name or stem, ignoring case and accents, or a unique part
        of a stem); when there is none, the text to answer instead."""
        files = self.world.files
        key = _key(query)
        for matches in (
            [f for f in files if query in (f.path, f.name)],
            [f for f in files if key == _key(f.name)],
            [f for f in files if key == _key(f.name.rsplit(".", 1)[0])],
            [f for f in files if len(key) >= 3 and key in _key(f.name)],
        ):
            if len(matches) == 1:
                return matches[0]
            if matches:
                options = ", ".join(f.name for f in matches[:5])
                return f"No single file is named '{_short(query, 60)}'; did you mean one of: {options}?"
        return f"No file found with the name '{_short(query, 80)}'."

    def _note(self, name: str, folder: str | None) -> Note | None:
        key = _key(name)
        matches = [n for n in self.world.notes if _key(n.name) == key]
        in_folder = [n for n in matches if n.folder == folder]
        return (in_folder or matches or [None])[0]

    def _selected_email(self, action: str) -> Email:
        if self.world.current_email is None:
            raise ToolError(f"no email is selected in Mail; an email has to be open in Mail to {action} it")
        return self.world.current_email


def describe(name: str) -> str:
    """TinyAgent-style prompt text for tool ``name``: ``name(arg: type, ...) -> str`` and its bullets."""
    if name not in TOOL_NAMES:
        raise ToolError(_unknown_tool(name))
    method = getattr(Desktop, name)
    hints = typing.get_type_hints(method)
    signature = ", ".join(f"{param}: {_type_text(hints[param])}" for param in _PARAMETERS[name])
    summary = inspect.getdoc(method).split("\nArgs:")[0].strip()
    bullets = "".join(
        f" {line.strip()}\n" if line.startswith("-") else f"   {line.strip()}\n"
        for line in summary.splitlines()
    )
    return f"{name}({signature}) -> str\n{bullets}"


def _parameters() -> dict[str, tuple[str, ...]]:
    return {name: tuple(inspect.signature(getattr(Desktop, name)).parameters)[1:] for name in TOOL_NAMES}


_PARAMETERS = _parameters()


@functools.cache
def _hf_schemas() -> tuple[dict, ...]:
    # transformers takes seconds to import: only schemas() needs it, argument checks do not.
    from transformers.utils import get_json_schema

    desktop = Desktop.__new__(Desktop)
    return tuple(get_json_schema(getattr(desktop, name)) for name in TOOL_NAMES)


@functools.cache
def _validators() -> dict[tuple[str, str], tuple[Draft202012Validator, str]]:
    """Per argument: a JSON Schema validator built from the annotation, and what it expects in words.

    These are the types get_json_schema writes (a test checks they agree), except that its
    OpenAPI-style ``"nullable": true`` becomes ``"type": [..., "null"]``, which jsonschema understands.
    """
    out = {}
    for name in TOOL_NAMES:
        hints = typing.get_type_hints(getattr(Desktop, name))
        for param in _PARAMETERS[name]:
            schema, words = _annotation_schema(hints[param])
            out[name, param] = (Draft202012Validator(schema), words)
    return out


def _annotation_schema(annotation: Any) -> tuple[dict, str]:
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        schema, words = _annotation_schema(inner)
        return {**schema, "type": [schema["type"], "null"]}, f"{words} or None"
    if typing.get_origin(annotation) is list:
        return {"type": "array", "items": {"type": "string"}, "maxItems": MAX_ITEMS}, "a list of strings"
    return {
        str: ({"type": "string"}, "a string"),
        int: ({"type": "integer"}, "an integer"),
        bool: ({"type": "boolean"}, "True or False"),
    }[annotation]


def _checked(name: str, index: int, param: str, value: Any) -> Any:
    """``value`` as the tool takes it, or a ToolError naming the tool, the argument and the expectation."""
    where = f"{name}: argument {index + 1} ({param})"
    _check_size(value, where)
    if isinstance(value, tuple):
        value = list(value)
    validator, words = _validators()[name, param]
    if not validator.is_valid(value):
        if isinstance(value, list) and len(value) > MAX_ITEMS:
            raise ToolError(f"{where} has {len(value)} items; the limit is {MAX_ITEMS}")
        raise ToolError(f"{where} must be {words}, not {_shown(value)}")
    if isinstance(value, float):  # jsonschema counts 60.0 as an integer
        value = int(value)
    return value


def _check_size(value: Any, where: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ToolError(f"{where} is nested too deeply")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise ToolError(f"{where} is {len(value)} characters long; the limit is {MAX_STRING}")
    if isinstance(value, list | tuple):
        if len(value) > MAX_ITEMS:
            raise ToolError(f"{where} has {len(value)} items; the limit is {MAX_ITEMS}")
        for item in value:
            _check_size(item, where, depth + 1)


def _shown(value: Any) -> str:
    """A short description of a wrong value: its type and a clipped repr."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not escape as anything but the ToolError around it
        text = "?"
    return f"{type(value).__name__} {_short(text, 60)}"


def _type_text(annotation: Any) -> str:
    """An annotation as TinyAgent's prompt writes it: optional arguments shown as their plain type."""
    if isinstance(annotation, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return "list[str]" if typing.get_origin(annotation) is list else annotation.__name__


def _unknown_tool(name: Any) -> str:
    close = difflib.get_close_matches(name, TOOL_NAMES, n=2) if isinstance(name, str) else []
    hint = f"did you mean {' or '.join(close)}?" if close else "the tools are " + ", ".join(TOOL_NAMES)
    shown = repr(_short(name, 60)) if isinstance(name, str) else _shown(name)
    return f"unknown tool {shown}; {hint}"


def _first(items: list[str], what: str) -> str:
    """The default (first) calendar, folder or list; a world edited to have none is refused."""
    if not items:
        raise ToolError(f"there is no {what} to use")
    return items[0]


def _require(text: str, argument: str) -> None:
    if not text or not text.strip():
        raise ToolError(f"{argument} must not be empty")


def _parse_date(text: str | None) -> datetime | None:
    """A date in one of the accepted formats, else None (TinyAgent's get_datetime treats it as missing)."""
    for pattern in _INPUT_DATE_FORMATS:
        try:
            return datetime.strptime((text or "").strip(), pattern)
        except ValueError:
            continue
    return None


def _prefixed(prefix: str, subject: str) -> str:
    return subject if subject.lower().startswith(prefix.lower()) else prefix + subject


def _key(text: str) -> str:
    """``text`` for loose comparison: accents folded, case folded, spaces collapsed."""
    return " ".join(_ascii_fold(text).casefold().split())


def _listed(items: list[str]) -> str:
    """Recipients for an observation, clipped so it stays short."""
    return _short(", ".join(items) or "no recipients", 150)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
