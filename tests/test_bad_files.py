"""Every way a data file can be bad: the file and the reason are named, the other split stays
usable, and the CLI says it in one line on standard error with a non-zero exit code.

Each case breaks a copy of the tiny set (and, where it is cheap, of the real files). Tests run
as root, so unreadable files and folders are simulated with monkeypatch instead of chmod.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import pathlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import REAL_FILES
from helpers import Arrays, make_service, tiny_arrays, write_tiny_dataset

from tui import cli, data_service
from tui.checksums import VerifiedFiles
from tui.data_service import DataNotFoundError, FashionMnistService, SplitUnavailableError
from tui.data_sources import Candidate, why_not
from tui.idx import DataFileError, idx_bytes, write_idx

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
OTHER = {"train": "test", "test": "train"}
COUNTS = {"train": 12, "test": 5}
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Access denied</title></head></html>\n"


# ----- the cases -----------------------------------------------------------------------------


def truncate(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def flip(offset: int) -> Callable[[Path], None]:
    def mutate(path: Path) -> None:
        raw = bytearray(path.read_bytes())
        raw[offset] ^= 0x55
        path.write_bytes(bytes(raw))

    return mutate


def swap_train_files(path: Path) -> None:
    other = path.parent / TRAIN_LABELS
    spare = path.parent / "spare"
    path.rename(spare)
    other.rename(path)
    spare.rename(other)


def header_count_plus_one(path: Path) -> None:
    content = bytearray(idx_bytes(tiny_arrays()["train"][0]))
    content[7] += 1  # the count, big-endian, last byte
    path.write_bytes(gzip.compress(bytes(content)))


def one_label_less(path: Path) -> None:
    write_idx(path, tiny_arrays()["test"][1][:-1])


def label_ten(path: Path) -> None:
    labels = tiny_arrays()["train"][1].copy()
    labels[4] = 10
    write_idx(path, labels)


def images_27x27(path: Path) -> None:
    write_idx(path, tiny_arrays()["test"][0][:, :27, :27])


@dataclass(frozen=True)
class Case:
    split: str  # the split that breaks
    name: str  # the file broken, and named in the message
    mutate: Callable[[Path], None]
    words: str  # in the reason


CASES = {
    "empty": Case("train", TRAIN_LABELS, lambda p: p.write_bytes(b""), "the file is empty"),
    "truncated-gzip": Case("test", TEST_IMAGES, truncate, "truncated"),
    "crc": Case("test", TEST_LABELS, flip(-6), "corrupt (CRC check failed)"),
    "deflate-byte": Case("train", TRAIN_IMAGES, flip(20), "the gzip stream is corrupt"),
    "html": Case("test", TEST_IMAGES, lambda p: p.write_bytes(HTML_PAGE), "an HTML page"),
    "swapped": Case("train", TRAIN_IMAGES, swap_train_files, "but it is a labels file"),
    "header-count": Case("train", TRAIN_IMAGES, header_count_plus_one, "header promises"),
    "counts-differ": Case("test", TEST_LABELS, one_label_less, "4 labels for 5 images"),
    "label-10": Case("train", TRAIN_LABELS, label_ten, "label 10, outside 0..9"),
    "27x27": Case("test", TEST_IMAGES, images_27x27, "images are 27x27, not 28x28"),
}


@pytest.fixture(params=list(CASES))
def broken(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Case]:
    """A copy of the tiny set with one file broken as the case says."""
    case = CASES[request.param]
    folder = write_tiny_dataset(tmp_path / "data")
    case.mutate(folder / case.name)
    return folder, case


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def stderr_lines(err: str) -> list[str]:
    """Standard error as lines, each checked to be one of ours (no traceback)."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert all(line.startswith("fashion-tui: ") for line in lines), err
    return lines


# ----- each case: the service, then the CLI --------------------------------------------------


def test_the_service_names_the_file_and_keeps_the_other_split(
    broken: tuple[Path, Case], tiny: Arrays
) -> None:
    folder, case = broken
    service = make_service(folder)
    report = service.load()
    assert set(report.problems) == {case.split}
    problem = report.problems[case.split]
    assert isinstance(problem, DataFileError)
    assert problem.path == folder / case.name
    assert case.words in str(problem)  # the reason, or for swapped names the fix
    assert case.name in str(problem)
    other = OTHER[case.split]
    assert service.splits == (other,)
    assert report.counts == {other: COUNTS[other]}
    images, labels = tiny[other]
    assert np.array_equal(service.sample(other, COUNTS[other] - 1).image, images[-1])
    assert np.array_equal(service.labels(other), labels)
    assert service.split_stats(other).count == COUNTS[other]
    with pytest.raises(SplitUnavailableError) as caught:
        service.sample(case.split, 0)
    assert case.name in str(caught.value)
    assert any(case.name in w and case.words in w for w in report.warnings())


def test_cli_stats_prints_the_good_split_warns_and_exits_3(
    broken: tuple[Path, Case], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, case = broken
    code, out, err = run(["stats", "--json", "--data-dir", str(folder)], capsys)
    assert code == 3
    payload = json.loads(out)
    assert set(payload["splits"]) == {OTHER[case.split]}
    assert set(payload["problems"]) == {case.split}
    assert case.name in payload["problems"][case.split]
    naming = [line for line in stderr_lines(err) if case.name in line]
    assert len(naming) == 1, err  # the file is named once, on one line
    assert case.words in naming[0]


def test_cli_show_on_the_bad_split_is_one_line(
    broken: tuple[Path, Case], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, case = broken
    code, out, err = run(["show", "0", "--split", case.split, "--data-dir", str(folder)], capsys)
    assert code == 3
    assert out == ""
    [line] = stderr_lines(err)
    assert str(folder / case.name) in line
    assert case.words in line


def test_cli_show_on_the_good_split_works_and_warns(
    broken: tuple[Path, Case], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, case = broken
    other = OTHER[case.split]
    code, out, err = run(["show", "1", "--split", other, "--json", "--data-dir", str(folder)],
                         capsys)
    assert code == 0
    assert json.loads(out)["split"] == other
    warnings = stderr_lines(err)
    assert all(line.startswith("fashion-tui: warning: ") for line in warnings)
    assert any(case.name in line and case.words in line for line in warnings), err


def test_both_splits_bad_is_one_line_for_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_tiny_dataset(tmp_path / "data")
    (folder / TRAIN_LABELS).write_bytes(HTML_PAGE)
    truncate(folder / TEST_IMAGES)
    with pytest.raises(DataFileError) as caught:
        make_service(folder).load()
    assert caught.value.path == folder / TRAIN_LABELS
    code, out, err = run(["stats", "--data-dir", str(folder)], capsys)
    assert (code, out) == (3, "")
    [line] = stderr_lines(err)
    assert TRAIN_LABELS in line and "HTML page" in line


# ----- a missing file ------------------------------------------------------------------------


def test_a_missing_file_means_no_copy_there_and_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_tiny_dataset(tmp_path / "data")
    (folder / TEST_LABELS).unlink()
    service = make_service(folder)
    with pytest.raises(DataNotFoundError):
        service.load()
    reason = why_not(Candidate("--data-dir", folder))
    assert reason == f"only 3 of the 4 files (missing {TEST_LABELS})"
    for argv in (["stats"], ["show", "0"]):
        code, out, err = run([*argv, "--data-dir", str(folder)], capsys)
        assert (code, out) == (3, "")
        [line] = stderr_lines(err)
        assert str(folder) in line and f"missing {TEST_LABELS}" in line
        assert "fashion-tui download" in line


def test_a_missing_file_read_directly_is_a_split_problem(tmp_path: Path) -> None:
    folder = write_tiny_dataset(tmp_path / "data")
    (folder / TEST_LABELS).unlink()
    report = make_service(folder).load_from(Candidate("--data-dir", folder))
    assert report.problems["test"].path == folder / TEST_LABELS
    assert report.problems["test"].reason == "file not found"
    assert report.counts == {"train": 12}


# ----- uncompressed IDX is fine --------------------------------------------------------------


@pytest.mark.parametrize("under_gz_name", [False, True], ids=["plain-name", "gz-name"])
def test_uncompressed_idx_loads(
    tmp_path: Path, tiny: Arrays, under_gz_name: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_tiny_dataset(tmp_path / "data")
    for name in (TRAIN_IMAGES, TEST_LABELS):
        path = folder / name
        content = gzip.decompress(path.read_bytes())
        path.unlink()
        (path if under_gz_name else path.with_suffix("")).write_bytes(content)
    service = make_service(folder)
    report = service.load()
    assert report.problems == {}
    assert report.counts == COUNTS
    assert np.array_equal(service.sample("train", 5).image, tiny["train"][0][5])
    assert np.array_equal(service.labels("test"), tiny["test"][1])
    code, _, err = run(["stats", "--data-dir", str(folder)], capsys)
    assert code == 0
    assert all("not the original" in line for line in stderr_lines(err))


# ----- unreadable files and folders (simulated: the tests run as root) -----------------------


def test_an_unreadable_file_is_named_and_the_other_split_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_tiny_dataset(tmp_path / "data")
    locked = folder / TEST_IMAGES
    real_read_bytes = pathlib.Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    report = make_service(folder).load()
    assert report.problems["test"].path == locked
    assert report.problems["test"].reason == "permission denied"
    assert "chmod" in report.problems["test"].fix
    assert report.counts == {"train": 12}
    code, out, err = run(["show", "0", "--split", "test", "--data-dir", str(folder)], capsys)
    assert (code, out) == (3, "")
    [line] = stderr_lines(err)
    assert str(locked) in line and "permission denied" in line


def lock_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make `folder` behave like a folder without read and search permission for us."""
    real_stat, real_open, real_access = pathlib.Path.stat, pathlib.Path.open, os.access

    def denied(path: Path) -> PermissionError:
        return PermissionError(errno.EACCES, "Permission denied", str(path))

    def stat(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        if folder in self.parents:
            raise denied(self)
        return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

    def open_(self: Path, *args: object, **kwargs: object) -> object:
        if folder in self.parents:
            raise denied(self)
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(str(path)) == folder or folder in Path(str(path)).parents:
            return False
        return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pathlib.Path, "stat", stat)
    monkeypatch.setattr(pathlib.Path, "open", open_)
    monkeypatch.setattr(os, "access", access)


def test_why_not_names_an_unreadable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_tiny_dataset(tmp_path / "data")
    lock_folder(monkeypatch, folder)
    assert why_not(Candidate("--data-dir", folder)) == "cannot be read (permission denied)"


def test_an_unreadable_folder_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_tiny_dataset(tmp_path / "data")
    lock_folder(monkeypatch, folder)
    assert make_service(folder).locate()[0] is None
    for argv in (["stats"], ["show", "0"]):
        code, out, err = run([*argv, "--data-dir", str(folder)], capsys)
        assert (code, out) == (3, "")
        [line] = stderr_lines(err)
        assert str(folder) in line and "cannot be read (permission denied)" in line


def test_swapped_names_suggest_checking_the_names(tmp_path: Path) -> None:
    folder = write_tiny_dataset(tmp_path / "data")
    swap_train_files(folder / TRAIN_IMAGES)
    report = make_service(folder).load()
    assert "swapped" in report.problems["train"].fix


# ----- valid data that is not the original ---------------------------------------------------


def test_the_tiny_set_is_valid_but_not_the_original(tiny_dataset: Path) -> None:
    report = make_service(tiny_dataset).load()
    assert report.problems == {}
    assert report.original is False
    [warning] = report.warnings()
    assert "not the original" in warning and str(tiny_dataset) in warning


def linked_copy(real_data_dir: Path, folder: Path, except_name: str) -> Path:
    """`folder` with links to the real files, and a private copy of `except_name`."""
    folder.mkdir()
    for name in REAL_FILES:
        if name == except_name:
            shutil.copyfile(real_data_dir / name, folder / name)
        else:
            (folder / name).symlink_to(real_data_dir / name)
    return folder / except_name


# The real data itself is the original: see test_real_data.py.


@pytest.mark.realdata
def test_debians_regzipped_copy_is_the_original(original_gz_dir: Path) -> None:
    real_data_dir = original_gz_dir
    debian = Path("/usr/share/datasets/fashion-mnist")
    if not all((debian / name).is_file() for name in REAL_FILES):
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    assert (debian / TEST_LABELS).read_bytes() != (real_data_dir / TEST_LABELS).read_bytes()
    report = FashionMnistService(data_dir=debian).load()
    assert report.original is True
    assert report.counts == {"train": 60000, "test": 10000}


@pytest.mark.realdata
def test_the_real_data_with_one_pixel_changed_is_not_the_original(
    real_data_dir: Path, tmp_path: Path
) -> None:
    path = linked_copy(real_data_dir, tmp_path / "data", TEST_IMAGES)
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[16 + 5 * 28 + 14] ^= 0x01  # test[0], row 5, column 14
    path.write_bytes(gzip.compress(bytes(content), compresslevel=1))
    service = FashionMnistService(data_dir=tmp_path / "data")
    report = service.load()
    assert report.problems == {}
    assert report.original is False
    assert any("not the original" in w for w in report.warnings())


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("mutate", "words"),
    [(truncate, "truncated"), (flip(-6), "CRC check failed"),
     (flip(100), "the gzip stream is corrupt")],
    ids=["truncated", "crc", "deflate-byte"],
)
def test_a_damaged_real_labels_file(
    real_data_dir: Path, tmp_path: Path, mutate: Callable[[Path], None], words: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = linked_copy(real_data_dir, tmp_path / "data", TEST_LABELS)
    mutate(path)
    service = FashionMnistService(data_dir=tmp_path / "data")
    report = service.load()
    assert report.problems["test"].path == path
    assert words in report.problems["test"].reason
    assert report.counts == {"train": 60000}
    assert report.original is True  # what did load is the original
    assert service.sample("train", 0).label_name == "Ankle boot"
    code, out, err = run(["show", "0", "--split", "test", "--data-dir", str(tmp_path / "data")],
                         capsys)
    assert (code, out) == (3, "")
    [line] = stderr_lines(err)
    assert str(path) in line and words in line


# ----- the memory of verified files ----------------------------------------------------------


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the SHA-256 computations of the data service (the size of each content)."""
    calls: list[int] = []
    real = data_service.sha256_hex

    def counting(content: bytes) -> str:
        calls.append(len(content))
        return real(content)

    monkeypatch.setattr(data_service, "sha256_hex", counting)
    return calls


def test_a_second_load_does_not_hash_again(
    tiny_dataset: Path, tmp_path: Path, hash_calls: list[int]
) -> None:
    memory = tmp_path / "cache" / "verified.json"
    FashionMnistService(data_dir=tiny_dataset, verified=VerifiedFiles(memory)).load()
    first = len(hash_calls)
    assert first >= 2  # at least each split's images file
    assert memory.is_file()
    remembered = json.loads(memory.read_text())
    assert len(remembered) == first
    assert all(key.startswith(str(tiny_dataset.resolve())) for key in remembered)
    FashionMnistService(data_dir=tiny_dataset, verified=VerifiedFiles(memory)).load()
    assert len(hash_calls) == first  # nothing hashed the second time


def test_a_modified_file_is_hashed_again(
    tiny_dataset: Path, tmp_path: Path, hash_calls: list[int]
) -> None:
    memory = tmp_path / "verified.json"
    FashionMnistService(data_dir=tiny_dataset, verified=VerifiedFiles(memory)).load()
    first = len(hash_calls)
    images = tiny_arrays()["test"][0].copy()
    images[0, 0, 0] = 7
    write_idx(tiny_dataset / TEST_IMAGES, images)
    os.utime(tiny_dataset / TEST_IMAGES, ns=(5_000_000_000, 5_000_000_000))
    FashionMnistService(data_dir=tiny_dataset, verified=VerifiedFiles(memory)).load()
    assert hash_calls[first:] == [16 + 5 * 784]  # only the changed file


def test_the_default_memory_is_under_xdg_cache_home(
    tiny_dataset: Path, isolated_home: Path, hash_calls: list[int]
) -> None:
    make_service(tiny_dataset).load()
    memory = isolated_home / ".cache" / "fashion-tui" / "verified.json"
    assert memory.is_file()
    assert len(json.loads(memory.read_text())) == len(hash_calls)


def test_the_memory_is_written_atomically(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = tmp_path / "mem" / "verified.json"
    memory.parent.mkdir()
    memory.write_text('{"old": "entry"}')
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        replaced.append((str(src), str(dst)))
        assert json.loads(Path(src).read_text())  # complete before it takes the name
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    FashionMnistService(data_dir=tiny_dataset, verified=VerifiedFiles(memory)).load()
    [(src, dst)] = replaced
    assert dst == str(memory)
    assert Path(src).parent == memory.parent  # a temporary file beside it, then a rename
    content = json.loads(memory.read_text())
    assert content["old"] == "entry" and len(content) > 1
    assert sorted(p.name for p in memory.parent.iterdir()) == ["verified.json"]


def test_a_failed_write_keeps_the_old_memory(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = tmp_path / "verified.json"
    memory.write_text('{"old": "entry"}')

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(json, "dump", full_disk)
    report = FashionMnistService(data_dir=tiny_dataset, verified=VerifiedFiles(memory)).load()
    assert report.counts == COUNTS
    assert memory.read_text() == '{"old": "entry"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny", "verified.json"]


def test_a_read_only_cache_folder_is_not_an_error(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    hash_calls: list[int],
) -> None:
    def read_only(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    memory = tmp_path / "ro" / "verified.json"
    report = FashionMnistService(data_dir=tiny_dataset, verified=VerifiedFiles(memory)).load()
    assert report.counts == COUNTS
    assert not memory.exists()
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    report = FashionMnistService(
        data_dir=tiny_dataset, verified=VerifiedFiles(blocked / "verified.json")
    ).load()
    assert report.counts == COUNTS
    assert hash_calls  # it still checked the files


def test_a_garbled_memory_is_ignored(
    tiny_dataset: Path, tmp_path: Path, hash_calls: list[int]
) -> None:
    memory = tmp_path / "verified.json"
    memory.write_text("{not json")
    report = FashionMnistService(data_dir=tiny_dataset, verified=VerifiedFiles(memory)).load()
    assert report.counts == COUNTS and hash_calls
    assert json.loads(memory.read_text())  # rewritten whole
