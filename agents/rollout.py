"""Play episodes of an env with an agent through a Gymnasium vector env."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv

from agents.base import Agent, Conversation
from envs.checks import check_choice
from envs.trajectory import Trajectory, write_trajectory
from envs.wrappers import RecordTrajectories

VECTORIZATIONS = ("sync", "async")


def rollout(
    make_env: Callable[[], gym.Env],
    agent: Agent,
    n_episodes: int | None = None,
    *,
    tasks: Sequence[dict[str, Any]] | None = None,
    num_envs: int = 8,
    seed: int = 0,
    vectorization: str = "sync",
    path: str | os.PathLike | None = None,
    run_id: str = "",
    record_demonstrations: bool = False,
    step: int | None = None,
    round: int | None = None,
    tags: dict[str, str] | None = None,
) -> list[Trajectory]:
    """Play episodes with ``agent`` in ``num_envs`` copies of ``make_env()`` and return their records.

    The agent sees a batch of conversations (one per active sub-env) each turn. Episode ``k`` is
    reset with seed ``seed + k`` and, when ``tasks`` is given, with ``options=tasks[k]`` (e.g.
    ``{"task_id": 7}`` to play a chosen task), so a rollout is reproducible whatever ``num_envs``.

    Args:
        make_env: builds one environment (e.g. ``lambda: gym.make("toolgym/PeopleMemory-v0")``).
        agent: who plays.
        n_episodes: how many episodes; defaults to ``len(tasks)``.
        tasks: reset options of each episode, in order.
        num_envs: sub-envs played in parallel (the agent's batch size).
        seed: reset seed of episode 0.
        vectorization: ``"sync"`` (one process) or ``"async"`` (one process per sub-env).
        path: JSONL file each finished episode is appended to.
        run_id: written into every record.
        record_demonstrations: also record each env's oracle ``demonstration()``.
        step, round, tags: where in a training run the episodes are played (a PPO step, a round)
            and labels (``{"split": "ood"}``), written into every record.

    Returns:
        The trajectories, in episode order.
    """
    if tasks is not None and n_episodes is None:
        n_episodes = len(tasks)
    if n_episodes is None or n_episodes < 0:
        raise ValueError("give n_episodes >= 0 or a list of tasks")
    if tasks is not None and len(tasks) < n_episodes:
        raise ValueError(f"{n_episodes} episodes asked for but only {len(tasks)} tasks given")
    check_choice("vectorization", vectorization, VECTORIZATIONS)
    if n_episodes == 0:
        return []
    num_envs = max(1, min(num_envs, n_episodes))

    def make_recorded_env() -> gym.Env:
        return RecordTrajectories(
            make_env(),
            run_id=run_id,
            agent=agent.name,
            record_demonstration=record_demonstrations,
            step=step,
            round=round,
            tags=tags,
        )

    if vectorization == "sync":
        envs = SyncVectorEnv([make_recorded_env] * num_envs, autoreset_mode=AutoresetMode.DISABLED)
    else:
        # Text observations travel through the pipes: toolgym's text space refuses shared memory.
        envs = AsyncVectorEnv(
            [make_recorded_env] * num_envs, autoreset_mode=AutoresetMode.DISABLED, shared_memory=False
        )
    results: list[Trajectory | None] = [None] * n_episodes
    episode_of: list[int | None] = [None] * num_envs
    conversations: list[Conversation] = [[] for _ in range(num_envs)]
    next_episode = 0

    def reset(indices: list[int], seeds: list[int | None], options: dict[str, Any] | None) -> tuple:
        mask = np.zeros(num_envs, dtype=np.bool_)
        mask[indices] = True
        all_seeds: list[int | None] = [None] * num_envs
        for i, s in zip(indices, seeds, strict=True):
            all_seeds[i] = s
        return envs.reset(seed=all_seeds, options={**(options or {}), "reset_mask": mask})

    def start_episodes(indices: list[int]) -> None:
        """Give each freed sub-env the next episode, or leave it idle when none is left."""
        nonlocal next_episode
        idle = []
        for i in indices:
            if next_episode >= n_episodes:
                episode_of[i] = None
                idle.append(i)
                continue
            k, next_episode = next_episode, next_episode + 1
            observations, _ = reset([i], [seed + k], tasks[k] if tasks is not None else None)
            episode_of[i] = k
            conversations[i] = [{"role": "user", "content": observations[i]}]
        if idle:  # idle sub-envs must still be reset: the vector env steps all of them together
            reset(idle, [None] * len(idle), None)

    try:
        envs.reset(seed=seed)
        start_episodes(list(range(num_envs)))
        while any(k is not None for k in episode_of):
            active = [i for i in range(num_envs) if episode_of[i] is not None]
            hints = {name: envs.call(name) for name in agent.env_calls}
            turns = agent.act(
                [conversations[i] for i in active],
                {name: [values[i] for i in active] for name, values in hints.items()},
            )
            if len(turns) != len(active):
                raise ValueError(f"{agent.name} returned {len(turns)} turns for {len(active)} conversations")
            actions = [""] * num_envs  # idle sub-envs answer nothing and end at once
            for i, turn in zip(active, turns, strict=True):
                actions[i] = turn
            observations, _, terminated, truncated, info = envs.step(tuple(actions))
            finished = []
            for i in range(num_envs):
                done = bool(terminated[i] or truncated[i])
                if episode_of[i] is not None:
                    conversations[i].append({"role": "assistant", "content": actions[i]})
                    if done:
                        record = Trajectory.from_json(info["trajectory"][i])
                        results[episode_of[i]] = record
                        if path is not None:
                            write_trajectory(path, record)
                    else:
                        conversations[i].append({"role": str(info["role"][i]), "content": observations[i]})
                if done:
                    finished.append(i)
            start_episodes(finished)
    finally:
        envs.close()
    return [r for r in results if r is not None]
