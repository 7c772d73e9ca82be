"""The normalisation lab: every mode's formula and figures, and histograms before and after."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

MB = 1_000_000


@dataclass(frozen=True)
class LabMode:
    """One normalisation mode with the figures it produces, as plain values."""

    title: str
    formula: str
    explanation: str
    split_mean: float
    split_std: float
    split_min: float
    split_max: float
    garment_mean: float
    garment_std: float


def modes_table(modes: list[LabMode], current: int, decimals: int) -> Table:
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("mode and formula", overflow="fold", min_width=12)  # wraps when narrow
    for title in ("split mean", "std", "min", "max", "garment mean", "std"):
        table.add_column(title, justify="right", no_wrap=True)
    for position, mode in enumerate(modes):
        chosen = position == current
        name = Text(mode.title, style="bold")
        name.append(f"\n{mode.formula}", style="italic")
        figures = (mode.split_mean, mode.split_std, mode.split_min, mode.split_max,
                   mode.garment_mean, mode.garment_std)
        table.add_row(
            "▶" if chosen else "", name, *(_fixed(v, decimals) for v in figures),
            style="reverse" if chosen else "",
        )
    return table


def _fixed(value: float, decimals: int) -> str:
    """`value` to `decimals` places, without the "-0.0000" that rounding noise would print."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def memory_line(memory: tuple[int, int, int]) -> Text:
    """What holding the whole split costs as (uint8, float64, float32) bytes: the 8x of
    float64 made visible."""
    uint8, float64, float32 = memory
    text = Text("Memory for the whole split: ", style="bold")
    text.append(f"uint8 {uint8 / MB:.1f} MB · float64 {float64 / MB:.1f} MB (8x) · "
                f"float32 {float32 / MB:.1f} MB (4x)")
    return text


def lab_renderable(
    heading: str, modes: list[LabMode], current: int, charts: list[Text], decimals: int,
    memory: tuple[int, int, int],
) -> RenderableType:
    """The whole lab: heading, modes table, the current mode's explanation, memory, charts."""
    explanation = Text(modes[current].explanation, style="italic")
    pairs = Table.grid(padding=(0, 4, 1, 0))
    pairs.add_column()
    pairs.add_column()
    for start in range(0, len(charts), 2):
        pairs.add_row(*charts[start:start + 2])
    return Group(Text(heading, style="bold"), Text(""), modes_table(modes, current, decimals),
                 Text(""), explanation, memory_line(memory), Text(""), pairs)


class LabView(Static):
    """Shows the lab's figures; the screen computes them through the data service."""

    HELP = """
## Normalisation lab

The tutorial divides by 255.0. Other choices: standardising with the training split's mean
and std, stretching each image to 0..1, or the common mistake of using MNIST's constants
(0.1307, 0.3081) on Fashion-MNIST. Same data, other numbers: compare the means and stds.

- **Up/down** (or **o**) choose the mode; it applies to the before/after table too.
"""
