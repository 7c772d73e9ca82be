"""The `fashion-tui` subcommands over the tiny set: output shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import FIXED_RUNTIME, Arrays

from tui import cli, runtime_info
from tui.data_service import CLASS_NAMES


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def without_not_original(err: str) -> str:
    """Standard error less the one warning the tiny set always earns (it is valid IDX data,
    but not the original Fashion-MNIST)."""
    kept = []
    for line in err.splitlines(keepends=True):
        if "not the original Fashion-MNIST" in line:
            assert line.startswith("fashion-tui: warning: "), line
            continue
        kept.append(line)
    return "".join(kept)


def assert_one_line_error(code: int, out: str, err: str) -> None:
    assert code != 0
    assert out == ""
    err = without_not_original(err)
    assert len(err.splitlines()) == 1, err
    assert err.startswith("fashion-tui: ")
    assert "Traceback" not in err


def test_stats_json_shape_and_values(
    tiny_dataset: Path, tiny: Arrays, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["stats", "--json", "--data-dir", str(tiny_dataset)], capsys)
    assert (code, without_not_original(err)) == (0, "")
    payload = json.loads(out)
    assert payload["source"] == str(tiny_dataset)
    assert payload["source_kind"] == "--data-dir"
    assert payload["layout"] == "IDX"
    assert payload["original"] is False  # the tiny set is not Fashion-MNIST
    assert payload["problems"] == {}
    assert set(payload["splits"]) == {"train", "test"}
    for split, (images, labels) in tiny.items():
        stats = payload["splits"][split]
        assert stats["count"] == len(labels)
        assert stats["shape"] == [28, 28]
        assert stats["dtype"] == "uint8"
        assert list(stats["class_counts"]) == list(CLASS_NAMES)
        assert sum(stats["class_counts"].values()) == len(labels)
        assert stats["pixel_mean"] == pytest.approx(np.mean(images), rel=1e-12)
        assert stats["pixel_std"] == pytest.approx(np.std(images), rel=1e-12)
        assert stats["normalized_mean"] == pytest.approx(np.mean(images / 255.0), rel=1e-12)
        assert stats["pixel_min"] == int(images.min())
        assert stats["pixel_max"] == int(images.max())
        assert stats["normalized_max"] == images.max() / 255.0
        assert stats["bytes_float64"] == 8 * stats["bytes_uint8"] == 8 * images.nbytes


def test_data_dir_before_or_after_the_subcommand(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before, _ = run(["--data-dir", str(tiny_dataset), "stats", "--json"], capsys)
    _, after, _ = run(["stats", "--json", "--data-dir", str(tiny_dataset)], capsys)
    assert json.loads(before) == json.loads(after)
    assert json.loads(before)["source"] == str(tiny_dataset)


def test_data_dir_from_environment(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tiny_dataset))
    code, out, _ = run(["stats", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["source"] == str(tiny_dataset)


def test_stats_text_report(tiny_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["stats", "--data-dir", str(tiny_dataset)], capsys)
    assert code == 0
    # The tiny set is valid IDX, but not the original data: one warning line says so.
    [warning] = err.splitlines()
    assert warning.startswith("fashion-tui: warning: ")
    assert "not the original" in warning
    assert str(tiny_dataset) in out
    assert "train" in out and "test" in out
    for name in CLASS_NAMES:
        assert name in out


@pytest.mark.parametrize(("split", "index"), [("train", 0), ("train", 11), ("test", 4)])
def test_show_json(
    tiny_dataset: Path, tiny: Arrays, capsys: pytest.CaptureFixture[str], split: str, index: int
) -> None:
    argv = ["show", str(index), "--split", split, "--json", "--data-dir", str(tiny_dataset)]
    code, out, err = run(argv, capsys)
    assert (code, without_not_original(err)) == (0, "")
    payload = json.loads(out)
    assert set(payload) == {"split", "index", "label", "label_name", "raw", "normalized"}
    images, labels = tiny[split]
    assert (payload["split"], payload["index"]) == (split, index)
    assert payload["label"] == int(labels[index])
    assert payload["label_name"] == CLASS_NAMES[int(labels[index])]
    raw = np.array(payload["raw"])
    normalized = np.array(payload["normalized"])
    assert raw.shape == normalized.shape == (28, 28)
    assert np.array_equal(raw, images[index])
    assert np.array_equal(normalized, images[index] / 255.0)


def test_show_ascii_prints_label_name_and_values(
    tiny_dataset: Path, tiny: Arrays, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["show", "0", "--ascii", "--data-dir", str(tiny_dataset)], capsys)
    assert (code, without_not_original(err)) == (0, "")
    assert "Ankle boot" in out  # train[0] of the tiny set has label 9
    assert "train[0]" in out
    assert "\x1b[" not in out  # no colour codes in ASCII mode
    assert "1.0000" in out  # the 255 of the probe row, divided by 255.0
    assert "0.0039" in out  # the 1 of the probe row
    assert "255" in out


def test_show_index_outside_split_is_one_line(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["show", "12", "--data-dir", str(tiny_dataset)], capsys)
    assert_one_line_error(code, out, err)
    assert "12" in err and "0..11" in err


def test_missing_data_dir_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    for argv in (["stats", "--data-dir", str(missing)], ["show", "0", "--data-dir", str(missing)]):
        code, out, err = run(argv, capsys)
        assert_one_line_error(code, out, err)
        assert str(missing) in err
        assert "--data-dir" in err


def test_bad_files_in_both_splits_is_one_line_naming_the_first(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny_dataset / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50])
    other = tiny_dataset / "t10k-labels-idx1-ubyte.gz"
    other.write_bytes(b"")
    for argv in (["stats"], ["show", "0"], ["show", "0", "--split", "test"]):
        code, out, err = run([*argv, "--data-dir", str(tiny_dataset)], capsys)
        assert_one_line_error(code, out, err)
        assert code == 3
        assert str(path) in err
        assert "truncated" in err


def test_stats_with_one_bad_split_prints_the_good_one_and_exits_3(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny_dataset / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50])
    code, out, err = run(["stats", "--json", "--data-dir", str(tiny_dataset)], capsys)
    assert code == 3
    payload = json.loads(out)
    assert set(payload["splits"]) == {"test"}
    assert payload["splits"]["test"]["count"] == 5
    assert set(payload["problems"]) == {"train"}
    assert str(path) in payload["problems"]["train"]
    assert "Traceback" not in err
    lines = err.splitlines()
    assert all(line.startswith("fashion-tui: ") for line in lines), err
    assert [line for line in lines if "warning" in line and str(path) in line], err


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "0", "--split", "validation"],
        ["--split", "validation"],
        ["show", "-1"],
        ["show", "one"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main([*argv, "--data-dir", str(tiny_dataset)])
    assert caught.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("fashion-tui")


class RecordedRun:
    """Stands in for FashionApp.run so no test ever starts a real terminal app."""

    def __init__(self) -> None:
        self.apps: list[object] = []

    def __call__(self, app: object, *args: object, **kwargs: object) -> None:
        self.apps.append(app)


@pytest.fixture
def recorded_run(monkeypatch: pytest.MonkeyPatch) -> RecordedRun:
    from tui.app import FashionApp

    recorder = RecordedRun()
    monkeypatch.setattr(FashionApp, "run", lambda self, *a, **k: recorder(self, *a, **k))
    return recorder


@pytest.mark.parametrize(("split", "index"), [("train", 12), ("test", 5), ("test", 10**6)])
def test_app_refuses_an_index_outside_the_split_before_starting(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str], recorded_run: RecordedRun,
    split: str, index: int,
) -> None:
    argv = ["--split", split, "--index", str(index), "--data-dir", str(tiny_dataset)]
    code, out, err = run(argv, capsys)
    assert_one_line_error(code, out, err)
    assert code == 2
    assert str(index) in err and split in err
    assert recorded_run.apps == []


def test_app_starts_with_the_chosen_garment(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str], recorded_run: RecordedRun
) -> None:
    code, _, err = run(["--split", "test", "--index", "4", "--data-dir", str(tiny_dataset)],
                       capsys)
    assert (code, without_not_original(err)) == (0, "")
    [app] = recorded_run.apps
    assert app.service.locate()[0].directory == tiny_dataset  # type: ignore[attr-defined]
    screen = app.get_default_screen()  # type: ignore[attr-defined]
    assert screen._start == ("test", 4)


def test_split_given_before_show_is_honoured(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--split", "test", "show", "0", "--json", "--data-dir", str(tiny_dataset)]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert json.loads(out)["split"] == "test"


def test_info_json_with_a_fake_probe(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_info, "probe_runtime", lambda: FIXED_RUNTIME)
    code, out, err = run(["info", "--json", "--data-dir", str(tiny_dataset)], capsys)
    assert (code, without_not_original(err)) == (0, "")
    payload = json.loads(out)
    assert payload["tensorflow"] == "2.21.0"
    assert payload["keras"] == "3.15.1"
    assert payload["source"] == str(tiny_dataset)
    assert payload["searched"] == [str(tiny_dataset)]


def test_console_entry_prints_no_traceback(tiny_dataset: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "show", "99999", "--data-dir", str(tiny_dataset)],
        capture_output=True, text=True, timeout=60, check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(without_not_original(result.stderr).splitlines()) == 1, result.stderr
    assert "99999" in without_not_original(result.stderr)
