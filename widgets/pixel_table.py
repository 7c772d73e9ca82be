"""The before/after table: raw uint8 values beside the same pixels divided by 255.0."""

from __future__ import annotations

import numpy as np
from rich.console import RenderableType
from textual.geometry import Size
from textual.widget import Widget

from widgets.renderers import value_table, window_bounds

ROW_LABEL_WIDTH = 3
RAW_CELL_WIDTH = 4  # a space and "255"
SEPARATOR_WIDTH = 2  # " │"


class PixelTable(Widget):
    """Shows the window of pixels around the cursor that fits the pane's size."""

    HELP = """
## Before / after normalisation

Left: the raw pixel values (uint8, 0..255). Right: the same pixels after `/ 255.0`
(float64, 0..1), as the tutorial computes them. The reversed cell is the cursor, which is
also highlighted in the garment pane.

- **Arrow keys** or **H J K L** move the cursor; the table scrolls to keep it in view.
"""

    DEFAULT_CSS = """
    PixelTable { height: 1fr; width: 1fr; }
    """

    def __init__(self, *, decimals: int = 4, id: str | None = None) -> None:
        super().__init__(id=id)
        self.decimals = decimals
        self._raw: np.ndarray | None = None
        self._normalized: np.ndarray | None = None
        self._cursor = (0, 0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Ask for little: the pane fills whatever its row gives it (the garment sets the
        row's height) and shows the window around the cursor that fits."""
        return 3

    def show(self, raw: np.ndarray, normalized: np.ndarray, cursor: tuple[int, int]) -> None:
        """Show these values with `cursor` highlighted and its numbers in the subtitle."""
        self._raw, self._normalized, self._cursor = raw, normalized, cursor
        row, col = cursor
        value = float(normalized[row, col])
        self.border_subtitle = (
            f"row {row}, col {col}: {int(raw[row, col])} → {value:.{self.decimals}f}"
        )
        self.refresh()

    def visible_window(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The rows and columns that fit the content area, centred on the cursor."""
        width, height = self.content_size.width, self.content_size.height
        norm_width = self.decimals + 4  # a space and "-0.8103"
        cols = max(1, (width - ROW_LABEL_WIDTH - SEPARATOR_WIDTH) // (RAW_CELL_WIDTH + norm_width))
        rows = max(1, height - 1)  # one line for the column numbers
        total_rows, total_cols = self._raw.shape if self._raw is not None else (28, 28)
        return (
            window_bounds(self._cursor[0], rows, total_rows),
            window_bounds(self._cursor[1], cols, total_cols),
        )

    def render(self) -> RenderableType:
        if self._raw is None or self._normalized is None:
            return "Loading…"
        rows, cols = self.visible_window()
        return value_table(self._raw, self._normalized, self._cursor, rows, cols, self.decimals)
