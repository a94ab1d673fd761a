"""xLAM-format rows, TokMem's data recipe, the files it writes, and their loaders.

The pipeline is TokMem's (``compositional/xlam_datasets.py``), so the same code runs on the real
``xlam_function_calling_60k.json`` and on the synthetic catalogue of ``apis``:

1. rows in xLAM's format: ``{"id", "query", "tools", "answers"}`` (``generate_rows`` or ``load_xlam``);
2. ``tokmem_recipe``: rank tools by how often they are the only tool of a row (``search`` excluded),
   keep the single-tool rows of a frequency range, split them per tool, and synthesise train (every
   single-tool row plus 2-3 tool compositions) and test (compositions of held-out rows only);
3. ``write_round``: TokMem's file names, so TokMem's own scripts read our files and we read theirs.

The randomness is TokMem's, seed for seed (42 for the split, 100 for train, 200 for test), drawn from
``random.Random`` instances in the order TokMem draws from the global generator, so the real data
gives TokMem's samples. Synthetic rows carry a ``"split"`` hint (held-out phrasings and values for
test rows) that replaces the seed-42 shuffle; real xLAM rows have none.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from envs.function_calling.apis import (
    PARAMETER_POOL,
    Api,
    catalogue,
    open_value,
    render_value,
    slots,
)

MANIFEST_VERSION = 1
SPLITS = ("train", "test")
BASE_CONNECTORS = (
    " Also, ",
    " Additionally, ",
    " Furthermore, ",
    " Moreover, ",
    " In addition, ",
    " Besides, ",
    " Plus, ",
    " Next, ",
    " Then, ",
    " After that, ",
    " On top of that, ",
)
FINAL_CONNECTORS = (" Finally, ", " Lastly, ", " At last, ")

# xLAM parameter types -> JSON Schema types (``List[...]`` and ``, optional`` are handled apart).
_XLAM_TYPES = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "list": "array",
    "array": "array",
    "dict": "object",
    "object": "object",
}


# ----------------------------------------------------------------------------------------- samples


@dataclass
class Sample:
    """One TokMem sample: a query and its calls, ``tools[i]`` paired with ``calls[i]`` (argument dicts)."""

    query: str
    tools: list[str]
    calls: list[dict] = field(default_factory=list)

    def to_tokmem(self) -> dict:
        """TokMem's saved form: ``function_calls`` are ``json.dumps`` of the argument dicts."""
        return {
            "user_input": self.query,
            "tools": list(self.tools),
            "function_calls": [json.dumps(c) for c in self.calls],
        }

    @classmethod
    def from_tokmem(cls, d: dict) -> Sample:
        """Read TokMem's form (``function_calls`` as JSON strings or dicts); ``ValueError`` when malformed."""
        try:
            query, tools, raw = d["user_input"], d["tools"], d["function_calls"]
        except (KeyError, TypeError) as e:
            raise ValueError(
                f"a TokMem sample needs user_input, tools, function_calls; got {d!r:.200}"
            ) from e
        calls = [json.loads(c) if isinstance(c, str) else c for c in raw]
        if (
            not isinstance(query, str)
            or len(tools) != len(calls)
            or not all(isinstance(c, dict) for c in calls)
        ):
            raise ValueError(f"malformed TokMem sample (tools and calls must pair up as dicts): {d!r:.200}")
        return cls(query, list(tools), calls)


# ------------------------------------------------------------------------------------- xLAM rows


def _pick(pool: tuple, rng: random.Random, avoid: set):
    options = [v for v in pool if v not in avoid] or list(pool)
    return rng.choice(options)


def _sample_arguments(api: Api, phrasing: str, rng: random.Random, test: bool, open_values: bool) -> dict:
    """Values for the phrasing's slots: held-out values in test rows (where the pool has any), else
    train; with ``open_values``, fresh values of each parameter's shape (``apis.open_value``)."""
    args: dict = {}
    used: set = set()  # no two parameters of one call share a value (origin != destination ...)
    for name in slots(phrasing):
        p = PARAMETER_POOL[name]
        start = {"end_date": "start_date", "check_out": "check_in"}.get(name)
        if start in args:
            args[name] = (date.fromisoformat(args[start]) + timedelta(days=rng.randint(1, 10))).isoformat()
        elif open_values:
            args[name] = open_value(p, rng)
        elif p.type == "bool":
            args[name] = rng.random() < 0.5
        elif p.type == "enum":
            args[name] = rng.choice(p.values)
        elif p.type == "list":
            item = PARAMETER_POOL[p.item]
            k = rng.randint(2, 3)
            if test:  # at least one held-out item; the rest from the whole pool
                first = rng.choice(item.heldout)
                rest = [v for v in item.values + item.heldout if v != first]
                args[name] = [first, *rng.sample(rest, k - 1)]
            else:
                args[name] = rng.sample(item.values, k)
        else:
            pool = p.heldout if test and p.heldout else p.values
            args[name] = _pick(pool, rng, used)
            used.add(args[name])
    return args


def render_query(api: Api, phrasing: str, arguments: dict) -> str:
    """The phrasing with each slot replaced by its rendered argument (strings verbatim)."""
    return phrasing.format_map({n: render_value(PARAMETER_POOL[n], v) for n, v in arguments.items()})


def _lower_first(text: str) -> str:
    return text if text.startswith(("I ", "I'")) else text[:1].lower() + text[1:]


def _row(
    api: Api, rng: random.Random, test: bool, multi_call_ratio: float, open_values: bool
) -> tuple[str, list[dict]]:
    phrasings = api.test_phrasings if test else api.train_phrasings
    phrasing = rng.choice(phrasings)
    args = _sample_arguments(api, phrasing, rng, test, open_values)
    query = render_query(api, phrasing, args)
    answers = [{"name": api.name, "arguments": args}]
    if rng.random() < multi_call_ratio:  # the same tool twice, as xLAM's "in Paris and in Rome" rows
        second = rng.choice(phrasings)
        for _ in range(10):
            args2 = _sample_arguments(api, second, rng, test, open_values)
            if args2 != args:
                break
        else:
            return query, answers
        q2 = _lower_first(render_query(api, second, args2))
        query = f"{query} Also, {q2}" if query.endswith("?") else f"{query[:-1]}, and also {q2}"
        answers.append({"name": api.name, "arguments": args2})
    return query, answers


def _xlam_tool(api: Api) -> dict:
    return {"name": api.name, "description": api.description, "parameters": api.parameters}


def generate_rows(
    apis: list[Api],
    samples_per_tool: int = 50,
    seed: int = 0,
    *,
    multi_call_ratio: float = 0.15,
    test_every: int = 10,
    max_distractors: int = 2,
    open_values: bool = False,
) -> list[dict]:
    """xLAM rows (``tools``/``answers`` as lists) for every API, each with a ``"split"`` hint.

    API ``i`` gets ``samples_per_tool + (len(apis) - i) // 8`` rows, so frequency ranks follow the
    catalogue order (ties go to the earlier API, since rows are interleaved and ranking is stable).
    Row ``j`` of an API is a test row when ``j % test_every == test_every - 1`` (5 of the first 50
    with the default, TokMem's 9%): it uses held-out phrasings and values, train rows never do.
    ``multi_call_ratio`` of the rows call the API twice; each row offers 0-``max_distractors`` other APIs.
    ``open_values`` draws fresh values (``apis.open_value``) instead of the pools' (pre-training rows).
    """
    per_api = []
    for i, api in enumerate(apis):
        rng = random.Random(f"{seed}:{api.name}")  # per API: adding APIs leaves the others' rows alone
        rows = []
        for j in range(samples_per_tool + (len(apis) - i) // 8):
            test = j % test_every == test_every - 1
            query, answers = _row(api, rng, test, multi_call_ratio, open_values)
            others = [k for k in rng.sample(range(len(apis)), min(len(apis), max_distractors + 1)) if k != i]
            offered = [_xlam_tool(apis[k]) for k in others[: rng.randint(0, max_distractors)]]
            offered.insert(rng.randint(0, len(offered)), _xlam_tool(api))
            rows.append(
                {"query": query, "tools": offered, "answers": answers, "split": "test" if test else "train"}
            )
        per_api.append(rows)
    out = []
    for j in range(max(map(len, per_api), default=0)):
        for rows in per_api:
            if j < len(rows):
                out.append({"id": len(out), **rows[j]})
    return out


def to_json_schema(parameters: dict) -> dict:
    """xLAM's ``{param: {"type": "str, optional", "description", "default"}}`` as a JSON Schema object.

    JSON Schema objects pass through unchanged. Types: str/int/float/bool/list/dict, ``List[X]``
    (an array of X), ``X, optional`` (not required); anything else (``Any``, ``Union[...]``,
    ``Callable``) leaves the type open. ``required: false`` also makes a parameter optional.
    """
    if parameters.get("type") == "object" and isinstance(parameters.get("properties", {}), dict):
        return parameters
    properties, required = {}, []
    for name, spec in parameters.items():
        spec = spec if isinstance(spec, dict) else {"type": str(spec)}
        raw = str(spec.get("type", "")).strip()
        optional = raw.endswith(", optional") or spec.get("required") is False
        base = raw.removesuffix(", optional").strip()
        prop: dict = {}
        if base.lower().startswith(("list[", "typing.list[")):
            inner = _XLAM_TYPES.get(base[base.index("[") + 1 : -1].strip().lower())
            prop = {"type": "array", **({"items": {"type": inner}} if inner else {})}
        elif base.lower() in _XLAM_TYPES:
            prop = {"type": _XLAM_TYPES[base.lower()]}
        if "description" in spec:
            prop["description"] = spec["description"]
        if "default" in spec:
            prop["default"] = spec["default"]
        properties[name] = prop
        if not optional:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


# ---------------------------------------------------------------------------------- TokMem's recipe


def _as_list(value, what: str, index) -> list:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise ValueError(f"row {index}: {what} is not valid JSON ({e})") from e
    if not isinstance(value, list):
        raise ValueError(f"row {index}: {what} must be a list, got {type(value).__name__}")
    return value


def parse_range(top_k: str | int | tuple[int, int]) -> tuple[int, int]:
    """TokMem's ``--top_k``: an int k (ranks 1..k) or a 1-indexed inclusive range "51-100" / (51, 100)."""
    if isinstance(top_k, tuple):
        first, last = top_k
    elif isinstance(top_k, int) or str(top_k).strip().isdigit():
        first, last = 1, int(top_k)
    else:
        try:
            first, last = (int(x) for x in str(top_k).split("-"))
        except ValueError as e:
            raise ValueError(f"top_k must be an int or a range like '51-100', got {top_k!r}") from e
    if not 1 <= first <= last:
        raise ValueError(f"top_k range must satisfy 1 <= first <= last, got {top_k!r}")
    return first, last


def rank_tools(rows: list[dict]) -> list[str]:
    """Tool names by how many rows use them alone (one distinct name, maybe several calls), ``search`` out.

    Ties keep first-appearance order, as TokMem's stable ``sorted`` over an insertion-ordered dict.
    """
    frequency: dict[str, int] = {}
    for index, row in enumerate(rows):
        names = {a.get("name") for a in _as_list(row["answers"], "answers", row.get("id", index))} - {
            None,
            "",
        }
        if len(names) == 1:
            name = names.pop()
            frequency[name] = frequency.get(name, 0) + 1
    ranked = sorted(frequency.items(), key=lambda x: x[1], reverse=True)
    return [name for name, _ in ranked if name != "search"]


def _compose(single, multi, tool_names, num_tools, multi_call_probability, max_calls, rng, lowercase):
    """TokMem's ``create_sample``: one composition of ``num_tools`` distinct tools, or None after 50 tries."""
    available = [t for t in tool_names if single.get(t)]
    if len(available) < num_tools:
        return None
    for _ in range(50):
        selected = rng.sample(available, num_tools)
        queries, tools, calls = [], [], []
        for i, tool in enumerate(selected):
            use_multi = rng.random() < multi_call_probability and multi.get(tool)
            item = rng.choice(multi[tool]) if use_multi else rng.choice(single[tool])
            query = item["query"]
            if i > 0:
                query = query.lower() if lowercase else query
                final = i == num_tools - 1 and num_tools >= 3
                query = rng.choice(FINAL_CONNECTORS if final else BASE_CONNECTORS) + query
            if item["calls"]:  # TokMem drops the part of a multi-call sample whose calls lack arguments
                queries.append(query)
            for args in item["calls"]:
                tools.append(tool)
                calls.append(args)
        if max_calls is not None and len(calls) > max_calls:
            continue
        if calls:
            return Sample("".join(queries), tools, calls)
    return None


def _arguments(value) -> dict:
    """A call's arguments as a dict (some dumps store them as a JSON string)."""
    return json.loads(value) if isinstance(value, str) else value


def _synthesize(
    tool_data, tool_names, num_samples, ratios, split, multi_call_probability, max_calls, seed, lowercase
):
    """TokMem's ``synthesize_multi_tool_data`` (train: all single-tool samples first; test: none)."""
    rng = random.Random(seed)
    single: dict[str, list] = {}
    multi: dict[str, list] = {}
    for tool, samples in tool_data.items():
        single[tool], multi[tool] = [], []
        for s in samples:
            calls = [_arguments(c["arguments"]) for c in s["calls"] if c.get("arguments")]
            if len(s["calls"]) > 1:
                multi[tool].append({"query": s["query"], "calls": calls})
            elif calls:
                single[tool].append({"query": s["query"], "calls": calls})
    out: list[Sample] = []
    if split == "train":
        for tool, items in single.items():
            out.extend(Sample(it["query"], [tool], it["calls"]) for it in items)
        for tool, items in multi.items():
            out.extend(
                Sample(it["query"], [tool] * len(it["calls"]), it["calls"])
                for it in items
                if it["calls"] and (max_calls is None or len(it["calls"]) <= max_calls)
            )
    remaining = max(0, num_samples - len(out))
    multi_ratios = {k: v for k, v in ratios.items() if k > 1}
    total = sum(multi_ratios.values())
    if total > 0:
        ordered = sorted((k, v / total) for k, v in multi_ratios.items())
        counts, allocated = {}, 0
        for i, (num_tools, ratio) in enumerate(ordered):
            counts[num_tools] = remaining - allocated if i == len(ordered) - 1 else int(remaining * ratio)
            allocated += counts[num_tools]
        for num_tools, count in counts.items():
            for _ in range(count):
                sample = _compose(
                    single, multi, tool_names, num_tools, multi_call_probability, max_calls, rng, lowercase
                )
                if sample:
                    out.append(sample)
    rng.shuffle(out)
    return out


def tokmem_recipe(
    rows: list[dict],
    top_k: str | int | tuple[int, int],
    max_samples_per_tool: int | None = 50,
    train_size: int = 5000,
    test_size: int = 500,
    max_calls: int | None = 4,
    train_multi_tool_ratios: tuple[float, float] = (0.5, 0.5),
    test_multi_tool_ratios: tuple[float, float] = (0.5, 0.5),
    *,
    multi_call_probability: float = 0.1,
    lowercase_later: bool = True,
) -> tuple[list[Sample], list[Sample], dict[str, dict]]:
    """TokMem's data for the tools ranked ``top_k``: (train, test, descriptions by tool name).

    Exactly ``xlam_datasets.py`` with ``--*_max_function_calls max_calls`` (None: unlimited) and
    multi-call probability 0.1; with ``max_calls < 3`` the 3-tool ratio is 0, as there. Rows with a
    ``split`` hint are split by it; others per tool by a seed-42 shuffle at
    ``train_size / (train_size + test_size)``. ``lowercase_later`` is TokMem's ``query.lower()`` of
    every composed part after the first (it also lower-cases values such as "Paris"); False keeps case.
    Descriptions are ``{name, description, parameters (JSON Schema), type}`` from the first row offering
    the tool, in rank order.
    """
    first, last = parse_range(top_k)
    selected = rank_tools(rows)[first - 1 : last]
    chosen = set(selected)
    tool_data: dict[str, list[dict]] = {t: [] for t in selected}
    for index, row in enumerate(rows):
        answers = _as_list(row["answers"], "answers", row.get("id", index))
        names = {a.get("name") for a in answers} - {None, ""}
        if len(names) != 1 or not names & chosen:
            continue
        name = next(iter(names))
        if max_samples_per_tool is None or len(tool_data[name]) < max_samples_per_tool:
            calls = [a for a in answers if a.get("name") == name]
            tool_data[name].append(
                {"id": row.get("id", index), "query": row["query"], "calls": calls, "split": row.get("split")}
            )
    descriptions: dict[str, dict] = {}
    for index, row in enumerate(rows):  # TokMem's extract_tool_descriptions: first row offering each tool
        for tool in _as_list(row.get("tools", []), "tools", row.get("id", index)):
            if tool.get("name") in chosen and tool["name"] not in descriptions:
                descriptions[tool["name"]] = {
                    "name": tool["name"],
                    "description": tool.get("description", ""),
                    "parameters": to_json_schema(tool.get("parameters", {})),
                    "type": tool.get("type") or "function",
                }
        if len(descriptions) == len(chosen):
            break
    descriptions = {t: descriptions[t] for t in selected if t in descriptions}

    split_rng = random.Random(42)
    train_ratio = train_size / (train_size + test_size)
    train_data, test_data = {}, {}
    for tool, samples in tool_data.items():
        if samples and all(s["split"] in SPLITS for s in samples):
            train_data[tool] = [s for s in samples if s["split"] == "train"]
            test_data[tool] = [s for s in samples if s["split"] == "test"]
        else:
            shuffled = samples.copy()
            split_rng.shuffle(shuffled)
            n_train = int(len(shuffled) * train_ratio)
            train_data[tool], test_data[tool] = shuffled[:n_train], shuffled[n_train:]

    def ratios(pair):
        return {2: 1.0, 3: 0.0} if max_calls is not None and max_calls < 3 else {2: pair[0], 3: pair[1]}

    common = {"multi_call_probability": multi_call_probability, "max_calls": max_calls}
    train = _synthesize(
        train_data, selected, train_size, ratios(train_multi_tool_ratios), "train", seed=100,
        lowercase=lowercase_later, **common,
    )  # fmt: skip
    test = _synthesize(
        test_data, selected, test_size, ratios(test_multi_tool_ratios), "test", seed=200,
        lowercase=lowercase_later, **common,
    )  # fmt: skip
    return train, test, descriptions


# ------------------------------------------------------------------------------------------- files


def tokmem_file_names(first: int, last: int, max_calls: int | None) -> dict[str, str]:
    """TokMem's relative file names for the range ``first-last``: keys "train", "test", "descriptions"."""
    suffix = f"_{max_calls}calls" if max_calls else "_unlimited"
    return {
        "train": f"training/function_calling_train_tools{first}-{last}{suffix}.json",
        "test": f"test/function_calling_test_tools{first}-{last}{suffix}.json",
        "descriptions": f"tool_descriptions_tools{first}-{last}.json",
    }


def _dump(path: Path, obj, indent: int | None = 2) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=indent))
    return path


def write_round(
    out_dir: str | Path,
    first: int,
    last: int,
    train: list[Sample],
    test: list[Sample],
    descriptions: dict[str, dict],
    max_calls: int | None,
) -> list[Path]:
    """Write one range's train, test and descriptions under TokMem's names; returns the paths."""
    names = tokmem_file_names(first, last, max_calls)
    out = Path(out_dir)
    return [
        _dump(out / names["train"], [s.to_tokmem() for s in train]),
        _dump(out / names["test"], [s.to_tokmem() for s in test]),
        _dump(out / names["descriptions"], descriptions),
    ]


def _encoded_row(row: dict) -> dict:
    return {**row, "tools": json.dumps(row["tools"]), "answers": json.dumps(row["answers"])}


def generate(
    out_dir: str | Path,
    *,
    n_apis: int = 320,
    samples_per_tool: int = 50,
    rounds: tuple[tuple[int, int], ...] = ((1, 50), (51, 100)),
    pretrain: tuple[int, int] | None = (101, 300),
    train_size: int = 5000,
    test_size: int = 500,
    pretrain_train_size: int = 20000,
    max_calls: int | None = 4,
    seed: int = 0,
    lowercase_later: bool = True,
    pretrain_values: str = "pool",
    pretrain_samples_per_tool: int | None = None,
) -> Path:
    """Write the whole study's data to ``out_dir`` and return it.

    Files: every round and the pretraining range under TokMem's names (``tokmem_file_names``),
    ``xlam_rows.json`` (the source rows, one per line, ``tools``/``answers`` JSON strings as on the
    Hub) and ``manifest.json``. The pretraining range has its own train size (its single-tool rows
    alone are ~45 per tool) and the rounds' test size.

    The pretraining range's rows can be drawn apart from the rounds' (which they never change):
    ``pretrain_values="open"`` gives them fresh values of each parameter's shape instead of the
    pools' (``apis.open_value``: a base model trained on them must copy values from the query, not
    recall them), and ``pretrain_samples_per_tool`` its own number of source rows per tool.
    """
    if pretrain_values not in ("pool", "open"):
        raise ValueError(f"pretrain_values={pretrain_values!r} is not valid; choose from ['pool', 'open']")
    ranges = [*rounds, *([pretrain] if pretrain else [])]
    apis = catalogue(n_apis, seed)
    rankable = sum(a.name != "search" for a in apis)
    for first, last in ranges:
        parse_range((first, last))
        if last > rankable:
            raise ValueError(
                f"range {first}-{last} needs {last} ranked tools; n_apis={n_apis} gives {rankable}"
            )
    rows = generate_rows(apis, samples_per_tool, seed)
    pretrain_per_tool = pretrain_samples_per_tool or samples_per_tool
    pretrain_rows = rows
    if pretrain and (pretrain_values == "open" or pretrain_per_tool != samples_per_tool):
        pretrain_rows = generate_rows(apis, pretrain_per_tool, seed, open_values=pretrain_values == "open")
        # Rows per API fall with its catalogue index whatever the count, so the ranks are the same.
        first, last = pretrain
        if rank_tools(pretrain_rows)[first - 1 : last] != rank_tools(rows)[first - 1 : last]:
            raise RuntimeError("the pretraining rows rank their tools unlike the rounds' rows")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for first, last in ranges:
        is_pretrain = (first, last) == pretrain
        train, test, descriptions = tokmem_recipe(
            pretrain_rows if is_pretrain else rows,
            (first, last),
            pretrain_per_tool if is_pretrain else samples_per_tool,
            pretrain_train_size if is_pretrain else train_size,
            test_size,
            max_calls,
            lowercase_later=lowercase_later,
        )
        write_round(out, first, last, train, test, descriptions, max_calls)
    (out / "xlam_rows.json").write_text(
        "[\n" + ",\n".join(json.dumps(_encoded_row(r)) for r in rows) + "\n]\n"
    )
    manifest = {
        "rounds": [list(r) for r in rounds],
        "pretrain": list(pretrain) if pretrain else None,
        "max_calls": max_calls,
        "samples_per_tool": samples_per_tool,
        "seed": seed,
        "version": MANIFEST_VERSION,
        "n_apis": n_apis,
        "train_size": train_size,
        "test_size": test_size,
        "pretrain_train_size": pretrain_train_size,
        "lowercase_later": lowercase_later,
    }
    if pretrain_values != "pool" or pretrain_per_tool != samples_per_tool:  # older manifests lack them
        manifest.update(pretrain_values=pretrain_values, pretrain_samples_per_tool=pretrain_per_tool)
    _dump(out / "manifest.json", manifest)
    return out


# ----------------------------------------------------------------------------------------- loaders


def _read_json(path: str | Path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e


def load_manifest(data_dir: str | Path) -> dict:
    """``manifest.json`` of a folder written by ``generate``."""
    manifest = _read_json(Path(data_dir) / "manifest.json")
    missing = {"rounds", "max_calls"} - set(manifest)
    if missing:
        raise ValueError(f"{Path(data_dir) / 'manifest.json'}: missing keys {sorted(missing)}")
    return manifest


def _round_path(data_dir: str | Path, first: int, last: int, key: str, max_calls) -> Path:
    data_dir = Path(data_dir)
    if max_calls is None and (data_dir / "manifest.json").is_file():
        max_calls = load_manifest(data_dir)["max_calls"]
    return data_dir / tokmem_file_names(first, last, max_calls)[key]


def load_tokmem_samples(path: str | Path) -> list[Sample]:
    """A TokMem train/test file (a JSON list of ``{"user_input", "tools", "function_calls"}``)."""
    data = _read_json(path)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of samples, got {type(data).__name__}")
    samples = []
    for i, d in enumerate(data):
        try:
            samples.append(Sample.from_tokmem(d))
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}: sample {i}: {e}") from e
    return samples


def load_round(
    data_dir: str | Path, first: int, last: int, split: str, *, max_calls: int | None = None
) -> list[Sample]:
    """The ``split`` ("train" or "test") samples of range ``first-last`` (``max_calls`` from the manifest)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return load_tokmem_samples(_round_path(data_dir, first, last, split, max_calls))


def load_descriptions(data_dir: str | Path, first: int, last: int) -> dict[str, dict]:
    """``tool_descriptions_tools{first}-{last}.json``: name -> {name, description, parameters, type}."""
    path = _round_path(data_dir, first, last, "descriptions", 0)
    data = _read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of tool descriptions")
    for name, d in data.items():
        if not isinstance(d, dict) or "parameters" not in d:
            raise ValueError(f"{path}: tool {name!r} has no parameters")
        d["parameters"] = to_json_schema(d["parameters"])
    return data


def load_xlam(path: str | Path) -> list[dict]:
    """xLAM rows (the real ``xlam_function_calling_60k.json`` or ours) with ``tools``/``answers`` as lists."""
    data = _read_json(path)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of rows, got {type(data).__name__}")
    rows = []
    for i, row in enumerate(data):
        if not isinstance(row, dict) or not {"query", "answers"} <= set(row):
            raise ValueError(f"{path}: row {i} needs query and answers")
        try:
            tools = _as_list(row.get("tools", []), "tools", row.get("id", i))
            answers = _as_list(row["answers"], "answers", row.get("id", i))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from e
        if not all(isinstance(a, dict) and "name" in a for a in answers):
            raise ValueError(f"{path}: row {row.get('id', i)}: each answer needs a name")
        rows.append({**row, "tools": tools, "answers": answers})
    return rows


@functools.lru_cache(maxsize=8)
def in_memory_dataset(
    n_tools_per_round: int = 10, samples_per_tool: int = 12, seed: int = 0, *, test_every: int = 4
) -> dict:
    """A small dataset built without files: two rounds and a pretraining range of ``n_tools_per_round``.

    ``{"manifest", "rounds": {(first, last): {"train", "test", "descriptions"}}}``; the pretraining range
    is a key of "rounds" too. Cached per process: treat the result as read-only.
    """
    n = n_tools_per_round
    rounds, pretrain = ((1, n), (n + 1, 2 * n)), (2 * n + 1, 3 * n)
    max_calls = 4
    apis = catalogue(3 * n + 1, seed)
    rows = generate_rows(apis, samples_per_tool, seed, test_every=test_every)
    data = {}
    for first, last in (*rounds, pretrain):
        train, test, descriptions = tokmem_recipe(
            rows, (first, last), samples_per_tool, 20 * n, 4 * n, max_calls
        )
        data[(first, last)] = {"train": train, "test": test, "descriptions": descriptions}
    manifest = {
        "rounds": [list(r) for r in rounds],
        "pretrain": list(pretrain),
        "max_calls": max_calls,
        "samples_per_tool": samples_per_tool,
        "seed": seed,
        "version": MANIFEST_VERSION,
    }
    return {"manifest": manifest, "rounds": data}
