"""A simulated macOS desktop with TinyAgent's 16 tools (Contacts, Mail, Calendar, Notes, Maps ...).

:mod:`tools.desktop.world` holds the seeded state, :mod:`tools.desktop.apps` the tools acting on it
(:class:`Desktop`, called by name with positional arguments as LLMCompiler plans write them), and
:mod:`tools.desktop.names` the name pools with their held-out test parts.
"""

from tools.desktop.apps import TOOL_NAMES, Desktop, describe
from tools.desktop.world import Contact, Email, Event, File, Meeting, Note, Reminder, World

__all__ = [
    "TOOL_NAMES",
    "Contact",
    "Desktop",
    "Email",
    "Event",
    "File",
    "Meeting",
    "Note",
    "Reminder",
    "World",
    "describe",
]
