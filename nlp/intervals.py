"""How far the held-out figures could move by the choice of messages alone (paired bootstrap).

`python -m nlp.intervals` scores the shipped model and the TF-IDF baseline on each held-out
part, cross-fitted as in `bot.py train`, and prints each macro F1 and their difference with a
95% interval, overall and per language.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.corpus import Example, heldout_of, read_heldout_parts, read_training_corpus
from nlp.metrics import Interval, paired_bootstrap
from nlp.taxonomy import LANGS


@dataclass(frozen=True)
class IntervalRow:
    """Hold one part's (or one language's) figures for the model, the baseline, the gap."""

    part: str
    lang: str
    size: int
    model: Interval
    baseline: Interval
    difference: Interval


def interval_rows(
    part: str,
    examples: Sequence[Example],
    model: Sequence[frozenset[str]],
    baseline: Sequence[frozenset[str]],
    rounds: int = 2000,
    seed: int = 0,
) -> list[IntervalRow]:
    """Bootstrap the part as a whole and each of its languages separately."""
    gold = [frozenset(e.labels) for e in examples]
    rows: list[IntervalRow] = []
    for lang in ("all", *LANGS):
        idx = [i for i, e in enumerate(examples) if lang in ("all", e.lang)]
        if not idx:
            continue
        first, second, gap = paired_bootstrap(
            [gold[i] for i in idx],
            [model[i] for i in idx],
            [baseline[i] for i in idx],
            rounds=rounds,
            seed=seed,
        )
        rows.append(IntervalRow(part, lang, len(idx), first, second, gap))
    return rows


def _cell(interval: Interval, signed: bool = False) -> str:
    form = "{:+.3f}" if signed else "{:.3f}"
    return (
        f"{form.format(interval.value)} "
        f"[{form.format(interval.low)}, {form.format(interval.high)}]"
    )


def format_rows(rows: Sequence[IntervalRow]) -> str:
    """Lay the rows out as a plain table, intervals in brackets."""
    lines = [
        f"{'part':<5} {'lang':<4} {'n':>4}  {'model':<22} {'baseline':<22} model - baseline",
    ]
    for row in rows:
        lines.append(
            f"{row.part:<5} {row.lang:<4} {row.size:>4}  {_cell(row.model):<22} "
            f"{_cell(row.baseline):<22} {_cell(row.difference, signed=True)}"
        )
    return "\n".join(lines)


def heldout_intervals(model_dir: Path, rounds: int = 2000, seed: int = 0) -> list[IntervalRow]:
    """Score the model in `model_dir` and the baseline on the held-out parts, cross-fitted."""
    # Imported here: training pulls in spaCy's trainer and the baseline scikit-learn.
    from nlp.baseline import TfidfBaseline
    from nlp.classifier import Classifier
    from nlp.train import crossfit

    parts = read_heldout_parts()
    heldout = heldout_of(parts)
    classifier = Classifier.load(model_dir)
    baseline = TfidfBaseline().fit(read_training_corpus(), heldout)
    rows: list[IntervalRow] = []
    for name, examples in sorted(parts.items()):
        gold = [frozenset(e.labels) for e in examples]
        texts = [e.text for e in examples]
        ours, _, _ = crossfit(gold, classifier.scores_many(texts), with_taps=False)
        theirs, _, _ = crossfit(gold, baseline.scores_many(texts), with_taps=False)
        rows += interval_rows(name, examples, ours, theirs, rounds, seed)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Print the intervals of the shipped model against the baseline."""
    from nlp.classifier import MODEL_DIR

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = heldout_intervals(args.model, args.rounds, args.seed)
    print(f"Macro F1, cross-fitted, 95% paired bootstrap intervals ({args.rounds} rounds):")
    print(format_rows(rows))


if __name__ == "__main__":
    main()
