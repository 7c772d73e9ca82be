"""The real Fashion-MNIST files against the reference facts (shared/docs/facts.md) and Keras."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from tui import cli
from tui.data_service import CLASS_NAMES, FashionMnistService
from tui.idx import read_file_bytes

pytestmark = pytest.mark.realdata

MB = 1_000_000
FIRST_TRAIN_LABELS = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
FIRST_TEST_LABELS = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
TRAIN0_ROW5_RAW = [0] * 12 + [6, 0, 102, 204, 176, 134, 144, 123, 23, 0, 0, 0, 0, 12, 10, 0]
TRAIN0_ROW5_NORMALIZED_4DP = {
    12: 0.0235, 14: 0.4000, 15: 0.8000, 16: 0.6902, 17: 0.5255, 18: 0.5647, 19: 0.4824,
    20: 0.0902, 25: 0.0471, 26: 0.0392,
}
DECOMPRESSED_SHA256 = {
    "train-images-idx3-ubyte.gz":
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz":
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz":
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz":
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


@pytest.fixture(scope="module")
def real(real_data_dir: Path) -> FashionMnistService:
    service = FashionMnistService(data_dir=real_data_dir)
    service.load()
    return service


def test_decompressed_files_match_the_reference_hashes(real_data_dir: Path) -> None:
    for name, digest in DECOMPRESSED_SHA256.items():
        content = read_file_bytes(real_data_dir / name)
        assert hashlib.sha256(content).hexdigest() == digest, name


def test_shapes_dtypes_and_counts(real: FashionMnistService) -> None:
    assert real.report is not None
    assert real.report.counts == {"train": 60000, "test": 10000}
    assert real.report.original is True  # the checksums of the original Fashion-MNIST
    assert real.report.problems == {} and real.report.warnings() == []
    for split, count in (("train", 60000), ("test", 10000)):
        stats = real.split_stats(split)
        assert stats.count == count
        assert stats.shape == (28, 28)
        assert stats.dtype == "uint8"
        assert real.labels(split).dtype == np.uint8
        assert real.labels(split).shape == (count,)
        assert stats.class_counts == dict.fromkeys(CLASS_NAMES, count // 10)
        assert (stats.pixel_min, stats.pixel_max) == (0, 255)
        assert (stats.normalized_min, stats.normalized_max) == (0.0, 1.0)


def test_first_labels(real: FashionMnistService) -> None:
    assert real.labels("train")[:10].tolist() == FIRST_TRAIN_LABELS
    assert real.labels("test")[:10].tolist() == FIRST_TEST_LABELS


def test_pixel_statistics(real: FashionMnistService) -> None:
    train, test = real.split_stats("train"), real.split_stats("test")
    assert round(train.pixel_mean, 4) == 72.9404
    assert round(train.pixel_std, 4) == 90.0212
    assert round(train.normalized_mean, 4) == 0.2860
    assert round(train.normalized_std, 4) == 0.3530
    assert round(test.pixel_mean, 4) == 73.1466
    assert round(test.pixel_std, 4) == 89.8733
    assert round(test.normalized_mean, 4) == 0.2868
    assert round(test.normalized_std, 4) == 0.3524
    assert f"{train.zero_fraction:.1%}" == "50.2%"
    # Not MNIST's constants (0.1307, 0.3081): a common mistake in public code.
    assert abs(train.normalized_mean - 0.1307) > 0.1


def test_memory_figures(real: FashionMnistService) -> None:
    train = real.split_stats("train")
    assert f"{train.bytes_uint8 / MB:.1f}" == "47.0"
    assert f"{train.bytes_float64 / MB:.1f}" == "376.3"
    assert train.bytes_float64 == 8 * train.bytes_uint8


def test_train_0_is_the_ankle_boot(real: FashionMnistService) -> None:
    sample = real.sample("train", 0)
    assert (sample.label, sample.label_name) == (9, "Ankle boot")
    assert int(np.count_nonzero(sample.image)) == 433
    assert int(sample.image.max()) == 255
    assert round(float(sample.image.mean()), 2) == 97.25
    assert sample.image[5].tolist() == TRAIN0_ROW5_RAW
    normalized = real.normalized("train", 0)
    assert np.array_equal(normalized, sample.image / 255.0)
    for col, value in TRAIN0_ROW5_NORMALIZED_4DP.items():
        assert round(float(normalized[5, col]), 4) == value, col
    assert normalized.max() == 1.0


def test_normalized_reference_values(real: FashionMnistService) -> None:
    image = real.sample("train", 0).image
    normalized = real.normalized("train", 0)
    for raw, expected in ((0, 0.0), (255, 1.0)):
        assert np.all(normalized[image == raw] == expected)
    assert round(1 / 255.0, 8) == 0.00392157 and round(128 / 255.0, 8) == 0.50196078


def test_cli_stats_json(real_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stats", "--json", "--data-dir", str(real_data_dir)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["source"] == str(real_data_dir)
    train, test = payload["splits"]["train"], payload["splits"]["test"]
    assert (train["count"], test["count"]) == (60000, 10000)
    assert train["class_counts"] == dict.fromkeys(CLASS_NAMES, 6000)
    assert test["class_counts"] == dict.fromkeys(CLASS_NAMES, 1000)
    assert round(train["pixel_mean"], 4) == 72.9404
    assert round(train["pixel_std"], 4) == 90.0212
    assert round(test["normalized_mean"], 4) == 0.2868
    assert round(test["normalized_std"], 4) == 0.3524
    assert round(train["zero_fraction"], 3) == 0.502
    assert f"{train['bytes_float64'] / MB:.1f}" == "376.3"


def test_cli_show_0_json(real_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["show", "0", "--json", "--data-dir", str(real_data_dir)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["label"], payload["label_name"]) == (9, "Ankle boot")
    raw = np.array(payload["raw"])
    normalized = np.array(payload["normalized"])
    assert raw.shape == normalized.shape == (28, 28)
    assert raw[5].tolist() == TRAIN0_ROW5_RAW
    assert np.count_nonzero(raw) == 433
    assert np.array_equal(normalized, raw / 255.0)  # exactly, after the JSON round trip


# Keras reading the same files and finding the same arrays: see test_download.py, which
# downloads the real files through a local mirror first and then runs Keras on them.
