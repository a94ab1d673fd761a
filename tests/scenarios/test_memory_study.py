"""The memory_1000 study: a run without OOD questions, a resume after a torn oracle file, option checks."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM

import learners.sft
from envs.memory.env import MODES
from envs.trajectory import read_trajectories
from learners.sft_config import SFTConfig
from scenarios.memory.grids import MemoryGridConfig, ModeTraining
from scenarios.memory.study import MemoryConfig, ModeConfig, run_memory, train_and_evaluate


def tiny(**changes) -> MemoryConfig:
    sft = SFTConfig(
        learning_rate=1e-2, batch_size=4, max_steps=4, warmup_steps=1, save_steps=2, logging_steps=2
    )
    values = dict(
        n_people=2,
        ood_questions=0,
        in_tool=ModeConfig(width=8, sft=sft),
        in_weight=ModeConfig(width=8, sft=SFTConfig(**vars(sft))),
        eval_batch_size=8,
        progress=False,
    )
    return MemoryConfig(**{**values, **changes})


def test_a_run_without_ood_questions_reports_no_ood_accuracy(tmp_path, capsys):
    out = tmp_path / "run"
    results = run_memory(tiny(), out, device="cpu")
    assert results["random"]["ood_accuracy"] is None  # no episodes played, not a score of 0
    assert all(results[mode]["ood_accuracy"] is None for mode in MODES)
    saved = json.loads((out / "results.json").read_text())
    assert saved["random"]["ood_accuracy"] is None
    assert saved["headline"] == {
        "metric": "recall",
        "values": {key: results[key]["recall"] for key in ("in_tool", "in_weight", "random")},
    }
    assert (out / "figures" / "recall.png").stat().st_size > 0
    table = capsys.readouterr().out.split("wall time")[0].splitlines()
    random_row = next(line for line in table if line.startswith("random"))
    assert random_row.split()[-1] == "-"  # the OOD column of the random agent
    assert not (out / "trajectories" / "eval_in_tool_ood.jsonl").exists()


def test_a_finished_lora_run_resumes_to_its_adapter_without_training_again(tmp_path, monkeypatch):
    from learners.sft_config import PeftOptions

    config = tiny()
    config.in_weight.sft.peft = PeftOptions(r=2)
    out = tmp_path / "run"
    first = train_and_evaluate(config, "in_weight", out, "cpu")
    assert (out / "checkpoints" / "in_weight" / "final" / "adapter_config.json").exists()
    monkeypatch.setattr(learners.sft, "train_sft", lambda *a, **k: pytest.fail("trained again"))
    again = train_and_evaluate(config, "in_weight", out, "cpu", resume=True)
    assert again["train_seconds"] is None and again["params"] == first["params"]
    assert again["recall"] == first["recall"] and again["recall_by_attribute"] == first["recall_by_attribute"]
    played = [
        [m["content"] for m in t.messages]
        for t in read_trajectories(out / "trajectories" / "eval_in_weight_train.jsonl")
    ]
    assert played and all(len(p) == 2 for p in played)


def test_a_resume_never_trains_on_a_partial_oracle_file(tmp_path, monkeypatch):
    config, out = tiny(), tmp_path / "run"
    trained_on = []
    real = learners.sft.train_sft

    def recording(model, tokenizer, trajectories, *args, **kwargs):
        trained_on.append(len(trajectories))
        return real(model, tokenizer, trajectories, *args, **kwargs)

    monkeypatch.setattr(learners.sft, "train_sft", recording)
    first = train_and_evaluate(config, "in_weight", out, "cpu")
    oracle = out / "trajectories" / "oracle_in_weight.jsonl"
    complete = oracle.read_text()

    # Killed while the data were written (by an older toolgym that appended as it went): half the
    # records and a torn line, no checkpoint yet.
    lines = complete.splitlines(keepends=True)
    oracle.write_text("".join(lines[: len(lines) // 2]) + lines[-1][:40])
    shutil.rmtree(out / "checkpoints")
    with pytest.warns(UserWarning, match="torn last line"):
        again = train_and_evaluate(config, "in_weight", out, "cpu", resume=True)
    assert trained_on == [4 * config.n_people, 4 * config.n_people]
    assert oracle.read_text() == complete  # played again, in the same order
    assert [t.task_id for t in read_trajectories(oracle)] == list(range(4 * config.n_people))
    assert again["recall"] == first["recall"] and again["params"] == first["params"]


def test_itls_ood_protocol_reports_the_best_of_its_evaluations_and_keeps_them_on_resume(tmp_path):
    config = tiny(itl_ood_every=2)  # max_steps=4: evaluations at steps 2 and 4, then the final model
    out = tmp_path / "run"
    result = train_and_evaluate(config, "in_tool", out, "cpu")
    record = json.loads((out / "ood_itl_in_tool.json").read_text())
    assert set(record) == {"2", "4", "final"}
    assert all(0.0 <= v <= 1.0 and v * 40 == round(v * 40) for v in record.values())  # 40 questions
    assert result["ood_accuracy_itl"] == max(record.values())
    assert result["ood_accuracy"] is None  # ours stays off (ood_questions=0): the two are separate
    # A resumed run finds the model trained and keeps the evaluations made during training.
    again = train_and_evaluate(config, "in_tool", out, "cpu", resume=True)
    assert set(json.loads((out / "ood_itl_in_tool.json").read_text())) == {"2", "4", "final"}
    assert again["ood_accuracy_itl"] == result["ood_accuracy_itl"]
    # The evaluations leave training alone: the same model as without them (4 steps are 2 epochs
    # of the 8 conversations, so the data order is drawn again right after the step-2 evaluation).
    train_and_evaluate(tiny(), "in_tool", tmp_path / "plain", "cpu")
    evaluated, plain = (
        AutoModelForCausalLM.from_pretrained(run / "checkpoints" / "in_tool" / "final")
        for run in (out, tmp_path / "plain")
    )
    for a, b in zip(evaluated.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"n_people": 0}, "n_people=0 is not valid; it must be >= 1"),
        ({"n_people": 10**6}, "n_people=1000000 is not valid; it must be <= 169556"),
        ({"alpha": 1.5}, "alpha=1.5 is not valid; it must be <= 1.0"),
        ({"design": "narrow"}, "design='narrow' is not valid; choose one of 'itl', 'wide'"),
        ({"alpha": 0.5, "n_people": 9000}, "n_people=9000 is not valid; it must be <= 8192"),  # itl: 128 x 64
        ({"query_language": "xml"}, "query_language='xml' is not valid; choose one of 'find', 'sql'"),
        ({"in_tool": ModeConfig(width=10)}, "in_tool.width=10 is not valid; it must split into heads=2"),
        ({"heads": 3}, "in_tool.width=8 is not valid; it must split into heads=3"),
        ({"ood_questions": -1}, "ood_questions=-1 is not valid"),
    ],
)
def test_bad_options_fail_when_the_config_is_built(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        tiny(**changes)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"modes": ["in_brain"]}, "modes='in_brain' is not valid; choose one of 'in_tool', 'in_weight'"),
        ({"people": [0, 2]}, "people=.* is not valid; it must be >= 1"),
        ({"widths": ["a", "b"]}, "widths=.* is not valid; 'a' is not an integer"),
        ({"widths": [10]}, "widths=10 is not valid; it must split into heads=2"),
        ({"alphas": [0.5, 2.0]}, "alphas=2.0 is not valid; it must be <= 1.0"),
        ({"in_tool": ModeTraining(widths=[8, 10])}, "in_tool.widths=10 is not valid"),
        ({"itl_ood_every": 100, "batch_cells": 4}, "itl_ood_every=100 needs batch_cells=1"),
    ],
)
def test_bad_grid_axes_fail_when_the_grid_is_built(changes, message):
    with pytest.raises(ValueError, match=message):
        MemoryGridConfig(**changes)
