"""Read IDX files (the format of MNIST and Fashion-MNIST) with NumPy, checking every header.

Keras' own loader skips the header and trusts the bytes; we check the magic number, the
dimensions and the byte count, so a wrong or damaged file is named with a reason instead of
turning into garbage pixels.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051  # 0x00000803: unsigned byte, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned byte, 1 dimension
IMAGE_SIDE = 28
GZIP_MAGIC = b"\x1f\x8b"
IDX_MAGIC_BYTES = (struct.pack(">I", IMAGES_MAGIC), struct.pack(">I", LABELS_MAGIC))
FETCH_AGAIN = (
    "Fetch it again: `fashion-tui download --force` replaces damaged files "
    "in the Keras cache (or in --data-dir DIR)"
)


@dataclass(frozen=True)
class DataFileError(Exception):
    """A data file that cannot be used: which file, what is wrong, how to fix it."""

    path: Path
    reason: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.reason}"
        return f"{text}. {self.fix}" if self.fix else text


def what_it_looks_like(raw: bytes) -> str:
    """Plain words for the content of a file that should have been gzip or IDX."""
    head = raw[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head:
        return "an HTML page, not data (saved from a proxy, a login portal or an error page?)"
    if head.startswith((b"<?xml", b"<error")):
        return "an XML document, not data (a cloud storage error page?)"
    if raw.startswith(b"PK\x03\x04"):
        return "a ZIP archive; unpack it first"
    if head.startswith((b"{", b"[")):
        return "a JSON document, not data"
    if raw.isascii():
        return f"a text file, not data (it starts {raw[:40]!r})"
    return f"neither gzip nor IDX (it starts with bytes {raw[:4].hex(' ')})"


def read_file_bytes(path: Path) -> bytes:
    """Return the decompressed content of `path`: gzip, or an uncompressed IDX file as is."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(path, "file not found", FETCH_AGAIN) from None
    except PermissionError:
        raise DataFileError(
            path, "permission denied", "Make it readable (chmod a+r) or copy it elsewhere."
        ) from None
    except IsADirectoryError:
        raise DataFileError(path, "is a folder, not a file") from None
    except OSError as error:
        raise DataFileError(path, f"cannot be read ({error.strerror})") from None
    if not raw:
        raise DataFileError(path, "the file is empty", FETCH_AGAIN)
    if raw[:4] in IDX_MAGIC_BYTES:
        return raw  # uncompressed IDX (torchvision keeps these); its header is checked later
    if raw[:2] != GZIP_MAGIC:
        raise DataFileError(path, f"is {what_it_looks_like(raw)}", FETCH_AGAIN)
    try:
        return gzip.decompress(raw)
    except EOFError:
        reason = "the gzip stream is truncated (an interrupted download?)"
    except (gzip.BadGzipFile, zlib.error, OSError) as error:
        reason = f"the gzip stream is corrupt ({error})"
    raise DataFileError(path, reason, FETCH_AGAIN)


def peek_bytes(path: Path, count: int) -> bytes | None:
    """The first `count` decompressed bytes of `path` (gzip or plain), None when unreadable.

    Only as much of the gzip stream is inflated as those bytes need: cheap for the header, or
    for the first garments before the whole file is read.
    """
    try:
        with path.open("rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if magic == GZIP_MAGIC else raw
            return stream.read(count)
    except (OSError, EOFError, zlib.error):
        return None


def peek_count(path: Path) -> int | None:
    """The item count in an IDX file's header, reading 16 bytes; None when unreadable."""
    header = peek_bytes(path, 8)
    if header is None or len(header) < 8:
        return None
    return int(struct.unpack(">I", header[4:8])[0])


def peek_item(
    image_path: Path, label_path: Path, index: int
) -> tuple[np.ndarray, int] | None:
    """One garment and its label straight from the files, before they are loaded and checked:
    a preview for the first frame. None when anything looks wrong (the full load says what)."""
    side = IMAGE_SIDE * IMAGE_SIDE
    images = peek_bytes(image_path, 16 + side * (index + 1))
    labels = peek_bytes(label_path, 8 + index + 1)
    if images is None or labels is None or len(images) < 16 + side * (index + 1):
        return None
    if images[:4] != IDX_MAGIC_BYTES[0] or labels[:4] != IDX_MAGIC_BYTES[1]:
        return None
    if len(labels) < 8 + index + 1 or labels[8 + index] > 9:
        return None
    pixels = np.frombuffer(images, dtype=np.uint8, offset=16 + side * index, count=side)
    return pixels.reshape(IMAGE_SIDE, IMAGE_SIDE), int(labels[8 + index])


def _header(path: Path, content: bytes, magic: int, dims: int) -> tuple[int, ...]:
    """Check the magic number and return the big-endian unsigned dimension sizes."""
    size = 4 + 4 * dims
    if len(content) < 4:
        raise DataFileError(path, f"too short for an IDX header ({len(content)} bytes)")
    (found_magic,) = struct.unpack(">I", content[:4])
    if found_magic != magic:
        kinds = {IMAGES_MAGIC: "an images file", LABELS_MAGIC: "a labels file"}
        looks_like = kinds.get(found_magic, f"not an IDX file of ours (magic {found_magic})")
        wanted = kinds[magic]
        raise DataFileError(
            path, f"expected {wanted} (IDX magic {magic}) but it is {looks_like}",
            "Check that the file names have not been swapped.",
        )
    if len(content) < size:
        raise DataFileError(path, f"too short for an IDX header ({len(content)} bytes)")
    shape = struct.unpack(f">{dims}I", content[4:size])
    expected = size + int(np.prod(shape, dtype=np.int64))
    if len(content) != expected:
        raise DataFileError(
            path, f"header promises {expected:,} bytes but the file holds {len(content):,}",
            FETCH_AGAIN,
        )
    return tuple(shape)


def parse_images(path: Path, content: bytes) -> np.ndarray:
    """Return the (count, 28, 28) uint8 images held in decompressed IDX3 `content`."""
    count, rows, cols = _header(path, content, IMAGES_MAGIC, 3)
    if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataFileError(path, f"images are {rows}x{cols}, not {IMAGE_SIDE}x{IMAGE_SIDE}")
    return np.frombuffer(content, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def parse_labels(path: Path, content: bytes) -> np.ndarray:
    """Return the uint8 labels held in decompressed IDX1 `content`, each checked to be 0..9."""
    _header(path, content, LABELS_MAGIC, 1)
    labels = np.frombuffer(content, dtype=np.uint8, offset=8)
    if labels.size and int(labels.max()) > 9:
        raise DataFileError(
            path,
            f"holds label {int(labels.max())}, outside 0..9 (not a Fashion-MNIST labels file?)",
            FETCH_AGAIN,
        )
    return labels


def idx_bytes(array: np.ndarray) -> bytes:
    """uint8 `array` (labels, or images) as the bytes of an IDX file."""
    magic = {1: LABELS_MAGIC, 3: IMAGES_MAGIC}[array.ndim]
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, *, compress: bool = True) -> None:
    """Write uint8 `array` as an IDX file: used by tests and by tools that make small sets."""
    content = idx_bytes(array)
    path.write_bytes(gzip.compress(content, mtime=0) if compress else content)
