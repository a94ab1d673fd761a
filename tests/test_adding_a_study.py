"""docs/adding_a_study.md stays true: its study, added the documented way, works end to end.

The guide's code blocks are written to the files they name (under a temporary folder that the
packages ``envs``, ``agents.tokenizers`` and ``scenarios`` are extended with), its spec line is
registered, and the new study is checked as a user would: ``check_env``, the oracle solves every
task, the random agent does not, the tokenizer masks the assistant's text, the scenario runs and
its episodes open in the TUI.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import re
import sys
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.envs.registration import registry
from gymnasium.utils.env_checker import check_env

import agents.tokenizers
import envs
import scenarios

GUIDE = (Path(__file__).resolve().parents[1] / "docs" / "adding_a_study.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE, re.DOTALL)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    spec = None
    for block in BLOCKS:
        first, _, body = block.partition("\n")
        if first.startswith("# file: "):
            path = root / first.removeprefix("# file: ").strip()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
        elif first.startswith("# spec: "):
            spec = ast.literal_eval(body.strip())
    assert spec is not None, "the guide has no '# spec:' block"
    packages = [
        (envs, root / "envs"),
        (agents.tokenizers, root / "agents" / "tokenizers"),
        (scenarios, root / "scenarios"),
    ]
    for package, folder in packages:
        package.__path__.append(str(folder))
    register = spec["id"] not in registry
    if register:
        gym.register(**spec)
    yield spec
    for package, folder in packages:
        package.__path__.remove(str(folder))
    if register:
        del registry[spec["id"]]
    for name in [m for m in sys.modules if ".weather" in m]:
        del sys.modules[name]


def test_the_guides_env_passes_check_env_and_the_oracle_solves_it(study):
    from agents.oracle import OracleAgent
    from agents.random_agent import RandomAgent
    from agents.rollout import rollout

    env = gym.make(study["id"])
    check_env(env.unwrapped)
    question, info = env.reset(options={"task_id": 3})
    assert (
        question == "What is the temperature in Kraków?" and info["tools"][0]["function"]["name"] == "lookup"
    )
    make_env = lambda: gym.make(study["id"])  # noqa: E731
    tasks = [{"task_id": i} for i in range(env.unwrapped.num_tasks)]
    oracle = rollout(make_env, OracleAgent(), tasks=tasks)
    assert [t.reward for t in oracle] == [1.0] * len(tasks)
    assert all(t.scores == {"correct": 1.0} and t.tools for t in oracle)
    call = oracle[3].messages[1]["tool_calls"][0]["function"]
    assert call == {"name": "lookup", "arguments": {"city": "Kraków"}}
    assert sum(t.reward for t in rollout(make_env, RandomAgent(), tasks=tasks)) < len(tasks)
    # Malformed and unknown calls are answered as text, never raised.
    env.reset(options={"task_id": 0})
    observation, _, terminated, _, _ = env.step("<lookup>Atlantis</lookup>")
    assert "unknown city" in observation and not terminated


def test_the_guides_tokenizer_masks_the_assistant_and_declares_its_turn_end(study):
    from agents.oracle import OracleAgent
    from agents.rollout import rollout
    from agents.tokenizers import attach_tokens, turn_end_ids

    tokenizer = importlib.import_module("agents.tokenizers.weather").build_weather_tokenizer()
    (episode,) = attach_tokens(tokenizer, rollout(lambda: gym.make(study["id"]), OracleAgent(), 1))
    trained = tokenizer.decode(
        [t for t, keep in zip(episode.token_ids, episode.loss_mask, strict=True) if keep]
    )
    assert trained == "".join(m["content"] + "<|end|>" for m in episode.messages if m["role"] == "assistant")
    assert tokenizer.convert_tokens_to_ids("<|end|>") in turn_end_ids(tokenizer)


def test_the_guides_scenario_runs_and_its_episodes_open_in_the_tui(study, tmp_path):
    from tui.app import TrajectoryApp

    scenario = importlib.import_module("scenarios.weather").SCENARIOS[0]
    results = scenario.run(scenario.config("cpu"), tmp_path, device="cpu")
    assert results["headline"]["values"]["oracle"] == 1.0

    async def drive():
        app = TrajectoryApp(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(app.index) == 12
            await pilot.press("enter")
            await pilot.pause()
            contents = [str(w.render()) for w in app.screen.query(".message")]
            assert any("degrees" in text for text in contents)

    asyncio.run(drive())
