"""The one screen that mediates between the data service and the dumb widgets.

It owns the browsing state as small reactives (strings and ints, never arrays), is the only
caller of the service, and hands each widget plain results to draw.
"""

from __future__ import annotations

import random
import threading
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Container, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from tui.data_service import FashionMnistService, LoadReport
from tui.data_sources import SPLITS, Candidate, missing_data_message
from tui.downloader import DownloadCancelled, DownloadError, Progress
from tui.idx import DataFileError
from tui.runtime_info import RuntimeInfo
from widgets.activity_log import ActivityLog
from widgets.confirm_dialog import ConfirmDialog
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
MB = 1_000_000


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
        Binding("d", "download", "Download the data", show=False),
        Binding("escape,x", "cancel_download", "Cancel download", show=False,
                key_display="Esc/x"),
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
        self._cancel_download: threading.Event | None = None
        self.set_reactive(MainScreen.ascii_mode, ascii_mode)

    def compose(self) -> ComposeResult:
        yield Header(icon="▞")
        with Container(id="body"):
            with Vertical(id="notice-box"):
                yield Static(id="notice")
                yield ProgressBar(id="download-progress", show_eta=False)
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
        """Find and read the data, or start a download; every outcome becomes visible words."""
        source, searched = self.service.locate()
        if source is None:
            self.app.call_from_thread(self._start_download, False, searched)
            return
        self._log_from_thread(f"Reading {source.describe()}…")
        try:
            report = self.service.load_from(source)
        except DataFileError as error:
            self.app.call_from_thread(self._load_failed, source, error)
            return
        self.app.call_from_thread(self._data_ready, report)
        for split in self.service.splits:  # warm the stats off the UI thread
            self.service.split_stats(split)
        self.app.call_from_thread(self._show_stats)

    @work(thread=True, exclusive=True, group="download")
    def download_data(self, force: bool, searched: list[Candidate]) -> None:
        """Fetch the files with a progress bar; Escape cancels, and then nothing is left behind."""
        self._cancel_download = threading.Event()
        try:
            fetched = self.service.download(
                progress=lambda p: self.app.call_from_thread(self._show_progress, p),
                cancel=self._cancel_download,
                force=force,
            )
        except DownloadCancelled:
            self.app.call_from_thread(
                self._show_problem, "Download cancelled",
                "The download was cancelled; no partial file was kept.\n"
                "Press d to download again, or q to quit.",
            )
            self._log_from_thread("Download cancelled; no partial file was kept.", "warn")
            return
        except DownloadError as error:
            self._log_from_thread(f"Download failed: {error}", "error")
            self.app.call_from_thread(
                self._show_problem, "No data",
                f"{missing_data_message(searched)}\n\nThe download failed: {error}",
            )
            return
        finally:
            self._cancel_download = None
        self._log_from_thread(
            f"Downloaded {', '.join(fetched)}" if fetched else "All four files were already there",
            "ok",
        )
        self.app.call_from_thread(self.load_data)

    @work(thread=True, exclusive=True, group="runtime")
    def probe_runtime(self) -> None:
        """Ask TensorFlow (in a child process) for its versions and devices."""
        info = self.service.runtime_info()
        self.app.call_from_thread(self._runtime_ready, info)

    def _log_from_thread(self, message: str, level: str = "info") -> None:
        self.app.call_from_thread(self.query_one(ActivityLog).add, message, level)

    # ----- results arriving ----------------------------------------------------------------

    def _start_download(self, force: bool, searched: list[Candidate]) -> None:
        target = self.service.download_target()
        reason = "Replacing damaged files" if force else "Fashion-MNIST was not found here"
        self.query_one(ActivityLog).add(f"{reason}; downloading into {target}…", "warn")
        self._show_notice(
            "Downloading…",
            f"{reason}. Downloading the missing or damaged files (30.9 MB in all) into\n"
            f"{target}\n\n"
            "Escape cancels; q quits.",
        )
        self.query_one("#download-progress", ProgressBar).update(total=None, progress=0)
        self.add_class("-downloading")
        self.download_data(force, searched)

    def _show_progress(self, progress: Progress) -> None:
        bar = self.query_one("#download-progress", ProgressBar)
        bar.update(total=progress.total, progress=progress.done)
        bar.border_subtitle = (
            f"{progress.done / MB:.1f} of {progress.total / MB:.1f} MB "
            f"at {progress.rate / MB:.1f} MB/s · {progress.name}"
        )

    def _load_failed(self, source: Candidate, error: DataFileError) -> None:
        """No split could be read: say why, and offer a fresh download where that can help."""
        self.query_one(ActivityLog).add(str(error), "error")
        self._show_problem("Bad data file", f"{error.path}\n{error.reason}.\n\n{error.fix}")
        self._offer_replacement(source)

    def _offer_replacement(self, source: Candidate) -> None:
        if source.directory != self.service.download_target():
            return  # not ours to overwrite: the message names the file and the fix

        def answered(replace: bool | None) -> None:
            if replace:
                self._start_download(True, [source])

        self.app.push_screen(
            ConfirmDialog(
                "Damaged files",
                f"Some files in {source.directory} are damaged.\n"
                "Replace them with a fresh download (checked before it is kept)?",
            ),
            answered,
        )

    def _data_ready(self, report: LoadReport) -> None:
        self.remove_class("-notice", "-downloading")
        log = self.query_one(ActivityLog)
        counts = " + ".join(f"{split} {count:,}" for split, count in report.counts.items())
        log.add(f"Loaded {counts} garments in {report.seconds:.2f} s", "ok")
        subtitle = f"from {report.source.describe()}"
        if not report.original:
            subtitle = "NOT the original Fashion-MNIST · " + subtitle
        self.query_one(StatsPane).border_subtitle = subtitle
        for warning in report.warnings():
            log.add(warning, "warn")
            self.notify(warning, severity="warning", timeout=15)
        if report.problems:
            self._offer_replacement(report.source)
        split, index = self._start
        if split not in self.service.splits:
            split = self.service.splits[0]
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
        self.remove_class("-downloading")
        self._show_notice(title, message)

    def _show_notice(self, title: str, message: str) -> None:
        """Replace the data panes by one full-width message; the log stays visible below it."""
        notice = self.query_one("#notice-box")
        notice.border_title = title
        self.query_one("#notice", Static).update(message)
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
        stats = [self.service.split_stats(split) for split in self.service.splits]
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
            problem = self.service.problem(other)
            if problem is not None:
                self.notify(f"The {other} split cannot be used: {problem}", severity="error",
                            timeout=8)
                return
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

    def action_download(self) -> None:
        """Fetch missing or damaged files (checked before they are kept), then load them."""
        if self._cancel_download is not None:
            self.notify("A download is already running.", timeout=2)
            return
        _source, searched = self.service.locate()
        self._start_download(True, searched)

    def action_cancel_download(self) -> None:
        if self._cancel_download is not None:
            self._cancel_download.set()

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
