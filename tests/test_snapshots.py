"""SVG snapshots of the whole screen over the tiny set, a fixed runtime and a fake clock.

Regenerate after an intended change with `pytest tests/test_snapshots.py --snapshot-update`
and look at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import AppFactory, settle
from textual.pilot import Pilot


async def loaded_and_logged(pilot: Pilot[object]) -> None:
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen(
    snap_compare: Callable[..., bool], make_app: AppFactory, tiny_dataset: Path,
    size: tuple[int, int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A relative --data-dir, so the log line naming the source is the same on every run.
    monkeypatch.chdir(tiny_dataset.parent)
    app = make_app(Path(tiny_dataset.name))
    assert snap_compare(app, terminal_size=size, run_before=loaded_and_logged)
