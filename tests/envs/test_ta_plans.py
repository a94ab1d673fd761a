"""LLMCompiler's plan grammar, the joiner's answers, execution by waves, and TinyAgent's plan scores."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from envs.tinyagent.metrics import dag_success, edge_f1, node_f1
from envs.tinyagent.plans import (
    END_OF_PLAN,
    MAX_STEPS,
    JoinStep,
    Plan,
    PlanError,
    Step,
    doomed_join_prefix,
    doomed_prefix,
    execute,
    format_join,
    format_plan,
    make_plan,
    parse_join,
    parse_plan,
    substitute,
    to_graph,
)
from tools.base import ToolError

TOOLS = (
    "get_phone_number",
    "get_email_address",
    "create_calendar_event",
    "open_and_get_file_path",
    "summarize_pdf",
    "compose_new_email",
    "send_sms",
    "get_zoom_meeting_link",
    "maps_open_location",
)
# TinyAgent's in-context example (src/tiny_agent/prompts.py).
EXAMPLE = (
    '1. get_email_address("Eren Erdoğan")\n'
    '2. get_zoom_meeting_link("Apple Meeting", "2022-10-14 15:00:00", 60, ["$1"])\n'
    '3. create_calendar_event("Apple Meeting", "2022-10-14 15:00:00", "2022-10-14 16:00:00", "$2", [], "", '
    "None)\n"
    "Thought: I have succesfully created the calendar event.\n"
    f"4. join(){END_OF_PLAN}"
)


def plan(*calls) -> Plan:
    return make_plan(list(calls))


def pairs(p: Plan) -> list[tuple[str, tuple]]:
    return [(step.tool, step.args) for step in p.calls()]


# --- parse_plan / format_plan ---------------------------------------------------------------


def test_tinyagent_example_parses_with_its_dependencies():
    p = parse_plan(EXAMPLE, TOOLS)
    assert [(s.index, s.tool, s.deps) for s in p.steps] == [
        (1, "get_email_address", ()),
        (2, "get_zoom_meeting_link", (1,)),
        (3, "create_calendar_event", (2,)),
        (4, "join", ()),
    ]
    assert p.steps[1].args == ("Apple Meeting", "2022-10-14 15:00:00", 60, ["$1"])
    assert p.steps[2].args[-3:] == ([], "", None)
    assert p.steps[3].thought == "I have succesfully created the calendar event."
    assert [s.tool for s in p.calls()] == [
        "get_email_address",
        "get_zoom_meeting_link",
        "create_calendar_event",
    ]
    assert format_plan(pairs(p), [s.thought for s in p.steps]) == EXAMPLE


def test_format_parse_round_trip_of_awkward_values():
    values = [
        'quote " and \\ backslash',
        "new\nline\ttab\r\x00\x1b",
        "Zoë Søren Eren Erdoğan 東京 🙂",
        "line\u2028separator\x85nel",
        "lone \udc80 surrogate",
        "\ufffd replacement",
        "'single' quotes",
        "${1} inside text",
        None,
        True,
        False,
        0,
        -7,
        2**63,
        1.5,
        -0.0,
        1e16,
        [],
        [["nested", [1, [2]]], {"k": ["$1"]}],
        {"a": None, "b": {"c": [True]}},
    ]
    calls = [("get_phone_number", ["Zoë"]), ("send_sms", values)]
    thoughts = ["  find her number  ", "", "done"]
    text = format_plan(calls, thoughts)
    assert text.endswith(f"3. join(){END_OF_PLAN}")
    p = parse_plan(text, TOOLS)
    assert pairs(p) == [(tool, tuple(args)) for tool, args in calls]
    assert [s.thought for s in p.steps] == ["find her number", "", "done"]
    assert p.steps[1].deps == (1,)
    assert format_plan(pairs(p), [s.thought for s in p.steps]) == text


def test_format_writes_the_canonical_text():
    text = format_plan([("send_sms", [["+1 415 555 0123"], "Hi 'José'", 3, None, True])])
    assert text == f'1. send_sms(["+1 415 555 0123"], "Hi \'José\'", 3, None, True)\n2. join(){END_OF_PLAN}'
    assert format_plan([]) == f"1. join(){END_OF_PLAN}"


def test_parse_accepts_thoughts_blank_lines_single_quotes_and_ignores_text_after_the_end():
    text = (
        "\nThought: look her up\n\n1. get_email_address('Zoë')\n"
        f"2. compose_new_email(['${{1}}'], [], 'Hi', 'Lunch?', [],)\n3. join(){END_OF_PLAN}\nchatter 4. x("
    )
    p = parse_plan(text, TOOLS)
    assert p.steps[0].thought == "look her up"
    assert p.steps[1].args == (["${1}"], [], "Hi", "Lunch?", []) and p.steps[1].deps == (1,)


def test_references_anywhere_in_the_arguments_are_dependencies():
    p = plan(
        ("get_email_address", ["A"]),
        ("get_email_address", ["B"]),
        ("get_phone_number", ["C"]),
        ("compose_new_email", [["$1", "${2}"], [], "s", "see $3 and $3, not $ or $x", []]),
        ("send_sms", [[], {"$1": "$2"}]),
    )
    assert p.steps[3].deps == (1, 2, 3)
    assert p.steps[4].deps == (1, 2)
    assert p.steps[-1].deps == ()


def _hostile() -> dict[str, str]:
    join = f"join(){END_OF_PLAN}"
    return {
        "self reference": f'1. send_sms([], "$1")\n2. {join}',
        "later step": f'1. send_sms([], "$2")\n2. get_phone_number("a")\n3. {join}',
        "$3 in step 2": (
            f'1. get_phone_number("a")\n2. send_sms(["$3"], "x")\n3. get_phone_number("b")\n4. {join}'
        ),
        "$99": f'1. get_phone_number("a")\n2. send_sms(["$99"], "x")\n3. {join}',
        "$0": f'1. get_phone_number("a")\n2. send_sms(["$0"], "x")\n3. {join}',
        "cycle": f'1. send_sms([], "$2")\n2. send_sms([], "$1")\n3. {join}',
        "huge reference": f'1. send_sms([], "${"9" * 5000}")\n2. {join}',
        "code": f"1. send_sms(__import__('os').system('x'), \"\")\n2. {join}",
        "escaping the call": f"1. send_sms(1), __import__('os').system('x')\n2. {join}",
        "call of a call": f"1. send_sms(1)(2)\n2. {join}",
        "lambda": f"1. send_sms(lambda: 1)\n2. {join}",
        "f-string": f'1. send_sms(f"{{1}}")\n2. {join}',
        "walrus": f"1. send_sms((x := 1))\n2. {join}",
        "name": f"1. send_sms(os)\n2. {join}",
        "10,000-deep nesting": "1. send_sms(" + "[" * 10_000 + "]" * 10_000 + f")\n2. {join}",
        "7,000-deep nesting": "1. send_sms(" + "[" * 7_000 + "]" * 7_000 + f")\n2. {join}",
        "9-deep nesting": "1. send_sms(" + "[" * 9 + "]" * 9 + f")\n2. {join}",
        "deep unary": "1. send_sms(" + "-" * 7_000 + f"1)\n2. {join}",
        "deep not": "1. send_sms(" + "not " * 3_000 + f"1)\n2. {join}",
        "long sum": "1. send_sms([" + "+".join(["1"] * 5_000) + f"])\n2. {join}",
        "1 MB text": '1. send_sms([], "' + "x" * 1_000_000 + f'")\n2. {join}',
        "5,000-digit int": "1. send_sms(" + "9" * 5_000 + f")\n2. {join}",
        "65-bit int": f"1. send_sms({2**65})\n2. {join}",
        "inf": f"1. send_sms(1e999)\n2. {join}",
        "bytes": f'1. send_sms(b"x")\n2. {join}',
        "set": f"1. send_sms({{1, 2}})\n2. {join}",
        "tuple": f"1. send_sms((1, 2))\n2. {join}",
        "int dict key": f"1. send_sms({{1: 2}})\n2. {join}",
        "lone surrogate": f'1. send_sms("\udc80")\n2. {join}',
        "NUL byte": f"1. send_sms(\x00)\n2. {join}",
        "keyword": f'1. send_sms(recipients=[], message="x")\n2. {join}',
        "** keywords": f'1. send_sms(**{{"a": 1}})\n2. {join}',
        "starred": f"1. send_sms(*[1])\n2. {join}",
        "missing join": '1. get_phone_number("a")\n2. send_sms(["$1"], "x")',
        "join without end": '1. get_phone_number("a")\n2. join()',
        "end on the next line": f'1. get_phone_number("a")\n2. join()\n{END_OF_PLAN}',
        "space before end": f'1. get_phone_number("a")\n2. join() {END_OF_PLAN}',
        "join first": f'1. join()\n2. get_phone_number("a"){END_OF_PLAN}',
        "join with args": f'1. get_phone_number("a")\n2. join(1){END_OF_PLAN}',
        "end without join": f'1. get_phone_number("a"){END_OF_PLAN}',
        "empty": "",
        "only whitespace": " \n\t\n",
        "prose": "Sure! Here is the plan.",
        "numbered from 0": f'0. get_phone_number("a")\n1. {join}',
        "skipped number": f'1. get_phone_number("a")\n3. {join}',
        "repeated number": f'1. get_phone_number("a")\n1. get_phone_number("b")\n2. {join}',
        "Arabic-Indic number": f'\u0661. get_phone_number("a")\n2. {join}',
        "unknown tool": f'1. send_email("a")\n2. {join}',
        "no space after dot": f'1.get_phone_number("a")\n2. {join}',
        "trailing text": f'1. get_phone_number("a") # note\n2. {join}',
        "unclosed string": f'1. get_phone_number("a)\n2. {join}',
        "two thoughts": f'Thought: a\nThought: b\n1. get_phone_number("a")\n2. {join}',
        "too many steps": "".join(f'{i}. get_phone_number("a")\n' for i in range(1, MAX_STEPS + 2))
        + f"{MAX_STEPS + 2}. {join}",
        "replacement characters": f"1. get_phone_number(\ufffd\ufffd)\n2. {join}",
    }


@pytest.mark.parametrize("name", list(_hostile()))
def test_hostile_plans_are_plan_errors(name):
    with pytest.raises(PlanError) as error:
        parse_plan(_hostile()[name], TOOLS)
    assert 0 < len(str(error.value)) < 400


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("self reference", "itself"),
        ("$3 in step 2", "refers to $3, a later step"),
        ("$99", "a later step"),
        ("cycle", "a later step"),
        ("keyword", "keyword arguments (recipients=, message=)"),
        ("code", "not a Python literal"),
        ("missing join", "must end with '3. join()<END_OF_PLAN>'"),
        ("join without end", "followed at once by <END_OF_PLAN>"),
        ("1 MB text", "at most 16,000"),
        ("9-deep nesting", "deeper than 8"),
        ("unknown tool", "unknown tool 'send_email'"),
        ("too many steps", f"more than {MAX_STEPS} calls"),
        ("skipped number", "step number '3' should be 2"),
    ],
)
def test_plan_errors_say_what_is_wrong(name, expected):
    with pytest.raises(PlanError) as error:
        parse_plan(_hostile()[name], TOOLS)
    assert expected in str(error.value)


def test_unknown_tool_suggests_the_closest():
    with pytest.raises(PlanError, match="did you mean 'get_email_address'"):
        parse_plan(f'1. get_email_adress("a")\n2. join(){END_OF_PLAN}', TOOLS)


def test_a_plan_with_only_join_is_valid_and_non_text_is_refused():
    assert parse_plan(f"1. join(){END_OF_PLAN}", TOOLS).calls() == ()
    with pytest.raises(PlanError, match="not bytes"):
        parse_plan(EXAMPLE.encode(), TOOLS)


def test_undecodable_bytes_are_plan_errors_outside_strings_and_text_inside():
    raw = b"1. get_phone_number(\xff\xfe)\n2. join()<END_OF_PLAN>"
    for errors in ("replace", "surrogateescape"):
        with pytest.raises(PlanError):
            parse_plan(raw.decode("utf-8", errors=errors), TOOLS)
    quoted = b'1. get_phone_number("Zo\xeb")\n2. join()<END_OF_PLAN>'
    assert parse_plan(quoted.decode("utf-8", errors="replace"), TOOLS).steps[0].args == ("Zo\ufffd",)
    with pytest.raises(PlanError):
        parse_plan(quoted.decode("utf-8", errors="surrogateescape"), TOOLS)


def test_mutated_plans_raise_only_plan_errors():
    # Random deletions, insertions and swaps of the example: a Plan or a PlanError, nothing else.
    rng = random.Random("ta-plans-fuzz")
    alphabet = "()[]{}\"',.$\\:=\n 0123456789abc_#<>\x00\udc80"
    for _ in range(300):
        chars = list(EXAMPLE)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars))
            action = rng.random()
            if action < 0.4:
                del chars[at]
            elif action < 0.8:
                chars.insert(at, rng.choice(alphabet))
            else:
                chars[at] = rng.choice(alphabet)
        try:
            assert isinstance(parse_plan("".join(chars), TOOLS), Plan)
        except PlanError:
            pass


def test_no_prefix_of_a_valid_plan_is_doomed():
    for text in (EXAMPLE, "Thought: first the address.\n" + EXAMPLE, "\n\n" + EXAMPLE):
        assert isinstance(parse_plan(text, TOOLS), Plan)
        assert not any(doomed_prefix(text[:k], TOOLS) for k in range(len(text) + 1))


@pytest.mark.parametrize(
    ("prefix", "doomed"),
    [
        ('1. get_phone_number("Ana")\n2. get_phone_n', False),  # the line being written: no head yet
        ('1. get_phone_number("Ana")\n2. send_sms(', False),  # its head is right
        ("1. get_trending_hashtags(", True),  # its head calls an unknown tool, whatever follows
        ('1. get_trending_hashtags(["zq", "2021-06-09", "20', True),  # a line that never ends
        ("1. join(", False),
        ('1. get_phone_number("Ana")\n3. send_sms([], "x")\n', True),  # numbering
        ("1. get_trending_hashtags()\n", True),  # an unknown tool
        ('1. get_phone_number("Ana"\n', True),  # an unclosed call
        ("1. get_phone_number(name='Ana')\n", True),  # a keyword argument
        ("Sure! Here is the plan:\n", True),
        ("Thought: a\nThought: b\n", True),
        ('1. get_phone_number("$9")\n', False),  # references are checked at join()
        ("1. join()\n", True),  # join() must be followed at once by the end
        (f"1. join(){END_OF_PLAN}\nanything\n", False),  # ended: the turn is over
    ],
)
def test_doomed_prefix_judges_complete_lines_and_the_head_of_the_last(prefix, doomed):
    assert doomed_prefix(prefix, TOOLS) is doomed


def test_a_doomed_prefix_gets_the_whole_plans_error():
    # The promise an agent relies on when it stops writing: whatever would have followed, the cut
    # plan is refused with the error the whole plan gets.
    rng = random.Random("ta-doomed")
    lines = [*EXAMPLE.split("\n"), "1. send_sms([], 'x')", "oops", "2. nope()", "Thought: t", "", "5. join()"]
    lines += ['1. nope(["zq", "2021', '2. send_sms(["$1"], "x"']  # lines that never close
    doomed = 0
    for _ in range(400):
        text = "\n".join(rng.choice(lines) for _ in range(rng.randint(1, 7)))
        cut = next((k for k in range(len(text) + 1) if doomed_prefix(text[:k], TOOLS)), None)
        if cut is not None:
            doomed += 1
            assert plan_error(text[:cut]) == plan_error(text) is not None
            assert plan_error(text[: cut + 5]) == plan_error(text)  # a token may run past the newline
    assert doomed > 100


@pytest.mark.parametrize(
    ("prefix", "doomed"),
    [
        ("Thought: done.\nAction: Finish(Task completed!)", False),
        ("Thought: done.\nAction: Fin", False),  # the Action is judged at the end
        ("Action: Finish(x)\n\n  \n", False),  # blank lines may follow
        ("Action: Finish(x)\n1. create_note(", False),  # the line being written is not judged
        ("Action: Finish(x)\n1. create_note(\n", True),  # nothing may follow the Action line
        ("Thought: a\nThought: b\n", True),
        ('1. get_phone_number("Ana")\n', True),  # neither Thought nor Action
    ],
)
def test_doomed_join_prefix_judges_complete_lines(prefix, doomed):
    assert doomed_join_prefix(prefix) is doomed


def test_a_doomed_joiner_prefix_gets_the_whole_answers_error():
    rng = random.Random("ta-doomed-join")
    lines = ["Thought: done.", "Action: Finish(Task completed!)", "Action: Replan", "Action: Fnish(x)"]
    lines += ["", "  ", "- so the task is complete.", '1. create_note("a", "$1", "")', "Thought: again"]
    doomed = 0
    for _ in range(400):
        text = "\n".join(rng.choice(lines) for _ in range(rng.randint(1, 6)))
        cut = next((k for k in range(len(text) + 1) if doomed_join_prefix(text[:k])), None)
        if cut is not None:
            doomed += 1
            assert join_error(text[:cut]) == join_error(text) is not None
            assert join_error(text[: cut + 5]) == join_error(text)  # a token may run past the newline
    assert doomed > 100
    valid = format_join("all done", "Finish", "Task completed!")
    assert not any(doomed_join_prefix(valid[:k]) for k in range(len(valid) + 1))


def join_error(text: str) -> str | None:
    try:
        parse_join(text)
    except PlanError as error:
        return str(error)
    return None


def plan_error(text: str) -> str | None:
    try:
        parse_plan(text, TOOLS)
    except PlanError as error:
        return str(error)
    return None


@pytest.mark.parametrize(
    ("calls", "thoughts", "expected"),
    [
        ([("join", [])], None, "join() may only be the last step"),
        ([("bad name", [])], None, "is not a tool name"),
        ([("send_sms", "text")], None, "must be a list or tuple"),
        ([("send_sms", [("a", "b")])], None, "is a tuple"),
        ([("send_sms", [float("nan")])], None, "not a finite number"),
        ([("send_sms", [f"x{END_OF_PLAN}"])], None, "may not contain"),
        ([("send_sms", [])], ["only one"], "one thought per call plus one"),
        ([("send_sms", [])], ["two\nlines", ""], "one line"),
        ([("send_sms", ["$1"])], None, "itself"),
        ([("send_sms", ["x" * 20_000])], None, "at most 16,000"),
        ("1. send_sms()", None, "sequence of (tool, args) pairs"),
        ([("send_sms",)], None, "(tool, args) pair"),
    ],
)
def test_format_plan_refuses_what_it_cannot_write(calls, thoughts, expected):
    with pytest.raises(PlanError) as error:
        format_plan(calls, thoughts)
    assert expected in str(error.value)


def test_cyclic_python_values_are_refused_not_recursed():
    loop: list = []
    loop.append(loop)
    with pytest.raises(PlanError, match="deeper than 8"):
        make_plan([("send_sms", [loop])])


# --- substitute / execute -------------------------------------------------------------------


def test_substitute_replaces_references_in_strings_lists_and_dicts():
    results = {1: "zoe@example.com", 2: r"a $1 \1 \g<0> result", 12: "twelve"}
    assert substitute("$1", results) == "zoe@example.com"
    assert substitute("to ${1} and $12.", results) == "to zoe@example.com and twelve."
    assert substitute(["$1", "${2}", 3, None], results) == [
        "zoe@example.com",
        r"a $1 \1 \g<0> result",
        3,
        None,
    ]
    assert substitute({"k": ["$1"]}, results) == {"k": ["zoe@example.com"]}
    assert substitute("costs $ 5", results) == "costs $ 5"
    with pytest.raises(PlanError, match="no result"):
        substitute("$3", results)


def test_execute_runs_waves_in_order_and_substitutes():
    p = plan(
        ("get_email_address", ["Zoë"]),  # wave 1
        ("open_and_get_file_path", ["Budget"]),  # wave 1
        ("summarize_pdf", ["$2"]),  # wave 2
        ("compose_new_email", [["$1"], [], "Budget", "$3", ["$2"]]),  # wave 3
        ("get_phone_number", ["Søren"]),  # wave 1
        ("send_sms", [["$5"], "Sent: ${4}"]),  # wave 4
    )
    seen = []

    def call(name, args):
        seen.append((name, args))
        return f"<{name}>"

    out = execute(p, call)
    assert [name for name, _ in seen] == [
        "get_email_address",
        "open_and_get_file_path",
        "get_phone_number",
        "summarize_pdf",
        "compose_new_email",
        "send_sms",
    ]
    assert seen[3][1] == ["<open_and_get_file_path>"]
    assert seen[4][1] == [
        ["<get_email_address>"],
        [],
        "Budget",
        "<summarize_pdf>",
        ["<open_and_get_file_path>"],
    ]
    assert seen[5][1] == [["<get_phone_number>"], "Sent: <compose_new_email>"]
    assert [step.index for step, _ in out] == [1, 2, 3, 4, 5, 6]
    assert all(isinstance(step, Step) and obs == f"<{step.tool}>" for step, obs in out)


def test_execute_turns_tool_errors_into_observations():
    p = plan(("summarize_pdf", ["x.pdf"]), ("send_sms", [[], "$1"]))

    def call(name, args):
        if name == "summarize_pdf":
            raise ToolError("summarize_pdf: open the file first")
        return f"sent {args[1]}"

    out = execute(p, call)
    assert out[0][1] == "Error: summarize_pdf: open the file first"
    assert out[1][1] == "sent Error: summarize_pdf: open the file first"
    assert execute(make_plan([]), call) == []


def test_execute_lets_other_exceptions_through():
    def call(name, args):
        raise KeyError("a bug in the tool")

    with pytest.raises(KeyError):
        execute(plan(("send_sms", [[], "x"])), call)


# --- to_graph / metrics ---------------------------------------------------------------------


def test_to_graph_draws_tinyagents_graph():
    graph = to_graph(parse_plan(EXAMPLE, TOOLS))
    assert list(graph.nodes) == [
        "1: get_email_address",
        "2: get_zoom_meeting_link",
        "3: create_calendar_event",
        "4: join",
    ]
    assert set(graph.edges) == {
        ("1: get_email_address", "2: get_zoom_meeting_link"),
        ("2: get_zoom_meeting_link", "3: create_calendar_event"),
    }
    node = graph.nodes["2: get_zoom_meeting_link"]
    assert node["tool_name"] == "get_zoom_meeting_link"
    assert node["tool_args"] == ["Apple Meeting", "2022-10-14 15:00:00", 60, ["$1"]]
    assert graph.degree("4: join") == 0
    assert nx.is_directed_acyclic_graph(graph)


MEETING = [
    ("get_email_address", ["A"]),
    ("get_email_address", ["B"]),
    ("get_zoom_meeting_link", ["T", "2024-01-01 10:00:00", 30, ["$1", "$2"]]),
    ("create_calendar_event", ["T", "s", "e", "$3", ["$1", "$2"], "", None]),
    ("get_phone_number", ["C"]),
    ("send_sms", [["$5"], "link: $3"]),
]


def test_dag_success_ignores_numbering_order_of_parallel_steps_and_args():
    gold = make_plan(MEETING)
    reordered = plan(
        ("get_phone_number", ["someone else"]),
        ("get_email_address", ["B"]),
        ("get_email_address", ["A"]),
        ("get_zoom_meeting_link", ["other topic", "x", 90, ["${3}", "$2"]]),
        ("send_sms", [["$1"], "$4"]),
        ("create_calendar_event", ["U", "s", "e", "$4", ["$2", "$3"], "notes", "Work"]),
    )
    assert dag_success(gold, gold) == 1.0
    assert dag_success(reordered, gold) == 1.0
    assert dag_success(gold, reordered) == 1.0


@pytest.mark.parametrize(
    "change",
    [
        "missing dependency",
        "extra dependency",
        "other tool",
        "missing step",
        "extra step",
        "dependency on the wrong parent",
    ],
)
def test_dag_success_is_zero_when_the_dag_differs(change):
    calls = [list(call) for call in MEETING]
    if change == "missing dependency":
        calls[5] = ["send_sms", [["$5"], "link: none"]]
    elif change == "extra dependency":
        calls[4] = ["get_phone_number", ["$1"]]
    elif change == "other tool":
        calls[4] = ["get_email_address", ["C"]]
    elif change == "missing step":
        calls = calls[:5]
    elif change == "extra step":
        calls.append(["maps_open_location", ["Park"]])
    else:
        # Same tools and edge count, but the sms waits on the calendar event instead of the link.
        calls[5] = ["send_sms", [["$5"], "link: $4"]]
    assert dag_success(make_plan([tuple(c) for c in calls]), make_plan(MEETING)) == 0.0


def test_dag_success_compares_the_nested_dependency_trees():
    # Same tools, same degrees, same shape (two 2-node chains), but the parents are swapped.
    gold = plan(
        ("get_email_address", ["A"]),
        ("get_phone_number", ["B"]),
        ("compose_new_email", [["$1"]]),
        ("send_sms", [["$2"]]),
    )
    swapped = plan(
        ("get_email_address", ["A"]),
        ("get_phone_number", ["B"]),
        ("compose_new_email", [["$2"]]),
        ("send_sms", [["$1"]]),
    )
    assert node_f1(swapped, gold) == (1.0, 1.0, 1.0)
    assert dag_success(swapped, gold) == 0.0
    assert dag_success(gold, gold) == 1.0


def test_a_reference_counts_once_per_step():
    # TinyAgent counts one entry per argument holding a reference; here a dependency is an edge.
    once = plan(("get_phone_number", ["A"]), ("send_sms", [["$1"], "hi"]))
    twice = plan(("get_phone_number", ["A"]), ("send_sms", [["$1"], "your number is $1"]))
    assert dag_success(once, twice) == 1.0


def test_dag_success_on_large_symmetric_plans_is_fast():
    wide = plan(*[("get_phone_number", [str(i)]) for i in range(MAX_STEPS)])
    almost = plan(
        *[("get_phone_number", [str(i)]) for i in range(MAX_STEPS - 1)], ("get_email_address", ["x"])
    )
    chain = plan(
        ("get_phone_number", ["a"]), *[("send_sms", [[f"${i}"], f"${i}"]) for i in range(1, MAX_STEPS)]
    )
    assert dag_success(wide, wide) == 1.0
    assert dag_success(wide, almost) == 0.0
    assert dag_success(chain, chain) == 1.0
    assert dag_success(chain, wide) == 0.0


def test_node_and_edge_f1():
    gold = make_plan(MEETING)
    assert node_f1(gold, gold) == (1.0, 1.0, 1.0)
    assert edge_f1(gold, gold) == (1.0, 1.0, 1.0)
    pred = plan(("get_email_address", ["A"]), ("compose_new_email", [["$1"], [], "s", "c", []]))
    # Calls: gold {email x2, zoom, calendar, phone, sms}, pred {email, compose}: 1 hit.
    precision, recall, f1 = node_f1(pred, gold)
    assert (precision, recall) == (0.5, 1 / 6) and f1 == pytest.approx(0.25)
    # Edges: gold has email->zoom x2, email->calendar x2, zoom->calendar, phone->sms, zoom->sms.
    assert edge_f1(pred, gold) == (0.0, 0.0, 0.0)
    pred = plan(("get_email_address", ["A"]), ("get_zoom_meeting_link", ["T", "s", 30, ["$1"]]))
    precision, recall, f1 = edge_f1(pred, gold)
    assert (precision, recall) == (1.0, 1 / 7) and f1 == pytest.approx(0.25)
    empty = make_plan([])
    assert node_f1(empty, empty) == edge_f1(empty, empty) == (1.0, 1.0, 1.0)
    assert node_f1(empty, gold) == (0.0, 0.0, 0.0)
    single = plan(("get_phone_number", ["a"]))
    assert edge_f1(single, single) == (1.0, 1.0, 1.0)
    assert edge_f1(single, gold) == (0.0, 0.0, 0.0)


# --- joiner ---------------------------------------------------------------------------------


def test_join_round_trips_and_reads_tinyagents_answers():
    assert parse_join(
        "Thought: I don't need to answer a question.\nAction: Finish(Task completed!)"
    ) == JoinStep("I don't need to answer a question.", "Finish", "Task completed!")
    assert parse_join("Thought: The error is fixable.\nAction: Replan\n") == JoinStep(
        "The error is fixable.", "Replan", ""
    )
    assert parse_join("Action: Finish(a (nested) answer: f(x))") == JoinStep(
        "", "Finish", "a (nested) answer: f(x)"
    )
    for thought, action, message in [
        ("Done.", "Finish", "Sent the email to Zoë (zoe@example.com)."),
        ("", "Finish", ""),
        ("Fixable.", "Replan", ""),
        ("t", "Finish", " spaced "),
    ]:
        assert parse_join(format_join(thought, action, message)) == JoinStep(thought, action, message)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Thought: only a thought",
        "Finish(x)",
        "Action: Finish",
        "Action: Finish(x",
        "Action: Finish(x) and more",
        "Action: Replan(x)",
        "Action: Stop(x)",
        "Thought: a\nThought: b\nAction: Replan",
        "Action: Replan\nAction: Finish(x)",
        "Action: Finish(x)\ntrailing",
        "Hello\nAction: Finish(x)",
        "Thought: x " * 2_000,
        b"Action: Replan",
    ],
)
def test_malformed_join_answers_are_plan_errors(text):
    with pytest.raises(PlanError):
        parse_join(text)


@pytest.mark.parametrize(
    ("thought", "action", "message"),
    [
        ("t", "Stop", ""),
        ("t", "Replan", "why"),
        ("two\nlines", "Finish", "m"),
        ("t", "Finish", "a\nb"),
        ("t", "Finish", 3),
    ],
)
def test_format_join_refuses_what_parse_join_cannot_read(thought, action, message):
    with pytest.raises(PlanError):
        format_join(thought, action, message)
