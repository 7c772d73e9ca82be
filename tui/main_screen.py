"""The one screen that mediates between the data service and the dumb widgets.

It owns the browsing state as small reactives (strings and ints, never arrays), is the only
caller of the service, and hands each widget plain results to draw.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Container, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from tui.data_service import CLASS_NAMES, NORMALIZER, FashionMnistService, LoadReport, Sample
from tui.data_sources import SPLITS, Candidate, missing_data_message
from tui.idx import DataFileError
from tui.normalization import memory_figures
from tui.runtime_info import RuntimeInfo
from tui.terminal import (
    ASCII,
    RENDER_MODES,
    RENDER_TITLES,
    TRUECOLOR,
    TerminalProfile,
    describe,
)
from widgets.activity_log import ActivityLog
from widgets.class_board import ClassBoard
from widgets.class_picker import ClassPicker
from widgets.confirm_dialog import ConfirmDialog
from widgets.gallery_view import GalleryView, Thumb
from widgets.garment_view import GarmentFrame, GarmentView
from widgets.goto_dialog import GotoDialog
from widgets.help_screen import HelpScreen
from widgets.lab_view import LabView, lab_renderable
from widgets.lesson_view import LessonView, lesson_renderable
from widgets.pixel_table import PixelTable
from widgets.similar_view import SimilarView
from widgets.stats_pane import StatsPane

if TYPE_CHECKING:
    from tui.downloader import Progress

SIDE_PANES = ("table", "stats", "log")
PANE_TITLES = {"table": "Before/after", "stats": "Stats", "log": "Log"}
TINY_WIDTH, TINY_HEIGHT = 34, 12  # below this a notice replaces the screen
WIDE_MIN_WIDTH = 100
WIDE_MIN_HEIGHT = 34
MAX_ZOOM = 3
MB = 1_000_000
VIEWS = ("browse", "gallery", "classes", "lab", "lesson", "similar")
VIEW_TITLES = {"browse": "Browse", "gallery": "Gallery", "classes": "Classes",
               "lab": "Normalisation lab", "lesson": "Lesson", "similar": "Look-alikes"}
NO_FILTER = -1
LOOK_ALIKES = 10


Action = TypeVar("Action", bound=Callable[..., None])


def needs_data(action: Action) -> Action:
    """For actions that need the data: keys pressed while it is still loading are kept and
    replayed when it arrives; with no data to come, the user is told why nothing happens."""

    @functools.wraps(action)
    def guarded(self: MainScreen, *args: object, **kwargs: object) -> None:
        if self.service.is_loaded:
            action(self, *args, **kwargs)
        elif self.problem is None:
            self.pending.append(functools.partial(action, self, *args, **kwargs))
        else:
            self.notify("No data to show: see the message (d downloads, q quits).",
                        severity="warning", timeout=3)

    return guarded  # type: ignore[return-value]


class MainScreen(Screen[None]):
    """Browse garments: the four panes, the keys, and the workers that load and probe."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "step(1)", "Next"),
        Binding("k", "step(-1)", "Prev"),
        Binding("t", "toggle_split", "Split"),
        Binding("g", "goto", "Go to"),
        Binding("r", "random", "Random"),
        Binding("a", "toggle_ascii", "ASCII"),
        Binding("w", "cycle_drawing", "Next drawing mode (colours)", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("v", "next_view", "Views"),
        Binding("b", "view('browse')", "Browse view", show=False),
        Binding("i", "view('gallery')", "Gallery view", show=False),
        Binding("c", "view('classes')", "Classes view", show=False),
        Binding("m", "view('lab')", "Normalisation lab", show=False),
        Binding("l", "view('lesson')", "Lesson view", show=False),
        Binding("s", "view('similar')", "Look-alikes view", show=False),
        Binding("enter", "open", "Open the selection", show=False),
        Binding("o", "next_mode", "Next normalisation mode", show=False),
        Binding("f", "pick_class", "Filter by class", show=False),
        *[Binding(str(d), f"filter_class({d})", f"Only {CLASS_NAMES[d]}", show=False)
          for d in range(10)],
        Binding("P", "toggle_presenter", "Presenter mode", show=False),
        Binding("T", "toggle_theme", "Light/dark theme", show=False),
        Binding("e", "export_garment", "Export PNG and CSV", show=False),
        Binding("S", "export_screen", "Save the screen as SVG", show=False),
        Binding("right_square_bracket", "step(100)", "+100", show=False, key_display="]"),
        Binding("left_square_bracket", "step(-100)", "-100", show=False, key_display="["),
        Binding("n", "same_class(1)", "Next same class", show=False),
        Binding("N", "same_class(-1)", "Prev same class", show=False),
        Binding("z", "zoom", "Zoom", show=False),
        Binding("p", "next_pane", "Next pane", show=False),
        Binding("d", "download", "Download the data", show=False),
        Binding("escape,x", "back", "Cancel download / back", show=False,
                key_display="Esc/x"),
        Binding("up,K", "move_cursor(-1, 0)", "Cursor up", show=False, key_display="↑/K"),
        Binding("down,J", "move_cursor(1, 0)", "Cursor down", show=False, key_display="↓/J"),
        Binding("left,H", "move_cursor(0, -1)", "Cursor left", show=False, key_display="←/H"),
        Binding("right,L", "move_cursor(0, 1)", "Cursor right", show=False, key_display="→/L"),
    ]

    # State only: the watchers redraw the panes that change (repaint=False keeps a step from
    # repainting the whole screen).
    split: reactive[str] = reactive("train", init=False, repaint=False)
    index: reactive[int] = reactive(0, init=False, repaint=False)
    cursor_row: reactive[int] = reactive(14, init=False, repaint=False)
    cursor_col: reactive[int] = reactive(14, init=False, repaint=False)
    zoom: reactive[int] = reactive(1, init=False, repaint=False)
    ascii_mode: reactive[bool] = reactive(False, init=False, repaint=False)
    render_mode: reactive[str] = reactive(TRUECOLOR, init=False, repaint=False)
    pane: reactive[str] = reactive("table", init=False, repaint=False)
    view: reactive[str] = reactive("browse", init=False, repaint=False)
    class_filter: reactive[int] = reactive(NO_FILTER, init=False, repaint=False)
    # The normalisation mode: 0 is the tutorial's / 255.0.
    mode: reactive[int] = reactive(0, init=False, repaint=False)
    lesson_line: reactive[int] = reactive(0, init=False, repaint=False)
    class_cursor: reactive[int] = reactive(0, init=False, repaint=False)
    similar_cursor: reactive[int] = reactive(0, init=False, repaint=False)
    presenter: reactive[bool] = reactive(False, init=False, repaint=False)

    def __init__(
        self,
        service: FashionMnistService,
        split: str,
        index: int,
        ascii_mode: bool,
        profile: TerminalProfile | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self._start = (split, index)
        self.runtime: RuntimeInfo | None = None  # set when the TensorFlow probe has answered
        self.problem: str | None = None  # set when the data could not be shown
        self._cancel_download: threading.Event | None = None
        self._similar: list[int] = []  # the indexes shown in the look-alikes view
        self.pending: list[Callable[[], None]] = []  # keys pressed before the data arrived
        self._redraw_pending = False
        self._last_index: dict[str, int] = {}  # where `t` left each split
        self.profile = profile or TerminalProfile("truecolor", TRUECOLOR, True, "assumed")
        self.set_reactive(MainScreen.ascii_mode, ascii_mode or self.profile.render_mode == ASCII)
        if self.profile.render_mode != ASCII:
            self.set_reactive(MainScreen.render_mode, self.profile.render_mode)

    def compose(self) -> ComposeResult:
        yield Static(id="too-small")
        yield Header(icon="▞")
        with Container(id="body"):
            with Vertical(id="notice-box"):
                yield Static(id="notice")
                yield ProgressBar(id="download-progress", show_eta=False)
            with Container(id="browse", classes="view"):
                yield GarmentView("Starting…", id="garment", classes="pane")
                yield Static(id="pane-tabs")
                yield PixelTable(id="table")
                yield StatsPane("Loading…", id="stats")
                yield ActivityLog(id="log")
            yield GalleryView(id="gallery", classes="view pane")
            with VerticalScroll(id="classes-view", classes="view pane"):
                yield ClassBoard(id="classes")
            with VerticalScroll(id="lab-view", classes="view pane"):
                yield LabView(id="lab")
            with VerticalScroll(id="lesson-view", classes="view pane"):
                yield LessonView(id="lesson")
            yield SimilarView(id="similar", classes="view pane")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for pane_id, title in (("table", "Raw uint8 │ / 255.0 float64"), ("stats", "Stats"),
                               ("log", "Log")):
            widget = self.query_one(f"#{pane_id}")
            widget.border_title = title
            widget.add_class("pane", "side")
        self.query_one(GarmentView).border_title = "Garment"
        for view_id, title in (("gallery", "Gallery"), ("classes-view", "Classes"),
                               ("lab-view", "Normalisation lab"), ("lesson-view", "Lesson"),
                               ("similar", "Look-alikes")):
            self.query_one(f"#{view_id}").border_title = title
        self._apply_pane()
        self.add_class("-view-browse")
        self.query_one(ActivityLog).add(describe(self.profile))
        self.call_after_refresh(self.load_data)

    def on_unmount(self) -> None:
        """Quitting ends a download at once (its reads wake every second to look)."""
        if self._cancel_download is not None:
            self._cancel_download.set()

    def on_resize(self) -> None:
        compact = self.size.width < WIDE_MIN_WIDTH or self.size.height < WIDE_MIN_HEIGHT
        self.set_class(compact, "-compact")
        tiny = self.size.width < TINY_WIDTH or self.size.height < TINY_HEIGHT
        self.set_class(tiny, "-tiny")
        if tiny:  # the state is untouched; everything comes back when the window grows
            self.query_one("#too-small", Static).update(
                f"Too small ({self.size.width}x{self.size.height}): "
                f"make the window at least {TINY_WIDTH}x{TINY_HEIGHT}."
            )
        if self.zoom > 1 or self.presenter or self.view != "browse":
            self.call_after_refresh(self._refresh)  # the zoom that fits may have changed

    # ----- workers -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="data")
    def load_data(self, after_download: bool = False) -> None:
        """Find and read the data, or start a download; every outcome becomes visible words.

        After a download, finding nothing is reported rather than downloading again.
        """
        source, searched = self.service.locate()
        if source is None and after_download:
            self.app.call_from_thread(
                self._show_problem, "No data",
                missing_data_message(searched) + "\n\nThe download finished, yet the files "
                "are not where they should be.",
            )
            return
        if source is None and self.service.explicit_folder is not None:
            # A folder the user named (maybe mistyped): say what is wrong, never fill it
            # uninvited.
            hint = "\n\nPress d to download the files into it, or q to quit."
            if not self.service.explicit_folder.is_dir():
                hint = "\n\nCheck the path, or q to quit."
            self.app.call_from_thread(
                self._show_problem, "No data", missing_data_message(searched) + hint
            )
            return
        if source is None:
            self.app.call_from_thread(self._start_download, False, searched)
            return
        self._log_from_thread(f"Reading {source.describe()}")
        preview = self.service.preview(source, *self._start)
        if preview is not None:
            self.app.call_from_thread(self._show_preview, preview)
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
        from tui.downloader import DownloadCancelled, DownloadError

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
            if self.service.is_loaded:  # the data on screen stays; only the download failed
                self.app.call_from_thread(self._download_failed_quietly, str(error))
                return
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
        self.app.call_from_thread(self.load_data, True)

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
        reason = ("Checking the files and fetching any that are missing or damaged" if force
                  else "Fashion-MNIST was not found here")
        self.query_one(ActivityLog).add(f"{reason}; downloading into {target}…", "warn")
        self._show_notice(
            "Downloading…",
            f"{reason}. Downloading what is needed (30.9 MB for all four files) into\n"
            f"{target}\n\n"
            "Escape cancels; q quits.",
        )
        self.query_one("#download-progress", ProgressBar).update(total=None, progress=0)
        self.add_class("-downloading")
        self.download_data(force, searched)

    def _download_failed_quietly(self, error: str) -> None:
        self.remove_class("-notice", "-downloading")
        self.notify(f"The download failed: {error}", severity="error", timeout=10)

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

    def _show_preview(self, sample: Sample) -> None:
        """The first garment, read ahead of the full load: the garment and its values only."""
        if self.service.is_loaded or self.view != "browse":
            return
        self.sub_title = VIEW_TITLES["browse"]
        self._draw_garment(sample, "loading the rest…", sample.image / NORMALIZER, "x / 255.0")

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
        self._refresh()
        pending, self.pending = self.pending, []
        for replay in pending:
            replay()
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

    def _label_filter(self) -> int | None:
        return None if self.class_filter == NO_FILTER else self.class_filter

    def _members(self) -> np.ndarray:
        """The indexes browsing moves through: the whole split, or one class of it."""
        return self.service.members(self.split, self._label_filter())

    def _position(self) -> int:
        """Where the current garment is among the members (or the next member after it)."""
        members = self._members()
        found = int(np.searchsorted(members, self.index))
        return min(found, len(members) - 1)

    def _refresh(self) -> None:
        """Ask for a redraw of the view showing. Keys that arrive faster than frames (a held
        `j` over a slow link) coalesce into one redraw of the final state: no backlog."""
        if not self._redraw_pending:
            self._redraw_pending = True
            self.call_later(self._redraw)

    def _redraw(self) -> None:
        """Redraw the header and whichever view is showing."""
        self._redraw_pending = False
        if not self.service.is_loaded:
            return
        only = self._label_filter()
        # The header changes only with the view or the filter: a new header title means a new
        # layout and a repaint of the whole screen, too costly for every step.
        heading = VIEW_TITLES[self.view]
        heading += f" · only {CLASS_NAMES[only]}" if only is not None else ""
        if self.sub_title != heading:
            self.sub_title = heading
        draw = {
            "browse": self._show_selection, "gallery": self._show_gallery,
            "classes": self._show_classes, "lab": self._show_lab,
            "lesson": self._show_lesson, "similar": self._show_similar,
        }
        draw[self.view]()

    def _show_selection(self) -> None:
        sample = self.service.sample(self.split, self.index)
        mode = self.service.norm_modes()[self.mode]
        values = self.service.normalize(mode.key, self.split, self.index)
        only = self._label_filter()
        where = f"{self._position() + 1:,}/{len(self._members()):,}"
        if only is not None:
            where += f" {CLASS_NAMES[only]}"
        self._draw_garment(sample, where, values, mode.formula)

    def _draw_garment(self, sample: Sample, where: str, values: np.ndarray, formula: str) -> None:
        """The garment pane and the before/after table for `sample` (the full view and the
        start-up preview share this)."""
        cursor = (self.cursor_row, self.cursor_col)
        frame = GarmentFrame(
            image=sample.image, title=f"{sample.split}[{sample.index}] {sample.label_name}",
            subtitle=f"label {sample.label} · {where}", zoom=self._effective_zoom(),
            cursor=cursor, mode=self.drawing,
        )
        accent = Color.parse(self.app.current_theme.accent or "magenta").rgb
        self.query_one(GarmentView).show(frame, accent)
        table = self.query_one(PixelTable)
        table.decimals = 2 if self.presenter else 4
        table.border_title = f"Raw uint8 │ {formula} float64"
        table.show(sample.image, values, cursor)

    def _show_stats(self) -> None:
        only = self._label_filter()
        pane = self.query_one(StatsPane)
        if only is None:
            stats = [self.service.split_stats(split) for split in self.service.splits]
            pane.border_title = "Stats"
        else:
            stats = [self.service.class_stats(split, only) for split in self.service.splits]
            pane.border_title = f"Stats · only {CLASS_NAMES[only]}"
        pane.show(stats, self.split)

    def _show_gallery(self) -> None:
        from tui import view_models

        gallery = self.query_one(GalleryView)
        columns, rows = gallery.capacity()
        thumbs, selected = view_models.gallery_page(
            self.service, self.split, self._members(), self._position(), columns * rows
        )
        only = self._label_filter()
        gallery.border_subtitle = (
            f"{self.split}{' · only ' + CLASS_NAMES[only] if only is not None else ''} · "
            f"{self._position() + 1:,}/{len(self._members()):,} · Enter opens"
        )
        gallery.show(thumbs, selected, self.drawing)

    def _show_classes(self) -> None:
        means, stds = self.service.class_images(self.split)
        stats = self.service.split_stats(self.split)
        board = self.query_one(ClassBoard)
        board.show(list(CLASS_NAMES), means, stds, list(stats.class_counts.values()),
                   self.class_cursor, self._label_filter(), self.drawing)
        self.query_one("#classes-view").border_subtitle = (
            f"{self.split} · Enter or a digit filters by class · f picks"
        )

    def _show_lab(self) -> None:
        from tui import view_models

        modes = view_models.lab_modes(self.service, self.split, self.index)
        charts = view_models.lab_charts(
            self.service, self.split, self.index, self.service.norm_modes()[self.mode].key, 6
        )
        heading = (f"{self.split} split · garment {self.split}[{self.index}] · "
                   "↑/↓ or o choose the mode (the before/after table uses it too)")
        self.query_one(LabView).update(lab_renderable(
            heading, modes, self.mode, charts,
            2 if self.presenter or self.size.width < WIDE_MIN_WIDTH else 4,
            memory_figures(self.service.images(self.split)),
        ))

    def _show_lesson(self) -> None:
        from tui import view_models

        version = self.runtime.tensorflow if self.runtime else None
        steps = view_models.lesson_steps(self.service, self.split, self.index, version)
        theme = "ansi_light" if not self.app.current_theme.dark else "ansi_dark"
        self.query_one(LessonView).update(lesson_renderable(steps, self.lesson_line, theme))
        self.query_one("#lesson-view").border_subtitle = (
            f"{self.split}[{self.index}] · ↑/↓ move · fashion-tui lesson --export FILE.py"
        )

    def _show_similar(self) -> None:
        view = self.query_one(SimilarView)
        view.show(Text(f"Finding the look-alikes of {self.split}[{self.index}]…", style="dim"),
                  [], 0, self.drawing)
        self.find_look_alikes(self.split, self.index)

    @work(thread=True, exclusive=True, group="look-alikes")
    def find_look_alikes(self, split: str, index: int) -> None:
        """Search all 60,000 training garments off the UI thread (the first search builds
        the index)."""
        from tui import view_models

        heading, thumbs = view_models.look_alike_page(self.service, split, index, LOOK_ALIKES)
        self.app.call_from_thread(self._look_alikes_ready, split, index, heading, thumbs)

    def _look_alikes_ready(
        self, split: str, index: int, heading: Text, thumbs: list[Thumb]
    ) -> None:
        if (split, index) != (self.split, self.index) or self.view != "similar":
            return  # the selection moved on while we searched
        self._similar = [thumb.index for thumb in thumbs[1:]]
        self.similar_cursor = min(self.similar_cursor, len(self._similar))
        self.query_one(SimilarView).show(heading, thumbs, self.similar_cursor, self.drawing)

    def _apply_pane(self) -> None:
        for pane_id in SIDE_PANES:
            self.query_one(f"#{pane_id}").set_class(pane_id == self.pane, "-current")
        tabs = "  ".join(
            f"[reverse] {PANE_TITLES[p]} [/]" if p == self.pane else f" {PANE_TITLES[p]} "
            for p in SIDE_PANES
        )
        self.query_one("#pane-tabs", Static).update(f"{tabs}  [dim]p: next pane[/]")

    @on(GalleryView.Resized)
    def _gallery_resized(self) -> None:
        if self.view == "gallery":
            self._refresh()

    def watch_split(self) -> None:
        self._refresh()
        if self.service.stats_ready:
            self._show_stats()

    def watch_index(self) -> None:
        self.similar_cursor = 0
        self._refresh()

    def watch_cursor_row(self) -> None:
        self._refresh()

    def watch_cursor_col(self) -> None:
        self._refresh()

    def watch_zoom(self) -> None:
        self._refresh()

    def watch_ascii_mode(self) -> None:
        self._refresh()

    def watch_render_mode(self) -> None:
        self._refresh()

    @property
    def drawing(self) -> str:
        """How garments are drawn now: the ASCII ramp when `a` is on, else the colour mode."""
        return ASCII if self.ascii_mode else self.render_mode

    def watch_mode(self) -> None:
        self._refresh()

    def watch_lesson_line(self) -> None:
        self._refresh()

    def watch_class_cursor(self) -> None:
        self._refresh()

    def watch_similar_cursor(self) -> None:
        if self.view == "similar" and self._similar:
            self.query_one(SimilarView).select(self.similar_cursor)

    def watch_class_filter(self) -> None:
        self._refresh()
        if self.service.stats_ready:
            self._show_stats()

    def watch_view(self, old: str, new: str) -> None:
        self.remove_class(f"-view-{old}")
        self.add_class(f"-view-{new}")
        self.call_after_refresh(self._refresh)

    def watch_presenter(self, presenter: bool) -> None:
        self.set_class(presenter, "-presenter")
        self.call_after_refresh(self._refresh)

    def watch_pane(self) -> None:
        self._apply_pane()

    # ----- actions -------------------------------------------------------------------------

    @needs_data
    def action_step(self, delta: int) -> None:
        """Move through the split, or through one class of it when a filter is in force."""
        members = self._members()
        position = self._position()
        if members[position] != self.index:  # not a member yet: the first step lands on one
            delta -= 1 if delta > 0 else 0
        self.index = int(members[(position + delta) % len(members)])

    @needs_data
    def action_toggle_split(self) -> None:
        other = SPLITS[(SPLITS.index(self.split) + 1) % len(SPLITS)]
        problem = self.service.problem(other)
        if problem is not None:
            self.notify(f"The {other} split cannot be used: {problem}", severity="error",
                        timeout=8)
            return
        only = self._label_filter()
        if only is not None and not len(self.service.members(other, only)):
            self.notify(f"The {other} split has no {CLASS_NAMES[only]}: the filter is cleared.",
                        timeout=4)
            self.set_reactive(MainScreen.class_filter, NO_FILTER)
        self._last_index[self.split] = self.index
        wanted = self._last_index.get(other, self.index)
        self.set_reactive(MainScreen.index, min(wanted, self.service.count(other) - 1))
        self.split = other
        self._snap_to_filter()

    @needs_data
    def action_random(self) -> None:
        self.index = int(random.choice(self._members()))

    @needs_data
    def action_same_class(self, direction: int) -> None:
        """Jump to the next (or previous) garment with the same label, wrapping around."""
        label = int(self.service.labels(self.split)[self.index])
        same = self.service.members(self.split, label)
        position = int(np.searchsorted(same, self.index))  # self.index is a member
        self.index = int(same[(position + direction) % len(same)])

    @needs_data
    def action_goto(self) -> None:
        def chosen(index: int | None) -> None:
            if index is None:
                return
            only = self._label_filter()
            if only is not None and self.service.labels(self.split)[index] != only:
                self.notify(f"{self.split}[{index}] is not a {CLASS_NAMES[only]}: "
                            "the class filter is cleared.", timeout=4)
                self.class_filter = NO_FILTER
            self.index = index

        dialog = GotoDialog(self.split, self.service.count(self.split), self.index)
        self.app.push_screen(dialog, chosen)

    def action_download(self) -> None:
        """Fetch missing or damaged files (checked before they are kept), then load them."""
        if self.service.is_loaded:
            self._start = (self.split, self.index)  # come back to the same garment
        if self._cancel_download is not None:
            self.notify("A download is already running.", timeout=2)
            return
        folder = self.service.explicit_folder
        if folder is not None and not folder.is_dir():
            self.notify(f"{folder} does not exist; check the path you gave.", severity="error")
            return
        _source, searched = self.service.locate()
        self._start_download(True, searched)

    def action_back(self) -> None:
        """Escape: cancel a running download, else go back to the browse view."""
        if self._cancel_download is not None:
            self._cancel_download.set()
        elif self.view != "browse":
            self.view = "browse"

    @needs_data
    def action_view(self, view: str) -> None:
        self.view = view

    @needs_data
    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]

    def action_open(self) -> None:
        """Enter: open what is selected in the gallery, the classes or the look-alikes."""
        if not self.service.is_loaded:
            return
        if self.view == "gallery":
            self.view = "browse"
        elif self.view == "classes":
            self.action_filter_class(self.class_cursor, toggle=False)
            self.view = "gallery"
        elif self.view == "similar" and 0 < self.similar_cursor <= len(self._similar):
            target = self._similar[self.similar_cursor - 1]
            self.class_filter = NO_FILTER
            self.split = "train"
            self.index = target
            self.view = "browse"

    def _snap_to_filter(self) -> None:
        """Keep the selection inside the class filter: the first member at or after it."""
        members = self._members()
        if len(members) and self.index not in members:
            self.index = int(members[self._position()])

    @needs_data
    def action_filter_class(self, label: int, toggle: bool = True) -> None:
        """Show only `label` everywhere; the same digit again clears the filter."""
        if toggle and self.class_filter == label:
            self.class_filter = NO_FILTER
            self.notify("Class filter cleared: all classes.", timeout=2)
            return
        if not len(self.service.members(self.split, label)):
            self.notify(f"The {self.split} split has no {CLASS_NAMES[label]}.",
                        severity="warning", timeout=4)
            return
        self.class_filter = label
        self.class_cursor = label
        self._snap_to_filter()
        self.notify(f"Only {CLASS_NAMES[label]} (press {label} again or f to clear).", timeout=3)

    @needs_data
    def action_pick_class(self) -> None:
        counts = list(self.service.split_stats(self.split).class_counts.values())

        def picked(label: int | None) -> None:
            if label is None:
                return
            if label < 0:
                self.class_filter = NO_FILTER
            else:
                self.action_filter_class(label, toggle=False)

        self.app.push_screen(
            ClassPicker(list(CLASS_NAMES), counts, self.class_filter), picked
        )

    @needs_data
    def action_next_mode(self) -> None:
        self.mode = (self.mode + 1) % len(self.service.norm_modes())

    def action_toggle_presenter(self) -> None:
        self.presenter = not self.presenter
        self.notify("Presenter mode " + ("on: big pixels, 2 decimals" if self.presenter
                                         else "off"), timeout=2)

    def action_toggle_theme(self) -> None:
        self.app.theme = "textual-light" if self.app.current_theme.dark else "textual-dark"
        self.call_after_refresh(self._refresh)

    @needs_data
    def action_export_garment(self) -> None:
        """Write the garment as a PNG (pixels kept square) and its values as CSV, here."""
        from tui.exporting import write_csv, write_png

        sample = self.service.sample(self.split, self.index)
        stem = Path.cwd() / f"fashion-{self.split}-{self.index}"
        try:
            write_png(sample.image, stem.with_suffix(".png"))
            write_csv(sample.image, self.service.normalized(self.split, self.index),
                      stem.with_suffix(".csv"))
        except OSError as error:
            self.notify(f"Export failed: {error}", severity="error", timeout=8)
            return
        self.notify(f"Wrote {stem.name}.png and {stem.name}.csv in {stem.parent}", timeout=6)
        self.query_one(ActivityLog).add(f"Exported {stem}.png and {stem}.csv", "ok")

    def action_export_screen(self) -> None:
        name = f"fashion-screen-{self.split}-{self.index}-{self.view}.svg"
        try:
            path = self.app.save_screenshot(filename=name, path=str(Path.cwd()))
        except OSError as error:
            self.notify(f"Screenshot failed: {error}", severity="error", timeout=8)
            return
        self.notify(f"Saved the screen as {path}", timeout=6)

    def action_toggle_ascii(self) -> None:
        if self.ascii_mode and not self.profile.unicode:
            self.notify("This terminal's locale is not UTF-8: only ASCII can be shown.",
                        severity="warning", timeout=4)
            return
        self.ascii_mode = not self.ascii_mode

    def action_cycle_drawing(self) -> None:
        """w: true colour, 256-colour greys, shaded blocks, ASCII, and round again."""
        modes = [m for m in RENDER_MODES if self.profile.unicode or m == ASCII]
        current = modes.index(self.drawing) if self.drawing in modes else -1
        following = modes[(current + 1) % len(modes)]
        if following == ASCII:
            self.ascii_mode = True
        else:
            self.ascii_mode = False
            self.render_mode = following
        self.notify(f"Garments drawn with {RENDER_TITLES[following]}", timeout=2)
        self.query_one(ActivityLog).add(f"Drawing mode: {RENDER_TITLES[following]} (by hand)")

    def max_zoom(self) -> int:
        """The largest zoom whose garment still fits the screen beside a side pane."""
        body = self.query_one("#body").size
        side = 40 if self.presenter else 30  # room left for the table
        fits = min((body.height - 2) // 14, (body.width - side) // 28)
        return max(1, min(MAX_ZOOM if not self.presenter else 6, fits))

    def _effective_zoom(self) -> int:
        """Presenter mode fills the screen; otherwise the chosen zoom, as far as it fits."""
        return self.max_zoom() if self.presenter else min(self.zoom, self.max_zoom())

    def action_zoom(self) -> None:
        limit = self.max_zoom()
        if limit == 1:
            self.notify("Zoom needs a bigger terminal (about 90x34 for 2x).", timeout=3)
            return
        self.zoom = min(self.zoom, limit) % limit + 1

    def action_next_pane(self) -> None:
        if not self.has_class("-compact"):
            self.notify("All panes are already showing; p switches panes in small terminals.",
                        timeout=3)
            return
        self.pane = SIDE_PANES[(SIDE_PANES.index(self.pane) + 1) % len(SIDE_PANES)]

    def action_move_cursor(self, rows: int, cols: int) -> None:
        """Arrows move whatever the view selects: a pixel, a thumbnail, a class, a line."""
        if self.view == "browse":
            self.cursor_row = min(max(self.cursor_row + rows, 0), 27)
            self.cursor_col = min(max(self.cursor_col + cols, 0), 27)
        elif not self.service.is_loaded:
            return
        elif self.view == "gallery":
            self.action_step(rows * self.query_one(GalleryView).capacity()[0] + cols)
        elif self.view == "classes":
            step = rows * self.query_one(ClassBoard).columns() + cols
            self.class_cursor = min(max(self.class_cursor + step, 0), len(CLASS_NAMES) - 1)
        elif self.view == "lab":
            self.mode = (self.mode + rows + cols) % len(self.service.norm_modes())
        elif self.view == "lesson":
            self.lesson_line = min(max(self.lesson_line + rows + cols, 0), self._lesson_lines() - 1)
        elif self.view == "similar" and self._similar:
            step = rows * self.query_one(SimilarView).columns() + cols
            self.similar_cursor = min(max(self.similar_cursor + step, 0), len(self._similar))

    def _lesson_lines(self) -> int:
        from tui.lesson import LESSON

        return len(LESSON)

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
