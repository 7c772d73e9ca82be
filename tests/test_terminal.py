"""What the terminal can show (tui.terminal.detect), the 256-colour and shaded drawings, and the
app drawing its garment to suit the profile it was given (`w` cycles the drawing modes)."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from helpers import log_lines, make_service, region_text, settle, tiny_image
from rich.color import Color, ColorType
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.app import App

from tui.main_screen import MainScreen
from tui.runtime_info import RuntimeInfo
from tui.terminal import (
    ASCII,
    PALETTE_256,
    RENDER_MODES,
    RENDER_TITLES,
    SHADES,
    TRUECOLOR,
    TerminalProfile,
    describe,
    detect,
)
from widgets.garment_view import GarmentView
from widgets.renderers import (
    ASCII_RAMP,
    PALETTE_LUT,
    SHADE_RAMP,
    MeasuredPixels,
    ascii_garment,
    garment_picture,
    palette_garment,
)

SIZE = (120, 40)
UTF8 = "utf-8"

# ----- detect() ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "colors", "mode", "reason_has"),
    [
        ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "truecolor", TRUECOLOR,
         "COLORTERM=truecolor"),
        ({"TERM": "xterm-256color", "COLORTERM": "24bit"}, "truecolor", TRUECOLOR,
         "COLORTERM=24bit"),
        ({"TERM": "xterm", "COLORTERM": "TrueColor"}, "truecolor", TRUECOLOR, "truecolor"),
        ({"TERM": "xterm-256color"}, "256", PALETTE_256, "SSH"),
        ({"TERM": "tmux-256color"}, "256", PALETTE_256, "TERM=tmux-256color"),
        ({"TERM": "screen-256color"}, "256", PALETTE_256, "without COLORTERM"),
        ({"TERM": "screen"}, "16", SHADES, "TERM=screen"),
        ({"TERM": "linux"}, "16", SHADES, "TERM=linux"),
        ({"TERM": "xterm"}, "16", SHADES, "TERM=xterm"),
        ({"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1"}, "none", ASCII,
         "NO_COLOR"),
        ({"TERM": "dumb"}, "none", ASCII, "TERM=dumb"),
        ({"TERM": ""}, "none", ASCII, "(unset)"),
        ({}, "none", ASCII, "(unset)"),
        ({"TERM": "dumb", "COLORTERM": "truecolor"}, "none", ASCII, "TERM=dumb"),
    ],
)
def test_detect_reads_colorterm_term_and_no_color(
    environ: dict[str, str], colors: str, mode: str, reason_has: str
) -> None:
    profile = detect(environ, UTF8)
    assert (profile.colors, profile.render_mode, profile.unicode) == (colors, mode, True)
    assert reason_has in profile.reason


def test_detect_256_without_colorterm_names_the_ssh_case() -> None:
    profile = detect({"TERM": "xterm-256color"}, UTF8)
    assert profile.render_mode == PALETTE_256
    assert "COLORTERM" in profile.reason and "SSH" in profile.reason


@pytest.mark.parametrize(
    ("forced", "colors", "mode"),
    [("truecolor", "truecolor", TRUECOLOR), ("256", "256", PALETTE_256),
     ("16", "16", SHADES), ("none", "none", ASCII), ("NONE", "none", ASCII)],
)
def test_fashion_tui_colors_overrides_everything(forced: str, colors: str, mode: str) -> None:
    environ = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "NO_COLOR": "1",
               "FASHION_TUI_COLORS": forced}
    profile = detect(environ, UTF8)
    assert (profile.colors, profile.render_mode) == (colors, mode)
    assert "FASHION_TUI_COLORS" in profile.reason


def test_an_unknown_override_is_ignored() -> None:
    profile = detect({"TERM": "xterm-256color", "FASHION_TUI_COLORS": "lots"}, UTF8)
    assert (profile.colors, profile.render_mode) == ("256", PALETTE_256)
    assert "FASHION_TUI_COLORS" not in profile.reason


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "ANSI_X3.4-1968", "cp1252",
                                      "no-such-codec", ""])
@pytest.mark.parametrize("environ", [
    {"TERM": "xterm-256color", "COLORTERM": "truecolor"},
    {"TERM": "xterm-256color"},
    {"TERM": "linux"},
    {"TERM": "xterm", "FASHION_TUI_COLORS": "truecolor"},
])
def test_a_non_utf8_locale_always_gets_ascii(environ: dict[str, str], encoding: str) -> None:
    profile = detect(environ, encoding)
    assert profile.render_mode == ASCII
    assert profile.unicode is False
    assert "UTF-8" in profile.reason
    assert profile.colors == detect(environ, UTF8).colors  # the colour depth is still said


@pytest.mark.parametrize("encoding", ["utf-8", "UTF-8", "utf8", "UTF8"])
def test_utf8_spellings_count_as_unicode(encoding: str) -> None:
    assert detect({"TERM": "xterm-256color"}, encoding).unicode is True


def test_detect_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("FASHION_TUI_COLORS", raising=False)
    assert detect(encoding=UTF8).colors == "16"
    monkeypatch.setenv("FASHION_TUI_COLORS", "256")
    assert detect(encoding=UTF8).colors == "256"


@pytest.mark.parametrize("mode", RENDER_MODES)
def test_describe_says_the_depth_the_reason_and_the_drawing(mode: str) -> None:
    profile = TerminalProfile("256", mode, True, "because of a test")
    line = describe(profile)
    assert line.startswith("Terminal: 256 colours")
    assert "because of a test" in line and RENDER_TITLES[mode] in line
    assert "w cycles" in line


# ----- the 256-colour palette's greys ------------------------------------------------------


def xterm_palette_greys() -> dict[int, int]:
    """{palette number: grey level} for every grey of the xterm 256 palette above 15, taken
    from Rich's own copy of the palette (independent of widgets.renderers)."""
    greys = {}
    for number in range(16, 256):
        red, green, blue = Color.from_ansi(number).get_truecolor()
        if red == green == blue:
            greys[number] = red
    return greys


GREYS = xterm_palette_greys()


def test_the_xterm_palette_has_30_greys() -> None:
    assert len(GREYS) == 30
    assert GREYS[16] == 0 and GREYS[231] == 255


def test_palette_lut_uses_exactly_the_30_palette_greys() -> None:
    assert PALETTE_LUT.shape == (256,)
    assert set(PALETTE_LUT.tolist()) == set(GREYS)


def test_palette_lut_keeps_a_gradient_in_order() -> None:
    levels = [GREYS[int(number)] for number in PALETTE_LUT]
    assert all(a <= b for a, b in itertools.pairwise(levels))
    assert levels[0] == 0 and levels[255] == 255


def test_palette_lut_picks_the_nearest_grey() -> None:
    for value in range(256):
        chosen = GREYS[int(PALETTE_LUT[value])]
        best = min(abs(value - level) for level in GREYS.values())
        assert abs(value - chosen) == best, value


def test_palette_lut_maps_each_palette_grey_to_itself() -> None:
    for number, level in GREYS.items():
        assert GREYS[int(PALETTE_LUT[level])] == level, number


# ----- drawings ----------------------------------------------------------------------------


def render(renderable: object, color_system: str | None = "256") -> tuple[str, list[Segment]]:
    console = Console(width=120, file=io.StringIO(), color_system=color_system,  # type: ignore[arg-type]
                      force_terminal=color_system is not None, legacy_windows=False)
    segments = list(console.render(renderable))  # type: ignore[arg-type]
    console.print(renderable)  # type: ignore[arg-type]
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return out, segments


def cell_lines(segments: list[Segment]) -> list[list[Segment]]:
    """One Segment per character cell (runs of equal cells may be merged in the output)."""
    lines = [line for line in Segment.split_lines(segments) if line]
    return [[Segment(char, segment.style) for segment in line for char in segment.text]
            for line in lines]


def plain_lines(renderable: object) -> list[str]:
    out, _ = render(renderable, None)
    return out.rstrip("\n").split("\n")


def cell_greys(cell: Segment) -> tuple[int, int]:
    """(upper, lower) palette numbers of a half-block cell: the upper pixel is the
    background; a space shows the background alone (both pixels alike)."""
    style = cell.style
    assert style is not None and style.bgcolor is not None
    assert style.bgcolor.type == ColorType.EIGHT_BIT, style
    upper = style.bgcolor.number
    assert upper is not None
    if cell.text == " ":
        return upper, upper
    assert cell.text == "▄", cell
    assert style.color is not None and style.color.type == ColorType.EIGHT_BIT, style
    assert style.color.number is not None
    return upper, style.color.number


def test_palette_garment_is_28_by_14_half_blocks_in_8_bit_colours() -> None:
    image = tiny_image(4)
    out, segments = render(palette_garment(image))
    lines = cell_lines(segments)
    assert len(lines) == 14
    for line in lines:
        assert len(line) == 28
        for cell in line:
            upper, lower = cell_greys(cell)
            assert upper in GREYS and lower in GREYS
            assert (cell.text == "▄") is (upper != lower)  # a space only when they agree
    assert "38;2;" not in out and "48;2;" not in out  # no truecolor escape at all
    assert "38;5;" in out and "48;5;" in out
    assert len(out.rstrip("\n").split("\n")) == 14


def test_palette_garment_cells_hold_the_nearest_greys_top_and_bottom() -> None:
    image = tiny_image(7)
    _, segments = render(palette_garment(image))
    for row, line in enumerate(cell_lines(segments)):
        for col, cell in enumerate(line):
            upper, lower = cell_greys(cell)
            assert upper == PALETTE_LUT[image[2 * row, col]], (row, col)
            assert lower == PALETTE_LUT[image[2 * row + 1, col]], (row, col)


def test_palette_garment_draws_a_gradient_in_order() -> None:
    gradient = np.repeat(np.arange(0, 256, 256 / 28).astype(np.uint8)[None, :], 28, axis=0)
    _, segments = render(palette_garment(gradient))
    uppers = [cell_greys(cell)[0] for cell in cell_lines(segments)[0]]
    levels = [GREYS[number] for number in uppers]
    assert levels == sorted(levels)
    assert len(set(levels)) > 10  # many distinct greys, not banded to a few


def test_palette_garment_cursor_is_the_only_non_palette_cell() -> None:
    image = tiny_image(2)
    _, segments = render(palette_garment(image, cursor=(5, 9), cursor_color=(255, 0, 255)))
    odd = []
    for row, line in enumerate(cell_lines(segments)):
        for col, cell in enumerate(line):
            style = cell.style
            assert style is not None
            colours = [c for c in (style.color, style.bgcolor) if c is not None]
            if any(c.type != ColorType.EIGHT_BIT for c in colours):
                odd.append((row, col))
    assert odd == [(2, 9)]  # pixel row 5 is the lower half of text row 2


@pytest.mark.parametrize("zoom", [1, 2])
def test_palette_garment_scales_with_zoom(zoom: int) -> None:
    lines = plain_lines(palette_garment(tiny_image(1), zoom=zoom))
    assert len(lines) == 14 * zoom
    assert {len(line) for line in lines} == {28 * zoom}


def test_shaded_garment_is_28_by_14_shade_blocks_without_colour() -> None:
    image = tiny_image(5)
    text = ascii_garment(image, ramp=SHADE_RAMP)
    lines = text.plain.split("\n")
    assert len(lines) == 14 and {len(line) for line in lines} == {28}
    assert set(text.plain) - {"\n"} <= set(SHADE_RAMP)
    assert set(text.plain) & set("░▒▓█")  # the ellipse is actually drawn
    out, _ = render(text)
    assert "\x1b[38" not in out and "\x1b[48" not in out


def test_shaded_ramp_runs_from_blank_to_full_block() -> None:
    dark = ascii_garment(np.zeros((28, 28), np.uint8), ramp=SHADE_RAMP).plain.split("\n")
    bright = ascii_garment(np.full((28, 28), 255, np.uint8), ramp=SHADE_RAMP).plain.split("\n")
    assert dark == [" " * 28] * 14
    assert bright == ["█" * 28] * 14
    gradient = np.tile(np.arange(0, 256, 256 / 28).astype(np.uint8), (28, 1))
    row = ascii_garment(gradient, ramp=SHADE_RAMP).plain.split("\n")[0]
    ranks = [SHADE_RAMP.index(char) for char in row]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == len(SHADE_RAMP) - 1


@pytest.mark.parametrize("mode", RENDER_MODES)
def test_garment_picture_is_28_by_14_in_every_mode(mode: str) -> None:
    picture = garment_picture(tiny_image(3), mode, cursor=(14, 14))
    lines = plain_lines(picture)
    assert len(lines) == 14
    assert {len(line) for line in lines} == {28}
    characters = set("".join(lines))
    expected = {TRUECOLOR: {"▄", "▀", " "}, PALETTE_256: {"▄", " "},
                SHADES: set(SHADE_RAMP), ASCII: set(ASCII_RAMP)}[mode]
    assert characters <= expected


def test_garment_picture_modes_differ_in_colour_kind() -> None:
    image = tiny_image(6)
    _, true_segments = render(garment_picture(image, TRUECOLOR), "truecolor")
    _, palette_segments = render(garment_picture(image, PALETTE_256), "truecolor")
    true_kinds = {s.style.bgcolor.type for s in true_segments
                  if s.style is not None and s.style.bgcolor is not None}
    palette_kinds = {s.style.bgcolor.type for s in palette_segments
                     if s.style is not None and s.style.bgcolor is not None}
    assert ColorType.TRUECOLOR in true_kinds
    assert palette_kinds == {ColorType.EIGHT_BIT}


# ----- the app, given a profile ------------------------------------------------------------


def build_app(data_dir: Path, runtime: RuntimeInfo, profile: TerminalProfile) -> App[None]:
    from tui.app import FashionApp

    return FashionApp(make_service(data_dir, runtime), profile=profile)


def main_screen(app: App[object]) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def drawn_kind(app: App[object]) -> str:
    """Which drawing the garment pane holds now, judged from its renderable."""
    content = main_screen(app).query_one(GarmentView).content
    if isinstance(content, Text):
        characters = set(content.plain) - {"\n"}
        if characters <= set(ASCII_RAMP):
            return ASCII
        assert characters <= set(SHADE_RAMP), characters
        return SHADES
    assert isinstance(content, MeasuredPixels)
    _, segments = render(content, "truecolor")
    kinds = {s.style.bgcolor.type for s in segments
             if s.style is not None and s.style.bgcolor is not None}
    return TRUECOLOR if ColorType.TRUECOLOR in kinds and len(kinds) == 1 else PALETTE_256


PROFILES = {
    TRUECOLOR: TerminalProfile("truecolor", TRUECOLOR, True, "COLORTERM=truecolor"),
    PALETTE_256: TerminalProfile("256", PALETTE_256, True, "TERM=xterm-256color"),
    SHADES: TerminalProfile("16", SHADES, True, "TERM=linux"),
    ASCII: TerminalProfile("none", ASCII, True, "NO_COLOR is set"),
}


@pytest.mark.parametrize("mode", RENDER_MODES)
async def test_the_garment_is_drawn_as_the_profile_says(
    mode: str, tiny_dataset: Path, fixed_runtime: RuntimeInfo
) -> None:
    profile = PROFILES[mode]
    app = build_app(tiny_dataset, fixed_runtime, profile)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.drawing == mode
        assert screen.ascii_mode is (mode == ASCII)
        assert drawn_kind(app) == mode
        shown = region_text(app, screen.query_one(GarmentView))
        if mode == ASCII:
            assert not set(shown) & set("▄▀░▒▓█")
        elif mode == SHADES:
            assert set(shown) & set("░▒▓█") and "▄" not in shown
        else:
            assert "▄" in shown
        lines = log_lines(app)
        assert lines[0].endswith(describe(profile))
        assert "Terminal:" in lines[0] and profile.reason in lines[0]


@pytest.mark.parametrize("start", [TRUECOLOR, PALETTE_256])
async def test_w_cycles_through_all_four_drawings_and_back(
    start: str, tiny_dataset: Path, fixed_runtime: RuntimeInfo
) -> None:
    app = build_app(tiny_dataset, fixed_runtime, PROFILES[start])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        first = RENDER_MODES.index(start)
        expected = [RENDER_MODES[(first + step) % 4] for step in range(1, 5)]
        seen = []
        for _ in range(4):
            await pilot.press("w")
            await pilot.pause()
            seen.append(screen.drawing)
            assert drawn_kind(app) == screen.drawing
        assert seen == expected
        assert screen.drawing == start
        by_hand = [line for line in log_lines(app) if "(by hand)" in line]
        assert len(by_hand) == 4
        assert [next(m for m in RENDER_MODES if RENDER_TITLES[m] in line) for line in by_hand] \
            == expected


async def test_a_toggles_ascii_and_back_to_the_colour_mode(
    tiny_dataset: Path, fixed_runtime: RuntimeInfo
) -> None:
    app = build_app(tiny_dataset, fixed_runtime, PROFILES[PALETTE_256])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("a")
        await pilot.pause()
        assert (screen.drawing, drawn_kind(app)) == (ASCII, ASCII)
        await pilot.press("a")
        await pilot.pause()
        assert (screen.drawing, drawn_kind(app)) == (PALETTE_256, PALETTE_256)


NON_UNICODE = TerminalProfile("256", ASCII, False,
                              "TERM=xterm-256color; the locale's encoding is latin-1, not UTF-8")


async def test_without_unicode_w_only_offers_ascii(
    tiny_dataset: Path, fixed_runtime: RuntimeInfo
) -> None:
    app = build_app(tiny_dataset, fixed_runtime, NON_UNICODE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.drawing == ASCII and drawn_kind(app) == ASCII
        for _ in range(5):
            await pilot.press("w")
            await pilot.pause()
            assert screen.drawing == ASCII
            assert drawn_kind(app) == ASCII
        by_hand = [line for line in log_lines(app) if "(by hand)" in line]
        assert len(by_hand) == 5
        assert all(RENDER_TITLES[ASCII] in line for line in by_hand)
        assert "not UTF-8" in log_lines(app)[0]


async def test_without_unicode_a_does_not_leave_ascii(
    tiny_dataset: Path, fixed_runtime: RuntimeInfo
) -> None:
    app = build_app(tiny_dataset, fixed_runtime, NON_UNICODE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("a")
        await pilot.pause()
        assert screen.drawing == ASCII
        shown = region_text(app, screen.query_one(GarmentView))
        assert "▄" not in shown
