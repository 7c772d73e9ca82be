"""What the original Fashion-MNIST files look like, and a memory of files already checked.

The original is recognised by the SHA-256 of the decompressed content, because Debian
re-gzipped its copy (other .gz bytes, same data). Hashing 55 MB costs about 0.1 s, so results
are remembered per (path, size, mtime) in a small JSON file written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

# The original .gz files as Keras downloads them: name -> (bytes, MD5).
ORIGINAL_GZ: dict[str, tuple[int, str]] = {
    "train-images-idx3-ubyte.gz": (26421880, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "train-labels-idx1-ubyte.gz": (29515, "25c81989df183df01b3e8a0aad5dffbe"),
    "t10k-images-idx3-ubyte.gz": (4422102, "bef4ecab320f06d8554ea6380940ec79"),
    "t10k-labels-idx1-ubyte.gz": (5148, "bb300cfdad3c16e7a12a480ee83cd310"),
}

# SHA-256 of the decompressed IDX files (header and data), by file stem.
ORIGINAL_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def cache_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where verification results are remembered ($XDG_CACHE_HOME/fashion-tui/verified.json)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fashion-tui" / "verified.json"


def _key(path: Path) -> str | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


class VerifiedFiles:
    """Remembers the content hash of files by path, size and mtime, so each is hashed once."""

    def __init__(self, location: Path | None = None) -> None:
        self.location = location if location is not None else cache_file()
        self._known: dict[str, str] | None = None
        self._dirty = False

    def _load(self) -> dict[str, str]:
        if self._known is None:
            try:
                data = json.loads(self.location.read_text())
                self._known = {str(k): str(v) for k, v in data.items()}
            except (OSError, ValueError, AttributeError):
                self._known = {}
        return self._known

    def lookup(self, path: Path) -> str | None:
        """The remembered SHA-256 of `path`'s decompressed content, if it has not changed."""
        key = _key(path)
        return self._load().get(key) if key else None

    def remember(self, path: Path, digest: str) -> None:
        key = _key(path)
        if key:
            self._load()[key] = digest
            self._dirty = True

    def save(self) -> None:
        """Write atomically (temporary file, then rename); a read-only home is not an error."""
        if not self._dirty or self._known is None:
            return
        try:
            self.location.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.location.parent, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(self._known, stream)
            os.replace(temporary, self.location)
            self._dirty = False
        except OSError:
            pass
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
