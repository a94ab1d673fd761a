"""Write the PeopleMemory data set to files for inspection (no questions asked).

    python -m envs.memory.generate --n-people 1000 --out data/memory

writes, for the first ``n_people`` of the chosen split:

- ``people.jsonl``: one person per line (name and the four attributes);
- ``biographies.jsonl``: ``{"name", "sentences"}``, the four biography sentences;
- ``qa_in_weight.jsonl`` / ``qa_in_tool.jsonl``: ``{"task_id", "messages", "answer"}``, the oracle's
  conversation for every question, played through the env (so the files match what agents see);
- ``people.sqlite``: the whole database (both pools), when the database is the default SQLite file.

With ``--db-url`` the database is built at that SQLAlchemy URL instead (e.g. a PostgreSQL server).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from envs.memory.database import ensure_database
from envs.memory.env import MODES, SPLITS, PeopleMemoryEnv
from envs.memory.people import DESIGNS, biography, generate_population


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m envs.memory.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--n-people", type=int, default=1000, help="people to write (default 1000)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--split", choices=SPLITS, default="train", help="which pool (default train)")
    parser.add_argument(
        "--alpha", type=float, default=1.0, help="attribute independence in [0, 1] (default 1)"
    )
    parser.add_argument(
        "--design", choices=DESIGNS, default=None, help="data design (default: itl for alpha < 1, else wide)"
    )
    parser.add_argument("--seed", type=int, default=0, help="data seed (default 0)")
    parser.add_argument("--db-url", default=None, help="SQLAlchemy URL to build the database at")
    args = parser.parse_args(argv)

    population = generate_population(args.seed, args.alpha, args.design)
    pool = population.train if args.split == "train" else population.ood
    if not 1 <= args.n_people <= len(pool):
        parser.error(f"--n-people must be in 1..{len(pool)} for the {args.split} split")
    people = pool[: args.n_people]
    args.out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(args.out / "people.jsonl", (p._asdict() for p in people))
    _write_jsonl(
        args.out / "biographies.jsonl", ({"name": p.name, "sentences": biography(p)} for p in people)
    )

    db_url = ensure_database(args.db_url, args.seed, args.alpha, args.design)
    if args.db_url is None:
        shutil.copyfile(db_url.removeprefix("sqlite:///"), args.out / "people.sqlite")
    kwargs = {
        "n_people": args.n_people,
        "split": args.split,
        "alpha": args.alpha,
        "design": args.design,
        "seed": args.seed,
        "db_url": db_url,
    }
    for mode in MODES:
        env = PeopleMemoryEnv(mode=mode, **kwargs)
        _write_jsonl(
            args.out / f"qa_{mode}.jsonl", (_oracle_record(env, i) for i in range(4 * args.n_people))
        )
        env.close()
    print(
        f"wrote {args.n_people} people ({args.split}, seed {args.seed}, alpha {args.alpha:g}) to {args.out}"
    )


def _oracle_record(env: PeopleMemoryEnv, task_id: int) -> dict:
    """Task ``task_id`` played through the env with its own demonstration, the oracle's turns."""
    env.reset(options={"task_id": task_id})
    for turn in env.demonstration():
        env.step(turn)
    return {"task_id": task_id, "messages": env.messages, "answer": env.gold()}


def _write_jsonl(path: Path, records) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.writelines(json.dumps(record) + "\n" for record in records)


if __name__ == "__main__":
    main()
