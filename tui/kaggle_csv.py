"""Read Kaggle's Fashion-MNIST CSV files: a header line, then a label and 784 pixels per row."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from tui.idx import IMAGE_SIDE, DataFileError

PIXELS = IMAGE_SIDE * IMAGE_SIDE
FIX = "Download the CSV again, or point --data-dir at the IDX files instead."


def read_csv_split(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return (images (n, 28, 28) uint8, labels (n,) uint8), every value checked."""
    try:
        with path.open("rb") as stream:
            header = stream.readline()
            if not header.lower().startswith(b"label"):
                raise DataFileError(path, "has no 'label,pixel1,...' header line", FIX)
            with warnings.catch_warnings():  # "no data" is reported below, in our words
                warnings.simplefilter("ignore", UserWarning)
                table = np.loadtxt(stream, delimiter=",", dtype=np.int32, ndmin=2)
    except PermissionError:
        raise DataFileError(path, "permission denied", "Make it readable (chmod a+r).") from None
    except OSError as error:
        raise DataFileError(path, f"cannot be read ({error.strerror})") from None
    except ValueError as error:
        raise DataFileError(path, f"is not a table of whole numbers ({error})", FIX) from None
    if table.size == 0:
        raise DataFileError(path, "holds no rows", FIX)
    if table.shape[1] != PIXELS + 1:
        raise DataFileError(
            path, f"rows have {table.shape[1]} values, not a label and {PIXELS} pixels", FIX
        )
    labels, pixels = table[:, 0], table[:, 1:]
    if labels.min() < 0 or labels.max() > 9:
        raise DataFileError(path, "holds labels outside 0..9", FIX)
    if pixels.min() < 0 or pixels.max() > 255:
        raise DataFileError(path, "holds pixel values outside 0..255", FIX)
    images = pixels.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    images.flags.writeable = False
    labels_u8 = labels.astype(np.uint8)
    labels_u8.flags.writeable = False
    return images, labels_u8
