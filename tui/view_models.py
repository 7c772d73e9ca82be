"""Turn the data service's answers into the plain values each view draws.

Part of the screen's mediation, kept apart so the screen module stays about state and keys.
Every function takes the service and small ints and strings, and returns widget inputs.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from tui.data_service import CLASS_NAMES, FashionMnistService
from tui.lesson import lesson_lines, line_value
from tui.normalization import LINEAR_MODES
from widgets.gallery_view import Thumb
from widgets.lab_view import LabMode
from widgets.lesson_view import LessonStep
from widgets.renderers import histogram_chart


def gallery_page(
    service: FashionMnistService, split: str, members: np.ndarray, position: int, per_page: int
) -> tuple[list[Thumb], int]:
    """The page of thumbnails holding `position` (an offset into `members`) and its offset
    on that page."""
    start = (position // per_page) * per_page
    chosen = members[start:start + per_page]
    labels = service.labels(split)
    thumbs = [
        Thumb(index=int(i), image=service.images(split)[i],
              caption=f"{int(i)} {CLASS_NAMES[labels[i]]}")
        for i in chosen
    ]
    return thumbs, position - start


def look_alike_page(
    service: FashionMnistService, split: str, index: int, k: int
) -> tuple[Text, list[Thumb]]:
    """A heading and thumbnails: the query garment first, then its nearest training garments."""
    query = service.sample(split, index)
    found = service.look_alikes(split, index, k)
    labels = service.labels("train")
    thumbs = [Thumb(index=index, image=query.image, caption=query.label_name,
                    detail=f"{split}[{index}] query")]
    others = 0
    for neighbor_index, distance in found:
        name = CLASS_NAMES[labels[neighbor_index]]
        other_class = name != query.label_name
        others += other_class
        mark = "≠ " if other_class else ""
        thumbs.append(Thumb(index=neighbor_index, image=service.images("train")[neighbor_index],
                            caption=f"{mark}{name}", marked=other_class,
                            detail=f"#{neighbor_index} d={distance:.0f}"))
    heading = Text(f"Look-alikes of {split}[{index}] {query.label_name} ", style="bold")
    heading.append(f"in the training split (Euclidean distance on raw pixels; "
                   f"{others} of {len(found)} of another class, marked ≠)", style="")
    return heading, thumbs


def lab_modes(
    service: FashionMnistService, split: str, index: int
) -> list[LabMode]:
    """Every normalisation mode with its split and garment figures."""
    result = []
    for mode in service.norm_modes():
        values = service.normalize(mode.key, split, index)
        mean, std, low, high = service.mode_figures(mode.key, split)
        result.append(LabMode(
            title=mode.title, formula=mode.formula, explanation=mode.explanation,
            split_mean=mean, split_std=std, split_min=low, split_max=high,
            garment_mean=float(values.mean()), garment_std=float(values.std()),
        ))
    return result


def lab_charts(
    service: FashionMnistService, split: str, index: int, mode_key: str, height: int
) -> list[Text]:
    """Histograms of the garment and of the split, before and after the current mode."""
    raw = service.sample(split, index).image
    values = service.normalize(mode_key, split, index)
    garment_counts = np.bincount(raw.reshape(-1), minlength=256)
    low, high = float(values.min()), float(values.max())
    span = (low, high if high > low else low + 1)
    after_counts, _edges = np.histogram(values, bins=256, range=span)
    split_counts = service.histogram(split)
    mode = next(m for m in service.norm_modes() if m.key == mode_key)
    split_low, split_high = service.mode_axis(mode_key, split)
    charts = [
        histogram_chart(garment_counts, height, "0", "255", f"{split}[{index}] raw"),
        histogram_chart(after_counts, height, f"{low:.2f}", f"{high:.2f}",
                        f"{split}[{index}] after {mode.formula}"),
        histogram_chart(split_counts, height, "0", "255", f"all of {split}, raw"),
    ]
    if mode.key in LINEAR_MODES:
        charts.append(histogram_chart(split_counts, height, f"{split_low:.2f}",
                                      f"{split_high:.2f}", f"all of {split} after {mode.formula}"))
    else:
        charts.append(Text(f"all of {split} after {mode.formula}:\nper-image scaling has no "
                           "single axis for the split;\nsee its mean and std above.",
                           style="dim"))
    return charts


def lesson_steps(
    service: FashionMnistService, split: str, index: int, tf_version: str | None
) -> list[LessonStep]:
    """The tutorial's lines with the value each gives for the current garment."""
    raw = service.sample(split, index).image
    normalized = service.normalized(split, index)
    counts = {name: service.count(name) for name in service.splits}
    return [
        LessonStep(code=line.code, explanation=line.explanation,
                   value=line_value(number, split=split, index=index, raw=raw,
                                    normalized=normalized, tf_version=tf_version, counts=counts))
        for number, line in enumerate(lesson_lines(split, index))
    ]
