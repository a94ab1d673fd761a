"""The calculator tool: TRL's arithmetic and rounding, and hostile text refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.base import ToolError
from tools.calculator import Calculator, format_number


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("13.1-3", "10.1"),  # TRL's prompt examples
        ("4*3", "12"),
        ("12.1+1", "13.1"),
        ("12.1-20", "-7.9"),
        ("14 + 34", "48"),
        ("-(2+3)*4", "-20"),
        ("10/4", "2.5"),
        ("2/3", "0.67"),  # rounded to 2 decimals as TRL's tool_fn
        ("0.1+0.2", "0.3"),
        ("-0.001", "0"),
    ],
)
def test_arithmetic_rounded_to_two_decimals(text, answer):
    assert Calculator()(text) == answer


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1/0", "division by zero"),
        ("9**9**9**9", "not the operator Pow"),
        ("__import__('os')", "not a Call expression"),
        ("__import__('os').system('rm -rf /')", "not a Call expression"),
        ("1" * 10_000, "the limit is 100"),
        ("9" * 30, "number longer than 20 digits"),
        ("99999999*99999999*99999999", "value out of range"),
        ("1e308*10", "value out of range"),
        ("abc", "not a Name expression"),
        ("2 +", "cannot parse"),
        ("", "empty expression"),
        ("True+1", "not the constant True"),
        ("(1).__class__", "not a Attribute expression"),
        ("[1, 2]", "not a List expression"),
        ("1 if 1 else 2", "not a IfExp expression"),
    ],
)
def test_hostile_and_junk_input_is_a_tool_error(text, message):
    with pytest.raises(ToolError, match=message.replace("(", r"\(")):
        Calculator()(text)


@settings(max_examples=3000, deadline=None)
@given(st.text(max_size=120) | st.from_regex(r"[0-9+\-*/(). ]{1,60}", fullmatch=True))
def test_random_text_gives_a_bounded_number_or_a_tool_error(text):
    try:
        answer = Calculator()(text)
    except ToolError:
        return
    # An answer is always a number as TRL formats it, inside the magnitude bound.
    assert format_number(float(answer)) == answer and abs(float(answer)) <= 1e15
