"""Predict difficulty factors for messages with the trained spaCy pipeline and its thresholds."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.util import registry

import nlp.architectures  # noqa: F401  (registers echoppe.* architectures with spaCy)
from nlp.asking import AskingRule, Question
from nlp.features import normalize
from nlp.taxonomy import FACTOR_IDS

logger = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / "model"
META_FILE = "echoppe.json"
MAX_CHARS = 4096


class ModelError(RuntimeError):
    """Raised when the trained pipeline is missing or does not match the taxonomy."""


@dataclass(frozen=True)
class FactorScore:
    """Hold one predicted factor and the model's score for it."""

    factor: str
    score: float


# A model trained on exported corrections is retrained at least monthly, so that what people
# erased (/forget, retention) leaves it too.
CORRECTIONS_MAX_AGE = timedelta(days=31)


def _warn_if_stale(path: Path, corrections: object) -> None:
    if not isinstance(corrections, dict) or "trained_at" not in corrections:
        return
    trained = datetime.fromisoformat(str(corrections["trained_at"]))
    if datetime.now(UTC) - trained > CORRECTIONS_MAX_AGE:
        logger.warning(
            "%s learnt from people's corrections on %s: export and retrain"
            " (bot.py train --with-corrections) so that erased messages leave it",
            path,
            trained.date(),
        )


def _comparable(value: object) -> object:
    # A saved tuple comes back from msgpack as a list; arrays and callables are not settings.
    if isinstance(value, tuple | list):
        return list(value)
    if isinstance(value, bool | int | float | str | frozenset):
        return value
    return None


# Training sets every layer's dropout from [training], not from the model's config block, and
# dropout does nothing when predicting.
_NOT_SETTINGS = frozenset({"dropout_rate"})


def settings_differences(nlp: Language) -> list[str]:
    """List the model settings that the pipeline's config.cfg gives but its saved weights override.

    Loading restores each layer's settings from the saved weights, over whatever config.cfg
    says, so an edited config silently changes nothing: the way to change them is to retrain.
    """
    differences: list[str] = []
    for name in nlp.pipe_names:
        model = getattr(nlp.get_pipe(name), "model", None)
        block = nlp.config["components"][name].get("model")
        if model is None or not isinstance(block, dict):
            continue
        built = registry.resolve({"model": block})["model"]
        # spacy.load builds the layers from this same config, so the two walks pair up.
        layers = zip(model.walk(), built.walk(), strict=False)
        for position, (saved, configured) in enumerate(layers):
            for key in sorted(set(saved.attrs) & set(configured.attrs) - _NOT_SETTINGS):
                ours, theirs = _comparable(saved.attrs[key]), _comparable(configured.attrs[key])
                if ours is not None and theirs is not None and ours != theirs:
                    differences.append(
                        f"{name}: layer {position} ({saved.name}) {key} is {theirs!r} in"
                        f" config.cfg but {ours!r} in the saved model"
                    )
    return differences


def warm_tokenizer(nlp: Language) -> int:
    """Cache the tokenization of every word of the pipeline's vocabulary; return their number."""
    # Inside a memory zone spaCy's tokenizer caches nothing, so every word of every message
    # went through its prefix, suffix and infix rules, a third of the classifier's time.
    # Cached once here, before any zone, the words the model knows skip those rules for good;
    # a cache hit gives the same tokens as the rules. The words are the model's own
    # vocabulary, so what stays in memory does not grow with what people type.
    # A custom tokenizer (a plain function) has no cache to warm.
    tokenizer: Any = nlp.tokenizer
    if not hasattr(tokenizer, "max_cache_size"):
        return 0
    words = [w for w in nlp.vocab.strings if w and not any(ch.isspace() for ch in w)]
    # Room for the whole vocabulary plus spaCy's own default allowance.
    tokenizer.max_cache_size = max(tokenizer.max_cache_size, len(words) + 10_000)
    for _doc in tokenizer.pipe(words, batch_size=1000):
        pass
    return len(words)


class Classifier:
    """Wrap the spaCy pipeline: per-label thresholds, normalisation, batch prediction."""

    def __init__(
        self,
        nlp: Language,
        thresholds: dict[str, float],
        normalizer: str,
        variant: str = "unknown",
        asking: AskingRule | None = None,
    ) -> None:
        labels = set(getattr(nlp.get_pipe("textcat_multilabel"), "labels", ()))
        if labels != set(FACTOR_IDS):
            raise ModelError(f"model labels {sorted(labels)} differ from the taxonomy")
        if set(thresholds) != set(FACTOR_IDS):
            raise ModelError("thresholds must cover every factor")
        self.nlp = nlp
        self.thresholds = dict(thresholds)
        self.normalizer = normalizer
        self.variant = variant
        self.asking = asking or AskingRule()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path = MODEL_DIR) -> Classifier:
        """Load a trained pipeline directory with its thresholds file."""
        meta_path = path / META_FILE
        if not meta_path.exists():
            raise ModelError(f"no trained model at {path} (run `python bot.py train`)")
        try:
            meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
            thresholds = {str(k): float(v) for k, v in meta["thresholds"].items()}
            normalizer = str(meta.get("normalizer", "fold"))
            variant = str(meta.get("variant", "?"))
            asking = AskingRule.from_meta(meta.get("asking"))
            _warn_if_stale(path, meta.get("corrections"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"{meta_path}: unreadable model metadata ({exc})") from exc
        nlp = spacy.load(path)
        for difference in settings_differences(nlp):
            logger.warning(
                "%s: %s; the saved value is used (retrain to change it)", path, difference
            )
        warm_tokenizer(nlp)
        return cls(nlp, thresholds, normalizer, variant, asking)

    def scores_many(self, texts: Sequence[str], batch_size: int = 256) -> list[dict[str, float]]:
        """Return every factor's raw score for each text (all zero for a text with no words)."""
        prepared = [normalize(text[:MAX_CHARS], self.normalizer) for text in texts]
        results: list[dict[str, float]] = [dict.fromkeys(FACTOR_IDS, 0.0) for _ in prepared]
        todo = [i for i, text in enumerate(prepared) if text]
        # A memory zone frees the strings of each batch: without it every new word a shopkeeper
        # types stays in the vocabulary forever. The zone is shared state: one caller at a time.
        with self._lock, self.nlp.memory_zone():
            docs = self.nlp.pipe((prepared[i] for i in todo), batch_size=batch_size)
            for i, doc in zip(todo, docs, strict=True):
                results[i] = {label: float(doc.cats.get(label, 0.0)) for label in FACTOR_IDS}
        return results

    def decide(self, scores: dict[str, float]) -> list[FactorScore]:
        """Keep the factors at or above their threshold, best first; empty means none."""
        kept = [
            FactorScore(label, score)
            for label, score in scores.items()
            if score >= self.thresholds[label]
        ]
        return sorted(kept, key=lambda f: (-f.score, f.factor))

    def predict(self, text: str) -> list[FactorScore]:
        """Return the factors of one message (empty list: none of the factors)."""
        return self.decide(self.scores_many([text])[0])

    def question(self, text: str) -> Question:
        """Return the first answer to a message: its factors and, if close, another reading."""
        return self.asking.ask(self.scores_many([text])[0], self.thresholds)

    def predict_many(self, texts: Sequence[str]) -> list[list[FactorScore]]:
        """Return the factors of many messages, batched."""
        return [self.decide(scores) for scores in self.scores_many(texts)]


_lock = threading.Lock()
_loaded: dict[Path, Classifier] = {}


def get_classifier(path: Path = MODEL_DIR) -> Classifier:
    """Return the classifier for a model directory, loading it once per process."""
    with _lock:
        if path not in _loaded:
            logger.info("loading classifier from %s", path)
            _loaded[path] = Classifier.load(path)
        return _loaded[path]


def predict(text: str) -> list[FactorScore]:
    """Return the factors of one message with the shipped model."""
    return get_classifier().predict(text)


def predict_many(texts: Sequence[str]) -> list[list[FactorScore]]:
    """Return the factors of many messages with the shipped model."""
    return get_classifier().predict_many(texts)
