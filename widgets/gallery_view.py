"""The gallery: a screenful of thumbnails, one of them selected, each with its class."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget

from widgets.renderers import garment_picture, thumbnail

THUMB_WIDTH = 14  # a 28x28 garment halved: 14 columns x 7 rows of half blocks
CELL_WIDTH = THUMB_WIDTH + 2
CELL_HEIGHT = 7 + 2  # the picture, its caption, a blank line


@dataclass(frozen=True)
class Thumb:
    """One gallery cell: which garment, its pixels, its caption, and whether to mark it."""

    index: int
    image: np.ndarray = field(repr=False)
    caption: str
    marked: bool = False
    detail: str = ""  # an optional second, dimmer caption line


def gallery_grid(
    thumbs: list[Thumb], selected: int, columns: int, mode: str
) -> RenderableType:
    """Thumbnails in rows of `columns`; the selected one has a reversed caption and arrows."""
    grid = Table.grid(padding=(0, 2, 1, 0))
    for _ in range(columns):
        grid.add_column(width=THUMB_WIDTH, no_wrap=True)
    row: list[RenderableType] = []
    for position, thumb in enumerate(thumbs):
        is_selected = position == selected
        caption = Text(thumb.caption[:THUMB_WIDTH].ljust(THUMB_WIDTH), no_wrap=True,
                       style="reverse bold" if is_selected else ("bold" if thumb.marked else "dim"))
        lines: list[RenderableType] = [garment_picture(thumbnail(thumb.image), mode),
                                       caption]
        if thumb.detail:
            lines.append(Text(thumb.detail[:THUMB_WIDTH], style="dim", no_wrap=True))
        row.append(Group(*lines))
        if len(row) == columns:
            grid.add_row(*row)
            row = []
    if row:
        grid.add_row(*row)
    return grid


class GalleryView(Widget):
    """Shows the thumbnails it is given and reports how many fit, so the screen can page."""

    HELP = """
## Gallery

A screenful of garments; the selected one is the garment of every other view.

- **Arrows** or **H J K L** move, **j**/**k** step, **Enter** opens it in the browse view.
- **0**-**9** show one class only; **f** picks a class; the same digit again clears.
"""

    DEFAULT_CSS = """
    GalleryView { height: 1fr; width: 1fr; }
    """

    class Resized(Message):
        """The number of thumbnails that fit changed."""

        def __init__(self, columns: int, rows: int) -> None:
            super().__init__()
            self.columns = columns
            self.rows = rows

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._thumbs: list[Thumb] = []
        self._selected = 0
        self._mode = "truecolor"

    def capacity(self) -> tuple[int, int]:
        """(columns, rows) of thumbnails that fit the content area, at least 1x1."""
        width, height = self.content_size.width, self.content_size.height
        return max(1, (width + 2) // CELL_WIDTH), max(1, (height + 1) // CELL_HEIGHT)

    def on_resize(self, event: Resize) -> None:
        self.post_message(self.Resized(*self.capacity()))

    def show(self, thumbs: list[Thumb], selected: int, mode: str) -> None:
        self._thumbs, self._selected, self._mode = thumbs, selected, mode
        self.refresh()

    def render(self) -> RenderableType:
        if not self._thumbs:
            return Text("No garments to show.", style="dim")
        columns = self.capacity()[0]
        return gallery_grid(self._thumbs, self._selected, columns, self._mode)
