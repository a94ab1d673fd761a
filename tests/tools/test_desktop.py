"""The simulated desktop: seeded worlds, TinyAgent's 16 tools changing them, and misuse refused."""

from __future__ import annotations

import inspect
import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tools.base import ToolError
from tools.desktop import TOOL_NAMES, Desktop, World, describe
from tools.desktop import names as pools
from tools.desktop.apps import MAX_STRING
from tools.desktop.world import DATE_FORMAT, USER_EMAIL, Contact, Email, File, Note, email_for

# TinyAgent's signatures (src/tiny_agent/tiny_agent_tools.py, review section B.1), in its tool order.
TINYAGENT_SIGNATURES = {
    "get_phone_number": ("name",),
    "get_email_address": ("name",),
    "create_calendar_event": ("title", "start_date", "end_date", "location", "invitees", "notes", "calendar"),
    "open_and_get_file_path": ("file_name",),
    "summarize_pdf": ("pdf_path",),
    "compose_new_email": ("recipients", "cc", "subject", "context", "attachments"),
    "reply_to_email": ("cc", "context", "attachments"),
    "forward_email": ("recipients", "cc", "context", "attachments"),
    "maps_open_location": ("location",),
    "maps_show_directions": ("start_location", "end_location", "transport"),
    "create_note": ("name", "content", "folder"),
    "open_note": ("name", "folder"),
    "append_note_content": ("name", "content", "folder"),
    "create_reminder": ("name", "due_date", "notes", "list_name", "priority", "all_day"),
    "send_sms": ("recipients", "message"),
    "get_zoom_meeting_link": ("topic", "start_time", "duration", "meeting_invitees"),
}


def small_world() -> World:
    """A hand-built world, so each test states exactly what it relies on."""
    contacts = [
        Contact("Eren Erdoğan", "+1 415 555 0101", "eren.erdogan@example.com"),
        Contact("Zoë Brontë", "+1 650 555 0102", "zoe.bronte@example.com"),
        Contact("Søren Müller", "+1 510 555 0103", "soren.muller@example.com"),
        Contact("José García", "+1 408 555 0104", "jose.garcia@example.com"),
        Contact("José Novák", "+1 212 555 0105", "jose.novak@example.com"),
    ]
    files = [
        File("Budget Q3.pdf", "/Users/me/Documents/Budget Q3.pdf", "One. Two! Three? Four."),
        File("Lease Agreement.docx", "/Users/me/Downloads/Lease Agreement.docx", "A lease."),
        File("Café Menu.pdf", "/Users/me/Desktop/Café Menu.pdf", "Soup of the day. Bread. Wine."),
    ]
    inbox = Email(
        sender="zoe.bronte@example.com",
        recipients=[USER_EMAIL],
        cc=[],
        subject="Dinner on Friday",
        body="Are you free?",
        attachments=["/Users/me/Desktop/Café Menu.pdf"],
        kind="inbox",
    )
    return World(
        now="2024-06-10 09:30:00",
        contacts=contacts,
        calendars=["Home", "Work"],
        events=[],
        current_email=inbox,
        outbox=[],
        folders=["Notes", "Work"],
        notes=[Note("Shopping List", "Notes", "milk")],
        reminder_lists=["Reminders", "Groceries"],
        reminders=[],
        files=files,
        opened=[],
        places=["Golden Gate Park", "Café de Flore"],
    )


@pytest.fixture
def desktop() -> Desktop:
    return Desktop(small_world())


# Worlds


def test_generate_is_deterministic_and_json_able():
    for split in pools.SPLITS:
        first, again = World.generate(7, split), World.generate(7, split)
        assert first.snapshot() == again.snapshot()
        assert World.from_snapshot(json.loads(json.dumps(first.snapshot()))) == first
    assert World.generate(7).snapshot() != World.generate(8).snapshot()
    assert World.generate(7, "train").snapshot() != World.generate(7, "test").snapshot()


def test_generated_worlds_meet_the_spec():
    for seed in range(40):
        world = World.generate(seed, "test" if seed % 2 else "train")
        names = [c.name for c in world.contacts]
        assert 8 <= len(names) <= 14 and len(set(names)) == len(names)
        assert len({c.email for c in world.contacts}) == len(names)
        assert len({c.phone for c in world.contacts}) == len(names)
        for contact in world.contacts:
            assert contact.email == email_for(contact.name) and contact.email.isascii()
            assert contact.phone.startswith("+1 ") and len(contact.phone) == len("+1 415 555 0123")
        assert 6 <= len(world.files) <= 12
        assert len({f.name.rsplit(".", 1)[0].lower() for f in world.files}) == len(world.files)
        pdfs = [f for f in world.files if f.name.endswith(".pdf")]
        assert len(pdfs) >= 3
        assert all(3 <= f.text.count(". ") + 1 <= 6 for f in pdfs)
        assert all(f.path == f"/Users/me/{f.path.split('/')[3]}/{f.name}" for f in world.files)
        assert world.current_email is not None and world.current_email.kind == "inbox"
        assert world.calendars and world.folders and world.reminder_lists and world.places
        assert world.copy() == world and world.copy() is not world
    assert any(
        not name.isascii() for seed in range(5) for name in (c.name for c in World.generate(seed).contacts)
    )


def test_copy_is_independent():
    world = World.generate(3)
    copy = world.copy()
    Desktop(copy).call("create_note", ["Ideas", "x", ""])
    assert copy.notes != world.notes


def test_pools_split_without_overlap_and_test_worlds_use_held_out_names():
    for kind in pools.POOLS:
        train, test = pools.pool(kind, "train"), pools.pool(kind, "test")
        assert train and test and not set(train) & set(test)
        assert train + test == pools.POOLS[kind]
    train_names, train_files, test_names, test_files = set(), set(), set(), set()
    for seed in range(30):
        train_names |= {c.name for c in World.generate(seed, "train").contacts}
        train_files |= {f.name for f in World.generate(seed, "train").files}
        test_world = World.generate(seed, "test")
        test_names |= {c.name for c in test_world.contacts}
        test_files |= {f.name for f in test_world.files}
        assert {c.name.split()[0] for c in test_world.contacts} <= set(pools.pool("first_names", "test"))
        assert {f.name.rsplit(".", 1)[0] for f in test_world.files} <= set(pools.pool("file_stems", "test"))
    assert not train_names & test_names and not train_files & test_files
    with pytest.raises(ValueError, match="split"):
        World.generate(1, "dev")
    with pytest.raises(TypeError):
        World.generate("1")


# Contacts


@pytest.mark.parametrize(
    ("query", "email"),
    [
        ("Eren Erdoğan", "eren.erdogan@example.com"),
        ("eren erdogan", "eren.erdogan@example.com"),  # case and accents ignored
        ("  ZOE   BRONTE ", "zoe.bronte@example.com"),
        ("Søren", "soren.muller@example.com"),  # a unique first name alone
        ("soren", "soren.muller@example.com"),
    ],
)
def test_contacts_resolve_unicode_names(desktop, query, email):
    assert desktop.call("get_email_address", [query]) == email
    phone = next(c.phone for c in desktop.world.contacts if c.email == email)
    assert desktop.call("get_phone_number", [query]) == phone


def test_unknown_and_ambiguous_contacts_are_answers_not_errors(desktop):
    assert desktop.call("get_phone_number", ["Nobody"]) == "No contacts found"
    assert desktop.call("get_email_address", ["Eren Smith"]) == "No contacts found"
    ambiguous = desktop.call("get_email_address", ["José"])
    assert ambiguous.startswith("A contact for") and "José García" in ambiguous and "José Novák" in ambiguous


# Calendar


def test_calendar_event_defaults_and_invitees(desktop):
    world = desktop.world
    answer = desktop.call(
        "create_calendar_event",
        ["Apple Meeting", "2022-10-14 15:00:00", "", "$2", ["Eren Erdoğan", "zoe@elsewhere.org"], "", None],
    )
    assert answer.startswith('Event "Apple Meeting" created in the "Home" calendar')
    event = world.events[-1]
    assert (event.start_date, event.end_date) == ("2022-10-14 15:00:00", "2022-10-14 16:00:00")
    assert event.invitees == ["eren.erdogan@example.com", "zoe@elsewhere.org"]
    assert event.location == "$2" and event.calendar == "Home"
    desktop.call("create_calendar_event", ["Standup", "", "2024-06-11 10:00:00", "", [], "", "Work"])
    assert (world.events[-1].start_date, world.events[-1].calendar) == ("2024-06-11 09:00:00", "Work")
    desktop.call("create_calendar_event", ["Now", None, "not a date", None, [], None, "Nonexistent"])
    assert world.events[-1].start_date == world.now and world.events[-1].end_date == "2024-06-10 10:30:00"
    assert world.events[-1].calendar == "Home"  # an unknown calendar falls back to the first one
    with pytest.raises(ToolError, match="invitees: no contact named 'Nobody'"):
        desktop.call("create_calendar_event", ["X", "", "", "", ["Nobody"], "", ""])
    with pytest.raises(ToolError, match="before start_date"):
        desktop.call(
            "create_calendar_event", ["X", "2024-06-11 10:00:00", "2024-06-11 09:00:00", "", [], "", ""]
        )
    assert len(world.events) == 3


# Files and PDFs


def test_open_file_by_name_or_stem_then_summarize(desktop):
    world = desktop.world
    with pytest.raises(ToolError, match="call open_and_get_file_path first"):
        desktop.call("summarize_pdf", ["/Users/me/Documents/Budget Q3.pdf"])
    with pytest.raises(ToolError, match="call open_and_get_file_path first"):
        desktop.call("summarize_pdf", ["Budget Q3.pdf"])
    assert desktop.call("open_and_get_file_path", ["budget q3"]) == "/Users/me/Documents/Budget Q3.pdf"
    assert desktop.call("open_and_get_file_path", ["Cafe Menu.PDF"]) == "/Users/me/Desktop/Café Menu.pdf"
    assert desktop.call("open_and_get_file_path", ["Lease"]) == "/Users/me/Downloads/Lease Agreement.docx"
    assert world.opened == [
        "/Users/me/Documents/Budget Q3.pdf",
        "/Users/me/Desktop/Café Menu.pdf",
        "/Users/me/Downloads/Lease Agreement.docx",
    ]
    assert desktop.call("summarize_pdf", ["/Users/me/Documents/Budget Q3.pdf"]) == "One. Two!"
    with pytest.raises(ToolError, match="not a PDF"):
        desktop.call("summarize_pdf", ["/Users/me/Downloads/Lease Agreement.docx"])
    assert desktop.call("open_and_get_file_path", ["Tax Return"]).startswith("No file found")
    assert desktop.call("open_and_get_file_path", [".pdf"]).startswith("No single file")
    assert len(world.opened) == 3


# Mail


def test_compose_reply_forward(desktop):
    world = desktop.world
    answer = desktop.call(
        "compose_new_email", [["Eren Erdoğan"], ["soren"], "Budget", "Here it is.", ["Budget Q3.pdf"]]
    )
    assert answer == "New email to eren.erdogan@example.com composed successfully."
    new = world.outbox[-1]
    assert (new.kind, new.sender, new.recipients, new.cc) == (
        "new",
        USER_EMAIL,
        ["eren.erdogan@example.com"],
        ["soren.muller@example.com"],
    )
    assert (new.subject, new.body, new.attachments) == (
        "Budget",
        "Here it is.",
        ["/Users/me/Documents/Budget Q3.pdf"],
    )
    desktop.call("reply_to_email", [[], "Yes, I am.", []])
    reply = world.outbox[-1]
    assert (reply.kind, reply.recipients, reply.subject, reply.body) == (
        "reply",
        ["zoe.bronte@example.com"],
        "Re: Dinner on Friday",
        "Yes, I am.",
    )
    desktop.call("forward_email", [["José García"], [], "FYI", ["/Users/me/Documents/Budget Q3.pdf"]])
    forward = world.outbox[-1]
    assert (forward.kind, forward.recipients, forward.subject) == (
        "forward",
        ["jose.garcia@example.com"],
        "Fwd: Dinner on Friday",
    )
    assert forward.attachments == ["/Users/me/Desktop/Café Menu.pdf", "/Users/me/Documents/Budget Q3.pdf"]
    with pytest.raises(ToolError, match="attachments: No file found"):
        desktop.call("compose_new_email", [["eren"], [], "s", "", ["Missing.pdf"]])
    with pytest.raises(ToolError, match="recipients: no contact named"):
        desktop.call("compose_new_email", [["No contacts found"], [], "s", "", []])
    world.current_email = None
    for tool, args in (("reply_to_email", [[], "", []]), ("forward_email", [["eren"], [], "", []])):
        with pytest.raises(ToolError, match=f"^{tool}: no email is selected"):
            desktop.call(tool, args)
    assert len(world.outbox) == 3


# Maps


def test_maps_urls_and_views(desktop):
    world = desktop.world
    assert desktop.call("maps_open_location", ["Café de Flore"]) == (
        "Café de Flore in Apple Maps: https://maps.apple.com/?q=Caf%C3%A9+de+Flore"
    )
    answer = desktop.call("maps_show_directions", ["Union Square", "Golden Gate Park", "r"])
    assert answer.endswith("?saddr=Union+Square&daddr=Golden+Gate+Park&dirflg=r")
    desktop.call("maps_show_directions", ["", "Ferry Building", ""])
    assert world.map_views[-1]["url"] == "https://maps.apple.com/?daddr=Ferry+Building&dirflg=d"
    assert [v["kind"] for v in world.map_views] == ["location", "directions", "directions"]
    with pytest.raises(ToolError, match="transport must be 'd'"):
        desktop.call("maps_show_directions", ["", "Ferry Building", "car"])
    with pytest.raises(ToolError, match="end_location must not be empty"):
        desktop.call("maps_show_directions", ["Home", " ", "d"])


# Notes


def test_notes_create_open_append(desktop):
    world = desktop.world
    assert desktop.call("create_note", ["Crème Brûlée", "sugar", "Recipes"]) == (
        "Note 'Crème Brûlée' created in the 'Recipes' folder successfully."
    )
    assert "Recipes" in world.folders  # a missing folder is created
    desktop.call("create_note", ["Plain", "text", ""])
    assert world.notes[-1].folder == "Notes"
    assert desktop.call("open_note", ["creme brulee", ""]) == "sugar"
    assert desktop.call("append_note_content", ["Crème Brûlée", "eggs", "Recipes"]).startswith(
        "Content appended"
    )
    assert desktop.call("open_note", ["Crème Brûlée", "Recipes"]) == "sugar\neggs"
    assert desktop.call("open_note", ["Missing", ""]) == "No note named 'Missing' found."
    assert desktop.call("append_note_content", ["Missing", "x", ""]) == "No note named 'Missing' found."
    assert len(world.notes) == 3


# Reminders, SMS, Zoom


def test_reminders(desktop):
    world = desktop.world
    answer = desktop.call("create_reminder", ["Buy milk", "2024-06-12 18:00:00", "", "Groceries", 1, False])
    assert answer == "Reminder 'Buy milk' created in the 'Groceries' list successfully."
    desktop.call("create_reminder", ["Pay rent", "2024-07-01", None, None, 0, True])
    assert (world.reminders[-1].due_date, world.reminders[-1].list_name) == (
        "2024-07-01 00:00:00",
        "Reminders",
    )
    desktop.call("create_reminder", ["Call mum", "", "", "", 0, False])
    assert world.reminders[-1].due_date == world.now
    with pytest.raises(ToolError, match="priority must be an integer from 0 to 9"):
        desktop.call("create_reminder", ["x", "", "", "", 11, False])
    assert len(world.reminders) == 3


def test_sms_resolves_names_to_phones(desktop):
    answer = desktop.call("send_sms", [["Zoë Brontë", "+1 999 555 0000"], "On my way"])
    assert answer == "SMS draft to +1 650 555 0102, +1 999 555 0000 composed."
    assert desktop.world.sms == [
        {"recipients": ["+1 650 555 0102", "+1 999 555 0000"], "message": "On my way"}
    ]
    with pytest.raises(ToolError, match="recipients: A contact for 'José' is ambiguous"):
        desktop.call("send_sms", [["José"], "hi"])


def test_zoom_links_are_deterministic(desktop):
    args = ["Apple Meeting", "2022-10-14 15:00:00", 60, ["eren.erdogan@example.com"]]
    link = desktop.call("get_zoom_meeting_link", args)
    assert link.startswith("https://zoom.us/j/") and len(link.rsplit("/", 1)[1]) == 10
    assert Desktop(small_world()).call("get_zoom_meeting_link", args) == link
    assert desktop.call("get_zoom_meeting_link", [*args[:2], 30, args[3]]) != link
    assert (
        desktop.call("get_zoom_meeting_link", ["Apple Meeting", "2022-10-14 15:00:00", 60.0, ["eren"]])
        == link
    )
    meeting = desktop.world.meetings[0]
    assert (meeting.topic, meeting.duration, meeting.invitees, meeting.link) == (
        "Apple Meeting",
        60,
        ["eren.erdogan@example.com"],
        link,
    )
    with pytest.raises(ToolError, match="start_time must be written"):
        desktop.call("get_zoom_meeting_link", ["T", "tomorrow", 60, []])
    with pytest.raises(ToolError, match="duration must be 1 to 1440"):
        desktop.call("get_zoom_meeting_link", ["T", "2024-06-12 10:00:00", 0, []])


def test_tinyagent_in_context_example_runs(desktop):
    # prompts.py's example plan, with $1 and $2 substituted as LLMCompiler would.
    email = desktop.call("get_email_address", ["Eren Erdoğan"])
    link = desktop.call("get_zoom_meeting_link", ["Apple Meeting", "2022-10-14 15:00:00", 60, [email]])
    desktop.call(
        "create_calendar_event",
        ["Apple Meeting", "2022-10-14 15:00:00", "2022-10-14 16:00:00", link, [], "", None],
    )
    assert desktop.world.events[-1].location == link


# Misuse


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("send_email", [], "unknown tool 'send_email'"),
        (None, [], "unknown tool NoneType None"),
        ("create_note", ["a"], r"create_note takes 3 arguments \(name, content, folder\), got 1"),
        ("get_phone_number", "Eren", "get_phone_number: arguments must be a list"),
        ("create_note", ["a", 5, ""], r"create_note: argument 2 \(content\) must be a string, not int 5"),
        ("send_sms", ["Eren", "hi"], r"argument 1 \(recipients\) must be a list of strings, not str"),
        ("send_sms", [[1], "hi"], "must be a list of strings"),
        ("create_reminder", ["a", "", "", "", True, False], r"argument 5 \(priority\) must be an integer"),
        ("create_reminder", ["a", "", "", "", 1, "yes"], r"argument 6 \(all_day\) must be True or False"),
        ("get_phone_number", ["x" * (MAX_STRING + 1)], "characters long; the limit is 10000"),
        ("send_sms", [["1"] * 1000, "hi"], "has 1000 items"),
        ("send_sms", [[[[[[["1"]]]]]], "hi"], "nested too deeply"),
        ("get_phone_number", [{"name": "Eren"}], "must be a string, not dict"),
        ("get_zoom_meeting_link", ["T", "2024-06-12 10:00:00", 1e300, []], r"not 1000000000\d+\.\.\.$"),
        ("create_note", ["", "x", ""], "create_note: name must not be empty"),
    ],
)
def test_misuse_is_a_tool_error_naming_tool_and_argument(desktop, name, args, message):
    before = desktop.world.snapshot()
    with pytest.raises(ToolError, match=message):
        desktop.call(name, args)
    assert desktop.world.snapshot() == before


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(TOOL_NAMES), args=st.lists(_VALUES, max_size=8))
def test_random_calls_answer_or_raise_tool_error(name, args):
    desktop = Desktop(small_world())
    try:
        answer = desktop.call(name, args)
    except ToolError as error:
        assert str(error)
    else:
        assert isinstance(answer, str) and len(answer) < 1000
        json.dumps(desktop.world.snapshot())


def test_observations_are_short(desktop):
    long = "y" * 5000
    for name, args in [
        ("create_calendar_event", [long, "", "", long, [], long, long]),
        ("open_and_get_file_path", [long]),
        ("compose_new_email", [["a@b.c"] * 40, [], long, long, []]),
        ("maps_open_location", [long]),
        ("maps_show_directions", [long, long, "w"]),
        ("create_note", [long, long, long]),
        ("create_reminder", [long, "", long, long, 0, False]),
        ("send_sms", [["+1 415 555 0000"] * 40, long]),
        ("get_zoom_meeting_link", [long, "2024-06-12 10:00:00", 30, []]),
    ]:
        assert len(desktop.call(name, args)) < 300, name
    assert len(desktop.call("open_note", [long, long])) < 1000


# Schemas and prompt text


def test_schemas_are_valid_and_in_tinyagent_order():
    schemas = Desktop(small_world()).schemas()
    assert [s["function"]["name"] for s in schemas] == list(TOOL_NAMES) == list(TINYAGENT_SIGNATURES)
    for schema in schemas:
        function = schema["function"]
        parameters = function["parameters"]
        Draft202012Validator.check_schema(parameters)
        assert tuple(parameters["properties"]) == TINYAGENT_SIGNATURES[function["name"]]
        assert parameters["required"] == list(TINYAGENT_SIGNATURES[function["name"]])
        assert all(p.get("description") for p in parameters["properties"].values())
        assert tuple(inspect.signature(getattr(Desktop, function["name"])).parameters)[1:] == tuple(
            parameters["properties"]
        )
    types = {s["function"]["name"]: s["function"]["parameters"]["properties"] for s in schemas}
    assert types["create_reminder"]["priority"]["type"] == "integer"
    assert types["create_reminder"]["all_day"]["type"] == "boolean"
    assert types["compose_new_email"]["recipients"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Email addresses of the recipients.",
    }
    schemas[0]["function"]["name"] = "edited"
    assert Desktop.schemas()[0]["function"]["name"] == "get_phone_number"  # a fresh copy each time


def test_validation_agrees_with_the_published_schemas(desktop):
    # call() checks arguments with schemas built from the annotations (no transformers import);
    # every value the published schema accepts must pass it, and the reverse.
    samples = ["text", "", None, 3, 2.0, True, ["a@b.c"], [], [1]]
    for schema in desktop.schemas():
        function = schema["function"]
        for index, (param, spec) in enumerate(function["parameters"]["properties"].items()):
            published = {**spec, "type": [spec["type"], "null"]} if spec.get("nullable") else spec
            validator = Draft202012Validator(published)
            for value in samples:
                args = [_valid_filler(p) for p in function["parameters"]["properties"].values()]
                args[index] = value
                try:
                    desktop.call(function["name"], args)
                    accepted = True
                except ToolError as error:
                    accepted = f"argument {index + 1} ({param})" not in str(error)
                assert accepted == validator.is_valid(value), (function["name"], param, value)


def _valid_filler(spec: dict):
    return {"string": "x", "integer": 1, "boolean": False, "array": []}[spec["type"]]


def test_describe_is_tinyagent_style():
    text = describe("create_calendar_event")
    assert text.startswith(
        "create_calendar_event(title: str, start_date: str, end_date: str, location: str, "
        "invitees: list[str], notes: str, calendar: str) -> str\n - "
    )
    assert describe("get_zoom_meeting_link").startswith(
        "get_zoom_meeting_link(topic: str, start_time: str, duration: int, meeting_invitees: list[str])"
    )
    assert describe("summarize_pdf").count("\n - ") == 2 and "AFTER open_and_get_file_path" in describe(
        "summarize_pdf"
    )
    for name in TOOL_NAMES:
        assert describe(name).startswith(name + "(") and describe(name).endswith("\n")
        assert describe(name).count("\n - ") >= 2
    with pytest.raises(ToolError, match="did you mean send_sms"):
        describe("send_smss")


def test_dates_in_the_world_use_one_format():
    world = World.generate(11)
    desktop = Desktop(world)
    desktop.call("create_calendar_event", ["X", "2024-06-12 10:00", "", "", [], "", ""])
    desktop.call("create_reminder", ["Y", "2024-06-12", "", "", 0, True])
    for text in [world.now, *(e.start_date for e in world.events), *(r.due_date for r in world.reminders)]:
        datetime.strptime(text, DATE_FORMAT)
