"""SVG snapshots of the gallery, classes, lab and lesson views over the tiny set, a fixed
runtime and a fake clock.

Regenerate after an intended change with
`pytest tests/test_view_snapshots.py --snapshot-update` and look at the SVGs in
tests/__snapshots__/test_view_snapshots/ before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from helpers import AppFactory, settle
from textual.pilot import Pilot

from tui.main_screen import MainScreen

VIEW_KEYS = {"gallery": "i", "classes": "c", "lab": "m", "lesson": "l"}


def open_view(view: str) -> Callable[[Pilot[object]], Awaitable[None]]:
    """Wait for the data and the (injected) runtime, then press the view's key."""

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press(VIEW_KEYS[view])
        await settle(pilot, lambda app: app.screen_stack[0].view == view)  # type: ignore[attr-defined]
        await pilot.pause()
        screen = pilot.app.screen_stack[0]
        assert isinstance(screen, MainScreen)
        assert screen.has_class(f"-view-{view}")

    return run_before


@pytest.mark.parametrize(
    ("view", "size"),
    [("gallery", (120, 40)), ("classes", (120, 40)), ("lab", (120, 40)),
     ("lesson", (120, 40)), ("gallery", (80, 24))],
    ids=["gallery-120x40", "classes-120x40", "lab-120x40", "lesson-120x40", "gallery-80x24"],
)
def test_view(
    snap_compare: Callable[..., bool], make_app: AppFactory, tiny_dataset: Path,
    view: str, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A relative --data-dir, so the log and the notification name the same folder every run.
    monkeypatch.chdir(tiny_dataset.parent)
    app = make_app(Path(tiny_dataset.name))
    assert snap_compare(app, terminal_size=size, run_before=open_view(view))
