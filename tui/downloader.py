"""Download the four files into the Keras cache without ever leaving a broken file there.

Each file goes to a temporary file in the same folder, is checked (size and checksum), and only
then renamed into place, so an interrupted, truncated or wrong download never sits under the
final name. Same origin and names as `keras.datasets.fashion_mnist.load_data()`, so Keras finds
the files afterwards and downloads nothing; `FASHION_MNIST_MIRROR` replaces the origin.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tui.checksums import ORIGINAL_GZ, ORIGINAL_SHA256, sha256_hex

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ENV_MIRROR = "FASHION_MNIST_MIRROR"
CHUNK = 64 * 1024
READ_TIMEOUT_S = 10.0  # no byte for this long: give up (a dead proxy must not hang anyone)


POLL_S = 1.0  # how often a waiting read wakes to look for a cancel


def _short_reads(response: object) -> None:
    """Let reads time out every POLL_S seconds (the stall limit is counted above them)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(POLL_S)


def _plain(error: BaseException) -> str:
    """An error's reason in words: 'Name or service not known', not gaierror(-2, ...)."""
    reason = getattr(error, "reason", error)
    words = " ".join(str(getattr(reason, "strerror", None) or reason).split())
    return words or type(reason).__name__


class DownloadError(Exception):
    """A download failed; the message says which file, why, and what to try."""


class DownloadCancelled(Exception):
    """The user cancelled; nothing was left under a final name."""


@dataclass(frozen=True)
class Progress:
    """How far a download has come, for a progress bar."""

    name: str
    done: int
    total: int
    rate: float  # bytes a second since the download began


def origin(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    base = env.get(ENV_MIRROR) or KERAS_ORIGIN
    return base if base.endswith("/") else base + "/"


def is_original_gz(path: Path, name: str | None = None) -> bool:
    """True when `path` holds the original file `name` (default: its own name), byte for byte
    or re-gzipped as Debian ships it (same decompressed SHA-256)."""
    name = name or path.name
    size, md5 = ORIGINAL_GZ[name]
    try:
        raw = path.read_bytes()
    except OSError:
        return False
    if len(raw) == size and hashlib.md5(raw).hexdigest() == md5:
        return True
    try:
        return sha256_hex(gzip.decompress(raw)) == ORIGINAL_SHA256[name.removesuffix(".gz")]
    except (OSError, EOFError, zlib.error):
        return False


def _describe_body(first_bytes: bytes, content_type: str) -> str:
    head = first_bytes[:512].lstrip().lower()
    if "html" in content_type or head.startswith((b"<!doctype html", b"<html")):
        return "the server answered with an HTML page, not the file (a proxy or login portal?)"
    return f"the server answered with something that is not gzip ({content_type or 'no type'})"


def fetch_file(
    url: str,
    final: Path,
    progress: Callable[[int], None],
    cancel: threading.Event,
    timeout: float,
) -> None:
    """Stream `url` into a temporary file beside `final`, check it, and rename it into place."""
    name = final.name
    expected_size, expected_md5 = ORIGINAL_GZ[name]
    handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)
            except ValueError:
                raise DownloadError(
                    f"{url!r} is not a URL: check {ENV_MIRROR} (e.g. http://host/path/)"
                ) from None
            except urllib.error.HTTPError as error:
                raise DownloadError(
                    f"{url}: the server answered {error.code} {error.reason}"
                ) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
                raise DownloadError(f"{url}: cannot connect ({_plain(error)})") from None
            with response:
                _short_reads(response)  # wake every second, so a cancel is never kept waiting
                content_type = response.headers.get("Content-Type", "")
                digest = hashlib.md5()
                done = 0
                stalled = 0.0
                while True:
                    if cancel.is_set():
                        raise DownloadCancelled(name)
                    try:
                        chunk = response.read1(CHUNK)  # what has arrived, not a full chunk
                    except TimeoutError:
                        stalled += POLL_S
                        if stalled < timeout:
                            continue
                        raise DownloadError(
                            f"{url}: no data for {timeout:.0f} s after {done:,} bytes "
                            "(a dead proxy or a stalled link?)"
                        ) from None
                    except (OSError, http.client.HTTPException) as error:
                        raise DownloadError(
                            f"{url}: the connection broke ({_plain(error)})"
                        ) from None
                    stalled = 0.0
                    if not chunk:
                        break
                    if done == 0 and not chunk.startswith(b"\x1f\x8b"):
                        raise DownloadError(f"{url}: {_describe_body(chunk, content_type)}")
                    done += len(chunk)
                    if done > expected_size * 1.01 + 65536:  # a re-gzipped copy differs a little
                        raise DownloadError(
                            f"{url}: more than the expected {expected_size:,} bytes"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                    progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        # The original bytes, or the same data re-gzipped (as Debian ships it).
        exact = done == expected_size and digest.hexdigest() == expected_md5
        if not exact and not is_original_gz(Path(temporary), name):
            if done < expected_size:
                raise DownloadError(
                    f"{url}: truncated, {done:,} of {expected_size:,} bytes arrived"
                )
            raise DownloadError(f"{url}: the checksum does not match the original file")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a cache is for everyone
        os.replace(temporary, final)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def download_dataset(
    target: Path,
    environ: Mapping[str, str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
    timeout: float = READ_TIMEOUT_S,
) -> list[str]:
    """Fetch every file that is missing or not original into `target`; return the names fetched.

    With `force`, files that are present but damaged are replaced too (otherwise a damaged file
    is left alone and reported by the loader, so nothing is overwritten without being asked).
    """
    cancel = cancel or threading.Event()
    base = origin(environ)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot create {target} ({error.strerror})") from None
    if not os.access(target, os.W_OK):
        raise DownloadError(f"{target} is not writable; pass --data-dir or set KERAS_HOME")
    wanted = [
        name for name in ORIGINAL_GZ
        if not (target / name).exists() or (force and not is_original_gz(target / name))
    ]
    total = sum(ORIGINAL_GZ[name][0] for name in wanted)
    started = time.monotonic()
    done = 0
    for name in wanted:
        def advance(count: int, name: str = name) -> None:
            nonlocal done
            done += count
            if progress is not None:
                elapsed = max(time.monotonic() - started, 1e-6)
                progress(Progress(name=name, done=done, total=total, rate=done / elapsed))

        fetch_file(base + name, target / name, advance, cancel, timeout)
    return wanted
