"""Clean what users type before it is searched, stored or echoed."""

from __future__ import annotations

import unicodedata

MAX_ECHO_CHARS = 40


def clean_text(text: str, *, max_chars: int = 4096) -> str:
    """Normalise to NFC, drop control and format characters, collapse blanks, cap length."""
    normalised = unicodedata.normalize("NFC", text)
    kept = [
        " " if ch in "\t\r\n" else ch
        for ch in normalised
        if ch in "\t\r\n" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"}
    ]
    return " ".join("".join(kept).split())[:max_chars]


def clean_lines(text: str, *, max_chars: int = 4096) -> str:
    """Clean like clean_text, but keep the lines (a message passed on between two people)."""
    lines = (
        clean_text(line, max_chars=max_chars) for line in text.replace("\r", "\n").split("\n")
    )
    return "\n".join(line for line in lines if line)[:max_chars]


def short_echo(text: str) -> str:
    """Return a short, single-line excerpt of user text, safe to quote back."""
    cleaned = clean_text(text, max_chars=MAX_ECHO_CHARS + 1)
    return cleaned if len(cleaned) <= MAX_ECHO_CHARS else cleaned[: MAX_ECHO_CHARS - 1] + "…"
