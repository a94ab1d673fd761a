"""``toolgym/Calculator-v0``: arithmetic questions, a calculator tool, TRL's text format."""

from __future__ import annotations

import numbers
import re
from typing import Any

import numpy as np

from envs.calculator.tasks import FEW_SHOT_PROMPT, TOOL_NAME, Task, num_tasks, task_from_id
from envs.core import TextEnv, ToolCall, ToolCallError
from tools.calculator import Calculator, format_number

# TRL's TextEnvironment reads the tool call between the last <request> and <call>.
TOOL_CALL = re.compile(r"<request>\s*<([^<>]*)>(.*?)<call>", re.DOTALL)
# TRL's example scores the first "Result=<number><submit>" of the response.
RESULT = re.compile(r"Result\s*=\s*(-?\d+(?:\.\d+)?)\s*<submit>")
REWARDS = ("exact", "shaped")


class CalculatorEnv(TextEnv):
    """Arithmetic questions that a calculator tool answers, in TRL's "learning tools" format.

    ## Description
    The study of TRL's "Learning to use a calculator" (seed 003). The task is ``What is 13 - 3?``
    (a, b in [0, 50), op in + - *). The agent may call the calculator with
    ``<request><SimpleCalculatorTool>13-3<call>``; the env answers ``10<response>``. The final
    turn is ``Result=10<submit>``.

    ## Action Space
    ``Text`` (printable ASCII, up to 4096 characters): one assistant turn. A turn holding ``<call>``
    is a tool call (``<request><ToolName>expression<call>``); any other turn is the final answer.

    ## Observation Space
    ``Text``. After ``reset``: the question (after the seed's few-shot prompt with
    ``few_shot=True``). After a tool call: the tool's answer followed by ``<response>``, or an
    error message (``Error: division by zero<response>``); an unknown tool name or a malformed
    call (``<call>`` without ``<request><Tool>``) is answered as text too, never an exception.

    ## Rewards
    ``reward="exact"`` (TRL's example): 1.0 when the first ``Result=<number><submit>`` is within
    0.01 of the answer, else 0.0. ``reward="shaped"`` (the early prototype): +1 for ``Result =``,
    +1 for ``<submit>``, +10 when correct, divided by 12. Tool calls give 0.

    ## Starting State
    A task drawn uniformly from ``self.np_random``, or ``reset(options={"task_id": i})``.

    ## Episode End
    Terminates on the final answer; truncated after ``max_turns`` assistant turns without one
    (TRL's TextEnvironment ``max_turns``).

    ## Arguments
    - ``decimals`` (bool, default False): operands with one decimal, as in the seed's prompt.
    - ``reward`` (``"exact"`` | ``"shaped"``).
    - ``few_shot`` (bool, default False): prepend the seed's four solved examples to the question.
    - ``max_turns`` (int, default 4): assistant turns before truncation.
    - ``max_tool_response`` (int, default 100): characters of a tool answer kept (TextEnvironment's
      ``max_tool_reponse``).

    ## Version History
    - v0: initial version.
    """

    turn_ends = ("<call>", "<submit>")

    def __init__(
        self,
        decimals: bool = False,
        reward: str = "exact",
        few_shot: bool = False,
        max_turns: int = 4,
        max_tool_response: int = 100,
        render_mode: str | None = None,
    ):
        if reward not in REWARDS:
            raise ValueError(f"reward={reward!r} is not valid; choose one of {', '.join(REWARDS)}")
        for key, value in (("max_turns", max_turns), ("max_tool_response", max_tool_response)):
            if not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{key}={value!r} is not valid; it must be an integer >= 1")
        self.decimals, self.reward, self.few_shot = bool(decimals), reward, bool(few_shot)
        self.max_turns, self.max_tool_response = int(max_turns), int(max_tool_response)
        self.num_tasks = num_tasks(self.decimals)
        self.task: Task | None = None
        self.calculator = Calculator()
        super().__init__({TOOL_NAME: self.calculator}, render_mode=render_mode)

    def _new_task(self, options: dict[str, Any]) -> tuple[int, str]:
        task_id = self.choose_task_id(options)
        self.task = task_from_id(task_id, self.decimals)
        prompt = f"{FEW_SHOT_PROMPT}\n\n{self.task.question}" if self.few_shot else self.task.question
        return task_id, prompt

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = super().step(action)
        turns = sum(m["role"] == "assistant" for m in self.messages)
        if not terminated and turns >= self.max_turns:
            truncated = True
        return observation, reward, terminated, truncated, info

    def parse_tool_call(self, text: str) -> ToolCall | None:
        if "<call>" not in text:
            return None
        match = TOOL_CALL.search(text[: text.index("<call>") + len("<call>")])
        if match is None:
            raise ToolCallError("write a call as <request><ToolName>expression<call>")
        return ToolCall(match.group(1).strip(), match.group(2))

    def _reply(self, name: str, content: str, role: str = "user"):
        # TRL's TextEnvironment cuts the tool's answer and closes it with <response>.
        return super()._reply(name, content[: self.max_tool_response] + "<response>", role)

    def score(self, answer: str) -> float:
        match = RESULT.search(answer)
        correct = match is not None and abs(float(match.group(1)) - self.task.answer) < 0.01
        if self.reward == "exact":
            return float(correct)
        return (("Result =" in answer or "Result=" in answer) + ("<submit>" in answer) + 10 * correct) / 12

    def gold(self) -> str:
        return format_number(self.task.answer)

    def demonstration(self) -> list[str]:
        return [f"<request><{TOOL_NAME}>{self.task.expression}<call>", f"Result={self.gold()}<submit>"]

    def random_answer(self) -> str:
        rng = np.random.default_rng([self.task_id, len(self.messages)])
        return f"Result={format_number(float(rng.integers(-50, 2500)))}<submit>"

    def task_info(self) -> dict[str, str]:
        return {"operator": self.task.op, "expression": self.task.expression}
