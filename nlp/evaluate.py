"""Score the shipped classifier (and the TF-IDF baseline) on any labelled JSON Lines file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.asking import AskingRule, mean_taps
from nlp.classifier import MODEL_DIR, Classifier
from nlp.corpus import (
    CorpusError,
    Example,
    heldout_of,
    read_examples,
    read_heldout_parts,
    read_training_corpus,
)
from nlp.metrics import Scores, frequent_mistakes, score
from nlp.taxonomy import FACTOR_IDS, LANGS


def _fmt(value: float | None) -> str:
    return "  —  " if value is None else f"{value:.3f}"


def _summary(name: str, scores: Scores) -> str:
    return (
        f"{name:<10} n={scores.n:<4} macro_f1={scores.macro_f1:.3f} micro_f1={scores.micro_f1:.3f}"
        f" exact={scores.exact_match:.3f} none_ok={_fmt(scores.none_correct)}"
        f" (of {scores.none_support})"
    )


@dataclass(frozen=True)
class Taps:
    """Hold the mean taps to the right factors with the plain question and the tuned one."""

    plain: float
    asking: float
    rule: AskingRule


def evaluation_report(
    examples: Sequence[Example],
    predicted: Sequence[frozenset[str]],
    baseline: Sequence[frozenset[str]] | None,
    taps: Taps | None = None,
) -> tuple[str, Scores]:
    """Build the printed report; return it with the overall scores of the model."""
    gold = [frozenset(e.labels) for e in examples]
    overall = score(gold, predicted)
    lines = [f"Evaluated {len(examples)} messages.", "", "== spaCy classifier"]
    lines.append(_summary("all", overall))
    for lang in LANGS:
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        if idx:
            subset = score([gold[i] for i in idx], [predicted[i] for i in idx])
            lines.append(_summary(lang, subset))
    lines += ["", f"{'label':<22} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}"]
    for label in FACTOR_IDS:
        s = overall.per_label[label]
        lines.append(f"{label:<22} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.support:8d}")
    lines += ["", "Most frequent mistakes:"]
    lines += [f"  {count:3d}  {what}" for what, count in frequent_mistakes(gold, predicted)]
    if baseline is not None:
        base = score(gold, baseline)
        lines += ["", "== baseline: TF-IDF word+char n-grams, one-vs-rest logistic regression"]
        lines.append(_summary("all", base))
        for lang in LANGS:
            idx = [i for i, e in enumerate(examples) if e.lang == lang]
            if idx:
                lines.append(
                    _summary(lang, score([gold[i] for i in idx], [baseline[i] for i in idx]))
                )
        lines.append(f"spaCy minus baseline, macro F1: {overall.macro_f1 - base.macro_f1:+.3f}")
    if taps is not None:
        lines += [
            "",
            "== taps to reach exactly the right factors (simulated, mean per message)",
            f"plain question (Yes / Change):          {taps.plain:.3f}",
            f"with the close runner-up offered ({taps.rule.mode}, ratio {taps.rule.ratio:.2f}):"
            f" {taps.asking:.3f}",
        ]
    lines.append(f"macro_f1={overall.macro_f1:.3f}")
    return "\n".join(lines), overall


def evaluate_file(path: Path, model_dir: Path = MODEL_DIR, with_baseline: bool = True) -> str:
    """Evaluate the model (and the baseline, trained on the training corpus) on a file."""
    examples = read_examples(path)
    if not examples:
        raise CorpusError(f"{path}: no labelled messages to evaluate")
    classifier = Classifier.load(model_dir)
    texts = [e.text for e in examples]
    raw = classifier.scores_many(texts)
    predicted = [frozenset(f.factor for f in classifier.decide(s)) for s in raw]
    gold = [frozenset(e.labels) for e in examples]
    taps = Taps(
        plain=mean_taps(AskingRule(), raw, gold, classifier.thresholds),
        asking=mean_taps(classifier.asking, raw, gold, classifier.thresholds),
        rule=classifier.asking,
    )
    baseline: list[frozenset[str]] | None = None
    note = ""
    if with_baseline:
        from nlp.baseline import TfidfBaseline

        try:
            model = TfidfBaseline()
        except ImportError:
            note = "(baseline skipped: scikit-learn is not installed; `make test` installs it)\n"
        else:
            heldout = heldout_of(read_heldout_parts())
            baseline = model.fit(read_training_corpus(), heldout).predict_many(texts)
    report, _ = evaluation_report(examples, predicted, baseline, taps)
    return note + report
