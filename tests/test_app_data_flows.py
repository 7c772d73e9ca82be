"""The app when the data is missing, damaged, downloaded or not the original (Pilot).

Every downloader here is injected (helpers.RecordingDownloader): no network. "Automatic" apps
search the Keras cache in a temporary KERAS_HOME; Debian's folder is pointed elsewhere so a
system-wide copy on this machine cannot answer instead.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import (
    AppFactory,
    DownloadCall,
    RecordingDownloader,
    log_text,
    screen_text,
    settle,
    squeeze,
    write_tiny_dataset,
)
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import ProgressBar, Static

from tui import data_sources
from tui.data_service import CLASS_NAMES
from tui.data_sources import holds_dataset, keras_cache_dir
from tui.downloader import DownloadCancelled, DownloadError, Progress
from tui.main_screen import MainScreen
from widgets.confirm_dialog import ConfirmDialog
from widgets.garment_view import GarmentView
from widgets.stats_pane import StatsPane

SIZE = (120, 40)
TMP_FALLBACK = Path("/tmp/.keras/datasets/fashion-mnist")
NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def main_screen(app: App[object]) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def title(app: App[object]) -> str:
    return str(main_screen(app).query_one(GarmentView).border_title)


def notice(app: App[object]) -> tuple[str, str]:
    """The notice's title and text."""
    screen = main_screen(app)
    box = screen.query_one("#notice-box")
    text = screen.query_one("#notice", Static).render()
    return str(box.border_title), str(text)


def notifications(app: App[object]) -> str:
    return " ".join(n.message for n in app._notifications)


async def wait_for(
    pilot: Pilot[object], condition: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Wait until `condition()` holds, with workers possibly still running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause()
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the app did not reach the expected state in time")


async def press(pilot: Pilot[object], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


@pytest.fixture
def automatic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment where only the (empty) Keras cache in tmp_path is searched and no folder
    is named: the app may download on its own there."""
    if holds_dataset(TMP_FALLBACK):
        pytest.skip(f"{TMP_FALLBACK} holds a copy of the data on this machine")
    monkeypatch.setattr(data_sources, "DEBIAN_DIR", tmp_path / "no-debian")
    return {"KERAS_HOME": str(tmp_path / "keras-home"), "HOME": str(tmp_path / "home")}


def cache_of(environ: dict[str, str]) -> Path:
    return keras_cache_dir(environ)


def write_files(call: DownloadCall, _progress: object) -> list[str]:
    write_tiny_dataset(call.target)
    return list(NAMES)


def break_both_splits(folder: Path) -> None:
    (folder / NAMES[0]).write_bytes(b"<html><body>proxy login</body></html>")
    (folder / NAMES[3]).write_bytes(b"")


# ----- no copy found: the app downloads on its own -------------------------------------------


async def test_download_with_progress_then_the_garment_appears(
    make_app: AppFactory, automatic: dict[str, str]
) -> None:
    proceed = threading.Event()

    def fetch(call: DownloadCall, progress: Callable[[Progress], None] | None) -> list[str]:
        assert progress is not None
        progress(Progress(name=NAMES[0], done=1_000_000, total=4_000_000, rate=2_000_000.0))
        progress(Progress(name=NAMES[1], done=3_000_000, total=4_000_000, rate=2_000_000.0))
        proceed.wait(timeout=10)
        return write_files(call, progress)

    downloader = RecordingDownloader(fetch)
    app = make_app(None, downloader=downloader, environ=automatic)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = main_screen(app)
            bar = screen.query_one("#download-progress", ProgressBar)
            await wait_for(pilot, lambda: bar.progress == 3_000_000)
            assert bar.total == 4_000_000
            assert NAMES[1] in str(bar.border_subtitle)
            assert "3.0 of 4.0 MB" in str(bar.border_subtitle)
            assert screen.has_class("-notice") and screen.has_class("-downloading")
            assert bar.region.area > 0  # the bar is on screen, inside the notice
            heading, text = notice(app)
            assert heading == "Downloading…"
            assert squeeze(str(cache_of(automatic))) in squeeze(text)
            assert "Escape cancels" in text
            proceed.set()
            await settle(pilot)
            assert [(c.target, c.force) for c in downloader.calls] == [
                (cache_of(automatic), False)
            ]
            assert downloader.calls[0].environ == automatic
            assert title(app) == f"train[0] {CLASS_NAMES[9]}"
            assert not screen.has_class("-notice") and not screen.has_class("-downloading")
            assert "Downloaded" in log_text(app)
    finally:
        proceed.set()


@pytest.mark.parametrize("key", ["escape", "x"])
async def test_cancel_a_running_download(
    make_app: AppFactory, automatic: dict[str, str], key: str
) -> None:
    started = threading.Event()

    def wait_for_cancel(call: DownloadCall, _progress: object) -> list[str]:
        assert call.cancel is not None
        started.set()
        if call.cancel.wait(timeout=10):
            raise DownloadCancelled(NAMES[0])
        raise DownloadError("the test was not cancelled in time")

    downloader = RecordingDownloader(wait_for_cancel)
    app = make_app(None, downloader=downloader, environ=automatic)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, started.is_set)
        screen = main_screen(app)
        assert screen.has_class("-downloading")
        await press(pilot, key)
        await wait_for(pilot, lambda: notice(app)[0] == "Download cancelled")
        assert downloader.calls[0].cancel is not None and downloader.calls[0].cancel.is_set()
        assert "cancelled" in notice(app)[1] and "no partial file" in notice(app)[1]
        assert not screen.has_class("-downloading")
        await wait_for(pilot, lambda: "Download cancelled" in log_text(app))
        assert not app.service.is_loaded
        assert app.is_running
        assert not cache_of(automatic).exists() or not any(cache_of(automatic).iterdir())


async def test_a_failed_download_names_the_places_and_the_reason(
    make_app: AppFactory, automatic: dict[str, str]
) -> None:
    def fail(_call: DownloadCall, _progress: object) -> list[str]:
        raise DownloadError("http://127.0.0.1:9/x.gz: cannot connect (test)")

    downloader = RecordingDownloader(fail)
    app = make_app(None, downloader=downloader, environ=automatic)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: notice(app)[0] == "No data")
        _, text = notice(app)
        assert squeeze(str(cache_of(automatic))) in squeeze(text)
        assert "cannot connect (test)" in text
        assert "fashion-tui download" in text
        assert len(downloader.calls) == 1
        await press(pilot, "j", "g")  # browsing keys must not crash without data
        assert isinstance(app.screen, MainScreen)
        assert "No data to show" in notifications(app)


async def test_a_download_that_brings_nothing_is_not_repeated(
    make_app: AppFactory, automatic: dict[str, str]
) -> None:
    def nothing(_call: DownloadCall, _progress: object) -> list[str]:
        if len(downloader.calls) > 3:  # bound the loop should it happen
            raise DownloadError("stopped by the test")
        return []

    downloader = RecordingDownloader(nothing)
    app = make_app(None, downloader=downloader, environ=automatic)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: main_screen(app).problem is not None)
        await settle(pilot, until=lambda _app: True)
        assert len(downloader.calls) == 1
        assert "not found" in notice(app)[1]


# ----- a folder the user named ----------------------------------------------------------------


async def test_an_empty_named_folder_is_not_filled_uninvited_d_downloads(
    make_app: AppFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    downloader = RecordingDownloader(write_files)
    app = make_app(folder, downloader=downloader)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: notice(app)[0] == "No data")
        _, text = notice(app)
        assert squeeze(str(folder)) in squeeze(text)
        assert "--data-dir" in text and "Press d" in text
        await settle(pilot, until=lambda _app: True)
        assert downloader.calls == []
        await press(pilot, "d")
        await settle(pilot)
        assert [(c.target, c.force) for c in downloader.calls] == [(folder, True)]
        assert title(app) == f"train[0] {CLASS_NAMES[9]}"


async def test_a_named_folder_that_does_not_exist(make_app: AppFactory, tmp_path: Path) -> None:
    folder = tmp_path / "typo"
    downloader = RecordingDownloader(write_files)
    app = make_app(folder, downloader=downloader)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: notice(app)[0] == "No data")
        assert "Check the path" in notice(app)[1]
        assert "no such folder" in notice(app)[1]
        await press(pilot, "d")
        assert "does not exist" in notifications(app)
        await settle(pilot, until=lambda _app: True)
        assert downloader.calls == []
        assert not folder.exists()


# ----- damaged files: the replace prompt ------------------------------------------------------


@pytest.fixture
def damaged_cache(automatic: dict[str, str]) -> Path:
    """The Keras cache (the download target) holding the tiny set with both splits broken."""
    cache = write_tiny_dataset(cache_of(automatic))
    break_both_splits(cache)
    return cache


async def open_prompt(pilot: Pilot[object]) -> ConfirmDialog:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
    dialog = app.screen
    assert isinstance(dialog, ConfirmDialog)
    return dialog


async def test_damaged_cache_prompt_yes_downloads_with_force(
    make_app: AppFactory, automatic: dict[str, str], damaged_cache: Path
) -> None:
    downloader = RecordingDownloader(write_files)
    app = make_app(None, downloader=downloader, environ=automatic)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_prompt(pilot)
        assert squeeze(str(damaged_cache)) in squeeze(dialog.question)
        assert "Replace" in dialog.question
        heading, text = notice(app)
        assert heading == "Bad data file"
        assert squeeze(str(damaged_cache / NAMES[0])) in squeeze(text)
        assert "HTML page" in text
        assert downloader.calls == []  # nothing before the answer
        await press(pilot, "y")
        await settle(pilot)
        assert [(c.target, c.force) for c in downloader.calls] == [(damaged_cache, True)]
        assert title(app) == f"train[0] {CLASS_NAMES[9]}"
        assert not main_screen(app).has_class("-notice")


@pytest.mark.parametrize("key", ["n", "escape"])
async def test_damaged_cache_prompt_no_keeps_the_message(
    make_app: AppFactory, automatic: dict[str, str], damaged_cache: Path, key: str
) -> None:
    downloader = RecordingDownloader(write_files)
    app = make_app(None, downloader=downloader, environ=automatic)
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot)
        await press(pilot, key)
        assert isinstance(app.screen, MainScreen)
        await settle(pilot, until=lambda _app: True)
        assert downloader.calls == []
        assert notice(app)[0] == "Bad data file"
        assert squeeze(str(damaged_cache / NAMES[0])) in squeeze(notice(app)[1])
        assert main_screen(app).query_one("#notice-box").region.area > 0
        assert "Bad data file" in screen_text(app)
        assert not app.service.is_loaded
        assert app.is_running


async def test_damaged_copy_elsewhere_is_named_but_not_offered_for_replacement(
    make_app: AppFactory, automatic: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = write_tiny_dataset(tmp_path / "system-copy")
    break_both_splits(elsewhere)
    monkeypatch.setattr(data_sources, "DEBIAN_DIR", elsewhere)
    downloader = RecordingDownloader(write_files)
    app = make_app(None, downloader=downloader, environ=automatic)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: notice(app)[0] == "Bad data file")
        await settle(pilot, until=lambda _app: True)
        assert isinstance(app.screen, MainScreen)  # no prompt: not ours to overwrite
        assert squeeze(str(elsewhere / NAMES[0])) in squeeze(notice(app)[1])
        assert "download --force" in notice(app)[1]
        assert downloader.calls == []


# ----- one bad split ---------------------------------------------------------------------------


async def test_one_bad_split_the_other_is_browsable(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    bad = tiny_dataset / NAMES[3]
    bad.write_bytes(bad.read_bytes()[:12])
    downloader = RecordingDownloader(write_files)
    app = make_app(tiny_dataset, split="test", index=2, downloader=downloader)
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot)  # the named folder is the download target: offered
        await press(pilot, "n")
        await settle(pilot)
        screen = main_screen(app)
        assert app.service.splits == ("train",)
        assert (screen.split, screen.index) == ("train", 2)  # test was asked for, train shown
        assert title(app) == f"train[2] {CLASS_NAMES[0]}"
        log = log_text(app)
        assert "The test split cannot be used" in log and "truncated" in log
        assert squeeze(str(bad)) in squeeze(log)
        assert "The test split cannot be used" in notifications(app)
        assert not screen.has_class("-notice")
        await press(pilot, "j")
        assert screen.index == 3
        before = len(app._notifications)
        await press(pilot, "t")
        assert (screen.split, screen.index) == ("train", 3)  # t does not switch
        assert title(app) == f"train[3] {CLASS_NAMES[3]}"
        assert len(app._notifications) > before
        assert downloader.calls == []


async def test_one_bad_split_prompt_yes_replaces(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    bad = tiny_dataset / NAMES[2]
    bad.write_bytes(b"")
    downloader = RecordingDownloader(write_files)
    app = make_app(tiny_dataset, downloader=downloader)
    async with app.run_test(size=SIZE) as pilot:
        await open_prompt(pilot)
        await press(pilot, "y")
        await settle(pilot, until=lambda a: a.service.splits == ("train", "test"))
        assert [(c.target, c.force) for c in downloader.calls] == [(tiny_dataset, True)]
        await press(pilot, "t")
        assert main_screen(app).split == "test"


# ----- data that is not the original ------------------------------------------------------------


async def test_stats_pane_says_not_the_original(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        subtitle = str(main_screen(app).query_one(StatsPane).border_subtitle)
        assert "NOT the original" in subtitle
        assert "--data-dir" in subtitle
        assert "not the original Fashion-MNIST" in log_text(app)
        assert "not the original" in notifications(app)
        assert isinstance(app.screen, MainScreen)  # valid data: no replace prompt
