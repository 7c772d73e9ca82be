"""The headless modules never import Textual or TensorFlow (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADLESS = ("tui.data_service", "tui.data_sources", "tui.idx", "tui.runtime_info", "tui.cli")
HEAVY = ("textual", "tensorflow", "keras")


def imported_after(modules: tuple[str, ...]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_headless_modules_import_no_ui_and_no_tensorflow() -> None:
    modules = imported_after(HEADLESS)
    assert set(HEADLESS) <= modules  # the imports really happened
    for heavy in HEAVY:
        assert not {m for m in modules if m == heavy or m.startswith(heavy + ".")}, heavy


def test_the_app_module_does_not_import_tensorflow() -> None:
    modules = imported_after(("tui.app",))
    assert "textual" in modules
    assert "tensorflow" not in modules
    assert "keras" not in modules
