"""The IDX reader: headers, compression and every way a file can be wrong."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from tui.idx import (
    FETCH_AGAIN,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    DataFileError,
    idx_bytes,
    parse_images,
    parse_labels,
    peek_count,
    read_file_bytes,
    what_it_looks_like,
    write_idx,
)


def images(count: int = 3, side: tuple[int, int] = (28, 28)) -> np.ndarray:
    return (np.arange(count * side[0] * side[1]) % 256).astype(np.uint8).reshape(count, *side)


def load_images(path: Path) -> np.ndarray:
    return parse_images(path, read_file_bytes(path))


def load_labels(path: Path) -> np.ndarray:
    return parse_labels(path, read_file_bytes(path))


def test_images_header_is_big_endian_magic_count_rows_cols(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, images(3))
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    content = gzip.decompress(raw)
    assert content[:4] == b"\x00\x00\x08\x03"
    assert struct.unpack(">4I", content[:16]) == (IMAGES_MAGIC, 3, 28, 28)
    assert len(content) == 16 + 3 * 28 * 28


def test_labels_header_is_big_endian_magic_and_count(tmp_path: Path) -> None:
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(path, np.array([9, 0, 3], dtype=np.uint8))
    content = gzip.decompress(path.read_bytes())
    assert content[:4] == b"\x00\x00\x08\x01"
    assert struct.unpack(">2I", content[:8]) == (LABELS_MAGIC, 3)
    assert content[8:] == bytes([9, 0, 3])


def test_round_trip_images_and_labels(tmp_path: Path) -> None:
    data = images(4)
    labels = np.array([0, 9, 5, 5], dtype=np.uint8)
    write_idx(tmp_path / "i.gz", data)
    write_idx(tmp_path / "l.gz", labels)
    got = load_images(tmp_path / "i.gz")
    assert got.dtype == np.uint8
    assert got.shape == (4, 28, 28)
    assert np.array_equal(got, data)
    assert np.array_equal(load_labels(tmp_path / "l.gz"), labels)


def test_uncompressed_idx_is_accepted(tmp_path: Path) -> None:
    data = images(2)
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, data, compress=False)
    assert path.read_bytes()[:4] == b"\x00\x00\x08\x03"
    assert read_file_bytes(path) == path.read_bytes()
    assert np.array_equal(load_images(path), data)


def test_magic_of_labels_file_read_as_images_names_file_and_swap(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.arange(20, dtype=np.uint8) % 10)  # a labels file under an images name
    with pytest.raises(DataFileError) as caught:
        load_images(path)
    assert caught.value.path == path
    assert str(path) in str(caught.value)
    assert "labels file" in caught.value.reason
    assert "swapped" in str(caught.value)


def test_magic_of_images_file_read_as_labels(tmp_path: Path) -> None:
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(path, images(1))
    with pytest.raises(DataFileError) as caught:
        load_labels(path)
    assert caught.value.path == path
    assert "images file" in caught.value.reason


def test_unknown_magic_is_reported_with_its_value(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(struct.pack(">4I", 1234, 1, 28, 28) + bytes(784)))
    with pytest.raises(DataFileError) as caught:
        load_images(path)
    assert "1234" in caught.value.reason


def test_uncompressed_file_with_unknown_magic_is_neither_gzip_nor_idx(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(struct.pack(">4I", 1234, 1, 28, 28) + bytes(784))
    with pytest.raises(DataFileError) as caught:
        read_file_bytes(path)
    assert caught.value.path == path
    assert "neither gzip nor IDX" in caught.value.reason
    assert "00 00 04 d2" in caught.value.reason  # 1234, as the first bytes
    assert caught.value.fix == FETCH_AGAIN


def test_magic_is_checked_before_the_length(tmp_path: Path) -> None:
    # Eight bytes: a whole labels header, too short for an images header. The wrong kind of
    # file is the useful thing to say, not "too short".
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(struct.pack(">2I", LABELS_MAGIC, 0))
    with pytest.raises(DataFileError) as caught:
        load_images(path)
    assert "labels file" in caught.value.reason
    assert "too short" not in caught.value.reason


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"<!DOCTYPE html><html><body>Sign in to continue</body></html>", "HTML page"),
        (b"\n  <html><head><title>Proxy</title></head></html>", "HTML page"),
        (b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>", "XML document"),
        (b"PK\x03\x04" + bytes(40), "ZIP archive"),
        (b'{"error": "not found"}', "JSON document"),
        (b"404 Not Found\n", "text file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "neither gzip nor IDX"),
    ],
    ids=["html", "html-indented", "xml", "zip", "json", "text", "png"],
)
def test_non_gzip_content_is_named_in_plain_words(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(content)
    assert words in what_it_looks_like(content)
    with pytest.raises(DataFileError) as caught:
        read_file_bytes(path)
    assert caught.value.path == path
    assert words in caught.value.reason
    assert "download --force" in str(caught.value)


def test_text_description_quotes_the_start() -> None:
    assert "Not Found" in what_it_looks_like(b"404 Not Found")
    assert "89 50 4e 47" in what_it_looks_like(b"\x89PNG\r\n")


def test_idx_bytes_is_what_write_idx_writes(tmp_path: Path) -> None:
    data = images(2)
    labels = np.array([3, 1], dtype=np.uint8)
    assert idx_bytes(data)[:16] == struct.pack(">4I", IMAGES_MAGIC, 2, 28, 28)
    assert idx_bytes(labels) == struct.pack(">2I", LABELS_MAGIC, 2) + bytes([3, 1])
    write_idx(tmp_path / "i", data, compress=False)
    write_idx(tmp_path / "i.gz", data)
    assert (tmp_path / "i").read_bytes() == idx_bytes(data)
    assert gzip.decompress((tmp_path / "i.gz").read_bytes()) == idx_bytes(data)
    with pytest.raises(KeyError):
        idx_bytes(np.zeros((2, 2), dtype=np.uint8))  # 2-D arrays have no IDX kind of ours


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"")
    with pytest.raises(DataFileError) as caught:
        read_file_bytes(path)
    assert caught.value.path == path
    assert "empty" in caught.value.reason


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="not found"):
        read_file_bytes(tmp_path / "nope.gz")


@pytest.mark.parametrize("keep", [2, 5, 10, 11, 40, 0.5, -8, -4, -1])
def test_truncated_gzip_is_a_data_file_error(tmp_path: Path, keep: float) -> None:
    source = tmp_path / "full.gz"
    write_idx(source, images(5))
    raw = source.read_bytes()
    cut = int(len(raw) * keep) if isinstance(keep, float) else keep
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(raw[:cut])
    with pytest.raises(DataFileError) as caught:
        read_file_bytes(path)
    assert caught.value.path == path
    assert "gzip" in caught.value.reason
    assert FETCH_AGAIN in str(caught.value)
    assert "download --force" in caught.value.fix


def test_corrupt_gzip_crc_is_a_data_file_error(tmp_path: Path) -> None:
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(path, np.arange(10, dtype=np.uint8))
    raw = bytearray(path.read_bytes())
    raw[-6] ^= 0xFF  # inside the CRC-32 trailer
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFileError) as caught:
        read_file_bytes(path)
    assert "corrupt" in caught.value.reason


def test_too_short_for_header(tmp_path: Path) -> None:
    path = tmp_path / "short"
    path.write_bytes(b"\x00\x00\x08\x03\x00")
    with pytest.raises(DataFileError, match="too short"):
        load_images(path)


def test_header_count_larger_than_pixels(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    content = struct.pack(">4I", IMAGES_MAGIC, 3, 28, 28) + bytes(2 * 784)
    path.write_bytes(content)
    with pytest.raises(DataFileError) as caught:
        load_images(path)
    assert "promises" in caught.value.reason
    assert f"{16 + 3 * 784:,}" in caught.value.reason


def test_trailing_bytes_after_labels_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(struct.pack(">2I", LABELS_MAGIC, 2) + bytes([1, 2, 3]))
    with pytest.raises(DataFileError, match="promises"):
        load_labels(path)


def test_labels_above_nine(tmp_path: Path) -> None:
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(path, np.array([0, 10, 3], dtype=np.uint8))
    with pytest.raises(DataFileError) as caught:
        load_labels(path)
    assert "10" in caught.value.reason
    assert "0..9" in caught.value.reason


@pytest.mark.parametrize("side", [(27, 28), (28, 27), (32, 32)])
def test_images_not_28_by_28(tmp_path: Path, side: tuple[int, int]) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, images(2, side))
    with pytest.raises(DataFileError) as caught:
        load_images(path)
    assert f"{side[0]}x{side[1]}" in caught.value.reason


def test_data_file_error_text_has_path_reason_and_fix() -> None:
    error = DataFileError(Path("/x/y.gz"), "broken", "Fix it.")
    assert str(error) == "/x/y.gz: broken. Fix it."
    assert str(DataFileError(Path("/x/y.gz"), "broken")) == "/x/y.gz: broken"


@pytest.mark.parametrize("compress", [True, False])
def test_peek_count_reads_the_header_count(tmp_path: Path, compress: bool) -> None:
    write_idx(tmp_path / "i", images(7), compress=compress)
    write_idx(tmp_path / "l", np.arange(9, dtype=np.uint8), compress=compress)
    assert peek_count(tmp_path / "i") == 7
    assert peek_count(tmp_path / "l") == 9


@pytest.mark.parametrize("content", [b"", b"\x1f\x8b\x08", b"\x00\x00\x08", b"\x1f\x8bjunkjunk"])
def test_peek_count_of_unreadable_files_is_none(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(content)
    assert peek_count(path) is None
    assert peek_count(tmp_path / "missing.gz") is None
