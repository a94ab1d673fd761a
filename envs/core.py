"""The text-environment core every toolgym study builds on.

A :class:`TextEnv` is a ``gymnasium.Env`` whose observations and actions are strings. One action is
the text of one assistant turn. If the turn holds a tool call in the env's syntax, the env runs the
tool and the observation is the tool's answer (reward 0, episode goes on); otherwise the turn is the
final answer, which the env scores, and the episode terminates. Truncation after too many turns
belongs to Gymnasium's ``TimeLimit`` wrapper, set through ``max_episode_steps`` at registration.

Malformed input never raises: a non-string or oversized action, an unparsable or unknown tool
call, and a tool error all come back as an observation saying what was wrong.
"""

from __future__ import annotations

import numbers
import re
import string
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from tools.base import ToolError

# Printable ASCII plus newline and tab. Observations are forced into this set (see
# ``to_observation``) so they always belong to the observation space, whatever the agent sent.
CHARSET = frozenset(string.ascii_letters + string.digits + string.punctuation + " \n\t")
_OUTSIDE_CHARSET = re.compile(r"[^\x20-\x7e\n\t]")
MAX_OBSERVATION_CHARS = 4096
MAX_ACTION_CHARS = 4096


@dataclass(frozen=True)
class ToolCall:
    """A parsed tool call: which tool, and the text to give it."""

    tool: str
    arguments: str


class ToolCallError(ValueError):
    """A turn tried to call a tool but the call is malformed; the message is shown to the agent."""


def to_observation(text: str, limit: int = MAX_OBSERVATION_CHARS) -> str:
    """Make ``text`` a member of the observation space: escape characters outside it, cut to ``limit``."""
    if _OUTSIDE_CHARSET.search(text):
        text = text.encode("ascii", "backslashreplace").decode("ascii")
        text = "".join(c if c in CHARSET else repr(c)[1:-1] for c in text)
    if len(text) > limit:
        note = " ... (cut)"
        text = text[: limit - len(note)] + note
    return text


class TextEnv(gym.Env[str, str]):
    """Base class of toolgym's text environments.

    Subclasses implement :meth:`_new_task`, :meth:`parse_tool_call`, :meth:`score` and
    :meth:`demonstration`, and pass their tools to ``__init__``.

    Attributes:
        messages: the conversation so far as chat messages (``{"role", "content"}``, plus
            ``"name"`` for tool answers and env feedback).
        tools: the callable tools by name; each takes the call's argument text and returns text.
        task_id: the identifier of the current task.
        num_tasks: how many tasks there are (ids ``0..num_tasks - 1``), set by subclasses.
        turn_ends: text that ends an assistant turn and belongs to it (TRL's ``<call>`` and
            ``<submit>``); a language-model agent stops generating there. Empty when the
            tokenizer's role tokens end the turns.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}
    turn_ends: tuple[str, ...] = ()

    def __init__(self, tools: dict[str, Any], render_mode: str | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r} is not supported; use one of {self.metadata['render_modes']}"
            )
        self.render_mode = render_mode
        self.tools = tools
        self.observation_space = spaces.Text(max_length=MAX_OBSERVATION_CHARS, min_length=0, charset=CHARSET)
        self.action_space = spaces.Text(max_length=MAX_ACTION_CHARS, min_length=0, charset=CHARSET)
        self.messages: list[dict[str, str]] = []
        self.task_id: int | None = None

    # ----------------------------------------------------------------- subclass API
    def _new_task(self, options: dict[str, Any]) -> tuple[int, str]:
        """Pick the task (from ``self.np_random`` or ``options``); return its id and first message."""
        raise NotImplementedError

    def parse_tool_call(self, text: str) -> ToolCall | None:
        """Return the tool call in ``text``, ``None`` if the turn is a final answer.

        Raises:
            ToolCallError: the turn tries to call a tool but the call is malformed.
        """
        raise NotImplementedError

    def score(self, answer: str) -> float:
        """Reward of a final answer."""
        raise NotImplementedError

    def demonstration(self) -> list[str]:
        """The assistant turns that solve the current task (privileged: for oracle agents only)."""
        raise NotImplementedError

    def choose_task_id(self, options: dict[str, Any]) -> int:
        """``options["task_id"]`` checked against ``self.num_tasks``, or one drawn from ``np_random``."""
        task_id = options.get("task_id")
        if task_id is None:
            return int(self.np_random.integers(self.num_tasks))
        if not isinstance(task_id, numbers.Integral) or not 0 <= task_id < self.num_tasks:
            raise ValueError(f"options['task_id']={task_id!r} is not valid; use 0..{self.num_tasks - 1}")
        return int(task_id)

    def gold(self) -> str | None:
        """The expected answer of the current task, for records written after the episode."""
        return None

    def random_answer(self) -> str:
        """A well-formed final answer drawn at random (the chance floor); seeded by the task."""
        raise NotImplementedError

    # ----------------------------------------------------------------- gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        self.task_id, prompt = self._new_task(options or {})
        prompt = to_observation(prompt)
        self.messages = [{"role": "user", "content": prompt}]
        return prompt, {"role": "user", "task_id": self.task_id}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if not self.messages:
            raise gym.error.ResetNeeded("call reset() before step()")
        text, problem = _as_text(action)
        # Kept as written (the agent's exact text is training data), only cut when oversized.
        self.messages.append({"role": "assistant", "content": text[:MAX_ACTION_CHARS]})
        if problem is not None:
            return self._reply("env", problem)
        try:
            call = self.parse_tool_call(text)
        except ToolCallError as error:
            return self._reply("env", f"Malformed tool call: {error}")
        if call is None:
            reward = float(self.score(text))
            return (
                "",
                reward,
                True,
                False,
                {"role": "user", "task_id": self.task_id, "is_success": reward > 0},
            )
        tool = self.tools.get(call.tool)
        if tool is None:
            available = ", ".join(sorted(self.tools)) or "none in this mode"
            return self._reply("env", f"Unknown tool {call.tool!r}; available tools: {available}.")
        try:
            answer = tool(call.arguments)
        except ToolError as error:
            answer = f"Error: {error}"
        return self._reply(call.tool, answer, role="tool")

    def _reply(self, name: str, content: str, role: str = "user") -> tuple[str, float, bool, bool, dict]:
        """An observation that continues the episode: a tool's answer or the env's feedback."""
        content = to_observation(content)
        self.messages.append({"role": role, "name": name, "content": content})
        return content, 0.0, False, False, {"role": role, "name": name, "task_id": self.task_id}

    def render(self) -> str | None:
        text = "\n".join(
            f"[{m['role']}{'/' + m['name'] if 'name' in m else ''}] {m['content']}" for m in self.messages
        )
        if self.render_mode == "human":
            print(text)
            return None
        return text


def _as_text(action: Any) -> tuple[str, str | None]:
    """The action as text, and what is wrong with it (``None`` when it is usable)."""
    if isinstance(action, bytes | bytearray):
        return bytes(action).decode("utf-8", "replace"), "An action must be text (str), not bytes."
    if not isinstance(action, str):
        return repr(action)[:200], f"An action must be text (str), not {type(action).__name__}."
    if len(action) > MAX_ACTION_CHARS:
        return action, f"Your turn was {len(action)} characters long; the limit is {MAX_ACTION_CHARS}."
    return action, None
