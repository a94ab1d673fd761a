"""One evaluation for every study: play tasks with a language model, record them, summarise scores.

:func:`play` plays a list of tasks (reset options) with an :class:`~agents.lm_agent.LMAgent`
through :func:`agents.rollout.rollout` (vector envs, one batched ``generate`` per turn), stops
each turn at the env's ``turn_ends``, attaches the token ids the model saw, and writes the
episodes to a fresh JSONL file. :func:`summarize` turns episodes into the numbers a study reports
(mean reward, tool-call rate, turns and each named score), optionally grouped by any key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

import gymnasium as gym

from agents.lm_agent import LMAgent
from agents.rollout import rollout
from agents.tokenizers import attach_tokens
from envs.core import TextEnv
from envs.trajectory import Trajectory, append_trajectories


def play(
    model,
    tokenizer,
    make_env: Callable[[], gym.Env],
    tasks: Sequence[dict[str, Any]],
    *,
    sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    max_new_tokens: int = 192,
    batch_size: int = 512,
    num_envs: int | None = None,
    name: str | None = None,
    path: str | os.PathLike | None = None,
    run_id: str = "",
    step: int | None = None,
    tags: dict[str, str] | None = None,
    record_demonstrations: bool = False,
    static_cache: bool = False,
) -> list[Trajectory]:
    """Play ``tasks`` with ``model``, tool answers fed live; return the episodes in task order.

    Args:
        model: a Hugging Face causal LM.
        tokenizer: its tokenizer, with a chat template (its declared turn-end tokens stop a turn).
        make_env: builds one env; its ``turn_ends`` also stop a turn (kept in the turn's text), and
            a turn its ``doomed`` refuses already is cut there.
        tasks: the reset options of each episode (``{"task_id": i}``).
        sample: sample at ``temperature`` / ``top_p`` instead of greedy decoding.
        temperature, top_p: sampling settings (used only when ``sample``).
        max_new_tokens: longest assistant turn.
        batch_size: most rows of one ``generate``.
        num_envs: episodes played together (sub-envs; default ``batch_size``). With more than
            ``batch_size``, each turn's conversations are sorted by length before they are split
            into ``generate`` batches, so batches pad less (:class:`agents.lm_agent.LMAgent`).
        name: the agent's name in the records (default ``sampled`` or ``greedy``).
        path: JSONL file the episodes are written to, replacing any file there.
        run_id: written into every record.
        step: the training step the model is at, written into every record.
        tags: labels written into every record (e.g. ``{"split": "ood"}``).
        record_demonstrations: keep the env's oracle demonstration in each record.
        static_cache: generate with a static KV cache (:class:`agents.lm_agent.LMAgent`).

    Returns:
        The trajectories, each with its ``token_ids``, ``tokens`` and ``loss_mask``.
    """
    env = make_env()
    turn_ends = tuple(getattr(env.unwrapped, "turn_ends", ()))
    # Asked only where the env overrides TextEnv's doomed, which dooms nothing: asking it would only
    # cost time. It reads only its arguments, so a closed env answers as well.
    can_doom = getattr(type(env.unwrapped), "doomed", TextEnv.doomed) is not TextEnv.doomed
    doomed = env.unwrapped.doomed if can_doom else None
    env.close()
    agent = LMAgent(
        model,
        tokenizer,
        max_new_tokens=max_new_tokens,
        do_sample=sample,
        temperature=temperature,
        top_p=top_p,
        batch_size=batch_size,
        name=name or ("sampled" if sample else "greedy"),
        stop_strings=turn_ends,
        static_cache=static_cache,
        doomed=doomed,
    )
    episodes = rollout(
        make_env,
        agent,
        tasks=tasks,
        num_envs=batch_size if num_envs is None else num_envs,
        run_id=run_id,
        step=step,
        tags=tags,
        record_demonstrations=record_demonstrations,
    )
    attach_tokens(tokenizer, episodes)
    if path is not None:
        write_fresh(path, episodes)
    return episodes


def write_fresh(path: str | os.PathLike, episodes: Iterable[Trajectory]) -> Path:
    """Write ``episodes`` to ``path``, replacing an old file atomically (a temporary file beside it,
    then a rename), so a run killed mid-write leaves the old file or the new one, never a mix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    append_trajectories(temporary, episodes)
    os.replace(temporary, path)
    return path


def summarize(episodes: Sequence[Trajectory], by: str | None = None) -> dict[str, Any]:
    """Mean reward, tool-call rate, turns and each named score of ``episodes``.

    Args:
        episodes: the records to summarise.
        by: a key to group by, looked up in each record's ``metrics``, ``tags``, ``scores``, then
            its fields (``task_id``, ``agent``...); the result is then ``{group value: summary}``.

    Returns:
        ``{"episodes": n, "reward": ..., "tool_call_rate": ..., "turns": ..., <score>: ...}``
        (means; ``None`` for an empty list), or that summary per group when ``by`` is given.
    """
    if by is not None:
        groups: dict[Any, list[Trajectory]] = {}
        for episode in episodes:
            groups.setdefault(_lookup(episode, by), []).append(episode)
        return {value: summarize(group) for value, group in sorted(groups.items(), key=lambda kv: str(kv[0]))}
    summary: dict[str, Any] = {
        "episodes": len(episodes),
        "reward": _mean(e.reward for e in episodes),
        "tool_call_rate": _mean(e.metrics.get("tool_calls", 0) > 0 for e in episodes),
        "turns": _mean(e.metrics.get("turns", 0) for e in episodes),
    }
    for key in sorted({key for e in episodes for key in e.scores}):
        summary[key] = _mean(e.scores[key] for e in episodes if key in e.scores)
    return summary


def _lookup(episode: Trajectory, key: str) -> Any:
    for source in (episode.metrics, episode.tags, episode.scores):
        if key in source:
            return source[key]
    if hasattr(episode, key):
        return getattr(episode, key)
    raise KeyError(f"{key!r} is in neither the metrics, tags, scores nor fields of episode {episode.task_id}")


def _mean(values: Iterable[Any]) -> float | None:
    values = [float(v) for v in values]
    return fmean(values) if values else None
