"""Look-alikes: the garments nearest to the selected one, with class and distance."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widget import Widget

from widgets.gallery_view import CELL_WIDTH, Thumb, gallery_grid


class SimilarView(Widget):
    """The query garment, then its nearest neighbours; another class is marked with '≠'."""

    HELP = """
## Look-alikes

The garments of the training split nearest to the selected one (Euclidean distance on the
raw pixels). A look-alike of another class is marked with ≠: the kind of garment a
nearest-neighbour classifier gets wrong.

- **Arrows** move, **Enter** opens the look-alike.
"""

    DEFAULT_CSS = """
    SimilarView { height: 1fr; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._heading = Text("Select a garment and press s.", style="dim")
        self._thumbs: list[Thumb] = []
        self._selected = 0
        self._mode = "truecolor"

    def columns(self) -> int:
        return max(1, (self.content_size.width + 2) // CELL_WIDTH)

    def show(self, heading: Text, thumbs: list[Thumb], selected: int, mode: str) -> None:
        self._heading, self._thumbs = heading, thumbs
        self._selected, self._mode = selected, mode
        self.refresh()

    def render(self) -> RenderableType:
        if not self._thumbs:
            return self._heading
        grid = gallery_grid(self._thumbs, self._selected, self.columns(), self._mode)
        return Group(self._heading, Text(""), grid)

    def select(self, position: int) -> None:
        """Move the highlight without recomputing the look-alikes."""
        self._selected = position
        self.refresh()
