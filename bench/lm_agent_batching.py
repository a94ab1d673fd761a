"""Batched LM-agent episodes against playing them one at a time, in one run.

    python bench/lm_agent_batching.py [--model PATH] [--episodes 64] [--width 64]

Plays the same PeopleMemory questions with ``LMAgent`` twice: all episodes through one vector
env of ``--episodes`` sub-envs (one batched ``generate`` call per turn, KV cache), then one
episode at a time (batch 1). With ``--model`` a trained checkpoint plays (``runs/*/checkpoints/
in_tool/final``), so turns end at the model's own end-of-turn token; without it a fresh model
of ``--width`` plays and every turn runs to ``--max-new-tokens``.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import torch

import envs  # noqa: F401
from agents.lm_agent import LMAgent
from agents.model import build_model, load_model
from agents.rollout import rollout
from agents.tokenizer import build_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a trained checkpoint folder")
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    args = parser.parse_args()

    if args.model:
        model, tokenizer = load_model(args.model)
    else:
        torch.manual_seed(0)
        model, tokenizer = build_model(width=args.width), build_tokenizer()
    mode = "in_tool" if args.model is None or "in_tool" in args.model else "in_weight"

    def make_env():
        return gym.make("toolgym/PeopleMemory-v0", n_people=1000, mode=mode)

    tasks = [{"task_id": i} for i in range(args.episodes)]
    timings = {}
    for label, batch in (("batched", args.episodes), ("one at a time", 1)):
        agent = LMAgent(model, tokenizer, max_new_tokens=args.max_new_tokens, batch_size=batch)
        start = time.perf_counter()
        episodes = rollout(make_env, agent, tasks=tasks, num_envs=batch)
        timings[label] = time.perf_counter() - start
        turns = sum(e.metrics["turns"] for e in episodes)
        print(
            f"{label:<14} {args.episodes / timings[label]:8.2f} episodes/s"
            f"  ({turns} turns, {timings[label]:.1f} s)"
        )
    print(f"speed-up at batch {args.episodes}: {timings['one at a time'] / timings['batched']:.1f}x")


if __name__ == "__main__":
    main()
