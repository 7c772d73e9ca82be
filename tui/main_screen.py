"""The one screen that mediates between the data service and the dumb widgets.

It owns the browsing state as small reactives (strings and ints, never arrays), is the only
caller of the service, and hands each widget plain results to draw.
"""

from __future__ import annotations

import random
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Container
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tui.data_service import FashionMnistService, LoadReport
from tui.data_sources import SPLITS, missing_data_message
from tui.idx import DataFileError
from tui.runtime_info import DownloadError, RuntimeInfo
from widgets.activity_log import ActivityLog
from widgets.garment_view import GarmentFrame, GarmentView
from widgets.goto_dialog import GotoDialog
from widgets.help_screen import HelpScreen
from widgets.pixel_table import PixelTable
from widgets.stats_pane import StatsPane

SIDE_PANES = ("table", "stats", "log")
PANE_TITLES = {"table": "Before/after", "stats": "Stats", "log": "Log"}
WIDE_MIN_WIDTH = 100
WIDE_MIN_HEIGHT = 34
MAX_ZOOM = 3
JUMP = 100


class MainScreen(Screen[None]):
    """Browse garments: the four panes, the keys, and the workers that load and probe."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "step(1)", "Next"),
        Binding("k", "step(-1)", "Prev"),
        Binding("t", "toggle_split", "Split"),
        Binding("g", "goto", "Go to"),
        Binding("r", "random", "Random"),
        Binding("a", "toggle_ascii", "ASCII"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("right_square_bracket", "step(100)", "+100", show=False, key_display="]"),
        Binding("left_square_bracket", "step(-100)", "-100", show=False, key_display="["),
        Binding("n", "same_class(1)", "Next same class", show=False),
        Binding("N", "same_class(-1)", "Prev same class", show=False),
        Binding("z", "zoom", "Zoom", show=False),
        Binding("p", "next_pane", "Next pane", show=False),
        Binding("up,K", "move_cursor(-1, 0)", "Cursor up", show=False, key_display="↑/K"),
        Binding("down,J", "move_cursor(1, 0)", "Cursor down", show=False, key_display="↓/J"),
        Binding("left,H", "move_cursor(0, -1)", "Cursor left", show=False, key_display="←/H"),
        Binding("right,L", "move_cursor(0, 1)", "Cursor right", show=False, key_display="→/L"),
    ]

    split: reactive[str] = reactive("train", init=False)
    index: reactive[int] = reactive(0, init=False)
    cursor_row: reactive[int] = reactive(14, init=False)
    cursor_col: reactive[int] = reactive(14, init=False)
    zoom: reactive[int] = reactive(1, init=False)
    ascii_mode: reactive[bool] = reactive(False, init=False)
    pane: reactive[str] = reactive("table", init=False)

    def __init__(
        self, service: FashionMnistService, split: str, index: int, ascii_mode: bool
    ) -> None:
        super().__init__()
        self.service = service
        self._start = (split, index)
        self.runtime: RuntimeInfo | None = None  # set when the TensorFlow probe has answered
        self.problem: str | None = None  # set when the data could not be shown
        self.set_reactive(MainScreen.ascii_mode, ascii_mode)

    def compose(self) -> ComposeResult:
        yield Header(icon="▞")
        with Container(id="body"):
            yield Static(id="notice")
            yield GarmentView("Starting…", id="garment", classes="pane")
            yield Static(id="pane-tabs")
            yield PixelTable(id="table")
            yield StatsPane("Loading…", id="stats")
            yield ActivityLog(id="log")
        yield Footer()

    def on_mount(self) -> None:
        for pane_id, title in (("table", "Raw uint8 │ / 255.0 float64"), ("stats", "Stats"),
                               ("log", "Log")):
            widget = self.query_one(f"#{pane_id}")
            widget.border_title = title
            widget.add_class("pane", "side")
        self.query_one(GarmentView).border_title = "Garment"
        self._apply_pane()
        self.call_after_refresh(self.load_data)

    def on_resize(self) -> None:
        compact = self.size.width < WIDE_MIN_WIDTH or self.size.height < WIDE_MIN_HEIGHT
        self.set_class(compact, "-compact")
        if self.zoom > 1:
            self.call_after_refresh(self._show_selection)  # the zoom that fits may have changed

    # ----- workers -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="data")
    def load_data(self) -> None:
        """Find, maybe download, and read the data; every outcome becomes visible words."""
        log = self._log_from_thread
        source, searched = self.service.locate()
        if source is None:
            cache = self.service.download_target()
            log(f"No copy found; downloading through Keras into {cache}…", "warn")
            self.app.call_from_thread(
                self._show_notice, "Downloading…",
                f"Fashion-MNIST was not found on this machine. Downloading it through Keras "
                f"into {cache} (about 30 MB)…\n\nq quits at any time.",
            )
            try:
                self.service.download()
            except DownloadError as error:
                message = f"{missing_data_message(searched)}\n\nThe download failed: {error}"
                log(f"Download failed: {error}", "error")
                self.app.call_from_thread(self._show_problem, "No data", message)
                return
            source, searched = self.service.locate()
            if source is None:
                self.app.call_from_thread(
                    self._show_problem, "No data", missing_data_message(searched)
                )
                return
        log(f"Reading {source.describe()}…")
        try:
            report = self.service.load_from(source)
        except DataFileError as error:
            log(str(error), "error")
            self.app.call_from_thread(self._show_problem, "Bad data file", str(error))
            return
        self.app.call_from_thread(self._data_ready, report)
        for split in SPLITS:  # warm the stats off the UI thread; the pane fills in after
            self.service.split_stats(split)
        self.app.call_from_thread(self._show_stats)

    @work(thread=True, exclusive=True, group="runtime")
    def probe_runtime(self) -> None:
        """Ask TensorFlow (in a child process) for its versions and devices."""
        info = self.service.runtime_info()
        self.app.call_from_thread(self._runtime_ready, info)

    def _log_from_thread(self, message: str, level: str = "info") -> None:
        self.app.call_from_thread(self.query_one(ActivityLog).add, message, level)

    # ----- results arriving ----------------------------------------------------------------

    def _data_ready(self, report: LoadReport) -> None:
        self.remove_class("-notice")
        self.query_one(StatsPane).border_subtitle = f"from {report.source.describe()}"
        counts = " + ".join(f"{split} {count:,}" for split, count in report.counts.items())
        self.query_one(ActivityLog).add(
            f"Loaded {counts} garments in {report.seconds:.2f} s", "ok"
        )
        split, index = self._start
        count = self.service.count(split)
        if index >= count:
            self.notify(f"Index {index} is outside {split} (0..{count - 1}); showing the last.",
                        severity="warning")
        self.set_reactive(MainScreen.split, split)
        self.set_reactive(MainScreen.index, min(index, count - 1))
        self._show_selection()
        self.call_after_refresh(self.probe_runtime)

    def _runtime_ready(self, info: RuntimeInfo) -> None:
        self.runtime = info
        log = self.query_one(ActivityLog)
        if info.tensorflow:
            log.add(f"TensorFlow {info.tensorflow} · Keras {info.keras} · Python {info.python} "
                    f"· NumPy {info.numpy}", "ok")
            log.add(f"Devices: {', '.join(info.devices)}")
            log.add(info.device_summary())
        else:
            log.add(f"Python {info.python} · NumPy {info.numpy}")
            log.add(info.error or "TensorFlow is not available.", "warn")

    def _show_problem(self, title: str, message: str) -> None:
        self.problem = message
        self._show_notice(title, message)

    def _show_notice(self, title: str, message: str) -> None:
        """Replace the data panes by one full-width message; the log stays visible below it."""
        notice = self.query_one("#notice", Static)
        notice.border_title = title
        notice.update(message)
        self.add_class("-notice")

    # ----- drawing -------------------------------------------------------------------------

    def _show_selection(self) -> None:
        if not self.service.is_loaded:
            return
        sample = self.service.sample(self.split, self.index)
        normalized = self.service.normalized(self.split, self.index)
        cursor = (self.cursor_row, self.cursor_col)
        count = self.service.count(self.split)
        title = f"{sample.split}[{sample.index}] {sample.label_name}"
        frame = GarmentFrame(
            image=sample.image, title=title,
            subtitle=f"label {sample.label} · {sample.index + 1:,}/{count:,}",
            zoom=min(self.zoom, self.max_zoom()), cursor=cursor, ascii_mode=self.ascii_mode,
        )
        accent = Color.parse(self.app.current_theme.accent or "magenta").rgb
        self.query_one(GarmentView).show(frame, accent)
        self.query_one(PixelTable).show(sample.image, normalized, cursor)
        self.sub_title = f"{title} (label {sample.label})"

    def _show_stats(self) -> None:
        stats = [self.service.split_stats(split) for split in SPLITS]
        self.query_one(StatsPane).show(stats, self.split)

    def _apply_pane(self) -> None:
        for pane_id in SIDE_PANES:
            self.query_one(f"#{pane_id}").set_class(pane_id == self.pane, "-current")
        tabs = "  ".join(
            f"[reverse] {PANE_TITLES[p]} [/]" if p == self.pane else f" {PANE_TITLES[p]} "
            for p in SIDE_PANES
        )
        self.query_one("#pane-tabs", Static).update(f"{tabs}  [dim]p: next pane[/]")

    def watch_split(self) -> None:
        self._show_selection()
        if self.service.stats_ready:
            self._show_stats()

    def watch_index(self) -> None:
        self._show_selection()

    def watch_cursor_row(self) -> None:
        self._show_selection()

    def watch_cursor_col(self) -> None:
        self._show_selection()

    def watch_zoom(self) -> None:
        self._show_selection()

    def watch_ascii_mode(self) -> None:
        self._show_selection()

    def watch_pane(self) -> None:
        self._apply_pane()

    # ----- actions -------------------------------------------------------------------------

    def _ready(self) -> bool:
        if not self.service.is_loaded:
            self.notify("The data is not loaded yet.", severity="warning", timeout=2)
        return self.service.is_loaded

    def action_step(self, delta: int) -> None:
        if self._ready():
            self.index = (self.index + delta) % self.service.count(self.split)

    def action_toggle_split(self) -> None:
        if self._ready():
            other = SPLITS[(SPLITS.index(self.split) + 1) % len(SPLITS)]
            self.set_reactive(MainScreen.index, min(self.index, self.service.count(other) - 1))
            self.split = other

    def action_random(self) -> None:
        if self._ready():
            self.index = random.randrange(self.service.count(self.split))

    def action_same_class(self, direction: int) -> None:
        """Jump to the next (or previous) garment with the same label, wrapping around."""
        if not self._ready():
            return
        labels = self.service.labels(self.split)
        label = labels[self.index]
        count = len(labels)
        order = [(self.index + direction * step) % count for step in range(1, count)]
        for candidate in order:
            if labels[candidate] == label:
                self.index = candidate
                return

    def action_goto(self) -> None:
        if not self._ready():
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self.index = index

        dialog = GotoDialog(self.split, self.service.count(self.split), self.index)
        self.app.push_screen(dialog, chosen)

    def action_toggle_ascii(self) -> None:
        self.ascii_mode = not self.ascii_mode

    def max_zoom(self) -> int:
        """The largest zoom whose garment still fits the screen beside a side pane."""
        body = self.query_one("#body").size
        fits = min((body.height - 2) // 14, (body.width - 30) // 28)
        return max(1, min(MAX_ZOOM, fits))

    def action_zoom(self) -> None:
        limit = self.max_zoom()
        if limit == 1:
            self.notify("Zoom needs a bigger terminal (about 90x34 for 2x).", timeout=3)
            return
        self.zoom = min(self.zoom, limit) % limit + 1

    def action_next_pane(self) -> None:
        self.pane = SIDE_PANES[(SIDE_PANES.index(self.pane) + 1) % len(SIDE_PANES)]

    def action_move_cursor(self, rows: int, cols: int) -> None:
        self.cursor_row = min(max(self.cursor_row + rows, 0), 27)
        self.cursor_col = min(max(self.cursor_col + cols, 0), 27)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.key_help()))

    def key_help(self) -> list[tuple[str, str]]:
        """Every key of this screen and the app, as (key, description) for the help screen."""
        keys = [
            (b.key_display or b.key, b.description)
            for b in self.BINDINGS
            if isinstance(b, Binding)
        ]
        return [*keys, ("ctrl+p", "Command palette: every action by name"), ("q", "Quit")]
