"""The base model's pre-training corpus: LLMCompiler plans over other tools than the study's.

TinyAgent starts from TinyLlama, which has read plenty of text but plans poorly (12.71% success).
The from-scratch base here must also know the language of plans without knowing this study's
tools or its ``$k`` dependencies, so that it starts low and LoRA has something to lift: it reads
requests over the function-calling study's synthetic APIs (weather, finance, recipes ...; none of
the 16 desktop tools), with their descriptions in the planner prompt, and writes plans of
independent calls (no ``$k``: those APIs do not feed each other), then the joiner's turn over the
mock APIs' answers.

With ``chain_share``, that share of the requests' later parts takes one of its string values from an
earlier call instead: the request names that call ("the output of get stock price") where the
value was, and the plan writes ``"$k"``, k the number of the line that call is on. That teaches
the reading skill a composed desktop plan needs (which earlier line a value comes from, and its
number) without any desktop tool or any of the desktop's dependency patterns.
"""

from __future__ import annotations

import random

from envs.function_calling.apis import Api, catalogue, execute
from envs.function_calling.data import generate_rows
from envs.tinyagent.plans import format_join, format_plan
from envs.tinyagent.prompt import observation, planner_prompt
from tools.desktop.apps import TOOL_NAMES

_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list"}
_CONNECTORS = (" Also, ", " Then, ", " And ", " After that, ", " Plus, ")
OBSERVATION_CHARS = 160  # the mock APIs answer in JSON; the joiner needs only the start
_REFERENCES = ("the result of {}", "what {} returns", "the output of {}", "the answer from {}")


def describe_api(api: Api) -> str:
    """A description in the planner prompt's shape (``prompt.brief``): the signature."""
    properties = api.parameters["properties"]
    arguments = ", ".join(f"{name}: {_TYPES[spec['type']]}" for name, spec in properties.items())
    return f"{api.name}({arguments}) -> str"


def _lower_first(text: str) -> str:
    return text if text.startswith(("I ", "I'")) else text[:1].lower() + text[1:]


def pretraining_conversations(
    n: int, seed: int = 0, n_apis: int = 320, chain_share: float = 0.0
) -> list[list[dict]]:
    """``n`` conversations: a request over 1-3 APIs (3-11 described), its plan, observations, the joiner.

    Values are fresh for each row (``open_values``), so the base learns to copy them from the request.
    ``chain_share`` of the later parts refer to an earlier call's result (the module's docstring).
    """
    # Two of those APIs share a desktop tool's name (create_calendar_event, create_reminder): out.
    apis = [api for api in catalogue(n_apis, seed) if api.name != "search" and api.name not in TOOL_NAMES]
    by_name = {api.name: api for api in apis}
    rows_of: dict[str, list[dict]] = {}
    for row in generate_rows(apis, samples_per_tool=max(4, n // len(apis) + 1), seed=seed, open_values=True):
        rows_of.setdefault(row["answers"][0]["name"], []).append(row)
    rng = random.Random(f"tinyagent-pretrain:{seed}")
    conversations = []
    for _ in range(n):
        names = rng.sample(sorted(rows_of), rng.choice((1, 1, 2, 2, 3)))
        parts = [rng.choice(rows_of[name]) for name in names]
        query, steps, executed = "", [], []
        for number, row in enumerate(parts):
            text, calls = row["query"], [(a["name"], dict(a["arguments"])) for a in row["answers"]]
            if number and chain_share and rng.random() < chain_share:  # no draw when off
                text = _chain(text, calls[0][1], by_name[calls[0][0]], steps, rng)
            query += (rng.choice(_CONNECTORS) + _lower_first(text)) if number else text
            for name, arguments in calls:
                properties = by_name[name].parameters["properties"]
                steps.append((name, tuple(arguments.get(p) for p in properties)))
                executed.append((name, arguments))
        distractors = [a.name for a in rng.sample(apis, 16) if a.name not in names]
        described = names + distractors[: rng.randint(2, 8)]
        rng.shuffle(described)
        prompt = planner_prompt([describe_api(by_name[name]) for name in described], query)
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": format_plan(steps)}]
        for index, (name, arguments) in enumerate(executed, start=1):
            answer = execute(by_name[name], arguments)[:OBSERVATION_CHARS]
            messages.append({"role": "tool", "content": observation(index, answer)})
        finish = "Here are the results." if len(steps) > 1 else "Here is the result."
        messages.append(
            {"role": "assistant", "content": format_join("I have what the user asked for.", "Finish", finish)}
        )
        conversations.append(messages)
    return conversations


def _chain(text: str, arguments: dict, api: Api, steps: list, rng: random.Random) -> str:
    """``text`` with one of its free-text values replaced by a reference to an earlier step, whose
    ``"$k"`` takes the value's place in ``arguments``; ``text`` as it was when no value is quoted."""
    free = {key for key, spec in api.parameters["properties"].items() if spec == {**spec, "type": "string"}}
    free -= {
        key for key, spec in api.parameters["properties"].items() if {"enum", "format", "pattern"} & set(spec)
    }
    quoted = [key for key, value in arguments.items() if key in free and value and value in text]
    if not quoted:
        return text
    key = rng.choice(quoted)
    k = rng.randrange(len(steps)) + 1
    reference = rng.choice(_REFERENCES).format(steps[k - 1][0].replace("_", " "))
    text = text.replace(arguments[key], reference, 1)
    arguments[key] = f"${k}"
    return text
