"""Run a program in a pseudo-terminal and watch its screen through the pyte VT emulator.

Two threads per session: a reader that only reads the pty and timestamps each chunk as it
arrives (so its clock is not held up by parsing), and a parser that feeds the chunks to
pyte in order and checks the registered expectations after each chunk. An expectation that
comes true is stamped with the arrival time of the chunk that made it true.

Used by bench_app.py; Linux (pty, /proc) only.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import termios
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pyte

Predicate = Callable[[pyte.Screen], bool]


class Expectation:
    """One condition on the screen; `arrived` is the arrival time of the chunk that met it."""

    def __init__(self, predicate: Predicate) -> None:
        self.predicate = predicate
        self.event = threading.Event()
        # Set when met (check `event`): perf_counter of the chunk's arrival, and of the moment
        # pyte had parsed it.
        self.arrived = 0.0
        self.fed = 0.0

    def wait(self, timeout: float) -> bool:
        return self.event.wait(timeout)


def screen_rows(screen: pyte.Screen) -> list[str]:
    """The screen's text, one string a row (wide characters as pyte stores them)."""
    columns = screen.columns
    rows = []
    for y in range(screen.lines):
        line = screen.buffer[y]
        rows.append("".join(line[x].data for x in range(columns)))
    return rows


def rss_kib(pid: int, field: str = "VmRSS") -> int | None:
    """A /proc/PID/status memory field in KiB (VmRSS now, VmHWM the peak), None if gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def child_pids(pid: int) -> list[int]:
    """Direct and indirect children of `pid` (psutil when installed, else /proc)."""
    try:
        import psutil

        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except ImportError:
        pass
    except Exception:  # the process is gone
        return []
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    kids = [int(p) for p in handle.read().split()]
            except OSError:
                kids = []
            found.extend(kids)
            todo.extend(kids)
    return found


class PtyApp:
    """One run of a program in a `columns` x `lines` pseudo-terminal."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        columns: int = 120,
        lines: int = 40,
        keep_raw: bool = False,
    ) -> None:
        self.argv = list(argv)
        self.env = env
        self.columns = columns
        self.lines = lines
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.raw: list[tuple[float, bytes]] | None = [] if keep_raw else None
        self.pid = -1
        self.fd = -1
        self.launched_at = 0.0
        self.total_bytes = 0  # read from the pty so far
        self.fed_bytes = 0  # parsed by pyte so far
        self.last_byte_at = 0.0
        self.first_byte_at: float | None = None
        self.eof = False
        self.exit_status: int | None = None
        self.rusage: Any = None
        self._queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self._cond = threading.Condition()
        self._screen_lock = threading.Lock()
        self._expectations: list[Expectation] = []
        self._last_arrival = 0.0
        self._closing = False
        self._paused = False  # parsing held back (the reader still reads and timestamps)
        self._threads: list[threading.Thread] = []

    # ----- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        winsize = struct.pack("HHHH", self.lines, self.columns, 0, 0)
        self.launched_at = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: size its terminal, then become the program
            try:
                fcntl.ioctl(1, termios.TIOCSWINSZ, winsize)
                os.execve(self.argv[0], self.argv, self.env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        for target, name in ((self._read_loop, "pty-reader"), (self._parse_loop, "pty-parser")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _read_loop(self) -> None:
        fd = self.fd
        os.set_blocking(fd, False)
        while not self._closing:
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
            except (OSError, ValueError):
                break
            if not ready:
                continue
            # Drain everything there is in one go (as a terminal would), so the app's writes
            # never wait on this thread getting the GIL back between reads.
            parts: list[bytes] = []
            closed = False
            while True:
                try:
                    data = os.read(fd, 1 << 16)
                except BlockingIOError:
                    break
                except OSError:  # EIO: every process holding the terminal has gone
                    closed = True
                    break
                if not data:
                    closed = True
                    break
                if not parts:
                    now = time.perf_counter()
                parts.append(data)
            if parts:
                data = b"".join(parts)
                with self._cond:
                    if self.first_byte_at is None:
                        self.first_byte_at = now
                    self.total_bytes += len(data)
                    self.last_byte_at = time.perf_counter()
                    self._queue.append((now, data))
                    if self.raw is not None:
                        self.raw.append((now, data))
                    self._cond.notify_all()
            if closed:
                break
        with self._cond:
            self.eof = True
            self._cond.notify_all()

    def _parse_loop(self) -> None:
        while True:
            with self._cond:
                while (not self._queue or self._paused) and not self.eof and not self._closing:
                    self._cond.wait(0.2)
                if not self._queue:
                    if self.eof or self._closing:
                        return
                    continue
                # Let a burst finish arriving before parsing (pyte holds the GIL while it
                # parses): wait for a 2 ms lull, at most 20 ms.
                first_wait = time.perf_counter()
                while (not self.eof and time.perf_counter() - self.last_byte_at < 0.002
                       and time.perf_counter() - first_wait < 0.02):
                    self._cond.wait(0.002)
                arrived, data = self._queue.popleft()
            with self._screen_lock:
                self.stream.feed(data)
                fed = time.perf_counter()
                self._last_arrival = arrived
                for expectation in list(self._expectations):
                    if expectation.predicate(self.screen):
                        expectation.arrived, expectation.fed = arrived, fed
                        self._expectations.remove(expectation)
                        expectation.event.set()
            with self._cond:
                self.fed_bytes += len(data)
                self._cond.notify_all()

    def close(self, grace: float = 8.0) -> None:
        """Ask politely (q), then SIGTERM, then SIGKILL the program's process group; reap it."""
        if self.pid <= 0:
            return
        if self.exit_status is None:
            with contextlib.suppress(OSError):
                self.press(b"q")
            if not self._reap(grace):
                for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
                    with contextlib.suppress(OSError):
                        os.killpg(self.pid, sig)
                    if self._reap(wait):
                        break
        # Whatever the program started in its own session (the TensorFlow child) goes too.
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        self._closing = True
        for thread in self._threads:
            thread.join(timeout=3.0)
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

    def _reap(self, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while True:
            try:
                pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.exit_status = -1
                return True
            if pid == self.pid:
                self.exit_status = os.waitstatus_to_exitcode(status)
                self.rusage = rusage
                return True
            if time.perf_counter() >= deadline:
                return False
            time.sleep(0.02)

    def __enter__(self) -> PtyApp:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- input and waiting ----------------------------------------------------------------

    def press(self, key: bytes) -> float:
        """Write `key` to the terminal; return the time just before the write."""
        now = time.perf_counter()
        os.write(self.fd, key)
        return now

    def expect(self, predicate: Predicate) -> Expectation:
        """Register `predicate`; if it already holds, it is met at the last chunk's arrival."""
        expectation = Expectation(predicate)
        with self._screen_lock:
            if predicate(self.screen):
                expectation.arrived = expectation.fed = self._last_arrival
                expectation.event.set()
            else:
                self._expectations.append(expectation)
        return expectation

    def wait_for(self, predicate: Predicate, timeout: float) -> Expectation | None:
        expectation = self.expect(predicate)
        return expectation if expectation.wait(timeout) else None

    def wait_idle(self, quiet: float, timeout: float) -> bool:
        """Wait until nothing has arrived for `quiet` seconds and pyte has parsed it all."""
        deadline = time.perf_counter() + timeout
        while True:
            now = time.perf_counter()
            with self._cond:
                parsed = self.fed_bytes == self.total_bytes
                since = now - max(self.last_byte_at, self.launched_at)
                if parsed and since >= quiet:
                    return True
                if self.eof and parsed:
                    return True
            if now >= deadline:
                return False
            time.sleep(min(0.01, max(0.001, quiet - since)))

    def wait_quiet(self, quiet: float, timeout: float) -> bool:
        """Wait until nothing has arrived for `quiet` seconds (parsed or not)."""
        deadline = time.perf_counter() + timeout
        while True:
            now = time.perf_counter()
            with self._cond:
                since = now - max(self.last_byte_at, self.launched_at)
                if since >= quiet or self.eof:
                    return True
            if now >= deadline:
                return False
            time.sleep(min(0.01, max(0.001, quiet - since)))

    def pause_parsing(self) -> None:
        """Hold pyte back (chunks are still read and timestamped), so that the emulator,
        far slower than a real terminal, does not compete with the app for the CPU."""
        with self._cond:
            self._paused = True

    def resume_parsing(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def counters(self) -> tuple[int, float]:
        with self._cond:
            return self.total_bytes, self.last_byte_at

    def rows(self) -> list[str]:
        with self._screen_lock:
            return screen_rows(self.screen)


class MemoryPoller:
    """Polls VmRSS/VmHWM of a process and of its children until stopped."""

    def __init__(self, pid: int, interval: float = 0.025) -> None:
        self.pid = pid
        self.interval = interval
        self.child_peak_kib: dict[int, int] = {}  # child pid -> last VmHWM seen
        self.app_peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mem-poller", daemon=True)

    def start(self) -> MemoryPoller:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            peak = rss_kib(self.pid, "VmHWM")
            if peak is None:
                break
            self.app_peak_kib = max(self.app_peak_kib, peak)
            for child in child_pids(self.pid):
                hwm = rss_kib(child, "VmHWM")
                if hwm is not None:
                    self.child_peak_kib[child] = max(self.child_peak_kib.get(child, 0), hwm)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    @property
    def max_child_peak_kib(self) -> int | None:
        return max(self.child_peak_kib.values()) if self.child_peak_kib else None
