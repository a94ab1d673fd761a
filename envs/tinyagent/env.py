"""``toolgym/TinyAgentPlanner-v0``: LLMCompiler plans over 16 desktop tools, run as a DAG."""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np

from envs.checks import check_choice, check_int
from envs.core import TextEnv, to_observation
from envs.tinyagent import metrics, plans, tasks
from envs.tinyagent.prompt import brief, observation, planner_prompt
from tools.desktop.apps import TOOL_NAMES, Desktop, describe
from tools.desktop.world import World

SPLITS = ("train", "test")
DESCRIBE = ("all", "gold", "noisy", "toolrag")
SCORE_NAMES = (
    "success",
    "state_success",
    "node_f1",
    "edge_f1",
    "join_finish",
    "parse_errors",
    "replans",
)
MAX_TURN_CHARS = 16_000  # a plan of 32 steps fits; 1 MB turns are answered, not parsed


@functools.lru_cache(maxsize=1)
def _schemas() -> dict[str, dict[str, Any]]:
    schemas = Desktop.schemas()
    return {schema["function"]["name"]: schema for schema in schemas}


def _canonical(world: World) -> tuple:
    """The world's state with its lists as sorted multisets (parallel steps may run in any order).

    Built from the dataclasses' ``repr`` rather than ``World.snapshot()``'s JSON: an episode
    compares two states, and ``dataclasses.asdict`` cost as much as the rest of the episode.
    """
    return tuple(
        (name, sorted(map(repr, value)) if isinstance(value, list) else repr(value))
        for name, value in vars(world).items()
    )


# Pickled pristine worlds by (split, seed); a dict, since tasks hold lists and lru_cache needs hashes.
_WORLDS: dict[tuple, bytes] = {}


def _fresh_world(task) -> World:
    """The task's world, new and unchanged: unpickled from a per-world cache (0.05 ms, where
    building it is 0.4 ms; each episode needs two, its own and the gold run's)."""
    key = (task.split, task.seed) if isinstance(task, tasks.Task) else ("tinyagent", task.index)
    if key not in _WORLDS:
        if len(_WORLDS) >= 4096:
            _WORLDS.clear()
        _WORLDS[key] = pickle.dumps(task.world())
    return pickle.loads(_WORLDS[key])


@functools.cache
def _description(name: str) -> str:
    return brief(describe(name))


def fill_finish(join: str, results: dict[int, str]) -> str:
    """The gold joiner turn with its ``$k`` replaced by step ``k``'s observation."""
    return plans.substitute(join, results)


class TinyAgentPlannerEnv(TextEnv):
    """Requests to a simulated Mac desktop, planned as LLMCompiler DAGs of calls to 16 tools.

    ## Description
    The planner study of *TinyAgent: Function Calling at the Edge* (arXiv 2409.00608). A task is a
    user request ("email Ana the budget PDF and remind me on Friday"), a seeded desktop world
    (:class:`tools.desktop.world.World`: contacts, calendar, mail, notes, reminders, files, maps,
    Zoom) and a gold plan over the 16 tools of :data:`tools.desktop.apps.TOOL_NAMES`.

    ## Action Space
    ``UnicodeText`` (up to 16,000 characters). Turn 1, the plan: ``N. tool(arg, ...)`` lines
    (positional arguments, Python literals), optional ``Thought:`` lines, ``$k`` / ``${k}`` for the
    result of step ``k``, ending ``N. join()<END_OF_PLAN>``. Turn 2, the joiner: ``Thought: ...``
    then ``Action: Finish(answer)`` or ``Action: Replan``.

    ## Observation Space
    ``UnicodeText``. After ``reset``: the planner prompt (``Tools:`` with the described tools, the
    grammar, ``Question:``); ``info["tools"]`` holds their JSON Schemas. After a plan: one
    ``Observation k: ...`` line per step (the tool's answer, or ``Error: ...`` for misuse), run in
    dependency order with independent steps in one wave. After a malformed plan: what was wrong.

    ## Rewards
    ``success``: TinyAgent's: 1.0 when the plan's DAG is isomorphic to the gold DAG by tool names
    and ``$`` dependencies (arguments ignored), else 0.0. ``info["scores"]`` also holds
    ``state_success`` (that, and the world after the plan equals the world after the gold plan), TaskBench's
    ``node_f1`` and ``edge_f1``, ``join_finish`` (the joiner finished), ``parse_errors`` and
    ``replans``. A malformed plan scores 0 on all but ``parse_errors``.

    ## Starting State
    Task ``i`` of the split (``options={"task_id": i}``) or one drawn from ``np_random``.
    :meth:`task_info` gives its number of steps and intents.

    ## Episode End
    Terminates on the joiner's ``Finish``, on ``Replan`` once ``max_replans`` are used, or on a
    malformed turn. ``TimeLimit`` truncates after ``max_episode_steps`` turns.

    ## Arguments
    - ``split`` (``"train"`` | ``"test"``, default ``"test"``): the fixed 1,000-task test set
      (held-out phrasings, names, files and intent pairs) or the training tasks.
    - ``num_tasks`` (int, default 40,000): training tasks used (test: up to 1,000).
    - ``describe`` (``"all"`` | ``"gold"`` | ``"noisy"`` | ``"toolrag"``, default ``"all"``): which
      tools the prompt describes: all 16, the gold ones, the gold ones and a random number of the
      others (seeded by the task: training prompts from a retriever's size to all 16), or those
      ``toolrag`` (a :class:`envs.tinyagent.toolrag.ToolRAG` saved with ``save``, by path) selects.
    - ``toolrag`` (str | None): the path of the saved ToolRAG classifier.
    - ``max_replans`` (int, 0-2, default 0): ``Action: Replan`` answers allowed before the episode ends.
    - ``data`` (str | None): a TinyAgent data file (``testing_data.json``) whose plan points are
      the tasks, read by :func:`envs.tinyagent.data.load_tinyagent`: the prompt is theirs (system
      message and query), the plan runs on a generated world and only the DAG is scored (no
      ``state_success``); ``split`` and ``describe`` are then ignored.

    ## Version History
    - v0: initial version.
    """

    score_names = SCORE_NAMES
    max_action_chars = MAX_TURN_CHARS
    max_observation_chars = 8192  # the prompt with all 16 tools is about 2,500 characters

    def __init__(
        self,
        split: str = "test",
        num_tasks: int = 40_000,
        describe: str = "all",
        toolrag: str | None = None,
        max_replans: int = 0,
        data: str | None = None,
        render_mode: str | None = None,
    ):
        check_choice("split", split, SPLITS)
        check_int("num_tasks", num_tasks, minimum=1)
        check_choice("describe", describe, DESCRIBE)
        check_int("max_replans", max_replans, minimum=0, maximum=2)  # 6 turns at registration
        if (describe == "toolrag") != (toolrag is not None):
            raise ValueError("describe='toolrag' needs toolrag=PATH (a saved ToolRAG), and only it")
        self.split, self.describe, self.max_replans = split, describe, max_replans
        self.num_tasks = min(num_tasks, tasks.TEST_SIZE) if split == "test" else num_tasks
        self.data = None if data is None else str(data)
        if self.data is not None:  # TinyAgent's own tasks: no world of theirs to compare
            self.num_tasks = min(num_tasks, len(_real_tasks(self.data)))
            self.score_names = tuple(name for name in SCORE_NAMES if name != "state_success")
            self.max_observation_chars = 32_768  # their system prompt holds tools and examples
        self._toolrag = None
        if toolrag is not None:
            from envs.tinyagent.toolrag import ToolRAG

            self._toolrag = ToolRAG.load(toolrag)
        self.task: tasks.Task | None = None
        self.described: list[str] = []
        super().__init__({}, render_mode=render_mode, tool_schemas=list(_schemas().values()))

    # ------------------------------------------------------------------ task
    def _new_task(self, options: dict[str, Any]) -> tuple[int, str]:
        task_id = self.choose_task_id(options)
        self.task = _real_tasks(self.data)[task_id] if self.data else _task(self.split, task_id)
        self.desktop = Desktop(_fresh_world(self.task))
        self.plan: plans.Plan | None = None
        self.phase, self._replans, self._parse_errors, self._join_finish = "plan", 0, 0, 0.0
        if self.data:  # their prompt: their system message (its tools and examples) and the query
            self.described = list(TOOL_NAMES)
            self.tool_schemas = list(_schemas().values())
            return task_id, self.task.prompt
        if self.describe == "all":
            self.described = list(TOOL_NAMES)
        elif self.describe == "gold":
            self.described = [name for name in TOOL_NAMES if name in self.task.tools]
        elif self.describe == "noisy":
            self.described = _noisy_tools(self.task)
        else:
            self.described = self._toolrag.select(self.task.query)
        self.tool_schemas = [_schemas()[name] for name in self.described]
        return task_id, planner_prompt([_description(name) for name in self.described], self.task.query)

    def task_info(self) -> dict[str, Any]:
        """The task's number of gold steps (calls, join excluded), its intents and the described tools."""
        return {
            "steps": len(self.task.steps),
            "intents": "+".join(self.task.intents),
            "described": len(self.described),
            "toolrag_recall": _recall(self.described, self.task.tools),
        }

    @property
    def gold_plan(self) -> plans.Plan:
        return self._gold_run().plan

    def gold(self) -> str:
        return plans.format_plan(self.task.steps)

    def demonstration(self) -> list[str]:
        return [self.gold(), fill_finish(self.task.join, self._gold_run().results)]

    def _gold_run(self) -> _GoldRun:
        return _real_gold_run(self.data, self.task_id) if self.data else _gold_run(self.split, self.task_id)

    def random_answer(self) -> str:
        # Its own generator, seeded by the task and turn, so playing it never shifts task draws.
        rng = np.random.default_rng([self.task_id, len(self.messages)])
        if self.phase == "join":
            return plans.format_join("I am done.", "Finish", "Done.")
        count = int(rng.integers(1, 5))
        steps = []
        for _ in range(count):
            name = TOOL_NAMES[int(rng.integers(len(TOOL_NAMES)))]
            arity = len(_schemas()[name]["function"]["parameters"]["properties"])
            steps.append((name, tuple("" for _ in range(arity))))
        return plans.format_plan(steps)

    # ------------------------------------------------------------------ turns
    def doomed(self, messages: list[dict[str, Any]], partial: str) -> bool:
        # A plan turn follows the user's request or a replan request; a joiner turn, observations.
        if messages and messages[-1].get("role") == "user":
            return plans.doomed_prefix(partial, TOOL_NAMES)
        return plans.doomed_join_prefix(partial)

    def parse_tool_calls(self, text: str) -> list:
        return []  # step() runs plans itself: a plan is a DAG of calls, not a list in order

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if not self.messages:
            return super().step(action)  # raises ResetNeeded
        text, problem = self._as_text(action)
        turn: dict[str, Any] = {"role": "assistant", "content": text[: self.max_action_chars]}
        self.messages.append(turn)
        if problem is not None:
            self._parse_errors += 1
            return self._end(problem)
        if self.phase == "plan":
            return self._plan_turn(text, turn)
        return self._join_turn(text)

    def _plan_turn(self, text: str, turn: dict[str, Any]) -> tuple[str, float, bool, bool, dict]:
        try:
            plan = plans.parse_plan(text, TOOL_NAMES)
        except plans.PlanError as error:
            self._parse_errors += 1
            return self._end(f"Malformed plan: {error}")
        self.plan = plan  # a replan runs on the world as the last plan left it
        executed = plans.execute(plan, self.desktop.call)
        turn["tool_calls"], lines = [], []
        for step, answer in executed:
            call_id = f"call_{sum(len(m.get('tool_calls', ())) for m in self.messages)}"
            turn["tool_calls"].append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": step.tool, "arguments": _named(step)},
                }
            )
            content = to_observation(observation(step.index, answer), 1000)
            self.messages.append(
                {"role": "tool", "tool_call_id": call_id, "name": step.tool, "content": content}
            )
            lines.append(content)
        self.phase = "join"
        text = to_observation("\n".join(lines), self.max_observation_chars)
        return text, 0.0, False, False, {"role": "tool", "task_id": self.task_id}

    def _join_turn(self, text: str) -> tuple[str, float, bool, bool, dict]:
        try:
            join = plans.parse_join(text)
        except plans.PlanError as error:
            self._parse_errors += 1
            return self._end(f"Malformed joiner turn: {error}")
        if join.action == "Replan" and self._replans < self.max_replans:
            self._replans += 1
            self.phase = "plan"
            return self._feedback("Replan: write a new plan for the question.")
        self._join_finish = float(join.action == "Finish")
        if join.action == "Replan":
            self._replans += 1
        return self._end(None)

    def _end(self, feedback: str | None) -> tuple[str, float, bool, bool, dict]:
        """Terminate: score the last plan (none: 0) and say what was wrong, if anything."""
        if feedback is not None:
            self.messages.append(
                {
                    "role": "user",
                    "name": "env",
                    "content": to_observation(feedback, self.max_observation_chars),
                }
            )
        self.episode_scores = self._score()
        reward = self.episode_scores["success"]
        info = {"role": "user", "task_id": self.task_id, "is_success": reward > 0}
        return feedback or "", reward, True, False, {**info, "scores": dict(self.episode_scores)}

    def _score(self) -> dict[str, float]:
        scores = dict.fromkeys(self.score_names, 0.0)
        scores["parse_errors"] = float(self._parse_errors)
        scores["replans"] = float(self._replans)
        scores["join_finish"] = self._join_finish
        if self.plan is None:
            return scores
        gold = self.gold_plan
        scores["success"] = metrics.dag_success(self.plan, gold)
        scores["node_f1"] = metrics.node_f1(self.plan, gold)[2]
        scores["edge_f1"] = metrics.edge_f1(self.plan, gold)[2]
        if "state_success" in scores:
            # With the DAG's success too: a read-only request (a phone number) leaves every world
            # as it was, so equal worlds alone would credit any plan whose calls all failed.
            same = _canonical(self.desktop.world) == self._gold_run().world
            scores["state_success"] = float(same and scores["success"] == 1.0)
        return scores

    # TextEnv's step is replaced above; these keep its contract for the one-call API.
    def score(self, answer: str) -> float:
        return self.episode_scores.get("success", 0.0)

    def scores(self, answer: str) -> dict[str, float]:
        return dict(self.episode_scores)


def _named(step: plans.Step) -> dict[str, Any]:
    """A step's positional arguments by parameter name (the trajectory's ``tool_calls``)."""
    properties = (
        list(_schemas()[step.tool]["function"]["parameters"]["properties"]) if step.tool in _schemas() else []
    )
    return {(properties[i] if i < len(properties) else f"arg{i}"): value for i, value in enumerate(step.args)}


def _recall(described: list[str], gold: tuple[str, ...]) -> float:
    return len(set(gold) & set(described)) / len(set(gold)) if gold else 1.0


@functools.lru_cache(maxsize=1)
def _test_tasks() -> tuple[tasks.Task, ...]:
    return tuple(tasks.test_tasks())


def _noisy_tools(task: tasks.Task) -> list[str]:
    """The gold tools and 0 to all of the others, drawn by the task's seed, in catalogue order:
    a prompt that names the answer's tools among distractors, so that a planner trained on it
    must read the request to choose, with ToolRAG's few tools or all 16 described."""
    rng = np.random.default_rng([task.seed, task.index, len(task.steps)])
    others = [name for name in TOOL_NAMES if name not in task.tools]
    chosen = set(rng.permutation(others)[: rng.integers(0, len(others) + 1)])
    return [name for name in TOOL_NAMES if name in task.tools or name in chosen]


@functools.lru_cache(maxsize=4096)
def _task(split: str, index: int) -> tasks.Task:
    return _test_tasks()[index] if split == "test" else tasks.train_task(index)


class _GoldRun:
    """The gold plan, its observations by step and the world it leaves (canonical)."""

    def __init__(self, task: tasks.Task):
        desktop = Desktop(_fresh_world(task))
        self.plan = plans.parse_plan(plans.format_plan(task.steps), TOOL_NAMES)
        executed = plans.execute(self.plan, desktop.call)
        self.results = {step.index: answer for step, answer in executed}
        self.world = _canonical(desktop.world)


@functools.lru_cache(maxsize=4096)
def _gold_run(split: str, index: int) -> _GoldRun:
    return _GoldRun(_task(split, index))


@dataclass(frozen=True)
class RealTask:
    """A plan point of TinyAgent's data as a task: its prompt, gold steps and joiner answer; it
    runs on a generated world (their desktop is not in the file), so only the DAG is scored."""

    index: int
    prompt: str
    query: str
    steps: tuple[tuple[str, tuple], ...]
    join: str
    intents: tuple[str, ...] = ("tinyagent",)

    @property
    def tools(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(tool for tool, _ in self.steps))

    def world(self) -> World:
        return World.generate(self.index, "test")


@functools.lru_cache(maxsize=2)
def _real_tasks(path: str) -> tuple[RealTask, ...]:
    from envs.tinyagent.data import gold_join, gold_plan, load_tinyagent

    examples = load_tinyagent(path)
    joins = {e.id: e for e in examples if e.kind == "join"}
    out = []
    for example in examples:
        if example.kind != "plan":
            continue
        try:
            plan = gold_plan(example)
        except plans.PlanError:
            continue  # a gold plan outside the grammar cannot be scored
        join = joins.get(example.id)
        answer = gold_join(join) if join else plans.JoinStep("The task is done.", "Finish", "Task completed!")
        out.append(
            RealTask(
                index=len(out),
                prompt="\n\n".join(m["content"] for m in example.messages),
                query=example.query,
                steps=tuple((step.tool, step.args) for step in plan.calls()),
                join=plans.format_join(answer.thought, answer.action, answer.message),
            )
        )
    if not out:
        raise ValueError(f"data={path!r} has no plan point with a plan in LLMCompiler's grammar")
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _real_gold_run(path: str, index: int) -> _GoldRun:
    return _GoldRun(_real_tasks(path)[index])
