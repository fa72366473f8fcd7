"""Training is reproducible: a fresh run of the shipped variant scores what the model says.

`make test` retrains the shipped architecture on a fixed part of the corpus with fewer steps
(about a minute and a half) and compares it with the figures stored when the model was
shipped; `make test-slow` retrains the whole model and compares it with `echoppe.json`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nlp.classifier import META_FILE, MODEL_DIR, Classifier
from nlp.corpus import heldout_of, read_heldout_parts, read_training_corpus
from nlp.train import (
    SUBSET_STEPS,
    corpus_digest,
    fixed_subset,
    forget_build_paths,
    train_subset,
    train_variant,
)


@pytest.fixture(scope="module")
def meta() -> dict[str, object]:
    return json.loads((MODEL_DIR / META_FILE).read_text(encoding="utf-8"))


def test_the_fixed_subset_retrains_to_the_stored_scores(tmp_path: Path, meta) -> None:  # type: ignore[no-untyped-def]
    train = read_training_corpus()
    parts = read_heldout_parts()
    subset = meta["subset"]
    assert subset["max_steps"] == SUBSET_STEPS
    assert 0.3 * len(train) < len(fixed_subset(train)) < 0.45 * len(train)
    result = train_subset(str(meta["variant"]), train, parts, tmp_path, int(meta["seed"]))
    assert abs(result.heldout_macro_f1 - subset["macro_f1"]) <= 0.02
    assert abs(result.heldout_micro_f1 - subset["micro_f1"]) <= 0.02
    # A third of the data still makes a useful model, well above chance on every part.
    assert all(part.macro_f1 >= 0.6 for part in result.parts.values())


@pytest.mark.slow
def test_full_retraining_reproduces_the_shipped_model(tmp_path: Path, meta) -> None:  # type: ignore[no-untyped-def]
    train = read_training_corpus()
    parts = read_heldout_parts()
    heldout = heldout_of(parts)
    # The shipped model was trained on exactly this corpus.
    assert corpus_digest([*train, *heldout]) == meta["corpus_sha256"]
    result, model_dir = train_variant(
        str(meta["variant"]), train, parts, tmp_path, int(meta["seed"])
    )
    assert str(tmp_path) not in (model_dir / "config.cfg").read_text(encoding="utf-8")
    stored = meta["heldout"]
    assert abs(result.heldout_macro_f1 - stored["macro_f1"]) <= 0.02
    assert abs(result.heldout_micro_f1 - stored["micro_f1"]) <= 0.02
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


def test_a_model_keeps_no_path_of_the_machine_that_trained_it(tmp_path: Path) -> None:
    shipped = (MODEL_DIR / "config.cfg").read_text(encoding="utf-8")
    assert "train = null\ndev = null\n" in shipped
    # What training writes: the corpus paths of its temporary folder, then set back to null.
    model = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model)
    config = model / "config.cfg"
    config.write_text(
        shipped.replace("train = null", 'train = "/tmp/x/train.spacy"').replace(
            "dev = null", 'dev = "/tmp/x/heldout.spacy"'
        ),
        encoding="utf-8",
    )
    forget_build_paths(model)
    assert config.read_text(encoding="utf-8") == shipped
    assert Classifier.load(model).predict("le loyer est trop cher")
