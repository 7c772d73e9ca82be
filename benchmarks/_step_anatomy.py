"""What the bytes of one screen update are made of: escape sequences vs text, bursts, panes.

Used by bench_app.py to say what dominates the bytes written per `j` step.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_TOKEN = re.compile(
    rb"\x1b\[([0-9;?<>=]*)([ -/]*[@-~])"  # CSI
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    rb"|\x1b[^\[\]]"  # other two-byte escapes
    rb"|[^\x1b]+",  # text and control characters
    re.S,
)


@dataclass(frozen=True)
class Pane:
    """A rounded-border box found on the screen (0-based, inclusive corners)."""

    title: str
    top: int
    left: int
    bottom: int
    right: int

    def holds(self, row: int, col: int) -> bool:
        return self.top <= row <= self.bottom and self.left <= col <= self.right


def find_panes(rows: list[str]) -> list[Pane]:
    """Boxes drawn with ╭ ╮ ╰ corners, titled by the text in their top border."""
    panes = []
    for y, row in enumerate(rows):
        for x, char in enumerate(row):
            if char != "╭":
                continue
            right = row.find("╮", x + 1)
            if right < 0:
                continue
            bottom = next((yy for yy in range(y + 1, len(rows))
                           if x < len(rows[yy]) and rows[yy][x] == "╰"), None)
            if bottom is None:
                continue
            title = row[x + 1:right].strip("─ ").split("─")[0].strip() or "(untitled)"
            panes.append(Pane(title, y, x, bottom, right))
    return panes


@dataclass
class Anatomy:
    total: int
    sgr_bytes: int
    sgr_count: int
    resets: int
    cursor_bytes: int
    other_escape_bytes: int
    text_bytes: int
    bursts: list[tuple[float, int, str]]  # (start ms after the key, bytes, rows touched)
    by_region: dict[str, int]

    def summary_lines(self) -> list[str]:
        pct = (lambda n: 100.0 * n / self.total) if self.total else (lambda n: 0.0)
        lines = [
            f"{self.total:,} B: SGR colour/style sequences {self.sgr_bytes:,} B "
            f"({pct(self.sgr_bytes):.0f}%, {self.sgr_count:,} sequences, "
            f"{self.resets:,} of them resets ESC[0m), text {self.text_bytes:,} B "
            f"({pct(self.text_bytes):.0f}%), cursor moves {self.cursor_bytes:,} B, "
            f"other escapes {self.other_escape_bytes:,} B",
            "bursts (ms after the key: bytes, rows): " + "; ".join(
                f"{start:.0f} ms: {size:,} B, rows {rows}" for start, size, rows in self.bursts),
            "by screen region: " + ", ".join(
                f"{name} {size / 1000:.1f} KB" for name, size in
                sorted(self.by_region.items(), key=lambda item: -item[1])),
        ]
        return lines


def _rows_text(rows: set[int]) -> str:
    """{1,2,3,7} -> '1-3,7' (1-based)."""
    if not rows:
        return "-"
    ordered = sorted(r + 1 for r in rows)
    spans = []
    start = prev = ordered[0]
    for r in ordered[1:]:
        if r != prev + 1:
            spans.append(f"{start}-{prev}" if start != prev else str(start))
            start = r
        prev = r
    spans.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(spans)


def _region(panes: list[Pane], row: int, col: int, lines: int) -> str:
    for pane in panes:
        if pane.holds(row, col):
            return pane.title
    if row == 0:
        return "header"
    if row == lines - 1:
        return "footer"
    return "other"


def anatomy(
    chunks: list[tuple[float, bytes]], key_at: float, rows: list[str], gap: float = 0.008
) -> Anatomy:
    """Dissect the chunks written after a key press (timestamps from perf_counter)."""
    panes = find_panes(rows)
    for i, pane in enumerate(panes):  # the garment pane is titled with the garment's name
        if "[" in pane.title and "]" in pane.title:
            panes[i] = Pane("garment", pane.top, pane.left, pane.bottom, pane.right)
    lines = len(rows)
    data = b"".join(d for _, d in chunks)
    # bursts: runs of chunks with less than `gap` between them
    bursts: list[tuple[float, int, str]] = []
    offsets = []
    position = 0
    current: list[int] = []
    last_t = None
    for t, d in chunks:
        if last_t is None or t - last_t > gap:
            if current:
                offsets.append(current)
            current = [position, position, round((t - key_at) * 1000)]
        current[1] = position + len(d)
        position += len(d)
        last_t = t
    if current:
        offsets.append(current)

    counts: Counter[str] = Counter()
    sgr = sgr_n = resets = cursor = other = text = 0
    row = col = 0
    pending = 0  # escape bytes waiting for the next printed character's position
    burst_rows: list[set[int]] = [set() for _ in offsets]
    burst_index = 0
    for match in _TOKEN.finditer(data):
        token = match.group(0)
        size = len(token)
        while burst_index + 1 < len(offsets) and match.start() >= offsets[burst_index + 1][0]:
            burst_index += 1
        final = match.group(2)
        if final is not None:
            if final == b"m":
                sgr += size
                sgr_n += 1
                if match.group(1) in (b"", b"0"):
                    resets += 1
                pending += size
            elif final in (b"H", b"f"):
                cursor += size
                parts = (match.group(1) or b"").split(b";")
                row = int(parts[0] or 1) - 1
                col = int(parts[1] or 1) - 1 if len(parts) > 1 else 0
                counts[_region(panes, row, col, lines)] += size
            else:
                other += size
                counts["other escapes"] += size
            continue
        if token.startswith(b"\x1b"):
            other += size
            counts["other escapes"] += size
            continue
        text += size
        decoded = token.decode("utf-8", "replace")
        for char in decoded:
            if char == "\r":
                col = 0
            elif char == "\n":
                row += 1
            elif char >= " ":
                if offsets:
                    burst_rows[burst_index].add(row)
                counts[_region(panes, row, col, lines)] += len(char.encode()) + pending
                pending = 0
                col += 1
    if pending:
        counts["other"] += pending
    for i, (start, end, ms) in enumerate(offsets):
        bursts.append((float(ms), end - start, _rows_text(burst_rows[i])))
    return Anatomy(len(data), sgr, sgr_n, resets, cursor, other, text, bursts, dict(counts))
