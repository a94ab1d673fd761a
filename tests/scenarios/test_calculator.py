"""The calculator_ppo scenario: pre-training (cached), PPO per seed, results, curves, model=PATH."""

from __future__ import annotations

import json
import os

import pytest

from envs.calculator.corpus import CorpusConfig, write_transcripts
from envs.trajectory import read_trajectories
from learners.ppo_config import PPOConfig
from learners.sft_config import SFTConfig
from scenarios.calculator.study import CalculatorConfig, run_calculator, starting_model
from scenarios.run import main

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def tiny(tmp_path, **changes) -> CalculatorConfig:
    values = dict(
        width=16,
        corpus=CorpusConfig(transcripts=200),
        pretrain=SFTConfig(batch_size=8, max_steps=4, save_steps=4),
        ppo=PPOConfig(max_steps=2, tasks_per_step=2, rollouts_per_task=2, max_new_tokens=12, save_steps=2),
        eval_episodes=6,
        cache=str(tmp_path / "cache"),
        progress=False,
    )
    return CalculatorConfig(**{**values, **changes})


def test_corpus_writer_skips_the_calculator_and_is_often_wrong():
    corpus = write_transcripts(CorpusConfig(transcripts=2000, tool_rate=0.2, memory_accuracy=0.25))
    with_tool = [t for t in corpus if len(t) == 4]
    assert 0.15 < len(with_tool) / len(corpus) < 0.25
    for transcript in with_tool:  # the tool's answer is copied into the final answer
        answer = transcript[2]["content"].removesuffix("<response>")
        assert transcript[3]["content"] == f"Result={answer}<submit>"
    from envs.calculator.env import CalculatorEnv

    env = CalculatorEnv()
    right = []
    for transcript in corpus:
        if len(transcript) == 2:
            env.reset(options={"task_id": _task_of(transcript[0]["content"])})
            right.append(env.score(transcript[1]["content"]))
    assert 0.2 < sum(right) / len(right) < 0.3


def _task_of(question):
    from envs.calculator.tasks import task_from_id

    return next(i for i in range(7500) if task_from_id(i, False).question == question)


def test_two_seeds_write_results_curves_and_token_level_trajectories(tmp_path, capsys):
    out = tmp_path / "run"
    results = run_calculator(tiny(tmp_path, seeds=2), out, device="cpu")
    assert [s["seed"] for s in results["seeds"]] == [0, 1]
    for key in ("reward", "tool_call_rate", "greedy_reward", "greedy_tool_call_rate"):
        assert 0 <= results["before"][key] <= 1
        assert all(0 <= s[key] <= 1 for s in results["seeds"])
    assert [step for step, _ in results["seeds"][0]["curve"]] == [0]  # one batch, 2 ppo_epochs steps
    assert (out / "figures" / "reward.png").exists()
    assert json.loads((out / "results.json").read_text())["reached_0.95"] == results["reached_0.95"]
    rollouts = list(read_trajectories(out / "trajectories" / "ppo_seed1.jsonl"))
    assert len(rollouts) == 4 and all(len(r.token_ids) == len(r.loss_mask) for r in rollouts)
    assert (out / "tb" / "seed0").is_dir()
    printed = capsys.readouterr().out
    assert "before PPO" in printed and "seeds reached reward 0.95" in printed

    # The starting model is cached: a second run does not pre-train again.
    cached = list((tmp_path / "cache").iterdir())
    assert len(cached) == 1
    stamp = (cached[0] / "final" / "model.safetensors").stat().st_mtime_ns
    again = run_calculator(tiny(tmp_path), tmp_path / "again", device="cpu")
    assert (cached[0] / "final" / "model.safetensors").stat().st_mtime_ns == stamp
    assert again["starting_model"] == str(cached[0] / "final")


def test_a_local_model_path_is_used_with_the_calculator_template(tmp_path):
    model, tokenizer, _ = starting_model(tiny(tmp_path), "cpu")
    tokenizer.chat_template = None  # as GPT-2's tokenizer has none
    model.save_pretrained(tmp_path / "lm")
    tokenizer.save_pretrained(tmp_path / "lm")
    config = tiny(tmp_path, model=str(tmp_path / "lm"), few_shot=True)
    results = run_calculator(config, tmp_path / "run", device="cpu")
    assert results["starting_model"] == str(tmp_path / "lm")
    first = next(iter(read_trajectories(tmp_path / "run" / "trajectories" / "eval_before_greedy.jsonl")))
    assert first.messages[0]["content"].startswith("What is 13.1-3?")  # the seed's few-shot prompt


def test_cli_errors_name_the_key_and_the_path(tmp_path, capsys):
    assert main(["calculator_ppo", "--set", "ppo.clip=0.1"]) == 2
    assert "unknown key 'ppo.clip'" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="no Hugging Face model at"):
        run_calculator(tiny(tmp_path, model=str(tmp_path / "missing")), tmp_path / "run", device="cpu")
