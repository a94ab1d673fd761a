"""``toolgym/FunctionCalling-v0``: answer a request with the right function calls (TokMem's task).

Each task is an xLAM-style query that needs one to four calls, e.g. "What's the weather in Paris?
Also, get the price of AAPL." The answer writes the calls in one of four formats
(:mod:`envs.function_calling.formats`): TokMem's tool tokens, its LoRA baseline's ``[tool_k]``
aliases, JSON lines for in-context prompts, or a local model's ``<tool_call>`` blocks. Tools are
numbered once for the whole study (each round's tools sorted by name, rounds in order, then the
pre-training tools), so a tool keeps its token across rounds, as TokMem's tool memory needs.

The data come from :mod:`envs.function_calling.data`: a folder written by
``python -m envs.function_calling.generate`` or a small in-memory dataset. Loading is cached per
process: a rollout builds hundreds of env copies.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from envs.checks import check_choice, check_int
from envs.core import TextEnv, ToolCall, ToolCallError
from envs.function_calling import apis, data
from envs.function_calling.formats import CALL_FORMATS, TOOL_TOKEN, parse_calls, render_calls
from envs.function_calling.metrics import SCORE_NAMES, bfcl_category, score_calls
from envs.function_calling.retrieval import ToolRetriever, recall
from tools.base import ToolError

SPLITS = ("train", "test")
DESCRIBE = ("none", "gold", "retrieved")
WORDS = ("alpha", "river", "Paris", "blue", "market", "Tokyo", "summer", "jazz", "delta", "north")


# ---------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Study:
    """Everything about the data that does not depend on the env's arguments.

    Attributes:
        manifest: the dataset's ``manifest.json``.
        ranges: the manifest's rounds, then its pretraining range (when it has one).
        descriptions: every tool's TokMem description, parameters as JSON Schema.
        tools_of: each range's tools, sorted by name.
        order: the study's tool order (tool ``i`` is written with token / alias ``i``): the
            ranges' tools, range after range.
    """

    manifest: dict[str, Any]
    ranges: tuple[tuple[int, int], ...]
    descriptions: dict[str, dict[str, Any]]
    tools_of: dict[tuple[int, int], tuple[str, ...]]

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(name for r in self.ranges for name in self.tools_of[r])

    def round_of(self, first: int, last: int) -> int:
        """The 1-based index of a manifest round, 0 for the pretraining range."""
        rounds = [tuple(r) for r in self.manifest["rounds"]]
        return rounds.index((first, last)) + 1 if (first, last) in rounds else 0


def _range_key(first: int, last: int) -> str:
    return f"{first}-{last}"


@functools.lru_cache(maxsize=8)
def load_study(data_dir: str | None) -> Study:
    """The study of ``data_dir`` (``None``: the in-memory dataset), read once per process."""
    if data_dir is None:
        dataset = data.in_memory_dataset()
        manifest = dataset["manifest"]
    else:
        manifest = data.load_manifest(data_dir)
    ranges = [tuple(r) for r in manifest["rounds"]]
    if manifest.get("pretrain"):
        ranges.append(tuple(manifest["pretrain"]))
    descriptions: dict[str, dict[str, Any]] = {}
    tools_of = {}
    for first, last in ranges:
        if data_dir is None:
            found = dataset["rounds"][(first, last)]["descriptions"]
        else:
            found = data.load_descriptions(data_dir, first, last)
        twice = sorted(set(found) & set(descriptions))
        if twice:
            raise ValueError(f"tool {twice[0]!r} of range {first}-{last} is also in an earlier range")
        descriptions.update(found)
        tools_of[(first, last)] = tuple(sorted(found))
    return Study(manifest, tuple(ranges), descriptions, tools_of)


@functools.lru_cache(maxsize=32)
def load_samples(data_dir: str | None, first: int, last: int, split: str) -> tuple[data.Sample, ...]:
    """The samples of one range and split, in file order, read once per process."""
    if data_dir is None:
        return tuple(data.in_memory_dataset()["rounds"][(first, last)][split])
    return tuple(data.load_round(data_dir, first, last, split))


@functools.lru_cache(maxsize=4096)
def _validator(data_dir: str | None, name: str) -> Draft202012Validator:
    parameters = load_study(data_dir).descriptions[name]["parameters"]
    # An argument the tool does not declare is a mistake (BFCL's checker rejects it too), unless
    # the schema says otherwise.
    schema = {**parameters, "additionalProperties": parameters.get("additionalProperties", False)}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.lru_cache(maxsize=4096)
def _api(data_dir: str | None, name: str) -> apis.Api:
    """The mock API of a study tool: the catalogue's, or a generic one for a tool it lacks."""
    try:
        return apis.api_by_name(name)
    except KeyError:  # a tool of real xLAM data
        tool = load_study(data_dir).descriptions[name]
        return apis.Api(
            name=name,
            category=tool.get("category", "general"),
            description=tool.get("description", ""),
            parameters=tool["parameters"],
            phrasings=(),
            heldout_phrasings=0,
        )


def hf_schema(tool: dict[str, Any]) -> dict[str, Any]:
    """A TokMem description as a Hugging Face ``tools=`` schema."""
    return {
        "type": "function",
        "function": {
            "name": tool["name"],
            "description": tool.get("description", ""),
            "parameters": tool["parameters"],
        },
    }


@functools.lru_cache(maxsize=64)
def _schemas(data_dir: str | None, names: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    # Shared by every env copy over the same tools (read-only).
    descriptions = load_study(data_dir).descriptions
    return tuple(hf_schema(descriptions[name]) for name in names)


def describe_tool(tool: dict[str, Any]) -> str:
    """One compact line: ``name(param: type, opt_param?: type) - first sentence of the description``.

    The signature already lists the parameters the rest of a description explains; one sentence
    keeps five described tools within a from-scratch byte-level model's 2,048 positions."""
    parameters = tool["parameters"]
    required = set(parameters.get("required", ()))
    shown = []
    for name, spec in parameters.get("properties", {}).items():
        shown.append(f"{name}{'' if name in required else '?'}: {_type_name(spec)}")
    summary = tool.get("description", "").split(". ")[0].rstrip(".")
    return f"{tool['name']}({', '.join(shown)}) - {summary}"


def _type_name(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return "|".join(json.dumps(value, ensure_ascii=False) for value in spec["enum"])
    kind = spec.get("type", "any")
    kind = "|".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and isinstance(spec.get("items"), dict):
        return f"array[{_type_name(spec['items'])}]"
    return spec.get("format", kind)


def parse_ranges(tools: str, study: Study) -> list[tuple[int, int]]:
    """``"1-50,51-100"`` as ranges, each one of the study's.

    Raises:
        ValueError: naming the bad (or repeated) range and the allowed ones.
    """
    allowed = ", ".join(_range_key(*r) for r in study.ranges)
    ranges = []
    for part in str(tools).split(","):
        first, _, last = part.strip().partition("-")
        candidate = (int(first), int(last)) if first.isdigit() and last.isdigit() else None
        if candidate not in study.ranges or candidate in ranges:
            raise ValueError(
                f"tools={tools!r} is not valid: {part.strip()!r} is repeated or not a range of the data; "
                f"use {allowed}"
            )
        ranges.append(candidate)
    return ranges


# ---------------------------------------------------------------------------------------- env
class FunctionCallingEnv(TextEnv):
    """Requests answered with function calls, scored like TokMem (tool F1, argument F1, exact match).

    ## Description
    The function-calling study of *TokMem: Tokenized Procedural Memory for Large Language Models*
    (arXiv 2510.00444) on xLAM-format data (Salesforce/xlam-function-calling-60k, or the synthetic
    rows of :mod:`envs.function_calling.data`). A task is one user request that needs 1-4 calls to
    the offered tools (the tools of the ``tools`` ranges); test tasks compose 2-3 distinct tools.

    ## Action Space
    ``UnicodeText`` (printable Unicode, up to 4096 characters): one assistant turn writing calls
    in ``call_format``. With tool ``i`` of the study's order (:attr:`tool_order`):
    - ``tokens``: ``<|reserved_special_token_{i}|>{"city": "Paris"}`` per call, no separator.
    - ``text``: ``[tool_{i}]{"city": "Paris"}``, one call per line.
    - ``json``: ``{"name": "get_weather", "arguments": {"city": "Paris"}}``, one call per line.
    - ``hf``: ``<tool_call>\\n{"name": "get_weather", "arguments": {"city": "Paris"}}\\n</tool_call>``
      blocks (text around them is allowed).

    ## Observation Space
    ``UnicodeText`` (up to 4096 characters). After ``reset``: the request; with ``describe``, a
    ``Tools:`` block first, one line per described tool (``name(param: type, opt?: type) -
    description``) and a blank line. ``info["tools"]``: the offered tools' JSON Schemas. In
    ``multi_turn`` mode, after a turn with calls: the mock results, one per line (``Error: ...``
    for arguments that break the schema; ``info["role"] == "tool"``), or the env's feedback for a
    malformed call (``info["name"] == "env"``). After the final answer: ``""``.

    ## Rewards
    ``strict_match``: 1.0 when the multiset of ``(tool, arguments)`` calls equals the gold one
    (order is free; ``2.0`` equals ``2``), else 0.0. ``info["scores"]`` also holds TokMem's
    ``exact_match`` (arguments only), ``tool_accuracy``, set-based ``tool_f1/precision/recall``
    and ``arg_f1/precision/recall``, ``parse_errors`` (malformed calls, unknown tools, arguments
    that fail the tool's JSON Schema, text outside calls) and, with ``describe``,
    ``retrieval_recall`` (the share of gold tools described). A truncated episode scores 0.

    ## Starting State
    A task drawn from ``self.np_random`` among the samples of the chosen ranges and split (in
    file order, range after range), or ``reset(options={"task_id": i})``. :meth:`task_info`
    gives its number of calls, BFCL category, round and range.

    ## Episode End
    Single-turn (default): the first turn is the answer and terminates. ``multi_turn``: turns
    with calls are executed on mock APIs; the first turn without calls terminates and every call
    made is scored. ``TimeLimit`` truncates after ``max_episode_steps`` turns (4 at registration).

    ## Arguments
    - ``data_dir`` (str | None): a folder written by ``python -m envs.function_calling.generate``;
      ``None`` uses the small in-memory dataset.
    - ``tools`` (str, default ``"1-10"``): the ranges whose tasks and tools are used, ``"1-50"``
      or ``"1-50,51-100"``; each a round of the manifest or its pretraining range.
    - ``split`` (``"train"`` | ``"test"``, default ``"test"``).
    - ``call_format`` (``"tokens"`` | ``"text"`` | ``"json"`` | ``"hf"``, default ``"json"``).
    - ``multi_turn`` (bool, default False): execute calls and show their results.
    - ``describe`` (``"none"`` | ``"gold"`` | ``"retrieved"``), ``describe_k`` (int, default 5):
      describe the gold tools plus random distractors, or the top ``describe_k`` by
      all-MiniLM-L6-v2 similarity to the request (TokMem's ICL baseline with RAG).
    - ``tool_token`` (str): the token of tool ``i`` is ``tool_token.format(i)``.

    ## Version History
    - v0: initial version.
    """

    def __init__(
        self,
        data_dir: str | None = None,
        tools: str = "1-10",
        split: str = "test",
        call_format: str = "json",
        multi_turn: bool = False,
        describe: str = "none",
        describe_k: int = 5,
        tool_token: str = TOOL_TOKEN,
        render_mode: str | None = None,
    ):
        check_choice("split", split, SPLITS)
        check_choice("call_format", call_format, CALL_FORMATS)
        check_choice("multi_turn", multi_turn, (False, True))
        check_choice("describe", describe, DESCRIBE)
        check_int("describe_k", describe_k, minimum=1)
        if tool_token.count("{}") != 1:
            raise ValueError(f"tool_token={tool_token!r} is not valid; it must hold one '{{}}' for the index")
        self.data_dir = None if data_dir is None else str(data_dir)
        self.study = load_study(self.data_dir)
        self.ranges = parse_ranges(tools, self.study)
        self.split, self.call_format, self.multi_turn = split, call_format, multi_turn
        self.describe, self.describe_k, self.tool_token = describe, describe_k, tool_token
        self.tool_order = self.study.order
        self.offered = tuple(
            name for r in self.study.ranges if r in self.ranges for name in self.study.tools_of[r]
        )
        self.index_of = {name: i for i, name in enumerate(self.tool_order)}
        self.name_of = dict(enumerate(self.tool_order))
        self.samples: list[tuple[tuple[int, int], data.Sample]] = [
            (r, sample) for r in self.ranges for sample in load_samples(self.data_dir, *r, split)
        ]
        if not self.samples:
            raise ValueError(f"tools={tools!r}, split={split!r} has no tasks in data_dir={data_dir!r}")
        self.num_tasks = len(self.samples)
        self.score_names = SCORE_NAMES + (("retrieval_recall",) if describe != "none" else ())
        self.described: list[str] = []
        self._parse_errors = 0
        self._scored: tuple[str, dict[str, float]] | None = None
        runnable = {name: functools.partial(self._run, name) for name in self.offered} if multi_turn else {}
        schemas = _schemas(self.data_dir, self.offered)
        self._retriever = ToolRetriever(schemas) if describe == "retrieved" else None
        super().__init__(runnable, render_mode=render_mode, tool_schemas=list(schemas))

    # ------------------------------------------------------------------ task
    @property
    def sample(self) -> data.Sample:
        return self.samples[self.task_id][1]

    @property
    def gold_calls(self) -> list[tuple[str, dict[str, Any]]]:
        return list(zip(self.sample.tools, self.sample.calls, strict=True))

    def _new_task(self, options: dict[str, Any]) -> tuple[int, str]:
        self.task_id = task_id = self.choose_task_id(options)
        self._parse_errors, self._scored = 0, None
        query = self.sample.query
        if self.describe == "none":
            self.described = []
            return task_id, query
        if self.describe == "gold":
            self.described = self._gold_and_distractors()
        else:
            self.described = self._retriever.top_k(query, self.describe_k)
        lines = [describe_tool(self.study.descriptions[name]) for name in self.described]
        return task_id, "Tools:\n" + "\n".join(lines) + "\n\n" + query

    def _gold_and_distractors(self) -> list[str]:
        # Seeded by the task alone, so a task's prompt is the same in every env copy and run.
        rng = np.random.default_rng(self.task_id)
        gold = list(dict.fromkeys(self.sample.tools))
        others = [name for name in self.offered if name not in gold]
        count = max(0, min(self.describe_k - len(gold), len(others)))
        chosen = gold + [others[i] for i in rng.choice(len(others), size=count, replace=False)]
        return [chosen[i] for i in rng.permutation(len(chosen))]

    def task_info(self) -> dict[str, Any]:
        """The task's number of gold calls, BFCL category, round (0: pretraining) and range."""
        (first, last), sample = self.samples[self.task_id]
        return {
            "calls": len(sample.calls),
            "category": bfcl_category(len(sample.calls), len(set(sample.tools)), len(self.offered)),
            "round": self.study.round_of(first, last),
            "tools_range": _range_key(first, last),
        }

    def gold(self) -> str:
        return render_calls(self.call_format, self.gold_calls, self.index_of, self.tool_token)

    def demonstration(self) -> list[str]:
        return [self.gold(), "Done."] if self.multi_turn else [self.gold()]

    def random_answer(self) -> str:
        # Its own generator, seeded by the task and turn, so playing it never shifts task draws.
        rng = np.random.default_rng([self.task_id, len(self.messages)])
        if self.multi_turn and any(m["role"] == "tool" for m in self.messages):
            return "Done."
        names = [self.offered[i] for i in rng.integers(len(self.offered), size=len(self.sample.calls))]
        calls = [
            (name, _random_arguments(self.study.descriptions[name]["parameters"], rng)) for name in names
        ]
        return render_calls(self.call_format, calls, self.index_of, self.tool_token)

    # ------------------------------------------------------------------ turns
    def parse_tool_calls(self, text: str) -> list[ToolCall]:
        if not self.multi_turn:
            return []
        calls, _ = parse_calls(self.call_format, text, self.name_of, self.tool_token)
        for name, arguments in calls:
            problem = None
            if isinstance(arguments, str):
                problem = (
                    f"a call could not be read (its arguments must be a JSON object): {arguments[:80]!r}"
                )
            elif name is None:
                problem = "a call names no known tool"
            elif name not in self.tools:
                problem = f"{name!r} is not offered here; the tools are in info['tools']"
            if problem:
                self._parse_errors += 1
                raise ToolCallError(
                    f"{problem}. Write calls as {self.call_format!r} shows: {self._example()}"
                )
        return [ToolCall(name, arguments) for name, arguments in calls]

    def _example(self) -> str:
        name = self.offered[0]
        return render_calls(self.call_format, [(name, {"...": "..."})], self.index_of, self.tool_token)

    def _run(self, name: str, /, **arguments: Any) -> str:
        problem = self._invalid(name, arguments)
        if problem:
            self._parse_errors += 1
            raise ToolError(problem)
        return apis.execute(_api(self.data_dir, name), arguments)

    def _invalid(self, name: str, arguments: dict[str, Any]) -> str | None:
        """Why ``arguments`` break ``name``'s JSON Schema, or ``None``."""
        error = best_match(_validator(self.data_dir, name).iter_errors(arguments))
        if error is None:
            return None
        where = "/".join(map(str, error.absolute_path))
        return f"invalid arguments for {name}{' at ' + where if where else ''}: {error.message}"

    def score(self, answer: str) -> float:
        return self.scores(answer)["strict_match"]

    def scores(self, answer: str) -> dict[str, float]:
        if self._scored is None or self._scored[0] != answer:
            self._scored = answer, self._score(answer)
        return dict(self._scored[1])

    def _score(self, answer: str) -> dict[str, float]:
        if self.multi_turn:
            pred = [
                (call["function"]["name"], call["function"]["arguments"])
                for message in self.messages
                for call in message.get("tool_calls", ())
            ]
            errors = self._parse_errors
        else:
            pred, errors = parse_calls(self.call_format, answer, self.name_of, self.tool_token)
            for name, arguments in pred:
                if name is None or isinstance(arguments, str):
                    continue  # already counted by the parser
                if name not in self.study.descriptions or self._invalid(name, arguments):
                    errors += 1
            self._record_calls(pred)
        scores = score_calls(pred, self.gold_calls, errors)
        if self.describe != "none":
            scores["retrieval_recall"] = recall(self.described, self.sample.tools)
        return scores

    def _record_calls(self, pred: list[tuple[str | None, Any]]) -> None:
        """Put the calls read from a single-turn answer on its message as ``tool_calls`` (names,
        not tool tokens or aliases), so the trajectory and its replay show what was called."""
        turn = self.messages[-1] if self.messages else None
        if turn is None or turn["role"] != "assistant":
            return
        turn["tool_calls"] = [
            {"id": f"call_{k}", "type": "function", "function": {"name": name, "arguments": arguments}}
            for k, (name, arguments) in enumerate(pred)
            if name is not None and isinstance(arguments, dict)
        ]


def _random_value(spec: dict[str, Any], rng: np.random.Generator) -> Any:
    """A random value that satisfies ``spec`` (a JSON Schema of one parameter)."""
    if spec.get("enum"):
        return spec["enum"][int(rng.integers(len(spec["enum"])))]
    kind = spec.get("type", "string")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "integer":
        low, high = spec.get("minimum", 0), spec.get("maximum", 100)
        return int(rng.integers(low, high + 1))
    if kind == "number":
        low, high = spec.get("minimum", 0.0), spec.get("maximum", 100.0)
        return round(float(rng.uniform(low, high)), 2)
    if kind == "boolean":
        return bool(rng.integers(2))
    if kind == "array":
        return [_random_value(spec.get("items", {}), rng) for _ in range(int(rng.integers(1, 3)))]
    if kind == "object":
        return {}
    candidates = [
        f"{int(rng.integers(2020, 2027))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
        f"{int(rng.integers(24)):02d}:{int(rng.integers(60)):02d}",
        str(int(rng.integers(10**6))),
    ]
    if spec.get("format") == "date":
        return candidates[0]
    if "pattern" in spec:  # the common shapes a pattern asks for (a time, digits), else a word
        return next((c for c in candidates if re.search(spec["pattern"], c)), WORDS[0])
    return WORDS[int(rng.integers(len(WORDS)))]


def _random_arguments(parameters: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Every required parameter and each optional one with probability 1/2, at random values."""
    required = set(parameters.get("required", ()))
    return {
        name: _random_value(spec, rng)
        for name, spec in parameters.get("properties", {}).items()
        if name in required or rng.random() < 0.5
    }
