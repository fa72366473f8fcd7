"""The baseline to beat: TF-IDF word and character n-grams with one-vs-rest logistic regression."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nlp.corpus import Example
from nlp.features import normalize
from nlp.taxonomy import FACTOR_IDS


class TfidfBaseline:
    """Train on the same corpus and held-out split as the spaCy model, thresholds included."""

    def __init__(self) -> None:
        # scikit-learn is a development dependency: imported only when the baseline is used.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import FeatureUnion, make_pipeline

        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True
                    ),
                ),
            ]
        )
        self._model: Any = make_pipeline(
            features,
            OneVsRestClassifier(
                LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
            ),
        )
        self.thresholds: dict[str, float] = dict.fromkeys(FACTOR_IDS, 0.5)

    def fit(self, train: Sequence[Example], heldout: Sequence[Example]) -> TfidfBaseline:
        """Fit on the training split and tune thresholds on the held-out split."""
        from nlp.train import tune_thresholds

        matrix = [[int(label in e.labels) for label in FACTOR_IDS] for e in train]
        self._model.fit([normalize(e.text) for e in train], matrix)
        gold = [frozenset(e.labels) for e in heldout]
        self.thresholds = tune_thresholds(gold, self.scores_many([e.text for e in heldout]))
        return self

    def scores_many(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Return every factor's probability for each text."""
        probabilities = self._model.predict_proba([normalize(t) for t in texts])
        return [dict(zip(FACTOR_IDS, map(float, row), strict=True)) for row in probabilities]

    def predict_many(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """Return the predicted factor set of each text."""
        return [
            frozenset(k for k, v in s.items() if v >= self.thresholds[k])
            for s in self.scores_many(texts)
        ]
