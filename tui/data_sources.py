"""Where Fashion-MNIST may already be on this machine, searched in a fixed, documented order.

A folder can hold the data in several usual layouts: the four IDX files as Keras and Debian
keep them (gzipped or not), torchvision's `FashionMNIST/raw/`, the zalandoresearch repository's
`data/fashion/`, or Kaggle's two CSV files. Every place searched gets a reason when it is not
used, so "not found" always says what was wrong where.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SPLITS: tuple[str, ...] = tuple(SPLIT_FILES)
FILE_STEMS: tuple[str, ...] = tuple(stem for pair in SPLIT_FILES.values() for stem in pair)
CSV_FILES: dict[str, str] = {"train": "fashion-mnist_train.csv", "test": "fashion-mnist_test.csv"}
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
ENV_DATA_DIR = "FASHION_MNIST_DIR"

IDX = "IDX"
TORCHVISION = "torchvision layout"
ZALANDO = "zalandoresearch repository layout"
KAGGLE_CSV = "Kaggle CSV"


@dataclass(frozen=True)
class Candidate:
    """A place to look, or (with its layout) the copy found there."""

    kind: str
    directory: Path
    layout: str = IDX

    def describe(self) -> str:
        where = f"{self.kind}: {self.directory}"
        return where if self.layout == IDX else f"{where} ({self.layout})"


def keras_home(environ: Mapping[str, str] | None = None) -> Path:
    """Keras' home folder: $KERAS_HOME, else ~/.keras (as keras.src.backend.config does)."""
    env = os.environ if environ is None else environ
    home = env.get("KERAS_HOME")
    if home:
        return Path(home)
    return Path(env.get("HOME") or os.path.expanduser("~")) / ".keras"


def keras_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder where `fashion_mnist.load_data()` keeps its four files."""
    return keras_home(environ) / "datasets" / "fashion-mnist"


def kagglehub_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The newest version kagglehub downloaded of zalando-research/fashionmnist, if any."""
    env = os.environ if environ is None else environ
    cache = env.get("KAGGLEHUB_CACHE") or os.path.join(
        env.get("HOME") or os.path.expanduser("~"), ".cache", "kagglehub"
    )
    versions = Path(cache) / "datasets" / "zalando-research" / "fashionmnist" / "versions"
    try:
        numbered = [p for p in versions.iterdir() if re.fullmatch(r"\d+", p.name)]
    except OSError:
        return None
    return max(numbered, key=lambda p: int(p.name)) if numbered else None


def find_file(directory: Path, stem: str) -> Path | None:
    """The file for `stem` in `directory`, gzipped (as Keras keeps it) or uncompressed."""
    for name in (f"{stem}.gz", stem):
        path = directory / name
        if _is_file(path):
            return path
    return None


def _is_file(path: Path) -> bool:
    """Path.is_file that answers False for a folder we may not look into, instead of raising."""
    try:
        return path.is_file()
    except OSError:
        return False


def holds_dataset(directory: Path) -> bool:
    """True when all four IDX files are present (their content is checked when read)."""
    return all(find_file(directory, stem) is not None for stem in FILE_STEMS)


def holds_csv(directory: Path) -> bool:
    return all(_is_file(directory / name) for name in CSV_FILES.values())


def resolve(candidate: Candidate) -> Candidate | None:
    """The copy inside `candidate`'s folder in any usual layout, or None."""
    base = candidate.directory
    for layout, folder in ((IDX, base), (TORCHVISION, base / "FashionMNIST" / "raw"),
                           (ZALANDO, base / "data" / "fashion")):
        if holds_dataset(folder):
            return Candidate(candidate.kind, folder, layout)
    if holds_csv(base):
        return Candidate(candidate.kind, base, KAGGLE_CSV)
    return None


def why_not(candidate: Candidate) -> str:
    """Why `candidate`'s folder holds no usable copy, in a few words."""
    folder = candidate.directory
    try:
        if not folder.exists():
            return "no such folder"
        if not folder.is_dir():
            return "not a folder"
        os.listdir(folder)
    except PermissionError:
        return "cannot be read (permission denied)"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if not os.access(folder, os.R_OK | os.X_OK):
        return "cannot be read (permission denied)"
    present = [stem for stem in FILE_STEMS if find_file(folder, stem) is not None]
    if present:
        missing = ", ".join(f"{stem}.gz" for stem in FILE_STEMS if stem not in present)
        return f"only {len(present)} of the 4 files (missing {missing})"
    csv_present = [name for name in CSV_FILES.values() if _is_file(folder / name)]
    if csv_present:
        return f"only {csv_present[0]} of the two Kaggle CSV files"
    return "no Fashion-MNIST files"


def candidates(
    data_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[Candidate]:
    """The places to search, in order. An explicit folder is the only place searched."""
    env = os.environ if environ is None else environ
    if data_dir is not None:
        return [Candidate("--data-dir", data_dir.expanduser())]
    if env.get(ENV_DATA_DIR):
        return [Candidate(f"${ENV_DATA_DIR}", Path(env[ENV_DATA_DIR]).expanduser())]
    found = [Candidate("Keras cache", keras_cache_dir(env))]
    # Keras writes to /tmp/.keras when its home folder is not writable.
    tmp_cache = Path("/tmp/.keras/datasets/fashion-mnist")
    if tmp_cache != found[0].directory:
        found.append(Candidate("Keras fallback cache", tmp_cache))
    found.append(Candidate("Debian package", DEBIAN_DIR))
    kaggle = kagglehub_dir(env)
    if kaggle is not None:
        found.append(Candidate("kagglehub cache", kaggle))
    return found


def locate(
    data_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Candidate | None, list[Candidate]]:
    """Return the first copy found (or None) and every place searched."""
    searched = candidates(data_dir, environ)
    for candidate in searched:
        found = resolve(candidate)
        if found is not None:
            return found, searched
    return None, searched


def missing_data_message(searched: list[Candidate]) -> str:
    """Plain words for a person when no copy was found: where we looked and how to fix it."""
    places = "\n".join(f"  - {c.describe()}: {why_not(c)}" for c in searched)
    return (
        "Fashion-MNIST was not found. Searched:\n"
        f"{places}\n"
        "To fix it, do one of:\n"
        "  - fashion-tui --data-dir DIR  (a folder holding the four .gz files)\n"
        "  - sudo apt install dataset-fashion-mnist\n"
        "  - fashion-tui download  (when online; fills the Keras cache)"
    )


def missing_data_line(searched: list[Candidate]) -> str:
    """The same as `missing_data_message`, as one line for standard error."""
    places = "; ".join(f"{c.describe()}: {why_not(c)}" for c in searched)
    return (
        f"Fashion-MNIST not found. Searched {places}. Fix: --data-dir DIR, "
        "`sudo apt install dataset-fashion-mnist`, or `fashion-tui download` when online"
    )
