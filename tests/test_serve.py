"""`fashion-tui serve`: the app in a browser through textual-serve, tested on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tui.cli import is_loopback, main, serve_command

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    html: str = ""
    stderr: str = ""


def child_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if "proxy" not in key.lower() and not key.startswith("TEXTUAL")}
    env["PYTHONPATH"] = str(REPO)
    return env


def fetch(port: int, path: str = "/") -> tuple[int, str]:
    """GET from 127.0.0.1 only, never through a proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
        return response.status, response.read().decode("utf-8", "replace")


def stop(process: subprocess.Popen[bytes]) -> str:
    """Stop the server (SIGTERM, then SIGKILL) and return its standard error."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate(timeout=STOP_TIMEOUT)
    return err.decode("utf-8", "replace")


@contextlib.contextmanager
def serving(data_dir: Path, *extra: str) -> Iterator[Served]:
    """`python -m tui serve` on a free port, until its page answers 200 (or it gives up)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", str(port), "--data-dir",
         str(data_dir), *extra],
        cwd=REPO, env=child_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    )
    served = Served(process, port)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, f"the server ended: {stop(process)}"
            try:
                status, served.html = fetch(port)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.1)
                continue
            assert status == 200
            break
        yield served
    finally:
        served.stderr = stop(process)


def test_serve_answers_with_the_textual_client(tiny_dataset: Path) -> None:
    with serving(tiny_dataset) as served:
        html = served.html
        assert "textual.js" in html  # textual-serve's browser client
        assert ">fashion-tui<" in html  # the title shown while it connects
        assert f"ws://127.0.0.1:{served.port}/ws" in html
        status, script = fetch(served.port, "/static/js/textual.js")
        assert status == 200 and len(script) > 1000
        assert served.process.poll() is None
    assert served.process.returncode is not None  # stopped by SIGTERM, not left running
    assert "warning" not in served.stderr.lower()
    assert f"http://127.0.0.1:{served.port}" in served.stderr
    assert "Traceback" not in served.stderr


def test_serve_on_every_interface_warns(tiny_dataset: Path) -> None:
    with serving(tiny_dataset, "--host", "0.0.0.0") as served:
        assert "textual.js" in served.html  # still reached through 127.0.0.1 only
    warnings = [line for line in served.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "0.0.0.0" in warnings[0] and "anyone" in warnings[0]
    assert "--host 127.0.0.1" in warnings[0]


def test_serve_on_every_interface_gives_browsers_a_reachable_address(
    tiny_dataset: Path,
) -> None:
    with serving(tiny_dataset, "--host", "0.0.0.0") as served:
        assert "://0.0.0.0" not in served.html


def test_a_busy_port_is_one_line_and_exit_3(tiny_dataset: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tui", "serve", "--port", str(port), "--data-dir",
             str(tiny_dataset)],
            cwd=REPO, env=child_env(), stdin=subprocess.DEVNULL, capture_output=True,
            timeout=START_TIMEOUT,
        )
    err = result.stderr.decode()
    assert result.returncode == 3, err
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1", "eighty", "8.5"])
def test_an_impossible_port_is_one_line_and_exit_2(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", f"--port={port}"])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "--port" in lines[0] and lines[0].startswith("fashion-tui")


def test_an_impossible_port_from_the_shell(tiny_dataset: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--port", "70000"],
        cwd=REPO, env=child_env(), stdin=subprocess.DEVNULL, capture_output=True,
        timeout=START_TIMEOUT,
    )
    assert result.returncode == 2
    assert result.stdout == b""
    assert len(result.stderr.decode().strip().splitlines()) == 1
    assert b"70000" in result.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.5.5.5", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.2", False), ("10.0.0.1", False),
     ("example.org", False), ("", False), ("127.0.0.1.nip.io", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_command_runs_this_python_with_an_absolute_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "my data"
    folder.mkdir()
    parts = shlex.split(serve_command(Path("my data")))
    assert parts[:3] == [sys.executable, "-m", "tui"]
    assert parts[3] == "--data-dir"
    assert Path(parts[4]).is_absolute()
    assert Path(parts[4]) == folder.resolve()
    assert len(parts) == 5


def test_serve_command_expands_home_and_omits_a_missing_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    parts = shlex.split(serve_command(Path("~/fm")))
    assert parts[-2:] == ["--data-dir", str((tmp_path / "fm").resolve())]
    assert shlex.split(serve_command(None)) == [sys.executable, "-m", "tui"]
    assert "--data-dir" not in serve_command(None)
