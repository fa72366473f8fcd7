"""Normalisation folds what phone typing varies and keeps what carries meaning."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.features import normalize


def _reference(text: str, mode: str) -> str:
    """Normalise character by character, the plain way the fast path must agree with."""
    import re

    composed = unicodedata.normalize("NFKC", text)
    cleaned = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
        for ch in composed
        if unicodedata.category(ch) != "Cf" or ch == "\u200d"
    )
    lowered = re.sub(r"\s+", " ", cleaned).strip().casefold()
    if mode == "lower":
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"(\w)\1{2,}", r"\1\1", plain)


@settings(max_examples=400, deadline=None)
@given(st.text(), st.sampled_from(["fold", "lower"]))
def test_the_fast_path_gives_what_a_pass_over_every_character_gives(text: str, mode: str) -> None:
    assert normalize(text, mode) == _reference(text, mode)


def test_fold_mode() -> None:
    assert normalize("  Le LOYER   Était  tropppp cher !!! ") == "le loyer etait tropp cher !!!"
    assert normalize("Wegenwerken\u200b\nOveral") == "wegenwerken overal"
    assert normalize("👨\u200d🍳 ok") == "👨\u200d🍳 ok"
    # Controls, line separators and format characters beyond ASCII, with accents around them.
    assert normalize("Été\u2028à\u0085Liège\u00ad\ufeff !") == "ete a liege !"


def test_lower_mode_keeps_accents() -> None:
    assert normalize("Été À Lessines", "lower") == "été à lessines"


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError):
        normalize("x", "stem")
