"""tui/downloader.py against a small HTTP mirror and a refusing proxy, both on 127.0.0.1.

No request leaves the machine: every URL is on 127.0.0.1, and the proxies used are local ones.
The servers are threaded, answer a bounded number of requests and stop themselves after
SERVER_LIFETIME_S whatever happens to a test. Most cases patch the reference sizes and
checksums to those of the tiny set, so they move a few kilobytes; a few use the real files.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import os
import socket
import socketserver
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import PROXY_VARIABLES, REAL_FILES
from helpers import write_tiny_dataset

from tui import cli, downloader
from tui.data_service import FashionMnistService
from tui.data_sources import keras_cache_dir
from tui.downloader import (
    KERAS_ORIGIN,
    READ_TIMEOUT_S,
    DownloadCancelled,
    DownloadError,
    Progress,
    download_dataset,
    fetch_file,
    is_original_gz,
    origin,
)

SERVER_LIFETIME_S = 90.0  # each server shuts itself down after this
STALL_S = 8.0  # a stalling answer gives up after this (or when the server stops)
MAX_REQUESTS = 200  # a server answers at most this many requests
TIMEOUT = 2.0  # the read timeout given to the downloader in these tests
NAMES = tuple(downloader.ORIGINAL_GZ)  # the four files, in download order
Route = Callable[[http.server.BaseHTTPRequestHandler], None]


# ----- a mirror and a proxy on 127.0.0.1 -----------------------------------------------------


def send_file(body: bytes, content_type: str = "application/octet-stream") -> Route:
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def send_truncated(body: bytes, keep: int) -> Route:
    """Promise the whole body, send `keep` bytes of it, then close the connection."""

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[:keep])
        handler.close_connection = True

    return route


def send_chunked_truncated(body: bytes, keep: int) -> Route:
    """A chunked answer (as many proxies send) whose connection drops in the middle."""

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.protocol_version = "HTTP/1.1"
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(f"{len(body):x}\r\n".encode() + body[:keep])
        handler.close_connection = True

    return route


def send_not_http() -> Route:
    """Something that is not HTTP at all answers on the port."""

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"SSH-2.0-OpenSSH_9.2\r\n")
        handler.close_connection = True

    return route


def send_stalled(body: bytes) -> Route:
    """Send the headers, then nothing (a dead proxy or a stalled link)."""

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.flush()
        handler.server.stopping.wait(STALL_S)  # type: ignore[attr-defined]
        handler.close_connection = True

    return route


def send_status(code: int) -> Route:
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_error(code)

    return route


HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Sign in to the guest network</h1></body></html>"


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: Mirror = self.server  # type: ignore[assignment]
        with server.lock:
            server.requests.append(self.path)
            over = len(server.requests) > MAX_REQUESTS
        route = server.routes.get(self.path.lstrip("/"))
        if over or route is None:
            self.send_error(404)
            return
        with contextlib.suppress(OSError):
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Mirror(http.server.ThreadingHTTPServer):
    """Serves `routes` (file name -> what to answer); anything else is a 404."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), MirrorHandler)
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def environ(self) -> dict[str, str]:
        return {"FASHION_MNIST_MIRROR": self.url}

    def serve(self, files: dict[str, bytes]) -> None:
        for name, body in files.items():
            self.routes[name] = send_file(body)


class RefusingHandler(socketserver.BaseRequestHandler):
    """Reads one request head (CONNECT or GET) and answers 403 Forbidden."""

    def handle(self) -> None:
        self.request.settimeout(5)
        head = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = self.request.recv(4096)
                if not chunk:
                    break
                head += chunk
        server: RefusingProxy = self.server  # type: ignore[assignment]
        with server.lock:
            server.requests.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
        body = b"forbidden by the test proxy\n"
        with contextlib.suppress(OSError):
            self.request.sendall(
                b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                + f"Content-Length: {len(body)}\r\n".encode()
                + b"Connection: close\r\n\r\n" + body
            )


class RefusingProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RefusingHandler)
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@contextlib.contextmanager
def running(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    stopper = threading.Timer(SERVER_LIFETIME_S, server.shutdown)
    stopper.daemon = True
    stopper.start()
    try:
        yield
    finally:
        stopper.cancel()
        server.stopping.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    server = Mirror()
    with running(server):
        yield server


@pytest.fixture
def refusing_proxy() -> Iterator[RefusingProxy]:
    proxy = RefusingProxy()
    with running(proxy):
        yield proxy


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ----- the tiny set as "the original" ---------------------------------------------------------


@pytest.fixture
def tiny_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The tiny set's four .gz files, made the reference the downloader checks against."""
    folder = write_tiny_dataset(tmp_path / "served")
    files = {name: (folder / name).read_bytes() for name in NAMES}
    monkeypatch.setattr(downloader, "ORIGINAL_GZ", {
        name: (len(body), hashlib.md5(body).hexdigest()) for name, body in files.items()
    })
    monkeypatch.setattr(downloader, "ORIGINAL_SHA256", {
        name.removesuffix(".gz"): hashlib.sha256(gzip.decompress(body)).hexdigest()
        for name, body in files.items()
    })
    return files


def leftovers(folder: Path) -> list[str]:
    """Temporary download files left in `folder`."""
    return sorted(p.name for p in folder.glob(".*.part")) if folder.exists() else []


def final_names(folder: Path) -> set[str]:
    return {name for name in NAMES if (folder / name).exists()}


def fetch_all(mirror: Mirror, target: Path, **kwargs: object) -> list[str]:
    return download_dataset(target, mirror.environ, timeout=TIMEOUT, **kwargs)  # type: ignore[arg-type]


# ----- the origin ----------------------------------------------------------------------------


def test_origin_is_keras_unless_a_mirror_is_set() -> None:
    assert KERAS_ORIGIN == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert origin({}) == KERAS_ORIGIN
    assert origin({"FASHION_MNIST_MIRROR": ""}) == KERAS_ORIGIN
    assert origin({"FASHION_MNIST_MIRROR": "http://127.0.0.1:1/fm"}) == "http://127.0.0.1:1/fm/"
    assert origin({"FASHION_MNIST_MIRROR": "http://127.0.0.1:1/fm/"}) == "http://127.0.0.1:1/fm/"
    assert READ_TIMEOUT_S == 10.0
    assert set(NAMES) == set(REAL_FILES)


def test_origin_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    assert origin() == KERAS_ORIGIN
    monkeypatch.setenv("FASHION_MNIST_MIRROR", "http://127.0.0.1:1/m")
    assert origin() == "http://127.0.0.1:1/m/"


# ----- good downloads ------------------------------------------------------------------------


def test_downloads_the_four_files_in_order_with_progress(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    mirror.serve(tiny_files)
    target = tmp_path / "new" / "cache"  # created on the way
    seen: list[Progress] = []
    partial_seen: list[list[str]] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        partial_seen.append(leftovers(target))

    fetched = fetch_all(mirror, target, progress=progress)
    assert fetched == list(NAMES)
    assert mirror.requests == [f"/{name}" for name in NAMES]
    for name, body in tiny_files.items():
        assert (target / name).read_bytes() == body
        assert (target / name).stat().st_mode & 0o777 == 0o644
    assert leftovers(target) == []
    total = sum(len(body) for body in tiny_files.values())
    assert [p.total for p in seen] == [total] * len(seen)
    assert seen[-1].done == total
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert [p.name for p in seen] == list(NAMES)  # each tiny file arrives in one chunk
    assert all(p.rate > 0 for p in seen)
    # While a file arrives it is a hidden temporary file in the same folder.
    assert all(len(parts) == 1 and parts[0].endswith(".part") for parts in partial_seen)
    assert [parts[0].split(".")[1] for parts in partial_seen] == [n.split(".")[0] for n in NAMES]


def test_only_missing_files_are_fetched(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    mirror.serve(tiny_files)
    target = tmp_path / "cache"
    target.mkdir()
    kept = target / NAMES[1]
    kept.write_bytes(tiny_files[NAMES[1]])
    os.utime(kept, ns=(1_000_000_000, 1_000_000_000))
    assert fetch_all(mirror, target) == [NAMES[0], NAMES[2], NAMES[3]]
    assert kept.stat().st_mtime_ns == 1_000_000_000  # not touched
    assert f"/{NAMES[1]}" not in mirror.requests
    assert fetch_all(mirror, target) == []  # everything is there now
    assert fetch_all(mirror, target, force=True) == []  # and all of it is original


def test_force_replaces_a_damaged_file_and_without_force_it_is_left(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    mirror.serve(tiny_files)
    target = tmp_path / "cache"
    target.mkdir()
    for name, body in tiny_files.items():
        (target / name).write_bytes(body)
    damaged = target / NAMES[2]
    damaged.write_bytes(tiny_files[NAMES[2]][:-20])
    assert not is_original_gz(damaged)
    assert fetch_all(mirror, target) == []
    assert damaged.read_bytes() == tiny_files[NAMES[2]][:-20]  # left alone without force
    assert mirror.requests == []
    good_mtime = (target / NAMES[0]).stat().st_mtime_ns
    assert fetch_all(mirror, target, force=True) == [NAMES[2]]
    assert damaged.read_bytes() == tiny_files[NAMES[2]]
    assert mirror.requests == [f"/{NAMES[2]}"]
    assert (target / NAMES[0]).stat().st_mtime_ns == good_mtime
    assert leftovers(target) == []


def test_is_original_gz_accepts_a_regzipped_copy(
    tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    name = NAMES[0]
    regzipped = gzip.compress(gzip.decompress(tiny_files[name]), compresslevel=1, mtime=12345)
    assert regzipped != tiny_files[name]
    (tmp_path / name).write_bytes(regzipped)
    assert is_original_gz(tmp_path / name)
    (tmp_path / "other.gz").write_bytes(tiny_files[name])
    assert is_original_gz(tmp_path / "other.gz", name)
    assert not is_original_gz(tmp_path / "other.gz", NAMES[1])
    (tmp_path / name).write_bytes(b"<html></html>")
    assert not is_original_gz(tmp_path / name)
    assert not is_original_gz(tmp_path / "missing" / name)


def test_a_mirror_serving_a_regzipped_copy_is_accepted(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    name = NAMES[3]
    regzipped = gzip.compress(gzip.decompress(tiny_files[name]), compresslevel=0, mtime=12345)
    assert len(regzipped) != len(tiny_files[name])  # as Debian's copies: other size, same data
    mirror.routes[name] = send_file(regzipped)
    target = tmp_path / "cache"
    target.mkdir()
    fetch_file(mirror.url + name, target / name, lambda _n: None, threading.Event(), TIMEOUT)
    assert is_original_gz(target / name)


def test_service_download_goes_to_its_target(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    mirror.serve(tiny_files)
    env = {"KERAS_HOME": str(tmp_path / "k"), **mirror.environ}
    service = FashionMnistService(environ=env)
    assert service.download() == list(NAMES)
    assert final_names(keras_cache_dir(env)) == set(NAMES)
    report = service.load()
    assert report.source.directory == keras_cache_dir(env)
    assert report.counts == {"train": 12, "test": 5}


def test_cli_download_fetches_then_says_all_there(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    mirror.serve(tiny_files)
    monkeypatch.setenv("FASHION_MNIST_MIRROR", mirror.url)
    target = tmp_path / "dl"
    assert cli.main(["download", "--data-dir", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Fetched ") and all(name in out for name in NAMES)
    assert str(target) in err
    assert final_names(target) == set(NAMES)
    assert cli.main(["download", "--data-dir", str(target)]) == 0
    out, _ = capsys.readouterr()
    assert "already" in out and "--force" in out


def test_cli_download_failure_is_one_line(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FASHION_MNIST_MIRROR", mirror.url)  # serves nothing: 404
    target = tmp_path / "dl"
    assert cli.main(["download", "--data-dir", str(target)]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    [line] = [line for line in err.splitlines() if not line.startswith("Downloading into")]
    assert line.startswith("fashion-tui: download failed: ")
    assert mirror.url + NAMES[0] in line and "404" in line
    assert "Traceback" not in err
    assert final_names(target) == set() and leftovers(target) == []


# ----- failures: named, nothing left behind --------------------------------------------------


def assert_failed_cleanly(
    caught: pytest.ExceptionInfo[DownloadError], url: str, words: str, target: Path,
    kept: frozenset[str] = frozenset(),
) -> None:
    """The message names the URL and the reason; only the files `kept` (there before) are
    under a final name, and no temporary file is left."""
    message = str(caught.value)
    assert url in message, message
    assert words in message, message
    assert "\n" not in message
    assert final_names(target) == kept, "a failed file sits under its final name"
    assert leftovers(target) == []


@pytest.mark.parametrize(
    ("make_route", "words"),
    [
        (lambda body: send_truncated(body, len(body) // 2), "truncated"),
        (lambda body: send_truncated(body, 0), "truncated, 0 of"),
        (lambda body: send_file(HTML_PAGE, "text/html; charset=utf-8"), "an HTML page"),
        (lambda body: send_file(b"<html><body>blocked</body></html>", "application/x-gzip"),
         "an HTML page"),
        (lambda body: send_file(b'{"error": "quota"}', "application/json"),
         "not gzip (application/json)"),
        # A little longer may be the same data re-gzipped, so it is checked and refused...
        (lambda body: send_file(body + b"junk" * 3), "checksum does not match"),
        # ...far longer is refused while it streams.
        (lambda body: send_file(body + b"\x00" * 200_000), "more than the expected"),
        (lambda body: send_file(body[:-9] + bytes(9)), "checksum does not match"),
        (lambda body: send_status(404), "404"),
        (lambda body: send_status(500), "500"),
    ],
    ids=["truncated-half", "truncated-empty", "html", "html-as-gzip", "json", "too-long",
         "far-too-long",
         "same-size-other-bytes", "404", "500"],
)
def test_bad_answers_are_named_and_leave_nothing(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path,
    make_route: Callable[[bytes], Route], words: str,
) -> None:
    name = NAMES[0]
    mirror.serve(tiny_files)
    mirror.routes[name] = make_route(tiny_files[name])
    target = tmp_path / "cache"
    target.mkdir()
    good = target / NAMES[2]  # already there and good: never fetched, never touched
    good.write_bytes(tiny_files[NAMES[2]])
    os.utime(good, ns=(3_000_000_000, 3_000_000_000))
    with pytest.raises(DownloadError) as caught:
        fetch_all(mirror, target)
    assert_failed_cleanly(caught, mirror.url + name, words, target, frozenset({NAMES[2]}))
    assert mirror.requests == [f"/{name}"]  # it stopped at the first bad file
    assert good.read_bytes() == tiny_files[NAMES[2]]
    assert good.stat().st_mtime_ns == 3_000_000_000


def test_a_failure_later_keeps_the_good_files_and_touches_no_old_one(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    mirror.serve(tiny_files)
    mirror.routes[NAMES[2]] = send_file(HTML_PAGE, "text/html")
    target = tmp_path / "cache"
    target.mkdir()
    old = target / NAMES[3]
    old.write_bytes(tiny_files[NAMES[3]])
    os.utime(old, ns=(2_000_000_000, 2_000_000_000))
    with pytest.raises(DownloadError) as caught:
        fetch_all(mirror, target)
    assert NAMES[2] in str(caught.value)
    assert final_names(target) == {NAMES[0], NAMES[1], NAMES[3]}
    assert (target / NAMES[0]).read_bytes() == tiny_files[NAMES[0]]
    assert old.stat().st_mtime_ns == 2_000_000_000
    assert leftovers(target) == []


def test_a_failed_forced_replacement_keeps_the_damaged_file(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    mirror.serve(tiny_files)
    mirror.routes[NAMES[1]] = send_truncated(tiny_files[NAMES[1]], 10)
    target = tmp_path / "cache"
    target.mkdir()
    for name, body in tiny_files.items():
        (target / name).write_bytes(body)
    damaged = target / NAMES[1]
    damaged.write_bytes(b"damaged")
    with pytest.raises(DownloadError, match="truncated"):
        fetch_all(mirror, target, force=True)
    assert damaged.read_bytes() == b"damaged"  # replaced only by a checked file
    assert leftovers(target) == []


def test_a_stalled_answer_fails_quickly_with_a_clear_message(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    name = NAMES[0]
    mirror.routes[name] = send_stalled(tiny_files[name])
    target = tmp_path / "cache"
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_dataset(target, mirror.environ, timeout=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"took {elapsed:.1f} s"
    assert_failed_cleanly(caught, mirror.url + name, "no data for 1 s", target)
    assert "stalled" in str(caught.value)


def test_an_unreachable_origin_fails_within_seconds(
    tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    target = tmp_path / "cache"
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_dataset(target, {"FASHION_MNIST_MIRROR": url}, timeout=TIMEOUT)
    assert time.monotonic() - started < 5
    assert_failed_cleanly(caught, url + NAMES[0], "cannot connect", target)


@pytest.mark.parametrize("make_route", [
    lambda body: send_chunked_truncated(body, len(body) // 2),
    lambda body: send_not_http(),
], ids=["chunked-truncated", "not-http"])
def test_protocol_errors_are_download_errors(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path,
    make_route: Callable[[bytes], Route],
) -> None:
    name = NAMES[0]
    mirror.routes[name] = make_route(tiny_files[name])
    target = tmp_path / "cache"
    with pytest.raises(DownloadError) as caught:
        fetch_all(mirror, target)
    assert_failed_cleanly(caught, mirror.url + name, "", target)


@pytest.mark.parametrize("route", ["chunked-truncated", "not-http"])
def test_protocol_errors_leave_nothing_behind(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path, route: str
) -> None:
    """Whatever is raised, the temporary file goes and no final name appears."""
    name = NAMES[0]
    body = tiny_files[name]
    mirror.routes[name] = (send_chunked_truncated(body, len(body) // 2)
                           if route == "chunked-truncated" else send_not_http())
    target = tmp_path / "cache"
    with pytest.raises(Exception):  # noqa: B017 - see the xfail test above
        fetch_all(mirror, target)
    assert final_names(target) == set()
    assert leftovers(target) == []


def test_target_that_cannot_be_created_or_written(
    tiny_files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(DownloadError, match="cannot create"):
        download_dataset(blocker / "cache", {"FASHION_MNIST_MIRROR": "http://127.0.0.1:9/"})
    writable = tmp_path / "ro"
    writable.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == writable
                        else real_access(p, mode, **k))
    with pytest.raises(DownloadError) as caught:
        download_dataset(writable, {"FASHION_MNIST_MIRROR": "http://127.0.0.1:9/"})
    assert "not writable" in str(caught.value) and "--data-dir" in str(caught.value)


# ----- cancelling ----------------------------------------------------------------------------


@pytest.mark.parametrize("after", [1, 3])
def test_cancel_from_the_progress_callback(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path, after: int
) -> None:
    mirror.serve(tiny_files)
    target = tmp_path / "cache"
    cancel = threading.Event()
    calls: list[Progress] = []

    def progress(p: Progress) -> None:
        calls.append(p)
        if len(calls) == after:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        fetch_all(mirror, target, progress=progress, cancel=cancel)
    assert len(calls) == after  # it stopped at once
    # The files finished before the cancel are checked and kept; the one cancelled is not.
    assert final_names(target) == set(NAMES[: after - 1])
    assert leftovers(target) == []


def test_cancel_before_start_fetches_nothing(
    mirror: Mirror, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    mirror.serve(tiny_files)
    cancel = threading.Event()
    cancel.set()
    target = tmp_path / "cache"
    with pytest.raises(DownloadCancelled):
        fetch_all(mirror, target, cancel=cancel)
    assert final_names(target) == set()
    assert leftovers(target) == []


# ----- proxies -------------------------------------------------------------------------------


def set_proxies(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Point every proxy variable at `url`. urlopen reads them once, when it builds its
    process-wide opener, so that opener is dropped for this test (and restored after it)."""
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, "" if "no_proxy" in name.lower() else url)
    monkeypatch.setattr(urllib.request, "_opener", None)


def test_http_proxy_variables_are_honoured(
    refusing_proxy: RefusingProxy, mirror: Mirror, tiny_files: dict[str, bytes],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    mirror.serve(tiny_files)
    set_proxies(monkeypatch, refusing_proxy.url)
    target = tmp_path / "cache"
    with pytest.raises(DownloadError) as caught:
        fetch_all(mirror, target)
    assert_failed_cleanly(caught, mirror.url + NAMES[0], "403", target)
    assert refusing_proxy.requests == [f"GET {mirror.url}{NAMES[0]} HTTP/1.1"]
    assert mirror.requests == []  # the request went to the proxy, not to the mirror


def test_https_proxy_is_honoured(
    refusing_proxy: RefusingProxy, tiny_files: dict[str, bytes], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_proxies(monkeypatch, refusing_proxy.url)
    port = closed_port()
    url = f"https://127.0.0.1:{port}/fm/"
    target = tmp_path / "cache"
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_dataset(target, {"FASHION_MNIST_MIRROR": url}, timeout=TIMEOUT)
    assert time.monotonic() - started < 5
    assert_failed_cleanly(caught, url + NAMES[0], "403", target)
    assert [r.rsplit(" ", 1)[0] for r in refusing_proxy.requests] == [f"CONNECT 127.0.0.1:{port}"]


def test_proxy_refuses_locally(refusing_proxy: RefusingProxy) -> None:
    host, port = refusing_proxy.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 403")
    assert refusing_proxy.requests == ["CONNECT 127.0.0.1:9 HTTP/1.1"]


# ----- the real files, and Keras afterwards ---------------------------------------------------


@pytest.mark.realdata
def test_real_files_one_damaged_byte_is_refused(
    mirror: Mirror, original_gz_dir: Path, tmp_path: Path
) -> None:
    real_data_dir = original_gz_dir
    name = "t10k-labels-idx1-ubyte.gz"
    body = bytearray((real_data_dir / name).read_bytes())
    body[100] ^= 0x01
    mirror.routes[name] = send_file(bytes(body))
    target = tmp_path / "cache"
    target.mkdir()
    with pytest.raises(DownloadError) as caught:
        fetch_file(mirror.url + name, target / name, lambda _n: None, threading.Event(),
                   TIMEOUT)
    assert_failed_cleanly(caught, mirror.url + name, "checksum does not match", target)


@pytest.mark.realdata
def test_debian_regzipped_file_is_original(original_gz_dir: Path) -> None:
    real_data_dir = original_gz_dir
    debian = Path("/usr/share/datasets/fashion-mnist")
    if not (debian / REAL_FILES[0]).is_file():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    name = "t10k-labels-idx1-ubyte.gz"
    assert (debian / name).read_bytes() != (real_data_dir / name).read_bytes()
    assert is_original_gz(debian / name)
    assert is_original_gz(real_data_dir / name)


KERAS_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    np.savez(sys.argv[1], x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    """
)


@pytest.mark.realdata
@pytest.mark.slow
def test_real_download_then_keras_finds_the_files_and_downloads_nothing(
    mirror: Mirror, original_gz_dir: Path, tmp_path: Path
) -> None:
    real_data_dir = original_gz_dir
    mirror.serve({name: (real_data_dir / name).read_bytes() for name in NAMES})
    keras_home = tmp_path / "keras-home"
    env = {"KERAS_HOME": str(keras_home), **mirror.environ}
    seen: list[Progress] = []
    fetched = FashionMnistService(environ=env).download(progress=seen.append)
    cache = keras_cache_dir(env)
    assert fetched == list(NAMES)
    assert seen[-1].done == seen[-1].total == sum(downloader.ORIGINAL_GZ[n][0] for n in NAMES)
    for name in NAMES:
        assert (cache / name).read_bytes() == (real_data_dir / name).read_bytes()
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in cache.iterdir()}

    dead = f"http://127.0.0.1:{closed_port()}"
    child_env = dict(os.environ, KERAS_HOME=str(keras_home), TF_CPP_MIN_LOG_LEVEL="3",
                     CUDA_VISIBLE_DEVICES="")
    for name in PROXY_VARIABLES:  # should Keras try to download, it fails here at once
        child_env[name] = "" if "no_proxy" in name.lower() else dead
    out = tmp_path / "keras.npz"
    result = subprocess.run(
        [sys.executable, "-c", KERAS_SCRIPT, str(out)], env=child_env, capture_output=True,
        text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Downloading data from" not in result.stdout + result.stderr
    after = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in cache.iterdir()}
    assert after == before  # Keras read our files and wrote nothing
    service = FashionMnistService(environ={"KERAS_HOME": str(keras_home)})
    report = service.load()
    assert report.original and report.source.directory == cache
    with np.load(out) as keras_arrays:  # Keras and our reader agree on every value
        for split, prefix in (("train", "train"), ("test", "test")):
            assert keras_arrays[f"x_{prefix}"].dtype == np.uint8
            assert keras_arrays[f"x_{prefix}"].shape == (service.count(split), 28, 28)
            assert np.array_equal(keras_arrays[f"x_{prefix}"], service.images(split))
            assert np.array_equal(keras_arrays[f"y_{prefix}"], service.labels(split))
