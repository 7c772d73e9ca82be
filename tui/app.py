"""The Textual application: the service is injected, so tests build it over tiny data."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.data_service import FashionMnistService
from tui.main_screen import MainScreen
from tui.runtime_info import stop_children
from tui.terminal import TerminalProfile

SIGNAL_GRACE_S = 2.0  # how long a signalled shutdown may take before the process just ends


class FashionApp(App[None]):
    """fashion-tui: browse Fashion-MNIST by keyboard, with every pane on one data service."""

    CSS_PATH = "fashion.tcss"
    TITLE = "fashion-tui"
    AUTO_FOCUS = None  # keys act on the screen; no pane should look selected at start
    # Not a priority binding: q must close the help screen and be typeable in the go-to box.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(
        self,
        service: FashionMnistService,
        split: str = "train",
        index: int = 0,
        ascii_mode: bool | None = None,
        profile: TerminalProfile | None = None,
    ) -> None:
        """`profile` says what the terminal can show (tui.terminal.detect); tests pass none."""
        super().__init__()
        self.service = service
        self._split = split
        self._index = index
        self._ascii_mode = bool(os.environ.get("NO_COLOR")) if ascii_mode is None else ascii_mode
        self.profile = profile

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.service, self._split, self._index, self._ascii_mode, self.profile)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every browsing action by name in the command palette (ctrl+p)."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            for binding in MainScreen.BINDINGS:
                assert isinstance(binding, Binding)
                action = binding.action
                key = binding.key_display or binding.key
                yield SystemCommand(
                    binding.description, f"Key: {key}",
                    lambda action=action: screen.run_action(action),
                )

    def on_mount(self) -> None:
        """SIGHUP (an SSH link dropped) and SIGTERM end the app the normal way, so the terminal
        is restored and no child process is left behind."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._end_on_signal, signum)

    def _end_on_signal(self, signum: int) -> None:
        """Exit normally; if the terminal is already gone and writing to it stalls the
        shutdown, a watchdog ends the process a moment later anyway (never a hung orphan)."""

        def watchdog() -> None:
            time.sleep(SIGNAL_GRACE_S)
            stop_children()
            os._exit(128 + signum)

        threading.Thread(target=watchdog, name="fashion-exit-watchdog", daemon=True).start()
        self.exit(return_code=128 + signum)

    def on_unmount(self) -> None:
        stop_children()
