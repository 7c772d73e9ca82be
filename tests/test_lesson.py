"""The lesson: its lines, the live value of each, and the exported script run by real TensorFlow."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from helpers import Arrays

from tui.checksums import VerifiedFiles
from tui.data_service import CLASS_NAMES, FashionMnistService
from tui.exporting import write_text_atomically
from tui.lesson import LESSON, NOT_PROBED, PRINT_WIDTH, lesson_lines, line_value, printed, script

COUNTS = {"train": 60000, "test": 10000}
# facts.md: train[0] row 5
TRAIN0_ROW5_RAW = [0] * 12 + [6, 0, 102, 204, 176, 134, 144, 123, 23, 0, 0, 0, 0, 12, 10, 0]


def values(split: str, index: int, image: np.ndarray, tf_version: str | None) -> list[str]:
    return [
        line_value(n, split=split, index=index, raw=image, normalized=image / 255.0,
                   tf_version=tf_version, counts=COUNTS)
        for n in range(len(LESSON))
    ]


def test_the_lesson_is_the_tutorial_step() -> None:
    assert [line.code for line in LESSON] == [
        "import tensorflow as tf",
        "print(tf.__version__)",
        "fashion_mnist = tf.keras.datasets.fashion_mnist",
        "(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()",
        "print(train_images[i])",
        "train_images = train_images / 255.0",
        "test_images = test_images / 255.0",
        "print(train_images[i])",
    ]
    assert all(line.explanation for line in LESSON)
    test_lines = lesson_lines("test", 7)
    assert test_lines[4].code == test_lines[7].code == "print(test_images[7])"
    with pytest.raises(ValueError, match="split"):
        lesson_lines("validation")


def test_line_values_for_a_garment(tiny: Arrays) -> None:
    image = tiny["train"][0][3]
    shown = values("train", 3, image, "2.21.0")
    assert shown[1] == "2.21.0"
    assert "(60000, 28, 28) uint8" in shown[3]
    assert "(10000, 28, 28) uint8" in shown[3]
    assert "train_labels (60000,) uint8" in shown[3]
    assert shown[4] == np.array2string(image, max_line_width=PRINT_WIDTH)
    assert len(shown[4].splitlines()) == 28  # one printed line per image row
    assert shown[4].splitlines()[0].split()[1:5] == ["0", "1", "128", "255"]  # the probe row
    assert "float64 (60000, 28, 28)" in shown[5] and "376.3 MB" in shown[5]
    assert "float64 (10000, 28, 28)" in shown[6] and "62.7 MB" in shown[6]
    assert shown[7] == printed(image / 255.0)
    assert len(shown[7].splitlines()) == 28
    first = shown[7].splitlines()[0].split()
    assert first[1:5] == ["0.00392157", "0.50196078", "1.", "0."]


def test_version_not_probed_yet(tiny: Arrays) -> None:
    shown = values("test", 0, tiny["test"][0][0], None)
    assert shown[1] == NOT_PROBED
    assert NOT_PROBED in shown[0]


def test_line_value_refuses_unknown_lines(tiny: Arrays) -> None:
    image = tiny["train"][0][0]
    with pytest.raises(ValueError, match=r"0\.\.7"):
        line_value(8, split="train", index=0, raw=image, normalized=image / 255.0,
                   tf_version=None, counts=COUNTS)


def test_script_is_valid_python_for_each_split() -> None:
    for split, other in (("train", "test"), ("test", "train")):
        text = script(split, 42)
        compile(text, "lesson.py", "exec")
        assert "i = 42" in text
        assert f"print({split}_images[i])" in text
        assert f"print({other}_images[i])" not in text
        assert f"np.set_printoptions(linewidth={PRINT_WIDTH})" in text
        assert "train_images = train_images / 255.0" in text
        assert "test_images = test_images / 255.0" in text
    with pytest.raises(ValueError):
        script("train", -1)
    with pytest.raises(ValueError):
        script("valid", 0)


def dead_proxy() -> str:
    """A proxy address where nothing listens: any download attempt fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize(("split", "index"), [("train", 0), ("test", 4998)])
def test_exported_script_runs_with_tensorflow_and_prints_the_pane_values(
    real_data_dir: Path, tmp_path: Path, split: str, index: int
) -> None:
    keras_home = tmp_path / "keras"
    cache = keras_home / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(real_data_dir / name, cache / name)
    path = tmp_path / "lesson.py"
    write_text_atomically(path, script(split, index))
    proxy = dead_proxy()
    env = dict(os.environ, KERAS_HOME=str(keras_home), TF_CPP_MIN_LOG_LEVEL="3",
               HTTPS_PROXY=proxy, HTTP_PROXY=proxy, https_proxy=proxy, http_proxy=proxy,
               CUDA_VISIBLE_DEVICES="")
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout

    assert out.splitlines()[0] == metadata.version("tensorflow")
    service = FashionMnistService(data_dir=real_data_dir,
                                  verified=VerifiedFiles(tmp_path / "verified.json"))
    service.load()
    sample = service.sample(split, index)
    assert f"{split}[{index}]: {CLASS_NAMES[sample.label]}" in out
    # What the lesson pane shows for lines 4 and 7 is exactly what TensorFlow's run printed.
    assert printed(sample.image) in out
    assert printed(service.normalized(split, index)) in out
    if (split, index) == ("train", 0):
        raw_rows = out.split(printed(sample.image))[0]
        assert "Ankle boot" in raw_rows
        row5 = printed(sample.image).splitlines()[5]
        assert [int(v) for v in row5.strip(" []").split()] == TRAIN0_ROW5_RAW
        normalized_row5 = printed(service.normalized(split, index)).splitlines()[5].split()
        assert normalized_row5[14:16] == ["0.4", "0.8"]  # 102 / 255 and 204 / 255
        assert normalized_row5[12] == "0.02352941"
