"""The base model's pre-training corpus: LLMCompiler plans over other tools than the study's.

TinyAgent starts from TinyLlama, which has read plenty of text but plans poorly (12.71% success).
The from-scratch base here must also know the language of plans without knowing this study's
tools or its ``$k`` dependencies, so that it starts low and LoRA has something to lift: it reads
requests over the function-calling study's synthetic APIs (weather, finance, recipes ...; none of
the 16 desktop tools), with their descriptions in the planner prompt, and writes plans of
independent calls (no ``$k``: those APIs do not feed each other), then the joiner's turn over the
mock APIs' answers.
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


def describe_api(api: Api) -> str:
    """A description in the planner prompt's shape (``prompt.brief``): the signature."""
    properties = api.parameters["properties"]
    arguments = ", ".join(f"{name}: {_TYPES[spec['type']]}" for name, spec in properties.items())
    return f"{api.name}({arguments}) -> str"


def _lower_first(text: str) -> str:
    return text if text.startswith(("I ", "I'")) else text[:1].lower() + text[1:]


def pretraining_conversations(n: int, seed: int = 0, n_apis: int = 320) -> list[list[dict]]:
    """``n`` conversations: a request over 1-3 APIs (3-11 described), its plan, observations, the joiner.

    Values are fresh for each row (``open_values``), so the base learns to copy them from the request.
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
        query = parts[0]["query"]
        for row in parts[1:]:
            query += rng.choice(_CONNECTORS) + _lower_first(row["query"])
        steps = []
        for row in parts:
            for answer in row["answers"]:
                properties = by_name[answer["name"]].parameters["properties"]
                steps.append((answer["name"], tuple(answer["arguments"].get(p) for p in properties)))
        distractors = [a.name for a in rng.sample(apis, 16) if a.name not in names]
        described = names + distractors[: rng.randint(2, 8)]
        rng.shuffle(described)
        prompt = planner_prompt([describe_api(by_name[name]) for name in described], query)
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": format_plan(steps)}]
        for index, row_answer in enumerate((a for row in parts for a in row["answers"]), start=1):
            answer = execute(by_name[row_answer["name"]], row_answer["arguments"])[:OBSERVATION_CHARS]
            messages.append({"role": "tool", "content": observation(index, answer)})
        finish = "Here are the results." if len(steps) > 1 else "Here is the result."
        messages.append(
            {"role": "assistant", "content": format_join("I have what the user asked for.", "Finish", finish)}
        )
        conversations.append(messages)
    return conversations
