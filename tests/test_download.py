"""The offline path of the real Keras download, through a local proxy that refuses everything.

No request leaves the machine: every HTTP(S) request of the TensorFlow child goes to a proxy on
127.0.0.1 that answers 403. Slow-ish (the child imports TensorFlow) but in the default run.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.data_sources import FILE_STEMS, keras_cache_dir
from tui.runtime_info import DownloadError, download_with_keras

PROXY_LIFETIME_S = 120.0  # the proxy stops itself after this, whatever happens to the test


class RefusingHandler(socketserver.BaseRequestHandler):
    """Reads one request head (CONNECT or GET) and answers 403 Forbidden."""

    def handle(self) -> None:
        self.request.settimeout(5)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = self.request.recv(4096)
                if not chunk:
                    break
                head += chunk
        except OSError:
            pass
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

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@pytest.fixture
def refusing_proxy() -> Iterator[RefusingProxy]:
    proxy = RefusingProxy()
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    stopper = threading.Timer(PROXY_LIFETIME_S, proxy.shutdown)
    stopper.daemon = True
    stopper.start()
    try:
        yield proxy
    finally:
        stopper.cancel()
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)


def test_proxy_refuses_locally(refusing_proxy: RefusingProxy) -> None:
    host, port = refusing_proxy.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"CONNECT example.invalid:443 HTTP/1.1\r\nHost: example.invalid\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 403")
    assert refusing_proxy.requests == ["CONNECT example.invalid:443 HTTP/1.1"]


@pytest.mark.slow
def test_offline_keras_download_fails_cleanly(
    refusing_proxy: RefusingProxy, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.setenv(name, refusing_proxy.url)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("no_proxy", "")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    keras_home = isolated_home / "keras-offline"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))

    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_with_keras(timeout=120)
    elapsed = time.monotonic() - started

    message = str(caught.value)
    assert elapsed < 60, f"took {elapsed:.0f} s"
    assert message and "\n" not in message
    assert len(message) < 500
    assert "403" in message, message  # the reason the proxy gave reaches the user
    assert "timed out" not in message
    assert refusing_proxy.requests, "the download did not go through the local proxy"
    # Keras' origin is https://storage.googleapis.com/...: urllib tunnels it with CONNECT.
    assert any(line.startswith("CONNECT storage.googleapis.com:443")
               for line in refusing_proxy.requests), refusing_proxy.requests

    cache = keras_cache_dir({"KERAS_HOME": str(keras_home)})
    final_names = {f"{stem}.gz" for stem in FILE_STEMS}
    left = {p.name for p in cache.rglob("*")} if cache.exists() else set()
    assert not left & final_names, f"partial files left under final names: {left}"
