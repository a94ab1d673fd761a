"""FunctionCalling-v0 as an agent plays it: call formats, scores, the oracle, a scripted agent, bad input."""

from __future__ import annotations

import json
import time

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import envs  # noqa: F401  (registers the ids)
from envs.function_calling import apis
from envs.function_calling.data import in_memory_dataset
from envs.function_calling.formats import CALL_FORMATS, parse_calls, render_calls
from envs.function_calling.metrics import (
    SCORE_NAMES,
    bfcl_category,
    normalize_arguments,
    score_calls,
)
from envs.wrappers import RecordTrajectories

ENV_ID = "toolgym/FunctionCalling-v0"

CALLS = [
    ("get_weather", {"city": "Paris", "units": "metric"}),
    ("get_stock_price", {"symbol": "AAPL", "limit": 3}),
    ("get_weather", {"city": "Rome"}),
]
INDEX_OF = {"get_stock_price": 0, "get_weather": 7}
NAME_OF = {i: name for name, i in INDEX_OF.items()}


# ---------------------------------------------------------------------------------------- metrics
def test_normalize_arguments_is_canonical():
    assert normalize_arguments({"b": 2.0, "a": [1.0, 1.5]}) == '{"a":[1,1.5],"b":2}'
    assert normalize_arguments('{"b": 2, "a": [1, 1.5]}') == '{"a":[1,1.5],"b":2}'
    assert normalize_arguments("  not json ") == "not json"
    assert normalize_arguments({"flag": True, "x": None}) == '{"flag":true,"x":null}'


def test_a_perfect_answer_scores_one_in_any_order():
    perfect = score_calls(list(reversed(CALLS)), CALLS, 0)
    assert set(perfect) == set(SCORE_NAMES)
    assert all(perfect[k] == 1.0 for k in SCORE_NAMES if k != "parse_errors")
    assert perfect["parse_errors"] == 0.0


def test_each_mistake_costs_what_tokmem_says():
    wrong_arg = score_calls([CALLS[0], CALLS[1], ("get_weather", {"city": "Roma"})], CALLS, 0)
    assert wrong_arg["strict_match"] == wrong_arg["exact_match"] == 0.0
    assert wrong_arg["tool_accuracy"] == wrong_arg["tool_f1"] == 1.0
    assert 0 < wrong_arg["arg_f1"] < 1
    # TokMem's exact match ignores names: the right arguments under the wrong tool still match.
    swapped = score_calls([("get_stock_price", CALLS[0][1]), CALLS[1], CALLS[2]], CALLS, 0)
    assert swapped["exact_match"] == 1.0 and swapped["strict_match"] == 0.0
    assert swapped["tool_accuracy"] == 0.0 and swapped["tool_f1"] == 1.0  # names are a set
    missing = score_calls(CALLS[:2], CALLS, 1)
    assert missing["strict_match"] == 0.0 and missing["arg_recall"] == pytest.approx(2 / 3)
    assert missing["arg_precision"] == 1.0 and missing["parse_errors"] == 1.0
    nothing = score_calls([], CALLS, 0)
    assert all(v == 0.0 for v in nothing.values())
    assert score_calls([], [], 0)["tool_f1"] == 1.0


def test_unreadable_calls_are_wrong_calls():
    scores = score_calls([(None, '{"city": "Paris"'), CALLS[1], CALLS[2]], CALLS, 1)
    assert scores["strict_match"] == 0.0 and scores["tool_precision"] < 1.0


def test_bfcl_categories():
    assert bfcl_category(1, 1, 1) == "simple"
    assert bfcl_category(1, 1, 10) == "multiple"
    assert bfcl_category(3, 1, 10) == "parallel"
    assert bfcl_category(3, 2, 10) == "parallel_multiple"
    with pytest.raises(ValueError, match="n_distinct_tools"):
        bfcl_category(1, 2, 10)


# ---------------------------------------------------------------------------------------- formats
def test_rendered_examples():
    assert render_calls("tokens", CALLS[:2], INDEX_OF) == (
        '<|reserved_special_token_7|>{"city": "Paris", "units": "metric"}'
        '<|reserved_special_token_0|>{"symbol": "AAPL", "limit": 3}'
    )
    assert render_calls("text", CALLS[:1], INDEX_OF) == '[tool_7]{"city": "Paris", "units": "metric"}'
    line = '{"name": "get_weather", "arguments": {"city": "Paris", "units": "metric"}}'
    assert render_calls("json", CALLS[:1], INDEX_OF) == line
    assert render_calls("hf", CALLS[:1], INDEX_OF) == f"<tool_call>\n{line}\n</tool_call>"
    with pytest.raises(ValueError, match="no index"):
        render_calls("tokens", [("nope", {})], INDEX_OF)


@pytest.mark.parametrize("format", CALL_FORMATS)
def test_every_format_round_trips(format):
    text = render_calls(format, CALLS, INDEX_OF)
    assert parse_calls(format, text, NAME_OF) == (CALLS, 0)


@pytest.mark.parametrize(
    ("format", "text", "calls", "errors"),
    [
        ("tokens", 'Sure: <|reserved_special_token_0|>{"a": 1}', [("get_stock_price", {"a": 1})], 1),
        ("tokens", '<|reserved_special_token_3|>{"a": 1}', [(None, {"a": 1})], 1),
        ("tokens", '<|reserved_special_token_0|>{"a": 1', [("get_stock_price", '{"a": 1')], 1),
        ("tokens", "<|reserved_special_token_0|>[1, 2]", [("get_stock_price", "[1, 2]")], 1),
        ("tokens", f"<|reserved_special_token_{'9' * 5000}|>{{}}", [(None, {})], 1),
        ("text", '[tool_7]{"a": 1}\n\n[tool_0]{}', [("get_weather", {"a": 1}), ("get_stock_price", {})], 0),
        ("text", '[tool_7]{"a": ', [("get_weather", '{"a":')], 1),
        ("json", 'Here you go:\n{"name": "f", "arguments": {}}', [("f", {})], 1),
        ("json", '{"name": "f", "arguments": "{\\"x\\": 1}"}', [("f", {"x": 1})], 0),
        ("json", '{"name": "f", "arguments": [1]}', [("f", '{"name": "f", "arguments": [1]}')], 1),
        ("json", '{"name": 3}', [(None, '{"name": 3}')], 1),
        ("json", "{" * 100_000, [(None, "{" * 100_000)], 1),
        ("hf", 'Let me look.\n<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>', [("f", {})], 0),
        ("hf", '<tool_call>\n{"name": "f", "arguments": {}}', [("f", {})], 1),
        ("hf", "<tool_call>garbage</tool_call>", [(None, "garbage")], 1),
        ("hf", "no calls at all", [], 0),
        ("tokens", "", [], 0),
        ("yaml", "x", [], 1),
        ("json", b"bytes", [], 1),
    ],
)
def test_malformed_calls_are_parse_errors(format, text, calls, errors):
    assert parse_calls(format, text, NAME_OF) == (calls, errors)


@settings(max_examples=200, deadline=None)
@given(format=st.sampled_from(CALL_FORMATS), text=st.text())
def test_parsing_never_raises(format, text):
    calls, errors = parse_calls(format, text, NAME_OF)
    assert isinstance(calls, list) and errors >= 0


@pytest.mark.parametrize("format", CALL_FORMATS)
def test_a_megabyte_parses_fast(format):
    call = render_calls(format, CALLS[:1], INDEX_OF)
    text = "\n".join([call] * (1_000_000 // len(call)))
    start = time.perf_counter()
    calls, errors = parse_calls(format, text, NAME_OF)
    assert len(calls) == 1_000_000 // len(call) and errors == 0
    garbage = parse_calls(format, "x\ud800{<tool_call>[tool_1" * 50_000, NAME_OF)
    assert garbage[1] >= 1
    assert time.perf_counter() - start < 10
    assert json.dumps(garbage[0][:1])  # what came back is plain data


# ---------------------------------------------------------------------------------------- env
def every_range() -> str:
    """All ranges of the in-memory dataset: its rounds and its pretraining range."""
    manifest = in_memory_dataset()["manifest"]
    ranges = [*manifest["rounds"], *([manifest["pretrain"]] if manifest.get("pretrain") else [])]
    return ",".join(f"{a}-{b}" for a, b in ranges)


def answer_key() -> dict[str, list[tuple[str, dict]]]:
    """query -> gold calls, read from the public data (what a scripted agent 'knows')."""
    key = {}
    for round_data in in_memory_dataset()["rounds"].values():
        for split in ("train", "test"):
            for sample in round_data[split]:
                key[sample.query] = list(zip(sample.tools, sample.calls, strict=True))
    return key


def json_answer(calls) -> str:
    """The documented json format, written by hand (not with render_calls)."""
    return "\n".join(json.dumps({"name": name, "arguments": args}) for name, args in calls)


@pytest.mark.parametrize("multi_turn", [False, True])
@pytest.mark.parametrize("call_format", CALL_FORMATS)
def test_check_env_passes(call_format, multi_turn):
    check_env(gym.make(ENV_ID, call_format=call_format, multi_turn=multi_turn).unwrapped)


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("call_format", CALL_FORMATS)
def test_the_oracle_solves_every_task(call_format, split):
    env = gym.make(ENV_ID, tools=every_range(), split=split, call_format=call_format).unwrapped
    for task_id in range(env.num_tasks):
        env.reset(options={"task_id": task_id})
        _, reward, terminated, _, info = env.step(env.demonstration()[0])
        assert terminated and reward == 1.0, (task_id, env.gold())
        assert all(info["scores"][k] == 1.0 for k in ("strict_match", "exact_match", "tool_f1", "arg_f1"))
        assert info["scores"]["parse_errors"] == 0.0


def test_tool_order_is_rounds_sorted_then_pretraining_and_indexes_the_tokens():
    env = gym.make(ENV_ID, tools=every_range(), call_format="tokens").unwrapped
    dataset = in_memory_dataset()
    manifest = dataset["manifest"]
    ranges = [
        *map(tuple, manifest["rounds"]),
        *([tuple(manifest["pretrain"])] if manifest.get("pretrain") else []),
    ]
    expected = [name for r in ranges for name in sorted(dataset["rounds"][r]["descriptions"])]
    assert list(env.tool_order) == expected
    env.reset(options={"task_id": 0})
    first_tool = env.sample.tools[0]
    assert env.gold().startswith(f"<|reserved_special_token_{expected.index(first_tool)}|>")
    text_env = gym.make(ENV_ID, tools=every_range(), call_format="text").unwrapped
    text_env.reset(options={"task_id": 0})
    assert text_env.gold().startswith(f"[tool_{expected.index(first_tool)}]")


def scripted(observation: str, info: dict, key: dict, mistake: str | None = None) -> str:
    """A hand-written agent: look the query up, check the tools are offered, write json lines."""
    offered = {tool["function"]["name"]: tool["function"]["parameters"] for tool in info["tools"]}
    calls = [(name, dict(args)) for name, args in key[observation.split("\n\n")[-1]]]
    assert all(name in offered for name, _ in calls)
    if mistake == "argument":
        args = calls[-1][1]
        param = next(iter(args))
        args[param] = f"{args[param]}x" if isinstance(args[param], str) else 987654
    elif mistake == "tool":
        calls[0] = (next(n for n in offered if n != calls[0][0]), calls[0][1])
    elif mistake == "missing":
        calls = calls[:-1]
    elif mistake == "reorder":
        calls = calls[::-1]
    return json_answer(calls)


def test_a_scripted_agent_scores_one_exactly_when_its_calls_match():
    env = gym.make(ENV_ID, tools=every_range(), split="test")
    key = answer_key()
    for task_id in range(env.unwrapped.num_tasks):
        results = {}
        for mistake in (None, "reorder", "argument", "tool", "missing"):
            observation, info = env.reset(options={"task_id": task_id})
            _, reward, _, _, step_info = env.step(scripted(observation, info, key, mistake))
            results[mistake] = reward, step_info["scores"]
        assert results[None][0] == results["reorder"][0] == 1.0
        for mistake in ("argument", "tool", "missing"):
            assert results[mistake][0] == 0.0, mistake
        assert results["argument"][1]["tool_f1"] == 1.0 and results["argument"][1]["arg_f1"] < 1.0
        assert results["tool"][1]["exact_match"] == 1.0 and results["tool"][1]["tool_accuracy"] == 0.0
        assert results["missing"][1]["arg_recall"] < 1.0 and results["missing"][1]["arg_precision"] == 1.0


@pytest.mark.parametrize("call_format", CALL_FORMATS)
def test_the_random_agent_scores_low_and_well_formed(call_format):
    env = gym.make(ENV_ID, tools=every_range(), call_format=call_format).unwrapped
    rewards = []
    for task_id in range(env.num_tasks):
        env.reset(options={"task_id": task_id})
        _, reward, terminated, _, info = env.step(env.random_answer())
        assert terminated and info["scores"]["parse_errors"] == 0.0
        rewards.append(reward)
    assert sum(rewards) / len(rewards) < 0.05


@pytest.mark.parametrize(
    ("answer", "errors"),
    [
        ('{"name": "x", "arguments": {"a": 1}', 1),  # malformed JSON
        ('{"name": "no_such_tool", "arguments": {}}', 1),  # an unknown tool
        ("x" * 100 + "\ud800" + "\udfff", 1),  # prose with lone surrogates
        ("\x00\x01 {", 1),  # control characters
    ],
)
def test_bad_answers_are_parse_errors(answer, errors):
    env = gym.make(ENV_ID)
    env.reset(options={"task_id": 0})
    _, reward, terminated, _, info = env.step(answer)
    assert terminated and reward == 0.0 and info["scores"]["parse_errors"] == errors


def test_wrong_types_and_undeclared_arguments_are_parse_errors():
    env = gym.make(ENV_ID)
    env.reset(options={"task_id": 0})
    calls = env.unwrapped.gold_calls
    name, args = calls[0]
    typed = {k: [v] if not isinstance(v, list) else 7 for k, v in args.items()}
    _, _, _, _, info = env.step(json_answer([(name, typed), *calls[1:]]))
    assert info["scores"]["parse_errors"] == 1.0
    env.reset(options={"task_id": 0})
    _, reward, _, _, info = env.step(json_answer([(name, {**args, "surprise": 1}), *calls[1:]]))
    assert reward == 0.0 and info["scores"]["parse_errors"] == 1.0


@pytest.mark.parametrize("multi_turn", [False, True])
def test_non_text_and_oversized_turns_are_feedback(multi_turn):
    env = gym.make(ENV_ID, multi_turn=multi_turn)
    env.reset(options={"task_id": 0})
    for action in (b"\xff\xfe bytes", "x" * 1_000_000, 12, None):
        observation, reward, terminated, _, info = env.step(action)
        assert not terminated and reward == 0.0 and info["name"] == "env" and observation


def test_multi_turn_runs_the_mock_apis_and_scores_the_calls_made():
    env = gym.make(ENV_ID, multi_turn=True)
    env.reset(options={"task_id": 0})
    base = env.unwrapped
    observation, reward, terminated, _, info = env.step(base.demonstration()[0])
    assert not terminated and info["role"] == "tool"
    expected = [apis.execute(apis.api_by_name(name), args) for name, args in base.gold_calls]
    assert observation.split("\n") == expected
    _, reward, terminated, _, info = env.step("Done.")
    assert terminated and reward == 1.0 and info["scores"]["parse_errors"] == 0.0


def test_multi_turn_explains_bad_calls_and_counts_them():
    env = gym.make(ENV_ID, multi_turn=True)
    env.reset(options={"task_id": 0})
    name, args = env.unwrapped.gold_calls[0]
    observation, _, terminated, _, info = env.step('{"name": "nope", "arguments": {}}')
    assert not terminated and info["name"] == "env" and "'nope'" in observation
    observation, _, terminated, _, info = env.step('{"name": ' + json.dumps(name) + ', "arguments": {"a": ')
    assert not terminated and "could not be read" in observation
    wrong = {k: 12345 if isinstance(v, str) else "text" for k, v in args.items()}
    observation, _, terminated, _, info = env.step(json_answer([(name, wrong)]))
    assert not terminated and info["role"] == "tool" and observation.startswith("Error: invalid arguments")
    _, reward, terminated, _, info = env.step("Done.")
    assert terminated and reward == 0.0 and info["scores"]["parse_errors"] == 3.0


def test_gold_descriptions_hold_the_gold_tools():
    env = gym.make(ENV_ID, describe="gold", describe_k=4)
    observation, _ = env.reset(options={"task_id": 0})
    base = env.unwrapped
    block, query = observation.split("\n\n")
    lines = block.split("\n")
    assert lines[0] == "Tools:" and len(lines) == 1 + max(4, len(set(base.sample.tools)))
    assert query == base.sample.query
    described = [line.split("(")[0] for line in lines[1:]]
    assert set(base.sample.tools) <= set(described) and described == base.described
    assert env.reset(options={"task_id": 0})[0] == observation  # seeded by the task
    _, _, _, _, info = env.step(base.gold())
    assert info["scores"]["retrieval_recall"] == 1.0 and "retrieval_recall" in base.score_names


def test_retrieved_descriptions_and_their_recall():
    from envs.function_calling.retrieval import ToolRetriever

    tools = [
        {"name": "get_weather", "description": "Current weather and temperature for a city."},
        {"name": "get_stock_price", "description": "Latest share price of a stock ticker."},
        {"name": "find_recipe", "description": "Recipes for a dish or ingredient."},
    ]
    assert ToolRetriever(tools).top_k("Is it going to be hot in Paris today?", 1) == ["get_weather"]
    env = gym.make(ENV_ID, describe="retrieved", describe_k=3)
    for task_id in range(3):
        observation, _ = env.reset(options={"task_id": task_id})
        assert observation.count("\n", 0, observation.index("\n\n")) == 3
        _, _, _, _, info = env.step(env.unwrapped.gold())
        assert 0.0 <= info["scores"]["retrieval_recall"] <= 1.0


@pytest.mark.parametrize(
    ("split", "categories"),
    [("train", {"multiple", "parallel", "parallel_multiple"}), ("test", {"parallel_multiple"})],
)
def test_task_info_is_recorded_for_summaries(split, categories):
    env = RecordTrajectories(gym.make(ENV_ID, tools=every_range(), split=split))
    seen = set()
    for task_id in range(0, env.unwrapped.num_tasks, 3):
        env.reset(options={"task_id": task_id})
        info = env.unwrapped.task_info()
        assert set(info) == {"calls", "category", "round", "tools_range"}
        assert info["calls"] == len(env.unwrapped.sample.calls)
        seen.add(info["category"])
        *_, step_info = env.step(env.unwrapped.gold())
        assert {k: json.loads(step_info["trajectory"])["metrics"][k] for k in info} == info
    assert seen == categories
    # Two rounds, then the pretraining range (round 0).
    assert [env.unwrapped.study.round_of(*r) for r in env.unwrapped.ranges] == [1, 2, 0]


def test_bad_arguments_name_the_allowed_values():
    with pytest.raises(ValueError, match="call_format"):
        gym.make(ENV_ID, call_format="xml")
    for tools in ("1-7", "1-10,1-10", "ten"):
        with pytest.raises(ValueError, match="use 1-10, 11-20, 21-30"):
            gym.make(ENV_ID, tools=tools)
    with pytest.raises(ValueError, match="describe"):
        gym.make(ENV_ID, describe="all")


def test_a_generated_folder_plays_like_the_in_memory_data(tmp_path):
    from envs.function_calling.data import generate

    generate(
        tmp_path, n_apis=40, samples_per_tool=12, rounds=((1, 10), (11, 20)), pretrain=(21, 30),
        train_size=60, test_size=20, pretrain_train_size=60,
    )  # fmt: skip
    env = gym.make(ENV_ID, data_dir=str(tmp_path), tools="11-20,21-30", call_format="tokens", multi_turn=True)
    check_env(env.unwrapped)
    for task_id in range(env.unwrapped.num_tasks):
        env.reset(options={"task_id": task_id})
        for turn in env.unwrapped.demonstration():
            _, reward, terminated, _, _ = env.step(turn)
        assert terminated and reward == 1.0
        assert env.unwrapped.task_info()["round"] in (2, 0)


def test_the_random_agent_in_multi_turn_calls_then_stops():
    env = gym.make(ENV_ID, multi_turn=True, describe="gold")
    check_env(env.unwrapped)
    env.reset(options={"task_id": 1})
    _, _, terminated, _, info = env.step(env.unwrapped.random_answer())
    assert not terminated and info["role"] == "tool"
    _, reward, terminated, _, info = env.step(env.unwrapped.random_answer())
    assert terminated and reward == 0.0 and info["scores"]["parse_errors"] == 0.0
