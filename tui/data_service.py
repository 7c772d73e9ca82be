"""The one data service behind every pane and every subcommand.

Headless on purpose: it imports NumPy and the standard library only, so the CLI, the tests and
the app share it, and importing it never pulls in Textual or TensorFlow (a test checks this).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tui import idx, normalization
from tui.checksums import ORIGINAL_SHA256, VerifiedFiles, cache_file, sha256_hex
from tui.data_sources import (
    CSV_FILES,
    KAGGLE_CSV,
    SPLIT_FILES,
    SPLITS,
    Candidate,
    candidates,
    find_file,
    keras_cache_dir,
    locate,
)
from tui.histogram import pixel_histogram
from tui.runtime_info import RuntimeInfo

if TYPE_CHECKING:  # imported where used: they are not needed to show the first garment
    from tui.downloader import Progress
    from tui.neighbors import NeighborIndex

    # download_dataset's signature: (target, environ, progress, cancel, force) -> names fetched
    Downloader = Callable[
        [Path, Mapping[str, str] | None, Callable[[Progress], None] | None,
         threading.Event | None, bool],
        list[str],
    ]

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
NORMALIZER = 255.0  # the tutorial's constant: 255 must map to exactly 1.0


class SplitUnavailableError(Exception):
    """The split asked for could not be loaded; the problem says which file and why."""

    def __init__(self, split: str, problem: idx.DataFileError) -> None:
        super().__init__(f"the {split} split cannot be used: {problem}")
        self.split = split
        self.problem = problem


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
    """What a load did: which copy it read, how long it took, and what was wrong with it."""

    source: Candidate
    seconds: float
    counts: dict[str, int]  # the splits that loaded
    problems: dict[str, idx.DataFileError] = field(default_factory=dict)  # those that did not
    original: bool = True  # every file loaded has the original Fashion-MNIST's SHA-256

    def warnings(self) -> list[str]:
        """Everything a person must be told, in plain words, one item each."""
        notes = [
            f"The {split} split cannot be used: {problem}"
            for split, problem in self.problems.items()
        ]
        if not self.original:
            notes.append(
                f"{self.source.directory} holds valid IDX data that is not the original "
                "Fashion-MNIST (checksums differ): the class names may not apply."
            )
        return notes


def stats_from_arrays(split: str, images: np.ndarray, labels: np.ndarray) -> SplitStats:
    """Compute split statistics from a pixel histogram: exact, and no float64 copy of the split."""
    histogram = pixel_histogram(images).astype(np.float64)
    values = np.arange(256, dtype=np.float64)
    total = histogram.sum() or 1.0  # no images (a class one split lacks): all figures 0
    mean = float((histogram * values).sum() / total)
    std = float(np.sqrt((histogram * (values - mean) ** 2).sum() / total))
    normalized = values / NORMALIZER
    norm_mean = float((histogram * normalized).sum() / total)
    norm_std = float(np.sqrt((histogram * (normalized - norm_mean) ** 2).sum() / total))
    present = np.flatnonzero(histogram)
    if not len(present):
        present = np.zeros(1, dtype=np.int64)
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


def _existing(directory: Path, stem: str) -> Path:
    """The IDX file for `stem` in `directory`, or a DataFileError naming the missing file."""
    path = find_file(directory, stem)
    if path is None:
        raise idx.DataFileError(directory / f"{stem}.gz", "file not found", idx.FETCH_AGAIN)
    return path


class FashionMnistService:
    """Loads Fashion-MNIST once and answers cheap, read-only queries about it."""

    def __init__(
        self,
        data_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
        runtime_probe: Callable[[], RuntimeInfo] | None = None,
        downloader: Downloader | None = None,
        clock: Callable[[], float] = time.perf_counter,
        verified: VerifiedFiles | None = None,
    ) -> None:
        """`runtime_probe`, `downloader` and `clock` are injectable so tests need no TensorFlow,
        no network and no real time."""
        self._data_dir = data_dir
        self._environ = environ
        self._runtime_probe = runtime_probe
        self._downloader = downloader
        self._clock = clock
        self._verified = verified if verified is not None else VerifiedFiles(cache_file(environ))
        self._images: dict[str, np.ndarray] = {}
        self._labels: dict[str, np.ndarray] = {}
        self._stats: dict[str, SplitStats] = {}
        self._members: dict[tuple[str, int], np.ndarray] = {}
        self._class_stats: dict[tuple[str, int], SplitStats] = {}
        self._class_images: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._histograms: dict[tuple[str, int], np.ndarray] = {}
        self._mode_figures: dict[tuple[str, str], normalization.SplitFigures] = {}
        self._neighbors: NeighborIndex | None = None
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

    def preview(self, source: Candidate, split: str, index: int) -> Sample | None:
        """`split[index]` read straight from the IDX files without loading them (only the
        first few thousand garments are cheap), so the first frame can show it at once. The
        full, checked load replaces it; None when there is no cheap way or anything is odd."""
        if source.layout == KAGGLE_CSV or index > 5000:
            return None
        image_stem, label_stem = SPLIT_FILES[split]
        image_path = find_file(source.directory, image_stem)
        label_path = find_file(source.directory, label_stem)
        if image_path is None or label_path is None:
            return None
        found = idx.peek_item(image_path, label_path, index)
        if found is None:
            return None
        image, label = found
        return Sample(split=split, index=index, label=label, image=image)

    def load(self) -> LoadReport:
        """Find and read both splits; raise DataNotFoundError or idx.DataFileError."""
        source, searched = self.locate()
        if source is None:
            raise DataNotFoundError(searched)
        return self.load_from(source)

    def load_from(self, source: Candidate) -> LoadReport:
        """Read each split from `source`, checking everything before anything is kept.

        A split whose files are bad is left out and named in `report.problems`; the other
        stays usable. Only when no split loads is the first problem raised.
        """
        started = self._clock()
        images: dict[str, np.ndarray] = {}
        labels: dict[str, np.ndarray] = {}
        problems: dict[str, idx.DataFileError] = {}
        original = True
        for split in SPLITS:
            try:
                images[split], labels[split], is_original = self._read_split(source, split)
            except idx.DataFileError as problem:
                problems[split] = problem
                continue
            original = original and is_original
        self._verified.save()
        if not images:
            raise next(iter(problems.values()))
        self._images, self._labels = images, labels
        self._stats, self._members, self._class_stats = {}, {}, {}
        self._class_images, self._histograms = {}, {}
        self._mode_figures, self._neighbors = {}, None
        self.report = LoadReport(
            source=source,
            seconds=self._clock() - started,
            counts={split: len(images[split]) for split in images},
            problems=problems,
            original=original,
        )
        return self.report

    def _read_split(self, source: Candidate, split: str) -> tuple[np.ndarray, np.ndarray, bool]:
        """(images, labels, whether both match the original's checksums) for one split."""
        if source.layout == KAGGLE_CSV:
            path = source.directory / CSV_FILES[split]
            from tui.kaggle_csv import read_csv_split

            images, labels = read_csv_split(path)
            image_stem, label_stem = SPLIT_FILES[split]
            is_original = (  # the same bytes as the original IDX files would hold
                sha256_hex(idx.idx_bytes(images)) == ORIGINAL_SHA256[image_stem]
                and sha256_hex(idx.idx_bytes(labels)) == ORIGINAL_SHA256[label_stem]
            )
            return images, labels, is_original
        image_stem, label_stem = SPLIT_FILES[split]
        image_path = _existing(source.directory, image_stem)
        label_path = _existing(source.directory, label_stem)
        image_content = idx.read_file_bytes(image_path)
        images = idx.parse_images(image_path, image_content)
        label_content = idx.read_file_bytes(label_path)
        labels = idx.parse_labels(label_path, label_content)
        is_original = (
            self._digest(image_path, image_content) == ORIGINAL_SHA256[image_stem]
            and self._digest(label_path, label_content) == ORIGINAL_SHA256[label_stem]
        )
        if len(images) == 0:
            raise idx.DataFileError(image_path, "holds no images", idx.FETCH_AGAIN)
        if len(images) != len(labels):
            raise idx.DataFileError(
                label_path,
                f"holds {len(labels):,} labels for {len(images):,} images in {image_path.name}",
                "The two files of the split come from different sets; fetch both again.",
            )
        return images, labels, is_original

    def _digest(self, path: Path, content: bytes) -> str:
        """SHA-256 of the decompressed `content` of `path`, remembered across runs."""
        known = self._verified.lookup(path)
        if known is None:
            known = sha256_hex(content)
            self._verified.remember(path, known)
        return known

    @property
    def splits(self) -> tuple[str, ...]:
        """The splits that loaded and can be browsed."""
        return tuple(split for split in SPLITS if split in self._images)

    def problem(self, split: str) -> idx.DataFileError | None:
        """Why `split` could not be loaded, or None."""
        return self.report.problems.get(split) if self.report else None

    def _require(self, split: str) -> np.ndarray:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
        if split not in self._images:
            problem = self.problem(split)
            if problem is not None:
                raise SplitUnavailableError(split, problem)
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

    def images(self, split: str) -> np.ndarray:
        """All images of a split, (n, 28, 28) uint8, read-only: for whole-split computations."""
        return self._require(split)

    def labels(self, split: str) -> np.ndarray:
        """All labels of a split (read-only), for navigation such as 'next of the same class'."""
        self._require(split)
        return self._labels[split]

    @property
    def stats_ready(self) -> bool:
        """True once every split's statistics are cached (computing them takes ~0.1 s)."""
        return all(split in self._stats for split in self.splits)

    def split_stats(self, split: str) -> SplitStats:
        if split not in self._stats:
            self._stats[split] = stats_from_arrays(split, self._require(split), self._labels[split])
        return self._stats[split]

    def members(self, split: str, label: int | None) -> np.ndarray:
        """Indexes of the garments with `label` (all of them for None), ascending."""
        images = self._require(split)
        if label is None:
            return np.arange(len(images))
        key = (split, label)
        if key not in self._members:
            self._members[key] = np.flatnonzero(self._labels[split] == label)
        return self._members[key]

    def class_stats(self, split: str, label: int) -> SplitStats:
        """The stats pane's figures for one class of a split (a class filter is in force)."""
        key = (split, label)
        if key not in self._class_stats:
            chosen = self.members(split, label)
            self._class_stats[key] = stats_from_arrays(
                split, self._require(split)[chosen], self._labels[split][chosen]
            )
        return self._class_stats[key]

    def class_images(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-class mean and standard-deviation images, each (10, 28, 28) float64, raw scale."""
        if split not in self._class_images:
            images, labels = self._require(split), self._labels[split]
            means = np.zeros((len(CLASS_NAMES), 28, 28))
            stds = np.zeros((len(CLASS_NAMES), 28, 28))
            for label in range(len(CLASS_NAMES)):
                chosen = images[labels == label]
                if len(chosen):
                    means[label] = chosen.mean(axis=0, dtype=np.float64)
                    stds[label] = chosen.std(axis=0, dtype=np.float64)
            self._class_images[split] = (means, stds)
        return self._class_images[split]

    def histogram(self, split: str, label: int | None = None) -> np.ndarray:
        """Counts of each pixel value 0..255 over a split (or one class of it)."""
        key = (split, -1 if label is None else label)
        if key not in self._histograms:
            chosen = self._require(split)
            if label is not None:
                chosen = chosen[self.members(split, label)]
            self._histograms[key] = pixel_histogram(chosen)
        return self._histograms[key]

    # ----- normalisation modes and look-alikes ---------------------------------------------

    def norm_modes(self) -> tuple[normalization.NormalizationMode, ...]:
        """The normalisation lab's modes; the first is the tutorial's `/ 255.0`."""
        return normalization.MODES

    def _standardiser(self) -> tuple[float, float]:
        """The training split's raw mean and std (the split itself when train is unusable)."""
        base = "train" if "train" in self._images else self.splits[0]
        stats = self.split_stats(base)
        return stats.pixel_mean, stats.pixel_std

    def normalize(self, mode: str, split: str, index: int) -> np.ndarray:
        """The garment after normalisation `mode`, float64; the tutorial's mode is exact."""
        if mode == normalization.DEFAULT_MODE:
            return self.normalized(split, index)
        return normalization.apply(mode, self.sample(split, index).image, *self._standardiser())

    def mode_figures(self, mode: str, split: str) -> normalization.SplitFigures:
        """Mean, std, min and max of the whole split after `mode` (no float copy is made)."""
        key = (mode, split)
        if key not in self._mode_figures:
            self._mode_figures[key] = normalization.split_figures(
                mode, self._require(split), *self._standardiser()
            )
        return self._mode_figures[key]

    def mode_axis(self, mode: str, split: str) -> tuple[float, float]:
        """Where raw 0 and 255 land after a linear `mode` (the histogram's new axis)."""
        ends = normalization.apply(mode, np.array([0, 255], dtype=np.uint8),
                                   *self._standardiser())
        return float(ends[0]), float(ends[1])

    def look_alikes(self, split: str, index: int, k: int) -> list[tuple[int, float]]:
        """The `k` training garments nearest to `split[index]` (Euclidean, raw pixels) as
        (index, distance), nearest first, never the garment itself. The first call builds the
        index (squared norms of the training split, about 0.1 s)."""
        if self._neighbors is None:
            from tui.neighbors import NeighborIndex

            self._neighbors = NeighborIndex(self._require("train"))
        exclude = index if split == "train" else None
        found = self._neighbors.query(self.sample(split, index).image, k, exclude)
        return [(n.index, n.distance) for n in found]

    @property
    def explicit_folder(self) -> Path | None:
        """The folder named by --data-dir or $FASHION_MNIST_DIR, when one was."""
        first = candidates(self._data_dir, self._environ)[0]
        return None if first.kind == "Keras cache" else first.directory

    def download_target(self) -> Path:
        """Where a download puts the files: the folder the user named, else the Keras cache
        (as the tutorial's `load_data()` does, so Keras finds them afterwards)."""
        return self.explicit_folder or keras_cache_dir(self._environ)

    def download(
        self,
        progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
        force: bool = False,
    ) -> list[str]:
        """Fetch missing (with `force`, also damaged) files into `download_target()`.

        Returns the names fetched; raises downloader.DownloadError or DownloadCancelled.
        """
        from tui.downloader import download_dataset

        fetch = self._downloader or download_dataset
        return fetch(self.download_target(), self._environ, progress, cancel, force)

    def runtime_info(self) -> RuntimeInfo:
        """Versions and devices; slow the first time (it starts TensorFlow in a child process)."""
        if self._runtime_probe is None:
            from tui.runtime_info import probe_runtime

            self._runtime_probe = probe_runtime
        return self._runtime_probe()
