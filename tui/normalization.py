"""The normalisation lab's modes as data: what each one computes, and what it does to a split.

Whole-split figures never build a float64 copy of the split (376 MB for the training set):
the linear modes map each of the 256 possible pixel values once and weight them by the pixel
histogram; per-image min-max needs each image's min, max, sum and sum of squares, in chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from tui.histogram import pixel_histogram

MNIST_MEAN = 0.1307  # MNIST's constants: right for MNIST, wrong for Fashion-MNIST
MNIST_STD = 0.3081
CHUNK_IMAGES = 1024  # images per chunk for the min-max figures (~6 MB of int64)


@dataclass(frozen=True)
class NormalizationMode:
    """One way to scale pixels: its key, a title, the Python formula and why it matters."""

    key: str
    title: str
    formula: str
    explanation: str


MODES: tuple[NormalizationMode, ...] = (
    NormalizationMode(
        "divide255", "Divide by 255", "x / 255.0",
        "The tutorial's choice: 0..255 becomes 0.0..1.0, with 255 exactly 1.0.",
    ),
    NormalizationMode(
        "standardize", "Standardise (training mean and std)", "(x - mean) / std",
        "Centres the training pixels on 0 with spread 1, using statistics of the training "
        "split only (never the test split's).",
    ),
    NormalizationMode(
        "minmax", "Per-image min-max", "(x - x.min()) / (x.max() - x.min())",
        "Stretches every image to fill 0..1 on its own, so a faint garment looks as bright as a "
        "bold one; a constant image becomes all zeros.",
    ),
    NormalizationMode(
        "mnist", "MNIST's constants (a common mistake)", "(x / 255.0 - 0.1307) / 0.3081",
        "Copied from MNIST code: Fashion-MNIST's pixels have another mean and spread, so the "
        "result is not centred on 0.",
    ),
)
MODE_KEYS: tuple[str, ...] = tuple(mode.key for mode in MODES)
DEFAULT_MODE = "divide255"
LINEAR_MODES = frozenset({"divide255", "standardize", "mnist"})


class SplitFigures(NamedTuple):
    """A whole split's pixel statistics after a mode."""

    mean: float
    std: float
    min: float
    max: float


class MemoryFigures(NamedTuple):
    """Bytes a split takes as stored (uint8) and after a float conversion."""

    uint8: int
    float64: int
    float32: int


def get_mode(key: str | NormalizationMode) -> NormalizationMode:
    """The mode named `key`; a ValueError lists the known keys."""
    if isinstance(key, NormalizationMode):
        return key
    for mode in MODES:
        if mode.key == key:
            return mode
    raise ValueError(f"unknown normalisation mode {key!r}: use one of {', '.join(MODE_KEYS)}")


def apply(
    mode: str | NormalizationMode, image: np.ndarray, train_mean: float, train_std: float
) -> np.ndarray:
    """`image` (raw 0..255) after `mode`, as float64, computed exactly as its formula reads.

    `train_mean` and `train_std` are the training split's raw pixel statistics; only
    "standardize" uses them.
    """
    key = get_mode(mode).key
    x = np.asarray(image)
    if key == "divide255":
        return np.asarray(x / 255.0, dtype=np.float64)
    if key == "standardize":
        if not train_std > 0:
            raise ValueError(f"cannot standardise with std {train_std}")
        return np.asarray((x - train_mean) / train_std, dtype=np.float64)
    if key == "mnist":
        return np.asarray((x / 255.0 - MNIST_MEAN) / MNIST_STD, dtype=np.float64)
    low, high = int(x.min()), int(x.max())
    if low == high:  # nothing to stretch: all zeros rather than 0 / 0
        return np.zeros(x.shape, dtype=np.float64)
    return np.asarray((x - low) / (high - low), dtype=np.float64)


def split_figures(
    mode: str | NormalizationMode, images: np.ndarray, train_mean: float, train_std: float
) -> SplitFigures:
    """Mean, std, min and max of every pixel of `images` ((n, h, w) uint8) after `mode`."""
    key = get_mode(mode).key
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"expected (n, h, w) uint8 images, got {images.shape} {images.dtype}")
    if images.size == 0:
        raise ValueError("no images: the figures of an empty split are undefined")
    if key in LINEAR_MODES:
        return _linear_figures(key, images, train_mean, train_std)
    return _minmax_figures(images)


def memory_figures(images: np.ndarray) -> MemoryFigures:
    """What the split costs as uint8, and as float64 (8x, what `/ 255.0` makes) or float32."""
    return MemoryFigures(uint8=int(images.size), float64=int(images.size) * 8,
                         float32=int(images.size) * 4)


def _linear_figures(
    key: str, images: np.ndarray, train_mean: float, train_std: float
) -> SplitFigures:
    """Map each value 0..255 with the mode's own formula, then weight by the histogram."""
    counts = pixel_histogram(images).astype(np.float64)
    mapped = apply(key, np.arange(256, dtype=np.uint8), train_mean, train_std)
    total = counts.sum()
    mean = float((counts * mapped).sum() / total)
    std = float(np.sqrt((counts * (mapped - mean) ** 2).sum() / total))
    present = mapped[counts > 0]
    return SplitFigures(mean, std, float(present.min()), float(present.max()))


def _minmax_figures(images: np.ndarray) -> SplitFigures:
    """Per-image min-max, from each image's min, max, sum and sum of squares (exact integers).

    Image i becomes (x - lo) / r with r = hi - lo; its mean is (s / p - lo) / r and its sum of
    squared deviations (p q - s^2) / (p r^2), so the split's variance combines the within-image
    and between-image parts without cancellation.
    """
    n = images.shape[0]
    p = images.shape[1] * images.shape[2]
    lows = np.empty(n, dtype=np.int64)
    ranges = np.empty(n, dtype=np.int64)
    sums = np.empty(n, dtype=np.int64)
    squares = np.empty(n, dtype=np.int64)
    flat = images.reshape(n, p)
    for start in range(0, n, CHUNK_IMAGES):
        block = flat[start:start + CHUNK_IMAGES].astype(np.int64)
        stop = start + len(block)
        lows[start:stop] = block.min(axis=1)
        ranges[start:stop] = block.max(axis=1) - lows[start:stop]
        sums[start:stop] = block.sum(axis=1)
        squares[start:stop] = np.einsum("ij,ij->i", block, block)
    stretched = ranges > 0  # constant images are all zeros: mean 0, no spread
    r = np.where(stretched, ranges, 1).astype(np.float64)
    image_means = np.where(stretched, (sums / p - lows) / r, 0.0)
    within = np.where(stretched, (p * squares - sums * sums) / (p * r * r), 0.0)
    mean = float(image_means.mean())
    between = p * ((image_means - mean) ** 2).sum()
    std = float(np.sqrt((within.sum() + between) / (n * p)))
    return SplitFigures(mean, std, 0.0, 1.0 if stretched.any() else 0.0)
