"""Where Fashion-MNIST may already be on this machine, searched in a fixed, documented order."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SPLITS: tuple[str, ...] = tuple(SPLIT_FILES)
FILE_STEMS: tuple[str, ...] = tuple(stem for pair in SPLIT_FILES.values() for stem in pair)
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
ENV_DATA_DIR = "FASHION_MNIST_DIR"


@dataclass(frozen=True)
class Candidate:
    """One place to look: a folder and the words that tell a person what it is."""

    kind: str
    directory: Path

    def describe(self) -> str:
        return f"{self.kind}: {self.directory}"


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


def find_file(directory: Path, stem: str) -> Path | None:
    """The file for `stem` in `directory`, gzipped (as Keras keeps it) or uncompressed."""
    for name in (f"{stem}.gz", stem):
        path = directory / name
        if path.is_file():
            return path
    return None


def holds_dataset(directory: Path) -> bool:
    """True when all four files are present (their content is checked when they are read)."""
    return all(find_file(directory, stem) is not None for stem in FILE_STEMS)


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
    return found


def locate(
    data_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Candidate | None, list[Candidate]]:
    """Return the first candidate holding all four files (or None) and every place searched."""
    searched = candidates(data_dir, environ)
    for candidate in searched:
        if holds_dataset(candidate.directory):
            return candidate, searched
    return None, searched


def missing_data_message(searched: list[Candidate]) -> str:
    """Plain words for a person when no copy was found: where we looked and how to fix it."""
    places = "\n".join(f"  - {c.describe()}" for c in searched)
    return (
        "Fashion-MNIST was not found. Searched:\n"
        f"{places}\n"
        "To fix it, do one of:\n"
        "  - fashion-tui --data-dir DIR  (a folder holding the four .gz files)\n"
        "  - sudo apt install dataset-fashion-mnist\n"
        "  - run fashion-tui again when online (it downloads into the Keras cache)"
    )


def missing_data_line(searched: list[Candidate]) -> str:
    """The same as `missing_data_message`, as one line for standard error."""
    places = ", ".join(str(c.directory) for c in searched)
    return (
        f"Fashion-MNIST not found (searched {places}); use --data-dir DIR, "
        "install dataset-fashion-mnist, or run online to download it"
    )
