"""Training is reproducible: a fresh run of the shipped variant scores what the model says."""

from __future__ import annotations

import json
from pathlib import Path

from nlp.classifier import META_FILE, MODEL_DIR, Classifier
from nlp.corpus import read_training_corpus, split_heldout
from nlp.train import corpus_digest, train_variant


def test_fresh_training_reproduces_the_shipped_scores(tmp_path: Path) -> None:
    meta = json.loads((MODEL_DIR / META_FILE).read_text(encoding="utf-8"))
    train, heldout = split_heldout(read_training_corpus())
    # The shipped model was trained on exactly this corpus.
    assert corpus_digest([*train, *heldout]) == meta["corpus_sha256"]
    result, model_dir = train_variant(meta["variant"], train, heldout, tmp_path, meta["seed"])
    assert abs(result.heldout_macro_f1 - meta["heldout"]["macro_f1"]) <= 0.02
    assert abs(result.heldout_micro_f1 - meta["heldout"]["micro_f1"]) <= 0.02
    retrained = Classifier.load(model_dir)
    shipped = Classifier.load(MODEL_DIR)
    texts = [e.text for e in heldout]
    same = sum(
        a == b
        for a, b in zip(
            [{f.factor for f in fs} for fs in retrained.predict_many(texts)],
            [{f.factor for f in fs} for fs in shipped.predict_many(texts)],
            strict=True,
        )
    )
    assert same / len(texts) >= 0.9
