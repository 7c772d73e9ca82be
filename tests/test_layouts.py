"""The usual layouts of a copy (Keras/Debian IDX, torchvision, zalando repository, Kaggle CSV),
the kagglehub cache, why a place is not used, and the order places are searched in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import Arrays, make_service, tiny_arrays, write_tiny_dataset

from tui import cli, data_sources
from tui.data_sources import (
    CSV_FILES,
    DEBIAN_DIR,
    IDX,
    KAGGLE_CSV,
    TORCHVISION,
    ZALANDO,
    Candidate,
    candidates,
    kagglehub_dir,
    locate,
    missing_data_line,
    missing_data_message,
    resolve,
    why_not,
)
from tui.idx import DataFileError
from tui.kaggle_csv import read_csv_split

TMP_FALLBACK = Path("/tmp/.keras/datasets/fashion-mnist")
HEADER = "label," + ",".join(f"pixel{i}" for i in range(1, 785))
KAGGLE_SLUG = ("datasets", "zalando-research", "fashionmnist", "versions")


def csv_text(images: np.ndarray, labels: np.ndarray, header: str | None = HEADER) -> str:
    rows = [",".join(map(str, [int(label), *image.reshape(-1).tolist()]))
            for image, label in zip(images, labels, strict=True)]
    return "\n".join(([header] if header is not None else []) + rows) + "\n"


def write_csv_dataset(folder: Path, arrays: Arrays | None = None) -> Path:
    """The tiny set as Kaggle's two CSV files."""
    arrays = arrays or tiny_arrays()
    folder.mkdir(parents=True, exist_ok=True)
    for split, name in CSV_FILES.items():
        images, labels = arrays[split]
        (folder / name).write_text(csv_text(images, labels))
    return folder


def assert_same_as_tiny(folder: Path, layout: str, found_in: Path) -> None:
    service = make_service(folder)
    report = service.load()
    assert report.source.layout == layout
    assert report.source.directory == found_in
    assert report.problems == {}
    assert report.counts == {"train": 12, "test": 5}
    for split, (images, labels) in tiny_arrays().items():
        assert np.array_equal(service.labels(split), labels)
        assert np.array_equal(service.sample(split, len(labels) - 1).image, images[-1])


# ----- layouts -------------------------------------------------------------------------------


def test_idx_layout_is_described_without_a_suffix(tiny_dataset: Path) -> None:
    found = resolve(Candidate("--data-dir", tiny_dataset))
    assert found == Candidate("--data-dir", tiny_dataset, IDX)
    assert found is not None and found.describe() == f"--data-dir: {tiny_dataset}"


def test_torchvision_layout_uncompressed_in_fashionmnist_raw(tmp_path: Path) -> None:
    raw = write_tiny_dataset(tmp_path / "torch" / "FashionMNIST" / "raw", compress=False)
    assert not list(raw.glob("*.gz"))
    found = resolve(Candidate("--data-dir", tmp_path / "torch"))
    assert found == Candidate("--data-dir", raw, TORCHVISION)
    assert found is not None and found.describe() == f"--data-dir: {raw} (torchvision layout)"
    assert_same_as_tiny(tmp_path / "torch", TORCHVISION, raw)


def test_zalando_repository_layout(tmp_path: Path) -> None:
    fashion = write_tiny_dataset(tmp_path / "fashion-mnist" / "data" / "fashion")
    found = resolve(Candidate("--data-dir", tmp_path / "fashion-mnist"))
    assert found is not None and found.layout == ZALANDO
    assert "zalandoresearch" in found.describe()
    assert_same_as_tiny(tmp_path / "fashion-mnist", ZALANDO, fashion)


def test_files_at_the_top_win_over_a_nested_layout(tmp_path: Path) -> None:
    write_tiny_dataset(tmp_path / "d" / "FashionMNIST" / "raw", compress=False)
    write_tiny_dataset(tmp_path / "d")
    found = resolve(Candidate("--data-dir", tmp_path / "d"))
    assert found == Candidate("--data-dir", tmp_path / "d", IDX)


def test_kaggle_csv_layout(tmp_path: Path) -> None:
    folder = write_csv_dataset(tmp_path / "kaggle")
    found = resolve(Candidate("--data-dir", folder))
    assert found == Candidate("--data-dir", folder, KAGGLE_CSV)
    assert found is not None and found.describe().endswith("(Kaggle CSV)")
    assert_same_as_tiny(folder, KAGGLE_CSV, folder)
    report = make_service(folder).load()
    assert report.original is False  # the tiny set, as CSV, is not Fashion-MNIST
    assert any("not the original" in w for w in report.warnings())


def test_read_csv_split_values_are_read_only_uint8(tmp_path: Path) -> None:
    folder = write_csv_dataset(tmp_path / "kaggle")
    images, labels = read_csv_split(folder / CSV_FILES["test"])
    assert images.dtype == labels.dtype == np.uint8
    assert images.shape == (5, 28, 28)
    assert not images.flags.writeable and not labels.flags.writeable
    assert np.array_equal(images, tiny_arrays()["test"][0])


# ----- bad Kaggle CSV files -------------------------------------------------------------------


def one_row(label: int = 3, pixel: int = 7, count: int = 784) -> str:
    return ",".join(map(str, [label, *[pixel] * count]))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (one_row() + "\n", "no 'label,pixel1,...' header line"),
        (HEADER + "\n" + one_row(count=9) + "\n", "rows have 10 values"),
        (HEADER + "\n" + one_row(label=10) + "\n", "labels outside 0..9"),
        (HEADER + "\n" + one_row(label=-1) + "\n", "labels outside 0..9"),
        (HEADER + "\n" + one_row(pixel=300) + "\n", "pixel values outside 0..255"),
        (HEADER + "\n" + one_row().replace(",7,", ",seven,", 1) + "\n", "not a table"),
        (HEADER + "\n" + one_row() + "\n" + one_row(count=783) + "\n", "not a table"),
        (HEADER + "\n", "holds no rows"),
        ("", "no 'label,pixel1,...' header line"),
    ],
    ids=["no-header", "wrong-columns", "label-10", "label-negative", "pixel-300", "word",
         "ragged", "header-only", "empty"],
)
@pytest.mark.filterwarnings("ignore:loadtxt:UserWarning")  # see the xfail test at the end
def test_bad_csv_names_the_file_and_keeps_the_other_split(
    tmp_path: Path, content: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_csv_dataset(tmp_path / "kaggle")
    bad = folder / CSV_FILES["test"]
    bad.write_text(content)
    with pytest.raises(DataFileError) as caught:
        read_csv_split(bad)
    assert caught.value.path == bad
    assert words in caught.value.reason
    service = make_service(folder)
    report = service.load()
    assert report.problems["test"].path == bad
    assert words in str(report.problems["test"])
    assert report.counts == {"train": 12}
    assert service.sample("train", 0).label == 9
    code = cli.main(["show", "0", "--split", "test", "--data-dir", str(folder)])
    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    assert len(err.splitlines()) == 1 and bad.name in err and words in err


# ----- the kagglehub cache --------------------------------------------------------------------


def kagglehub_versions(cache: Path, *versions: str) -> Path:
    base = cache.joinpath(*KAGGLE_SLUG)
    for version in versions:
        (base / version).mkdir(parents=True)
    return base


def test_kagglehub_newest_version_wins(tmp_path: Path) -> None:
    base = kagglehub_versions(tmp_path / "kh", "1", "2", "not-a-number")
    env = {"KAGGLEHUB_CACHE": str(tmp_path / "kh"), "KERAS_HOME": str(tmp_path / "k")}
    assert kagglehub_dir(env) == base / "2"
    (base / "10").mkdir()
    assert kagglehub_dir(env) == base / "10"  # numerically, not as text
    found = candidates(None, env)
    assert found[-1] == Candidate("kagglehub cache", base / "10")


def test_kagglehub_default_cache_is_under_home(tmp_path: Path) -> None:
    base = kagglehub_versions(tmp_path / "home" / ".cache" / "kagglehub", "3")
    assert kagglehub_dir({"HOME": str(tmp_path / "home")}) == base / "3"
    assert kagglehub_dir({"HOME": str(tmp_path / "nobody")}) is None
    assert kagglehub_dir({"KAGGLEHUB_CACHE": str(tmp_path / "nothing")}) is None
    kagglehub_versions(tmp_path / "empty")
    assert kagglehub_dir({"KAGGLEHUB_CACHE": str(tmp_path / "empty")}) is None
    assert kagglehub_dir({"KAGGLEHUB_CACHE": str(tmp_path / "empty")}) is None


def test_kagglehub_copy_is_found_when_nothing_comes_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if data_sources.holds_dataset(TMP_FALLBACK):
        pytest.skip(f"{TMP_FALLBACK} holds a copy of the data on this machine")
    monkeypatch.setattr(data_sources, "DEBIAN_DIR", tmp_path / "no-debian")
    base = kagglehub_versions(tmp_path / "kh", "1", "2")
    write_csv_dataset(base / "1")
    write_csv_dataset(base / "2")
    env = {"KAGGLEHUB_CACHE": str(tmp_path / "kh"), "KERAS_HOME": str(tmp_path / "k")}
    source, searched = locate(None, env)
    assert source == Candidate("kagglehub cache", base / "2", KAGGLE_CSV)
    assert searched[-1].kind == "kagglehub cache"
    service = make_service(None, environ=env)
    assert service.load().source == source


def test_cli_stats_json_reports_layout_and_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    torch = tmp_path / "torch"
    write_tiny_dataset(torch / "FashionMNIST" / "raw", compress=False)
    kaggle = write_csv_dataset(tmp_path / "kaggle")
    for folder, layout, where in ((torch, TORCHVISION, torch / "FashionMNIST" / "raw"),
                                  (kaggle, KAGGLE_CSV, kaggle)):
        assert cli.main(["stats", "--json", "--data-dir", str(folder)]) == 0
        payload = json.loads(capsys.readouterr().out)
        assert payload["layout"] == layout
        assert payload["source"] == str(where)
        assert payload["source_kind"] == "--data-dir"
        assert payload["original"] is False
        assert payload["splits"]["test"]["count"] == 5
    monkeypatch.setenv("FASHION_MNIST_DIR", str(kaggle))
    assert cli.main(["stats", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["source_kind"], payload["layout"]) == ("$FASHION_MNIST_DIR", KAGGLE_CSV)


# ----- why a place is not used ------------------------------------------------------------------


def test_why_not_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def reason(path: Path) -> str:
        return why_not(Candidate("--data-dir", path))

    assert reason(tmp_path / "missing") == "no such folder"
    (tmp_path / "file").write_text("x")
    assert reason(tmp_path / "file") == "not a folder"
    (tmp_path / "empty").mkdir()
    assert reason(tmp_path / "empty") == "no Fashion-MNIST files"
    partial = write_tiny_dataset(tmp_path / "partial")
    (partial / "train-labels-idx1-ubyte.gz").unlink()
    (partial / "t10k-images-idx3-ubyte.gz").unlink()
    assert reason(partial) == (
        "only 2 of the 4 files (missing train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz)"
    )
    kaggle = write_csv_dataset(tmp_path / "kaggle")
    (kaggle / CSV_FILES["test"]).unlink()
    assert reason(kaggle) == f"only {CSV_FILES['train']} of the two Kaggle CSV files"
    locked = write_tiny_dataset(tmp_path / "locked")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == locked
                        else real_access(p, mode, **k))
    assert reason(locked) == "cannot be read (permission denied)"


def test_missing_data_texts_give_each_place_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    searched = [Candidate("--data-dir", tmp_path / "empty"),
                Candidate("Keras cache", tmp_path / "k")]
    message = missing_data_message(searched)
    assert f"--data-dir: {tmp_path / 'empty'}: no Fashion-MNIST files" in message
    assert f"Keras cache: {tmp_path / 'k'}: no such folder" in message
    assert "fashion-tui download" in message
    line = missing_data_line(searched)
    assert "\n" not in line
    assert str(tmp_path / "empty") in line and "no Fashion-MNIST files" in line
    assert str(tmp_path / "k") in line and "no such folder" in line
    assert "fashion-tui download" in line and "--data-dir" in line


# ----- search order ------------------------------------------------------------------------------


def test_search_order_with_environ_dicts(tmp_path: Path) -> None:
    base = kagglehub_versions(tmp_path / "kh", "4")
    env = {"KERAS_HOME": str(tmp_path / "k"), "KAGGLEHUB_CACHE": str(tmp_path / "kh")}
    assert [(c.kind, c.directory) for c in candidates(None, env)] == [
        ("Keras cache", tmp_path / "k" / "datasets" / "fashion-mnist"),
        ("Keras fallback cache", TMP_FALLBACK),
        ("Debian package", DEBIAN_DIR),
        ("kagglehub cache", base / "4"),
    ]
    with_dir = {**env, "FASHION_MNIST_DIR": str(tmp_path / "env")}
    assert candidates(None, with_dir) == [Candidate("$FASHION_MNIST_DIR", tmp_path / "env")]
    assert candidates(tmp_path / "cli", with_dir) == [Candidate("--data-dir", tmp_path / "cli")]
    home_only = {"HOME": str(tmp_path / "h")}
    assert candidates(None, home_only)[0].directory == (
        tmp_path / "h" / ".keras" / "datasets" / "fashion-mnist"
    )


def test_first_place_with_a_copy_wins_whatever_its_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if data_sources.holds_dataset(TMP_FALLBACK):
        pytest.skip(f"{TMP_FALLBACK} holds a copy of the data on this machine")
    debian = write_csv_dataset(tmp_path / "debian")
    monkeypatch.setattr(data_sources, "DEBIAN_DIR", debian)
    base = kagglehub_versions(tmp_path / "kh", "1")
    write_tiny_dataset(base / "1")
    env = {"KERAS_HOME": str(tmp_path / "k"), "KAGGLEHUB_CACHE": str(tmp_path / "kh")}
    assert locate(None, env)[0] == Candidate("Debian package", debian, KAGGLE_CSV)
    cache = write_tiny_dataset(tmp_path / "k" / "datasets" / "fashion-mnist" / "data" / "fashion")
    assert locate(None, env)[0] == Candidate("Keras cache", cache, ZALANDO)


def test_header_only_csv_is_one_line_in_a_real_process(tmp_path: Path) -> None:
    folder = write_csv_dataset(tmp_path / "kaggle")
    (folder / CSV_FILES["test"]).write_text(HEADER + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "show", "0", "--split", "test", "--data-dir", str(folder)],
        capture_output=True, text=True, timeout=60, check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 3
    assert "holds no rows" in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
