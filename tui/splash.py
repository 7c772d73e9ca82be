"""The first garment on the terminal before Textual has even been imported.

Importing Textual and starting the app takes about half a second on a small machine, and over
a slow link longer; the garment itself is a few hundred bytes of the image file away. So the
command draws it at once, on the alternate screen that the app then takes over and repaints.
"""

from __future__ import annotations

import io
import sys
from typing import TextIO

from tui.data_service import Sample
from tui.terminal import ASCII, TerminalProfile

ENTER = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J"  # alternate screen, hidden cursor, cleared
LEAVE = "\x1b[?1049l\x1b[?25h"  # the main screen back, then the cursor (as Textual does)


def splash_text(sample: Sample, profile: TerminalProfile) -> str:
    """The escape sequences that draw `sample` with a title line, as the garment pane will."""
    from rich.console import Console

    from widgets.renderers import garment_picture

    buffer = io.StringIO()
    colour = {"truecolor": "truecolor", "256": "256", "16": "standard"}.get(profile.colors)
    console = Console(file=buffer, force_terminal=True, color_system=colour,  # type: ignore[arg-type]
                      width=40, highlight=False, legacy_windows=False)
    console.print(f" {sample.split}[{sample.index}] {sample.label_name}", style="bold")
    console.print(garment_picture(sample.image, profile.render_mode))
    console.print(" loading…", style="dim")
    return ENTER + buffer.getvalue().replace("\n", "\r\n")


def draw(sample: Sample, profile: TerminalProfile, stream: TextIO | None = None) -> bool:
    """Draw the splash on a real terminal (not when output is piped); True if drawn."""
    out = stream or sys.__stderr__
    if out is None or not out.isatty() or (profile.render_mode == ASCII and not profile.unicode):
        return False
    out.write(splash_text(sample, profile))
    out.flush()
    return True
