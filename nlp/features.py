"""Normalise message text the same way for training and for prediction."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_REPEATS = re.compile(r"(\w)\1{2,}", re.UNICODE)
_SPACES = re.compile(r"\s+")
NORMALIZERS = ("fold", "lower")
_ASCII_CONTROLS = {cp: " " for cp in [*range(32), 127]}
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


# Messages use few distinct characters beyond ASCII (accents, emoji): each one's Unicode
# category is looked up once per process.
@lru_cache(maxsize=4096)
def _cleaned(ch: str) -> str:
    """Return a control or line break as a space, drop a format character but the joiner."""
    category = unicodedata.category(ch)
    if category in {"Cc", "Zl", "Zp"}:
        return " "
    if category == "Cf" and ch != "\u200d":
        return ""
    return ch


def _clean_run(match: re.Match[str]) -> str:
    return "".join(map(_cleaned, match.group()))


def _unmarked_run(match: re.Match[str]) -> str:
    return "".join(ch for ch in match.group() if not unicodedata.combining(ch))


def normalize(text: str, mode: str = "fold") -> str:
    """Return the text as the model sees it: 'fold' also strips accents and long repeats."""
    if mode not in NORMALIZERS:
        raise ValueError(f"unknown normalizer {mode!r}")
    composed = unicodedata.normalize("NFKC", text)
    # Only the characters beyond ASCII need their category or their accents looked at; most
    # messages have few or none (same result as a pass over every character, faster).
    ascii_only = composed.isascii()
    cleaned = composed.translate(_ASCII_CONTROLS)
    if not ascii_only:
        cleaned = _NON_ASCII.sub(_clean_run, cleaned)
    lowered = _SPACES.sub(" ", cleaned).strip().casefold()
    if mode == "lower":
        return lowered
    # Shopkeepers type on phones: missing accents and "tropppp" must look like the real word.
    if ascii_only:
        plain = lowered
    else:
        plain = _NON_ASCII.sub(_unmarked_run, unicodedata.normalize("NFKD", lowered))
    return _REPEATS.sub(r"\1\1", plain)
