"""A small dialog that asks for a garment index and refuses anything outside the split."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


def parse_index(text: str, count: int) -> int | str:
    """The index typed, or a message saying what is wrong with it."""
    text = text.strip().replace(",", "").replace("_", "")
    if not text:
        return "Type a number."
    if text.isdigit() and len(text) > 12:
        return f"That number is far too large: the last garment is {count - 1:,}."
    try:
        value = int(text)
    except ValueError:
        return f"{text!r} is not a whole number."
    if not 0 <= value < count:
        return f"{value} is outside 0..{count - 1:,}."
    return value


class GotoDialog(ModalScreen[int | None]):
    """Returns the chosen index, or None when cancelled with Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#goto-input"  # the app focuses nothing by default; this dialog is for typing

    def __init__(self, split: str, count: int, current: int) -> None:
        super().__init__()
        self.split = split
        self.count = count
        self.current = current
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="goto-box"):
            yield Label(f"Go to which {self.split} garment? (0..{self.count - 1:,})")
            yield Input(placeholder=f"an index, e.g. {min(42, self.count - 1)}", id="goto-input")
            yield Label("Enter to go, Escape to cancel", id="goto-error")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        result = parse_index(event.value, self.count)
        if isinstance(result, str):
            error = self.query_one("#goto-error", Label)
            error.update(result)
            error.add_class("-error")
            return
        self._answer(result)

    def action_cancel(self) -> None:
        self._answer(None)

    def _answer(self, index: int | None) -> None:
        """Dismiss once: Enter and Escape arriving together must not answer twice."""
        if not self._answered:
            self._answered = True
            self.dismiss(index)
