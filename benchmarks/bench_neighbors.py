"""How fast is the look-alike search on the real training split, and what memory does it add?

Run: `python -m benchmarks.bench_neighbors [--data-dir DIR] [--queries N] [-k K]`
(or `python benchmarks/bench_neighbors.py`). Queries are test garments spread over the split.
Peak RSS is measured from after the data is loaded: on Linux the high-water mark is reset via
/proc/self/clear_refs, so loading (the gzip buffers) does not hide what the index adds.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from tui.data_service import DataNotFoundError, FashionMnistService
from tui.neighbors import NeighborIndex


def rss_kib(field: str) -> int | None:
    """VmRSS or VmHWM of this process in KiB, from /proc (None where there is no /proc)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the RSS high-water mark to the current RSS (Linux 4.0+); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="the four .gz files")
    parser.add_argument("--queries", type=int, default=50, help="queries to time (default 50)")
    parser.add_argument("-k", type=int, default=10, help="neighbours per query (default 10)")
    args = parser.parse_args(argv)

    service = FashionMnistService(data_dir=args.data_dir)
    try:
        service.load()
    except DataNotFoundError:
        print("Fashion-MNIST not found; pass --data-dir DIR", file=sys.stderr)
        return 1
    train, test = service.images("train"), service.images("test")
    print(f"data: {service.source.describe() if service.source else '?'}")
    print(f"train {train.shape} {train.dtype}, {train.nbytes / 1e6:.1f} MB")

    gc.collect()
    exact_peak = reset_peak()
    before_rss = rss_kib("VmRSS")
    before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    started = time.perf_counter()
    index = NeighborIndex(train)
    build = time.perf_counter() - started

    chosen = np.linspace(0, len(test) - 1, args.queries).astype(int)
    timings = []
    for i in chosen:
        started = time.perf_counter()
        index.query(test[i], args.k)
        timings.append(time.perf_counter() - started)
    timings_ms = np.array(timings) * 1000

    print(f"build (squared norms of {len(index):,} images): {build * 1000:.1f} ms")
    print(f"{args.queries} queries, k={args.k}: median {statistics.median(timings_ms):.1f} ms, "
          f"p95 {np.percentile(timings_ms, 95):.1f} ms, max {timings_ms.max():.1f} ms")
    if exact_peak and before_rss is not None:
        peak = rss_kib("VmHWM")
        assert peak is not None
        print(f"peak RSS increase over the loaded data: {(peak - before_rss) / 1024:.1f} MiB")
    else:
        after_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak RSS increase (ru_maxrss, may hide the index under the load's peak): "
              f"{(after_max - before_max) / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
