"""Plain-text reports for the CLI: the stats table and the `show` command's garment and values."""

from __future__ import annotations

import sys

import numpy as np
from rich.console import Console

from tui.data_service import Sample, SplitStats
from tui.data_sources import Candidate
from widgets.renderers import ascii_garment, garment_pixels

MB = 1_000_000


def stats_report(source: Candidate, splits: list[SplitStats]) -> str:
    """The stats pane's numbers as aligned text."""
    lines = [f"Source: {source.describe()}", ""]
    lines.append(f"{'split':<6} {'count':>7} {'shape':>6} {'dtype':>8} {'mean':>9} {'std':>9} "
                 f"{'min':>4} {'max':>4}")
    for s in splits:
        lines.append(f"{s.split:<6} {s.count:>7,} {s.shape[0]:>3}x{s.shape[1]:<2} {s.dtype:>8} "
                     f"{s.pixel_mean:>9.4f} {s.pixel_std:>9.4f} {s.pixel_min:>4} {s.pixel_max:>4}")
        lines.append(f"{'/255.0':<6} {'':>7} {'':>6} {'float64':>8} {s.normalized_mean:>9.4f} "
                     f"{s.normalized_std:>9.4f} {s.normalized_min:>4g} {s.normalized_max:>4g}")
    lines.append("")
    for s in splits:
        ratio = s.bytes_float64 // max(s.bytes_uint8, 1)
        lines.append(f"Memory {s.split}: uint8 {s.bytes_uint8 / MB:.1f} MB, float64 after / 255.0 "
                     f"{s.bytes_float64 / MB:.1f} MB ({ratio}x); "
                     f"{s.zero_fraction:.1%} of pixels are 0")
    lines.append("")
    names = list(splits[0].class_counts)
    lines.append(f"{'class':<12}" + "".join(f"{s.split:>8}" for s in splits))
    for name in names:
        lines.append(f"{name:<12}" + "".join(f"{s.class_counts[name]:>8,}" for s in splits))
    return "\n".join(lines)


def value_grid(values: np.ndarray, cols: range, width: int, fmt: str) -> list[str]:
    """Rows of right-aligned values for the columns in `cols`; zeros print as a bare 0."""
    lines = ["row " + "".join(f"{c:>{width}}" for c in cols)]
    for row in range(values.shape[0]):
        cells = ("0" if values[row, c] == 0 else format(values[row, c], fmt) for c in cols)
        lines.append(f"{row:>3} " + "".join(f"{cell:>{width}}" for cell in cells))
    return lines


def print_sample(sample: Sample, normalized: np.ndarray, ascii_only: bool) -> None:
    """Print the garment, its label and its values before and after / 255.0."""
    console = Console(highlight=False)
    use_colour = not ascii_only and console.is_terminal and console.color_system is not None
    print(f"{sample.split}[{sample.index}]  label {sample.label}  {sample.label_name}")
    print()
    if use_colour:
        console.print(garment_pixels(sample.image))
    else:
        print(ascii_garment(sample.image).plain)
    print()
    print("Raw pixels (uint8, 0..255)")
    print("\n".join(value_grid(sample.image, range(28), 4, "d")))
    for half in (range(0, 14), range(14, 28)):
        print()
        print(f"After / 255.0 (float64, 4 decimals shown), columns {half.start}-{half.stop - 1}")
        print("\n".join(value_grid(normalized, half, 7, ".4f")))
    sys.stdout.flush()
