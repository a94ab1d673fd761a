"""The trajectory replay app: an episode list and a turn-by-turn replay, in the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Input, Static

from envs.trajectory import Trajectory
from tui.index import EpisodeIndex, Summary, trajectory_files
from tui.views import diff_view, message_widget, run_folder, run_header, token_view

SORTS = ("row", "reward", "turns", "length")
COLUMNS = ("#", "env", "task", "split", "reward", "turns", "length", "agent")


class EpisodeTable(ScrollView, can_focus=True):
    """The episode list, drawn line by line (Textual's Line API): only the rows on screen are
    rendered, and their summaries parsed, so 100,000 rows scroll as smoothly as 10."""

    BINDINGS = [
        Binding("up,k", "move(-1)", "up", show=False),
        Binding("down,j", "move(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home", "move(-1_000_000_000)", "top", show=False),
        Binding("end", "move(1_000_000_000)", "bottom", show=False),
    ]
    WIDTHS = (7, 26, 7, 7, 7, 6, 7, 10)

    def __init__(self, index: EpisodeIndex, **kwargs):
        super().__init__(**kwargs)
        self.index = index
        self.rows: list[int] = []
        self.cursor = 0

    def set_rows(self, rows: list[int]) -> None:
        self.rows = rows
        self.cursor = min(self.cursor, max(0, len(rows) - 1))
        self.virtual_size = Size(sum(self.WIDTHS) + len(self.WIDTHS), len(rows))
        self.refresh()

    @classmethod
    def header(cls) -> str:
        return " ".join(f"{name:<{width}}" for name, width in zip(COLUMNS, cls.WIDTHS, strict=True))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        position = scroll_y + y
        width = self.size.width
        if position >= len(self.rows):
            return Strip.blank(width)
        s = self.index.summary(self.rows[position])
        cells = (
            s.row,
            s.env_id,
            "" if s.task_id is None else s.task_id,
            s.split,
            f"{s.reward:g}",
            s.turns,
            s.length,
            s.agent,
        )
        line = " ".join(f"{str(c)[:w]:<{w}}" for c, w in zip(cells, self.WIDTHS, strict=True))
        style = Style(color="green" if s.reward > 0 else "red")
        if position == self.cursor:
            style = Style(reverse=True, bold=True) if self.has_focus else Style(reverse=True)
        return Strip([Segment(line.ljust(max(width + scroll_x, len(line))), style)]).crop(
            scroll_x, scroll_x + width
        )

    def action_move(self, delta: int) -> None:
        self._go(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._go(self.cursor + direction * max(1, self.size.height - 1))

    def _go(self, cursor: int) -> None:
        self.cursor = max(0, min(len(self.rows) - 1, cursor))
        if self.cursor < self.scroll_offset.y:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= self.scroll_offset.y + self.size.height:
            self.scroll_to(y=self.cursor - self.size.height + 1, animate=False)
        self.refresh()

    def on_click(self, event) -> None:
        self._go(self.scroll_offset.y + event.y)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


class TrajectoryApp(App):
    """Browse and replay the episodes of trajectory files."""

    CSS_PATH = "styles.tcss"
    TITLE = "toolgym replay"
    BINDINGS = [
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, path: Path, follow: bool = False):
        super().__init__()
        self.path = path
        self.follow = follow
        self.index = EpisodeIndex(trajectory_files(path))
        self._tokenizer: Any = False  # not looked for yet

    def run_tokenizer(self) -> Any:
        """The tokenizer saved with the run's checkpoints (for records without token strings), or None."""
        if self._tokenizer is False:
            self._tokenizer = None
            folder = run_folder(self.path)
            # Only a run folder is searched (not whatever folder a loose file lies in).
            is_run = (folder / "config.json").is_file() or (folder / "checkpoints").is_dir()
            found = folder.rglob("tokenizer_config.json") if is_run else ()
            configs = sorted(p for p in found if "checkpoints" in p.relative_to(folder).parts)
            if configs:
                from transformers import AutoTokenizer

                try:
                    self._tokenizer = AutoTokenizer.from_pretrained(str(configs[-1].parent))
                except (OSError, ValueError):
                    self._tokenizer = None
        return self._tokenizer

    def on_mount(self) -> None:
        self.push_screen(EpisodeList(self.index, self.path, self.follow))

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.screen))


class EpisodeList(Screen):
    """Every episode, filtered and sorted; Enter replays the selected one."""

    BINDINGS = [
        Binding("enter", "open", "replay"),
        Binding("slash", "search", "search"),
        Binding("f", "failures", "reward=0 only"),
        Binding("e", "next_env", "env"),
        Binding("s", "next_split", "split"),
        Binding("o", "next_sort", "sort"),
    ]

    def __init__(self, index: EpisodeIndex, path: Path, follow: bool):
        super().__init__()
        self.index, self.path, self.follow = index, path, follow
        self.failures_only = False
        self.env_filter: str | None = None
        self.split_filter: str | None = None
        self.sort = "row"
        self.search_text = ""
        self.shown: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static(run_header(self.path, self.index), id="header")
        yield Input(placeholder="search the messages (Enter to apply, Esc to leave)", id="search")
        yield Static("", id="status")
        yield Static(EpisodeTable.header(), id="columns")
        yield EpisodeTable(self.index, id="episodes")
        yield Footer()

    def on_mount(self) -> None:
        self._show(list(range(len(self.index))))
        # Filters and sorts need every summary: parse them after the first paint, off the UI thread.
        self.call_after_refresh(self._summarise_rest)
        if self.follow:
            self.set_interval(1.0, self._poll)
        self.query_one(EpisodeTable).focus()

    @work(thread=True, exclusive=True, group="summaries")
    def _summarise_rest(self) -> None:
        """Parse the remaining summaries off the UI thread, then show every row."""
        self.index.summarise_all()
        self.app.call_from_thread(self._apply)

    def _apply(self) -> None:
        self.index.summarise_all()  # usually done already by the background worker
        rows = [self.index.summary(r) for r in range(len(self.index))]
        rows = [s for s in rows if self._matches(s)]
        if self.sort != "row":
            rows.sort(key=lambda s: (getattr(s, self.sort), s.row))
        self._show([s.row for s in rows])

    def _matches(self, summary: Summary) -> bool:
        return (
            (not self.failures_only or summary.reward == 0)
            and (self.env_filter is None or summary.env_id == self.env_filter)
            and (self.split_filter is None or summary.split == self.split_filter)
            and (not self.search_text or self.search_text in summary.text)
        )

    def _show(self, rows: list[int]) -> None:
        self.shown = rows
        self.query_one(EpisodeTable).set_rows(rows)
        filters = [
            "reward=0" if self.failures_only else "",
            f"env={self.env_filter}" if self.env_filter else "",
            f"split={self.split_filter}" if self.split_filter else "",
            f"search={self.search_text!r}" if self.search_text else "",
        ]
        active = ", ".join(f for f in filters if f) or "none"
        self.query_one("#status", Static).update(
            f"{len(rows):,} of {len(self.index):,} episodes | filters: {active} | sort: {self.sort}"
        )

    def _poll(self) -> None:
        if self.index.refresh():
            self.query_one("#header", Static).update(run_header(self.path, self.index))
            self._summarise_rest()

    def _distinct(self, field: str) -> list[str]:
        return sorted({getattr(self.index.summary(r), field) for r in range(len(self.index))})

    def _cycle(self, current: str | None, values: list[str]) -> str | None:
        options: list[str | None] = [None, *values]
        return options[(options.index(current) + 1) % len(options)]

    def action_failures(self) -> None:
        self.failures_only = not self.failures_only
        self._apply()

    def action_next_env(self) -> None:
        self.env_filter = self._cycle(self.env_filter, self._distinct("env_id"))
        self._apply()

    def action_next_split(self) -> None:
        self.split_filter = self._cycle(self.split_filter, self._distinct("split"))
        self._apply()

    def action_next_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._apply()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip().lower()
        self._apply()
        self.query_one(EpisodeTable).focus()

    def on_key(self, event) -> None:
        if event.key == "escape" and self.query_one("#search", Input).has_focus:
            self.query_one(EpisodeTable).focus()

    def action_open(self) -> None:
        if self.shown:
            row = self.shown[self.query_one(EpisodeTable).cursor]
            try:
                record = self.index.record(row)
            except (ValueError, TypeError, UnicodeDecodeError) as error:
                # A damaged line or a record of the wrong shape: say so, never exit.
                self.app.push_screen(BadRecord(row, self.index.where(row), error))
                return
            self.app.push_screen(Replay(record, row))


class Replay(Screen):
    """One episode, turn by turn: roles in colours, tool calls paired with their answers."""

    BINDINGS = [
        # priority: the scrolling conversation would otherwise take the arrow and home/end keys
        Binding("right,l,space", "forward", "next turn", priority=True),
        Binding("left,h", "back", "previous turn", priority=True),
        Binding("home", "first", "first", priority=True),
        Binding("end", "last", "all", priority=True),
        Binding("t", "tokens", "tokens"),
        Binding("d", "diff", "diff vs oracle"),
        Binding("escape,backspace", "close", "back"),
    ]

    def __init__(self, record: Trajectory, row: int):
        super().__init__()
        self.record, self.row = record, row
        self.shown = len(record.messages)  # messages on screen; starts with the whole episode
        self.mode = "conversation"

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="replay-title")
        yield VerticalScroll(id="turns")
        yield Footer()

    async def on_mount(self) -> None:
        await self._show_turns()

    def _title(self) -> Text:
        r = self.record
        text = Text.assemble(
            (f"episode {self.row}", "bold"), f"  {r.env_id}  task {r.task_id}  ",
            ("reward ", "bold"), (f"{r.reward:g}", "green" if r.reward > 0 else "red"),
            f"  {'truncated' if r.truncated else 'terminated' if r.terminated else 'unfinished'}",
        )  # fmt: skip
        if r.gold is not None:
            text.append(f"  gold: {r.gold}", style="bold yellow")
        text.append(f"\nturn {self.shown}/{len(r.messages)}  view: {self.mode}")
        return text

    async def _show_turns(self) -> None:
        turns = self.query_one("#turns", VerticalScroll)
        await turns.remove_children()
        if self.mode == "tokens":
            tokenizer = None if self.record.tokens else self.app.run_tokenizer()
            widgets = [token_view(self.record, tokenizer)]
        elif self.mode == "diff":
            widgets = [diff_view(self.record)]
        else:
            widgets = [message_widget(m) for m in self.record.messages[: self.shown]]
        await turns.mount_all(widgets)
        self.query_one("#replay-title", Static).update(self._title())
        turns.scroll_end(animate=False)

    async def _step(self, shown: int) -> None:
        self.mode = "conversation"
        self.shown = max(1, min(len(self.record.messages), shown))
        await self._show_turns()

    async def action_forward(self) -> None:
        await self._step(self.shown + 1)

    async def action_back(self) -> None:
        await self._step(self.shown - 1)

    async def action_first(self) -> None:
        await self._step(1)

    async def action_last(self) -> None:
        await self._step(len(self.record.messages))

    async def action_tokens(self) -> None:
        self.mode = "conversation" if self.mode == "tokens" else "tokens"
        await self._show_turns()

    async def action_diff(self) -> None:
        self.mode = "conversation" if self.mode == "diff" else "diff"
        await self._show_turns()

    def action_close(self) -> None:
        self.app.pop_screen()


class BadRecord(Screen):
    """What is wrong with a record that cannot be replayed."""

    BINDINGS = [Binding("escape,backspace,enter", "close", "back")]

    def __init__(self, row: int, where: str, error: Exception):
        super().__init__()
        self.row, self.where, self.error = row, where, error

    def compose(self) -> ComposeResult:
        message = f"episode {self.row} ({self.where}) cannot be replayed:\n{self.error}"
        yield Static(Text(message), id="bad-record", classes="message env")
        yield Footer()

    def action_close(self) -> None:
        self.app.pop_screen()


class HelpScreen(ModalScreen):
    """Every key of the screen underneath."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "close")]

    def __init__(self, under: Screen):
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        keys = [*getattr(self.under, "BINDINGS", []), *TrajectoryApp.BINDINGS]
        lines = [f"{b.key.replace(',', ' / '):<22}{b.description}" for b in keys]
        yield Static("Keys\n\n" + "\n".join(lines) + "\n\nEsc closes this help.", id="help")

    def action_close(self) -> None:
        self.app.pop_screen()
