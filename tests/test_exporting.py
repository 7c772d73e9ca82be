"""Exports: exact greyscale PNGs, CSVs that read back exactly, and no half-written files."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from helpers import Arrays
from PIL import Image

from tui.exporting import (
    CSV_HEADER,
    ExportError,
    read_csv,
    write_bytes_atomically,
    write_csv,
    write_png,
    write_text_atomically,
)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("scale", [1, 3, 10])
def test_png_is_exact_greyscale_with_square_pixels(
    tiny: Arrays, tmp_path: Path, scale: int
) -> None:
    image = tiny["train"][0][4]
    path = tmp_path / "garment.png"
    write_png(image, path, scale=scale)
    with Image.open(path) as png:
        assert png.format == "PNG"
        assert png.mode == "L"
        assert png.size == (28 * scale, 28 * scale)
        pixels = np.asarray(png)
    blocks = pixels.reshape(28, scale, 28, scale)
    for dy in range(scale):
        for dx in range(scale):
            np.testing.assert_array_equal(blocks[:, dy, :, dx], image)
    assert leftovers(tmp_path) == []


def test_png_keeps_0_and_255_exact(tmp_path: Path) -> None:
    image = np.zeros((28, 28), np.uint8)
    image[0, :4] = (0, 1, 128, 255)
    write_png(image, tmp_path / "probe.png", scale=2)
    with Image.open(tmp_path / "probe.png") as png:
        assert [png.getpixel((2 * c, 0)) for c in range(4)] == [0, 1, 128, 255]


def test_png_refuses_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        write_png(np.zeros((28, 28), np.uint8), tmp_path / "x.png", scale=0)
    with pytest.raises(ValueError, match="uint8"):
        write_png(np.zeros((28, 28), np.float64), tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_csv_layout_and_exact_round_trip(tiny: Arrays, tmp_path: Path) -> None:
    raw = tiny["test"][0][2]
    normalized = raw / 255.0
    path = tmp_path / "garment.csv"
    write_csv(raw, normalized, path)
    with path.open(newline="") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == CSV_HEADER == ("row", "col", "raw", "normalized")
    assert len(rows) == 1 + 28 * 28
    assert rows[1:5] == [["0", "0", "0", "0.0"], ["0", "1", "1", "0.00392156862745098"],
                         ["0", "2", "128", "0.5019607843137255"], ["0", "3", "255", "1.0"]]
    back_raw, back_normalized = read_csv(path)
    assert back_raw.dtype == np.uint8
    np.testing.assert_array_equal(back_raw, raw)
    assert np.array_equal(back_normalized, normalized)  # bit for bit, not approximately


def test_csv_round_trips_other_modes(tiny: Arrays, tmp_path: Path) -> None:
    raw = tiny["train"][0][7]
    odd = (raw / 255.0 - 0.1307) / 0.3081  # negative values, long repr
    write_csv(raw, odd, tmp_path / "m.csv")
    assert np.array_equal(read_csv(tmp_path / "m.csv")[1], odd)


def test_csv_refuses_mismatched_shapes(tiny: Arrays, tmp_path: Path) -> None:
    raw = tiny["train"][0][0]
    with pytest.raises(ValueError, match="do not match"):
        write_csv(raw, raw[:10] / 255.0, tmp_path / "x.csv")


def test_missing_folder_is_a_clear_error(tiny: Arrays, tmp_path: Path) -> None:
    raw = tiny["train"][0][0]
    target = tmp_path / "no-such-folder" / "g.png"
    with pytest.raises(ExportError, match=r"folder .*no-such-folder does not exist") as caught:
        write_png(raw, target)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, OSError)  # callers catching OSError see it too
    with pytest.raises(ExportError, match="does not exist"):
        write_csv(raw, raw / 255.0, tmp_path / "no-such-folder" / "g.csv")
    assert list(tmp_path.iterdir()) == []


def test_folder_in_place_of_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(ExportError, match="it is a folder"):
        write_text_atomically(tmp_path / "taken", "x")
    with pytest.raises(ExportError, match="is not a folder"):
        (tmp_path / "file").write_text("")
        write_text_atomically(tmp_path / "file" / "inside.txt", "x")
    assert leftovers(tmp_path) == []


def test_failed_write_leaves_no_temporary_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "lesson.py"
    target.write_text("old content\n")

    def refuse(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ExportError, match="no space left on device"):
        write_text_atomically(target, "new content\n")
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.py"]


def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="permission denied"):
            write_bytes_atomically(folder / "x.bin", b"data")
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_atomic_write_replaces_and_is_readable(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    write_text_atomically(target, "first\n")
    write_text_atomically(target, "second, ünïcode ✓\n")
    assert target.read_text(encoding="utf-8") == "second, ünïcode ✓\n"
    assert target.stat().st_mode & 0o777 == 0o644
    assert leftovers(tmp_path) == []


def test_new_modules_import_numpy_only() -> None:
    """Pillow is imported when a PNG is written, never at import; Textual and TF never."""
    import json
    import subprocess
    import sys

    modules = ["tui.neighbors", "tui.normalization", "tui.lesson", "tui.exporting"]
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True, cwd=Path(__file__).resolve().parents[1])
    loaded = set(json.loads(result.stdout))
    assert set(modules) <= loaded
    for heavy in ("textual", "tensorflow", "keras", "PIL", "rich"):
        assert not {m for m in loaded if m == heavy or m.startswith(heavy + ".")}, heavy
