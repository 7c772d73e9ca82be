"""The six views (browse, gallery, classes, lab, lesson, look-alikes), the class filter,
presenter mode, theme and exports, driven by keys through Pilot over the tiny set."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import (
    TINY_TEST_LABELS,
    TINY_TRAIN_LABELS,
    AppFactory,
    Arrays,
    fake_clock,
    region_text,
    screen_text,
    settle,
    squeeze,
)
from PIL import Image
from textual.app import App
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import OptionList

from tui.data_service import CLASS_NAMES
from tui.exporting import read_csv
from tui.lesson import LESSON
from tui.main_screen import LOOK_ALIKES, NO_FILTER, VIEWS, MainScreen
from widgets.class_board import ClassBoard
from widgets.class_picker import ClassPicker
from widgets.gallery_view import GalleryView
from widgets.garment_view import GarmentView
from widgets.goto_dialog import GotoDialog
from widgets.pixel_table import PixelTable
from widgets.similar_view import SimilarView
from widgets.stats_pane import StatsPane

SIZE = (120, 40)
COMPACT = (80, 24)  # cheaper to draw, where the wide layout is not needed
VIEW_KEYS = {"browse": "b", "gallery": "i", "classes": "c", "lab": "m", "lesson": "l",
             "similar": "s"}
VIEW_WIDGETS = {"browse": "#browse", "gallery": "#gallery", "classes": "#classes-view",
                "lab": "#lab-view", "lesson": "#lesson-view", "similar": "#similar"}
LABELS = {"train": TINY_TRAIN_LABELS, "test": TINY_TEST_LABELS}


def main_screen(app: App[object]) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def label_of(screen: MainScreen) -> int:
    return LABELS[screen.split][screen.index]


def notifications(app: App[object]) -> str:
    return " ".join(n.message for n in app._notifications)


async def press(pilot: Pilot[object], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


def assert_view(app: App[object], name: str) -> None:
    """Exactly `name`'s view is showing: the screen's class, and only its widget on screen."""
    screen = main_screen(app)
    assert screen.view == name
    assert [v for v in VIEWS if screen.has_class(f"-view-{v}")] == [name]
    for view, selector in VIEW_WIDGETS.items():
        widget = screen.query_one(selector)
        shown = widget.display and widget.region.area > 0
        assert shown == (view == name), f"{view} shown={shown} in the {name} view"


def gallery_indexes(app: App[object]) -> tuple[list[int], int]:
    """The garments on the gallery's page and the index of the selected one."""
    gallery = main_screen(app).query_one(GalleryView)
    thumbs = [thumb.index for thumb in gallery._thumbs]
    return thumbs, thumbs[gallery._selected]


# ----- switching views -----------------------------------------------------------------------


async def test_each_view_key_shows_its_view_and_escape_returns(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(pilot)
        assert_view(app, "browse")
        for name, key in VIEW_KEYS.items():
            await press(pilot, key)
            assert_view(app, name)
            await press(pilot, "escape" if name != "lab" else "x")
            assert_view(app, "browse")
        # v visits all six in order and comes back to browse.
        seen = []
        for _ in VIEWS:
            await press(pilot, "v")
            seen.append(main_screen(app).view)
        assert seen == [*VIEWS[1:], "browse"]
        assert_view(app, "browse")
        await settle(pilot)  # the look-alikes worker the cycle started


async def test_a_view_key_pressed_before_the_data_arrives_is_replayed(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    release = threading.Event()
    ticks = fake_clock()

    def slow_clock() -> float:
        release.wait(timeout=10)
        return ticks()

    app = make_app(tiny_dataset, clock=slow_clock)
    try:
        async with app.run_test(size=COMPACT) as pilot:
            await pilot.pause()
            assert not app.service.is_loaded
            await press(pilot, "i")
            assert main_screen(app).view == "browse"
            release.set()
            await settle(pilot)
            assert_view(app, "gallery")
            assert gallery_indexes(app)[1] == 0
    finally:
        release.set()


# ----- gallery ---------------------------------------------------------------------------------


async def test_gallery_moves_the_selection_and_enter_opens_it(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset, index=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "i")
        assert_view(app, "gallery")
        columns, rows = screen.query_one(GalleryView).capacity()
        assert columns > 1
        assert columns * rows >= len(TINY_TRAIN_LABELS)  # one page holds the whole tiny split
        thumbs, selected = gallery_indexes(app)
        assert thumbs == list(range(len(TINY_TRAIN_LABELS)))
        assert selected == 3
        count = len(TINY_TRAIN_LABELS)
        for key, delta in (("right", 1), ("L", 1), ("left", -1), ("down", columns),
                           ("up", -columns), ("J", columns), ("H", -1)):
            before = screen.index
            await press(pilot, key)
            assert screen.index == (before + delta) % count, key
            assert gallery_indexes(app)[1] == screen.index, key
        assert f"{screen.index + 1}/{count}" in str(screen.query_one(GalleryView).border_subtitle)
        chosen = screen.index
        await press(pilot, "enter")
        assert_view(app, "browse")
        assert screen.index == chosen
        assert screen.query_one(GarmentView).border_title == (
            f"train[{chosen}] {CLASS_NAMES[TINY_TRAIN_LABELS[chosen]]}"
        )


async def test_gallery_pages_on_a_small_terminal(make_app: AppFactory, tiny_dataset: Path) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=(40, 20)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "i")
        columns, rows = screen.query_one(GalleryView).capacity()
        per_page = columns * rows
        count = len(TINY_TRAIN_LABELS)
        assert per_page < count  # a small terminal: several pages
        starts = set()
        for step in range(count + 1):
            thumbs, selected = gallery_indexes(app)
            assert selected == screen.index, step
            start = (screen.index // per_page) * per_page
            assert thumbs == list(range(start, min(start + per_page, count))), step
            starts.add(start)
            await press(pilot, "right")
        assert starts == set(range(0, count, per_page))
        assert screen.index == 1  # wrapped past the last page
        await press(pilot, "left", "left")
        assert screen.index == count - 1
        assert gallery_indexes(app) == (list(range((count - 1) // per_page * per_page, count)),
                                        count - 1)


# ----- class filter ------------------------------------------------------------------------


async def test_digit_filters_every_way_of_moving_and_the_same_digit_clears(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        members = [i for i, label in enumerate(TINY_TRAIN_LABELS) if label == 2]  # [5, 7]
        await press(pilot, "2")
        assert screen.class_filter == 2
        assert screen.index == members[0]  # snapped to the first Pullover at or after 0
        assert "only Pullover" in screen.sub_title
        assert "only Pullover" in screen_text(app).split("\n")[0]  # the header shows it
        assert "only" in str(screen.query_one(StatsPane).border_title)
        assert "Only Pullover" in notifications(app)
        visited = [screen.index]
        for key in ("j", "j", "k", "right_square_bracket", "left_square_bracket", "r", "r"):
            await press(pilot, key)
            visited.append(screen.index)
            assert label_of(screen) == 2, (key, screen.index)
        assert visited[:4] == [5, 7, 5, 7]
        assert set(visited) == set(members)
        # The gallery shows the class only.
        await press(pilot, "i")
        thumbs, selected = gallery_indexes(app)
        assert thumbs == members
        assert selected == screen.index
        assert "only Pullover" in str(screen.query_one(GalleryView).border_subtitle)
        for _ in range(2):
            before = screen.index
            await press(pilot, "right")
            assert label_of(screen) == 2
            assert screen.index != before
            assert gallery_indexes(app)[1] == screen.index
        await press(pilot, "escape")
        # The same digit clears.
        await press(pilot, "2")
        assert screen.class_filter == NO_FILTER
        assert "only" not in screen.sub_title
        assert screen.query_one(StatsPane).border_title == "Stats"
        assert "cleared" in notifications(app)
        kept = screen.index
        await press(pilot, "j")
        assert screen.index == (kept + 1) % len(TINY_TRAIN_LABELS)


async def test_f_opens_the_class_picker_and_enter_picks(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "f")
        assert isinstance(app.screen, ClassPicker)
        assert app.screen.query_one(OptionList).highlighted == 0  # "All classes", no filter
        await press(pilot, "down", "down", "down", "enter")  # options: All, 0, 1, 2...
        assert not isinstance(app.screen, ClassPicker)
        assert (screen.class_filter, screen.index) == (2, 5)  # the first Pullover
        # The current filter's option starts highlighted.
        await press(pilot, "f")
        assert app.screen.query_one(OptionList).highlighted == 3
        await press(pilot, "up", "enter")
        assert (screen.class_filter, screen.index) == (1, 11)  # the only Trouser
        # Escape keeps the filter.
        await press(pilot, "f", "escape")
        assert not isinstance(app.screen, ClassPicker)
        assert screen.class_filter == 1
        # The first option clears.
        await press(pilot, "f", "home", "enter")
        assert not isinstance(app.screen, ClassPicker)
        assert screen.class_filter == NO_FILTER
        assert "only" not in screen.sub_title


async def test_a_digit_in_the_class_picker_picks_that_class(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "f")
        assert isinstance(app.screen, ClassPicker)
        await press(pilot, "2")
        assert not isinstance(app.screen, ClassPicker)
        assert (screen.class_filter, screen.index) == (2, 5)
        assert "cleared" not in notifications(app)


async def test_goto_another_class_clears_the_filter_and_t_keeps_it(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "2")  # Pullover: train 5 and 7, test 1
        assert (screen.split, screen.index) == ("train", 5)
        await press(pilot, "t")
        assert (screen.split, screen.index, screen.class_filter) == ("test", 1, 2)
        assert "only Pullover" in screen.sub_title
        await press(pilot, "t")
        assert (screen.split, screen.index, screen.class_filter) == ("train", 5, 2)
        # Going to a member keeps the filter; to another class clears it and says so.
        for typed, index, kept in (("7", 7, 2), ("3", 3, NO_FILTER)):
            await press(pilot, "g")
            assert isinstance(app.screen, GotoDialog)
            await pilot.click("#goto-input")
            await press(pilot, typed, "enter")
            assert not isinstance(app.screen, GotoDialog)
            assert (screen.index, screen.class_filter) == (index, kept)
        assert "train[3] is not a Pullover" in notifications(app)
        assert "only" not in screen.sub_title


async def test_filter_on_a_class_missing_from_the_other_split(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert 0 in TINY_TRAIN_LABELS and 0 not in TINY_TEST_LABELS  # no T-shirt in test
        await press(pilot, "0")
        assert app.is_running and app._exception is None
        assert (screen.class_filter, screen.index) == (0, 1)
        assert "only T-shirt/top" in str(screen.query_one(StatsPane).border_title)


async def test_filter_on_a_class_with_no_garments_then_step(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert 4 not in TINY_TRAIN_LABELS  # no Coat in the tiny set at all
        await press(pilot, "4")
        await press(pilot, "j", "i", "right", "r")
        assert app.is_running and app._exception is None
        if screen.class_filter == 4:  # the filter was kept: nothing to move to
            assert screen.index == 0


# ----- classes view ----------------------------------------------------------------------------


async def test_classes_view_arrows_move_and_enter_filters(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "c")
        assert_view(app, "classes")
        columns = screen.query_one(ClassBoard).columns()
        assert 1 < columns < len(CLASS_NAMES)
        assert screen.class_cursor == 0
        for key, expected in (("up", 0), ("left", 0), ("right", 1), ("down", 1 + columns),
                              ("left", columns), ("K", 0), ("L", 1), ("right", 2)):
            await press(pilot, key)
            assert screen.class_cursor == expected, key
        assert screen.class_filter == NO_FILTER
        await press(pilot, "enter")
        assert_view(app, "gallery")
        assert screen.class_filter == 2
        thumbs, selected = gallery_indexes(app)
        assert thumbs == [5, 7]
        assert selected == screen.index == 5
        assert "only Pullover" in screen.sub_title
        # Back in the classes view the filtered class is selected and marked; the cursor
        # stops at the last class.
        await press(pilot, "c")
        assert screen.class_cursor == 2
        board_text = region_text(app, screen.query_one("#classes-view"))
        assert "2 Pullover  (filter)" in board_text
        await press(pilot, *["down"] * (len(CLASS_NAMES) // columns + 1), "right", "right")
        assert screen.class_cursor == len(CLASS_NAMES) - 1


# ----- normalisation lab -----------------------------------------------------------------------


async def test_lab_modes_cycle_and_the_table_uses_the_mode(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        modes = app.service.norm_modes()
        count = len(modes)
        assert count > 2
        table = screen.query_one(PixelTable)
        assert modes[0].formula in str(table.border_title)
        await press(pilot, "m")
        assert_view(app, "lab")
        seen = [screen.mode]
        for _ in range(count):
            await press(pilot, "down")
            seen.append(screen.mode)
        assert seen == [*range(count), 0]  # every mode, then wraps
        await press(pilot, "up")
        assert screen.mode == count - 1
        await press(pilot, "o")
        assert screen.mode == 0
        await press(pilot, "o", "o")
        assert screen.mode == 2
        lab_text = squeeze(region_text(app, screen.query_one("#lab-view")))
        assert squeeze(modes[2].explanation)[:40] in lab_text  # the chosen mode's explanation
        await press(pilot, "escape")
        assert_view(app, "browse")
        assert str(table.border_title) == f"Raw uint8 │ {modes[2].formula} float64"
        # o works from the browse view too, and wraps.
        await press(pilot, *["o"] * (count - 2))
        assert screen.mode == 0
        assert modes[0].formula in str(table.border_title)


async def test_presenter_hides_stats_and_log_with_2_decimals_and_t_flips_the_theme(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        table = screen.query_one(PixelTable)

        def shown(selector: str) -> bool:
            widget = screen.query_one(selector)
            return bool(widget.display) and widget.region.area > 0

        def decimals_shown() -> int:  # the subtitle ends "… → 0.1234"
            return len(str(table.border_subtitle).rsplit("→ ", 1)[1].split(".")[1])

        assert shown("#stats") and shown("#log") and shown("#table")
        assert table.decimals == decimals_shown() == 4
        await press(pilot, "P")
        assert screen.presenter and screen.has_class("-presenter")
        assert not shown("#stats") and not shown("#log")
        assert shown("#table") and shown("#garment")
        assert table.decimals == decimals_shown() == 2
        await press(pilot, "P")
        assert not screen.presenter and not screen.has_class("-presenter")
        assert shown("#stats") and shown("#log")
        assert table.decimals == decimals_shown() == 4
        dark = app.current_theme.dark
        await press(pilot, "T")
        assert app.current_theme.dark is not dark
        await press(pilot, "T")
        assert app.current_theme.dark is dark


# ----- lesson ------------------------------------------------------------------------------


async def test_lesson_moves_within_its_lines_and_shows_the_garment(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset, index=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "l")
        assert_view(app, "lesson")
        lesson = screen.query_one("#lesson-view")
        assert "train_images[3]" in region_text(app, lesson)
        assert screen.lesson_line == 0
        await press(pilot, "up")
        assert screen.lesson_line == 0
        for expected in range(1, len(LESSON)):
            await press(pilot, "down")
            assert screen.lesson_line == expected
        await press(pilot, "down", "J")
        assert screen.lesson_line == len(LESSON) - 1  # clamped at the last line
        await press(pilot, "K")
        assert screen.lesson_line == len(LESSON) - 2
        await press(pilot, "j")
        assert screen.index == 4
        assert "train_images[4]" in region_text(app, lesson)
        assert "train_images[3]" not in region_text(app, lesson)
        await press(pilot, "t")
        assert "test_images[4]" in region_text(app, lesson)


# ----- look-alikes -----------------------------------------------------------------------------


def similar_ready(app: App[object]) -> bool:
    return bool(main_screen(app).query_one(SimilarView)._thumbs)


async def test_look_alikes_are_the_service_neighbours_and_enter_opens_one(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset, split="test", index=2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await press(pilot, "s")
        assert_view(app, "similar")
        await settle(pilot, similar_ready)
        thumbs = screen.query_one(SimilarView)._thumbs
        expected = [i for i, _ in app.service.look_alikes("test", 2, LOOK_ALIKES)]
        assert len(expected) == min(LOOK_ALIKES, len(TINY_TRAIN_LABELS))
        assert thumbs[0].index == 2
        assert [thumb.index for thumb in thumbs[1:]] == expected
        assert "test[2]" in squeeze(region_text(app, screen.query_one(SimilarView)))
        await press(pilot, "right")
        assert screen.similar_cursor == 1
        await press(pilot, "enter")
        assert_view(app, "browse")
        assert (screen.split, screen.index) == ("train", expected[0])
        assert screen.query_one(GarmentView).border_title == (
            f"train[{expected[0]}] {CLASS_NAMES[TINY_TRAIN_LABELS[expected[0]]]}"
        )


# ----- exports ---------------------------------------------------------------------------------


async def test_e_exports_png_and_csv_and_s_saves_an_svg(
    make_app: AppFactory, tiny_dataset: Path, tiny: Arrays, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    app = make_app(tiny_dataset, index=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "e", "t", "e")
        for split, index in (("train", 3), ("test", 3)):
            image = tiny[split][0][index]
            with Image.open(out / f"fashion-{split}-{index}.png") as png:
                pixels = np.asarray(png.convert("L"))
            height, width = pixels.shape
            assert height == width and height % 28 == 0
            scale = height // 28
            np.testing.assert_array_equal(pixels[::scale, ::scale], image)
            raw, normalized = read_csv(out / f"fashion-{split}-{index}.csv")
            np.testing.assert_array_equal(raw, image)
            np.testing.assert_array_equal(normalized, image / 255.0)
        assert "fashion-test-3.csv" in notifications(app)
        await press(pilot, "S")
        svgs = sorted(out.glob("*.svg"))
        assert [p.name for p in svgs] == ["fashion-screen-test-3-browse.svg"]
        text = svgs[0].read_text(encoding="utf-8")
        assert text.lstrip().startswith("<svg") and "test[3]" in text


# ----- command palette and small terminals -------------------------------------------------


async def test_every_binding_is_in_the_command_palette(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    app = make_app(tiny_dataset)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        commands = {c.title: c.help for c in app.get_system_commands(screen)}
        bindings = [b for b in MainScreen.BINDINGS if isinstance(b, Binding)]
        assert len(bindings) == len(MainScreen.BINDINGS) > 40
        missing = [b.description for b in bindings if b.description not in commands]
        assert missing == []
        for binding in bindings:
            assert commands[binding.description] == f"Key: {binding.key_display or binding.key}"
        assert commands["Filter by class"] == "Key: f"
        assert commands["Gallery view"] == "Key: i"
        assert commands["Only Sandal"] == "Key: 5"


async def test_every_view_survives_small_terminals(
    make_app: AppFactory, tiny_dataset: Path
) -> None:
    # Every view at 80x24 is drawn by test_each_view_key_shows_its_view_and_escape_returns.
    app = make_app(tiny_dataset)
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        for name in VIEWS:
            await press(pilot, VIEW_KEYS[name], "down")
            assert app.is_running and app._exception is None
            assert screen.view == name
            assert len(screen_text(app).split("\n")) >= 12  # it renders
            if name in ("gallery", "lab"):  # resized while showing a view
                await pilot.resize_terminal(80, 24)
                await press(pilot, "right")
                await pilot.resize_terminal(40, 12)
                await pilot.pause()
                assert tuple(app.size) == (40, 12)
                assert screen_text(app).strip()
        await press(pilot, "P", "right", "o", "P")  # presenter in the small look-alikes view
        await settle(pilot, lambda _app: True)  # the look-alikes workers
        assert app.is_running and app._exception is None
        assert screen.view == "similar"
