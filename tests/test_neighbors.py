"""Look-alike search: the same answer as brute force, on the tiny set and the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import Arrays

from tui.checksums import VerifiedFiles
from tui.data_service import FashionMnistService
from tui.neighbors import Neighbor, NeighborIndex


def brute_force(
    images: np.ndarray, query: np.ndarray, k: int, exclude: int | None = None
) -> list[Neighbor]:
    """The obvious computation: int64 distances to every image, stable sort (ties by index)."""
    distances = np.sqrt(((images.astype(np.int64) - query) ** 2).sum(axis=(1, 2)))
    order = [int(i) for i in np.argsort(distances, kind="stable") if i != exclude]
    return [Neighbor(i, float(distances[i])) for i in order[:k]]


@pytest.fixture(scope="module")
def real_service(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> (
    FashionMnistService
):
    memory = tmp_path_factory.mktemp("verified") / "verified.json"  # never the real home
    service = FashionMnistService(data_dir=real_data_dir, verified=VerifiedFiles(memory))
    service.load()
    return service


@pytest.fixture(scope="module")
def real_index(real_service: FashionMnistService) -> NeighborIndex:
    return NeighborIndex(real_service.images("train"))


def test_tiny_matches_brute_force_for_every_query(tiny: Arrays) -> None:
    train = tiny["train"][0]
    index = NeighborIndex(train)
    for split, (images, _labels) in tiny.items():
        for i, image in enumerate(images):
            exclude = i if split == "train" else None
            for k in (1, 3, len(train)):
                assert index.query(image, k, exclude) == brute_force(train, image, k, exclude)


def test_block_size_does_not_change_the_answer(tiny: Arrays) -> None:
    train, query = tiny["train"][0], tiny["test"][0][2]
    expected = brute_force(train, query, 7)
    for block_rows in (1, 2, 5, 12, 100):
        assert NeighborIndex(train, block_rows=block_rows).query(query, 7) == expected


def test_k_larger_than_n_returns_everything_once(tiny: Arrays) -> None:
    train = tiny["train"][0]
    index = NeighborIndex(train)
    found = index.query(train[4], 1000)
    assert [n.index for n in found] == [n.index for n in brute_force(train, train[4], 1000)]
    assert len(found) == len(train)
    assert found[0] == Neighbor(4, 0.0)  # itself, when not excluded
    without = index.query(train[4], 1000, exclude=4)
    assert len(without) == len(train) - 1
    assert 4 not in [n.index for n in without]


def test_exclude_removes_only_the_query_itself(tiny: Arrays) -> None:
    train = tiny["train"][0]
    index = NeighborIndex(train)
    assert index.query(train[3], 1)[0] == Neighbor(3, 0.0)
    found = index.query(train[3], 3, exclude=3)
    assert found == brute_force(train, train[3], 3, exclude=3)
    assert found[0].distance > 0


def test_ties_are_broken_by_lower_index() -> None:
    base = np.zeros((28, 28), dtype=np.uint8)
    images = np.stack([base + 9, base, base + 2, base, base + 2, base])  # 1, 3, 5 equal
    index = NeighborIndex(images)
    assert [n.index for n in index.query(base, 4)] == [1, 3, 5, 2]
    assert [n.index for n in index.query(base, 2)] == [1, 3]
    assert [n.index for n in index.query(base, 2, exclude=1)] == [3, 5]
    assert [n.index for n in index.query(base + 2, 2)] == [2, 4]


def test_extreme_values_are_exact() -> None:
    """All 0 against all 255: squared distance 784 * 255^2, far above float32's exact range."""
    images = np.stack([np.zeros((28, 28), np.uint8), np.full((28, 28), 255, np.uint8)])
    found = NeighborIndex(images).query(np.full((28, 28), 255, np.uint8), 2)
    assert found == [Neighbor(1, 0.0), Neighbor(0, float(np.sqrt(784 * 255**2)))]


def test_bad_arguments_are_refused(tiny: Arrays) -> None:
    train = tiny["train"][0]
    index = NeighborIndex(train)
    with pytest.raises(ValueError, match="k must be at least 1"):
        index.query(train[0], 0)
    with pytest.raises(ValueError, match="28x28 uint8"):
        index.query(train[0].astype(np.int64), 1)
    with pytest.raises(ValueError, match="28x28 uint8"):
        index.query(train[0][:27], 1)
    with pytest.raises(ValueError, match="outside"):
        index.query(train[0], 1, exclude=len(train))
    with pytest.raises(ValueError, match="uint8"):
        NeighborIndex(train.astype(np.float32))


def test_single_image_excluded_gives_nothing(tiny: Arrays) -> None:
    one = tiny["train"][0][:1]
    assert NeighborIndex(one).query(one[0], 5, exclude=0) == []


def test_the_split_is_not_copied(tiny: Arrays) -> None:
    train = tiny["train"][0]
    index = NeighborIndex(train)
    assert np.shares_memory(index._rows, train)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("split", "i"), [("train", 0), ("train", 1), ("train", 59999), ("test", 0), ("test", 4998),
                     ("test", 9999)],
)
def test_real_data_matches_brute_force(
    real_service: FashionMnistService, real_index: NeighborIndex, split: str, i: int
) -> None:
    train = real_service.images("train")
    query = real_service.images(split)[i]
    exclude = i if split == "train" else None
    assert real_index.query(query, 10, exclude) == brute_force(train, query, 10, exclude)


@pytest.mark.realdata
def test_real_near_duplicate_is_found(
    real_service: FashionMnistService, real_index: NeighborIndex
) -> None:
    """facts.md: test 4998 and train 13360 are near-duplicates, both T-shirt/top."""
    nearest = real_index.query(real_service.images("test")[4998], 1)[0]
    assert nearest.index == 13360
    assert real_service.labels("train")[13360] == real_service.labels("test")[4998] == 0


@pytest.mark.realdata
def test_real_query_is_well_under_a_second(
    real_service: FashionMnistService, real_index: NeighborIndex
) -> None:
    """About 20-40 ms on 2 busy cores; the bound is loose so only a real regression trips it."""
    import time

    timings = []
    for i in (1, 2, 3, 4, 5):
        started = time.perf_counter()
        real_index.query(real_service.images("test")[i], 10)
        timings.append(time.perf_counter() - started)
    assert sorted(timings)[2] < 0.5


@pytest.mark.realdata
def test_real_index_and_query_allocate_no_float_copy(real_service: FashionMnistService) -> None:
    """A float32 copy of train would be 188 MB; building and querying stay under 20 MB."""
    import tracemalloc

    tracemalloc.start()
    try:
        index = NeighborIndex(real_service.images("train"))
        index.query(real_service.images("test")[0], 10)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"{peak / 1e6:.1f} MB"
