"""The function-calling data: the API catalogue, xLAM rows, TokMem's recipe, its files and loaders."""

from __future__ import annotations

import json
import re
import time
from collections import Counter

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from envs.function_calling import apis, data
from envs.function_calling.apis import PARAMETER_POOL, catalogue, execute
from envs.function_calling.data import (
    BASE_CONNECTORS,
    FINAL_CONNECTORS,
    Sample,
    generate_rows,
    rank_tools,
    tokmem_recipe,
)
from tools.base import ToolError

N_APIS = 101  # ranks 1-100 plus `search`


@pytest.fixture(scope="module")
def apis_100():
    return catalogue(N_APIS)


@pytest.fixture(scope="module")
def rows(apis_100):
    return generate_rows(apis_100, samples_per_tool=50)


@pytest.fixture(scope="module")
def by_name(apis_100):
    return {a.name: a for a in apis_100}


@pytest.fixture(scope="module")
def round1(rows):
    return tokmem_recipe(rows, "1-50")


def _valid(schema: dict, args: dict) -> bool:
    return Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(args)


def _heldout_values(name: str) -> set:
    p = PARAMETER_POOL[name]
    return set(PARAMETER_POOL[p.item].heldout if p.type == "list" else p.heldout)


def _uses_heldout(args: dict) -> bool:
    for name, value in args.items():
        values = value if isinstance(value, list) else [value]
        if any(v in _heldout_values(name) for v in values if not isinstance(v, bool)):
            return True
    return False


# ------------------------------------------------------------------------------------ catalogue


def test_catalogue_size_names_and_categories():
    full = catalogue()
    assert len(full) == 320
    names = [a.name for a in full]
    assert len(set(names)) == len(names)
    assert "search" in names
    counts = Counter(a.category for a in full)
    assert len(counts) >= 20 and min(c for cat, c in counts.items() if cat != "web") >= 14
    assert len(PARAMETER_POOL) >= 40
    assert catalogue() == full  # deterministic
    assert [a.name for a in catalogue(50)] == names[:50]
    assert {a.name for a in catalogue(320, seed=3)} == set(names) and catalogue(320, seed=3) != full
    assert catalogue(320, seed=3)[2].name == "search"
    with pytest.raises(ValueError, match="n_apis"):
        catalogue(10_000)


def test_every_api_has_a_schema_and_phrasings_that_fit_it():
    types = set()
    for api in catalogue(len(apis._all_apis())):
        Draft202012Validator.check_schema(api.parameters)
        props = api.parameters["properties"]
        assert 1 <= len(props) <= 4 and api.parameters["required"], api.name
        types |= {p["type"] for p in props.values()} | {"date" for p in props.values() if p.get("format")}
        types |= {"enum" for p in props.values() if "enum" in p}
        assert len(api.phrasings) >= 6 and api.heldout_phrasings == 2
        assert set(api.train_phrasings).isdisjoint(api.test_phrasings)
        for phrasing in api.phrasings:
            used = set(apis.slots(phrasing))
            assert set(api.parameters["required"]) <= used <= set(props), (api.name, phrasing)
        optional = set(props) - set(api.parameters["required"])
        if optional:  # some phrasings leave optional parameters out
            assert any(not optional <= set(apis.slots(p)) for p in api.phrasings)
        schema = api.schema()
        assert schema["type"] == "function" and schema["function"]["name"] == api.name
        assert schema["function"]["description"]
    assert {"string", "integer", "number", "boolean", "array", "enum", "date"} <= types


def test_value_pools_are_split():
    for p in PARAMETER_POOL.values():
        if p.type in ("str", "int", "num", "date", "time"):
            assert p.values and p.heldout, p.name
            assert set(p.values).isdisjoint(p.heldout), p.name


def test_execute_is_deterministic_and_validates():
    api = apis.api_by_name("get_hourly_forecast")
    out = execute(api, {"city": "Paris", "units": "metric"})
    assert out == execute(api, {"units": "metric", "city": "Paris"})  # argument order does not matter
    result = json.loads(out)["result"]
    assert -15 <= result["temperature_c"] <= 38
    assert json.loads(execute(api, {"city": "Rome"})) != json.loads(out)
    listing = json.loads(
        execute(apis.api_by_name("search_jobs"), {"job_title": "nurse", "city": "Oslo", "remote": True})
    )
    assert listing["results"] and "salary_usd" in listing["results"][0]
    for bad, message in [
        ({"units": "metric"}, "city"),
        ({"city": 3}, "city"),
        ({"city": "Paris", "units": "kelvin"}, "units"),
        ({"city": "Paris", "colour": "red"}, "colour"),
        ([1, 2], "object"),
    ]:
        with pytest.raises(ToolError, match=message):
            execute(api, bad)
    with pytest.raises(ToolError, match="date"):
        execute(apis.api_by_name("get_uv_index"), {"city": "Paris", "date": "2025-13-40"})


# ------------------------------------------------------------------------------------- xLAM rows


def test_rows_validate_and_carry_their_values_verbatim(rows, by_name):
    assert len(rows) >= N_APIS * 50 and [r["id"] for r in rows] == list(range(len(rows)))
    for row in rows:
        offered = {t["name"] for t in row["tools"]}
        assert 1 <= len(offered) <= 3
        for answer in row["answers"]:
            api = by_name[answer["name"]]
            assert answer["name"] in offered
            assert _valid(api.parameters, answer["arguments"]), (row["query"], answer)
            for name, value in answer["arguments"].items():
                p = PARAMETER_POOL[name]
                if p.type == "bool":
                    phrase = p.fragments[0] if value else p.values[0]
                    assert phrase in row["query"], (row["query"], name)
                elif p.type == "list":
                    assert ", ".join(value) in row["query"]
                else:
                    assert str(value) in row["query"], (row["query"], name, value)


def test_rows_phrasings_and_values_follow_the_split(rows, by_name):
    splits = Counter(r["split"] for r in rows)
    assert 0.08 < splits["test"] / len(rows) < 0.12
    multi = [r for r in rows if len(r["answers"]) > 1]
    assert 0.1 < len(multi) / len(rows) < 0.2 and all(
        len({a["name"] for a in r["answers"]}) == 1 for r in multi
    )
    omitted = 0
    for row in rows:
        api = by_name[row["answers"][0]["name"]]
        test = row["split"] == "test"
        for answer in row["answers"]:
            if not test:  # test rows use held-out values wherever the pool has them (not enums, booleans)
                assert not _uses_heldout(answer["arguments"]), row
            omitted += len(answer["arguments"]) < len(api.parameters["properties"])
        if len(row["answers"]) == 1:
            args = row["answers"][0]["arguments"]
            pool = api.test_phrasings if test else api.train_phrasings
            fits = [p for p in pool if set(apis.slots(p)) == set(args)]
            assert row["query"] in {data.render_query(api, p, args) for p in fits}, row["query"]
    assert omitted > len(rows) / 5  # optional parameters are often left out


def test_row_counts_make_the_ranking_follow_the_catalogue(rows, apis_100):
    ranked = rank_tools(rows)
    assert "search" not in ranked
    assert ranked == [a.name for a in apis_100 if a.name != "search"]
    counts = Counter(r["answers"][0]["name"] for r in rows)
    assert counts[apis_100[0].name] > counts[apis_100[-1].name] >= 50


def test_generation_is_fast_and_deterministic(apis_100, rows):
    start = time.perf_counter()
    again = generate_rows(apis_100, samples_per_tool=50)
    assert time.perf_counter() - start < 5
    assert again == rows


# ---------------------------------------------------------------------------------- the recipe


def test_recipe_ranges_are_disjoint_and_exclude_search(rows):
    _, _, d1 = tokmem_recipe(rows, "1-50")
    _, _, d2 = tokmem_recipe(rows, (51, 100))
    _, _, top = tokmem_recipe(rows, 50)
    assert len(d1) == len(d2) == 50 and set(d1).isdisjoint(d2) and list(top) == list(d1)
    assert "search" not in d1 and "search" not in d2
    for d in d1.values():
        assert set(d) == {"name", "description", "parameters", "type"} and d["type"] == "function"


def test_recipe_train_and_test_shapes(round1):
    train, test, descriptions = round1
    assert len(train) == 5000 and 480 <= len(test) <= 500
    distinct = Counter(len(set(s.tools)) for s in train)
    assert set(distinct) == {1, 2, 3}
    assert distinct[1] >= 50 * 40  # every single-tool train row of the 50 tools
    assert all(len(set(s.tools)) in (2, 3) for s in test)
    assert max(len(s.calls) for s in train + test) <= 4
    assert any(len(s.tools) > len(set(s.tools)) for s in test)  # same-tool multi-call components
    for s in train + test:
        assert set(s.tools) <= set(descriptions) and len(s.tools) == len(s.calls)
        for tool, args in zip(s.tools, s.calls, strict=True):
            assert _valid(descriptions[tool]["parameters"], args)
    for s in test:
        assert any(c in s.query for c in BASE_CONNECTORS + FINAL_CONNECTORS)
        if len(set(s.tools)) == 3:
            assert any(c in s.query for c in FINAL_CONNECTORS)


def test_recipe_holds_test_queries_out_of_train(rows, round1):
    train, test, descriptions = round1
    test_rows = [r for r in rows if r["split"] == "test" and r["answers"][0]["name"] in descriptions]
    train_text = "\n".join(s.query.lower() for s in train)
    assert test_rows and not any(r["query"].lower() in train_text for r in test_rows)
    assert not any(_uses_heldout(args) for s in train for args in s.calls)
    assert sum(any(_uses_heldout(args) for args in s.calls) for s in test) > 0.9 * len(test)
    # every test composition starts with a held-out row's query, verbatim
    assert all(any(s.query.startswith(r["query"]) for r in test_rows) for s in test)


def test_recipe_is_deterministic_and_honours_max_calls(rows, round1):
    train, test, _ = tokmem_recipe(rows, "1-50")
    assert [s.to_tokmem() for s in train] == [s.to_tokmem() for s in round1[0]]
    assert [s.to_tokmem() for s in test] == [s.to_tokmem() for s in round1[1]]
    train2, test2, _ = tokmem_recipe(rows, "1-50", max_calls=2, train_size=3000, test_size=100)
    assert max(len(s.calls) for s in train2 + test2) <= 2
    assert all(len(set(s.tools)) == 2 for s in test2)
    kept, _, _ = tokmem_recipe(rows, "1-50", lowercase_later=False)
    assert any(
        s.query != t.query and s.query.lower() == t.query.lower() for s, t in zip(kept, train, strict=True)
    )


def test_sample_tokmem_form_round_trips():
    s = Sample("Get the weather in Paris.", ["get_current_weather"], [{"city": "Paris"}])
    d = s.to_tokmem()
    assert d == {"user_input": s.query, "tools": s.tools, "function_calls": ['{"city": "Paris"}']}
    assert Sample.from_tokmem(d) == s
    with pytest.raises(ValueError, match="pair"):
        Sample.from_tokmem({"user_input": "q", "tools": ["a", "b"], "function_calls": ["{}"]})


# ----------------------------------------------------------------------------- files and loaders


def test_write_round_uses_tokmem_file_names(tmp_path, round1):
    train, test, descriptions = round1
    paths = data.write_round(tmp_path, 51, 100, train[:5], test[:5], descriptions, 4)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "training/function_calling_train_tools51-100_4calls.json",
        "test/function_calling_test_tools51-100_4calls.json",
        "tool_descriptions_tools51-100.json",
    ]
    assert (
        data.tokmem_file_names(1, 50, None)["train"]
        == "training/function_calling_train_tools1-50_unlimited.json"
    )
    saved = json.loads(paths[1].read_text())
    assert set(saved[0]) == {"user_input", "tools", "function_calls"}
    assert all(isinstance(c, str) for c in saved[0]["function_calls"])
    assert data.load_tokmem_samples(paths[0]) == train[:5]
    assert data.load_round(tmp_path, 51, 100, "test", max_calls=4) == test[:5]
    assert data.load_descriptions(tmp_path, 51, 100) == descriptions


def test_generate_writes_rounds_pretrain_rows_and_manifest(tmp_path):
    out = data.generate(
        tmp_path / "fc",
        n_apis=31,
        samples_per_tool=12,
        rounds=((1, 10), (11, 20)),
        pretrain=(21, 30),
        train_size=150,
        test_size=30,
        pretrain_train_size=200,
    )
    manifest = data.load_manifest(out)
    assert manifest["rounds"] == [[1, 10], [11, 20]] and manifest["pretrain"] == [21, 30]
    assert {k: manifest[k] for k in ("max_calls", "samples_per_tool", "seed", "version")} == {
        "max_calls": 4,
        "samples_per_tool": 12,
        "seed": 0,
        "version": 1,
    }
    for first, last in [(1, 10), (11, 20), (21, 30)]:
        for name in data.tokmem_file_names(first, last, 4).values():
            assert (out / name).is_file(), name
        assert len(data.load_descriptions(out, first, last)) == 10
        assert all(len(set(s.tools)) > 1 for s in data.load_round(out, first, last, "test"))
    assert len(data.load_round(out, 21, 30, "train")) == 200
    raw = json.loads((out / "xlam_rows.json").read_text())
    assert isinstance(raw[0]["tools"], str) and isinstance(raw[0]["answers"], str)
    rows = data.load_xlam(out / "xlam_rows.json")
    assert rows == generate_rows(catalogue(31), 12)
    with pytest.raises(ValueError, match="ranked tools"):
        data.generate(tmp_path / "bad", n_apis=31, samples_per_tool=2, rounds=((1, 40),), pretrain=None)


def test_open_values_keep_each_parameters_shape_and_leave_every_pool(rows):
    rng = __import__("random").Random(0)
    for param in PARAMETER_POOL.values():
        for _ in range(5):
            value = apis.open_value(param, rng)
            schema = {"type": "object", "properties": {"v": param.schema()}}
            Draft202012Validator(schema, format_checker=FormatChecker()).validate({"v": value})
            if param.type in ("str", "int", "num") and len(str(param.values[0])) > 3:
                assert value not in param.values + param.heldout, (param.name, value)


def test_pretraining_rows_with_open_values_leave_the_rounds_alone(tmp_path):
    options = dict(n_apis=31, samples_per_tool=12, rounds=((1, 10),), pretrain=(11, 30), train_size=60)
    pooled = data.generate(tmp_path / "pool", **options, pretrain_train_size=80)
    opened = data.generate(
        tmp_path / "open",
        **options,
        pretrain_train_size=80,
        pretrain_values="open",
        pretrain_samples_per_tool=20,
    )
    for split in ("train", "test"):
        assert data.load_round(pooled, 1, 10, split) == data.load_round(opened, 1, 10, split)
    pool_values = {
        json.dumps(v) for p in PARAMETER_POOL.values() if p.type == "str" for v in p.values + p.heldout
    }
    enums = {json.dumps(v) for p in PARAMETER_POOL.values() if p.type == "enum" for v in p.values}
    calls = [c for s in data.load_round(opened, 11, 30, "train") for c in s.calls]
    fresh = [
        v
        for c in calls
        for v in c.values()
        if isinstance(v, str) and len(v) > 4 and json.dumps(v) not in enums
    ]
    assert fresh and sum(json.dumps(v) in pool_values for v in fresh) < 0.05 * len(fresh)
    assert data.load_manifest(opened)["pretrain_values"] == "open"
    assert "pretrain_values" not in data.load_manifest(pooled)  # older manifests read the same
    with pytest.raises(ValueError, match="pretrain_values"):
        data.generate(tmp_path / "bad", **options, pretrain_values="random")


def _xlam_row(i: int, query: str, tool: dict | None, *calls: tuple[str, dict]) -> dict:
    answers = [{"name": name, "arguments": args} for name, args in calls]
    return {"id": i, "query": query, "tools": [tool] if tool else [], "answers": answers}


SEARCH = {"name": "search", "description": "Web search", "parameters": {"q": {"type": "str", "default": ""}}}
FIB = {
    "name": "fibonacci",
    "description": "First n Fibonacci numbers",
    "parameters": {
        "n": {"type": "int", "description": "How many"},
        "start": {"type": "List[int]", "description": "Seed values", "default": [0, 1]},
    },
}
PAL = {
    "name": "is_palindrome",
    "description": "Check a palindrome",
    "parameters": {
        "text": {"type": "str", "description": "Text"},
        "ignore_case": {"type": "bool, optional", "description": "Ignore case"},
    },
}
C2F = {
    "name": "celsius_to_fahrenheit",
    "description": "Convert",
    "parameters": {"celsius": {"type": "float"}},
}
XLAM_FIXTURE = [
    # `search` is the most frequent tool and must not be ranked
    *[
        _xlam_row(i, f"Search the web for topic {i}", SEARCH, ("search", {"q": f"topic {i}"}))
        for i in range(6)
    ],
    *[
        _xlam_row(10 + n, f"First {n} Fibonacci numbers?", FIB, ("fibonacci", {"n": n}))
        for n in (5, 8, 10, 12, 15)
    ],
    *[
        _xlam_row(20 + i, f"Is {w} a palindrome?", PAL, ("is_palindrome", {"text": w}))
        for i, w in enumerate(["level", "radar", "apple", "noon"])
    ],
    # a same-tool multi-call row (kept: one tool) and a two-tool row (discarded)
    _xlam_row(
        30,
        "Are kayak and civic palindromes?",
        PAL,
        *[("is_palindrome", {"text": w}) for w in ("kayak", "civic")],
    ),
    _xlam_row(
        31,
        "Fibonacci of 3 and is wow a palindrome?",
        None,
        ("fibonacci", {"n": 3}),
        ("is_palindrome", {"text": "wow"}),
    ),
    *[
        _xlam_row(40 + i, f"Convert {c} C to F", C2F, ("celsius_to_fahrenheit", {"celsius": c}))
        for i, c in enumerate([20.5, 30.0, -4.0])
    ],
]


def test_xlam_fixture_is_loaded_ranked_and_recipe_d(tmp_path):
    path = tmp_path / "xlam_function_calling_60k.json"
    hub = [{**r, "tools": json.dumps(r["tools"]), "answers": json.dumps(r["answers"])} for r in XLAM_FIXTURE]
    path.write_text(json.dumps(hub))
    rows = data.load_xlam(path)
    assert rows == XLAM_FIXTURE
    assert rank_tools(rows) == ["fibonacci", "is_palindrome", "celsius_to_fahrenheit"]
    train, test, descriptions = tokmem_recipe(rows, "1-3", train_size=30, test_size=10)
    assert list(descriptions) == ["fibonacci", "is_palindrome", "celsius_to_fahrenheit"]
    fib = descriptions["fibonacci"]["parameters"]
    assert fib["required"] == ["n", "start"] and fib["properties"]["start"] == {
        "type": "array", "items": {"type": "integer"}, "description": "Seed values", "default": [0, 1]
    }  # fmt: skip
    pal = descriptions["is_palindrome"]["parameters"]
    assert pal["required"] == ["text"] and pal["properties"]["ignore_case"]["type"] == "boolean"
    assert not any("search" in s.tools or "wow" in s.query for s in train + test)
    singles = [s for s in train if len(set(s.tools)) == 1]
    assert len(singles) == 3 + 3 + 2  # int(n * 30 / 40) of each tool's 5, 5 and 3 rows (seed 42 split)
    assert all(len(set(s.tools)) in (2, 3) for s in test) and len(train) <= 30
    assert tokmem_recipe(rows, 2)[2].keys() == {"fibonacci", "is_palindrome"}


def test_tokmem_fixture_is_loaded(tmp_path):
    path = tmp_path / "function_calling_test_tools1-50_4calls.json"
    path.write_text(json.dumps([
        {"user_input": "What is 2+2? Also, reverse 'abc'", "tools": ["add", "reverse_string"],
         "function_calls": ['{"a": 2, "b": 2}', '{"text": "abc"}']},
        {"user_input": "Weather in Oslo and Rome", "tools": ["weather", "weather"],
         "function_calls": ['{"city": "Oslo"}', '{"city": "Rome"}']},
    ]))  # fmt: skip
    samples = data.load_tokmem_samples(path)
    assert samples[0] == Sample(
        "What is 2+2? Also, reverse 'abc'", ["add", "reverse_string"], [{"a": 2, "b": 2}, {"text": "abc"}]
    )
    assert samples[1].tools == ["weather", "weather"] and samples[1].calls[1] == {"city": "Rome"}
    assert [s.to_tokmem() for s in samples] == json.loads(path.read_text())


def test_missing_and_malformed_files_name_the_path(tmp_path):
    missing = tmp_path / "nope.json"
    for load in (data.load_xlam, data.load_tokmem_samples):
        with pytest.raises(FileNotFoundError, match=re.escape("nope.json")):
            load(missing)
    with pytest.raises(FileNotFoundError, match=re.escape("manifest.json")):
        data.load_manifest(tmp_path)
    with pytest.raises(FileNotFoundError, match=re.escape("function_calling_train_tools1-50_4calls.json")):
        data.load_round(tmp_path, 1, 50, "train", max_calls=4)
    with pytest.raises(FileNotFoundError, match=re.escape("tool_descriptions_tools1-50.json")):
        data.load_descriptions(tmp_path, 1, 50)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"query": "q", "answers": "[{not json"}]))
    with pytest.raises(ValueError, match=r"bad.json.*row 0"):
        data.load_xlam(bad)
    bad.write_text(json.dumps([{"user_input": "q", "tools": ["a"]}]))
    with pytest.raises(ValueError, match=r"bad.json.*sample 0"):
        data.load_tokmem_samples(bad)
    with pytest.raises(ValueError, match="split"):
        data.load_round(tmp_path, 1, 50, "dev")


def test_to_json_schema_passes_json_schema_through():
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
    assert data.to_json_schema(schema) is schema
    converted = data.to_json_schema(
        {"x": {"type": "Union[int, float]"}, "y": {"type": "str", "required": False}}
    )
    assert converted == {
        "type": "object",
        "properties": {"x": {}, "y": {"type": "string"}},
        "required": ["x"],
    }


def test_in_memory_dataset_is_small_fast_and_cached():
    data.in_memory_dataset.cache_clear()
    start = time.perf_counter()
    ds = data.in_memory_dataset()
    assert time.perf_counter() - start < 1.0
    assert data.in_memory_dataset() is ds
    assert ds["manifest"]["rounds"] == [[1, 10], [11, 20]] and ds["manifest"]["pretrain"] == [21, 30]
    for key in [(1, 10), (11, 20), (21, 30)]:
        part = ds["rounds"][key]
        assert len(part["descriptions"]) == 10 and part["train"] and part["test"]
        assert all(len(set(s.tools)) in (2, 3) for s in part["test"])


def test_cli_writes_the_files(tmp_path, capsys):
    from envs.function_calling.generate import main

    main(["--out", str(tmp_path), "--n-apis", "31", "--samples-per-tool", "10", "--rounds", "1-10,11-20",
          "--pretrain", "21-30", "--train-size", "100", "--test-size", "20", "--pretrain-train-size", "100",
          "--max-calls", "3"])  # fmt: skip
    printed = capsys.readouterr().out
    assert "function_calling_train_tools1-10_3calls.json" in printed and "xlam_rows.json" in printed
    assert " s" in printed.splitlines()[-1]
    assert data.load_manifest(tmp_path)["max_calls"] == 3
    assert all(len(s.calls) <= 3 for s in data.load_round(tmp_path, 11, 20, "train"))
