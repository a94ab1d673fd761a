"""The Textual app that replays recorded trajectories: ``python -m tui PATH``."""
