"""The Textual app driven by keys through Pilot, over the tiny set and a fixed runtime."""

from __future__ import annotations

import inspect
import random
import threading
from pathlib import Path

import pytest
from helpers import (
    TINY_TEST_LABELS,
    TINY_TRAIN_LABELS,
    AppFactory,
    Arrays,
    fake_clock,
    log_text,
    region_text,
    screen_text,
    settle,
    squeeze,
)
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Label

from tui.data_service import CLASS_NAMES
from tui.main_screen import MainScreen
from widgets.garment_view import GarmentView
from widgets.goto_dialog import GotoDialog
from widgets.help_screen import HelpScreen
from widgets.pixel_table import PixelTable
from widgets.renderers import ASCII_RAMP

SIZE = (120, 40)
HALF_BLOCKS = set("▀▄")


def main_screen(app: App[object]) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def title(app: App[object]) -> str:
    return str(main_screen(app).query_one(GarmentView).border_title)


def expected_title(split: str, index: int) -> str:
    labels = TINY_TRAIN_LABELS if split == "train" else TINY_TEST_LABELS
    return f"{split}[{index}] {CLASS_NAMES[labels[index]]}"


def next_same_label(labels: tuple[int, ...], index: int, direction: int) -> int:
    """Reference: the next index (wrapping) whose label equals labels[index]."""
    for step in range(1, len(labels)):
        candidate = (index + direction * step) % len(labels)
        if labels[candidate] == labels[index]:
            return candidate
    return index


async def press(pilot: Pilot[object], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


# ----- what the screen shows ---------------------------------------------------------------


async def test_title_log_and_panes_after_loading(
    make_app: AppFactory, tiny_dataset: Path, tiny: Arrays
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        view = screen.query_one(GarmentView)
        assert view.border_title == "train[0] Ankle boot"
        assert "label 9" in str(view.border_subtitle)
        assert (screen.split, screen.index) == ("train", 0)
        log = log_text(app)
        assert "TensorFlow 2.21.0" in log
        assert "Keras 3.15.1" in log
        assert "CPU:0" in log
        assert "--data-dir" in log
        assert squeeze(str(tiny_dataset)) in squeeze(log)  # the data source line
        assert "0.25 s" in log  # the injected clock: 0.0 then 0.25
        shown = screen_text(app)
        assert HALF_BLOCKS & set(region_text(app, view))  # the garment as half-block pixels
        row, col = screen.cursor_row, screen.cursor_col
        table = screen.query_one(PixelTable)
        raw = int(tiny["train"][0][0][row, col])
        assert f"{raw} → {raw / 255.0:.4f}" in str(table.border_subtitle)
        assert "uint8" in shown and "float64" in shown


async def test_start_split_and_index(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset, split="test", index=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert title(app) == expected_title("test", 3)


async def test_start_index_beyond_split_shows_the_last(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset, split="test", index=500)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert main_screen(app).index == len(TINY_TEST_LABELS) - 1
        assert title(app) == expected_title("test", 4)
        assert any("500" in n.message for n in app._notifications)


# ----- browsing keys -----------------------------------------------------------------------


async def test_j_and_k_step_and_wrap(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "j")
        assert screen.index == 1
        assert title(app) == expected_title("train", 1)
        await press(pilot, "k", "k")
        assert screen.index == len(TINY_TRAIN_LABELS) - 1
        assert title(app) == expected_title("train", 11)
        await press(pilot, "j")
        assert screen.index == 0


async def test_t_switches_split_and_clamps_index(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset, index=10)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "t")
        assert screen.split == "test"
        assert screen.index == len(TINY_TEST_LABELS) - 1
        assert title(app) == expected_title("test", 4)
        await press(pilot, "k", "t")
        # Back in train, at the garment we left there (each split keeps its place).
        assert (screen.split, screen.index) == ("train", 10)
        assert title(app) == expected_title("train", 10)
        await press(pilot, "t")
        assert (screen.split, screen.index) == ("test", 3)


async def test_brackets_jump_by_100_wrapping(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        count = len(TINY_TRAIN_LABELS)
        await press(pilot, "right_square_bracket")
        assert screen.index == 100 % count
        await press(pilot, "left_square_bracket", "left_square_bracket")
        assert screen.index == -100 % count
        await press(pilot, "t", "right_square_bracket")
        assert screen.index == (min(-100 % count, 4) + 100) % len(TINY_TEST_LABELS)
        assert title(app) == expected_title("test", screen.index)


@pytest.mark.parametrize("start", [0, 1, 3])
async def test_n_and_shift_n_find_the_same_class(
    make_app: AppFactory, tiny_dataset: Path, start: int
) -> None:
    app = make_app(tiny_dataset, index=start)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        label = TINY_TRAIN_LABELS[start]
        expected = start
        for _ in range(3):
            await press(pilot, "n")
            expected = next_same_label(TINY_TRAIN_LABELS, expected, 1)
            assert screen.index == expected
            assert TINY_TRAIN_LABELS[screen.index] == label
        await press(pilot, "N")
        assert screen.index == next_same_label(TINY_TRAIN_LABELS, expected, -1)
        assert TINY_TRAIN_LABELS[screen.index] == label


async def test_r_stays_in_range(make_app: AppFactory, tiny_dataset: Path) -> None:
    random.seed(20240601)
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        seen = set()
        for split, count in (("train", len(TINY_TRAIN_LABELS)), ("test", len(TINY_TEST_LABELS))):
            if screen.split != split:
                await press(pilot, "t")
            for _ in range(8):
                await press(pilot, "r")
                assert 0 <= screen.index < count
                assert title(app) == expected_title(split, screen.index)
                seen.add((split, screen.index))
        assert len(seen) > 2  # it does move


async def test_a_toggles_ascii_mode(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        view = screen.query_one(GarmentView)
        assert not screen.ascii_mode
        assert HALF_BLOCKS & set(region_text(app, view))
        await press(pilot, "a")
        assert screen.ascii_mode
        drawn = str(view.render())
        assert max(map(len, drawn.split("\n"))) == 28
        assert set(drawn) <= set(ASCII_RAMP) | {"\n"}
        assert len(set(drawn) - {" ", "\n"}) >= 3  # shades, not a blank box
        assert not HALF_BLOCKS & set(region_text(app, view))
        assert "#" in region_text(app, view)
        await press(pilot, "a")
        assert not screen.ascii_mode
        assert HALF_BLOCKS & set(region_text(app, view))


async def test_z_cycles_zoom_on_a_big_terminal(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        view = screen.query_one(GarmentView)
        widths = {}
        for zoom in (2, 3, 1):
            await press(pilot, "z")
            assert screen.zoom == zoom
            widths[zoom] = view.size.width
        assert widths[1] < widths[2] < widths[3]
        assert widths[2] - widths[1] == 28  # 28 more columns per zoom step


async def test_z_does_not_overflow_a_small_terminal(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = main_screen(app).query_one(GarmentView)
        await press(pilot, "z")
        assert view.region.right <= 80 and view.region.bottom <= 24


async def test_cursor_keys_move_and_clamp(
    make_app: AppFactory, tiny_dataset: Path, tiny: Arrays
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        start = (screen.cursor_row, screen.cursor_col)
        await press(pilot, "down", "right")
        assert (screen.cursor_row, screen.cursor_col) == (start[0] + 1, start[1] + 1)
        await press(pilot, "K", "H")
        assert (screen.cursor_row, screen.cursor_col) == start
        screen.cursor_row, screen.cursor_col = 25, 26
        await press(pilot, "J", "J", "J", "L", "right", "down")
        assert (screen.cursor_row, screen.cursor_col) == (27, 27)  # clamped at the bottom right
        await press(pilot, "up", "left")
        assert (screen.cursor_row, screen.cursor_col) == (26, 26)
        screen.cursor_row, screen.cursor_col = 2, 5
        await press(pilot, "K", "K", "K", "up", "H", "H")
        assert (screen.cursor_row, screen.cursor_col) == (0, 3)  # clamped at the top
        await press(pilot, *["left"] * 4, "H")
        assert screen.cursor_col == 0
        await press(pilot, *["L"] * 3)
        subtitle = str(screen.query_one(PixelTable).border_subtitle)
        assert subtitle.startswith("row 0, col 3: 255 → 1.0000")
        assert tiny["train"][0][0][0, 3] == 255


# ----- dialogs -----------------------------------------------------------------------------


async def open_goto(pilot: Pilot[object]) -> GotoDialog:
    await press(pilot, "g")
    dialog = pilot.app.screen
    assert isinstance(dialog, GotoDialog)
    await pilot.click("#goto-input")  # focus the field (see the focus test below)
    await pilot.pause()
    return dialog


async def test_goto_valid_index(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_goto(pilot)
        await press(pilot, "1", "0", "enter")
        assert not isinstance(app.screen, GotoDialog)
        assert main_screen(app).index == 10
        assert title(app) == expected_title("train", 10)


async def test_goto_invalid_index_keeps_dialog_then_escape_cancels(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset, index=2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = await open_goto(pilot)
        error = dialog.query_one("#goto-error", Label)
        await press(pilot, "1", "2", "enter")
        assert app.screen is dialog
        assert error.has_class("-error")
        assert "0..11" in str(error.render())
        dialog.query_one(Input).value = ""
        await press(pilot, "x", "enter")
        assert app.screen is dialog
        assert "whole number" in str(error.render())
        await press(pilot, "escape")
        assert app.screen is main_screen(app)
        assert main_screen(app).index == 2


async def test_goto_escape_cancels(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset, index=5)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "g")
        assert isinstance(app.screen, GotoDialog)
        await press(pilot, "escape")
        assert isinstance(app.screen, MainScreen)
        assert main_screen(app).index == 5


async def test_goto_input_has_focus_when_opened(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "g", "7", "enter")
        assert main_screen(app).index == 7


async def test_help_opens_and_escape_closes(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        shown = screen_text(app)
        for description in ("Next", "Prev", "Go to", "Random"):
            assert description in shown
        # The list is longer than the screen now (it scrolls): the rest is checked as given.
        described = [description for _key, description in help_screen.keys]
        for description in ("Zoom", "Download the data", "Cancel download / back"):
            assert description in described
        await press(pilot, "escape")
        assert isinstance(app.screen, MainScreen)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, MainScreen)
        assert app.is_running


async def test_q_in_help_closes_only_the_help(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "q")
        assert app.is_running
        assert isinstance(app.screen, MainScreen)


async def test_q_quits(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        await press(pilot, "q")
        assert not app.is_running
    assert app.return_code == 0


async def test_keys_before_the_data_is_loaded_are_replayed(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    release = threading.Event()
    ticks = fake_clock()

    def slow_clock() -> float:  # the loader's first call waits until the keys were pressed
        release.wait(timeout=10)
        return ticks()

    app = make_app(tiny_dataset, clock=slow_clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert not app.service.is_loaded
            # Keys that need no data act at once; the help opens and closes.
            await press(pilot, "z", "p", "up", "J", "L", "question_mark", "escape")
            assert isinstance(app.screen, MainScreen)
            # Keys that need the data wait for it, in order.
            await press(pilot, "j", "j", "t", "k")
            assert app.is_running
            assert isinstance(app.screen, MainScreen)
            assert not app.service.is_loaded
            assert (main_screen(app).split, main_screen(app).index) == ("train", 0)
            release.set()
            await settle(pilot)
            # train 0 -> 1 -> 2, then test (index kept: 2), then back one: test[1].
            assert (main_screen(app).split, main_screen(app).index) == ("test", 1)
            assert title(app) == expected_title("test", 1)
            assert main_screen(app).pending == []
    finally:
        release.set()


# Missing, damaged and downloaded data: see test_app_data_flows.py.


# ----- layout ------------------------------------------------------------------------------


async def test_resizes_from_huge_to_one_cell(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert not screen.has_class("-compact")
        for width, height in ((80, 24), (40, 10), (10, 5), (1, 1), (200, 60), (80, 24)):
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            await press(pilot, "j", "z", "a", "p")
            assert app.is_running
            assert tuple(app.size) == (width, height)
            screen_text(app)  # renders without raising
        assert screen.has_class("-compact")
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert not screen.has_class("-compact")


async def test_compact_layout_shows_one_side_pane_chosen_with_p(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.has_class("-compact")
        panes = ("table", "stats", "log")

        def visible() -> list[str]:
            return [p for p in panes if screen.query_one(f"#{p}").display
                    and screen.query_one(f"#{p}").region.area > 0]

        seen = []
        for _ in panes:
            shown = visible()
            assert len(shown) == 1
            seen.append(shown[0])
            await press(pilot, "p")
        assert sorted(seen) == sorted(panes)
        assert screen.query_one(GarmentView).region.area > 0


async def test_command_palette_lists_browsing_actions(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        commands = {command.title: command for command in app.get_system_commands(screen)}
        assert {"Next", "Prev", "Split", "Random"} <= set(commands)
        for name in ("Next", "Split"):
            result = commands[name].callback()  # the palette awaits what the callback returns
            if inspect.isawaitable(result):
                await result
            await pilot.pause()
        assert (screen.split, screen.index) == ("test", 1)
