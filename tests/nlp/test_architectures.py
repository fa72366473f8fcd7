"""The echoppe.CharBOW.v1 architecture survives serialisation and odd inputs."""

from __future__ import annotations

import spacy

import nlp.architectures  # noqa: F401
from nlp.classifier import MODEL_DIR
from nlp.features import normalize

TEXTS = ["le loyer est trop cher", "wegenwerken overal", "", "🙂", "a", "x" * 300]


def test_bytes_round_trip_predicts_identically() -> None:
    original = spacy.load(MODEL_DIR)
    copy = spacy.blank("fr").from_config(original.config)
    copy.from_bytes(original.to_bytes())
    for text in TEXTS:
        a, b = original(normalize(text)).cats, copy(normalize(text)).cats
        assert a.keys() == b.keys()
        assert all(abs(a[k] - b[k]) < 1e-7 for k in a)


def test_short_and_empty_docs_are_scored() -> None:
    model = spacy.load(MODEL_DIR)
    docs = list(model.pipe(normalize(t) for t in TEXTS))
    assert all(len(d.cats) == 12 for d in docs)
    assert all(0.0 <= v <= 1.0 for d in docs for v in d.cats.values())
