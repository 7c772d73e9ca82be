"""The tutorial step (load Fashion-MNIST, look at one garment, divide by 255.0) as data.

The lesson pane shows each line of code beside the value it produces for the garment on
screen; `script` writes the same step as a file that runs on its own, so what the pane
shows can be checked against real TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tui.data_service import CLASS_NAMES, NORMALIZER
from tui.data_sources import SPLITS

PRINT_WIDTH = 320  # wide enough for a row of 28 floats (about 310 characters) on one line
NOT_PROBED = "not probed yet"


@dataclass(frozen=True)
class LessonLine:
    """One line of the tutorial and what it does, in plain words."""

    code: str
    explanation: str


def images_name(split: str) -> str:
    """The tutorial's variable for a split: train_images or test_images."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    return f"{split}_images"


def lesson_lines(split: str = "train", index: int | str = "i") -> tuple[LessonLine, ...]:
    """The step's lines, printing `split`'s garment `index` (a number, or the name `i`)."""
    name = images_name(split)
    return (
        LessonLine("import tensorflow as tf", "Load TensorFlow (several seconds, once)."),
        LessonLine("print(tf.__version__)", "Which TensorFlow runs this code."),
        LessonLine("fashion_mnist = tf.keras.datasets.fashion_mnist",
                   "The dataset's loader module; nothing is read yet."),
        LessonLine(
            "(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()",
            "Read the four files from the Keras cache (downloading them the first time) into "
            "uint8 NumPy arrays.",
        ),
        LessonLine(f"print({name}[{index}])",
                   "One garment as stored: 28 rows of 28 whole numbers, 0 (black) to 255."),
        LessonLine("train_images = train_images / 255.0",
                   "Scale to 0.0..1.0; the result is a new float64 array, 8x the memory."),
        LessonLine("test_images = test_images / 255.0",
                   "The test split gets exactly the same scaling as the training split."),
        LessonLine(f"print({name}[{index}])",
                   "The same garment after scaling: 255 became exactly 1.0."),
    )


LESSON: tuple[LessonLine, ...] = lesson_lines()


def printed(array: np.ndarray) -> str:
    """`array` exactly as `print(array)` shows it in the exported script (same linewidth)."""
    return np.array2string(array, max_line_width=PRINT_WIDTH)


def line_value(
    line_no: int,
    *,
    split: str,
    index: int,
    raw: np.ndarray,
    normalized: np.ndarray,
    tf_version: str | None,
    counts: Mapping[str, int],
) -> str:
    """What line `line_no` of the lesson produces for garment `split`[`index`]: the printouts
    exactly as the script prints them, the rest as a short description.

    `raw` is its (28, 28) uint8 pixels, `normalized` the same divided by 255.0, `counts` the
    number of images in each split (for the shapes `load_data()` returns).
    """
    images_name(split)  # refuse an unknown split here, not in the pane
    if line_no == 0:
        return "tf = the tensorflow module" if tf_version else f"tf: {NOT_PROBED}"
    if line_no == 1:
        return tf_version or NOT_PROBED
    if line_no == 2:
        return "the fashion_mnist loader module"
    if line_no == 3:
        return "; ".join(
            f"{s}_images {_shape(counts, s, raw.shape)} uint8, {s}_labels ({_count(counts, s)},)"
            " uint8"
            for s in SPLITS
        )
    if line_no == 4:
        return printed(raw)
    if line_no in (5, 6):
        s = SPLITS[line_no - 5]
        size = f", {counts[s] * raw.size * 8 / 1e6:.1f} MB" if s in counts else ""
        return (f"{s}_images is now float64 {_shape(counts, s, raw.shape)}, "
                f"0.0..{255 / NORMALIZER}{size}")
    if line_no == 7:
        return printed(normalized)
    raise ValueError(f"the lesson has lines 0..{len(LESSON) - 1}, not {line_no}")


def _count(counts: Mapping[str, int], split: str) -> str | int:
    return counts.get(split, "?")


def _shape(counts: Mapping[str, int], split: str, image_shape: tuple[int, ...]) -> str:
    return f"({_count(counts, split)}, {image_shape[0]}, {image_shape[1]})"


def script(split: str, index: int) -> str:
    """A complete Python script of the step for garment `split`[`index`]."""
    name = images_name(split)
    if index < 0:
        raise ValueError(f"index {index} is negative; indexes start at 0")
    labels = f"{split}_labels"
    class_names = ",\n    ".join(repr(c) for c in CLASS_NAMES)
    return f'''"""Fashion-MNIST, the tutorial's first step, for {split}[{index}].

Written by fashion-tui. Run it with `python` where TensorFlow is installed: load_data() reads
the four files from the Keras cache ($KERAS_HOME or ~/.keras), downloading them if missing.
"""

import numpy as np
import tensorflow as tf

np.set_printoptions(linewidth={PRINT_WIDTH})  # print each image row on one line

print(tf.__version__)

fashion_mnist = tf.keras.datasets.fashion_mnist
(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()

class_names = [
    {class_names},
]
i = {index}
print("{split}[{index}]:", class_names[{labels}[i]])
print({name}[i])

train_images = train_images / 255.0
test_images = test_images / 255.0

print({name}[i])
'''
