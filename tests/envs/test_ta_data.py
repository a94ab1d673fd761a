"""The reader of TinyAgent's data files, on a fixture written in their structure (data_utils.py)."""

from __future__ import annotations

import copy
import json

import pytest

from envs.tinyagent.data import TinyAgentExample, gold_join, gold_plan, load_tinyagent
from envs.tinyagent.metrics import dag_success
from envs.tinyagent.plans import END_OF_PLAN, JoinStep, PlanError, parse_join, parse_plan

TOOLS = (
    "get_email_address",
    "get_zoom_meeting_link",
    "create_calendar_event",
    "get_phone_number",
    "send_sms",
)
QUERY = "Create a zoom meeting for the upcoming Apple meeting with Eren Erdoğan."
PLAN_TEXT = (
    '1. get_email_address("Eren Erdoğan")\n'
    '2. get_zoom_meeting_link("Apple Meeting", "2022-10-14 15:00:00", 60, ["$1"])\n'
    '3. create_calendar_event("Apple Meeting", "2022-10-14 15:00:00", "2022-10-14 16:00:00", "$2", [], "", '
    "None)\n"
    "Thought: I have succesfully created the calendar event.\n"
    f"4. join(){END_OF_PLAN}"
)
SMS_TEXT = f'1. get_phone_number("Søren")\n2. send_sms(["$1"], "hi")\n3. join(){END_OF_PLAN}'
JOIN_TEXT = "Thought: I don't need to answer a question.\nAction: Finish(Task completed!)"


def _data() -> dict:
    """Two entries as TinyAgent's ``Data.serialize`` writes them; the first with plan and join points."""
    messages = [{"role": "system", "content": "You are a planner ..."}, {"role": "user", "content": QUERY}]
    return {
        "a1b2": {
            "input": QUERY,
            "output": [
                {
                    "type": "plan",
                    "raw_input": messages,
                    "raw_output": PLAN_TEXT,
                    "parsed_output": [
                        {"tool_name": "get_email_address", "tool_args": ["Eren Erdoğan"]},
                        {
                            "tool_name": "get_zoom_meeting_link",
                            "tool_args": ["Apple Meeting", "2022-10-14 15:00:00", 60, ["$1"]],
                        },
                        {
                            "tool_name": "create_calendar_event",
                            "tool_args": [
                                "Apple Meeting",
                                "2022-10-14 15:00:00",
                                "2022-10-14 16:00:00",
                                "$2",
                                [],
                                "",
                                None,
                            ],
                        },
                        {"tool_name": "join", "tool_args": []},
                    ],
                    "id": "6f1c2d3e-0000-4000-8000-000000000001",
                    "index": 0,
                },
                {
                    "type": "join",
                    "raw_input": [*messages, {"role": "assistant", "content": "Observation: ..."}],
                    "raw_output": JOIN_TEXT,
                    "parsed_output": {
                        "thought": "I don't need to answer a question.",
                        "action": "Finish",
                        "message": "Task completed!",
                    },
                    "id": "6f1c2d3e-0000-4000-8000-000000000002",
                    "index": 1,
                },
            ],
            "closest_5_queries": ["Set up a zoom call with Zoë."],
        },
        "c3d4": {
            "input": "Text Søren hi.",
            "output": [
                {
                    "type": "replan",
                    # TinyAgent's own dataclass types raw_input as a string.
                    "raw_input": "Question: Text Søren hi.",
                    "raw_output": SMS_TEXT,
                    # No join step at the end: gold_plan appends it either way.
                    "parsed_output": [
                        {"tool_name": "get_phone_number", "tool_args": ["Søren"]},
                        {"tool_name": "send_sms", "tool_args": [["$1"], "hi"]},
                    ],
                    "id": "6f1c2d3e-0000-4000-8000-000000000003",
                    "index": 0,
                }
            ],
        },
    }


def _write(tmp_path, data) -> str:
    path = tmp_path / "testing_data.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_loads_every_point_in_file_order(tmp_path):
    examples = load_tinyagent(_write(tmp_path, _data()))
    assert [(e.id, e.kind) for e in examples] == [("a1b2", "plan"), ("a1b2", "join"), ("c3d4", "replan")]
    plan_example = examples[0]
    assert isinstance(plan_example, TinyAgentExample)
    assert plan_example.query == QUERY
    assert plan_example.messages[-1] == {"role": "user", "content": QUERY}
    assert plan_example.target == PLAN_TEXT
    assert examples[2].messages == [{"role": "user", "content": "Question: Text Søren hi."}]


def test_gold_plan_matches_the_target_text(tmp_path):
    examples = load_tinyagent(_write(tmp_path, _data()))
    for example in (examples[0], examples[2]):
        gold = gold_plan(example)
        assert gold.steps[-1].tool == "join"
        parsed = parse_plan(example.target, TOOLS)
        assert [(s.tool, s.args, s.deps) for s in gold.steps] == [
            (s.tool, s.args, s.deps) for s in parsed.steps
        ]
        assert dag_success(parsed, gold) == 1.0
    assert [s.deps for s in gold_plan(examples[0]).steps] == [(), (1,), (2,), ()]


def test_gold_join(tmp_path):
    examples = load_tinyagent(_write(tmp_path, _data()))
    assert gold_join(examples[1]) == JoinStep(
        "I don't need to answer a question.", "Finish", "Task completed!"
    )
    assert gold_join(examples[1]) == parse_join(examples[1].target)
    with pytest.raises(ValueError, match="not a join"):
        gold_join(examples[0])
    with pytest.raises(ValueError, match="join point"):
        gold_plan(examples[1])


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.json"):
        load_tinyagent(tmp_path / "nowhere.json")


def test_not_json_or_not_an_object(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff{not json")
    with pytest.raises(ValueError, match=r"bad\.json"):
        load_tinyagent(path)
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="keyed by id"):
        load_tinyagent(path)


def _break(data: dict, change: str) -> None:
    point = data["a1b2"]["output"][0]
    if change == "no input":
        del data["a1b2"]["input"]
    elif change == "output not a list":
        data["a1b2"]["output"] = {}
    elif change == "entry not an object":
        data["a1b2"] = "x"
    elif change == "unknown type":
        point["type"] = "answer"
    elif change == "raw_input not messages":
        point["raw_input"] = [{"role": "user"}]
    elif change == "raw_output missing":
        del point["raw_output"]
    elif change == "plan parsed_output not a list":
        point["parsed_output"] = {"tool_name": "x"}
    elif change == "tool_name missing":
        del point["parsed_output"][1]["tool_name"]
    elif change == "tool_args not a list":
        point["parsed_output"][1]["tool_args"] = "x"
    elif change == "join message missing":
        del data["a1b2"]["output"][1]["parsed_output"]["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("no input", "'input'"),
        ("output not a list", "'output'"),
        ("entry not an object", "entry 'a1b2' must be a JSON object"),
        ("unknown type", "output[0]: 'type'"),
        ("raw_input not messages", "output[0]: 'raw_input'"),
        ("raw_output missing", "output[0]: the field 'raw_output'"),
        ("plan parsed_output not a list", "output[0]: 'parsed_output'"),
        ("tool_name missing", "parsed_output[1]: the field 'tool_name'"),
        ("tool_args not a list", "parsed_output[1]: 'tool_args'"),
        ("join message missing", "output[1], parsed_output: the field 'message'"),
    ],
)
def test_malformed_entries_name_the_id_and_field(tmp_path, change, field):
    data = copy.deepcopy(_data())
    _break(data, change)
    with pytest.raises(ValueError) as error:
        load_tinyagent(_write(tmp_path, data))
    assert "entry 'a1b2'" in str(error.value) and field in str(error.value)


def test_gold_plan_refuses_plans_that_break_the_grammar(tmp_path):
    data = _data()
    steps = data["c3d4"]["output"][0]["parsed_output"]
    steps[0]["tool_args"] = ["$2"]
    (example,) = [e for e in load_tinyagent(_write(tmp_path, data)) if e.id == "c3d4"]
    with pytest.raises(PlanError, match=r"example 'c3d4': step 1 .* a later step"):
        gold_plan(example)
    steps[0]["tool_args"] = ["Søren"]
    steps.insert(1, {"tool_name": "join", "tool_args": []})
    (example,) = [e for e in load_tinyagent(_write(tmp_path, data)) if e.id == "c3d4"]
    with pytest.raises(PlanError, match="only be the last step"):
        gold_plan(example)
