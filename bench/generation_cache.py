"""Seconds of greedy test episodes with ``agents.evaluate.play`` on the dynamic and the static KV cache.

    python bench/generation_cache.py [--model PATH] [--tasks 250] [--width 128]

Both runs play the same TinyAgentPlanner-v0 test tasks (all 16 tools described, the longest
prompts) with the same model, one after the other in this process, and must write the same
turns: the static cache (``play(static_cache=True)``) only stores keys and values in one tensor
allocated up front, where the dynamic cache concatenates a new one per token and layer. Prints
seconds per run, the speed-up, and whether every turn matched. Without ``--model`` the model is
a fresh from-scratch Llama of ``--width`` (its greedy turns run to ``max_new_tokens``, the
slowest case, as an untrained base's do).
"""

from __future__ import annotations

import argparse
import time

from agents.evaluate import play
from scenarios.tinyagent.steps import make_env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", help="a folder with a causal LM and its tokenizer")
    parser.add_argument("--tasks", type=int, default=250)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    args = parser.parse_args()
    if args.model:
        from agents.model import load_model

        model, tokenizer = load_model(args.model)
    else:
        from agents.model import build_model
        from agents.tokenizers.tinyagent import build_tinyagent_tokenizer
        from scenarios.tinyagent.corpus import pretraining_conversations

        texts = [m["content"] for c in pretraining_conversations(300) for m in c]
        tokenizer = build_tinyagent_tokenizer(texts, 2048)
        model = build_model(
            len(tokenizer), layers=3, heads=4, width=args.width, max_length=2048,
            tie_embeddings=True, eos_token_id=tokenizer.eos_token_id,
        )  # fmt: skip
    tasks = [{"task_id": i} for i in range(args.tasks)]
    turns, seconds = {}, {}
    for static in (False, True):
        start = time.perf_counter()
        episodes = play(
            model, tokenizer, make_env("test", num_tasks=args.tasks), tasks,
            max_new_tokens=args.max_new_tokens, batch_size=args.tasks, static_cache=static,
        )  # fmt: skip
        seconds[static] = time.perf_counter() - start
        turns[static] = [[m["content"] for m in e.messages if m["role"] == "assistant"] for e in episodes]
    print(f"dynamic cache {seconds[False]:.1f} s, static cache {seconds[True]:.1f} s, "
          f"{seconds[False] / seconds[True]:.2f}x; same turns: {turns[False] == turns[True]}")  # fmt: skip


if __name__ == "__main__":
    main()
