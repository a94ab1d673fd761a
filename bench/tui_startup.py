"""Start-up time of ``python -m tui`` on a synthetic file of 100,000 episodes.

    python bench/tui_startup.py [--episodes 100000] [--path /tmp/toolgym-100k.jsonl]

Writes the file once (oracle PeopleMemory episodes, repeated), then times, headless: indexing
the file, the app showing its first rows (what a user waits for), and the background parse of
every row's summary (after which sort, filters and search are instant). The list itself draws
only the rows on screen, so it scrolls the same over 100,000 rows as over 10.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import gymnasium as gym

import envs  # noqa: F401
from agents.oracle import OracleAgent
from agents.rollout import rollout
from tui.app import TrajectoryApp
from tui.index import EpisodeIndex


def write_file(path: Path, episodes: int) -> None:
    make_env = lambda: gym.make("toolgym/PeopleMemory-v0", n_people=1000)  # noqa: E731
    lines = [t.to_json() + "\n" for t in rollout(make_env, OracleAgent(), 1000, num_envs=32)]
    with open(path, "w", encoding="utf-8") as file:
        for i in range(episodes):
            file.write(lines[i % len(lines)])


async def time_app(path: Path) -> tuple[float, float]:
    start = time.perf_counter()
    app = TrajectoryApp(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first_rows = time.perf_counter() - start
        await app.workers.wait_for_complete()
        await pilot.pause()
        everything = time.perf_counter() - start
        assert len(app.screen.shown) == len(app.index)
    return first_rows, everything


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--path", type=Path, default=Path("/tmp/toolgym-100k.jsonl"))
    args = parser.parse_args()
    if not args.path.exists():
        write_file(args.path, args.episodes)
    start = time.perf_counter()
    index = EpisodeIndex([args.path])
    indexing = time.perf_counter() - start
    first_rows, everything = asyncio.run(time_app(args.path))
    size = args.path.stat().st_size / 1e6
    print(f"{len(index):,} episodes, {size:.0f} MB")
    print(f"index the file:                 {indexing:6.2f} s")
    print(f"app open, first rows on screen: {first_rows:6.2f} s")
    print(f"every row parsed, list filled:  {everything:6.2f} s (in the background)")


if __name__ == "__main__":
    main()
