"""Plain helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import io
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tui.data_service import FashionMnistService
from tui.data_sources import FILE_STEMS
from tui.downloader import DownloadError, Progress
from tui.idx import write_idx
from tui.runtime_info import RuntimeInfo

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot
    from textual.widget import Widget

    from tui.app import FashionApp

# Labels of the tiny set: several classes, some repeated so "next of the same class" has work.
TINY_TRAIN_LABELS = (9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 9, 1)
TINY_TEST_LABELS = (9, 2, 1, 1, 6)
# Every tiny image starts its first row with these values, so /255.0 can be checked exactly.
FIRST_ROW_PROBE = (0, 1, 128, 255)

Arrays = dict[str, tuple[np.ndarray, np.ndarray]]

FIXED_RUNTIME = RuntimeInfo(
    python="3.11.7", numpy="2.4.6", tensorflow="2.21.0", keras="3.15.1", devices=("CPU CPU:0",)
)


def tiny_image(seed: int) -> np.ndarray:
    """A deterministic 28x28 uint8 'garment': a shaded ellipse on black, different per seed."""
    rows, cols = np.mgrid[0:28, 0:28]
    radius_y = 6 + seed % 6
    radius_x = 4 + (seed * 3) % 8
    inside = ((rows - 14) / radius_y) ** 2 + ((cols - 14) / radius_x) ** 2 <= 1.0
    shade = (60 + 11 * seed + 5 * rows + 3 * cols) % 256
    image = np.where(inside, shade, 0).astype(np.uint8)
    image[0, : len(FIRST_ROW_PROBE)] = FIRST_ROW_PROBE
    return image


def tiny_arrays() -> Arrays:
    """The tiny set as {split: (images, labels)}."""
    train = np.stack([tiny_image(i) for i in range(len(TINY_TRAIN_LABELS))])
    test = np.stack([tiny_image(100 + i) for i in range(len(TINY_TEST_LABELS))])
    return {
        "train": (train, np.array(TINY_TRAIN_LABELS, dtype=np.uint8)),
        "test": (test, np.array(TINY_TEST_LABELS, dtype=np.uint8)),
    }


def write_tiny_dataset(directory: Path, *, compress: bool = True) -> Path:
    """Write the tiny set under the Keras file names (with .gz when compressed)."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays = tiny_arrays()
    names = {
        "train-images-idx3-ubyte": arrays["train"][0],
        "train-labels-idx1-ubyte": arrays["train"][1],
        "t10k-images-idx3-ubyte": arrays["test"][0],
        "t10k-labels-idx1-ubyte": arrays["test"][1],
    }
    assert set(names) == set(FILE_STEMS)
    for stem, array in names.items():
        write_idx(directory / (f"{stem}.gz" if compress else stem), array, compress=compress)
    return directory


def fake_clock(step: float = 0.25) -> Callable[[], float]:
    """A clock returning 0.0, 0.25, 0.5, ... so load timings are the same on every run."""
    ticks = itertools.count()
    return lambda: next(ticks) * step


# The signature of tui.downloader.download_dataset, as the service calls it.
Downloader = Callable[
    [Path, Mapping[str, str] | None, Callable[[Progress], None] | None,
     threading.Event | None, bool],
    list[str],
]


def refuse_download(
    target: Path,
    environ: Mapping[str, str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
) -> list[str]:
    """A downloader for tests: never touches the network."""
    raise DownloadError("offline (test downloader)")


@dataclass
class DownloadCall:
    """What the service passed to the downloader."""

    target: Path
    environ: Mapping[str, str] | None
    has_progress: bool
    cancel: threading.Event | None
    force: bool


@dataclass
class RecordingDownloader:
    """A downloader that records each call, then runs `effect(call, progress)`.

    `effect` may write files, report progress, wait on the cancel event or raise.
    """

    effect: Callable[[DownloadCall, Callable[[Progress], None] | None], list[str]] = (
        lambda _call, _progress: []
    )
    calls: list[DownloadCall] = field(default_factory=list)

    def __call__(
        self,
        target: Path,
        environ: Mapping[str, str] | None = None,
        progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
        force: bool = False,
    ) -> list[str]:
        call = DownloadCall(target, environ, progress is not None, cancel, force)
        self.calls.append(call)
        return self.effect(call, progress)


def make_service(
    data_dir: Path | None,
    runtime: RuntimeInfo = FIXED_RUNTIME,
    downloader: Downloader = refuse_download,
    clock: Callable[[], float] | None = None,
    environ: Mapping[str, str] | None = None,
) -> FashionMnistService:
    """A service that needs no TensorFlow, no network and no real time.

    With `data_dir` None the automatic places are searched (in `environ`, else os.environ).
    """
    return FashionMnistService(
        data_dir=data_dir,
        environ=environ,
        runtime_probe=lambda: runtime,
        downloader=downloader,
        clock=clock or fake_clock(),
    )


@dataclass
class AppFactory:
    """`make_app(data_dir, ...)`: a FashionApp over a fully injected service."""

    runtime: RuntimeInfo = FIXED_RUNTIME

    def __call__(
        self,
        data_dir: Path | None,
        *,
        split: str = "train",
        index: int = 0,
        ascii_mode: bool = False,
        downloader: Downloader = refuse_download,
        clock: Callable[[], float] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> FashionApp:
        from tui.app import FashionApp  # lazily: Textual stays out of the headless tests

        service = make_service(data_dir, self.runtime, downloader, clock, environ)
        return FashionApp(service, split=split, index=index, ascii_mode=ascii_mode)


def log_lines(app: App[object]) -> list[str]:
    """Every line the activity log was given (wrapped display lines joined back)."""
    from widgets.activity_log import ActivityLog

    log = app.screen_stack[0].query_one(ActivityLog)
    entries = getattr(log, "entries", None)
    if entries is not None:
        return list(entries)
    return [strip.text for strip in log.lines]


def log_text(app: App[object]) -> str:
    """The log as one string with all whitespace squeezed, so wrapping does not matter."""
    return " ".join(" ".join(log_lines(app)).split())


def screen_text(app: App[object]) -> str:
    """The plain text of what the terminal shows now (as `export_screenshot` renders it)."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True,
                      force_terminal=True, color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


def region_text(app: App[object], widget: Widget) -> str:
    """The part of the screen text that `widget` covers."""
    region = widget.region
    lines = screen_text(app).split("\n")[region.y:region.bottom]
    return "\n".join(line[region.x:region.right] for line in lines)


def squeeze(text: str) -> str:
    """Text without any whitespace: for paths that may be wrapped anywhere."""
    return "".join(text.split())


def runtime_reported(app: App[object]) -> bool:
    """True once the data is loaded and the (injected) TensorFlow line reached the log."""
    service = getattr(app, "service", None)
    return service is not None and service.is_loaded and "TensorFlow" in log_text(app)


async def settle(
    pilot: Pilot[object],
    until: Callable[[App[object]], bool] = runtime_reported,
    timeout: float = 10.0,
) -> None:
    """Wait until `until(app)` holds and no worker is left running."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if until(app) and all(worker.is_finished for worker in app.workers):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the app did not reach the expected state in time")
