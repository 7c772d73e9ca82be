"""Shared fixtures: a tiny IDX data set, a fixed runtime, an app factory and the real data.

Plain helpers (the tiny set's arrays, fake clock, screen text...) are in helpers.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import FIXED_RUNTIME, AppFactory, Arrays, tiny_arrays, write_tiny_dataset

from tui.data_sources import FILE_STEMS
from tui.runtime_info import RuntimeInfo

REAL_FILES = tuple(f"{stem}.gz" for stem in FILE_STEMS)
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY",
                   "https_proxy", "http_proxy", "all_proxy", "no_proxy")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: starts TensorFlow in a child process (a few seconds); in the default run"
    )


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    """A folder holding a 12 + 5 image Fashion-MNIST look-alike, gzipped like Keras' cache."""
    return write_tiny_dataset(tmp_path / "tiny")


@pytest.fixture
def tiny() -> Arrays:
    """The arrays that `tiny_dataset` holds, to compare against."""
    return tiny_arrays()


@pytest.fixture
def fixed_runtime() -> RuntimeInfo:
    return FIXED_RUNTIME


@pytest.fixture
def make_app(fixed_runtime: RuntimeInfo) -> AppFactory:
    """`make_app(data_dir, ...)` builds a FashionApp with no TensorFlow, network or real time."""
    return AppFactory(fixed_runtime)


def real_data_candidates() -> list[Path]:
    repo = Path(__file__).resolve().parents[1]
    return [
        (repo / ".." / "shared" / "data" / "fashion-mnist").resolve(),
        (Path.cwd().parent / "shared" / "data" / "fashion-mnist").resolve(),
        (repo.parent / "shared" / "data" / "fashion-mnist").resolve(),
        Path("/usr/share/datasets/fashion-mnist"),
    ]


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The first folder holding the four real .gz files; fails in CI, skips elsewhere."""
    searched = real_data_candidates()
    for directory in searched:
        if all((directory / name).is_file() for name in REAL_FILES):
            return directory
    if os.environ.get("CI"):
        pytest.fail("real data missing in CI")
    pytest.skip("real Fashion-MNIST files not found in: " + ", ".join(map(str, searched)))


@pytest.fixture(scope="session")
def original_gz_dir(real_data_dir: Path) -> Path:
    """The real files as the original .gz bytes (Keras' and Zalando's). Debian's copy holds the
    same data re-gzipped, so tests of exact .gz bytes (sizes, MD5) skip on it."""
    from tui.checksums import ORIGINAL_GZ

    for name, (size, _md5) in ORIGINAL_GZ.items():
        if (real_data_dir / name).stat().st_size != size:
            pytest.skip(f"{real_data_dir} holds re-gzipped files; these tests need the "
                        "original .gz bytes (../shared/data/fashion-mnist)")
    return real_data_dir


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No test reads or writes the real home, Keras or kagglehub cache or the checksum memory,
    follows $FASHION_MNIST_DIR or a mirror, or sends a request through a proxy of the machine."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(home / "keras-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in ("FASHION_MNIST_DIR", "FASHION_MNIST_MIRROR", "KAGGLEHUB_CACHE", "NO_COLOR",
                 *PROXY_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    yield home
