"""Seconds of ``tinyagent_lora``'s evaluations, with and without each of its speed-ups.

    python bench/tinyagent_evaluation.py RUN [--cache runs/cache] [--tasks 500]

``RUN`` is the output folder of a ``python -m scenarios.run tinyagent_lora`` run on the cpu
profile (its LoRA adapters in ``RUN/lora/final``; its base in ``--cache``, where that run kept
it). On the first ``--tasks`` test tasks with all 16 tools described, one after the other in
this process, it times:

- the base, its malformed plans written whole and cut at their first bad line or unknown tool
  (``TextEnv.doomed``; whole: the env class's ``doomed`` set back to ``TextEnv``'s, which
  ``play`` does not ask);
- the LoRA model, evaluated through PEFT's adapters and with them merged into the base
  (``scenarios.tinyagent.steps.for_generation``);
- the merged LoRA model, its turns written whole and cut (its plans mostly parse; what the cut
  stops there is joiner turns that run on after their Action line);
- the merged LoRA model, 250 episodes at a time in one ``generate`` batch, in task order (as the
  study evaluated until 2026-12-07), against all of them at once, each turn's conversations
  sorted by length into batches of 125 (as the study evaluates, and every other timing here).

Each pair must give the same scores (the merged pair: the same turns). Prints seconds, the
speed-ups and whether they matched.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from agents.evaluate import play
from envs.core import TextEnv
from envs.tinyagent.env import TinyAgentPlannerEnv
from scenarios.tinyagent.steps import base_model, for_generation, make_env
from scenarios.tinyagent.study import cpu_profile


def timed(model, tokenizer, tasks: int, cut: bool = True, batch_size: int = 125, num_envs: int | None = None):
    """Seconds and episodes of greedy play on the first ``tasks`` test tasks, all tools described:
    ``num_envs`` episodes at once (default all), each turn's conversations sorted by length into
    ``generate`` batches of ``batch_size``, as the study evaluates."""
    dooms = TinyAgentPlannerEnv.doomed
    if not cut:
        TinyAgentPlannerEnv.doomed = TextEnv.doomed
    try:
        start = time.perf_counter()
        episodes = play(
            model, tokenizer, make_env("test", num_tasks=tasks), [{"task_id": i} for i in range(tasks)],
            max_new_tokens=448, batch_size=batch_size, num_envs=num_envs or tasks, static_cache=True,
        )  # fmt: skip
        return time.perf_counter() - start, episodes
    finally:
        TinyAgentPlannerEnv.doomed = dooms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path, help="a tinyagent_lora output folder (with lora/final)")
    parser.add_argument("--cache", default="runs/cache", help="where that run's base is cached")
    parser.add_argument("--tasks", type=int, default=500)
    args = parser.parse_args()
    adapters = args.run / "lora" / "final"
    if not (adapters / "adapter_config.json").is_file():
        parser.error(f"{adapters} has no adapter_config.json: give a finished tinyagent_lora run's folder")
    config = dataclasses.replace(cpu_profile(), cache=args.cache, progress=False)
    model, tokenizer, _ = base_model(config, "cpu")

    whole, whole_episodes = timed(model, tokenizer, args.tasks, cut=False)
    cut, cut_episodes = timed(model, tokenizer, args.tasks)
    same = [a.scores for a in whole_episodes] == [b.scores for b in cut_episodes]
    print(f"base: whole {whole:.1f} s, cut {cut:.1f} s, {whole / cut:.2f}x; same scores: {same}")

    from peft import PeftModel

    from learners.common import quiet_library_warnings

    with quiet_library_warnings():
        lora = PeftModel.from_pretrained(model, adapters)
    separate, separate_episodes = timed(lora, tokenizer, args.tasks)
    merged_model = for_generation(lora, config)
    merged, merged_episodes = timed(merged_model, tokenizer, args.tasks)
    same = [a.messages for a in separate_episodes] == [b.messages for b in merged_episodes]
    ratio = separate / merged
    print(f"LoRA: adapters {separate:.1f} s, merged {merged:.1f} s, {ratio:.2f}x; same turns: {same}")
    whole, whole_episodes = timed(merged_model, tokenizer, args.tasks, cut=False)
    same = [a.scores for a in whole_episodes] == [b.scores for b in merged_episodes]
    print(f"LoRA merged: whole {whole:.1f} s, cut {merged:.1f} s, {whole / merged:.2f}x; same scores: {same}")
    unsorted, unsorted_episodes = timed(merged_model, tokenizer, args.tasks, batch_size=250, num_envs=250)
    same = [a.scores for a in unsorted_episodes] == [b.scores for b in merged_episodes]
    print(
        f"LoRA merged: 250 at a time in task order {unsorted:.1f} s, all at once sorted by length "
        f"into batches of 125 {merged:.1f} s, {unsorted / merged:.2f}x; same scores: {same}"
    )


if __name__ == "__main__":
    main()
