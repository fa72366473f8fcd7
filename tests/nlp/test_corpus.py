"""The training corpus meets its counts and stays apart from the public dev set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nlp.classifier import META_FILE, MODEL_DIR
from nlp.corpus import (
    CorpusError,
    corpus_stats,
    fingerprint,
    near_duplicates,
    read_examples,
    read_training_corpus,
    split_heldout,
)
from nlp.taxonomy import FACTOR_IDS

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"


@pytest.fixture(scope="module")
def corpus():  # type: ignore[no-untyped-def]
    return read_training_corpus()


def test_counts(corpus) -> None:  # type: ignore[no-untyped-def]
    stats = corpus_stats(corpus)
    assert stats.total >= 1500
    assert stats.by_lang["fr"] >= 1000
    assert stats.by_lang["nl"] >= 300
    assert stats.by_lang["en"] >= 200
    assert all(stats.by_label[f] >= 100 for f in FACTOR_IDS), stats.by_label
    assert stats.multi_share >= 0.20
    assert stats.none_share >= 0.08


def test_no_training_text_is_a_dev_text(corpus) -> None:  # type: ignore[no-untyped-def]
    if not DEV.exists():
        pytest.skip("shared/eval is not beside this checkout")
    dev = read_examples(DEV)
    dev_prints = {frozenset(fingerprint(e.text)) for e in dev}
    identical = [e.id for e in corpus if frozenset(fingerprint(e.text)) in dev_prints]
    assert identical == []
    assert near_duplicates(corpus, dev, threshold=0.25) == []


def test_no_template_families(corpus) -> None:  # type: ignore[no-untyped-def]
    # Messages that share their first four words are a sign of slot-filled templates.
    openings = Counter(" ".join(e.text.casefold().split()[:4]) for e in corpus)
    repeated = {k: n for k, n in openings.items() if n > 5 and len(k.split()) == 4}
    assert repeated == {}


def test_heldout_split_matches_the_shipped_model_and_covers_every_label(corpus) -> None:  # type: ignore[no-untyped-def]
    meta = json.loads((MODEL_DIR / META_FILE).read_text(encoding="utf-8"))
    train, heldout = split_heldout(corpus)
    assert len(heldout) == meta["heldout"]["size"] and len(train) == meta["train_size"]
    assert 0.10 < len(heldout) / len(corpus) < 0.20
    assert set(FACTOR_IDS) <= {label for e in heldout for label in e.labels}


def test_bad_lines_are_reported_with_their_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "a", "lang": "fr", "text": "ok", "labels": []}\n'
        '{"id": "b", "lang": "fr", "text": "x", "labels": ["staff", "rent_premises"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=":2:"):
        read_examples(path)
