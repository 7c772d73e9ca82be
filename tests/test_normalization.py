"""The normalisation modes: each formula, and whole-split figures without a float copy."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from helpers import Arrays

from tui import normalization
from tui.checksums import VerifiedFiles
from tui.data_service import FashionMnistService
from tui.normalization import (
    DEFAULT_MODE,
    MNIST_MEAN,
    MNIST_STD,
    MODE_KEYS,
    MODES,
    apply,
    get_mode,
    memory_figures,
    split_figures,
)

# facts.md
TRAIN_MEAN, TRAIN_STD = 72.9404, 90.0212
TRAIN_NORMALIZED = (0.2860, 0.3530)


def direct(mode: str, images: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Each mode written out plainly over the whole (float64) split, as a reference."""
    x = images.astype(np.float64)
    if mode == "divide255":
        return x / 255.0
    if mode == "standardize":
        return (x - mean) / std
    if mode == "mnist":
        return (x / 255.0 - 0.1307) / 0.3081
    low = x.min(axis=(1, 2), keepdims=True)
    high = x.max(axis=(1, 2), keepdims=True)
    return np.where(high > low, (x - low) / np.where(high > low, high - low, 1.0), 0.0)


def assert_figures_match(figures: normalization.SplitFigures, values: np.ndarray) -> None:
    expected = (values.mean(), values.std(), values.min(), values.max())
    for name, got, want in zip(("mean", "std", "min", "max"), figures, expected, strict=True):
        # standardised means are ~1e-16: compare those absolutely
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), name


@pytest.fixture(scope="module")
def real_service(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> (
    FashionMnistService
):
    memory = tmp_path_factory.mktemp("verified") / "verified.json"
    service = FashionMnistService(data_dir=real_data_dir, verified=VerifiedFiles(memory))
    service.load()
    return service


def test_modes_are_described() -> None:
    assert MODE_KEYS == ("divide255", "standardize", "minmax", "mnist")
    assert DEFAULT_MODE == MODES[0].key == "divide255"
    assert get_mode("divide255").formula == "x / 255.0"
    assert get_mode("mnist").formula == "(x / 255.0 - 0.1307) / 0.3081"
    for mode in MODES:
        assert mode.title and mode.explanation and "\n" not in mode.explanation
        assert get_mode(mode) is mode
    with pytest.raises(ValueError, match="divide255"):
        get_mode("zscore")


def test_formulas_evaluate_to_what_apply_computes(tiny: Arrays) -> None:
    """The formula strings are real Python: evaluated, they give apply's numbers exactly."""
    image = tiny["train"][0][5]
    for mode in MODES:
        env = {"x": image, "mean": TRAIN_MEAN, "std": TRAIN_STD}
        expected = eval(mode.formula, {}, env)
        np.testing.assert_array_equal(apply(mode.key, image, TRAIN_MEAN, TRAIN_STD), expected)


def test_apply_exact_values() -> None:
    x = np.array([[0, 1, 128, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(apply("divide255", x, 0, 1), [[0.0, 1 / 255, 128 / 255, 1.0]])
    assert apply("divide255", x, 0, 1)[0, 3] == 1.0
    np.testing.assert_array_equal(apply("minmax", x, 0, 1), [[0.0, 1 / 255, 128 / 255, 1.0]])
    np.testing.assert_array_equal(
        apply("minmax", np.array([[10, 20, 30]], np.uint8), 0, 1), [[0.0, 0.5, 1.0]]
    )
    np.testing.assert_array_equal(
        apply("standardize", x, 10.0, 2.0), (x.astype(np.float64) - 10.0) / 2.0
    )
    np.testing.assert_array_equal(
        apply("mnist", x, 0, 1), (x / 255.0 - MNIST_MEAN) / MNIST_STD
    )
    for mode in MODE_KEYS:
        assert apply(mode, x, 10.0, 2.0).dtype == np.float64


def test_constant_image_min_max_is_zeros() -> None:
    for value in (0, 7, 255):
        out = apply("minmax", np.full((28, 28), value, np.uint8), 0, 1)
        assert out.dtype == np.float64
        assert not out.any()


def test_standardize_refuses_zero_std() -> None:
    with pytest.raises(ValueError, match="std"):
        apply("standardize", np.zeros((2, 2), np.uint8), 1.0, 0.0)


@pytest.mark.parametrize("mode", MODE_KEYS)
def test_split_figures_match_numpy_on_tiny(tiny: Arrays, mode: str) -> None:
    train = tiny["train"][0]
    mean, std = float(train.mean()), float(train.std())
    for images, _labels in tiny.values():
        assert_figures_match(split_figures(mode, images, mean, std),
                             direct(mode, images, mean, std))


def test_min_max_figures_with_constant_images() -> None:
    images = np.stack([np.full((28, 28), 9, np.uint8), np.arange(784).reshape(28, 28) % 256])
    images = images.astype(np.uint8)
    assert_figures_match(split_figures("minmax", images, 0, 1), direct("minmax", images, 0, 1))
    flat = np.full((3, 28, 28), 4, np.uint8)
    assert tuple(split_figures("minmax", flat, 0, 1)) == (0.0, 0.0, 0.0, 0.0)


def test_split_figures_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="uint8"):
        split_figures("divide255", np.zeros((2, 28, 28), np.float32), 0, 1)
    with pytest.raises(ValueError, match="empty"):
        split_figures("divide255", np.zeros((0, 28, 28), np.uint8), 0, 1)


def test_memory_figures(tiny: Arrays) -> None:
    images = tiny["train"][0]
    assert memory_figures(images) == (images.nbytes, images.nbytes * 8, images.nbytes * 4)


@pytest.mark.realdata
@pytest.mark.parametrize("mode", MODE_KEYS)
def test_real_test_split_matches_numpy(real_service: FashionMnistService, mode: str) -> None:
    stats = real_service.split_stats("train")
    test = real_service.images("test")
    mean, std = stats.pixel_mean, stats.pixel_std
    assert_figures_match(split_figures(mode, test, mean, std), direct(mode, test, mean, std))


@pytest.mark.realdata
def test_real_train_figures_teach_the_lesson(real_service: FashionMnistService) -> None:
    train = real_service.images("train")
    stats = real_service.split_stats("train")
    assert (stats.pixel_mean, stats.pixel_std) == pytest.approx((TRAIN_MEAN, TRAIN_STD), abs=1e-4)
    mean, std = stats.pixel_mean, stats.pixel_std

    divided = split_figures("divide255", train, mean, std)
    assert (round(divided.mean, 4), round(divided.std, 4)) == TRAIN_NORMALIZED
    assert (divided.min, divided.max) == (0.0, 1.0)

    standard = split_figures("standardize", train, mean, std)
    assert abs(standard.mean) < 1e-12
    assert standard.std == pytest.approx(1.0, rel=1e-12)

    # MNIST's constants: Fashion-MNIST's mean after /255 is 0.2860, not 0.1307, and its std
    # 0.3530, not 0.3081, so the "standardised" data is centred near +0.50 with spread 1.15.
    mnist = split_figures("mnist", train, mean, std)
    assert mnist.mean == pytest.approx((TRAIN_NORMALIZED[0] - 0.1307) / 0.3081, abs=1e-3)
    assert mnist.std == pytest.approx(TRAIN_NORMALIZED[1] / 0.3081, abs=1e-3)
    assert abs(mnist.mean) > 0.4
    assert mnist.min == pytest.approx(-0.1307 / 0.3081)  # where black pixels land

    memory = memory_figures(train)
    assert (round(memory.uint8 / 1e6, 1), round(memory.float64 / 1e6, 1),
            round(memory.float32 / 1e6, 1)) == (47.0, 376.3, 188.2)


@pytest.mark.realdata
@pytest.mark.parametrize("mode", MODE_KEYS)
def test_real_train_figures_allocate_no_float_copy(
    real_service: FashionMnistService, mode: str
) -> None:
    """A float64 copy of train is 376 MB; the figures must stay far below even float32's 188."""
    train = real_service.images("train")
    tracemalloc.start()
    try:
        split_figures(mode, train, 72.94, 90.02)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40e6, f"{peak / 1e6:.1f} MB"
