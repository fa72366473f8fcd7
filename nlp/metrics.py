"""Score multi-label predictions: per label, micro and macro F1, exact match, mistakes."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy

from nlp.taxonomy import FACTOR_IDS

LabelSet = frozenset[str]


@dataclass(frozen=True)
class LabelScore:
    """Hold precision, recall, F1 and support of one label."""

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


@dataclass(frozen=True)
class Scores:
    """Hold the figures of one evaluation."""

    n: int
    per_label: dict[str, LabelScore]
    micro_f1: float
    macro_f1: float
    exact_match: float
    none_correct: float | None
    none_support: int


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(
    gold: Sequence[LabelSet], predicted: Sequence[LabelSet], labels: Sequence[str] = FACTOR_IDS
) -> Scores:
    """Compare gold and predicted label sets message by message.

    Macro F1 averages over the labels that occur in the gold or the predictions of this set, so
    a subset without any message of a label is not scored on it.
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    per_label: dict[str, LabelScore] = {}
    total_tp = total_fp = total_fn = 0
    for label in labels:
        tp = sum(label in g and label in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, predicted, strict=True))
        total_tp, total_fp, total_fn = total_tp + tp, total_fp + fp, total_fn + fn
        precision, recall, f1 = _f1(tp, fp, fn)
        per_label[label] = LabelScore(precision, recall, f1, tp + fn, tp + fp)
    scored = [s.f1 for s in per_label.values() if s.support or s.predicted]
    nones = [p for g, p in zip(gold, predicted, strict=True) if not g]
    # A set of "none" messages all left empty has no label to get wrong: a perfect 1.0.
    nothing_to_score = not scored
    return Scores(
        n=len(gold),
        per_label=per_label,
        micro_f1=1.0 if nothing_to_score else _f1(total_tp, total_fp, total_fn)[2],
        macro_f1=1.0 if nothing_to_score else sum(scored) / len(scored),
        exact_match=sum(g == p for g, p in zip(gold, predicted, strict=True)) / max(len(gold), 1),
        none_correct=sum(not p for p in nones) / len(nones) if nones else None,
        none_support=len(nones),
    )


def frequent_mistakes(
    gold: Sequence[LabelSet], predicted: Sequence[LabelSet], top: int = 10
) -> list[tuple[str, int]]:
    """Count the commonest mistakes: 'A read as B', 'A missed', 'B added', '(none) read as B'."""
    counts: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        missed = sorted(g - p)
        added = sorted(p - g)
        if not g and added:
            counts.update(f"(none) read as {a}" for a in added)
            continue
        while missed and added:
            counts[f"{missed.pop(0)} read as {added.pop(0)}"] += 1
        counts.update(f"{m} missed" for m in missed)
        counts.update(f"{a} added" for a in added)
    return counts.most_common(top)


@dataclass(frozen=True)
class Interval:
    """Hold a figure and the bootstrap percentile interval around it."""

    value: float
    low: float
    high: float


def _percentile(values: Sequence[float], share: float) -> float:
    # numpy's default: linear interpolation between the closest ranks.
    return float(numpy.percentile(values, share * 100))


def paired_bootstrap(
    gold: Sequence[LabelSet],
    first: Sequence[LabelSet],
    second: Sequence[LabelSet],
    rounds: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[Interval, Interval, Interval]:
    """Return intervals of two systems' macro F1 and of their difference, resampling messages.

    Both systems are scored on the same resampled messages each round, so the interval of the
    difference reflects how much of it the choice of test messages alone could make or undo.
    The predictions are fixed: what was tuned to produce them is not redone per round.
    """
    if not len(gold) == len(first) == len(second):
        raise ValueError("gold and predictions differ in length")
    if not gold:
        raise ValueError("no messages to resample")
    if rounds < 1 or not 0.0 < level < 1.0:
        raise ValueError("rounds must be positive and level between 0 and 1")
    rng = random.Random(seed)
    indices = range(len(gold))
    firsts: list[float] = []
    seconds: list[float] = []
    for _ in range(rounds):
        sample = rng.choices(indices, k=len(gold))
        g = [gold[i] for i in sample]
        firsts.append(score(g, [first[i] for i in sample]).macro_f1)
        seconds.append(score(g, [second[i] for i in sample]).macro_f1)
    differences = [a - b for a, b in zip(firsts, seconds, strict=True)]
    tail = (1.0 - level) / 2

    def interval(value: float, values: list[float]) -> Interval:
        return Interval(value, _percentile(values, tail), _percentile(values, 1.0 - tail))

    whole_first = score(gold, first).macro_f1
    whole_second = score(gold, second).macro_f1
    return (
        interval(whole_first, firsts),
        interval(whole_second, seconds),
        interval(whole_first - whole_second, differences),
    )
