"""The headless data service and the search for a copy of the data, over the tiny set."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import Arrays, RecordingDownloader, fake_clock, make_service, write_tiny_dataset

from tui import data_sources
from tui.data_service import (
    CLASS_NAMES,
    NORMALIZER,
    DataNotFoundError,
    FashionMnistService,
    SplitUnavailableError,
    pixel_histogram,
    stats_from_arrays,
)
from tui.data_sources import (
    DEBIAN_DIR,
    FILE_STEMS,
    candidates,
    find_file,
    holds_dataset,
    keras_cache_dir,
    locate,
    missing_data_message,
)
from tui.downloader import DownloadError
from tui.idx import DataFileError, write_idx
from tui.runtime_info import RuntimeInfo

TMP_FALLBACK = Path("/tmp/.keras/datasets/fashion-mnist")


def loaded(data_dir: Path) -> FashionMnistService:
    service = make_service(data_dir)
    service.load()
    return service


# ----- where the data is searched ------------------------------------------------------------


def test_class_names_are_the_ten_fashion_mnist_classes() -> None:
    assert CLASS_NAMES == (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    )


def test_explicit_data_dir_is_the_only_place_searched(tmp_path: Path) -> None:
    env = {"FASHION_MNIST_DIR": str(tmp_path / "env"), "KERAS_HOME": str(tmp_path / "k")}
    found = candidates(tmp_path / "mine", env)
    assert [c.directory for c in found] == [tmp_path / "mine"]
    assert "--data-dir" in found[0].kind


def test_env_dir_comes_before_keras_cache_and_is_the_only_place(tmp_path: Path) -> None:
    env = {"FASHION_MNIST_DIR": str(tmp_path / "env"), "KERAS_HOME": str(tmp_path / "k")}
    found = candidates(None, env)
    assert [c.directory for c in found] == [tmp_path / "env"]
    assert "FASHION_MNIST_DIR" in found[0].kind


def test_empty_env_dir_is_ignored(tmp_path: Path) -> None:
    env = {"FASHION_MNIST_DIR": "", "KERAS_HOME": str(tmp_path / "k")}
    assert candidates(None, env)[0].directory == tmp_path / "k" / "datasets" / "fashion-mnist"


def test_default_order_keras_home_then_tmp_fallback_then_debian(tmp_path: Path) -> None:
    env = {"KERAS_HOME": str(tmp_path / "k")}
    found = candidates(None, env)
    assert [c.directory for c in found] == [
        tmp_path / "k" / "datasets" / "fashion-mnist", TMP_FALLBACK, DEBIAN_DIR,
    ]
    assert Path("/usr/share/datasets/fashion-mnist") == DEBIAN_DIR
    assert all("Keras" in c.kind for c in found[:2])


def test_keras_cache_defaults_to_home_dot_keras(isolated_home: Path) -> None:
    # KERAS_HOME unset: Keras uses ~/.keras (the autouse fixture points HOME at a tmp dir).
    assert keras_cache_dir({}) == isolated_home / ".keras" / "datasets" / "fashion-mnist"
    assert candidates(None, {})[0].directory == isolated_home / ".keras/datasets/fashion-mnist"


def test_keras_home_in_tmp_is_not_listed_twice() -> None:
    found = candidates(None, {"KERAS_HOME": "/tmp/.keras"})
    assert [c.directory for c in found] == [TMP_FALLBACK, DEBIAN_DIR]


def test_data_dir_tilde_is_expanded(isolated_home: Path) -> None:
    assert candidates(Path("~/fm"), {})[0].directory == isolated_home / "fm"


def test_candidates_default_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "from-env"))
    assert [c.directory for c in candidates()] == [tmp_path / "from-env"]


def test_locate_finds_keras_cache(tmp_path: Path) -> None:
    env = {"KERAS_HOME": str(tmp_path / "k")}
    write_tiny_dataset(keras_cache_dir(env))
    source, searched = locate(None, env)
    assert source is not None
    assert source.directory == keras_cache_dir(env)
    assert searched[0] == source


def test_locate_prefers_env_dir_over_keras_cache(tmp_path: Path) -> None:
    env = {"KERAS_HOME": str(tmp_path / "k"), "FASHION_MNIST_DIR": str(tmp_path / "env")}
    write_tiny_dataset(keras_cache_dir(env))
    write_tiny_dataset(tmp_path / "env")
    source, _ = locate(None, env)
    assert source is not None and source.directory == tmp_path / "env"


def test_locate_explicit_empty_dir_finds_nothing_even_with_a_cache(tmp_path: Path) -> None:
    env = {"KERAS_HOME": str(tmp_path / "k")}
    write_tiny_dataset(keras_cache_dir(env))
    (tmp_path / "empty").mkdir()
    source, searched = locate(tmp_path / "empty", env)
    assert source is None
    assert [c.directory for c in searched] == [tmp_path / "empty"]


def test_locate_nothing_anywhere_lists_every_place(tmp_path: Path) -> None:
    if holds_dataset(TMP_FALLBACK) or holds_dataset(DEBIAN_DIR):
        pytest.skip("this machine has a system-wide copy of the data")
    env = {"KERAS_HOME": str(tmp_path / "k")}
    source, searched = locate(None, env)
    assert source is None
    assert [c.directory for c in searched] == [c.directory for c in candidates(None, env)]


def test_three_files_are_not_a_dataset(tmp_path: Path) -> None:
    write_tiny_dataset(tmp_path / "d")
    (tmp_path / "d" / "t10k-labels-idx1-ubyte.gz").unlink()
    assert not holds_dataset(tmp_path / "d")
    assert locate(tmp_path / "d", {})[0] is None


def test_find_file_prefers_gz_and_accepts_plain(tmp_path: Path) -> None:
    stem = FILE_STEMS[0]
    assert find_file(tmp_path, stem) is None
    (tmp_path / stem).write_bytes(b"x")
    assert find_file(tmp_path, stem) == tmp_path / stem
    (tmp_path / f"{stem}.gz").write_bytes(b"x")
    assert find_file(tmp_path, stem) == tmp_path / f"{stem}.gz"


def test_missing_data_message_names_every_place_and_the_fix(tmp_path: Path) -> None:
    searched = candidates(None, {"KERAS_HOME": str(tmp_path / "k")})
    message = missing_data_message(searched)
    for candidate in searched:
        assert str(candidate.directory) in message
    assert "--data-dir" in message
    assert "fashion-tui download" in message
    assert f"{searched[0].directory}: no such folder" in message  # each place with its reason


# ----- loading -------------------------------------------------------------------------------


def test_load_reads_both_splits_exactly(tiny_dataset: Path, tiny: Arrays) -> None:
    service = make_service(tiny_dataset)
    assert not service.is_loaded
    report = service.load()
    assert service.is_loaded
    assert report.source.directory == tiny_dataset
    assert service.source == report.source
    assert report.counts == {"train": 12, "test": 5}
    for split, (images, labels) in tiny.items():
        assert service.count(split) == len(labels)
        assert np.array_equal(service.labels(split), labels)
        for index in range(len(labels)):
            sample = service.sample(split, index)
            assert np.array_equal(sample.image, images[index])
            assert sample.label == labels[index]


def test_load_time_comes_from_the_injected_clock(tiny_dataset: Path) -> None:
    service = make_service(tiny_dataset, clock=fake_clock(0.25))
    assert service.load().seconds == 0.25


def test_uncompressed_dataset_loads_the_same(tmp_path: Path, tiny: Arrays) -> None:
    plain = write_tiny_dataset(tmp_path / "plain", compress=False)
    assert not list(plain.glob("*.gz"))
    service = loaded(plain)
    assert np.array_equal(service.sample("train", 3).image, tiny["train"][0][3])


def test_load_missing_raises_data_not_found_with_searched(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    service = make_service(tmp_path / "empty")
    with pytest.raises(DataNotFoundError) as caught:
        service.load()
    assert [c.directory for c in caught.value.searched] == [tmp_path / "empty"]
    assert not service.is_loaded


def test_swapped_images_and_labels_names_the_file(tiny_dataset: Path) -> None:
    images = tiny_dataset / "train-images-idx3-ubyte.gz"
    labels = tiny_dataset / "train-labels-idx1-ubyte.gz"
    swap = tiny_dataset / "swap"
    images.rename(swap)
    labels.rename(images)
    swap.rename(labels)
    service = make_service(tiny_dataset)
    report = service.load()
    problem = report.problems["train"]
    assert problem.path == images
    assert problem.path.name in str(problem)
    assert "swapped" in str(problem)
    assert service.splits == ("test",)
    assert service.count("test") == 5  # the other split stays usable


def test_truncated_file_in_dataset_is_named(tiny_dataset: Path, tiny: Arrays) -> None:
    path = tiny_dataset / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    service = make_service(tiny_dataset)
    report = service.load()
    assert set(report.problems) == {"test"}
    assert service.problem("test") is report.problems["test"]
    assert report.problems["test"].path == path
    assert "truncated" in report.problems["test"].reason
    assert report.counts == {"train": 12}
    assert service.problem("train") is None
    assert np.array_equal(service.sample("train", 2).image, tiny["train"][0][2])
    with pytest.raises(SplitUnavailableError) as caught:
        service.sample("test", 0)
    assert caught.value.split == "test"
    assert path.name in str(caught.value)
    with pytest.raises(SplitUnavailableError):
        service.count("test")
    assert any(path.name in warning for warning in report.warnings())


def test_both_splits_broken_raises_the_first_problem(tiny_dataset: Path) -> None:
    train = tiny_dataset / "train-labels-idx1-ubyte.gz"
    test = tiny_dataset / "t10k-labels-idx1-ubyte.gz"
    train.write_bytes(b"")
    test.write_bytes(test.read_bytes()[:-4])
    service = make_service(tiny_dataset)
    with pytest.raises(DataFileError) as caught:
        service.load()
    assert caught.value.path == train  # train comes first
    assert "empty" in caught.value.reason
    assert not service.is_loaded


def test_empty_file_in_dataset_is_named(tiny_dataset: Path) -> None:
    path = tiny_dataset / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"")
    report = make_service(tiny_dataset).load()
    assert report.problems["train"].path == path
    assert "empty" in report.problems["train"].reason
    assert report.counts == {"test": 5}


def test_label_count_mismatch(tiny_dataset: Path, tiny: Arrays) -> None:
    path = tiny_dataset / "train-labels-idx1-ubyte.gz"
    write_idx(path, tiny["train"][1][:-1])
    report = make_service(tiny_dataset).load()
    problem = report.problems["train"]
    assert problem.path == path
    assert "11" in problem.reason and "12" in problem.reason
    assert report.counts == {"test": 5}


def test_label_above_nine_in_dataset(tiny_dataset: Path, tiny: Arrays) -> None:
    labels = tiny["test"][1].copy()
    labels[2] = 12
    write_idx(tiny_dataset / "t10k-labels-idx1-ubyte.gz", labels)
    report = make_service(tiny_dataset).load()
    assert "12" in report.problems["test"].reason
    assert report.problems["test"].path.name == "t10k-labels-idx1-ubyte.gz"
    assert report.counts == {"train": 12}


def test_failed_reload_keeps_previous_data(tiny_dataset: Path, tmp_path: Path) -> None:
    service = loaded(tiny_dataset)
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dataset, broken)
    (broken / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08")
    (broken / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    source = data_sources.Candidate("--data-dir", broken)
    with pytest.raises(DataFileError):
        service.load_from(source)
    assert service.source is not None and service.source.directory == tiny_dataset
    assert service.count("train") == 12


def test_empty_split_is_refused_when_loading(tiny_dataset: Path) -> None:
    write_idx(tiny_dataset / "t10k-images-idx3-ubyte.gz", np.zeros((0, 28, 28), np.uint8))
    write_idx(tiny_dataset / "t10k-labels-idx1-ubyte.gz", np.zeros(0, np.uint8))
    service = make_service(tiny_dataset)
    report = service.load()
    assert report.problems["test"].path.name == "t10k-images-idx3-ubyte.gz"
    assert "no images" in report.problems["test"].reason
    assert service.splits == ("train",)


# ----- samples and /255.0 --------------------------------------------------------------------


def test_sample_fields_and_label_name(tiny_dataset: Path, tiny: Arrays) -> None:
    service = loaded(tiny_dataset)
    sample = service.sample("test", 4)
    assert (sample.split, sample.index) == ("test", 4)
    assert sample.label == int(tiny["test"][1][4])
    assert sample.label_name == CLASS_NAMES[sample.label]
    assert service.sample("train", 0).label_name == "Ankle boot"  # label 9
    assert sample.image.shape == (28, 28) and sample.image.dtype == np.uint8


def test_sample_image_is_read_only(tiny_dataset: Path) -> None:
    image = loaded(tiny_dataset).sample("train", 0).image
    with pytest.raises(ValueError):
        image[0, 0] = 7


def test_normalized_is_exactly_divided_by_255(tiny_dataset: Path, tiny: Arrays) -> None:
    service = loaded(tiny_dataset)
    assert NORMALIZER == 255.0
    for split, (images, _labels) in tiny.items():
        for index in range(len(images)):
            normalized = service.normalized(split, index)
            assert normalized.dtype == np.float64
            assert np.array_equal(normalized, images[index] / 255.0)
    first = service.normalized("train", 0)[0, :4]  # the probe row: 0, 1, 128, 255
    assert first[0] == 0.0
    assert first[1] == 1 / 255
    assert round(float(first[1]), 8) == 0.00392157
    assert round(float(first[2]), 8) == 0.50196078
    assert first[3] == 1.0


@pytest.mark.parametrize("split", ["validation", "Train", ""])
def test_unknown_split(tiny_dataset: Path, split: str) -> None:
    service = loaded(tiny_dataset)
    with pytest.raises(ValueError, match="unknown split"):
        service.sample(split, 0)
    with pytest.raises(ValueError):
        service.split_stats(split)


@pytest.mark.parametrize(("split", "index"), [("train", 12), ("train", -1), ("test", 5),
                                              ("test", 10**9)])
def test_index_outside_split(tiny_dataset: Path, split: str, index: int) -> None:
    service = loaded(tiny_dataset)
    with pytest.raises(IndexError) as caught:
        service.sample(split, index)
    assert str(index) in str(caught.value)
    assert f"0..{service.count(split) - 1}" in str(caught.value)
    with pytest.raises(IndexError):
        service.normalized(split, index)


def test_queries_before_load_say_so(tiny_dataset: Path) -> None:
    service = make_service(tiny_dataset)
    with pytest.raises(RuntimeError, match="not loaded"):
        service.sample("train", 0)
    with pytest.raises(RuntimeError):
        service.count("test")


# ----- statistics ----------------------------------------------------------------------------


@pytest.mark.parametrize("split", ["train", "test"])
def test_stats_match_numpy(tiny_dataset: Path, tiny: Arrays, split: str) -> None:
    images, labels = tiny[split]
    stats = loaded(tiny_dataset).split_stats(split)
    normalized = images / 255.0
    assert stats.split == split
    assert stats.count == len(images)
    assert stats.shape == (28, 28)
    assert stats.dtype == "uint8"
    assert stats.pixel_mean == pytest.approx(np.mean(images), rel=1e-12)
    assert stats.pixel_std == pytest.approx(np.std(images), rel=1e-12)
    assert stats.pixel_min == int(images.min())
    assert stats.pixel_max == int(images.max())
    assert stats.normalized_mean == pytest.approx(np.mean(normalized), rel=1e-12)
    assert stats.normalized_std == pytest.approx(np.std(normalized), rel=1e-12)
    assert stats.normalized_min == float(normalized.min())
    assert stats.normalized_max == float(normalized.max())
    assert stats.zero_fraction == pytest.approx(np.mean(images == 0), rel=1e-12)
    counts = np.bincount(labels, minlength=10)
    assert stats.class_counts == {name: int(counts[i]) for i, name in enumerate(CLASS_NAMES)}
    assert list(stats.class_counts) == list(CLASS_NAMES)
    assert stats.bytes_uint8 == images.nbytes
    assert stats.bytes_float64 == normalized.nbytes == 8 * images.nbytes


def test_stats_as_json_is_plain_and_complete(tiny_dataset: Path) -> None:
    stats = loaded(tiny_dataset).split_stats("train")
    payload = stats.as_json()
    assert payload["count"] == 12
    assert payload["shape"] == [28, 28]
    assert payload["pixel_mean"] == stats.pixel_mean
    assert set(payload) >= {"class_counts", "pixel_std", "normalized_mean", "zero_fraction",
                            "bytes_uint8", "bytes_float64"}


def test_stats_are_cached_and_reset_by_a_new_load(tiny_dataset: Path) -> None:
    service = loaded(tiny_dataset)
    first = service.split_stats("train")
    assert service.split_stats("train") is first
    service.load()
    assert service.split_stats("train") is not first
    assert service.split_stats("train") == first


def test_stats_from_arrays_on_hand_made_values() -> None:
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    images[0, 0, 0] = 255
    images[1, 5, 5] = 1
    stats = stats_from_arrays("train", images, np.array([3, 3], dtype=np.uint8))
    assert stats.pixel_min == 0 and stats.pixel_max == 255
    assert stats.normalized_max == 1.0
    assert stats.zero_fraction == (2 * 784 - 2) / (2 * 784)
    assert stats.class_counts["Dress"] == 2 and sum(stats.class_counts.values()) == 2


@pytest.mark.parametrize("chunk", [1, 7, 784, 1 << 20])
def test_pixel_histogram_is_chunk_independent(tiny: Arrays, chunk: int) -> None:
    images = tiny["train"][0]
    histogram = pixel_histogram(images, chunk=chunk)
    assert np.array_equal(histogram, np.bincount(images.reshape(-1), minlength=256))
    assert histogram.sum() == images.size


# ----- injected collaborators ----------------------------------------------------------------


def test_download_and_runtime_use_injected_callables(tmp_path: Path) -> None:
    info = RuntimeInfo(python="3.11.7", numpy="2.4.6")
    downloader = RecordingDownloader(lambda _call, _progress: ["t10k-labels-idx1-ubyte.gz"])
    env = {"KERAS_HOME": str(tmp_path / "k")}
    service = FashionMnistService(
        environ=env, runtime_probe=lambda: info, downloader=downloader,
    )
    assert service.download() == ["t10k-labels-idx1-ubyte.gz"]
    assert service.download(force=True) == ["t10k-labels-idx1-ubyte.gz"]
    keras_cache = tmp_path / "k" / "datasets" / "fashion-mnist"
    assert [(c.target, c.force) for c in downloader.calls] == [
        (keras_cache, False), (keras_cache, True),
    ]
    assert downloader.calls[0].environ is env
    assert service.runtime_info() is info
    assert service.download_target() == keras_cache


def test_download_target_is_the_folder_the_user_named(tmp_path: Path) -> None:
    env = {"KERAS_HOME": str(tmp_path / "k"), "FASHION_MNIST_DIR": str(tmp_path / "env")}
    downloader = RecordingDownloader()
    explicit = FashionMnistService(data_dir=tmp_path / "mine", environ=env,
                                   downloader=downloader)
    assert explicit.download_target() == tmp_path / "mine"
    from_env = FashionMnistService(environ=env, downloader=downloader)
    assert from_env.download_target() == tmp_path / "env"
    from_env.download(progress=print)
    assert downloader.calls[0].target == tmp_path / "env"
    assert downloader.calls[0].has_progress


def test_download_error_propagates(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    with pytest.raises(DownloadError, match="offline"):
        service.download()


def test_runtime_info_device_summary_and_json() -> None:
    cpu = RuntimeInfo(python="3", numpy="2", tensorflow="2.21.0", keras="3.15.1",
                      devices=("CPU:0",))
    assert "CPU" in cpu.device_summary()
    gpu = RuntimeInfo(python="3", numpy="2", gpus=("GPU:0",), devices=("CPU:0", "GPU:0"))
    assert "GPU:0" in gpu.device_summary()
    broken = RuntimeInfo(python="3", numpy="2", error="no tensorflow")
    assert "no tensorflow" in broken.device_summary()
    assert cpu.as_json()["devices"] == ["CPU:0"]
    assert cpu.as_json()["tensorflow"] == "2.21.0"
