"""Tools an agent can call from inside an environment.

Each tool is a small class in its own module. Misuse (a malformed call, a rejected query, a
timeout) raises :class:`tools.base.ToolError`; environments turn it into an observation, so the
agent reads what went wrong instead of the episode crashing. Any other exception is a bug.
"""

from tools.base import ToolError

__all__ = ["ToolError"]
