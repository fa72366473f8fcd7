"""Normalise message text the same way for training and for prediction."""

from __future__ import annotations

import re
import unicodedata

_REPEATS = re.compile(r"(\w)\1{2,}", re.UNICODE)
_SPACES = re.compile(r"\s+")
NORMALIZERS = ("fold", "lower")
_ASCII_CONTROLS = {cp: " " for cp in [*range(32), 127]}


def normalize(text: str, mode: str = "fold") -> str:
    """Return the text as the model sees it: 'fold' also strips accents and long repeats."""
    if mode not in NORMALIZERS:
        raise ValueError(f"unknown normalizer {mode!r}")
    composed = unicodedata.normalize("NFKC", text)
    # Half the messages are plain ASCII: their only special characters are controls, and they
    # have no accents to strip, so they skip the per-character passes (same result, faster).
    ascii_only = composed.isascii()
    if ascii_only:
        cleaned = composed.translate(_ASCII_CONTROLS)
    else:
        cleaned = "".join(
            " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
            for ch in composed
            if unicodedata.category(ch) != "Cf" or ch == "\u200d"
        )
    lowered = _SPACES.sub(" ", cleaned).strip().casefold()
    if mode == "lower":
        return lowered
    # Shopkeepers type on phones: missing accents and "tropppp" must look like the real word.
    if ascii_only:
        plain = lowered
    else:
        decomposed = unicodedata.normalize("NFKD", lowered)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _REPEATS.sub(r"\1\1", plain)
