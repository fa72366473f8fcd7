"""Normalise message text the same way for training and for prediction."""

from __future__ import annotations

import re
import unicodedata

_REPEATS = re.compile(r"(\w)\1{2,}", re.UNICODE)
_SPACES = re.compile(r"\s+")
NORMALIZERS = ("fold", "lower")


def normalize(text: str, mode: str = "fold") -> str:
    """Return the text as the model sees it: 'fold' also strips accents and long repeats."""
    if mode not in NORMALIZERS:
        raise ValueError(f"unknown normalizer {mode!r}")
    cleaned = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
        for ch in unicodedata.normalize("NFKC", text)
        if unicodedata.category(ch) != "Cf" or ch == "\u200d"
    )
    lowered = _SPACES.sub(" ", cleaned).strip().casefold()
    if mode == "lower":
        return lowered
    # Shopkeepers type on phones: missing accents and "tropppp" must look like the real word.
    decomposed = unicodedata.normalize("NFKD", lowered)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _REPEATS.sub(r"\1\1", plain)
