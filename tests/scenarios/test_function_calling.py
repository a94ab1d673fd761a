"""``function_calling_rounds``: every method through two rounds, resumed, and a local model by path."""

from __future__ import annotations

import dataclasses
import json

import pytest

from scenarios.function_calling import smoke_profile
from scenarios.function_calling.study import FunctionCallingConfig, run_function_calling


def tiny_config(tmp_path, **changes) -> FunctionCallingConfig:
    smoke = smoke_profile()
    options = dict(
        tools_per_round=3,
        samples_per_tool=20,
        train_size=24,
        test_size=8,
        n_apis=40,
        pretrain_tools=10,
        pretrain_size=40,
        width=16,
        heads=2,
        layers=1,
        pretrain=dataclasses.replace(smoke.pretrain, max_steps=4, warmup_steps=0, batch_size=8, save_steps=4),
        tool_tokens=dataclasses.replace(smoke.tool_tokens, batch_size=8),
        lora=dataclasses.replace(smoke.lora, batch_size=8),
        max_new_tokens=24,
        cache=str(tmp_path / "cache"),
        progress=False,
    )
    return dataclasses.replace(smoke, **{**options, **changes})


def test_every_method_runs_both_rounds_and_a_resumed_run_reads_them_back(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    # Pre-trained on every call format: the tool-token and alias conversations run through too.
    config = tiny_config(tmp_path, pretrain_formats=["json", "tokens", "text"])
    results = run_function_calling(config, out, device="cpu")
    assert set(results["methods"]) == {"tool_tokens", "lora", "lora_replay", "icl"}
    for name, method in results["methods"].items():
        rounds = method["rounds"]
        assert [r["round"] for r in rounds] == [1, 2]
        # After round 2 every method is tested on both rounds' compositions (forgetting).
        assert {"round1", "round2"} <= set(rounds[1]["eval"])
        assert set(rounds[0]["eval"]) == {"all", "round1"}
        assert 0.0 <= rounds[1]["eval"]["round2"]["tool_f1"] <= 1.0
        assert (out / "trajectories" / f"{name}_round2.jsonl").exists()
        assert any((out / "tb" / name).iterdir())  # the rounds' scores in TensorBoard
    tokens, lora = results["methods"]["tool_tokens"]["rounds"], results["methods"]["lora"]["rounds"]
    assert tokens[1]["trainable_parameters"] == 3 * 16  # round 2: its three token rows only
    assert 0 < tokens[1]["trainable_parameters"] < lora[1]["trainable_parameters"]
    assert results["methods"]["icl"]["rounds"][0]["eval"]["round1"]["retrieval_recall"] is not None
    assert set(results["forgetting"]) == set(results["methods"])
    assert results["headline"]["metric"] == "tool_f1"
    assert (out / "figures" / "rounds.png").exists()
    saved = json.loads((out / "results.json").read_text())
    assert saved["methods"]["lora"]["rounds"][1]["eval"] == lora[1]["eval"]

    stamp = {p: p.stat().st_mtime_ns for p in out.glob("*/round*/round.json")}
    again = run_function_calling(config, out, device="cpu", resume=True)
    assert {p: p.stat().st_mtime_ns for p in stamp} == stamp  # nothing retrained or re-evaluated
    assert again["methods"] == json.loads(json.dumps(results["methods"]))


def test_a_local_llama3_model_by_path_uses_its_reserved_tokens(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    from agents.tokenizers import byte_level_tokenizer

    reserved = [f"<|reserved_special_token_{i}|>" for i in range(8)]
    heads = ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>"]
    tokenizer = byte_level_tokenizer(
        [*heads, *reserved, "<|eot_id|>"], eos="<|eot_id|>", chat_template="", extra=heads
    )
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
            num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=True,
            eos_token_id=len(tokenizer) - 1, pad_token_id=len(tokenizer) - 1,
        )
    )  # fmt: skip
    path = tmp_path / "llama"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    out = tmp_path / "run"
    out.mkdir()
    config = tiny_config(tmp_path, model=str(path), methods=["tool_tokens"], rounds=1)
    results = run_function_calling(config, out, device="cpu")
    episode = json.loads((out / "trajectories" / "tool_tokens_round1.jsonl").read_text().splitlines()[0])
    assert episode["tokens"][0] == "<|begin_of_text|>"  # TokMem's Llama-3 prompt
    assert results["methods"]["tool_tokens"]["rounds"][0]["trainable_parameters"] > 3 * 16  # + round-1 LoRA


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"methods": ["tool_tokens", "prompting"]}, "methods"),
        ({"n_apis": 50}, "n_apis"),
        ({"rounds": 6, "n_apis": 600}, "tool tokens"),
        ({"width": 30, "heads": 4}, "width"),
        ({"pretrain_formats": ["yaml"]}, "pretrain_formats"),
        ({"pretrain_formats": ["json", "tokens"]}, "lower pretrain_tools"),
        ({"data_dir": "/nonexistent/fc"}, "data_dir='/nonexistent/fc' is not valid; it has no manifest.json"),
    ],
)
def test_bad_settings_are_refused_before_any_work(changes, message):
    with pytest.raises(ValueError, match=message):
        FunctionCallingConfig(**changes)
