"""Batched LM-agent episodes against playing them one at a time, in one run.

    python bench/lm_agent_batching.py [--env memory|calculator] [--model PATH] [--episodes 64]

Plays the same questions with ``LMAgent`` twice: all episodes through one vector env of
``--episodes`` sub-envs (one batched ``generate`` call per turn, KV cache), then one episode at
a time (batch 1, as TRL's TextEnvironment generated one history at a time). With ``--model`` a
trained checkpoint plays (``runs/*/checkpoints/in_tool/final``, or the calculator study's
starting model in ``runs/cache/calculator-*/final``), so turns end where the model ends them;
without it a fresh model of ``--width`` plays and every turn runs to ``--max-new-tokens``.
``--sample`` samples as PPO's rollouts do (greedy otherwise).
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
from agents.tokenizers.calculator import build_calculator_tokenizer
from agents.tokenizers.memory import build_memory_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a trained checkpoint folder")
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--env", choices=("memory", "calculator"), default="memory")
    parser.add_argument("--sample", action="store_true", help="sample (PPO rollouts) instead of greedy")
    args = parser.parse_args()

    build = build_calculator_tokenizer if args.env == "calculator" else build_memory_tokenizer
    if args.model:
        model, tokenizer = load_model(args.model)
    else:
        torch.manual_seed(0)
        tokenizer = build()
        model = build_model(len(tokenizer), width=args.width)
    mode = "in_tool" if args.model is None or "in_tool" in args.model else "in_weight"

    def make_env():
        if args.env == "calculator":
            return gym.make("toolgym/Calculator-v0")
        return gym.make("toolgym/PeopleMemory-v0", n_people=1000, mode=mode)

    turn_ends = make_env().unwrapped.turn_ends
    tasks = [{"task_id": i * 37} for i in range(args.episodes)]
    timings = {}
    for label, batch in (("batched", args.episodes), ("one at a time", 1)):
        torch.manual_seed(0)
        agent = LMAgent(
            model, tokenizer, max_new_tokens=args.max_new_tokens, batch_size=batch,
            do_sample=args.sample, stop_strings=turn_ends,
        )  # fmt: skip
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
