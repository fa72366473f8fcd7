"""The training corpus meets its counts and stays apart from the public dev set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nlp.classifier import META_FILE, MODEL_DIR
from nlp.corpus import (
    CorpusError,
    Example,
    corpus_stats,
    fingerprint,
    heldout_of,
    near_duplicates,
    read_examples,
    read_heldout_parts,
    read_training_corpus,
)
from nlp.taxonomy import FACTOR_IDS
from nlp.train import corpus_digest
from tests.nlp.checklist import build_cases, fresh_cases

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"


# The id prefixes written in the second round (December 2026); the others are the first corpus.
ROUND_TWO = ("fr_f", "fr_g", "nl_c", "nl_d", "en_c", "en_d", "mix_a", "fr_h", "nl_e", "en_e")


@pytest.fixture(scope="module")
def corpus():  # type: ignore[no-untyped-def]
    return read_training_corpus()


@pytest.fixture(scope="module")
def parts():  # type: ignore[no-untyped-def]
    return read_heldout_parts()


def test_counts(corpus, parts) -> None:  # type: ignore[no-untyped-def]
    written = [*corpus, *parts["r1"]]
    stats = corpus_stats(written)
    assert stats.total >= 6000
    assert all(stats.by_label[f] >= 400 for f in FACTOR_IDS), stats.by_label
    assert stats.multi_share >= 0.20
    assert stats.none_share >= 0.10
    assert all(stats.by_lang[lang] >= 1000 for lang in ("fr", "nl", "en")), stats.by_lang


def test_the_second_round_is_at_least_30_percent_dutch_and_30_percent_english(corpus) -> None:  # type: ignore[no-untyped-def]
    new = [e for e in corpus if e.id.rsplit("-", 1)[0].replace("-", "_") in ROUND_TWO]
    assert len(new) >= 3700
    stats = corpus_stats(new)
    assert stats.by_lang["nl"] / stats.total >= 0.30
    assert stats.by_lang["en"] / stats.total >= 0.30
    assert stats.none_share >= 0.10


def test_heldout_parts_are_apart_from_training_and_cover_every_label(corpus, parts) -> None:  # type: ignore[no-untyped-def]
    assert set(parts) == {"r1", "r2"}
    assert len(parts["r1"]) == 353 and len(parts["r2"]) >= 500
    ids = {e.id for e in corpus}
    texts = {e.text.casefold() for e in corpus}
    for examples in parts.values():
        assert not [e.id for e in examples if e.id in ids or e.text.casefold() in texts]
        for lang in ("fr", "nl", "en"):
            found = {label for e in examples if e.lang == lang for label in e.labels}
            assert set(FACTOR_IDS) <= found, (lang, set(FACTOR_IDS) - found)
    # The second part was written by someone else: nothing in it echoes a training message.
    # One- to three-word messages ("weer ingebroken", "hello?") are left out: people do write
    # the same few words.
    longer = [e for e in parts["r2"] if len(e.text.split()) > 3]
    assert near_duplicates(longer, corpus, threshold=0.5) == []


def test_no_training_text_echoes_the_behavioural_suite(corpus) -> None:  # type: ignore[no-untyped-def]
    cases = [
        Example(id=f"case-{i}", lang=c.lang, text=c.text, labels=())
        for i, c in enumerate([*build_cases(), *fresh_cases()])
    ]
    assert near_duplicates(corpus, cases, threshold=0.25) == []


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


def test_the_shipped_model_was_trained_on_this_corpus(corpus, parts) -> None:  # type: ignore[no-untyped-def]
    meta = json.loads((MODEL_DIR / META_FILE).read_text(encoding="utf-8"))
    heldout = heldout_of(parts)
    assert len(heldout) == meta["heldout"]["size"] and len(corpus) == meta["train_size"]
    assert corpus_digest([*corpus, *heldout]) == meta["corpus_sha256"]


def test_bad_lines_are_reported_with_their_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "a", "lang": "fr", "text": "ok", "labels": []}\n'
        '{"id": "b", "lang": "fr", "text": "x", "labels": ["staff", "rent_premises"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=":2:"):
        read_examples(path)
