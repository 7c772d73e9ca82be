"""End-to-end performance of the real `fashion-tui` app, driven in a pseudo-terminal.

Run: `python -m benchmarks.bench_app [--quick] [--json FILE] [--data DIR]`
(or `python benchmarks/bench_app.py`). Needs `pyte` (and, optionally, `psutil`).

The app is started from its console script in a pty of 120x40; its output goes to a pyte VT
emulator fed by a reader thread, and real key bytes are written to the pty. Each run gets a
fresh temporary KERAS_HOME holding the four Fashion-MNIST files (a user with a warm Keras
cache) and a temporary XDG_CACHE_HOME; the app is run once before measuring so that its
checksum memory is warm. Figures, each against its goal:

1. launch -> first garment on screen, against the tutorial script printing train_images[0]
2. key-to-screen latency of `j` (write -> the chunk completing the next title arrives)
3. bytes written per `j` step, truecolor and 256 colours
4. holding `j` at 30 presses/s for 5 s: time from the last press to the final screen
5. resident memory of the app before TensorFlow and at the end, against the tutorial's peak

Times are taken by the reader thread when output arrives; pyte (pure Python, far slower than
a real terminal) parses in another thread and is held back while `j` is held, so that it does
not compete with the app for the CPU. Every wait has a timeout, apps get `q` then SIGTERM and
SIGKILL, a watchdog ends everything after --max-seconds, and temporary folders are removed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

try:
    import pyte
except ImportError:  # pragma: no cover - depends on the environment
    print("bench_app needs pyte (and psutil is useful): pip install pyte psutil", file=sys.stderr)
    sys.exit(2)

import contextlib

from benchmarks._pty_app import MemoryPoller, PtyApp, rss_kib, screen_rows
from benchmarks._step_anatomy import anatomy

REPO = Path(__file__).resolve().parents[1]
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
TUTORIAL = (
    "import tensorflow as tf\n"
    "(train_images, train_labels), (test_images, test_labels) = "
    "tf.keras.datasets.fashion_mnist.load_data()\n"
    "print(train_images[0])\n"
)
COLUMNS, LINES = 120, 40
CORNERS = "╭┌┏╔"
HALF_BLOCKS = "▀▄"
MB = 1_000_000
QUIET_S = 0.3  # a step is over when nothing has arrived for this long (the app draws in bursts)
HOLD_QUIET_S = 0.2
# Environment variables that would change how the app draws or finds its data.
DROP_ENV = {
    "COLORTERM", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TERM", "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION", "COLUMNS", "LINES", "FASHION_MNIST_DIR", "KERAS_HOME",
    "XDG_CACHE_HOME", "LC_ALL", "LC_CTYPE", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
    "PYTHONSTARTUP", "PYTHONINSPECT",
}


class BenchError(Exception):
    """A measurement could not be made; the message says what was on screen."""


@dataclass
class Plan:
    launches: int
    tutorials: int
    presses: int
    byte_steps: int
    holds: int
    hold_rate: float = 30.0
    hold_seconds: float = 5.0


FULL = Plan(launches=5, tutorials=3, presses=100, byte_steps=50, holds=3)
QUICK = Plan(launches=3, tutorials=2, presses=30, byte_steps=20, holds=1)


# ----- small helpers ------------------------------------------------------------------------

def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[float], scale: float = 1.0, unit: str = "", digits: int = 2) -> str:
    if not values:
        return "no runs"
    lo, hi = min(values) * scale, max(values) * scale
    return f"n={len(values)}, {lo:.{digits}f}-{hi:.{digits}f}{unit}"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def find_data(explicit: Path | None) -> Path:
    def complete(folder: Path) -> bool:
        return all((folder / name).is_file() for name in FILES)

    if explicit is not None:
        if not complete(explicit):
            raise BenchError(f"{explicit} does not hold the four files {', '.join(FILES)}")
        return explicit
    candidates = [
        Path(os.environ["FASHION_MNIST_DIR"]) if os.environ.get("FASHION_MNIST_DIR") else None,
        REPO.parent / "shared" / "data" / "fashion-mnist",
        Path.home() / ".keras" / "datasets" / "fashion-mnist",
        Path("/usr/share/datasets/fashion-mnist"),
    ]
    for folder in candidates:
        if folder is not None and complete(folder):
            return folder
    raise BenchError("Fashion-MNIST's four .gz files were not found; pass --data DIR")


def read_labels(path: Path) -> bytes:
    with gzip.open(path, "rb") as handle:
        content = handle.read()
    if int.from_bytes(content[:4], "big") != 2049:
        raise BenchError(f"{path} is not an IDX label file")
    return content[8:]


# ----- what is on the screen ----------------------------------------------------------------

def garment_title(split: str, index: int, labels: bytes) -> str:
    return f"{split}[{index}] {CLASS_NAMES[labels[index]]}"


def find_title(rows: list[str], title: str) -> tuple[int, int, int] | None:
    """(row, left border column, right border column) of the pane whose top border holds
    `title`; the header (no box corner on its row) does not count."""
    for y, row in enumerate(rows):
        at = row.find(title)
        if at < 0:
            continue
        left = max(row.rfind(c, 0, at) for c in CORNERS)
        if left < 0:
            continue
        right = min((p for p in (row.find(c, at) for c in "╮┐┓╗") if p >= 0), default=-1)
        return y, left, right if right > 0 else len(row) - 1
    return None


def title_shown(title: str) -> Callable[[pyte.Screen], bool]:
    def predicate(screen: pyte.Screen) -> bool:
        return find_title(screen_rows(screen), title) is not None

    return predicate


def garment_drawn(title: str, pixel_rows: int = 14, pixel_cols: int = 28) -> Callable[
        [pyte.Screen], bool]:
    """The title in the garment pane's border AND, below it, `pixel_rows` rows of at least
    `pixel_cols` cells drawn as pixels: a half-block glyph, or a cell whose background is
    not the pane's (a blank pixel pair drawn as a coloured space)."""

    def predicate(screen: pyte.Screen) -> bool:
        rows = screen_rows(screen)
        found = find_title(rows, title)
        if found is None:
            return False
        y, left, right = found
        if y + pixel_rows >= screen.lines:
            return False
        pane_bg = screen.buffer[y + 1][left + 1].bg
        for r in range(y + 1, y + 1 + pixel_rows):
            line = screen.buffer[r]
            drawn = 0
            for x in range(left + 1, right):
                cell = line[x]
                if cell.data in HALF_BLOCKS or (cell.data == " " and cell.bg != pane_bg):
                    drawn += 1
            if drawn < pixel_cols:
                return False
        return True

    return predicate


def garment_visible(title: str, pixel_rows: int = 14, pixel_cols: int = 28) -> Callable[
        [pyte.Screen], bool]:
    """`title` anywhere on a row AND, right below it, `pixel_rows` rows with at least
    `pixel_cols` pixel cells: the garment is on screen, in a pane or in the start-up splash
    that the app draws before Textual is imported."""

    def predicate(screen: pyte.Screen) -> bool:
        rows = screen_rows(screen)
        for y, row in enumerate(rows):
            if title not in row or y + pixel_rows >= screen.lines:
                continue
            counts = []
            for r in range(y + 1, y + 1 + pixel_rows):
                line = screen.buffer[r]
                counts.append(sum(
                    1 for x in range(screen.columns)
                    if line[x].data in HALF_BLOCKS
                    or (line[x].data == " " and line[x].bg != "default")
                ))
            if min(counts) >= pixel_cols:
                return True
        return False

    return predicate


def log_shows(word: str) -> Callable[[pyte.Screen], bool]:
    def predicate(screen: pyte.Screen) -> bool:
        return any(word in row for row in screen_rows(screen)[1:])

    return predicate


def screen_text(app: PtyApp) -> str:
    """The screen for an error message: trailing blanks and empty last rows dropped."""
    rows = [row.rstrip() for row in app.rows()]
    while rows and not rows[-1]:
        rows.pop()
    return "\n".join(rows) if rows else "(blank)"


def loaded_line(rows: list[str]) -> str | None:
    """The app's own 'Loaded ... in X s' log line, if visible."""
    for row in rows:
        at = row.find("Loaded ")
        if at >= 0:
            return row[at:].split("│")[0].strip()
    return None


# ----- the runs -----------------------------------------------------------------------------

@dataclass
class Context:
    app: Path
    python: Path
    data: Path
    temp: Path
    keras_home: Path
    xdg_cache: Path
    labels: bytes
    timeout_scale: float = 1.0
    live: list[Any] = field(default_factory=list)  # running PtyApps / Popens, for the watchdog

    def env(self, truecolor: bool) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in DROP_ENV and not k.startswith("TEXTUAL")}
        env.update(
            TERM="xterm-256color", LANG="C.UTF-8",
            KERAS_HOME=str(self.keras_home), XDG_CACHE_HOME=str(self.xdg_cache),
        )
        if truecolor:
            env["COLORTERM"] = "truecolor"
        return env

    def t(self, seconds: float) -> float:
        return seconds * self.timeout_scale

    def open_app(self, truecolor: bool, keep_raw: bool = False) -> PtyApp:
        app = PtyApp([str(self.app)], self.env(truecolor), COLUMNS, LINES, keep_raw=keep_raw)
        app.start()
        self.live.append(app)
        return app

    def close_app(self, app: PtyApp) -> None:
        try:
            app.close()
        finally:
            if app in self.live:
                self.live.remove(app)

    def expect_or_fail(self, app: PtyApp, predicate: Callable[[pyte.Screen], bool],
                       timeout: float, what: str) -> Any:
        expectation = app.expect(predicate)
        deadline = time.perf_counter() + self.t(timeout)
        while not expectation.wait(0.2):
            if app.eof and app.wait_idle(0.0, 1.0) and not expectation.event.is_set():
                screen = screen_text(app)
                raise BenchError(f"the app closed the terminal before {what}; "
                                 f"the screen was:\n{screen}")
            if time.perf_counter() > deadline:
                screen = screen_text(app)
                raise BenchError(f"timed out after {self.t(timeout):.0f} s waiting for {what}; "
                                 f"the screen was:\n{screen}")
        return expectation


def warm_up(ctx: Context) -> str:
    """One run that writes the checksum memory and pulls the app and TensorFlow into the page
    cache; nothing of it is measured."""
    app = ctx.open_app(truecolor=True)
    try:
        ctx.expect_or_fail(app, garment_drawn(garment_title("train", 0, ctx.labels)), 120,
                           "the first garment (warm-up)")
        memory = ctx.xdg_cache / "fashion-tui" / "verified.json"
        deadline = time.perf_counter() + ctx.t(30)
        while not memory.is_file() and time.perf_counter() < deadline:
            time.sleep(0.05)
        ctx.expect_or_fail(app, log_shows("TensorFlow"), 240, "TensorFlow in the log (warm-up)")
        app.wait_idle(0.3, ctx.t(10))
    finally:
        ctx.close_app(app)
    if memory.is_file():
        try:
            entries = len(json.loads(memory.read_text()))
        except (OSError, ValueError):
            entries = 0
        return f"checksum memory warm ({memory.name}, {entries} entries)"
    return "checksum memory NOT written by the warm-up run (the app hashes on every launch)"


def launch_once(ctx: Context) -> dict[str, float]:
    """Launch, wait for the first garment, read the app's RSS, quit."""
    app = ctx.open_app(truecolor=True)
    try:
        title = garment_title("train", 0, ctx.labels)
        seen = ctx.expect_or_fail(app, garment_visible(title), 120, "the first garment")
        found = ctx.expect_or_fail(app, garment_drawn(title), 120, "the garment pane")
        rss = rss_kib(app.pid) or 0
        first_byte = app.first_byte_at or found.arrived
        return {"seconds": seen.arrived - app.launched_at,
                "seconds_parsed": seen.fed - app.launched_at,
                "pane_seconds": found.arrived - app.launched_at,
                "first_output_seconds": first_byte - app.launched_at,
                "rss_kib": rss}
    finally:
        ctx.close_app(app)


def tutorial_once(ctx: Context, script: Path) -> dict[str, float]:
    """The tutorial's three lines with the same KERAS_HOME: time to print, exit, peak RSS."""
    env = ctx.env(truecolor=True)
    env["PYTHONUNBUFFERED"] = "1"  # as on a terminal: the array shows when printed
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ctx.python), str(script)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env, start_new_session=True,
    )
    ctx.live.append(process)
    printed: list[float] = []
    output = bytearray()
    errors = bytearray()

    def read_out() -> None:
        assert process.stdout is not None
        stream: Any = process.stdout
        for chunk in iter(lambda: stream.read1(65536), b""):
            output.extend(chunk)
            if not printed and b"]]" in output:
                printed.append(time.perf_counter())

    def read_err() -> None:
        assert process.stderr is not None
        errors.extend(process.stderr.read())

    readers = [threading.Thread(target=read_out, daemon=True),
               threading.Thread(target=read_err, daemon=True)]
    for reader in readers:
        reader.start()
    deadline = started + ctx.t(300)
    status = rusage = None
    try:
        while True:
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, rusage = os.wait4(process.pid, 0)
                raise BenchError("the tutorial script did not finish in time")
            time.sleep(0.01)
    finally:
        exited = time.perf_counter()
        process.returncode = os.waitstatus_to_exitcode(status) if status is not None else -1
        for reader in readers:
            reader.join(timeout=5)
        ctx.live.remove(process)
    if process.returncode != 0 or not printed:
        tail = bytes(errors).decode(errors="replace").strip().splitlines()[-3:]
        raise BenchError(f"the tutorial script failed (exit {process.returncode}): "
                         + " | ".join(tail))
    return {"seconds": printed[0] - started, "exit_seconds": exited - started,
            "peak_rss_kib": float(rusage.ru_maxrss)}


def step_run(ctx: Context, app: PtyApp, presses: int, start_index: int = 0
             ) -> tuple[list[float], list[float], list[int], dict[str, Any] | None]:
    """`presses` presses of j, each from an idle screen: latency (arrival and parsed), bytes.
    The first step's raw chunks are kept for the anatomy."""
    latencies, parsed, sizes = [], [], []
    first_step = None
    index = start_index
    for _ in range(presses):
        index += 1
        if not app.wait_idle(QUIET_S, ctx.t(10)):
            raise BenchError("the screen never went idle between presses")
        before, _ = app.counters()
        expectation = app.expect(title_shown(garment_title("train", index, ctx.labels)))
        pressed = app.press(b"j")
        if not expectation.wait(ctx.t(10)):
            raise BenchError(f"j did not show train[{index}]; the screen was:\n"
                             + screen_text(app))
        latencies.append(expectation.arrived - pressed)
        parsed.append(expectation.fed - pressed)
        if not app.wait_idle(QUIET_S, ctx.t(10)):
            raise BenchError("the screen kept changing after a j step")
        after, _ = app.counters()
        sizes.append(after - before)
        if first_step is None and app.raw is not None:
            chunks = [(t, d) for t, d in app.raw if t >= pressed]
            first_step = {"chunks": chunks, "pressed": pressed, "rows": app.rows(),
                          "from": index - 1, "to": index}
    return latencies, parsed, sizes, first_step


def hold_run(ctx: Context, app: PtyApp, start_index: int, rate: float, seconds: float
             ) -> dict[str, Any]:
    """j at `rate` presses/s for `seconds`; how long after the last press the screen is final."""
    count = round(rate * seconds)
    target = start_index + count
    title = garment_title("train", target, ctx.labels)
    if not app.wait_idle(QUIET_S, ctx.t(10)):
        raise BenchError("the screen never went idle before the hold test")
    final = app.expect(title_shown(title))
    before, _ = app.counters()
    app.pause_parsing()
    try:
        times = []
        begin = time.perf_counter() + 0.05
        for k in range(count):
            delay = begin + k / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            times.append(app.press(b"j"))
        last = times[-1]
        # The app may still be working through queued keys: wait for 200 ms of silence, but
        # never conclude while the final title has not arrived.
        deadline = time.perf_counter() + ctx.t(60)
        while True:
            app.wait_quiet(HOLD_QUIET_S, ctx.t(60))
            app.resume_parsing()
            app.wait_idle(0.0, ctx.t(60))
            if final.event.is_set() or time.perf_counter() > deadline:
                break
            app.pause_parsing()
            time.sleep(0.01)
    finally:
        app.resume_parsing()
    if not final.wait(ctx.t(5)):
        raise BenchError(f"after holding j the screen does not show {title}:\n"
                         + screen_text(app))
    app.wait_idle(HOLD_QUIET_S, ctx.t(30))
    after, last_byte = app.counters()
    bursts, previous = 0, -1.0
    for arrived, _data in list(app.raw or []):
        if arrived >= times[0]:
            if arrived - previous > 0.008:
                bursts += 1
            previous = arrived
    return {
        "bursts": bursts,
        "presses": count,
        "achieved_rate": (count - 1) / (times[-1] - times[0]) if count > 1 else rate,
        "settle_seconds": max(0.0, last_byte - last),
        "title_seconds": final.arrived - last,
        "bytes": after - before,
        "target": title,
    }


def session(ctx: Context, truecolor: bool, presses: int, byte_steps: int, plan: Plan | None
            ) -> dict[str, Any]:
    """One long run: first garment, TensorFlow's log lines, then j steps (and the hold test)."""
    app = ctx.open_app(truecolor=truecolor, keep_raw=True)
    poller = MemoryPoller(app.pid).start()
    result: dict[str, Any] = {"truecolor": truecolor}
    try:
        first = ctx.expect_or_fail(app, garment_drawn(garment_title("train", 0, ctx.labels)),
                                   120, "the first garment")
        result["first_garment_seconds"] = first.arrived - app.launched_at
        result["rss_first_kib"] = rss_kib(app.pid)
        tf = ctx.expect_or_fail(app, log_shows("TensorFlow"), 240, "TensorFlow in the log")
        result["tensorflow_log_seconds"] = tf.arrived - app.launched_at
        app.wait_idle(0.5, ctx.t(15))
        result["rss_end_kib"] = rss_kib(app.pid)
        result["tf_child_peak_kib"] = poller.max_child_peak_kib
        result["tf_children_seen"] = len(poller.child_peak_kib)
        rows = app.rows()
        result["loaded_line"] = loaded_line(rows)
        result["tf_line"] = next((r.split("│")[-2].strip() if r.count("│") >= 2 else r.strip()
                                  for r in rows if "TensorFlow" in r), None)
        # idle output: anything the app writes with no input (would pollute bytes per step)
        before, _ = app.counters()
        time.sleep(1.0)
        after, _ = app.counters()
        result["idle_bytes_per_s"] = after - before
        latencies, parsed, sizes, first_step = step_run(ctx, app, max(presses, byte_steps))
        result["latency_s"] = latencies[:presses]
        result["latency_parsed_s"] = parsed[:presses]
        result["bytes_per_step"] = sizes[:byte_steps]
        if first_step is not None:
            anat = anatomy(first_step["chunks"], first_step["pressed"], first_step["rows"])
            result["anatomy"] = {
                "step": f"train[{first_step['from']}] -> train[{first_step['to']}]",
                "lines": anat.summary_lines(), "total": anat.total, "sgr": anat.sgr_bytes,
                "text": anat.text_bytes, "bursts": anat.bursts, "by_region": anat.by_region,
            }
        if plan is not None:
            index = len(sizes)
            result["holds"] = []
            for _ in range(plan.holds):
                hold = hold_run(ctx, app, index, plan.hold_rate, plan.hold_seconds)
                result["holds"].append(hold)
                index += hold["presses"]
        poller.stop()
        result["app_peak_kib"] = poller.app_peak_kib
    finally:
        poller.stop()
        ctx.close_app(app)
    if app.rusage is not None:
        result["app_tree_maxrss_kib"] = app.rusage.ru_maxrss  # app or its largest child
    return result


# ----- report -------------------------------------------------------------------------------

@dataclass
class Row:
    figure: str
    value: str
    runs: str
    goal: str
    verdict: str  # PASS, MISS or -
    note: str = ""


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "MISS")


def build_rows(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    tc = r["truecolor"]
    machine = r["machine"]

    launches = [x["seconds"] for x in r["launches"]]
    tutorials = [x["seconds"] for x in r["tutorials"]]
    app_s, tut_s = median(launches), median(tutorials)
    ratio = app_s / tut_s if tut_s else math.nan
    first_out = median([x["first_output_seconds"] for x in r["launches"]])
    tut_exit = median([x["exit_seconds"] for x in r["tutorials"]])
    panes = [x["pane_seconds"] for x in r["launches"]]
    rows.append(Row("1a launch -> first garment", f"{app_s:.2f} s", spread(launches, unit=" s"),
                    "", "-",
                    f"the start-up splash, drawn before Textual is imported; first output at "
                    f"{first_out:.2f} s"))
    rows.append(Row("1a' launch -> garment in the app's pane", f"{median(panes):.2f} s",
                    spread(panes, unit=" s"), "", "-",
                    f"imports + Textual start + the first frame; app's log: "
                    f"'{tc.get('loaded_line') or '?'}'"))
    rows.append(Row("1b tutorial prints train_images[0]", f"{tut_s:.2f} s",
                    spread(tutorials, unit=" s"), "", "-",
                    f"importing TensorFlow/Keras dominates; the script exits at {tut_exit:.2f} s"))
    rows.append(Row("1c ratio app / tutorial", f"{ratio:.3f}", "medians", "<= 0.10",
                    verdict(ratio <= 0.10),
                    f"the goal needs the first garment within {0.1 * tut_s:.2f} s"))

    lat = tc["latency_s"]
    lat_med, lat_p95 = median(lat) * 1000, percentile(lat, 95) * 1000
    bursts = tc.get("anatomy", {}).get("bursts", [])
    repaint = later = ""
    if bursts:
        first = bursts[0]
        repaint = (f"the title arrives in the first burst, {first[1] / 1000:.0f} KB for rows "
                   f"{first[2]}, {first[0]:.0f} ms after the key (one step shown below)")
        later = (f"{len(bursts) - 1} more burst(s) per step, the last {bursts[-1][0]:.0f} ms "
                 "after the key" if len(bursts) > 1 else "one burst per step")
    load = machine.get("load_avg_start", [math.nan])[0]
    rows.append(Row("2a j latency, median", f"{lat_med:.1f} ms",
                    spread(lat, 1000, " ms", 1), "<= 20 ms", verdict(lat_med <= 20), repaint))
    rows.append(Row("2b j latency, p95", f"{lat_p95:.1f} ms", f"n={len(lat)}", "<= 50 ms",
                    verdict(lat_p95 <= 50),
                    f"{later}; CPUs shared with other work (load {load:.1f} on "
                    f"{machine['cpus']} CPUs)"))

    tc_bytes = tc["bytes_per_step"]
    c256 = r.get("colour256", {}).get("bytes_per_step", [])
    tc_mean = statistics.fmean(tc_bytes) if tc_bytes else math.nan
    c256_mean = statistics.fmean(c256) if c256 else math.nan
    anat = tc.get("anatomy")
    sgr_note = ""
    if anat:
        sgr_note = (f"SGR escapes are {100 * anat['sgr'] / max(1, anat['total']):.0f}% of it "
                    "(each cell its own fg+bg and a reset); unchanged panes are repainted too")
    rows.append(Row("3a bytes per j step, truecolor", f"{tc_mean / 1000:.1f} KB",
                    spread(tc_bytes, 1 / 1000, " KB", 1), "<= 12 KB",
                    verdict(tc_mean <= 12_000), sgr_note))
    rows.append(Row("3b bytes per j step, 256 colours", f"{c256_mean / 1000:.1f} KB",
                    spread(c256, 1 / 1000, " KB", 1), "(info)", "-",
                    "the same cells repainted; 38;5;N codes are shorter than 38;2;R;G;B"))

    holds = tc.get("holds") or []
    if holds:
        settles = [h["settle_seconds"] for h in holds]
        settle = median(settles) * 1000
        title_ms = median([h["title_seconds"] for h in holds]) * 1000
        rate = median([h["achieved_rate"] for h in holds])
        bursts_held = median([h["bursts"] for h in holds])
        rows.append(Row("4  held j: last press -> final screen", f"{settle:.0f} ms",
                        spread(settles, 1000, " ms", 0), "<= 100 ms", verdict(settle <= 100),
                        f"{holds[0]['presses']} presses at {rate:.1f}/s per run; title final "
                        f"{title_ms:.0f} ms after the last press, then the trailing repaint; "
                        f"~{bursts_held:.0f} output bursts for {holds[0]['presses']} keys, "
                        f"{median([h['bytes'] for h in holds]) / 1e6:.1f} MB"))

    rss_first = [x["rss_kib"] * 1024 / MB for x in r["launches"]]
    rows.append(Row("5a app RSS at first garment", f"{median(rss_first):.0f} MB",
                    spread(rss_first, unit=" MB", digits=0), "<= 150 MB",
                    verdict(median(rss_first) <= 150),
                    "Python + Textual + NumPy/PIL + the uint8 arrays (47+8 MB); read the "
                    "moment the garment shows, with the loader thread maybe still busy (spread)"))
    child = tc.get("tf_child_peak_kib")
    rows.append(Row("5b TensorFlow probe child, peak",
                    f"{child * 1024 / MB:.0f} MB" if child else "not caught",
                    f"{tc.get('tf_children_seen', 0)} child(ren), 1 run", "(info)", "-",
                    "VmHWM polled every 25 ms; the child lives only for the probe"))
    tut_peaks = [x["peak_rss_kib"] * 1024 / MB for x in r["tutorials"]]
    tut_peak = median(tut_peaks)
    ends = [s["rss_end_kib"] * 1024 / MB for s in (tc, r.get("colour256", {}))
            if s.get("rss_end_kib")]
    end = median(ends)
    rows.append(Row("5c app RSS with the log complete", f"{end:.0f} MB",
                    spread(ends, unit=" MB", digits=0),
                    f"< 0.7 x {tut_peak:.0f} = {0.7 * tut_peak:.0f} MB",
                    verdict(end < 0.7 * tut_peak),
                    f"= {end / tut_peak:.2f} x the tutorial's peak; the app's own peak "
                    f"(VmHWM) over the session was {tc.get('app_peak_kib', 0) * 1024 / MB:.0f} MB"))
    rows.append(Row("5d tutorial peak RSS", f"{tut_peak:.0f} MB",
                    spread(tut_peaks, unit=" MB", digits=0), "(reference)", "-",
                    "ru_maxrss of the script's process (wait4)"))
    return rows


def print_table(rows: list[Row]) -> None:
    headers = ("figure", "value", "runs / spread", "goal", "result")
    cells = [(r.figure, r.value, r.runs, r.goal, r.verdict) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    print()
    print("What limits each figure:")
    for r in rows:
        if r.note:
            print(f"  {r.figure.split()[0]:<3} {r.note}")


# ----- main ---------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = QUICK if args.quick else FULL
    data = find_data(args.data)
    app = args.app
    if not os.access(app, os.X_OK):
        raise BenchError(f"the console script {app} is missing; install the app (pip install -e .)")
    temp = Path(tempfile.mkdtemp(prefix="bench-app-"))
    ctx = Context(app=app, python=args.python, data=data, temp=temp,
                  keras_home=temp / "keras", xdg_cache=temp / "xdg-cache",
                  labels=read_labels(data / "train-labels-idx1-ubyte.gz"),
                  timeout_scale=args.timeout_scale)
    watchdog = threading.Timer(args.max_seconds, emergency_stop, args=(ctx,))
    watchdog.daemon = True
    watchdog.start()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full", "plan": plan.__dict__,
        "terminal": f"{COLUMNS}x{LINES}", "app": str(app), "data": str(data),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_start": os.getloadavg()},
    }
    try:
        cache = ctx.keras_home / "datasets" / "fashion-mnist"
        cache.mkdir(parents=True)
        for name in FILES:
            shutil.copy2(data / name, cache / name)
        ctx.xdg_cache.mkdir()
        script = temp / "tutorial.py"
        script.write_text(TUTORIAL)
        log(f"data {data} copied to a temporary KERAS_HOME; warm-up run of the app")
        results["warm_up"] = warm_up(ctx)
        log(results["warm_up"])
        if not args.quick:
            log("warm-up run of the tutorial script (not measured)")
            tutorial_once(ctx, script)
        results["launches"], results["tutorials"] = [], []
        for i in range(max(plan.launches, plan.tutorials)):
            if i < plan.launches:
                results["launches"].append(launch_once(ctx))
                log(f"launch {i + 1}/{plan.launches}: "
                    f"{results['launches'][-1]['seconds']:.2f} s to the first garment")
                time.sleep(0.3)
            if i < plan.tutorials:
                results["tutorials"].append(tutorial_once(ctx, script))
                log(f"tutorial {i + 1}/{plan.tutorials}: "
                    f"{results['tutorials'][-1]['seconds']:.2f} s to print train_images[0]")
        log(f"truecolor session: {plan.presses} j presses, then {plan.holds} x j held at "
            f"{plan.hold_rate:.0f}/s for {plan.hold_seconds:.0f} s")
        results["truecolor"] = session(ctx, True, plan.presses, plan.byte_steps, plan)
        log(f"256-colour session: {plan.byte_steps} j presses")
        results["colour256"] = session(ctx, False, 0, plan.byte_steps, None)
        results["machine"]["load_avg_end"] = os.getloadavg()
    finally:
        watchdog.cancel()
        for live in list(ctx.live):
            stop_live(live)
        shutil.rmtree(temp, ignore_errors=True)
    return results


def stop_live(live: Any) -> None:
    try:
        if isinstance(live, PtyApp):
            live.close(grace=2.0)
        else:
            os.killpg(live.pid, signal.SIGKILL)
    except Exception:
        pass


def emergency_stop(ctx: Context) -> None:
    """The watchdog: the whole benchmark overran --max-seconds; stop everything and exit."""
    print("bench_app: overran its time limit; stopping", file=sys.stderr, flush=True)
    for live in list(ctx.live):
        pid = getattr(live, "pid", -1)
        if pid > 0:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
    shutil.rmtree(ctx.temp, ignore_errors=True)
    os._exit(3)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions: 3 launches, 2 tutorial runs, 30 presses, 20 "
                             "byte steps, 1 hold (full: 5, 3, 100, 50, 3)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="folder with the four Fashion-MNIST .gz files "
                             "(default: $FASHION_MNIST_DIR, ../shared/data/fashion-mnist, "
                             "~/.keras/datasets/fashion-mnist, the Debian package)")
    parser.add_argument("--app", type=Path, default=Path(sys.executable).parent / "fashion-tui",
                        help="the console script (default: next to this Python)")
    parser.add_argument("--python", type=Path, default=Path(sys.executable),
                        help="Python with TensorFlow, for the tutorial script (default: this one)")
    parser.add_argument("--timeout-scale", type=float, default=1.0,
                        help="multiply every timeout (slow machines)")
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="stop everything after this long (default 900 quick, 1800 full)")
    args = parser.parse_args(argv)
    if args.max_seconds is None:
        args.max_seconds = 900.0 if args.quick else 1800.0
    sys.setswitchinterval(0.0005)  # let the pty reader timestamp promptly while pyte parses
    try:
        results = run(args)
    except BenchError as error:
        print(f"bench_app: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_app: interrupted", file=sys.stderr)
        return 130
    rows = build_rows(results)
    results["table"] = [r.__dict__ for r in rows]
    print()
    print(f"fashion-tui app benchmark ({results['mode']}; {results['terminal']} pty, pyte; "
          f"{results['machine']['cpus']} CPUs, load {results['machine']['load_avg_start'][0]:.1f}"
          f" at start; medians unless stated; KB/MB = 1000/1000000 bytes)")
    print(f"data: {results['data']} copied into a temporary KERAS_HOME; {results['warm_up']}")
    print()
    print_table(rows)
    anat = results["truecolor"].get("anatomy")
    if anat:
        print()
        print(f"Bytes of one j step ({anat['step']}, truecolor):")
        for line in anat["lines"]:
            print(f"  {line}")
    idle = results["truecolor"].get("idle_bytes_per_s", 0)
    if idle:
        print(f"note: the idle app wrote {idle} B in 1 s with no input")
    if args.json:
        args.json.write_text(json.dumps(jsonable(results), indent=2) + "\n")
        print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
