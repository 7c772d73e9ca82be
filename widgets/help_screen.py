"""The help overlay: every key with what it does, and what each pane shows."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

PANES = (
    ("Garment", "the selected image, two pixels per cell; the cursor pixel is highlighted"),
    ("Before/after", "raw 0..255 values beside the same pixels / 255.0"),
    ("Stats", "both splits before and after normalisation, memory, class balance"),
    ("Log", "TensorFlow version, devices, where the data came from"),
)


def keys_table(keys: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True, justify="right")
    table.add_column()
    for key, description in keys:
        table.add_row(key, description)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the keys it is given; closes on Escape, ? or q."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close help"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        panes = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
        panes.add_column(style="bold", no_wrap=True, justify="right")
        panes.add_column()
        for name, what in PANES:
            panes.add_row(name, what)
        with VerticalScroll(id="help-box"):
            yield Static(Text("Keys", style="bold underline"))
            yield Static(keys_table(self.keys))
            yield Static(Text("\nPanes", style="bold underline"))
            yield Static(panes)
            yield Static(Text("\nEscape, ? or q closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
