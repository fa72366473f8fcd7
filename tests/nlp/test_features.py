"""Normalisation folds what phone typing varies and keeps what carries meaning."""

from __future__ import annotations

import pytest

from nlp.features import normalize


def test_fold_mode() -> None:
    assert normalize("  Le LOYER   Était  tropppp cher !!! ") == "le loyer etait tropp cher !!!"
    assert normalize("Wegenwerken\u200b\nOveral") == "wegenwerken overal"
    assert normalize("👨\u200d🍳 ok") == "👨\u200d🍳 ok"


def test_lower_mode_keeps_accents() -> None:
    assert normalize("Été À Lessines", "lower") == "été à lessines"


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError):
        normalize("x", "stem")
