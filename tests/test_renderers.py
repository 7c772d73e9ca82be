"""Pure rendering helpers (no App): garment drawings, table windows and the goto parser."""

from __future__ import annotations

import io

import numpy as np
import pytest
from helpers import tiny_image
from rich.console import Console

from widgets.goto_dialog import parse_index
from widgets.renderers import ASCII_RAMP, ascii_garment, garment_pixels, window_bounds


def rendered_lines(renderable: object, width: int = 200) -> list[str]:
    out = io.StringIO()
    Console(width=width, file=out, color_system=None, force_terminal=False).print(renderable)
    return out.getvalue().rstrip("\n").split("\n")


@pytest.mark.parametrize("zoom", [1, 2, 3])
def test_half_block_garment_is_28_columns_by_14_rows_per_zoom(zoom: int) -> None:
    pixels = garment_pixels(tiny_image(3), zoom=zoom)
    lines = rendered_lines(pixels)
    assert len(lines) == 14 * zoom
    assert {len(line) for line in lines} == {28 * zoom}


def test_ascii_ramp_runs_from_blank_to_dense() -> None:
    full = ascii_garment(np.full((28, 28), 255, np.uint8)).plain.split("\n")
    assert full == ["@" * 28] * 14
    assert ASCII_RAMP[0] == " " and ASCII_RAMP[-1] == "@"


@pytest.mark.parametrize("zoom", [1, 2])
def test_ascii_garment_of_a_bright_image_scales_with_zoom(zoom: int) -> None:
    lines = ascii_garment(np.full((28, 28), 200, np.uint8), zoom=zoom).plain.split("\n")
    assert len(lines) == 14 * zoom
    assert {len(line) for line in lines} == {28 * zoom}


def test_ascii_cursor_is_reversed() -> None:
    text = ascii_garment(np.full((28, 28), 128, np.uint8), cursor=(4, 7))
    reversed_spans = [s for s in text.spans if "reverse" in str(s.style)]
    assert len(reversed_spans) == 1
    line_length = 28 + 1  # the characters of one line and its newline
    assert reversed_spans[0].start == 2 * line_length + 7  # pixel row 4 is text line 2


def test_ascii_garment_keeps_its_footprint_when_the_bottom_is_dark() -> None:
    image = np.zeros((28, 28), np.uint8)
    image[:10] = 200  # a garment in the top third only, as many Fashion-MNIST bags are not
    lines = ascii_garment(image, cursor=(27, 27)).plain.split("\n")
    assert len(lines) == 14
    assert {len(line) for line in lines} == {28}


@pytest.mark.parametrize(
    ("cursor", "visible", "expected"),
    [(14, 5, (12, 17)), (0, 5, (0, 5)), (27, 5, (23, 28)), (3, 100, (0, 28)), (5, 0, (5, 6))],
)
def test_window_bounds_stay_inside(cursor: int, visible: int, expected: tuple[int, int]) -> None:
    start, stop = window_bounds(cursor, visible)
    assert (start, stop) == expected
    assert 0 <= start <= cursor < stop <= 28


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), (" 11 ", 11), ("1_0", 10), ("0", 0)],
)
def test_goto_parse_index_accepts(text: str, expected: int) -> None:
    assert parse_index(text, 12) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "Type"), ("12", "0..11"), ("-1", "0..11"), ("abc", "whole number"), ("1.5", "whole")],
)
def test_goto_parse_index_refuses(text: str, words: str) -> None:
    result = parse_index(text, 12)
    assert isinstance(result, str)
    assert words in result
