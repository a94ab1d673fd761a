"""The Textual app that replays recorded trajectories: ``python -m tui PATH``.

``tui.index`` indexes trajectory files lazily; ``tui.app`` holds the app (episode list, replay,
token and diff views, help) with its stylesheet ``styles.tcss``; ``python -m tui`` is the entry.
"""
