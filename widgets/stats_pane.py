"""The stats pane: splits, shapes, dtypes, pixel statistics before and after / 255.0, balance."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.data_service import SplitStats
from widgets.renderers import class_bars

MB = 1_000_000


NARROW = 56  # below this many columns the table is stacked, one split at a time


def narrow_table(splits: list[SplitStats]) -> RenderableType:
    """The same figures for a narrow pane: a heading line per split, then raw and /255.0 rows."""
    parts: list[RenderableType] = []
    for s in splits:
        heading = f"{s.split}: {s.count:,} images of {s.shape[0]}x{s.shape[1]}"
        parts.append(Text(heading, style="bold"))
        table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="dim")
        for title in ("", "mean", "std", "min", "max"):
            table.add_column(title, justify="right" if title else "left", no_wrap=True)
        table.add_row(f"{s.dtype}", f"{s.pixel_mean:.2f}", f"{s.pixel_std:.2f}",
                      str(s.pixel_min), str(s.pixel_max))
        table.add_row(Text("/255.0", style="italic"), f"{s.normalized_mean:.4f}",
                      f"{s.normalized_std:.4f}", f"{s.normalized_min:g}", f"{s.normalized_max:g}")
        parts.append(table)
    return Group(*parts)


def stats_renderable(
    splits: list[SplitStats], balance_split: str, bar_width: int, width: int = 80
) -> RenderableType:
    """The pane's content: a table of pixel statistics, memory, then the class balance."""
    if width < NARROW:
        return _assemble(narrow_table(splits), splits, balance_split, bar_width, width)
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for title, justify in (("split", "left"), ("count", "right"), ("shape", "left"),
                           ("dtype", "left"), ("mean", "right"), ("std", "right"),
                           ("min", "right"), ("max", "right")):
        table.add_column(title, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for s in splits:
        shape = f"{s.shape[0]}x{s.shape[1]}"
        table.add_row(s.split, f"{s.count:,}", shape, s.dtype, f"{s.pixel_mean:.2f}",
                      f"{s.pixel_std:.2f}", str(s.pixel_min), str(s.pixel_max))
        table.add_row(Text("/255.0", style="italic"), "", "", "float64",
                      f"{s.normalized_mean:.4f}", f"{s.normalized_std:.4f}",
                      f"{s.normalized_min:g}", f"{s.normalized_max:g}")
    return _assemble(table, splits, balance_split, bar_width, width)


def _assemble(
    table: RenderableType, splits: list[SplitStats], balance_split: str, bar_width: int, width: int
) -> RenderableType:
    memory = Text()
    for s in splits:
        ratio = s.bytes_float64 / s.bytes_uint8 if s.bytes_uint8 else 0
        memory.append(f"{s.split}: ", style="bold")
        joiner = "\n  " if width < NARROW else " "
        memory.append(f"uint8 {s.bytes_uint8 / MB:.1f} MB →{joiner}float64 "
                      f"{s.bytes_float64 / MB:.1f} MB ({ratio:.0f}x)\n")
    memory.rstrip()
    chosen = next((s for s in splits if s.split == balance_split), splits[0])
    heading = Text(f"Class balance ({chosen.split})", style="bold")
    return Group(table, Text(""), memory, Text(""), heading,
                 class_bars(chosen.class_counts, bar_width))


class StatsPane(Static):
    """Shows the figures it is given; the screen decides which split's balance to show."""

    HELP = """
## Stats

Both splits: count, image shape, dtype and pixel statistics, first as stored (uint8, 0..255)
and then after `/ 255.0` (float64, 0..1). Memory shows the 8x cost of float64.
The bars are the class balance of the split you are browsing (**t** switches it).
"""

    def show(self, splits: list[SplitStats], balance_split: str) -> None:
        self._figures = (splits, balance_split)
        self._redraw()

    def on_resize(self) -> None:
        if hasattr(self, "_figures"):
            self._redraw()

    def _redraw(self) -> None:
        splits, balance_split = self._figures
        bar_width = min(30, max(4, self.content_size.width - 20))
        self.update(stats_renderable(splits, balance_split, bar_width, self.content_size.width))
