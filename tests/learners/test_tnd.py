"""The TnD learner: the CLM/RL schedule, every variant, demonstration rewards, resume."""

from __future__ import annotations

import dataclasses
import math

import gymnasium as gym
import pytest
import torch

import envs  # noqa: F401
from agents.continuation import ContinuationAgent
from agents.model import build_model
from agents.tokenizers.teacher_demo import build_teacher_demo_tokenizer, encode_sentence
from envs.trajectory import read_trajectories
from learners.tnd import train_tnd
from learners.tnd_config import VARIANTS, TnDConfig
from learners.value_ppo import ValuePPOConfig

SENTENCES = [
    "look at the ball !",
    "do you want the ball ?",
    "the doggy is big .",
    "where is the kitty ?",
    "more juice please .",
    "the kitty is little .",
    "look at the doggy !",
    "do you want juice ?",
]


@pytest.fixture(scope="module")
def tokenizer():
    return build_teacher_demo_tokenizer(SENTENCES)


def student(tokenizer, seed=0):
    torch.manual_seed(seed)
    model = build_model(len(tokenizer), layers=1, heads=2, width=16, eos_token_id=tokenizer.eos_token_id)
    model.config.pad_token_id = tokenizer.pad_token_id
    return model


def make_env(reward_model=lambda text: float(len(text.split()))):
    return lambda: gym.make(
        "toolgym/TeacherDemo-v0",
        sentences=SENTENCES,
        prompt_words=2,
        reward_model=reward_model,
        teacher=lambda prompt: "the ball !",
    )


def config(**changes):
    base = TnDConfig(
        max_steps=8,
        clm_batch_size=4,
        trials_per_step=4,
        max_new_tokens=4,
        save_steps=4,
        logging_steps=2,
        clm_warmup_steps=1,
        ppo=ValuePPOConfig(learning_rate=1e-3, mini_batch_size=4),
    )
    return dataclasses.replace(base, **changes)


def test_three_clm_steps_then_one_rl_step_and_clm_only_never_rl():
    schedule = [config().is_rl_step(step) for step in range(1, 9)]
    assert schedule == [False, False, False, True] * 2
    assert not any(config(variant="clm").is_rl_step(step) for step in range(1, 9))


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_trains_evaluates_and_records_its_kinds(variant, tokenizer, tmp_path):
    model = student(tokenizer)
    before = [p.detach().clone() for p in model.parameters()]
    corpus = [encode_sentence(tokenizer, s) for s in SENTENCES]
    seen = []
    curves = train_tnd(
        model,
        tokenizer,
        make_env(),
        corpus,
        config(variant=variant),
        tmp_path / "run",
        evaluate=lambda m: seen.append(1) or {"ball": 1.0},
        eval_steps=[1, 4, 8],
        rollout_path=tmp_path / "rollouts.jsonl",
        progress=False,
    )
    assert sorted(curves) == [1, 4, 8] and len(seen) == 3
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert (tmp_path / "run" / "final" / "config.json").exists() and (
        tmp_path / "run" / "curves.json"
    ).exists()
    kinds = (
        {r.tags["kind"] for r in read_trajectories(tmp_path / "rollouts.jsonl")}
        if variant != "clm"
        else set()
    )
    expected = {
        "tnd": {"trial", "demo"},
        "clm": set(),
        "trial": {"trial"},
        "demo": {"demo"},
        "double_clm": {"trial", "demo"},
    }[variant]
    assert kinds == expected


@pytest.fixture
def clm_calls(monkeypatch):
    """Every CLM update the learner makes, as (its learning rate, its sequences), in order."""
    import learners.tnd

    calls = []
    real_update = learners.tnd.clm_update

    def recorded(model, optimizer, scheduler, sequences, pad_id):
        calls.append((optimizer.param_groups[0]["lr"], sequences))
        return real_update(model, optimizer, scheduler, sequences, pad_id)

    monkeypatch.setattr(learners.tnd, "clm_update", recorded)
    return calls


def train_quietly(tokenizer, learner, out):
    corpus = [encode_sentence(tokenizer, s) for s in SENTENCES]
    train_tnd(
        student(tokenizer),
        tokenizer,
        make_env(),
        corpus,
        learner,
        out,
        evaluate=dict,
        eval_steps=[],
        progress=False,
    )


@pytest.mark.parametrize("variant", ["tnd", "clm"])
def test_the_clm_rate_warms_up_with_the_students_age_rl_steps_included(
    variant, tokenizer, tmp_path, clm_calls
):
    """The published code steps its CLM scheduler after every training step, so the CLM rate at
    step n is peak * n / warmup for every variant, whatever steps were RL."""
    learner = config(variant=variant, clm_warmup_steps=10, clm_learning_rate=1e-3)
    train_quietly(tokenizer, learner, tmp_path)
    clm_steps = [step for step in range(1, 9) if not learner.is_rl_step(step)]
    assert [rate for rate, _ in clm_calls] == pytest.approx([1e-3 * step / 10 for step in clm_steps])


@pytest.mark.parametrize("clm_in_rl_steps", [False, True])
def test_rl_steps_do_clm_on_their_trials_and_demos_only_as_the_published_code_does(
    clm_in_rl_steps, tokenizer, tmp_path, clm_calls, monkeypatch
):
    import learners.tnd

    ppo_batches = []
    real_ppo = learners.tnd.ppo_step
    monkeypatch.setattr(
        learners.tnd, "ppo_step", lambda *args, **kw: ppo_batches.append(args[3]) or real_ppo(*args, **kw)
    )
    train_quietly(tokenizer, config(clm_in_rl_steps=clm_in_rl_steps), tmp_path)
    batches = [sequences for _, sequences in clm_calls]
    assert len(ppo_batches) == 2  # steps 4 and 8
    if clm_in_rl_steps:  # after the PPO update, its samples (prompt + answer) as CLM sequences
        assert len(batches) == 8
        assert [batches[3], batches[7]] == [[p + a for p, a, _ in samples] for samples in ppo_batches]
    else:
        assert len(batches) == 6
    with pytest.raises(ValueError, match="clm_in_rl_steps"):
        config(clm_in_rl_steps="yes")


def test_demonstrations_are_scored_by_the_reward_model_or_the_codes_constant(tokenizer, tmp_path):
    corpus = [encode_sentence(tokenizer, s) for s in SENTENCES]
    for demo_reward in ("model", "constant"):
        path = tmp_path / f"{demo_reward}.jsonl"
        train_tnd(
            student(tokenizer),
            tokenizer,
            make_env(),
            corpus,
            config(variant="demo", demo_reward=demo_reward),
            tmp_path / demo_reward,
            evaluate=dict,
            eval_steps=[],
            teacher_log_age=math.log(1000),
            rollout_path=path,
            progress=False,
        )
        for record in read_trajectories(path):
            text = f"{record.messages[0]['content']} the ball !"
            expected = len(text.split()) if demo_reward == "model" else math.log(1000)
            assert record.reward == pytest.approx(expected - math.log(record.step))
    with pytest.raises(ValueError, match="teacher_log_age"):
        train_tnd(
            student(tokenizer),
            tokenizer,
            make_env(),
            corpus,
            config(demo_reward="constant"),
            tmp_path / "x",
            evaluate=dict,
            eval_steps=[],
            progress=False,
        )


def test_a_killed_run_resumes_from_its_checkpoint(tokenizer, tmp_path):
    corpus = [encode_sentence(tokenizer, s) for s in SENTENCES]
    steps_evaluated = []

    def evaluate_then_die(model):
        steps_evaluated.append(len(steps_evaluated))
        if len(steps_evaluated) == 3:
            raise KeyboardInterrupt
        return {"ball": float(len(steps_evaluated))}

    with pytest.raises(KeyboardInterrupt):
        train_tnd(
            student(tokenizer),
            tokenizer,
            make_env(),
            corpus,
            config(),
            tmp_path,
            evaluate=evaluate_then_die,
            eval_steps=[2, 4, 6, 8],
            progress=False,
        )
    assert (tmp_path / "checkpoint.pt").exists()
    calls = []
    curves = train_tnd(
        student(tokenizer, seed=5),
        tokenizer,
        make_env(),
        corpus,
        config(),
        tmp_path,
        evaluate=lambda m: calls.append(1) or {"ball": 0.0},
        eval_steps=[2, 4, 6, 8],
        resume=True,
        progress=False,
    )
    assert len(calls) == 2  # steps 6 and 8: steps 2 and 4 came back from the checkpoint
    assert curves[2] == {"ball": 1.0} and curves[4] == {"ball": 2.0} and sorted(curves) == [2, 4, 6, 8]
    assert not (tmp_path / "checkpoint.pt").exists()


def test_rl_steps_move_the_student_toward_what_the_reward_model_prefers(tokenizer, tmp_path):
    """Trials that say "ball" are rewarded: after RL the student says it more often."""
    ball = lambda text: 5.0 if "ball" in text.split()[2:] else 0.0  # noqa: E731  (the continuation)
    corpus = [encode_sentence(tokenizer, s) for s in SENTENCES]
    model = student(tokenizer, seed=1)
    agent = ContinuationAgent(model, tokenizer, max_new_tokens=4, top_k=20)
    prompts = ["look at", "do you", "where is", "the kitty"] * 50

    def rate():
        torch.manual_seed(0)
        return sum("ball" in text.split() for text in agent.continue_texts(prompts)) / len(prompts)

    before = rate()
    learner = config(
        variant="trial",
        max_steps=60,
        clm_per_cycle=1,
        trials_per_step=32,
        clm_learning_rate=1e-9,
        ppo=ValuePPOConfig(learning_rate=1e-2, mini_batch_size=8),
    )
    train_tnd(
        model,
        tokenizer,
        make_env(ball),
        corpus,
        learner,
        tmp_path,
        evaluate=dict,
        eval_steps=[],
        progress=False,
    )
    assert rate() > before + 0.2


DATA_PARALLEL_SCRIPT = """
import dataclasses, json, sys
import torch
sys.path[:0] = [sys.argv[2], sys.argv[3]]
from test_tnd import SENTENCES, config, make_env, student
from agents.tokenizers.teacher_demo import build_teacher_demo_tokenizer, encode_sentence
from learners.common import process_index
from learners.tnd import train_tnd

out = sys.argv[1]
tokenizer = build_teacher_demo_tokenizer(SENTENCES)
model = student(tokenizer)
curves = train_tnd(
    model, tokenizer, make_env(), [encode_sentence(tokenizer, s) for s in SENTENCES], config(), out + "/run",
    evaluate=lambda m: {"norm": float(sum(p.norm() for p in m.parameters()))}, eval_steps=[4, 8],
    rollout_path=out + "/episodes.jsonl", progress=False,
)
rank = process_index()
torch.save(model.state_dict(), f"{out}/rank{rank}.pt")
json.dump(sorted(curves), open(f"{out}/curves{rank}.json", "w"))
"""


def test_two_processes_train_one_model_data_parallel(tokenizer, tmp_path):
    import json
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "ddp_tnd.py"
    script.write_text(DATA_PARALLEL_SCRIPT)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    here = Path(__file__).resolve().parent
    paths = [str(tmp_path), str(here.parents[1]), str(here)]  # the script's output, the repo, the tests
    # torchrun, which `accelerate launch --multi_gpu` runs on GPUs (`accelerate launch --cpu` starts
    # one process): accelerate reads its environment and trains on CPU over gloo.
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_port", str(port), str(script), *paths]  # fmt: skip
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment)
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    start = student(tokenizer).state_dict()
    assert all(torch.allclose(first[k], second[k]) for k in first)  # gradients averaged: one model
    assert any(not torch.equal(first[k], start[k]) for k in first)
    assert json.loads((tmp_path / "curves0.json").read_text()) == [4, 8]  # the first process evaluates
    assert json.loads((tmp_path / "curves1.json").read_text()) == []
    assert (tmp_path / "run" / "final" / "config.json").exists()
    kinds = [e.tags["kind"] for e in read_trajectories(tmp_path / "episodes.jsonl")]
    # 2 RL steps, each process playing 2 of the 4 trials and demonstrations: the first one's 2 + 2
    assert sorted(kinds) == ["demo"] * 4 + ["trial"] * 4


def test_batches_that_do_not_split_over_the_processes_are_refused(tokenizer, tmp_path, monkeypatch):
    import learners.tnd

    monkeypatch.setattr(learners.tnd, "world_size", lambda: 3)
    with pytest.raises(ValueError, match="clm_batch_size=4 does not split evenly over 3 processes"):
        train_tnd(student(tokenizer), tokenizer, make_env(), [[1, 2]], config(), tmp_path, evaluate=dict,
                  eval_steps=[])  # fmt: skip
