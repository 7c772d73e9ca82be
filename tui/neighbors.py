"""Look-alikes: the training garments nearest to a garment, by Euclidean distance on raw pixels.

Exact, and cheap in memory: the split stays uint8. Each query converts one small block of rows
at a time to float64 and multiplies it by the query, using |x - q|^2 = |x|^2 - 2 x.q + |q|^2 with
the squared norms computed once. Every product and partial sum is an integer below 2^53
(at most 784 * 255^2), so float64 holds them exactly whatever order BLAS adds them in: the
distances equal a brute-force int64 computation bit for bit, and ties can be broken by index.
(float32 would be about twice as fast but rounds above 2^24, which can reorder near-ties.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK_ROWS = 1024  # 6.4 MB of float64 per block: stays in cache, measured fastest here


@dataclass(frozen=True)
class Neighbor:
    """One look-alike: its index in the indexed split and its distance to the query."""

    index: int
    distance: float


class NeighborIndex:
    """Exact k-nearest-neighbour search over a uint8 image array, without a float copy of it."""

    def __init__(self, images: np.ndarray, block_rows: int = BLOCK_ROWS) -> None:
        """`images` is (n, h, w) uint8, kept by reference (the service's arrays are read-only)."""
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError(f"expected (n, h, w) uint8 images, got {images.shape} {images.dtype}")
        if block_rows < 1:
            raise ValueError("block_rows must be at least 1")
        self.image_shape: tuple[int, int] = (int(images.shape[1]), int(images.shape[2]))
        self._rows = images.reshape(images.shape[0], -1)  # a view for contiguous input
        self._block_rows = block_rows
        self._squared_norms = np.empty(len(self._rows), dtype=np.float64)
        buffer = self._buffer()
        for start in range(0, len(self._rows), block_rows):
            block = _as_float(self._rows[start:start + block_rows], buffer)
            self._squared_norms[start:start + len(block)] = np.einsum("ij,ij->i", block, block)

    def __len__(self) -> int:
        return len(self._rows)

    def _buffer(self) -> np.ndarray:
        """One float64 block, reused for every block of a pass (a few MB, never the split)."""
        return np.empty((min(self._block_rows, max(len(self._rows), 1)), self._rows.shape[1]))

    def squared_distances(self, image: np.ndarray) -> np.ndarray:
        """Exact squared distances (float64 holding integers) from `image` to every row."""
        query = self._check_query(image)
        result = np.empty(len(self._rows), dtype=np.float64)
        buffer = self._buffer()
        for start in range(0, len(self._rows), self._block_rows):
            block = _as_float(self._rows[start:start + self._block_rows], buffer)
            # einsum, not matmul: BLAS would spread this small product over threads, and on
            # a busy 2-core machine that made the slowest queries 10x slower than the median.
            np.einsum("ij,j->i", block, query, out=result[start:start + len(block)])
        result *= -2.0
        result += self._squared_norms
        result += float(query @ query)
        return result

    def query(self, image: np.ndarray, k: int, exclude: int | None = None) -> list[Neighbor]:
        """The `k` rows nearest to `image`, nearest first, ties by lower index; `exclude` (the
        query's own index when it comes from this split) is never returned."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        squared = self.squared_distances(image)
        available = len(squared)
        if exclude is not None:
            if not 0 <= exclude < len(squared):
                raise ValueError(f"exclude={exclude} is outside 0..{len(squared) - 1}")
            squared[exclude] = np.inf
            available -= 1
        k = min(k, available)
        if k == 0:
            return []
        # Everything tied with the k-th smallest is a candidate, so the index tie-break is fair.
        kth = np.partition(squared, k - 1)[k - 1]
        candidates = np.flatnonzero(squared <= kth)
        order = np.lexsort((candidates, squared[candidates]))[:k]
        chosen = candidates[order]
        return [Neighbor(int(i), float(np.sqrt(squared[i]))) for i in chosen]

    def _check_query(self, image: np.ndarray) -> np.ndarray:
        """The query as a flat float64 vector, refusing anything but a uint8 image of our shape."""
        if image.dtype != np.uint8 or image.shape != self.image_shape:
            raise ValueError(
                f"expected a {self.image_shape[0]}x{self.image_shape[1]} uint8 image, "
                f"got {image.shape} {image.dtype}"
            )
        return image.reshape(-1).astype(np.float64)


def _as_float(rows: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """`rows` converted into the front of `buffer` (no new allocation per block)."""
    block = buffer[:len(rows)]
    np.copyto(block, rows, casting="unsafe")
    return block

