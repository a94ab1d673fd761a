"""The ``tnd`` scenario end to end on a tiny config: every stage, the outputs a user reads, resume."""

from __future__ import annotations

import dataclasses
import json

import pytest

from envs.trajectory import read_trajectories
from scenarios.overrides import ConfigError, apply_overrides
from scenarios.tnd import smoke_profile
from scenarios.tnd.study import ModelShape, run_tnd


def tiny(tmp_path):
    config = smoke_profile()
    small = ModelShape(width=16, layers=1, heads=2)
    return dataclasses.replace(
        config,
        corpus=dataclasses.replace(config.corpus, sentences=3000),
        prompt_pool=100,
        min_contexts=10,
        common_words=20,
        teacher=dataclasses.replace(config.teacher, max_steps=40, checkpoints=5, shape=small),
        reward=dataclasses.replace(config.reward, prompts=20, max_steps=20, shape=small),
        student=small,
        tnd=dataclasses.replace(config.tnd, max_steps=16, trials_per_step=4, save_steps=8),
        eval_points=5,
        cache=str(tmp_path / "cache"),
        progress=False,
    )


def test_the_study_runs_end_to_end_and_a_resumed_run_redoes_nothing(tmp_path, capsys):
    config = tiny(tmp_path)
    out = tmp_path / "run"
    results = run_tnd(config, out, device="cpu")
    assert set(results["naoa"]) == {"cmn", "cdi"} and set(results["naoa"]["cmn"]) == {"tnd", "clm"}
    assert -1 <= results["reward_model"]["pearson_r"] <= 1
    assert "value" in results["headline"]
    for name in ("curves.png", "naoa.png", "vocabulary.png"):
        assert (out / "figures" / name).stat().st_size > 0
    kinds = {r.tags["kind"] for r in read_trajectories(out / "trajectories" / "tnd-seed0.jsonl")}
    assert kinds == {"trial", "demo"}
    assert json.loads((out / "results.json").read_text())["naoa"]["cmn"]["tnd"]["words"] > 0
    assert "nAoA" in capsys.readouterr().out
    stamp = (out / "students" / "tnd-seed0" / "curves.json").stat().st_mtime_ns
    run_tnd(config, out, device="cpu", resume=True)
    assert (out / "students" / "tnd-seed0" / "curves.json").stat().st_mtime_ns == stamp


def test_the_evaluation_utterances_never_appear_in_training_text(tmp_path):
    from scenarios.tnd.stages import data, prompt_pool

    config = tiny(tmp_path)
    corpus = data(config)
    assert not set(corpus.eval) & set(corpus.train)
    assert set(prompt_pool(config, corpus)) <= set(corpus.train)


@pytest.mark.parametrize(
    ("setting", "match"),
    [("variants=[tnd,ppo]", "variants"), ("tnd.demo_reward=teacher", "demo_reward"), ("seeds=0", "seeds"),
     ("student.width=15", "width"), ("text=/nonexistent/babylm", "text")],
)  # fmt: skip
def test_bad_settings_are_refused_before_any_work(setting, match):
    with pytest.raises((ConfigError, ValueError), match=match):
        apply_overrides(smoke_profile(), [setting])
