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
    :func:`agents.rollout.rollout` collects episodes from vector-env workers. A truncated
    episode's ``info["scores"]`` (and record) holds each of the env's ``score_names`` at 0.

    Args:
        env: the environment to record (a toolgym :class:`~envs.core.TextEnv` underneath).
        path: JSONL file to append to; ``None`` records into ``info`` only.
        run_id: written into every record.
        agent: name of who plays, written into every record.
        record_demonstration: also record the env's ``demonstration()`` (off by default: it may
            cost a teacher model's generation).
        step, round, tags: where in a training run the episodes are played, written into every record.
    """

    def __init__(
        self,
        env: gym.Env,
        path: str | os.PathLike | None = None,
        run_id: str = "",
        agent: str = "",
        *,
        record_demonstration: bool = False,
        step: int | None = None,
        round: int | None = None,
        tags: dict[str, str] | None = None,
    ):
        super().__init__(env)
        self.path, self.run_id, self.agent = path, run_id, agent
        self.record_demonstration = record_demonstration
        self.step_number, self.round, self.tags = step, round, dict(tags or {})
        self._seed: int | None = None
        self._return = 0.0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._seed, self._return = seed, 0.0
        return super().reset(seed=seed, options=options)

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = super().step(action)
        self._return += float(reward)
        if terminated or truncated:
            record = self.episode_record(terminated, truncated)
            if self.path is not None:
                write_trajectory(self.path, record)
            info = {**info, "scores": record.scores, "trajectory": record.to_json()}
        return observation, reward, terminated, truncated, info

    def episode_record(self, terminated: bool, truncated: bool) -> Trajectory:
        """The record of the episode that just ended."""
        base = self.env.unwrapped
        spec = self.env.spec
        messages = [dict(m) for m in base.messages]
        metrics: dict[str, Any] = {
            "turns": sum(m["role"] == "assistant" for m in messages),
            "tool_calls": sum(m["role"] == "tool" for m in messages),
        }
        if hasattr(base, "task_info"):
            metrics.update(base.task_info())
        # A TextEnv resets its scores to 0 and sets them on the final answer, so a truncated
        # episode carries every key at 0.
        scores = dict(getattr(base, "episode_scores", {}))
        return Trajectory(
            env_id=spec.id if spec else type(base).__name__,
            env_kwargs=recorded_kwargs(base, dict(spec.kwargs)) if spec else {},
            messages=messages,
            reward=self._return,
            terminated=bool(terminated),
            truncated=bool(truncated),
            run_id=self.run_id,
            task_id=base.task_id,
            seed=self._seed,
            tools=list(getattr(base, "tool_schemas", None) or []) or None,
            scores=scores,
            step=self.step_number,
            round=self.round,
            tags=dict(self.tags),
            metrics=metrics,
            gold=base.gold(),
            demonstration=base.demonstration() if self.record_demonstration else None,
            agent=self.agent,
        )


def recorded_kwargs(env, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The env's arguments as a record keeps them: the env's own summary (``record_kwargs``) where
    its arguments are objects no JSON holds (the TnD env's reward model and teacher), else as given."""
    return env.record_kwargs(kwargs) if hasattr(env, "record_kwargs") else kwargs
