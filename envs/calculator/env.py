"""``toolgym/Calculator-v0``: arithmetic questions, a calculator tool, TRL's text format."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from envs.calculator.tasks import FEW_SHOT_PROMPT, TOOL_NAME, Task, num_tasks, task_from_id
from envs.checks import check_choice, check_int
from envs.core import TextEnv, ToolCall, ToolCallError
from tools.calculator import Calculator, format_number

# TRL's TextEnvironment reads the tool call between the last <request> and <call>.
TOOL_CALL = re.compile(r"<request>\s*<([^<>]*)>(.*?)<call>", re.DOTALL)
# TRL's example scores the first "Result=<number><submit>" of the response. ASCII digits only:
# \d would also take Arabic-Indic or fullwidth digits, which float() reads as numbers.
RESULT = re.compile(r"Result\s*=\s*(-?[0-9]+(?:\.[0-9]+)?)\s*<submit>")
TOOL_SCHEMA = {
    "type": "function",
    "function": {
        "name": TOOL_NAME,
        "description": "Evaluate an arithmetic expression (numbers, + - * /, parentheses); "
        "the value rounded to 2 decimals.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "e.g. 13-3"}},
            "required": ["expression"],
        },
    },
}
REWARDS = ("exact", "shaped")


class CalculatorEnv(TextEnv):
    """Arithmetic questions that a calculator tool answers, in TRL's "learning tools" format.

    ## Description
    The study of TRL's "Learning to use a calculator". The task is ``What is 13 - 3?``
    (a, b in [0, 50), op in + - *). The agent may call the calculator with
    ``<request><SimpleCalculatorTool>13-3<call>``; the env answers ``10<response>``. The final
    turn is ``Result=10<submit>``.

    ## Action Space
    ``UnicodeText`` (printable Unicode, up to 4096 characters): one assistant turn. A turn holding ``<call>``
    is a tool call (``<request><ToolName>expression<call>``); any other turn is the final answer.

    ## Observation Space
    ``UnicodeText``. After ``reset``: the question (after TRL's few-shot prompt with
    ``few_shot=True``). After a tool call: the tool's answer followed by ``<response>``, or an
    error message (``Error: division by zero<response>``); an unknown tool name or a malformed
    call (``<call>`` without ``<request><Tool>``) is answered as text too, never an exception.

    ## Rewards
    ``reward="exact"`` (TRL's example): 1.0 when the first ``Result=<number><submit>`` is within
    0.01 of the answer, else 0.0. ``reward="shaped"`` (the early prototype): +1 for ``Result =``,
    +1 for ``<submit>``, +10 when correct, divided by 12. Tool calls give 0. Scores, whatever the
    reward: ``{"correct": 1.0}`` when the result is within 0.01 (0 for a truncated episode).

    ## Starting State
    A task drawn uniformly from ``self.np_random``, or ``reset(options={"task_id": i})``.

    ## Episode End
    Terminates on the final answer. Truncated by ``TimeLimit`` after ``max_episode_steps``
    assistant turns (4 at registration, TRL's TextEnvironment ``max_turns``; pass
    ``gym.make(..., max_episode_steps=n)`` to change it).

    ## Arguments
    - ``decimals`` (bool, default False): operands with one decimal, as in TRL's prompt.
    - ``reward`` (``"exact"`` | ``"shaped"``).
    - ``few_shot`` (bool, default False): prepend TRL's four solved examples to the question.
    - ``max_tool_response`` (int, default 100): characters of a tool answer kept (TextEnvironment's
      ``max_tool_reponse``).

    ## Version History
    - v0: initial version.
    """

    turn_ends = ("<call>", "<submit>")
    score_names = ("correct",)

    def __init__(
        self,
        decimals: bool = False,
        reward: str = "exact",
        few_shot: bool = False,
        max_tool_response: int = 100,
        render_mode: str | None = None,
    ):
        check_choice("reward", reward, REWARDS)
        check_int("max_tool_response", max_tool_response, minimum=1)
        self.decimals, self.reward, self.few_shot = bool(decimals), reward, bool(few_shot)
        self.max_tool_response = int(max_tool_response)
        self.num_tasks = num_tasks(self.decimals)
        self.task: Task | None = None
        self.calculator = Calculator()
        super().__init__({TOOL_NAME: self.calculator}, render_mode=render_mode, tool_schemas=[TOOL_SCHEMA])

    def _new_task(self, options: dict[str, Any]) -> tuple[int, str]:
        task_id = self.choose_task_id(options)
        self.task = task_from_id(task_id, self.decimals)
        prompt = f"{FEW_SHOT_PROMPT}\n\n{self.task.question}" if self.few_shot else self.task.question
        return task_id, prompt

    def parse_tool_calls(self, text: str) -> list[ToolCall]:
        # One call per turn: TextEnvironment stops generating at the first <call>.
        if "<call>" not in text:
            return []
        match = TOOL_CALL.search(text[: text.index("<call>") + len("<call>")])
        if match is None:
            raise ToolCallError("write a call as <request><ToolName>expression<call>")
        return [ToolCall(match.group(1).strip(), {"expression": match.group(2)})]

    def format_answer(self, content: str) -> str:
        # TRL's TextEnvironment cuts the tool's answer and closes it with <response>.
        return content[: self.max_tool_response] + "<response>"

    def score(self, answer: str) -> float:
        correct = self._correct(answer)
        if self.reward == "exact":
            return float(correct)
        return (("Result =" in answer or "Result=" in answer) + ("<submit>" in answer) + 10 * correct) / 12

    def scores(self, answer: str) -> dict[str, float]:
        return {"correct": float(self._correct(answer))}

    def _correct(self, answer: str) -> bool:
        match = RESULT.search(answer)
        return match is not None and abs(float(match.group(1)) - self.task.answer) < 0.01

    def gold(self) -> str:
        return format_number(self.task.answer)

    def demonstration(self) -> list[str]:
        return [f"<request><{TOOL_NAME}>{self.task.expression}<call>", f"Result={self.gold()}<submit>"]

    def random_answer(self) -> str:
        rng = np.random.default_rng([self.task_id, len(self.messages)])
        return f"Result={format_number(float(rng.integers(-50, 2500)))}<submit>"

    def task_info(self) -> dict[str, str]:
        return {"operator": self.task.op, "expression": self.task.expression}
