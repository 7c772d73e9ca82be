"""Write SVG screenshots of the main screen on the real data: `python -m tui.screenshots DIR`.

Uses the normal data search (or FASHION_MNIST_DIR) and waits for the TensorFlow probe, so the
log in the picture is the real one.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tui.app import FashionApp
from tui.data_service import FashionMnistService
from tui.main_screen import MainScreen

WIDE, SMALL = (120, 40), (80, 24)
SHOTS: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "main-120x40.svg": (WIDE, ()),
    "main-80x24.svg": (SMALL, ()),
    "gallery-120x40.svg": (WIDE, ("i",)),
    "classes-120x40.svg": (WIDE, ("c",)),
    "lab-120x40.svg": (WIDE, ("m", "down", "down", "down")),
    "lesson-120x40.svg": (WIDE, ("l", "down", "down", "down", "down")),
    "look-alikes-120x40.svg": (WIDE, ("g", "1", "2", "enter", "s")),
    "presenter-120x40.svg": (WIDE, ("P",)),
    "gallery-80x24.svg": (SMALL, ("4", "i")),
}


async def capture(path: Path, size: tuple[int, int], keys: tuple[str, ...] = ()) -> None:
    app = FashionApp(FashionMnistService())
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        while screen.runtime is None and screen.problem is None:
            await pilot.pause(0.2)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        if screen.problem:
            raise SystemExit(f"no screenshot: {screen.problem}")
        app.save_screenshot(str(path))


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    for name, (size, keys) in SHOTS.items():
        asyncio.run(capture(folder / name, size, keys))
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
