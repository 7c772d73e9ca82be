"""Classes side by side: each class's average garment, its spread, and its share of the split."""

from __future__ import annotations

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from widgets.renderers import garment_picture, thumbnail

CELL_WIDTH = 31
BAR_WIDTH = 16


def class_cell(
    label: int, name: str, mean: np.ndarray, std: np.ndarray, count: int, biggest: int,
    selected: bool, filtered: bool, mode: str,
) -> RenderableType:
    """One class: heading, mean image beside its spread (std, doubled to be visible), a bar."""
    heading = Text(f"{label} {name}", style="reverse bold" if selected else "bold")
    if filtered:
        heading.append("  (filter)", style="italic")
    pictures = Table.grid(padding=(0, 1, 0, 0))
    pictures.add_column(width=14)
    pictures.add_column(width=14)
    mean_img = thumbnail(np.rint(mean).astype(np.uint8))
    spread_img = thumbnail(np.clip(np.rint(std * 2), 0, 255).astype(np.uint8))
    pictures.add_row(garment_picture(mean_img, mode),
                     garment_picture(spread_img, mode))
    pictures.add_row(Text("mean", style="dim"), Text("spread", style="dim"))
    bar = "█" * max(1 if count else 0, round(BAR_WIDTH * count / max(biggest, 1)))
    balance = Text(f"{bar:<{BAR_WIDTH}} {count:,}", no_wrap=True)
    return Group(heading, pictures, balance)


class ClassBoard(Widget):
    """All ten classes in a grid; the screen says which is selected and which filters."""

    HELP = """
## Classes

For each class: the average garment (mean of every image of the class), its spread (the
standard deviation of each pixel, doubled so it shows), and how many garments it has.

- **Arrows** move, **Enter** (or the class's digit) shows only that class everywhere.
"""

    DEFAULT_CSS = """
    ClassBoard { height: auto; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells: list[RenderableType] = []

    def columns(self) -> int:
        return max(1, (self.content_size.width + 2) // (CELL_WIDTH + 2))

    def show(
        self, names: list[str], means: np.ndarray, stds: np.ndarray, counts: list[int],
        selected: int, filtered: int | None, mode: str,
    ) -> None:
        biggest = max(counts, default=0)
        self._cells = [
            class_cell(label, name, means[label], stds[label], counts[label], biggest,
                       label == selected, label == filtered, mode)
            for label, name in enumerate(names)
        ]
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        grid = Table.grid(padding=(0, 2, 1, 0))
        columns = self.columns()
        for _ in range(columns):
            grid.add_column(width=CELL_WIDTH)
        for start in range(0, len(self._cells), columns):
            grid.add_row(*self._cells[start:start + columns])
        return grid
