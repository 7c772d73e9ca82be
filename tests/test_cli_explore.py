"""The exploring subcommands: `neighbors`, `lesson` and `show --png/--csv`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import Arrays
from PIL import Image

from tui import cli
from tui.data_service import CLASS_NAMES
from tui.exporting import read_csv
from tui.lesson import script


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, without_not_original(err)


def without_not_original(err: str) -> str:
    """Standard error less the warning the tiny set always earns (valid IDX, not the original)."""
    return "".join(line for line in err.splitlines(keepends=True)
                   if "not the original Fashion-MNIST" not in line)


def assert_one_line_error(code: int, out: str, err: str, *words: str) -> None:
    assert code != 0
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("fashion-tui")
    assert "Traceback" not in err
    for word in words:
        assert word in err


def expected_neighbors(
    tiny: Arrays, split: str, index: int, k: int
) -> list[tuple[int, float]]:
    train = tiny["train"][0].astype(np.int64)
    query = tiny[split][0][index].astype(np.int64)
    distances = np.sqrt(((train - query) ** 2).sum(axis=(1, 2)))
    order = [int(i) for i in np.argsort(distances, kind="stable")
             if not (split == "train" and i == index)]
    return [(i, float(distances[i])) for i in order[:k]]


# ----- neighbors -----------------------------------------------------------------------------

@pytest.mark.parametrize(("split", "index", "k"), [("train", 0, 5), ("test", 2, 3),
                                                   ("train", 11, 50)])
def test_neighbors_json(
    tiny_dataset: Path, tiny: Arrays, capsys: pytest.CaptureFixture[str],
    split: str, index: int, k: int,
) -> None:
    code, out, err = run(["neighbors", str(index), "--split", split, "-k", str(k), "--json",
                          "--data-dir", str(tiny_dataset)], capsys)
    assert (code, err) == (0, "")
    payload = json.loads(out)
    expected = expected_neighbors(tiny, split, index, k)
    assert [(item["index"], item["distance"]) for item in payload] == expected
    labels = tiny["train"][1]
    for item in payload:
        assert item["split"] == "train"
        assert item["label"] == labels[item["index"]]
        assert item["label_name"] == CLASS_NAMES[labels[item["index"]]]
    if split == "train":
        assert index not in [item["index"] for item in payload]
        assert len(payload) == min(k, len(labels) - 1)


def test_neighbors_default_k_is_5(tiny_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(["neighbors", "1", "--json", "--data-dir", str(tiny_dataset)], capsys)
    assert code == 0
    assert len(json.loads(out)) == 5


def test_neighbors_split_before_the_command(
    tiny_dataset: Path, tiny: Arrays, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(["--split", "test", "neighbors", "4", "--json", "-k", "2",
                           "--data-dir", str(tiny_dataset)], capsys)
    assert code == 0
    assert [item["index"] for item in json.loads(out)] == [
        i for i, _d in expected_neighbors(tiny, "test", 4, 2)
    ]


def test_neighbors_table_marks_other_classes(
    tiny_dataset: Path, tiny: Arrays, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["neighbors", "0", "-k", "11", "--data-dir", str(tiny_dataset)], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Training garments nearest to train[0] (Ankle boot)")
    assert lines[1].split() == ["rank", "index", "class", "distance"]
    labels = tiny["train"][1]
    rows = lines[2:13]
    expected = expected_neighbors(tiny, "train", 0, 11)
    for rank, (row, (index, distance)) in enumerate(zip(rows, expected, strict=True), start=1):
        assert row.split()[:2] == [str(rank), str(index)]
        assert CLASS_NAMES[labels[index]] in row
        assert f"{distance:.2f}" in row
        assert row.endswith("*") == (labels[index] != labels[0])
    assert lines[13] == "* a different class from train[0]'s"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["neighbors", "12"], ["index 12", "0..11"]),
        (["neighbors", "5", "--split", "test"], ["index 5", "test", "0..4"]),
        (["neighbors", "0", "-k", "0"], ["-k", "0"]),
        (["neighbors", "0", "-k", "-3"], ["-k"]),
        (["neighbors", "0", "-k", "many"], ["-k", "many"]),
        (["neighbors", "-1"], []),
        (["neighbors", "x"], ["'x'"]),
    ],
)
def test_neighbors_bad_input_is_one_line(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    with pytest.raises(SystemExit) as caught:  # argparse exits; main() returns for the rest
        raise SystemExit(cli.main([*argv, "--data-dir", str(tiny_dataset)]))
    out, err = capsys.readouterr()
    assert_one_line_error(int(caught.value.code or 0), out, without_not_original(err), *words)


def test_neighbors_without_data_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["neighbors", "0", "--data-dir", str(tmp_path / "empty")], capsys)
    assert_one_line_error(code, out, err)


@pytest.mark.realdata
def test_neighbors_of_real_train_0(real_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Verified by brute force: train[0] (an ankle boot) has 4 ankle boots among its 5 nearest;
    the 2nd is a sneaker. So not all look-alikes share its class, and the table says so."""
    code, out, _err = run(["neighbors", "0", "--json", "--data-dir", str(real_data_dir)], capsys)
    assert code == 0
    payload = json.loads(out)
    assert [item["index"] for item in payload] == [25719, 27655, 55310, 18247, 18078]
    assert [item["label_name"] for item in payload] == [
        "Ankle boot", "Sneaker", "Ankle boot", "Ankle boot", "Ankle boot"
    ]
    assert [round(item["distance"], 3) for item in payload] == [
        1188.783, 1215.344, 1220.229, 1253.833, 1317.642
    ]
    code, out, _err = run(["neighbors", "0", "--data-dir", str(real_data_dir)], capsys)
    assert code == 0
    marked = [line for line in out.splitlines() if line.endswith(" *")]
    assert len(marked) == 1 and "27655" in marked[0] and "Sneaker" in marked[0]


# ----- lesson --------------------------------------------------------------------------------

def test_lesson_export_writes_the_script(
    tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "step.py"
    code, out, err = run(["lesson", "--export", str(target), "--split", "test", "--index", "3",
                          "--data-dir", str(tiny_dataset)], capsys)
    assert (code, err) == (0, "")
    assert target.read_text() == script("test", 3)
    assert str(target) in out and "test[3]" in out
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_lesson_defaults_and_printing(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(["lesson", "--data-dir", str(tiny_dataset)], capsys)
    assert (code, out) == (0, script("train", 0))
    code, out, _err = run(["--split", "test", "--index", "2", "lesson",
                           "--data-dir", str(tiny_dataset)], capsys)
    assert (code, out) == (0, script("test", 2))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["lesson", "--index", "12"], ["--index 12", "0..11"]),
        (["lesson", "--split", "test", "--index", "5"], ["--index 5", "0..4"]),
        (["lesson", "--export", "/no/such/folder/x.py"], ["/no/such/folder", "does not exist"]),
    ],
)
def test_lesson_bad_input_is_one_line(
    tiny_dataset: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    code, out, err = run([*argv, "--data-dir", str(tiny_dataset)], capsys)
    assert_one_line_error(code, out, err, *words)


# ----- show --png / --csv --------------------------------------------------------------------

def test_show_png_and_csv(
    tiny_dataset: Path, tiny: Arrays, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tiny["train"][0][6]
    png, table = tmp_path / "g.png", tmp_path / "g.csv"
    code, out, err = run(["show", "6", "--png", str(png), "--scale", "3", "--csv", str(table),
                          "--data-dir", str(tiny_dataset)], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"Wrote train[6] as a 84x84 greyscale PNG to {png}",
        f"Wrote train[6]'s raw and / 255.0 values as CSV to {table}",
    ]
    with Image.open(png) as picture:
        assert (picture.mode, picture.size) == ("L", (84, 84))
        np.testing.assert_array_equal(np.asarray(picture)[::3, ::3], image)
    raw, normalized = read_csv(table)
    np.testing.assert_array_equal(raw, image)
    assert np.array_equal(normalized, image / 255.0)


def test_show_png_default_scale_and_test_split(
    tiny_dataset: Path, tiny: Arrays, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "t.png"
    code, _out, _err = run(["show", "4", "--split", "test", "--png", str(png),
                            "--data-dir", str(tiny_dataset)], capsys)
    assert code == 0
    with Image.open(png) as picture:
        assert picture.size == (280, 280)
        np.testing.assert_array_equal(np.asarray(picture)[::10, ::10], tiny["test"][0][4])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["show", "0", "--png", "/no/such/folder/x.png"], ["/no/such/folder", "does not exist"]),
        (["show", "0", "--csv", "/no/such/folder/x.csv"], ["does not exist"]),
        (["show", "99", "--png", "PNG"], ["index 99"]),
        (["show", "0", "--png", "PNG", "--scale", "0"], ["--scale"]),
        (["show", "0", "--png", "PNG", "--scale", "1000"], ["--scale", "1..64"]),
        (["show", "0", "--scale", "3"], ["--png"]),
        (["show", "0", "--png", "PNG", "--json"], ["--json"]),
    ],
)
def test_show_export_bad_input_is_one_line(
    tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    argv: list[str], words: list[str],
) -> None:
    argv = [str(tmp_path / "out.png") if a == "PNG" else a for a in argv]
    with pytest.raises(SystemExit) as caught:
        raise SystemExit(cli.main([*argv, "--data-dir", str(tiny_dataset)]))
    out, err = capsys.readouterr()
    assert_one_line_error(int(caught.value.code or 0), out, without_not_original(err), *words)
    assert not (tmp_path / "out.png").exists()


def test_unwritable_target_through_the_real_command(tiny_dataset: Path, tmp_path: Path) -> None:
    """End to end in a fresh process: exit code and a single line, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "tui", "show", "0", "--png", str(tmp_path / "nope" / "g.png"),
         "--data-dir", str(tiny_dataset)],
        capture_output=True, text=True, timeout=60, check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == cli.EXIT_DATA
    assert result.stdout == ""
    err = without_not_original(result.stderr)
    assert err.count("\n") == 1 and "does not exist" in err and "Traceback" not in err
