"""What the terminal can show, decided once at start-up and said in plain words in the log.

Over SSH `COLORTERM` is usually not forwarded, so truecolor detection fails there and the
terminal gets 256 colours; the xterm palette has only 30 greys, 16-colour terminals about 4
(set by the user's theme), and some terminals none at all. The garment is drawn to suit.
"""

from __future__ import annotations

import codecs
import locale
import os
from collections.abc import Mapping
from dataclasses import dataclass

# How the garment is drawn, from richest to plainest; `w` cycles through them.
TRUECOLOR = "truecolor"
PALETTE_256 = "256"
SHADES = "shades"
ASCII = "ascii"
RENDER_MODES: tuple[str, ...] = (TRUECOLOR, PALETTE_256, SHADES, ASCII)
RENDER_TITLES = {
    TRUECOLOR: "true colour (256 greys)",
    PALETTE_256: "256-colour palette (its 30 greys)",
    SHADES: "shaded blocks (no colour needed)",
    ASCII: "ASCII ramp (no colour, no Unicode)",
}


@dataclass(frozen=True)
class TerminalProfile:
    """The colour depth found, the garment drawing that suits it, and why."""

    colors: str  # "truecolor", "256", "16" or "none"
    render_mode: str
    unicode: bool
    reason: str


def encoding_is_utf8(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "ascii").name == "utf-8"
    except LookupError:
        return False


def locale_encoding(environ: Mapping[str, str]) -> str:
    """The terminal's encoding as the locale variables say (LC_ALL, then LC_CTYPE, then LANG).

    Python itself switches to UTF-8 under the C locale, so its own preference would hide a
    terminal set to C or POSIX; with no variable set at all, UTF-8 is assumed.
    """
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(name)
        if value:
            if value in ("C", "POSIX"):
                return "ascii"
            charset = value.partition(".")[2].partition("@")[0]
            return charset or "ascii"
    return locale.getpreferredencoding(False)


def detect(
    environ: Mapping[str, str] | None = None, encoding: str | None = None
) -> TerminalProfile:
    """Decide from NO_COLOR, COLORTERM, TERM and the locale's encoding (FASHION_TUI_COLORS
    overrides: truecolor, 256, 16 or none)."""
    env = os.environ if environ is None else environ
    enc = encoding if encoding is not None else locale_encoding(env)
    unicode = encoding_is_utf8(enc)
    term = env.get("TERM", "")
    colorterm = env.get("COLORTERM", "").lower()
    forced = env.get("FASHION_TUI_COLORS", "").lower()
    if forced in ("truecolor", "256", "16", "none"):
        colors, reason = forced, f"FASHION_TUI_COLORS={forced}"
    elif "NO_COLOR" in env:
        colors, reason = "none", "NO_COLOR is set"
    elif term in ("", "dumb"):
        colors, reason = "none", f"TERM={term or '(unset)'} has no colour"
    elif colorterm in ("truecolor", "24bit"):
        colors, reason = "truecolor", f"COLORTERM={colorterm}"
    elif "256color" in term or term.endswith("-256"):
        colors, reason = "256", f"TERM={term} without COLORTERM (usual over SSH)"
    else:
        colors, reason = "16", f"TERM={term} offers only a few colours"
    if not unicode:
        return TerminalProfile(colors, ASCII, False,
                               f"{reason}; the locale's encoding is {enc}, not UTF-8")
    mode = {"truecolor": TRUECOLOR, "256": PALETTE_256, "16": SHADES, "none": ASCII}[colors]
    if colors == "none" and unicode:
        mode = ASCII
    return TerminalProfile(colors, mode, unicode, reason)


def describe(profile: TerminalProfile) -> str:
    """One log line: what the garment is drawn with, and why."""
    depth = {"truecolor": "true colour", "256": "256 colours", "16": "16 colours",
             "none": "no colour"}[profile.colors]
    return (f"Terminal: {depth} ({profile.reason}); garments drawn with "
            f"{RENDER_TITLES[profile.render_mode]}. w cycles the drawing modes.")
