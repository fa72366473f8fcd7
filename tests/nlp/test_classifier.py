"""The shipped classifier: real trained pipeline, thresholds, batch and single prediction."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import spacy
from thinc.api import set_dropout_rate

from nlp.classifier import (
    META_FILE,
    MODEL_DIR,
    Classifier,
    ModelError,
    get_classifier,
    settings_differences,
)
from nlp.taxonomy import FACTOR_IDS


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return get_classifier()


CLEAR = [
    ("Mon propriétaire veut encore augmenter le loyer, je ne sais plus payer", "rent_premises"),
    ("Les travaux de la chaussée bloquent l'entrée du magasin depuis trois mois", "roadworks"),
    ("Ze hebben alle parkeerplaatsen in de straat afgeschaft", "mobility_parking"),
    ("Everyone buys online now, Amazon and Zalando are killing small shops", "competition"),
    (
        "Ik sta elke dag van 6 tot 21 uur in de winkel, zeven op zeven, ik ben op",
        "workload_health",
    ),
    ("Impossible de trouver un vendeur, personne ne répond à mes offres d'emploi", "staff"),
    ("The electricity bill tripled and my supplier raised prices again", "costs_cashflow"),
    ("Encore un vol à l'étalage et un cambriolage la semaine passée", "safety_image"),
    ("La TVA, les taxes communales, les contrôles AFSCA... trop de paperasse", "admin_tax"),
    ("Je ne sais pas faire un site web ni vendre sur Instagram", "skills_digital"),
    ("Depuis le télétravail, plus personne ne passe le midi dans la rue", "demand_footfall"),
    ("La commune décide tout sans jamais nous demander notre avis", "isolation_collective"),
]
SMALL_TALK = [
    "Merci beaucoup, bonne journée !",
    "Dank je, tot morgen 👋",
    "ok thanks",
    "Bonjour, je suis fleuriste à Jette",
    "Hello! Is the info session still on Thursday?",
    "Tout va bien pour moi ce mois-ci 🙂",
    "Alles goed hier, bedankt voor de vraag",
    "Super initiative, bravo à l'équipe",
    "No complaints this week, business is good",
    "À quelle heure est la soirée au Parvis ?",
]


def test_clear_messages_get_their_factor(classifier: Classifier) -> None:
    # A statistical model: these plain statements are written here, not in the corpus, and
    # each names one factor unambiguously; at most one miss is tolerated.
    found = [factor in {f.factor for f in classifier.predict(text)} for text, factor in CLEAR]
    assert sum(found) >= len(CLEAR) - 1, [c for c, ok in zip(CLEAR, found, strict=True) if not ok]


def test_small_talk_mostly_gets_no_factor(classifier: Classifier) -> None:
    # The target is 80% of "none" messages left without a factor.
    empty = [classifier.predict(text) == [] for text in SMALL_TALK]
    assert sum(empty) >= 8, [t for t, ok in zip(SMALL_TALK, empty, strict=True) if not ok]


def test_results_are_sorted_and_above_thresholds(classifier: Classifier) -> None:
    text = "Loyer trop cher, travaux devant la porte et plus personne pour m'aider au magasin"
    found = classifier.predict(text)
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    assert all(f.score >= classifier.thresholds[f.factor] for f in found)
    assert all(f.factor in FACTOR_IDS for f in found)


def test_batch_equals_single(classifier: Classifier) -> None:
    texts = ["trop de taxes", "plus de clients depuis le télétravail", "", "🙂", "x" * 5000]
    batch = classifier.predict_many(texts)
    assert batch == [classifier.predict(t) for t in texts]
    assert batch[2] == [] and batch[3] == []
    raw = classifier.scores_many(texts)
    for text, scores in zip(texts, raw, strict=True):
        single = classifier.scores_many([text])[0]
        assert all(abs(single[k] - scores[k]) < 1e-6 for k in FACTOR_IDS)
    assert raw[2] == dict.fromkeys(FACTOR_IDS, 0.0)


def test_vocabulary_does_not_grow_with_new_words(classifier: Classifier) -> None:
    classifier.predict_many(["warm-up"])
    before = len(classifier.nlp.vocab.strings)
    classifier.predict_many([f"zzqx{i} loyer" for i in range(500)])
    assert len(classifier.nlp.vocab.strings) == before


def test_the_warmed_tokenizer_gives_the_same_scores_as_a_cold_one(
    classifier: Classifier,
) -> None:
    from nlp.corpus import read_heldout_parts

    cold = Classifier(
        spacy.load(MODEL_DIR), classifier.thresholds, classifier.normalizer, classifier.variant
    )
    texts = [e.text for part in read_heldout_parts().values() for e in part][:400]
    texts += ["l'avenir du quartier, c'est dur...", "Café-resto: 3x plus cher!!", "aujourd'hui"]
    # Scored first, inside the classifier's memory zone: the cold tokenizer caches nothing.
    cold_scores = cold.scores_many(texts)
    warm_scores = classifier.scores_many(texts)
    assert all(
        abs(w[k] - c[k]) < 1e-6 for w, c in zip(warm_scores, cold_scores, strict=True) for k in w
    )
    words = sorted({w for t in texts for w in t.split()})
    with cold.nlp.memory_zone(), classifier.nlp.memory_zone():
        cold_tokens = [[t.text for t in cold.nlp.tokenizer(w)] for w in words]
        warm_tokens = [[t.text for t in classifier.nlp.tokenizer(w)] for w in words]
    assert warm_tokens == cold_tokens


class _CountedPrefixRule:
    """Count how often a tokenizer runs its prefix rule (set before warming: setting it flushes
    the tokenizer's cache)."""

    def __init__(self, nlp: spacy.language.Language) -> None:
        self.rule = nlp.tokenizer.prefix_search
        self.calls = 0
        nlp.tokenizer.prefix_search = self

    def __call__(self, text: str) -> object:
        self.calls += 1
        return self.rule(text)


def test_loading_caches_the_tokenization_of_the_vocabulary() -> None:
    from nlp.classifier import warm_tokenizer

    words = ["loyer", "parking", "travaux", "huur", "rent", "clients"]
    for warmed in (False, True):
        nlp = spacy.load(MODEL_DIR)
        assert all(w in nlp.vocab.strings for w in words)
        counter = _CountedPrefixRule(nlp)
        strings = len(nlp.vocab.strings)
        if warmed:
            assert warm_tokenizer(nlp) > 0.9 * strings
            # What warming keeps (the words' shapes, affixes, the pieces of split words)
            # comes from the model's own vocabulary and stays small beside it.
            assert len(nlp.vocab.strings) < 1.02 * strings
        counter.calls = 0
        with nlp.memory_zone():
            for word in words:
                nlp.tokenizer(word)
        # Cold, every word goes through the affix rules; warm, the model's words come from
        # the cache, even inside a memory zone.
        assert counter.calls == 0 if warmed else counter.calls >= len(words)


def test_concurrent_callers_get_the_same_answers(classifier: Classifier) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [text for text, _ in CLEAR] * 5
    expected = classifier.predict_many(texts)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(classifier.predict, texts))
    assert results == expected


def test_thresholds_are_stored_with_the_model() -> None:
    meta = json.loads((MODEL_DIR / META_FILE).read_text(encoding="utf-8"))
    assert set(meta["thresholds"]) == set(FACTOR_IDS)
    assert all(0.0 < t < 1.0 for t in meta["thresholds"].values())
    from nlp.train import VARIANTS

    assert meta["variant"] in VARIANTS
    assert meta["asking"]["mode"] in ("none", "add")


def test_incomplete_thresholds_are_refused(classifier: Classifier) -> None:
    with pytest.raises(ModelError):
        Classifier(classifier.nlp, {"staff": 0.5}, "fold")


def test_shipped_model_is_small_enough() -> None:
    size = sum(f.stat().st_size for f in MODEL_DIR.rglob("*") if f.is_file())
    assert size < 60_000_000


def test_a_model_that_learnt_from_people_long_ago_asks_to_be_retrained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from datetime import UTC, datetime, timedelta

    from nlp.classifier import _warn_if_stale

    now = datetime.now(UTC)
    with caplog.at_level("WARNING", logger="nlp.classifier"):
        _warn_if_stale(MODEL_DIR, {"trained_at": (now - timedelta(days=3)).isoformat()})
        _warn_if_stale(MODEL_DIR, None)
        assert caplog.records == []
        _warn_if_stale(MODEL_DIR, {"trained_at": (now - timedelta(days=40)).isoformat()})
    assert "retrain" in caplog.records[0].getMessage()


def test_a_config_edited_after_training_is_reported_on_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(MODEL_DIR, tmp_path / "model")
    config = tmp_path / "model" / "config.cfg"
    assert settings_differences(spacy.load(tmp_path / "model")) == []
    text = config.read_text(encoding="utf-8")
    edits = {"whole_weight = 0.5\n": "whole_weight = 0.25\n", "min_words = 4\n": "min_words = 6\n"}
    edits['hide = "ok"\n'] = 'hide = ""\n'
    for old, new in edits.items():
        assert text.count(old) == 1
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="nlp.classifier"):
        edited = Classifier.load(tmp_path / "model")
    warnings = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "min_words is 6 in config.cfg but 4 in the saved model" in warnings
    assert "whole_weight is 0.25 in config.cfg but 0.5 in the saved model" in warnings
    assert "hide is frozenset() in config.cfg but frozenset({'ok'}) in the saved model" in warnings
    # The warning tells the truth: the saved settings are the ones that score.
    texts = ["le loyer ca va, mais les travaux bloquent la rue", "de huur is te hoog"]
    assert edited.scores_many(texts) == get_classifier().scores_many(texts)


def test_dropout_set_by_training_is_not_a_setting_that_differs() -> None:
    nlp = spacy.blank("fr")
    textcat = nlp.add_pipe("textcat_multilabel")  # spaCy's own ensemble, with dropout layers
    textcat.add_label("staff")
    nlp.initialize()
    assert settings_differences(nlp) == []
    # spaCy's training sets every layer's dropout from [training]; the saved model keeps it.
    set_dropout_rate(textcat.model, 0.1)
    assert any(n.attrs.get("dropout_rate") == 0.1 for n in textcat.model.walk())
    assert settings_differences(nlp) == []
