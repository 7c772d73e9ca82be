"""Pure functions from pixel data to Rich renderables, shared by the widgets and the CLI.

No Textual here: these are tested without an App, and `fashion-tui show` prints them directly.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from rich_pixels import Pixels

ASCII_RAMP = " .:-=+*#%@"  # dark to bright: blank paper, then ever denser ink
SHADE_RAMP = " ░▒▓█"  # the same, with shaded blocks: needs Unicode but no colour


class MeasuredPixels:
    """rich-pixels output with a known width, so `width: auto` containers fit it exactly."""

    def __init__(self, pixels: Pixels, width: int) -> None:
        self.pixels = pixels
        self.width = width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.pixels

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


def _palette_greys() -> tuple[np.ndarray, np.ndarray]:
    """The xterm 256-colour palette's 30 greys: (grey levels, palette numbers)."""
    cube = [(0, 16), (95, 59), (135, 102), (175, 145), (215, 188), (255, 231)]
    ramp = [(8 + 10 * i, 232 + i) for i in range(24)]
    pairs = sorted(cube + ramp)
    return np.array([v for v, _ in pairs]), np.array([n for _, n in pairs])


_LEVELS, _NUMBERS = _palette_greys()
# For each grey 0..255, the palette number of the nearest of the 30 palette greys: nearest in
# value, so a gradient keeps its order.
_GAPS = np.abs(np.arange(256)[:, None] - _LEVELS[None, :])
PALETTE_LUT: np.ndarray = _NUMBERS[_GAPS.argmin(axis=1)]
# The grey level each palette number shows, so pixels the palette shows alike merge.
_LEVEL_OF_NUMBER = np.zeros(256, dtype=np.int16)
_LEVEL_OF_NUMBER[_NUMBERS] = _LEVELS
CURSOR = -1  # a pixel value standing for the cursor's accent colour


def _colour(value: int, palette: bool, accent: Color) -> Color:
    if value == CURSOR:
        return accent
    if palette:
        return Color.from_ansi(int(PALETTE_LUT[value]))
    return Color.from_rgb(value, value, value)


def _halfcell_segments(
    image: np.ndarray, zoom: int, cursor: tuple[int, int] | None,
    cursor_color: tuple[int, int, int], palette: bool,
) -> tuple[list[Segment], int]:
    """Half-block cells (upper pixel as background, lower as foreground) with as few style
    changes as possible: a cell whose two pixels agree is a space on a background, and runs
    of identical cells are merged. Over SSH every byte counts."""
    big = np.repeat(np.repeat(image.astype(np.int16), zoom, axis=0), zoom, axis=1)
    if palette:  # pixels the palette shows alike become equal, so their cells merge
        big = _LEVEL_OF_NUMBER[PALETTE_LUT[big]]
    if cursor is not None:
        row, col = cursor[0] * zoom, cursor[1] * zoom
        big[row:row + zoom, col:col + zoom] = CURSOR
    accent = Color.from_rgb(*cursor_color)
    styles: dict[tuple[int, int], Style] = {}
    segments: list[Segment] = []
    for top in range(0, big.shape[0], 2):
        run_text, run_style = "", Style()
        for upper, lower in zip(big[top].tolist(), big[top + 1].tolist(), strict=True):
            style = styles.get((upper, lower))
            if style is None:
                background = _colour(upper, palette, accent)
                style = (Style(bgcolor=background) if upper == lower
                         else Style(color=_colour(lower, palette, accent), bgcolor=background))
                styles[(upper, lower)] = style
            glyph = " " if upper == lower else "▄"
            if style is run_style:
                run_text += glyph
                continue
            if run_text:
                segments.append(Segment(run_text, run_style))
            run_text, run_style = glyph, style
        segments.append(Segment(run_text, run_style))
        segments.append(Segment("\n"))
    return segments, int(big.shape[1])


def garment_pixels(
    image: np.ndarray,
    zoom: int = 1,
    cursor: tuple[int, int] | None = None,
    cursor_color: tuple[int, int, int] = (255, 0, 255),
) -> MeasuredPixels:
    """Half-block pixels in true colour, through rich-pixels: 28x28 becomes 28 columns x 14
    rows at zoom 1 (two pixels a cell)."""
    segments, width = _halfcell_segments(image, zoom, cursor, cursor_color, palette=False)
    return MeasuredPixels(Pixels.from_segments(segments), width)


def palette_garment(
    image: np.ndarray,
    zoom: int = 1,
    cursor: tuple[int, int] | None = None,
    cursor_color: tuple[int, int, int] = (255, 0, 255),
) -> MeasuredPixels:
    """Half-block pixels in the 256-colour palette's own greys, for terminals without true
    colour (the usual SSH case): no downgrading by the terminal, which would band them."""
    segments, width = _halfcell_segments(image, zoom, cursor, cursor_color, palette=True)
    return MeasuredPixels(Pixels.from_segments(segments), width)


def ascii_garment(
    image: np.ndarray, zoom: int = 1, cursor: tuple[int, int] | None = None,
    ramp: str | None = None,
) -> Text:
    """The same footprint as `garment_pixels`, drawn with an ASCII ramp for colourless terminals
    (or, with `ramp=SHADE_RAMP`, shaded blocks).

    Each character stands for two stacked pixels (their mean), so the picture keeps its shape.
    """
    scaled = np.repeat(np.repeat(image.astype(np.float64), zoom, axis=0), zoom, axis=1)
    pairs = scaled.reshape(scaled.shape[0] // 2, 2, scaled.shape[1]).mean(axis=1)
    ramp = ramp or ASCII_RAMP
    levels = np.minimum((pairs / 256.0 * len(ramp)).astype(int), len(ramp) - 1)
    text = Text(no_wrap=True, overflow="crop")
    cursor_rows = range(0)
    if cursor is not None:
        cursor_rows = range((cursor[0] * zoom) // 2, ((cursor[0] + 1) * zoom - 1) // 2 + 1)
    for text_row, row_levels in enumerate(levels):
        if text_row:
            text.append("\n")
        line_start = len(text)
        text.append("".join(ramp[level] for level in row_levels))
        if cursor is not None and text_row in cursor_rows:
            start = line_start + cursor[1] * zoom
            text.stylize("reverse", start, start + zoom)
    return text


def window_bounds(cursor: int, visible: int, total: int = 28) -> tuple[int, int]:
    """The [start, stop) of a window of `visible` cells around `cursor`, kept inside 0..total."""
    visible = max(1, min(visible, total))
    start = min(max(cursor - visible // 2, 0), total - visible)
    return start, start + visible


class _Line:
    """A line of text built from runs: cells of the same style share one span, so a row costs
    a handful of style changes on the wire rather than one per cell."""

    def __init__(self) -> None:
        self.text = Text(no_wrap=True, overflow="crop", end="")
        self._run = ""
        self._style = ""

    def add(self, chunk: str, style: str = "") -> None:
        if style != self._style:
            self.flush()
            self._style = style
        self._run += chunk

    def flush(self) -> None:
        if self._run:
            self.text.append(self._run, self._style or None)
        self._run = ""


def value_table(
    image: np.ndarray,
    normalized: np.ndarray,
    cursor: tuple[int, int],
    rows: tuple[int, int],
    cols: tuple[int, int],
    decimals: int = 4,
) -> Text:
    """Raw 0..255 values beside the same pixels after normalisation, for a window of rows and
    columns: a header line of column numbers, then one line a pixel row. Zeros are dim (the
    garment's shape shows), the cursor is reversed."""
    wide = decimals + 3  # "-0.8103": a sign, a digit, a point, the decimals
    header = _Line()
    header.add("row", "dim")
    header.add("".join(f" {col:>3}" for col in range(*cols)), "bold")
    header.add(" │", "dim")
    header.add("".join(f" {col:>{wide}}" for col in range(*cols)), "bold")
    header.flush()
    lines = [header.text]
    for row in range(*rows):
        line = _Line()
        line.add(f"{row:>3}", "dim")
        for col in range(*cols):
            raw = int(image[row, col])
            line.add(" ")
            line.add(f"{raw:>3}", _style(raw == 0, (row, col) == cursor))
        line.add(" │", "dim")
        for col in range(*cols):
            value = float(normalized[row, col])
            shown = "0" if value == 0 else f"{value:.{decimals}f}"
            line.add(" ")
            line.add(f"{shown:>{wide}}", _style(value == 0, (row, col) == cursor))
        line.flush()
        lines.append(line.text)
    return Text("\n", no_wrap=True, overflow="crop").join(lines)


def _style(is_zero: bool, is_cursor: bool) -> str:
    if is_cursor:
        return "reverse bold"
    return "dim" if is_zero else ""


def class_bars(counts: dict[str, int], width: int = 20) -> Table:
    """Class balance as bars of block characters, with the count after each."""
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), pad_edge=False)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    biggest = max(counts.values(), default=0) or 1
    for name, count in counts.items():
        bar = "█" * max(1 if count else 0, round(width * count / biggest))
        table.add_row(name, Text(bar, style="bold"), f"{count:,}")
    return table


def thumbnail(image: np.ndarray, factor: int = 2) -> np.ndarray:
    """The garment shrunk by `factor` (mean of each block), still uint8: a gallery thumbnail."""
    side = image.shape[0] // factor
    blocks = image[: side * factor, : side * factor].reshape(side, factor, side, factor)
    shrunk: np.ndarray = np.rint(blocks.mean(axis=(1, 3))).astype(np.uint8)
    return shrunk


def garment_picture(
    image: np.ndarray,
    mode: str,
    zoom: int = 1,
    cursor: tuple[int, int] | None = None,
    cursor_color: tuple[int, int, int] = (255, 0, 255),
) -> RenderableType:
    """Any uint8 image of even height, drawn the way `mode` says (see tui.terminal):
    "truecolor", "256", "shades" or "ascii"."""
    if mode == "ascii":
        return ascii_garment(image, zoom, cursor)
    if mode == "shades":
        return ascii_garment(image, zoom, cursor, SHADE_RAMP)
    if mode == "256":
        return palette_garment(image, zoom, cursor, cursor_color)
    return garment_pixels(image, zoom, cursor, cursor_color)


BLOCKS = " ▁▂▃▄▅▆▇█"


def histogram_chart(
    counts: np.ndarray, height: int, low: str, high: str, title: str, bins: int = 32
) -> Text:
    """A vertical bar chart of a 256-value histogram in `bins` columns, `height` rows high.

    The zero bin of Fashion-MNIST holds half of all pixels; it is clipped to the tallest other
    bar and marked, so the shape of the rest stays visible.
    """
    grouped = counts.reshape(bins, -1).sum(axis=1).astype(np.float64)
    clipped = False
    if bins > 1 and grouped[0] > 0:
        rest = grouped[1:].max()
        if rest > 0 and grouped[0] > 2 * rest:
            grouped[0], clipped = rest * 1.05, True
    peak = grouped.max() or 1.0
    levels = np.rint(grouped / peak * height * 8).astype(int)
    text = Text(no_wrap=True)
    text.append(f"{title}\n", style="bold")
    for row in range(height, 0, -1):
        line = ""
        for level in levels:
            fill = level - (row - 1) * 8
            line += BLOCKS[max(0, min(8, fill))]
        text.append(line, style="bold")
        text.append("\n")
    text.append(f"{low}{high:>{bins - len(low)}}\n", style="dim")
    if clipped:
        share = counts[: 256 // bins].sum() / max(counts.sum(), 1)
        text.append(f"first bar clipped: it holds {share:.1%} of the pixels", style="dim italic")
    text.rstrip()
    return text
