"""Pick a class to filter by, or none: a short list that answers to arrows, Enter and digits."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

ALL = -1


class ClassPicker(ModalScreen[int | None]):
    """Dismisses with a label (0..9), ALL to clear the filter, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("q", "app.quit", "Quit"),
    ]
    AUTO_FOCUS = "#class-options"

    def __init__(self, names: list[str], counts: list[int], current: int) -> None:
        super().__init__()
        self.names = names
        self.counts = counts
        self.current = current
        self._answered = False

    def compose(self) -> ComposeResult:
        options = [Option("All classes (no filter)", id=str(ALL))]
        options += [
            Option(f"{label}  {name:<12} {count:>6,}", id=str(label))
            for label, (name, count) in enumerate(zip(self.names, self.counts, strict=True))
        ]
        with Vertical(id="picker-box") as box:
            box.border_title = "Show only one class"
            yield OptionList(*options, id="class-options")
            yield Label("Enter picks · a digit picks that class · Escape cancels",
                        id="picker-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = self.current + 1

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self._answer(int(event.option.id or ALL))

    def on_key(self, event: events.Key) -> None:
        if event.character is not None and event.character.isdigit():
            event.stop()  # the screen below would take the digit as a filter toggle
            event.prevent_default()
            self._answer(int(event.character))

    def action_cancel(self) -> None:
        self._answer(None)

    def _answer(self, label: int | None) -> None:
        """Dismiss once: keys that arrive together (a repeat, a slow link) must not answer
        twice."""
        if not self._answered:
            self._answered = True
            self.dismiss(label)
