"""``tinyagent_lora``: ToolRAG, the base, LoRA and both evaluations, resumed, and a local model by path."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from scenarios.tinyagent import smoke_profile
from scenarios.tinyagent.study import TinyAgentConfig, run_tinyagent


def tiny_config(tmp_path, **changes) -> TinyAgentConfig:
    smoke = smoke_profile()
    options = dict(
        train_tasks=24,
        test_tasks=6,
        toolrag_queries=60,
        pretrain_size=24,
        vocab_size=400,
        width=16,
        heads=2,
        layers=1,
        pretrain=dataclasses.replace(smoke.pretrain, max_steps=3, warmup_steps=0, batch_size=8, save_steps=3),
        lora=dataclasses.replace(smoke.lora, max_steps=3, warmup_steps=0, batch_size=8, save_steps=3),
        max_new_tokens=16,
        cache=str(tmp_path / "cache"),
        progress=False,
    )
    return dataclasses.replace(smoke, **{**options, **changes})


def test_the_study_runs_every_stage_and_a_resumed_run_reads_it_back(tmp_path):
    out = tmp_path / "run"
    results = run_tinyagent(tiny_config(tmp_path), out, device="cpu")
    for stage in ("before", "after"):
        assert set(results[stage]) == {"all", "toolrag"}
        for describe, result in results[stage].items():
            assert result["all"]["episodes"] == 6
            assert 0.0 <= result["all"]["success"] <= 1.0
            assert set(result["by_steps"]) and all(s.isdigit() for s in result["by_steps"])
            assert (out / "trajectories" / f"{stage}_{describe}.jsonl").exists()
    assert 0 < results["trainable_parameters"]
    assert 0.0 <= results["toolrag"]["tool_recall"] <= 1.0
    assert 0.0 < results["toolrag"]["prompt_chars_kept"] < 1.0  # fewer tools described than 16
    assert (out / "figures" / "success.png").exists()
    assert any((out / "tb").rglob("events.out.tfevents.*"))
    assert json.loads((out / "results.json").read_text())["after"] == results["after"]

    evaluations = sorted((out / "eval").glob("*.json"))
    stamp = {p: p.stat().st_mtime_ns for p in [*evaluations, out / "toolrag.json"]}
    again = run_tinyagent(tiny_config(tmp_path), out, device="cpu", resume=True)
    assert {p: p.stat().st_mtime_ns for p in stamp} == stamp  # nothing re-fitted or re-evaluated
    assert again["after"] == results["after"]


def test_a_local_model_by_path_plans_with_its_own_tokenizer(tmp_path):
    path = _local_model(tmp_path)
    out = tmp_path / "run"
    results = run_tinyagent(tiny_config(tmp_path, model=str(path)), out, device="cpu")
    assert results["base_model"] == str(path)
    assert not (tmp_path / "cache").exists()  # nothing pre-trained
    assert results["after"]["all"]["all"]["episodes"] == 6


def test_tinyagents_own_data_trains_and_evaluates_with_its_prompts(tmp_path, tinyagent_data):
    results = run_tinyagent(tiny_config(tmp_path, data=str(tinyagent_data)), tmp_path / "run", device="cpu")
    assert set(results["after"]) == {"all"}  # their prompts: no ToolRAG of ours
    assert results["after"]["all"]["all"]["episodes"] == 1
    assert "skipped" in results["toolrag"]


def _local_model(tmp_path):
    from agents.model import build_model
    from agents.tokenizers.tinyagent import build_tinyagent_tokenizer

    tokenizer = build_tinyagent_tokenizer(['1. get_email_address("Ana")\n2. join()<END_OF_PLAN>'] * 20, 300)
    model = build_model(len(tokenizer), 1, 2, 16, tie_embeddings=True, eos_token_id=tokenizer.eos_token_id)
    path = tmp_path / "local-model"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _qlora(config):
    peft = dataclasses.replace(config.lora.peft, load_in_4bit=True)
    return dataclasses.replace(config, lora=dataclasses.replace(config.lora, peft=peft))


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU path")
def test_qlora_without_cuda_is_refused_before_any_work(tmp_path):
    config = _qlora(tiny_config(tmp_path, model=str(_local_model(tmp_path))))
    with pytest.raises(ValueError, match="needs a CUDA device"):
        run_tinyagent(config, tmp_path / "run", device="cpu")
    assert not (tmp_path / "run").exists()
    with pytest.raises(ValueError, match="needs model=PATH"):
        _qlora(tiny_config(tmp_path))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_qlora_fine_tunes_a_4bit_local_model(tmp_path):
    pytest.importorskip("bitsandbytes")
    config = _qlora(tiny_config(tmp_path, model=str(_local_model(tmp_path))))
    results = run_tinyagent(config, tmp_path / "run", device="cuda")
    assert results["trainable_parameters"] > 0
    assert (tmp_path / "run" / "lora" / "final" / "adapter_model.safetensors").exists()


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"test_tasks": 1001}, "test_tasks"),
        ({"toolrag_share": 1.5}, "toolrag_share"),
        ({"join_share": -0.1}, "join_share"),
        ({"other_describe": "gold"}, "other_describe"),
        ({"model": "/no/such/model"}, "model"),
        ({"width": 30, "heads": 4}, "width"),
        ({"data": "/no/such/folder"}, "data"),
    ],
)
def test_bad_settings_are_refused_before_any_work(tmp_path, changes, key):
    with pytest.raises(ValueError, match=key):
        tiny_config(tmp_path, **changes)


def test_the_pretraining_corpus_plans_other_tools_without_dependencies():
    from envs.tinyagent import plans
    from scenarios.tinyagent.corpus import pretraining_conversations
    from tools.desktop.apps import TOOL_NAMES

    for messages in pretraining_conversations(60):
        prompt, plan = messages[0]["content"], messages[1]["content"]
        names = [line.split("(")[0] for line in prompt.split("\n\n")[0].splitlines()[1:]]
        parsed = plans.parse_plan(plan, names)
        assert not set(names) & set(TOOL_NAMES)
        assert all(not step.deps for step in parsed.steps)
        assert plans.parse_join(messages[-1]["content"]).action == "Finish"
        assert [m["role"] for m in messages[2:-1]] == ["tool"] * len(parsed.calls())


def test_a_share_of_the_training_conversations_keeps_its_joiner_turn():
    from scenarios.tinyagent.steps import joiner_share

    full = [
        [
            {"role": "user", "content": f"request {i}"},
            {"role": "assistant", "content": '1. get_phone_number("Ana")\n2. join()<END_OF_PLAN>'},
            {"role": "tool", "content": "Observation 1: +1 415 555 0123"},
            {"role": "assistant", "content": "Thought: done.\nAction: Finish($1)"},
        ]
        for i in range(12)
    ]
    kept = joiner_share(full, 0.25)
    assert [len(m) for m in kept].count(4) == 3  # a quarter, spread: not the first three
    assert [len(m) for m in kept[:4]].count(4) == 1
    assert all(m[:2] == f[:2] for m, f in zip(kept, full, strict=True))  # every plan turn stays
    assert joiner_share(full, 1.0) == full
    assert all(len(m) == 2 for m in joiner_share(full, 0.0))


def test_lora_moves_the_embedding_rows_only_when_asked(tmp_path):
    from scenarios.tinyagent.steps import base_model, fine_tune, fit_toolrag

    trainable, moved = {}, {}
    for lora_embeddings in (True, False):
        config = tiny_config(tmp_path, lora_embeddings=lora_embeddings)
        out = tmp_path / f"run-{lora_embeddings}"
        out.mkdir()
        toolrag, _ = fit_toolrag(config, out)
        model, tokenizer, _ = base_model(config, "cpu")
        ids = torch.arange(len(tokenizer))
        before = model.get_input_embeddings()(ids).detach().clone()
        trained, trainable[lora_embeddings] = fine_tune(
            config, model, tokenizer, toolrag, out, "cpu", resume=False
        )
        after = trained.get_input_embeddings()(ids).detach()
        moved[lora_embeddings] = int(((after - before).abs().sum(dim=1) > 0).sum())
    assert moved[False] == 0
    assert moved[True] > 0
    assert trainable[True] == trainable[False] + len(tokenizer) * config.width  # every row counted


def test_the_evaluated_model_is_the_lora_model_merged_into_the_base(tmp_path):
    from peft import PeftModel

    from learners.common import quiet_library_warnings
    from scenarios.tinyagent.steps import base_model, fine_tune, fit_toolrag

    config, out = tiny_config(tmp_path), tmp_path / "run"
    out.mkdir()
    toolrag, _ = fit_toolrag(config, out)
    model, tokenizer, _ = base_model(config, "cpu")
    merged, _ = fine_tune(config, model, tokenizer, toolrag, out, "cpu", resume=False)
    assert not isinstance(merged, PeftModel)
    base, _, _ = base_model(config, "cpu")  # the cached base, untouched by the merge
    ids = tokenizer("Question: email Ana the budget PDF", return_tensors="pt").input_ids
    with torch.no_grad(), quiet_library_warnings():
        plain = base(ids).logits
        adapters = PeftModel.from_pretrained(base, out / "lora" / "final")(ids).logits
        torch.testing.assert_close(merged(ids).logits, adapters, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(adapters, plain)  # LoRA moved the model, and the merge kept it


def test_other_training_prompts_describe_all_tools_or_the_gold_ones_among_distractors(tmp_path):
    from scenarios.tinyagent.steps import fit_toolrag, training_conversations
    from tools.desktop.apps import TOOL_NAMES

    described = {}
    for other in ("all", "noisy"):
        config = tiny_config(tmp_path, train_tasks=16, toolrag_share=0.25, other_describe=other)
        toolrag, _ = fit_toolrag(config, tmp_path)
        prompts = [c.messages[0]["content"] for c in training_conversations(config, toolrag)][4:]
        described[other] = [sum(f"\n{name}(" in "\n" + p for name in TOOL_NAMES) for p in prompts]
    assert set(described["all"]) == {len(TOOL_NAMES)}
    assert len(set(described["noisy"])) > 3 and min(described["noisy"]) < len(TOOL_NAMES)
