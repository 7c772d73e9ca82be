"""The log pane: what the app did and what TensorFlow reported, one line an event."""

from __future__ import annotations

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

LEVEL_STYLES = {"info": "", "ok": "bold green", "warn": "bold yellow", "error": "bold red"}


class ActivityLog(RichLog):
    """An append-only log; lines wrap at word boundaries so nothing is cut mid-word."""

    HELP = """
## Log

TensorFlow and Keras versions, the devices TensorFlow found, where the data came from and
how long loading took. TensorFlow is started after the first garment is on screen, so its
lines arrive a few seconds later.
"""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, wrap=True, markup=False, highlight=False, auto_scroll=True, min_width=10
        )
        self._entries: list[Text] = []

    def add(self, message: str, level: str = "info") -> None:
        """Append one event; `level` (info, ok, warn, error) sets its colour."""
        marker = {"info": "·", "ok": "✓", "warn": "!", "error": "✗"}.get(level, "·")
        line = Text(f"{marker} ", style=LEVEL_STYLES.get(level, ""))
        line.append(message)
        self._entries.append(line)
        self.write(line)

    @property
    def entries(self) -> list[str]:
        """The plain text of every line written, for tests and copy-paste."""
        return [entry.plain for entry in self._entries]

    def on_resize(self, event: Resize) -> None:
        """RichLog wraps lines when written; wrap them again for the new width.

        (Textual also runs RichLog's own handler, which flushes writes made before any size.)
        """
        if event.size.width and self._entries:
            self.clear()
            for line in self._entries:
                self.write(line)
