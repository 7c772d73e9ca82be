"""Save a garment (PNG, CSV) or the lesson script, never leaving a half-written file.

Each file is written to a temporary file in the target folder and renamed over the target, so
a reader sees the old file or the whole new one; a failure removes the temporary file and
raises ExportError with a one-line reason.

CSV layout: a header `row,col,raw,normalized`, then one line per pixel in row-major order
(784 lines for 28x28); `raw` is the uint8 value, `normalized` the float64 value written with
Python's repr, the shortest text that reads back as exactly the same float.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import numpy as np

CSV_HEADER = ("row", "col", "raw", "normalized")
MAX_SCALE = 64  # 28 * 64 = 1792 pixels a side is plenty; far larger only fills the disk


class ExportError(OSError):
    """A file could not be written; the message says which and why, in one line.

    An OSError, so callers that already handle I/O failures handle this one too."""


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename."""
    path = Path(path)
    if path.is_symlink():  # write the file the link points to, keep the link
        path = path.resolve()
    if path.exists() and not path.is_file() and not path.is_dir():
        raise ExportError(f"cannot write {path}: it is not a regular file (a device or a pipe?)")
    folder = path.parent
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        raise ExportError(f"cannot write {path}: the folder {folder} {reason}")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise ExportError(f"cannot write {path}: {_reason(error)}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; an export is for sharing
        os.replace(temporary, path)
    except OSError as error:
        raise ExportError(f"cannot write {path}: {_reason(error)}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` as UTF-8 (newlines as given) to `path`, all or nothing."""
    write_bytes_atomically(path, text.encode("utf-8"))


def upscaled(image: np.ndarray, scale: int) -> np.ndarray:
    """`image` with every pixel repeated into a `scale` x `scale` block (nearest neighbour)."""
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def png_bytes(image: np.ndarray, scale: int = 10) -> bytes:
    """An 8-bit greyscale PNG of the (h, w) uint8 `image`, pixels as square blocks, values exact."""
    from PIL import Image  # only when exporting: the headless modules import NumPy alone

    _check_image(image)
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be 1..{MAX_SCALE}, got {scale}")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(upscaled(image, scale))).convert("L").save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def write_png(image: np.ndarray, path: Path, scale: int = 10) -> None:
    """Save the garment as a greyscale PNG, `scale` screen pixels per garment pixel."""
    write_bytes_atomically(path, png_bytes(image, scale))


def csv_text(raw: np.ndarray, normalized: np.ndarray) -> str:
    """The garment's values in the module's CSV layout."""
    _check_image(raw)
    if normalized.shape != raw.shape:
        raise ValueError(f"normalized values {normalized.shape} do not match {raw.shape}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for (row, col), value in np.ndenumerate(raw):
        writer.writerow((row, col, int(value), repr(float(normalized[row, col]))))
    return out.getvalue()


def write_csv(raw: np.ndarray, normalized: np.ndarray, path: Path) -> None:
    """Save the garment's raw and normalised values, one line per pixel (see the module doc)."""
    write_text_atomically(path, csv_text(raw, normalized))


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a file written by `write_csv` back: (raw uint8, normalized float64), both exact."""
    with Path(path).open(newline="") as stream:
        rows = list(csv.reader(stream))
    if not rows or tuple(rows[0]) != CSV_HEADER:
        raise ValueError(f"{path}: not a fashion-tui CSV (header {rows[:1]})")
    cells = rows[1:]
    height = 1 + max(int(r[0]) for r in cells)
    width = 1 + max(int(r[1]) for r in cells)
    raw = np.zeros((height, width), dtype=np.uint8)
    normalized = np.zeros((height, width), dtype=np.float64)
    for row, col, value, scaled in cells:
        raw[int(row), int(col)] = int(value)
        normalized[int(row), int(col)] = float(scaled)
    return raw, normalized


def _check_image(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 2:
        raise ValueError(f"expected an (h, w) uint8 image, got {image.shape} {image.dtype}")


def _reason(error: OSError) -> str:
    """An OSError in plain words, without the errno prefix or the repeated path."""
    return (error.strerror or str(error)).lower()
