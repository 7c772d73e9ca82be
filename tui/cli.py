"""The `fashion-tui` command: the app by default, plus `info`, `stats` and `show` subcommands.

Subcommands print to standard output; any failure is one line on standard error and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tui.data_service import DataNotFoundError, FashionMnistService
from tui.data_sources import SPLIT_FILES, SPLITS, find_file, missing_data_line
from tui.idx import DataFileError, peek_count

EXIT_USAGE = 2
EXIT_DATA = 3


class CliError(Exception):
    """A failure to report as one line on standard error."""

    def __init__(self, message: str, code: int = EXIT_DATA) -> None:
        super().__init__(message)
        self.code = code


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; indexes start at 0")
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
    return parser


def loaded_service(data_dir: Path | None) -> FashionMnistService:
    """Load the data or raise CliError with the plain-words reason."""
    service = FashionMnistService(data_dir=data_dir)
    try:
        service.load()
    except DataNotFoundError as error:
        raise CliError(missing_data_line(error.searched)) from None
    except DataFileError as error:
        raise CliError(str(error)) from None
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
    else:
        print("Data        not found; searched " + ", ".join(c.describe() for c in searched))


def cmd_stats(args: argparse.Namespace) -> None:
    from tui.text_report import stats_report

    service = loaded_service(args.data_dir)
    assert service.source is not None
    splits = {split: service.split_stats(split) for split in SPLITS}
    if args.json:
        payload = {
            "source": str(service.source.directory),
            "splits": {split: stats.as_json() for split, stats in splits.items()},
        }
        print(json.dumps(payload, indent=2))
        return
    print(stats_report(service.source, list(splits.values())))


def cmd_show(args: argparse.Namespace) -> None:
    service = loaded_service(args.data_dir)
    try:
        sample = service.sample(args.split, args.index)
    except IndexError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    normalized = service.normalized(args.split, args.index)
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


def run_app(args: argparse.Namespace) -> None:
    from tui.app import FashionApp

    service = FashionMnistService(data_dir=args.data_dir)
    source, _searched = service.locate()
    if source is not None:  # refuse a bad --index now, with the count from the file's header
        image_stem = SPLIT_FILES[args.split][0]
        path = find_file(source.directory, image_stem)
        count = peek_count(path) if path else None
        if count is not None and args.index >= count:
            raise CliError(
                f"--index {args.index} is outside the {args.split} split (0..{count - 1})",
                EXIT_USAGE,
            )
    FashionApp(service, split=args.split, index=args.index).run()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "data_dir"):
        args.data_dir = None
    handlers = {"info": cmd_info, "stats": cmd_stats, "show": cmd_show, None: run_app}
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
