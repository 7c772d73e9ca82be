"""The one data service behind every pane and every subcommand.

Headless on purpose: it imports NumPy and the standard library only, so the CLI, the tests and
the app share it, and importing it never pulls in Textual or TensorFlow (a test checks this).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tui import idx
from tui.data_sources import SPLIT_FILES, SPLITS, Candidate, find_file, keras_cache_dir, locate
from tui.runtime_info import RuntimeInfo

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
NORMALIZER = 255.0  # the tutorial's constant: 255 must map to exactly 1.0


class DataNotFoundError(Exception):
    """No searched place holds the four files."""

    def __init__(self, searched: list[Candidate]) -> None:
        super().__init__("Fashion-MNIST not found")
        self.searched = searched


@dataclass(frozen=True)
class Sample:
    """One garment: where it is, what it is, and its raw 28x28 uint8 pixels (read-only)."""

    split: str
    index: int
    label: int
    image: np.ndarray = field(compare=False, repr=False)

    @property
    def label_name(self) -> str:
        return CLASS_NAMES[self.label]


@dataclass(frozen=True)
class SplitStats:
    """The numbers the stats pane shows for one split, raw and after `/ 255.0`."""

    split: str
    count: int
    shape: tuple[int, int]
    dtype: str
    class_counts: dict[str, int]
    pixel_mean: float
    pixel_std: float
    pixel_min: int
    pixel_max: int
    normalized_mean: float
    normalized_std: float
    normalized_min: float
    normalized_max: float
    zero_fraction: float
    bytes_uint8: int
    bytes_float64: int

    def as_json(self) -> dict[str, object]:
        return {
            "count": self.count,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "class_counts": self.class_counts,
            "pixel_mean": self.pixel_mean,
            "pixel_std": self.pixel_std,
            "pixel_min": self.pixel_min,
            "pixel_max": self.pixel_max,
            "normalized_mean": self.normalized_mean,
            "normalized_std": self.normalized_std,
            "normalized_min": self.normalized_min,
            "normalized_max": self.normalized_max,
            "zero_fraction": self.zero_fraction,
            "bytes_uint8": self.bytes_uint8,
            "bytes_float64": self.bytes_float64,
        }


@dataclass(frozen=True)
class LoadReport:
    """What a load did: which copy it read and how long that took."""

    source: Candidate
    seconds: float
    counts: dict[str, int]


def pixel_histogram(images: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """Counts of each value 0..255. Chunked: bincount widens its input to int64, and a whole
    split would cost a 376 MB temporary and 10x the time."""
    flat = images.reshape(-1)
    histogram = np.zeros(256, dtype=np.int64)
    for start in range(0, flat.size, chunk):
        histogram += np.bincount(flat[start:start + chunk], minlength=256)
    return histogram


def stats_from_arrays(split: str, images: np.ndarray, labels: np.ndarray) -> SplitStats:
    """Compute split statistics from a pixel histogram: exact, and no float64 copy of the split."""
    histogram = pixel_histogram(images).astype(np.float64)
    values = np.arange(256, dtype=np.float64)
    total = histogram.sum()
    mean = float((histogram * values).sum() / total)
    std = float(np.sqrt((histogram * (values - mean) ** 2).sum() / total))
    normalized = values / NORMALIZER
    norm_mean = float((histogram * normalized).sum() / total)
    norm_std = float(np.sqrt((histogram * (normalized - norm_mean) ** 2).sum() / total))
    present = np.flatnonzero(histogram)
    counts = np.bincount(labels, minlength=len(CLASS_NAMES))
    return SplitStats(
        split=split,
        count=int(images.shape[0]),
        shape=(int(images.shape[1]), int(images.shape[2])),
        dtype=str(images.dtype),
        class_counts={name: int(counts[i]) for i, name in enumerate(CLASS_NAMES)},
        pixel_mean=mean,
        pixel_std=std,
        pixel_min=int(present[0]),
        pixel_max=int(present[-1]),
        normalized_mean=norm_mean,
        normalized_std=norm_std,
        normalized_min=float(present[0] / NORMALIZER),
        normalized_max=float(present[-1] / NORMALIZER),
        zero_fraction=float(histogram[0] / total),
        bytes_uint8=int(images.nbytes),
        bytes_float64=int(images.size * np.dtype(np.float64).itemsize),
    )


class FashionMnistService:
    """Loads Fashion-MNIST once and answers cheap, read-only queries about it."""

    def __init__(
        self,
        data_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
        runtime_probe: Callable[[], RuntimeInfo] | None = None,
        downloader: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """`runtime_probe`, `downloader` and `clock` are injectable so tests need no TensorFlow,
        no network and no real time."""
        self._data_dir = data_dir
        self._environ = environ
        self._runtime_probe = runtime_probe
        self._downloader = downloader
        self._clock = clock
        self._images: dict[str, np.ndarray] = {}
        self._labels: dict[str, np.ndarray] = {}
        self._stats: dict[str, SplitStats] = {}
        self.report: LoadReport | None = None

    @property
    def is_loaded(self) -> bool:
        return self.report is not None

    @property
    def source(self) -> Candidate | None:
        return self.report.source if self.report else None

    def locate(self) -> tuple[Candidate | None, list[Candidate]]:
        """Find the first place that holds the four files, and list every place searched."""
        return locate(self._data_dir, self._environ)

    def load(self) -> LoadReport:
        """Find and read both splits; raise DataNotFoundError or idx.DataFileError."""
        source, searched = self.locate()
        if source is None:
            raise DataNotFoundError(searched)
        return self.load_from(source)

    def load_from(self, source: Candidate) -> LoadReport:
        """Read both splits from `source`, checking every header before anything is kept."""
        started = self._clock()
        images: dict[str, np.ndarray] = {}
        labels: dict[str, np.ndarray] = {}
        for split, (image_stem, label_stem) in SPLIT_FILES.items():
            image_path = find_file(source.directory, image_stem)
            label_path = find_file(source.directory, label_stem)
            if image_path is None or label_path is None:
                stem = image_stem if image_path is None else label_stem
                missing = source.directory / f"{stem}.gz"
                raise idx.DataFileError(missing, "file not found")
            images[split] = idx.parse_images(image_path, idx.read_file_bytes(image_path))
            if len(images[split]) == 0:
                raise idx.DataFileError(image_path, "holds no images", "Fetch it again.")
            labels[split] = idx.parse_labels(label_path, idx.read_file_bytes(label_path))
            if len(images[split]) != len(labels[split]):
                raise idx.DataFileError(
                    label_path,
                    f"holds {len(labels[split]):,} labels for {len(images[split]):,} images",
                    "The two files of the split come from different sets; fetch both again.",
                )
        self._images, self._labels, self._stats = images, labels, {}
        self.report = LoadReport(
            source=source,
            seconds=self._clock() - started,
            counts={split: len(images[split]) for split in images},
        )
        return self.report

    def _require(self, split: str) -> np.ndarray:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
        if split not in self._images:
            raise RuntimeError("the data is not loaded yet")
        return self._images[split]

    def count(self, split: str) -> int:
        return len(self._require(split))

    def check_index(self, split: str, index: int) -> None:
        """Raise IndexError with plain words when `index` is outside the split."""
        count = self.count(split)
        if not 0 <= index < count:
            raise IndexError(f"index {index} is outside the {split} split (0..{count - 1})")

    def sample(self, split: str, index: int) -> Sample:
        self.check_index(split, index)
        image = self._images[split][index]
        return Sample(split=split, index=index, label=int(self._labels[split][index]), image=image)

    def normalized(self, split: str, index: int) -> np.ndarray:
        """The garment divided by 255.0 into float64, exactly as the tutorial computes it."""
        return self.sample(split, index).image / NORMALIZER

    def labels(self, split: str) -> np.ndarray:
        """All labels of a split (read-only), for navigation such as 'next of the same class'."""
        self._require(split)
        return self._labels[split]

    @property
    def stats_ready(self) -> bool:
        """True once every split's statistics are cached (computing them takes ~0.1 s)."""
        return all(split in self._stats for split in SPLITS)

    def split_stats(self, split: str) -> SplitStats:
        if split not in self._stats:
            self._stats[split] = stats_from_arrays(split, self._require(split), self._labels[split])
        return self._stats[split]

    def download_target(self) -> Path:
        """Where a download puts the files: the Keras cache, as the tutorial's call does."""
        return keras_cache_dir(self._environ)

    def download(self) -> None:
        """Fetch the files into the Keras cache; raises runtime_info.DownloadError on failure."""
        if self._downloader is None:
            from tui.runtime_info import download_with_keras

            self._downloader = download_with_keras
        self._downloader()

    def runtime_info(self) -> RuntimeInfo:
        """Versions and devices; slow the first time (it starts TensorFlow in a child process)."""
        if self._runtime_probe is None:
            from tui.runtime_info import probe_runtime

            self._runtime_probe = probe_runtime
        return self._runtime_probe()
