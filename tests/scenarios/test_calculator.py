"""The calculator_ppo scenario: pre-training (cached), PPO per seed, results, curves, model=PATH, resume."""

from __future__ import annotations

import collections
import json
import os
import warnings

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

import learners.ppo
from envs.calculator.corpus import CorpusConfig, write_transcripts
from envs.trajectory import read_trajectories
from learners.ppo_config import PPOConfig
from learners.sft_config import SFTConfig
from scenarios.calculator import study
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
    saved = json.loads((out / "results.json").read_text())
    assert saved["reached_0.95"] == results["reached_0.95"]
    assert saved["headline"] == {
        "metric": "reward",
        "values": {
            "before": results["before"]["reward"],
            **{f"seed{s['seed']}": s["reward"] for s in results["seeds"]},
        },
    }
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


def test_gae_advantage_trains_each_seed_with_a_value_head(tmp_path):
    config = tiny(tmp_path)
    config.ppo = PPOConfig(**{**vars(config.ppo), "advantage": "gae"})
    results = run_calculator(config, tmp_path / "run", device="cpu")
    assert 0 <= results["seeds"][0]["reward"] <= 1
    assert [step for step, _ in results["seeds"][0]["curve"]] == [0]
    assert (tmp_path / "run" / "seed0" / "checkpoints" / "final" / "value_head.pt").exists()


def test_a_local_model_path_is_used_with_the_calculator_template(tmp_path):
    model, tokenizer, _ = starting_model(tiny(tmp_path), "cpu")
    tokenizer.chat_template = None  # as GPT-2's tokenizer has none
    model.save_pretrained(tmp_path / "lm")
    tokenizer.save_pretrained(tmp_path / "lm")
    config = tiny(tmp_path, model=str(tmp_path / "lm"), few_shot=True)
    results = run_calculator(config, tmp_path / "run", device="cpu")
    assert results["starting_model"] == str(tmp_path / "lm")
    first = next(iter(read_trajectories(tmp_path / "run" / "trajectories" / "eval_before_greedy.jsonl")))
    assert first.messages[0]["content"].startswith("What is 13.1-3?")  # TRL's few-shot prompt


def test_cli_errors_name_the_key_and_the_path(tmp_path, capsys):
    assert main(["calculator_ppo", "--set", "ppo.clip=0.1"]) == 2
    assert "unknown key 'ppo.clip'" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="no Hugging Face model at"):
        run_calculator(tiny(tmp_path, model=str(tmp_path / "missing")), tmp_path / "run", device="cpu")


def without_times(results):
    """Results apart from the seconds (which differ between any two runs)."""
    if isinstance(results, dict):
        return {k: without_times(v) for k, v in results.items() if "seconds" not in k}
    if isinstance(results, list):
        return [without_times(v) for v in results]
    return results


def test_a_run_killed_in_its_final_evaluation_resumes_to_the_uninterrupted_results(tmp_path, monkeypatch):
    config = tiny(tmp_path)
    starting_model(config, "cpu")  # pre-trained once, so both runs below start from the cache
    torch.manual_seed(0)
    whole = run_calculator(config, tmp_path / "whole", device="cpu")

    real = study.evaluate

    def killed_after_ppo(config, model, tokenizer, tasks, path_stem):
        if path_stem.name.startswith("eval_after"):
            raise KeyboardInterrupt
        return real(config, model, tokenizer, tasks, path_stem)

    out = tmp_path / "killed"
    monkeypatch.setattr(study, "evaluate", killed_after_ppo)
    torch.manual_seed(0)
    with pytest.raises(KeyboardInterrupt):
        run_calculator(config, out, device="cpu")
    monkeypatch.setattr(study, "evaluate", real)
    final = out / "seed0" / "checkpoints" / "final" / "model.safetensors"
    trained = final.stat().st_mtime_ns
    seconds_before = json.loads((out / "wall_seconds.json").read_text())["seconds"]

    resumed = run_calculator(config, out, device="cpu", resume=True)
    assert final.stat().st_mtime_ns == trained  # no further PPO step
    assert without_times(resumed) == without_times(whole)
    weights, reference = (
        load_file(final),
        load_file(tmp_path / "whole" / "seed0" / "checkpoints" / "final" / "model.safetensors"),
    )
    assert all(torch.equal(weights[k], reference[k]) for k in reference)
    assert resumed["wall_seconds"] >= seconds_before  # the killed attempt's time counts


def test_a_run_killed_during_ppo_resumes_without_recording_rollouts_twice(tmp_path, monkeypatch):
    config = tiny(tmp_path)
    config.ppo.max_steps, config.ppo.save_steps = 4, 2  # rollouts at steps 0 and 2 (2 ppo_epochs each)
    real = learners.ppo.train_ppo

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:  # after checkpoint-2, and after the rollouts of step 2
                raise KeyboardInterrupt

    def killed_at_step_3(*args, callbacks=(), **kwargs):
        return real(*args, callbacks=[*callbacks, Kill()], **kwargs)

    out = tmp_path / "run"
    monkeypatch.setattr(learners.ppo, "train_ppo", killed_at_step_3)
    with pytest.raises(KeyboardInterrupt):
        run_calculator(config, out, device="cpu")
    monkeypatch.setattr(learners.ppo, "train_ppo", real)
    rollouts = out / "trajectories" / "ppo_seed0.jsonl"
    assert collections.Counter(e.step for e in read_trajectories(rollouts)) == {0: 4, 2: 4}
    with open(rollouts, "a") as file:  # and the process died writing a record
        file.write('{"schema": "toolgym.traj')
    ppo_seconds = json.loads((out / "seed0" / "ppo_seconds.json").read_text())["seconds"]

    with pytest.warns(UserWarning, match="torn last line"):  # the killed run's, cut on resume
        results = run_calculator(config, out, device="cpu", resume=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no torn line left
        steps = collections.Counter(e.step for e in read_trajectories(rollouts))
    assert steps == {0: 4, 2: 4}  # step 2 played again after checkpoint-2, recorded once
    assert [step for step, _ in results["seeds"][0]["curve"]] == [0, 2]
    assert results["seeds"][0]["ppo_seconds"] >= ppo_seconds


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"seeds": 0}, "seeds=0 is not valid; it must be >= 1"),
        ({"reward": "dense"}, "reward='dense' is not valid; choose one of 'exact', 'shaped'"),
        ({"eval_episodes": 7500}, "eval_episodes=7500 is not valid; it must be <= 7499"),
        ({"width": 10}, "width=10 is not valid; it must split into heads=2"),
    ],
)
def test_bad_options_fail_when_the_config_is_built(tmp_path, changes, message):
    with pytest.raises(ValueError, match=message):
        tiny(tmp_path, **changes)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"transcripts": 0}, "transcripts=0 is not valid; it must be >= 1"),
        ({"tool_rate": 1.5}, "tool_rate=1.5 is not valid; it must be <= 1.0"),
        ({"memory_accuracy": -0.1}, "memory_accuracy=-0.1 is not valid; it must be >= 0.0"),
    ],
)
def test_bad_corpus_options_fail_when_the_corpus_config_is_built(changes, message):
    with pytest.raises(ValueError, match=message):
        CorpusConfig(**changes)
