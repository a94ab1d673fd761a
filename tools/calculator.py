"""A calculator tool: arithmetic text in, its value rounded to 2 decimals out.

The seed study (TRL's "learning to use a calculator") loaded a hub tool and wrapped it as
``str(round(float(tool(text)), 2))``. Nothing is downloaded here, and ``eval`` is never used: the
text is parsed with Python's ``ast`` and only numbers, ``+ - * /``, parentheses and unary minus
are evaluated. Input length, number length, expression size and every intermediate value are
bounded, so hostile text (``9**9**9**9``, ``__import__('os')``, 10,000-digit numbers) is refused
quickly with a :class:`~tools.base.ToolError` whose message the agent sees.
"""

from __future__ import annotations

import ast
import math
import operator

from tools.base import ToolError

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


class Calculator:
    """Evaluates ``13.1-3`` to ``10.1``; errors (``1/0``, junk) are raised as :class:`ToolError`."""

    def __init__(self, max_chars: int = 100, max_number_chars: int = 20, max_magnitude: float = 1e15):
        self.max_chars = max_chars
        self.max_number_chars = max_number_chars
        self.max_magnitude = max_magnitude

    def __call__(self, expression: str) -> str:
        return format_number(self.evaluate(expression))

    def evaluate(self, text: str) -> float:
        """The value of the arithmetic expression ``text``."""
        text = text.strip()
        if not text:
            raise ToolError("empty expression")
        if len(text) > self.max_chars:
            raise ToolError(f"expression of {len(text)} characters; the limit is {self.max_chars}")
        try:
            tree = ast.parse(text, mode="eval")
        except (SyntaxError, ValueError) as error:
            raise ToolError(
                f"cannot parse {text!r}: {error.msg if isinstance(error, SyntaxError) else error}"
            ) from None
        return self._value(tree.body)

    def _value(self, node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            if len(repr(node.value)) > self.max_number_chars:
                raise ToolError(f"number longer than {self.max_number_chars} digits")
            return self._bounded(float(node.value))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self._value(node.left), self._value(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise ToolError("division by zero")
            return self._bounded(_BINARY[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self._value(node.operand))
        raise ToolError(f"only numbers, + - * / and parentheses are allowed, not {_describe(node)}")

    def _bounded(self, value: float) -> float:
        if not math.isfinite(value) or abs(value) > self.max_magnitude:
            raise ToolError(f"value out of range (magnitude limit {self.max_magnitude:g})")
        return value


def format_number(value: float) -> str:
    """Rounded to 2 decimals as TRL's ``tool_fn``; whole numbers without ``.0`` (``12``,
    ``10.1``, ``-7.9``: TRL's prompt)."""
    rounded = round(value, 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return repr(rounded)


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.Constant):
        return f"the constant {node.value!r}"[:60]
    return f"a {type(node).__name__} expression"
