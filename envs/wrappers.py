"""Cross-cutting bookkeeping as Gymnasium wrappers."""

from __future__ import annotations

import os
from typing import Any

import gymnasium as gym

from envs.trajectory import Trajectory, write_trajectory


class RecordTrajectories(gym.Wrapper):
    """Record every episode as a :class:`~envs.trajectory.Trajectory`.

    When an episode ends (terminated or truncated) the record is appended to ``path`` (if given,
    flushed at once) and also returned as JSON in ``info["trajectory"]``, which is how
    :func:`agents.rollout.rollout` collects episodes from vector-env workers.

    Args:
        env: the environment to record (a toolgym :class:`~envs.core.TextEnv` underneath).
        path: JSONL file to append to; ``None`` records into ``info`` only.
        run_id: written into every record.
        agent: name of who plays, written into every record.
    """

    def __init__(
        self, env: gym.Env, path: str | os.PathLike | None = None, run_id: str = "", agent: str = ""
    ):
        super().__init__(env)
        self.path, self.run_id, self.agent = path, run_id, agent
        self._seed: int | None = None
        self._return = 0.0
        self._tool_calls = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._seed, self._return, self._tool_calls = seed, 0.0, 0
        return super().reset(seed=seed, options=options)

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = super().step(action)
        self._return += float(reward)
        self._tool_calls += info.get("role") == "tool"
        if terminated or truncated:
            record = self.episode_record(terminated, truncated)
            if self.path is not None:
                write_trajectory(self.path, record)
            info = {**info, "trajectory": record.to_json()}
        return observation, reward, terminated, truncated, info

    def episode_record(self, terminated: bool, truncated: bool) -> Trajectory:
        """The record of the episode that just ended."""
        base = self.env.unwrapped
        spec = self.env.spec
        messages = [dict(m) for m in base.messages]
        metrics: dict[str, Any] = {
            "turns": sum(m["role"] == "assistant" for m in messages),
            "tool_calls": self._tool_calls,
        }
        if hasattr(base, "task_info"):
            metrics.update(base.task_info())
        return Trajectory(
            env_id=spec.id if spec else type(base).__name__,
            env_kwargs=dict(spec.kwargs) if spec else {},
            messages=messages,
            reward=self._return,
            terminated=bool(terminated),
            truncated=bool(truncated),
            run_id=self.run_id,
            task_id=base.task_id,
            seed=self._seed,
            metrics=metrics,
            gold=base.gold(),
            demonstration=base.demonstration(),
            agent=self.agent,
        )
