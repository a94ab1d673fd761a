"""What every study's results end with: a figure saved to a file and a fixed-width table printed.

matplotlib is imported inside the functions (with the ``Agg`` backend: files only, no display),
so that importing a study does not pull it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def new_figure(size: tuple[float, float] = (6.5, 4)):
    """A matplotlib figure and its one axis, drawn off-screen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)


def save(figure, path: Path) -> Path:
    """Lay ``figure`` out, write it to ``path`` (folders made as needed), close it; return ``path``."""
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Print ``rows`` as a fixed-width table: one line per row, ``-`` where a value is ``None``.

    Args:
        rows: the values of each row, by column key (a missing key prints as ``-`` too).
        columns: ``(key, heading)`` pairs in order; the first column is left-aligned (the row's
            name), the others right-aligned, floats with 3 decimals and integers with thousands
            separators.
    """
    cells = [[_format(row.get(key)) for key, _ in columns] for row in rows]
    headings = [heading for _, heading in columns]
    widths = [max(len(text) for text in column) for column in zip(headings, *cells, strict=True)]
    for line in [headings, *cells]:
        first, *rest = line
        print(
            f"{first:<{widths[0] + 2}}"
            + "".join(f"{text:>{w + 2}}" for text, w in zip(rest, widths[1:], strict=True))
        )


def _format(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
