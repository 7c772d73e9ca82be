"""The garment pane: the selected image as half-block pixels, or an ASCII ramp."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from textual.widgets import Static

from widgets.renderers import garment_picture


@dataclass(frozen=True)
class GarmentFrame:
    """Everything the pane draws, handed over whole so the widget never asks for data."""

    image: np.ndarray = field(repr=False)
    title: str
    subtitle: str
    zoom: int = 1
    cursor: tuple[int, int] | None = None
    mode: str = "truecolor"  # how to draw it: truecolor, 256, shades or ascii


class GarmentView(Static):
    """Shows one garment; knows nothing of splits or services."""

    HELP = """
## Garment

The selected garment, two pixels per character cell (half blocks).
The highlighted pixel is the table's cursor.

- **z** zooms in and out, **a** switches to the ASCII ramp for terminals without colour.
"""

    DEFAULT_CSS = """
    GarmentView { width: auto; height: auto; }
    """

    _drawn_size = (0, 0)  # (columns, rows) of the garment last drawn
    def show(self, frame: GarmentFrame, cursor_rgb: tuple[int, int, int]) -> None:
        """Draw `frame`; `cursor_rgb` is the theme's accent, passed in by the screen."""
        self.border_title = frame.title
        self.border_subtitle = frame.subtitle
        size = (frame.image.shape[1] * frame.zoom, frame.image.shape[0] * frame.zoom // 2)
        # Only a new size needs a new layout; otherwise repaint this pane alone (a step then
        # sends the garment's cells, not the whole screen).
        self.update(
            garment_picture(frame.image, frame.mode, frame.zoom, frame.cursor, cursor_rgb),
            layout=size != self._drawn_size,
        )
        self._drawn_size = size
