"""TensorFlow's versions and devices, asked of a child process.

TensorFlow is imported only here, lazily and never in the UI's process: its C++ runtime writes
log lines straight to file descriptor 2, which is the terminal Textual draws on, and it costs
hundreds of megabytes that a data browser does not need. A child process with its output piped
keeps both away from the screen; the app runs the probe in a worker thread.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
from dataclasses import dataclass, field

import numpy as np

PROBE_TIMEOUT_S = 180.0
_children: set[subprocess.Popen[str]] = set()
_children_lock = threading.Lock()


@dataclass(frozen=True)
class RuntimeInfo:
    """Versions and devices as plain values, so panes and snapshots can be given fixed ones."""

    python: str
    numpy: str
    tensorflow: str | None = None
    keras: str | None = None
    devices: tuple[str, ...] = field(default_factory=tuple)
    gpus: tuple[str, ...] = field(default_factory=tuple)
    built_with_cuda: bool = False
    error: str | None = None

    def device_summary(self) -> str:
        """The devices in plain words for the log."""
        if self.error:
            return f"Devices unknown: {self.error}"
        if self.gpus:
            names = ", ".join(self.gpus)
            return f"{len(self.gpus)} GPU(s) found ({names}); TensorFlow will use them."
        build = ""
        if self.built_with_cuda:
            build = " (this TensorFlow can use CUDA, but no GPU driver is here)"
        return (
            f"No GPU found{build}. TensorFlow runs on the CPU, "
            "which is plenty for 70,000 images of 28x28."
        )

    def as_json(self) -> dict[str, object]:
        return {
            "python": self.python,
            "numpy": self.numpy,
            "tensorflow": self.tensorflow,
            "keras": self.keras,
            "devices": list(self.devices),
            "gpus": list(self.gpus),
            "built_with_cuda": self.built_with_cuda,
            "error": self.error,
        }


def base_info(error: str | None = None) -> RuntimeInfo:
    """What is known without TensorFlow."""
    return RuntimeInfo(python=platform.python_version(), numpy=np.__version__, error=error)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # quieter child; its stderr is piped anyway
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_child(command: str, timeout: float) -> tuple[int, str, str]:
    """Run `python -m tui.tf_child COMMAND`; return (exit code, stdout, stderr).

    Children are registered so `stop_children()` can end them when the app quits at once.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.tf_child", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    with _children_lock:
        _children.add(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        stderr += f"\ntimed out after {timeout:.0f} s"
    finally:
        with _children_lock:
            _children.discard(process)
    return process.returncode, stdout, stderr


def stop_children() -> None:
    """Kill any TensorFlow child still running (the user quit while it worked)."""
    with _children_lock:
        running = list(_children)
    for process in running:
        if process.poll() is None:
            process.kill()


def last_line(text: str) -> str:
    """The last non-empty line of a child's error output: usually the exception."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def probe_runtime(timeout: float = PROBE_TIMEOUT_S) -> RuntimeInfo:
    """Import TensorFlow in a child process and report its versions and devices."""
    code, stdout, stderr = run_child("probe", timeout)
    if code != 0:
        return base_info(error=f"TensorFlow could not start: {last_line(stderr)}")
    try:
        data = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return base_info(error="TensorFlow's probe printed no result")
    return RuntimeInfo(
        python=platform.python_version(),
        numpy=np.__version__,
        tensorflow=data["tensorflow"],
        keras=data["keras"],
        devices=tuple(data["devices"]),
        gpus=tuple(data["gpus"]),
        built_with_cuda=bool(data["built_with_cuda"]),
    )
