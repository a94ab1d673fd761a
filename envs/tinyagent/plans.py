"""LLMCompiler's plan grammar as TinyAgent uses it: parse, format, execute, and the plan's graph.

A plan is one action per line, ``N. tool(arg, ...)``, numbered 1, 2, 3 ... in order, with
positional arguments only, each a Python literal. An optional ``Thought: ...`` line may come right
before an action. ``"$k"`` (or ``"${k}"``) inside a string argument stands for the observation of
step k; those references are the plan's dependencies. The plan ends with ``join()<END_OF_PLAN>``::

  1. get_email_address("Eren Erdoğan")
  2. get_zoom_meeting_link("Apple Meeting", "2022-10-14 15:00:00", 60, ["$1"])
  3. create_calendar_event("Apple Meeting", "2022-10-14 15:00:00", "2022-10-14 16:00:00", "$2", [], "", None)
  Thought: I have succesfully created the calendar event.
  4. join()<END_OF_PLAN>

TinyAgent's own parser (``llm_compiler/output_parser.py``) is lenient: it picks matching lines out
of any text, keeps arguments that are not a literal as one raw string, and never checks the
numbering or the references. This one is strict, because a model in training should be told why
its plan is wrong: anything off is a :class:`PlanError` saying what and where, never another
exception. Text after the first ``<END_OF_PLAN>`` is ignored, as TinyAgent stops at ``join()``.
The joiner's answer (``parse_join`` / ``format_join``) is read here too, with the same strictness.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import math
import re
import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from tools.base import ToolError

END_OF_PLAN = "<END_OF_PLAN>"
JOIN = "join"
MAX_CHARS = 16_000
MAX_DEPTH = 8
MAX_STEPS = 32

# The step line of TinyAgent's ACTION_PATTERN, matched against a whole (stripped) line.
_STEP = re.compile(r"([0-9]+)\. (\w+)\((.*)\)")
_HEAD = re.compile(r"([0-9]+)\. (\w+)\(")  # a step line's start, enough to judge its number and tool
# LLMCompiler's reference rule ``\$\{?(\d+)\}?``, ASCII digits only: "$" and an Arabic-Indic
# digit is text, not a reference.
_REF = re.compile(r"\$\{?([0-9]+)\}?")
# Exceptions ``ast.parse`` / ``ast.literal_eval`` raise on hostile text (deep nesting, NUL bytes,
# surrogates, huge numbers, non-literals).
_PARSE_ERRORS = (SyntaxError, ValueError, TypeError, MemoryError, RecursionError)
_CONTAINERS = (ast.List, ast.Tuple, ast.Set, ast.Dict)
_MAX_INT_BITS = 64


class PlanError(ValueError):
    """A plan (or joiner answer) that does not follow the grammar; the message says what and where."""


class IncompletePlan(PlanError):
    """A plan whose lines are all right so far but that has not ended with ``join()<END_OF_PLAN>``."""


@dataclass(frozen=True)
class Step:
    """One numbered action of a plan."""

    index: int
    """1-based, as written."""
    tool: str
    """The tool's name; ``"join"`` for the last step."""
    args: tuple
    """Positional arguments as ``ast.literal_eval`` reads them; ``"$k"`` references stay strings."""
    deps: tuple[int, ...]
    """The steps referenced by ``$k`` / ``${k}`` anywhere in ``args``, sorted; ``()`` for join."""
    thought: str = ""
    """The ``Thought: ...`` line right before the step, if any."""


@dataclass(frozen=True)
class Plan:
    """A validated plan: steps numbered 1..N, references only to earlier steps, join last."""

    steps: tuple[Step, ...]

    def calls(self) -> tuple[Step, ...]:
        """The tool calls: every step but the final join."""
        return tuple(step for step in self.steps if step.tool != JOIN)


def references(value: Any) -> list[int]:
    """Every step number ``$k`` / ``${k}`` in ``value`` (strings, list items, dict keys and values)."""
    if isinstance(value, str):
        return [_number(digits) for digits in _REF.findall(value)]
    if isinstance(value, list | tuple):
        return [k for item in value for k in references(item)]
    if isinstance(value, dict):
        return [k for pair in value.items() for item in pair for k in references(item)]
    return []


def _number(digits: str) -> int:
    # int() refuses over 4,300 digits; any number this long is past every plan's last step anyway.
    return int(digits) if len(digits) <= 9 else 10**9


def _clip(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def make_plan(
    calls: Sequence[tuple[str, Sequence]],
    thoughts: Sequence[str] | None = None,
    tools: Collection[str] | None = None,
    max_steps: int = MAX_STEPS,
) -> Plan:
    """Validate calls ``(tool, positional args)`` (join excluded) and build their :class:`Plan`.

    Args:
        calls: the tool calls in order; ``"$k"`` strings refer to the k-th call (1-based).
        thoughts: one thought per call plus one for the join (``""`` for none), or ``None``.
        tools: the allowed tool names; ``None`` accepts any name.
        max_steps: the most calls a plan may have (join not counted).

    Raises:
        PlanError: a bad tool name, an argument that is not a string, number, boolean, None, list or
            dict (nested at most 8 deep), or a reference to the step itself, a later or a missing step.
    """
    if not isinstance(calls, Sequence) or isinstance(calls, str):
        raise PlanError(f"the calls must be a sequence of (tool, args) pairs, not {type(calls).__name__}")
    if len(calls) > max_steps:
        raise PlanError(f"the plan has {len(calls)} calls; at most {max_steps} are allowed")
    if thoughts is None:
        thoughts = [""] * (len(calls) + 1)
    if isinstance(thoughts, str) or len(thoughts) != len(calls) + 1:
        raise PlanError(f"give one thought per call plus one for join(): {len(calls) + 1} strings")
    for thought in thoughts:
        if not isinstance(thought, str) or "\n" in thought or END_OF_PLAN in thought:
            raise PlanError(
                f"a thought must be one line of text without {END_OF_PLAN}: {_clip(str(thought))}"
            )
    steps = []
    for index, call in enumerate(calls, start=1):
        if not isinstance(call, Sequence) or isinstance(call, str) or len(call) != 2:
            raise PlanError(f"call {index} must be a (tool, args) pair, not {_clip(repr(call))}")
        tool, args = call
        _check_tool(tool, index, tools)
        if not isinstance(args, Sequence) or isinstance(args, str):
            raise PlanError(f"step {index} ({tool}): the arguments must be a list or tuple of values")
        for position, arg in enumerate(args, start=1):
            _check_value(arg, f"step {index} ({tool}), argument {position}", depth=0)
        deps = sorted(set(references(args)))
        for k in deps:
            if k < 1:
                raise PlanError(f"step {index} ({tool}) refers to ${k}; steps are numbered from 1")
            if k >= index:
                which = "itself" if k == index else "a later step"
                raise PlanError(
                    f"step {index} ({tool}) refers to ${k}, {which}; a step may only use the results "
                    "of the steps before it"
                )
        steps.append(Step(index, tool, tuple(args), tuple(deps), thoughts[index - 1].strip()))
    steps.append(Step(len(calls) + 1, JOIN, (), (), thoughts[-1].strip()))
    return Plan(tuple(steps))


def _check_tool(tool: Any, index: int, tools: Collection[str] | None) -> None:
    if not isinstance(tool, str) or not re.fullmatch(r"\w+", tool):
        raise PlanError(f"step {index}: {_clip(repr(tool))} is not a tool name")
    if tool == JOIN:
        raise PlanError(f"step {index}: join() may only be the last step")
    if tools is not None and tool not in tools:
        close = difflib.get_close_matches(tool, list(tools), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PlanError(f"step {index} calls unknown tool {tool!r}{hint} Known: {', '.join(sorted(tools))}")


def _check_value(value: Any, where: str, depth: int) -> None:
    """Arguments are JSON-like values, so that every tool can check them and format_plan can write them."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            raise PlanError(f"{where}: the integer is too large (at most {_MAX_INT_BITS} bits)")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PlanError(f"{where}: {value!r} is not a finite number")
        return
    if isinstance(value, str):
        if END_OF_PLAN in value:
            raise PlanError(f"{where}: a string may not contain {END_OF_PLAN}")
        return
    if isinstance(value, list | dict):
        if depth >= MAX_DEPTH:
            raise PlanError(f"{where}: lists and dicts are nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, list):
            for item in value:
                _check_value(item, where, depth + 1)
            return
        for key, item in value.items():
            if not isinstance(key, str):
                raise PlanError(f"{where}: dict keys must be strings, not {type(key).__name__}")
            _check_value(item, where, depth + 1)
        return
    raise PlanError(
        f"{where} is a {type(value).__name__}; arguments may only be strings, numbers, booleans, None, "
        "lists and dicts"
    )


def parse_plan(text: str, tools: Collection[str], max_steps: int = MAX_STEPS) -> Plan:
    """Read a plan written in LLMCompiler's grammar (see the module docstring).

    Args:
        text: the planner's output.
        tools: the names of the tools the plan may call (``join`` is always allowed, last).
        max_steps: the most tool calls a plan may have (join not counted).

    Raises:
        PlanError: the text is not a plan; the message names the line or step and what is wrong.
    """
    if not isinstance(text, str):
        raise PlanError(f"a plan is text, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise PlanError(f"the plan is {len(text):,} characters long; at most {MAX_CHARS:,} are allowed")
    head, found, _ = text.partition(END_OF_PLAN)
    # Only "\n" ends a line: str.splitlines would also split inside strings at U+2028, \x85, ...
    lines = head.split("\n")
    calls: list[tuple[str, tuple]] = []
    thoughts: list[str] = []
    pending: str | None = None
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("Thought:"):
            if pending is not None:
                raise PlanError(
                    f"line {lineno}: two Thought lines in a row; a Thought goes right before its step"
                )
            pending = stripped[len("Thought:") :].strip()
            continue
        # The line's head ("N. tool(") is judged before the rest, so that a line is refused for its
        # number or tool however it goes on: doomed_prefix relies on it.
        head, match = _HEAD.match(stripped), _STEP.fullmatch(stripped)
        if head is None or (match is None and head.group(2) == JOIN):
            raise _not_a_step(lineno, stripped)
        number, tool = head.groups()
        index = len(calls) + 1
        if len(number) > 9 or int(number) != index:
            raise PlanError(
                f"line {lineno}: step number {_clip(number, 12)} should be {index}; number steps 1, 2, 3 ..."
            )
        thought, pending = pending or "", None
        if tool == JOIN:
            if match.group(3).strip():
                raise PlanError(f"line {lineno}: join() takes no arguments")
            if lineno != len(lines) or not found or not line.endswith(")"):
                raise PlanError(
                    f"line {lineno}: join() must be the last step, followed at once by {END_OF_PLAN}"
                )
            return make_plan(calls, [*thoughts, thought], tools, max_steps)
        if index > max_steps:
            raise PlanError(f"the plan has more than {max_steps} calls")
        _check_tool(tool, index, tools)
        if match is None:
            raise _not_a_step(lineno, stripped)
        calls.append((tool, _parse_args(match.group(3), index, tool)))
        thoughts.append(thought)
    if not calls:
        raise IncompletePlan(
            f"the plan has no steps; write 'N. tool(args)' lines ending with 'N. join(){END_OF_PLAN}'"
        )
    raise IncompletePlan(f"the plan must end with '{len(calls) + 1}. join(){END_OF_PLAN}'")


def _not_a_step(lineno: int, stripped: str) -> PlanError:
    return PlanError(
        f"line {lineno} is neither a step 'N. tool(args)' nor a 'Thought: ...': {_clip(stripped)}"
    )


def doomed_prefix(text: str, tools: Collection[str], max_steps: int = MAX_STEPS) -> bool:
    """Whether :func:`parse_plan` refuses every plan that begins with ``text``, the part written so far.

    The parser reads line by line and stops at the first bad one, so once a complete line (one
    ended by a newline) breaks the grammar, whatever follows gets that line's error: an agent may
    stop writing there, and the cut plan is answered as the whole one would be. Of the line being
    written, only its head counts: ``N. tool(`` with a tool that is not in ``tools`` (the parser
    judges a line's head first, so that line's error is the same however it goes on). What only
    ``join()`` checks (the ``$k`` references) is not judged.
    """
    complete = text[: text.rfind("\n") + 1]
    if END_OF_PLAN in complete:
        return False
    if complete:
        try:
            parse_plan(complete, tools, max_steps)
        except IncompletePlan:
            pass
        except PlanError:
            return True
    head = _HEAD.match(text[len(complete) :].strip())
    return head is not None and head.group(2) != JOIN and head.group(2) not in tools


def _parse_args(arg_text: str, index: int, tool: str) -> tuple:
    """The positional arguments of ``tool(arg_text)``, read by ``ast`` without running anything."""
    where = f"step {index} ({tool})"
    try:
        with warnings.catch_warnings():
            # "invalid escape sequence" warnings must neither print nor turn into errors.
            warnings.simplefilter("ignore")
            tree = ast.parse(f"_({arg_text})", mode="eval")
    except _PARSE_ERRORS as error:
        reason = (getattr(error, "msg", "") or type(error).__name__)[:80]
        raise PlanError(f"{where}: the arguments are not Python literals ({reason})") from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "_"):
        raise PlanError(f"{where}: the arguments are not Python literals")
    if call.keywords:
        names = ", ".join(f"{k.arg}=" if k.arg else "**" for k in call.keywords)
        raise PlanError(f"{where} uses keyword arguments ({names}); arguments are positional only")
    args = []
    for position, node in enumerate(call.args, start=1):
        _check_depth(node, f"{where}, argument {position}")
        try:
            args.append(ast.literal_eval(node))
        except _PARSE_ERRORS:
            text = ast.get_source_segment(f"_({arg_text})", node) or ""
            raise PlanError(f"{where}, argument {position} is not a Python literal: {_clip(text)}") from None
    return tuple(args)


def _check_depth(node: ast.AST, where: str) -> None:
    # Iterative, so that a hostile tree never meets Python's recursion limit.
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, _CONTAINERS):
            depth += 1
            if depth > MAX_DEPTH:
                raise PlanError(f"{where}: lists and dicts are nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth) for child in ast.iter_child_nodes(current))


def format_plan(steps: Sequence[tuple[str, Sequence]], thoughts: Sequence[str] | None = None) -> str:
    """The canonical text of a plan, which :func:`parse_plan` reads back to the same steps.

    Args:
        steps: the calls ``(tool, positional args)``, join excluded (it is appended).
        thoughts: one per call plus one for the join (``""`` for none), or ``None``.

    Strings are written in double quotes (``json.dumps``, non-ASCII kept), other values as Python
    literals: ``[..]``, ``{..}``, ``None``, ``True``/``False``, numbers.

    Raises:
        PlanError: a value that cannot be written (see :func:`make_plan`), or a text over 16,000 chars.
    """
    plan = make_plan(steps, thoughts)
    lines = []
    for step in plan.steps:
        if step.thought:
            lines.append(f"Thought: {step.thought}")
        lines.append(f"{step.index}. {step.tool}({', '.join(_render(arg) for arg in step.args)})")
    text = "\n".join(lines) + END_OF_PLAN
    if len(text) > MAX_CHARS:
        raise PlanError(f"the plan would be {len(text):,} characters long; at most {MAX_CHARS:,} are allowed")
    return text


def _render(value: Any) -> str:
    if isinstance(value, str):
        # JSON's escapes are Python's; a lone surrogate (undecodable input) is kept as an escape,
        # since the raw character cannot be encoded as UTF-8.
        return re.sub(
            r"[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False)
        )
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_render(key)}: {_render(item)}" for key, item in value.items()) + "}"
    return repr(value)


def substitute(value: Any, results: dict[int, str]) -> Any:
    """``value`` with each ``$k`` / ``${k}`` in its strings (lists, dicts too) replaced by step k's result.

    Raises:
        PlanError: a reference to a step that has no result.
    """
    if isinstance(value, str):
        # One pass with a function: "$12" is never read as "$1" then "2", and a result's own "$"
        # or backslashes are never reinterpreted.
        return _REF.sub(lambda match: _result(match, results), value)
    if isinstance(value, list | tuple):
        return type(value)(substitute(item, results) for item in value)
    if isinstance(value, dict):
        return {substitute(key, results): substitute(item, results) for key, item in value.items()}
    return value


def _result(match: re.Match, results: dict[int, str]) -> str:
    k = _number(match.group(1))
    if k not in results:
        raise PlanError(f"{match.group()} refers to step {k}, which has no result")
    return str(results[k])


def execute(plan: Plan, call: Callable[[str, list], str]) -> list[tuple[Step, str]]:
    """Run the plan's calls in dependency waves, as LLMCompiler's task-fetching unit schedules them.

    A wave is every call whose dependencies have all run (networkx's topological generations); the
    calls of a wave run one after another in index order. ``$k`` references are replaced by the
    observations first. A ``ToolError`` becomes the observation ``"Error: <message>"`` and the plan
    goes on, so later steps see the error text as TinyAgent's do.

    Args:
        plan: a validated plan.
        call: runs one tool: ``call(name, positional args) -> observation``.

    Returns:
        ``(step, observation)`` for every call, in index order (join excluded).
    """
    calls = {step.index: step for step in plan.calls()}
    graph = nx.DiGraph()
    graph.add_nodes_from(calls)
    graph.add_edges_from((dep, step.index) for step in calls.values() for dep in step.deps)
    results: dict[int, str] = {}
    for wave in nx.topological_generations(graph):
        for index in sorted(wave):
            step = calls[index]
            args = [substitute(arg, results) for arg in step.args]
            try:
                results[index] = call(step.tool, args)
            except ToolError as error:
                results[index] = f"Error: {error}"
    return [(step, results[index]) for index, step in sorted(calls.items())]


def to_graph(plan: Plan) -> nx.DiGraph:
    """The plan as TinyAgent's ``build_graph`` (``utils/graph_utils.py``) draws it.

    One node per step (join included) named ``"i: tool"`` with the attributes ``tool_name`` and
    ``tool_args``, and an edge ``k -> i`` for each step k that step i depends on. TinyAgent also
    stores on each node its nested dependency tree by tool names; here the attribute ``structure``
    is a digest of that tree (tool name, then the sorted digests of the dependencies), which
    compares the same way but stays small where the tree would grow exponentially (a chain of
    steps each using the previous one twice).
    """
    graph = nx.DiGraph()
    names = {step.index: f"{step.index}: {step.tool}" for step in plan.steps}
    digests: dict[int, str] = {}
    for step in plan.steps:
        tree = json.dumps([step.tool, sorted(digests[dep] for dep in step.deps)])
        digests[step.index] = hashlib.sha256(tree.encode()).hexdigest()
        graph.add_node(
            names[step.index], tool_name=step.tool, tool_args=list(step.args), structure=digests[step.index]
        )
        graph.add_edges_from((names[dep], names[step.index]) for dep in step.deps)
    return graph


# ---------------------------------------------------------------------------------------------
# The joiner's answer, after the plan ran: ``Thought: ...`` then ``Action: Finish(<message>)`` or
# ``Action: Replan``. TinyAgent reads it with ``get_parsed_joinner_output`` (``utils/plan_utils.py``):
# line by line, the last ``Thought:`` line is the thought; on the ``Action:`` line the message is what
# lies between the first ``(`` and the last ``)``, and the action is Replan when the line mentions
# Replan, else Finish. That reader never fails; this one keeps its rules for the parts but refuses
# anything else with a PlanError, so a malformed answer is never scored as a Finish. The message
# lives on the Action line, so it is one line of text.

FINISH = "Finish"
REPLAN = "Replan"


@dataclass(frozen=True)
class JoinStep:
    """A parsed joiner answer."""

    thought: str
    action: str
    """``"Finish"`` or ``"Replan"``."""
    message: str
    """The Finish message (the answer, or a confirmation); ``""`` for Replan."""


def parse_join(text: str) -> JoinStep:
    """Read a joiner answer: an optional ``Thought: ...`` line, then one ``Action:`` line.

    Raises:
        PlanError: anything else, with what was expected.
    """
    if not isinstance(text, str):
        raise PlanError(f"a joiner answer is text, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise PlanError(
            f"the joiner answer is {len(text):,} characters long; at most {MAX_CHARS:,} are allowed"
        )
    thought, action = _join_lines(text)
    if action is None:
        raise PlanError(f"the joiner answer has no 'Action: {FINISH}(<message>)' or 'Action: {REPLAN}' line")
    if action == REPLAN:
        return JoinStep(thought or "", REPLAN, "")
    if action.startswith(f"{FINISH}(") and action.endswith(")"):
        return JoinStep(thought or "", FINISH, action[len(FINISH) + 1 : -1])
    raise PlanError(f"the Action must be '{FINISH}(<message>)' or '{REPLAN}', not {_clip(action)}")


def _join_lines(text: str) -> tuple[str | None, str | None]:
    """:func:`parse_join`'s reading line by line: the Thought and the Action (``None`` where there
    is none yet), or the first bad line's :class:`PlanError`."""
    thought, action = None, None
    for lineno, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if action is not None:
            raise PlanError(f"line {lineno}: nothing may follow the Action line: {_clip(stripped)}")
        if stripped.startswith("Thought:"):
            if thought is not None:
                raise PlanError(f"line {lineno}: only one Thought line is allowed")
            thought = stripped[len("Thought:") :].strip()
        elif stripped.startswith("Action:"):
            action = stripped[len("Action:") :].strip()
        else:
            raise PlanError(f"line {lineno} is neither 'Thought: ...' nor 'Action: ...': {_clip(stripped)}")
    return thought, action


def doomed_join_prefix(text: str) -> bool:
    """Whether :func:`parse_join` refuses every joiner answer that begins with ``text``.

    As :func:`doomed_prefix` for plans: once a complete line (one ended by a newline) breaks the
    joiner's grammar (a second Thought, a line that is neither Thought nor Action, anything after
    the Action line), whatever follows gets that line's error, so an agent may stop writing there.
    The line being written is not judged, and neither is the Action itself (``parse_join`` judges
    it at the end, after any line that follows it).
    """
    try:
        _join_lines(text[: text.rfind("\n") + 1])
    except PlanError:
        return True
    return False


def format_join(thought: str, action: str, message: str = "") -> str:
    """The joiner answer :func:`parse_join` reads back to ``JoinStep(thought, action, message)``.

    Raises:
        PlanError: an unknown action, a Replan with a message, or a thought or message that is not
            one line of text (the thought's surrounding spaces are dropped, as parse_join drops them).
    """
    if action not in (FINISH, REPLAN):
        raise PlanError(f"the action must be {FINISH!r} or {REPLAN!r}, not {_clip(str(action))}")
    for name, value in (("thought", thought), ("message", message)):
        if not isinstance(value, str) or "\n" in value:
            raise PlanError(f"the {name} must be one line of text: {_clip(str(value))}")
    if action == REPLAN and message:
        raise PlanError("a Replan carries no message")
    head = f"Thought: {thought.strip()}\n" if thought.strip() else ""
    return head + (f"Action: {FINISH}({message})" if action == FINISH else f"Action: {REPLAN}")
