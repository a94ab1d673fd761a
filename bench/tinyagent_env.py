"""Oracle plan episodes per second of TinyAgentPlanner-v0 vs executing the same calls on the world.

    python bench/tinyagent_env.py [--episodes 5000] [--profile]

Two loops over the same test tasks (their ``Task`` objects built before timing), in one run:

- ``bare``: for each task, its world built (``World.generate``) and the gold calls run on it
  with ``$k`` substituted, nothing else (the floor);
- ``env``: ``reset`` + the oracle's plan and joiner turns through ``gym.make``: the prompt, the
  plan parsed and run as a DAG, the joiner parsed, the scores (DAG isomorphism, the world
  compared with the gold run's).

Each loop runs twice over the tasks (``cold``: the env's per-task caches are empty; ``warm``:
the gold run and the task are cached, as in training, which replays tasks). Prints episodes/s
and the env's cost as a multiple of the bare loop; ``--profile`` shows where the env's time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import gymnasium as gym

import envs  # noqa: F401
from envs.tinyagent import plans
from envs.tinyagent.env import _task
from tools.desktop.apps import Desktop


def bare(task_list) -> float:
    start = time.perf_counter()
    for task in task_list:
        desktop = Desktop(task.world())
        results: dict[int, str] = {}
        for index, (tool, args) in enumerate(task.steps, start=1):
            results[index] = desktop.call(tool, list(plans.substitute(list(args), results)))
    return time.perf_counter() - start


def episodes(env, n: int) -> float:
    base = env.unwrapped
    start = time.perf_counter()
    for i in range(n):
        env.reset(options={"task_id": i % base.num_tasks})
        for turn in base.demonstration():
            _, _, terminated, _, _ = env.step(turn)
            if terminated:
                break
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=1000, help="episodes per pass (<= 1000 test tasks)")
    parser.add_argument("--profile", action="store_true", help="cProfile a warm env pass")
    args = parser.parse_args()
    n = min(args.episodes, 1000)
    task_list = [_task("test", i) for i in range(n)]
    env = gym.make("toolgym/TinyAgentPlanner-v0", split="test")
    results = {}
    results["bare"] = bare(task_list)
    results["env (cold)"] = episodes(env, n)
    results["env (warm)"] = episodes(env, n)
    for name, seconds in results.items():
        print(f"{name:12s} {n / seconds:9.0f} episodes/s  {seconds / results['bare']:5.2f}x bare")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(episodes, env, n)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
