"""``python -m tui PATH``: replay recorded trajectories in the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tui",
        description="Browse and replay toolgym episodes: a run folder (runs/NAME), a trajectories "
        "*.jsonl file, or a folder of them. Press ? in the app for its keys.",
    )
    parser.add_argument("path", type=Path, help="run folder, trajectories file, or folder of *.jsonl files")
    parser.add_argument(
        "--follow", action="store_true", help="keep reading the files as a run appends to them"
    )
    args = parser.parse_args(argv)

    from tui.app import TrajectoryApp
    from tui.index import NotTrajectories

    try:
        app = TrajectoryApp(args.path, follow=args.follow)
    except (NotTrajectories, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
