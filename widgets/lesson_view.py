"""The lesson: the tutorial step, one line of code at a time, with the value it produces."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class LessonStep:
    """A line of the tutorial, why it is there, and what it gives for the current garment."""

    code: str
    explanation: str
    value: str


def lesson_renderable(steps: list[LessonStep], current: int, theme: str) -> RenderableType:
    """All lines as code; the current one expanded with its explanation and live value."""
    from rich.syntax import Syntax  # pygments is slow to import; only the lesson needs it

    parts: list[RenderableType] = []
    for number, step in enumerate(steps):
        chosen = number == current
        marker = Text("▶ " if chosen else "  ", style="bold")
        code = Syntax(step.code, "python", theme=theme, background_color="default",
                      word_wrap=True)
        parts.append(_line(marker, number, code))
        if chosen:
            body = Group(Text(step.explanation, style="italic"), Text(""),
                         Text(step.value, no_wrap=True, overflow="crop"))
            parts.append(Panel(body, title="what it gives", title_align="left",
                               border_style="dim", expand=True))
    return Group(*parts)


def _line(marker: Text, number: int, code: RenderableType) -> RenderableType:
    """A numbered line of code, wrapped under itself when the pane is narrow."""
    row = Table.grid(padding=(0, 1, 0, 0))
    row.add_column(no_wrap=True)
    row.add_column(ratio=1)
    row.add_row(marker + Text(f"{number + 1}.", style="dim"), code)
    return row


class LessonView(Static):
    """Shows the lesson steps it is given."""

    HELP = """
## Lesson

The tutorial step, line by line, with what each line gives for the garment you selected.

- **Up/down** (or **J/K**) move between lines; `fashion-tui lesson --export FILE.py` writes the
  script so a student can run it.
"""
