"""The text-environment core every toolgym study builds on.

A :class:`TextEnv` is a ``gymnasium.Env`` whose observations and actions are strings. One action is
the text of one assistant turn. If the turn holds tool calls in the env's syntax
(:meth:`TextEnv.parse_tool_calls`), the env runs them in order and the observation is their
answers, one per line (reward 0, episode goes on); otherwise the turn is the final answer, which
the env scores (a reward and named scores), and the episode terminates. Truncation after too many turns
belongs to Gymnasium's ``TimeLimit`` wrapper, set through ``max_episode_steps`` at registration.

Malformed input never raises: a non-string or oversized action, an unparsable or unknown tool
call, and a tool error all come back as an observation saying what was wrong.
"""

from __future__ import annotations

import numbers
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from gymnasium import spaces
from gymnasium.error import CustomSpaceError
from gymnasium.vector.utils import create_shared_memory

from tools.base import ToolError

# What ``Text.sample`` draws from (a small set: members may hold any printable Unicode).
SAMPLE_CHARSET = string.ascii_letters + string.digits + string.punctuation + " \n\t"
# Control characters other than \n and \t, and lone surrogates: never part of an observation.
_NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_OBSERVATION_CHARS = 4096
MAX_ACTION_CHARS = 4096


class UnicodeText(spaces.Text):
    """A ``Text`` space whose members are any printable Unicode string (plus ``\\n`` and ``\\t``).

    Gymnasium's ``Text`` checks membership against an explicit charset; listing every printable
    code point would cost a 100K-character set per env (hundreds of envs in a vector env), so
    ``contains`` tests for the few characters that are *not* allowed instead. ``sample`` draws
    from the small :data:`SAMPLE_CHARSET`.
    """

    def __init__(self, max_length: int, min_length: int = 0, seed: int | None = None):
        super().__init__(max_length, min_length=min_length, charset=SAMPLE_CHARSET, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length and not _NOT_TEXT.search(x)

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"


@create_shared_memory.register(UnicodeText)
def _no_shared_memory(space: UnicodeText, n: int = 1, ctx: Any = None):
    # Gymnasium's shared memory would encode each observation into a fixed charset once, at
    # construction, and hand back all-tab strings afterwards: refuse it, naming the fix.
    raise CustomSpaceError(
        "toolgym text observations cannot travel through shared memory; "
        "build the vector env with AsyncVectorEnv(..., shared_memory=False)"
    )


@dataclass(frozen=True)
class ToolCall:
    """A parsed tool call: which tool, and its arguments as a mapping (the tool's keyword arguments)."""

    tool: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


class ToolCallError(ValueError):
    """A turn tried to call a tool but the call is malformed; the message is shown to the agent."""


def to_observation(text: str, limit: int = MAX_OBSERVATION_CHARS) -> str:
    """Make ``text`` a member of the observation space: escape control characters and lone
    surrogates (``\\x00``, ``\\ud800``), cut to ``limit``."""
    if _NOT_TEXT.search(text):
        text = _NOT_TEXT.sub(lambda m: repr(m.group())[1:-1], text)
    if len(text) > limit:
        note = " ... (cut)"
        text = text[: limit - len(note)] + note
    return text


class TextEnv(gym.Env[str, str]):
    """Base class of toolgym's text environments.

    Subclasses implement :meth:`_new_task`, :meth:`parse_tool_calls`, :meth:`score`,
    :meth:`scores` and :meth:`demonstration`, and pass their tools to ``__init__``.

    Attributes:
        messages: the conversation so far as chat messages (``{"role", "content"}``). An assistant
            turn that called tools also has ``tool_calls`` (``[{"id", "type": "function",
            "function": {"name", "arguments": {...}}}]``); each answer is a ``tool`` message with
            ``tool_call_id`` and ``name``; env feedback is a ``user`` message named ``env``.
        tools: the callable tools by name; each takes a call's arguments as keyword arguments and
            returns text (or raises :class:`~tools.base.ToolError`).
        tool_schemas: the tools offered, as JSON Schemas in the form of Hugging Face's ``tools=``
            (``{"type": "function", "function": {"name", "description", "parameters"}}``); given
            in ``info["tools"]`` at reset.
        score_names: the keys of :meth:`scores`; a truncated episode scores 0 on each.
        max_observation_chars, max_action_chars: the length limits of the two spaces.
        task_id: the identifier of the current task.
        num_tasks: how many tasks there are (ids ``0..num_tasks - 1``), set by subclasses.
        turn_ends: text that ends an assistant turn and belongs to it (TRL's ``<call>`` and
            ``<submit>``); a language-model agent stops generating there. Empty when the
            tokenizer's role tokens end the turns.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}
    turn_ends: tuple[str, ...] = ()
    score_names: tuple[str, ...] = ()
    max_observation_chars = MAX_OBSERVATION_CHARS
    max_action_chars = MAX_ACTION_CHARS

    def __init__(
        self,
        tools: dict[str, Any],
        render_mode: str | None = None,
        tool_schemas: list[dict[str, Any]] | None = None,
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r} is not supported; use one of {self.metadata['render_modes']}"
            )
        self.render_mode = render_mode
        self.tools = tools
        self.tool_schemas = list(tool_schemas or [])
        self.observation_space = UnicodeText(self.max_observation_chars)
        self.action_space = UnicodeText(self.max_action_chars)
        self.messages: list[dict[str, Any]] = []
        self.task_id: int | None = None
        self.episode_scores: dict[str, float] = {}

    # ----------------------------------------------------------------- subclass API
    def _new_task(self, options: dict[str, Any]) -> tuple[int, str]:
        """Pick the task (from ``self.np_random`` or ``options``); return its id and first message."""
        raise NotImplementedError

    def parse_tool_calls(self, text: str) -> list[ToolCall]:
        """The tool calls in ``text``, in order; an empty list when the turn is a final answer.

        Raises:
            ToolCallError: the turn tries to call a tool but the call is malformed.
        """
        raise NotImplementedError

    def score(self, answer: str) -> float:
        """Reward of a final answer."""
        raise NotImplementedError

    def scores(self, answer: str) -> dict[str, float]:
        """Named scores of a final answer (keys: :attr:`score_names`)."""
        raise NotImplementedError

    def demonstration(self) -> list[str]:
        """The assistant turns that solve the current task (privileged: for oracle agents only)."""
        raise NotImplementedError

    def format_answer(self, content: str) -> str:
        """How a tool's answer or the env's feedback is shown (a study's closing marker, a cut)."""
        return content

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

    def doomed(self, messages: Sequence[dict[str, Any]], partial: str) -> bool:
        """Whether the assistant turn begun as ``partial`` after ``messages`` will be refused whatever
        follows (a plan line that already breaks the grammar), so that an agent may stop writing it.

        The env must answer the cut turn exactly as it would the whole one. Agents call this on a
        spare env, so it reads only its arguments. Here: never; a study that can tell overrides it.
        """
        return False

    # ----------------------------------------------------------------- gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        self.task_id, prompt = self._new_task(options or {})
        prompt = to_observation(prompt, self.max_observation_chars)
        self.messages = [{"role": "user", "content": prompt}]
        self.episode_scores = dict.fromkeys(self.score_names, 0.0)
        info: dict[str, Any] = {"role": "user", "task_id": self.task_id}
        if self.tool_schemas:
            info["tools"] = self.tool_schemas
        return prompt, info

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if not self.messages:
            raise gym.error.ResetNeeded("call reset() before step()")
        text, problem = self._as_text(action)
        # Kept as written (the agent's exact text is training data), only cut when oversized.
        turn: dict[str, Any] = {"role": "assistant", "content": text[: self.max_action_chars]}
        self.messages.append(turn)
        if problem is not None:
            return self._feedback(problem)
        try:
            calls = self.parse_tool_calls(text)
        except ToolCallError as error:
            return self._feedback(f"Malformed tool call: {error}")
        if not calls:
            reward = float(self.score(text))
            self.episode_scores = {k: float(v) for k, v in self.scores(text).items()}
            info = {"role": "user", "task_id": self.task_id, "is_success": reward > 0}
            return "", reward, True, False, {**info, "scores": dict(self.episode_scores)}
        unknown = [c.tool for c in calls if c.tool not in self.tools]
        if unknown:
            available = ", ".join(sorted(self.tools)) or "none in this mode"
            return self._feedback(f"Unknown tool {unknown[0]!r}; available tools: {available}.")
        turn["tool_calls"], answers = [], []
        for call in calls:
            call_id = f"call_{sum(len(m.get('tool_calls', ())) for m in self.messages)}"
            turn["tool_calls"].append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.tool, "arguments": dict(call.arguments)},
                }
            )
            try:
                answer = self.tools[call.tool](**call.arguments)
            except ToolError as error:
                answer = f"Error: {error}"
            answer = to_observation(self.format_answer(answer), self.max_observation_chars)
            self.messages.append(
                {"role": "tool", "tool_call_id": call_id, "name": call.tool, "content": answer}
            )
            answers.append(answer)
        # Each answer is already an observation; only several joined may need cutting again.
        observation = (
            answers[0]
            if len(answers) == 1
            else to_observation("\n".join(answers), self.max_observation_chars)
        )
        return (
            observation,
            0.0,
            False,
            False,
            {"role": "tool", "name": calls[0].tool, "task_id": self.task_id},
        )

    def _feedback(self, content: str) -> tuple[str, float, bool, bool, dict]:
        """The env's answer to a turn it could not run; the episode goes on."""
        content = to_observation(self.format_answer(content), self.max_observation_chars)
        self.messages.append({"role": "user", "name": "env", "content": content})
        return content, 0.0, False, False, {"role": "user", "name": "env", "task_id": self.task_id}

    def _as_text(self, action: Any) -> tuple[str, str | None]:
        """The action as text, and what is wrong with it (``None`` when it is usable)."""
        if isinstance(action, bytes | bytearray):
            return bytes(action).decode("utf-8", "replace"), "An action must be text (str), not bytes."
        if not isinstance(action, str):
            return repr(action)[:200], f"An action must be text (str), not {type(action).__name__}."
        if len(action) > self.max_action_chars:
            return (
                action,
                f"Your turn was {len(action)} characters long; the limit is {self.max_action_chars}.",
            )
        return action, None

    def render(self) -> str | None:
        text = "\n".join(
            f"[{m['role']}{'/' + m['name'] if 'name' in m else ''}] {m['content']}" for m in self.messages
        )
        if self.render_mode == "human":
            print(text)
            return None
        return text
