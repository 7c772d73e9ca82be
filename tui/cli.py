"""The `fashion-tui` command: the app by default, plus `info`, `stats`, `show`, `neighbors`,
`lesson` and `download` subcommands.

Subcommands print to standard output; any failure is one line on standard error and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import shlex
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

from tui.data_service import CLASS_NAMES, DataNotFoundError, FashionMnistService
from tui.data_sources import SPLIT_FILES, SPLITS, Candidate, find_file, missing_data_line
from tui.exporting import MAX_SCALE, ExportError, write_csv, write_png, write_text_atomically
from tui.idx import DataFileError, peek_count
from tui.lesson import script

EXIT_USAGE = 2
EXIT_DATA = 3


class CliError(Exception):
    """A failure to report as one line on standard error."""

    def __init__(self, message: str, code: int = EXIT_DATA) -> None:
        super().__init__(message)
        self.code = code


def non_negative_int(text: str) -> int:
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; indexes start at 0")
    return value


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small; use 1 or more")
    return value


def png_scale(text: str) -> int:
    value = positive_int(text)
    if value > MAX_SCALE:
        raise argparse.ArgumentTypeError(f"{value} is too large; use 1..{MAX_SCALE}")
    return value


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on standard error, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    common = OneLineParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS,
        help="folder holding the four Fashion-MNIST .gz files (default: search, see README)",
    )
    parser = OneLineParser(
        prog="fashion-tui", parents=[common],
        description="A keyboard-driven terminal playground for the Fashion-MNIST dataset.",
    )
    parser.add_argument("--split", choices=SPLITS, default="train", help="split to open")
    parser.add_argument("--index", type=non_negative_int, default=0, help="garment to open")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = commands.add_parser(
        "info", parents=[common], help="versions, devices and the data source found"
    )
    info.add_argument("--json", action="store_true", help="print JSON")

    stats = commands.add_parser("stats", parents=[common], help="the stats pane's numbers")
    stats.add_argument("--json", action="store_true", help="print JSON")

    show = commands.add_parser(
        "show", parents=[common], help="print one garment and its before/after values"
    )
    show.add_argument("index", type=non_negative_int, help="garment index in the split")
    show.add_argument("--split", choices=SPLITS, default=argparse.SUPPRESS)
    show.add_argument("--ascii", action="store_true", help="draw with an ASCII ramp, no colour")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument(
        "--png", type=Path, metavar="FILE", help="save the garment as a greyscale PNG instead"
    )
    show.add_argument(
        "--scale", type=png_scale, metavar="S", default=None,
        help=f"PNG pixels per garment pixel, 1..{MAX_SCALE} (default 10)",
    )
    show.add_argument(
        "--csv", type=Path, metavar="FILE",
        help="save its values as CSV instead: row,col,raw,normalized, one line per pixel",
    )

    neighbors = commands.add_parser(
        "neighbors", parents=[common],
        help="the training garments most alike (Euclidean distance on raw pixels)",
    )
    neighbors.add_argument("index", type=non_negative_int, help="garment index in its split")
    neighbors.add_argument(
        "--split", choices=SPLITS, default=argparse.SUPPRESS,
        help="split of the garment asked about; the search is always over train",
    )
    neighbors.add_argument(
        "-k", type=positive_int, default=5, metavar="K", help="how many (default 5)"
    )
    neighbors.add_argument("--json", action="store_true", help="print JSON")

    lesson = commands.add_parser(
        "lesson", parents=[common],
        help="the tutorial step for one garment as a runnable Python script",
    )
    lesson.add_argument(
        "--export", type=Path, metavar="FILE.py", help="write the script there (default: print it)"
    )
    lesson.add_argument("--split", choices=SPLITS, default=argparse.SUPPRESS)
    lesson.add_argument("--index", type=non_negative_int, default=argparse.SUPPRESS)

    serve = commands.add_parser(
        "serve", parents=[common], help="run the app in a web browser (textual-serve)"
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    serve.add_argument("--public-url", default=None,
                       help="the address browsers use, when it is not http://HOST:PORT "
                            "(default for 0.0.0.0: this machine's name)")

    download = commands.add_parser(
        "download", parents=[common],
        help="fetch the four files into the Keras cache (or --data-dir), checked before kept",
    )
    download.add_argument(
        "--force", action="store_true", help="also replace files that are present but damaged"
    )
    return parser


def warn(message: str) -> None:
    print(f"fashion-tui: warning: {message}", file=sys.stderr)


def loaded_service(
    data_dir: Path | None, needed_split: str | None = None, *also_needed: str
) -> FashionMnistService:
    """Load the data or raise CliError with the plain-words reason; warn of anything odd."""
    service = FashionMnistService(data_dir=data_dir)
    try:
        report = service.load()
    except DataNotFoundError as error:
        raise CliError(missing_data_line(error.searched)) from None
    except DataFileError as error:
        raise CliError(str(error)) from None
    for split in (needed_split, *also_needed):
        if split in report.problems:
            raise CliError(f"the {split} split cannot be used: {report.problems[split]}")
    for message in report.warnings():
        warn(message)
    return service


def cmd_info(args: argparse.Namespace) -> None:
    from tui.runtime_info import probe_runtime

    service = FashionMnistService(data_dir=args.data_dir)
    source, searched = service.locate()
    runtime = probe_runtime()
    if args.json:
        payload = runtime.as_json() | {
            "source": str(source.directory) if source else None,
            "source_kind": source.kind if source else None,
            "layout": source.layout if source else None,
            "searched": [str(c.directory) for c in searched],
        }
        print(json.dumps(payload, indent=2))
        return
    print(f"Python      {runtime.python}")
    print(f"NumPy       {runtime.numpy}")
    print(f"TensorFlow  {runtime.tensorflow or 'not available'}")
    print(f"Keras       {runtime.keras or 'not available'}")
    print(f"Devices     {', '.join(runtime.devices) or 'unknown'}")
    print(f"            {runtime.device_summary()}")
    if source:
        print(f"Data        {source.describe()}")
        print(f"            searched in order: {', '.join(str(c.directory) for c in searched)}")
    else:
        print("Data        not found; searched " + ", ".join(c.describe() for c in searched))


def cmd_stats(args: argparse.Namespace) -> None:
    from tui.text_report import stats_report

    service = loaded_service(args.data_dir)
    assert service.report is not None
    report = service.report
    splits = {split: service.split_stats(split) for split in service.splits}
    if args.json:
        payload = {
            "source": str(report.source.directory),
            "source_kind": report.source.kind,
            "layout": report.source.layout,
            "original": report.original,
            "splits": {split: stats.as_json() for split, stats in splits.items()},
            "problems": {split: str(problem) for split, problem in report.problems.items()},
        }
        print(json.dumps(payload, indent=2))
    else:
        print(stats_report(report.source, list(splits.values())))
    if report.problems:  # the numbers above are incomplete: say so with the exit code
        raise CliError("some data could not be read (see the warnings above)")


def cmd_show(args: argparse.Namespace) -> None:
    exporting = args.png is not None or args.csv is not None
    if exporting and args.json:
        raise CliError("--json prints the values; it cannot be combined with --png or --csv",
                       EXIT_USAGE)
    if args.scale is not None and args.png is None:
        raise CliError("--scale sets the size of the --png image; give --png FILE too", EXIT_USAGE)
    service = loaded_service(args.data_dir, needed_split=args.split)
    try:
        sample = service.sample(args.split, args.index)
    except IndexError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    normalized = service.normalized(args.split, args.index)
    name = f"{sample.split}[{sample.index}]"
    if exporting:
        try:
            if args.png is not None:
                scale = args.scale or 10
                write_png(sample.image, args.png, scale)
                side = sample.image.shape[0] * scale
                print(f"Wrote {name} as a {side}x{side} greyscale PNG to {args.png}")
            if args.csv is not None:
                write_csv(sample.image, normalized, args.csv)
                print(f"Wrote {name}'s raw and / 255.0 values as CSV to {args.csv}")
        except ExportError as error:
            raise CliError(str(error)) from None
        return
    if args.json:
        print(json.dumps({
            "split": sample.split,
            "index": sample.index,
            "label": sample.label,
            "label_name": sample.label_name,
            "raw": sample.image.tolist(),
            "normalized": normalized.tolist(),
        }))
        return
    from tui.text_report import print_sample

    print_sample(sample, normalized, ascii_only=args.ascii)


def cmd_neighbors(args: argparse.Namespace) -> None:
    service = loaded_service(args.data_dir, args.split, "train")
    try:
        sample = service.sample(args.split, args.index)
    except IndexError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    train_labels = service.labels("train")
    found = service.look_alikes(sample.split, sample.index, args.k)
    if args.json:
        print(json.dumps([
            {"split": "train", "index": index, "label": int(train_labels[index]),
             "label_name": CLASS_NAMES[train_labels[index]], "distance": distance}
            for index, distance in found
        ], indent=2))
        return
    print(neighbors_table(sample.split, sample.index, sample.label, found, train_labels))


def neighbors_table(
    split: str, index: int, label: int, found: list[tuple[int, float]], train_labels: np.ndarray
) -> str:
    """The look-alikes as aligned text; `*` marks a class other than the query's."""
    name = f"{split}[{index}]"
    lines = [
        f"Training garments nearest to {name} ({CLASS_NAMES[label]}), "
        "by Euclidean distance on raw pixels 0..255",
        f"{'rank':>4}  {'index':>6}  {'class':<12} {'distance':>9}",
    ]
    differs = False
    for rank, (neighbor, distance) in enumerate(found, start=1):
        other = int(train_labels[neighbor])
        mark = " *" if other != label else ""
        differs = differs or other != label
        lines.append(f"{rank:>4}  {neighbor:>6}  {CLASS_NAMES[other]:<12} {distance:>9.2f}{mark}")
    if not found:
        lines.append("  (the training split holds no other garment)")
    if differs:
        lines.append(f"* a different class from {name}'s")
    return "\n".join(lines)


def check_index_in_header(source: Candidate | None, split: str, index: int) -> None:
    """Refuse an --index beyond the split, reading only the file's header (when one is found)."""
    if source is None:
        return
    path = find_file(source.directory, SPLIT_FILES[split][0])
    count = peek_count(path) if path else None
    if count is not None and index >= count:
        raise CliError(f"--index {index} is outside the {split} split (0..{count - 1})", EXIT_USAGE)


def cmd_lesson(args: argparse.Namespace) -> None:
    source, _searched = FashionMnistService(data_dir=args.data_dir).locate()
    check_index_in_header(source, args.split, args.index)
    text = script(args.split, args.index)
    if args.export is None:
        print(text, end="")
        return
    try:
        write_text_atomically(args.export, text)
    except ExportError as error:
        raise CliError(str(error)) from None
    print(f"Wrote the tutorial step for {args.split}[{args.index}] to {args.export}; "
          f"run it with: python {args.export}")


def cmd_download(args: argparse.Namespace) -> None:
    from tui.downloader import DownloadCancelled, DownloadError, Progress

    service = FashionMnistService(data_dir=args.data_dir)
    target = service.download_target()
    show_progress = sys.stderr.isatty()

    def progress(p: Progress) -> None:
        if show_progress:
            print(f"\r{p.done / 1e6:6.1f} of {p.total / 1e6:.1f} MB at {p.rate / 1e6:5.1f} MB/s "
                  f"{p.name:<28}", end="", file=sys.stderr, flush=True)

    print(f"Downloading into {target}", file=sys.stderr)
    try:
        fetched = service.download(progress=progress, force=args.force)
    except DownloadError as error:
        raise CliError(f"download failed: {error}") from None
    except DownloadCancelled:
        raise CliError("download cancelled; no partial file was kept") from None
    finally:
        if show_progress:
            print(file=sys.stderr)
    if fetched:
        print(f"Fetched {', '.join(fetched)} into {target}")
    else:
        print(f"All four files are already in {target}; --force replaces damaged ones")


def port_number(text: str) -> int:
    value = whole_number(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1..65535)")
    return value


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(data_dir: Path | None) -> str:
    """The shell command textual-serve runs for each browser tab: this same program."""
    parts = [sys.executable, "-m", "tui"]
    if data_dir is not None:
        parts += ["--data-dir", str(data_dir.expanduser().resolve())]
    return shlex.join(parts)


def cmd_serve(args: argparse.Namespace) -> None:
    """Serve the app to a browser: a classroom's projector, or a machine without a terminal."""
    from textual_serve.server import Server

    if not is_loopback(args.host):
        warn(f"listening on {args.host}: anyone who can reach this machine on port {args.port} "
             "can use the app. Use --host 127.0.0.1 to keep it to this machine.")
    print(f"Serving fashion-tui at http://{args.host}:{args.port} (Ctrl+C stops)",
          file=sys.stderr)
    public_url = args.public_url
    if public_url is None and args.host in ("0.0.0.0", "::"):
        # Browsers cannot connect to a wildcard address: tell them this machine's name.
        public_url = f"http://{socket.getfqdn()}:{args.port}"
    try:
        Server(serve_command(args.data_dir), host=args.host, port=args.port,
               title="fashion-tui", public_url=public_url).serve()
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None


def run_app(args: argparse.Namespace) -> None:
    service = FashionMnistService(data_dir=args.data_dir)
    source, _searched = service.locate()
    check_index_in_header(source, args.split, args.index)  # now, not after the UI starts
    from tui import splash
    from tui.terminal import detect

    profile = detect()
    preview = service.preview(source, args.split, args.index) if source else None
    drawn = preview is not None and splash.draw(preview, profile)

    from tui.app import FashionApp

    try:
        FashionApp(service, split=args.split, index=args.index, profile=profile).run()
    finally:
        if drawn and sys.__stderr__ is not None:  # harmless after the app; vital if it failed
            with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
                sys.__stderr__.write(splash.LEAVE)
                sys.__stderr__.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "data_dir"):
        args.data_dir = None
    handlers = {
        "info": cmd_info, "stats": cmd_stats, "show": cmd_show, "neighbors": cmd_neighbors,
        "lesson": cmd_lesson, "download": cmd_download, "serve": cmd_serve, None: run_app,
    }
    try:
        handlers[args.command](args)
    except CliError as error:
        print(f"fashion-tui: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
