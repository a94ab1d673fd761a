"""Oracle episodes per second of PeopleMemory (in_tool, SQLite, 1000 people) vs bare sqlite3 lookups.

    python bench/env_throughput.py [--episodes 20000] [--profile]

Three loops over the same tasks, in one run:

- ``bare sqlite3``: ``SELECT <attribute> FROM people WHERE name = ?`` on a read-only connection,
  the lookups the episodes make and nothing else (the floor);
- ``env (unwrapped)``: ``reset`` + the oracle's two turns on ``PeopleMemoryEnv`` itself;
- ``env (gym.make)``: the same through ``gym.make`` (TimeLimit, OrderEnforcing, env checker).

Prints episodes/s and the cost of each env loop as a multiple of the bare loop; ``--profile``
adds a cProfile of the wrapped loop to show where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sqlite3
import time

import gymnasium as gym

import envs  # noqa: F401
from envs.memory.people import ATTRIBUTES


def bare_lookups(path: str, tasks: list[tuple[str, str]]) -> float:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    start = time.perf_counter()
    for attribute, name in tasks:
        connection.execute(f"SELECT {attribute} FROM people WHERE name = ?", (name,)).fetchall()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def oracle_episodes(env: gym.Env, n: int, num_tasks: int) -> float:
    base = env.unwrapped
    start = time.perf_counter()
    for i in range(n):
        env.reset(options={"task_id": i % num_tasks})
        for turn in base.demonstration():
            env.step(turn)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the gym.make loop")
    args = parser.parse_args()

    wrapped = gym.make("toolgym/PeopleMemory-v0", n_people=1000, mode="in_tool")
    base = wrapped.unwrapped
    path = base.sql.url.split("file:", 1)[1].split("?", 1)[0]
    tasks = []
    for i in range(args.episodes):
        task_id = i % base.num_tasks
        tasks.append((ATTRIBUTES[task_id % 4], base.people[task_id // 4].name))

    oracle_episodes(wrapped, 500, base.num_tasks)  # warm-up: caches, compiled statements
    bare_lookups(path, tasks[:500])
    bare = min(bare_lookups(path, tasks) for _ in range(3))
    raw = min(oracle_episodes(base, args.episodes, base.num_tasks) for _ in range(3))
    made = min(oracle_episodes(wrapped, args.episodes, base.num_tasks) for _ in range(3))

    print(f"{'loop':<20} {'episodes/s':>12} {'us/episode':>11} {'x bare':>7}")
    for label, seconds in (("bare sqlite3", bare), ("env (unwrapped)", raw), ("env (gym.make)", made)):
        print(
            f"{label:<20} {args.episodes / seconds:>12,.0f} {1e6 * seconds / args.episodes:>11.1f} "
            f"{seconds / bare:>7.2f}"
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(oracle_episodes, wrapped, args.episodes, base.num_tasks)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
