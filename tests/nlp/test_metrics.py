"""Scoring and threshold tuning on small hand-made cases."""

from __future__ import annotations

import pytest

from nlp.metrics import _percentile, frequent_mistakes, paired_bootstrap, score
from nlp.taxonomy import FACTOR_IDS
from nlp.train import tune_thresholds

F = frozenset


def test_perfect_and_empty_predictions() -> None:
    gold = [F({"staff"}), F({"roadworks", "rent_premises"}), F()]
    perfect = score(gold, gold)
    assert perfect.macro_f1 == perfect.micro_f1 == perfect.exact_match == 1.0
    assert perfect.none_correct == 1.0 and perfect.none_support == 1
    empty = score(gold, [F(), F(), F()])
    assert empty.micro_f1 == 0.0 and empty.exact_match == pytest.approx(1 / 3)


def test_per_label_counts_and_macro_over_seen_labels() -> None:
    gold = [F({"staff"}), F({"staff"}), F({"roadworks"})]
    pred = [F({"staff"}), F(), F({"roadworks", "staff"})]
    s = score(gold, pred)
    staff = s.per_label["staff"]
    assert (staff.precision, staff.recall, staff.support) == (0.5, 0.5, 2)
    assert s.per_label["roadworks"].f1 == 1.0
    assert s.macro_f1 == pytest.approx((0.5 + 1.0) / 2)


def test_frequent_mistakes_pairs_missed_with_added() -> None:
    gold = [F({"roadworks"}), F({"roadworks"}), F(), F({"staff"})]
    pred = [F({"mobility_parking"}), F({"mobility_parking"}), F({"staff"}), F()]
    mistakes = dict(frequent_mistakes(gold, pred))
    assert mistakes == {
        "roadworks read as mobility_parking": 2,
        "(none) read as staff": 1,
        "staff missed": 1,
    }


def test_tuned_thresholds_separate_scores() -> None:
    gold = [F({"staff"})] * 5 + [F()] * 5
    scores = [dict.fromkeys(FACTOR_IDS, 0.0) | {"staff": 0.3} for _ in range(5)] + [
        dict.fromkeys(FACTOR_IDS, 0.0) | {"staff": 0.1} for _ in range(5)
    ]
    thresholds = tune_thresholds(gold, scores)
    assert set(thresholds) == set(FACTOR_IDS)
    assert 0.1 < thresholds["staff"] <= 0.3


def test_each_label_gets_its_own_threshold() -> None:
    # staff positives score 0.3 (negatives 0.1); roadworks positives 0.8 (negatives 0.6).
    gold = [F({"staff"}), F({"staff"}), F({"roadworks"}), F({"roadworks"}), F(), F()]
    base = dict.fromkeys(FACTOR_IDS, 0.0)
    scores = [
        base | {"staff": 0.3, "roadworks": 0.6},
        base | {"staff": 0.3, "roadworks": 0.6},
        base | {"staff": 0.1, "roadworks": 0.8},
        base | {"staff": 0.1, "roadworks": 0.8},
        base | {"staff": 0.1, "roadworks": 0.6},
        base | {"staff": 0.1, "roadworks": 0.6},
    ]
    thresholds = tune_thresholds(gold, scores)
    assert thresholds["roadworks"] > thresholds["staff"]
    assert 0.1 < thresholds["staff"] <= 0.3


def test_all_none_and_all_right_is_perfect() -> None:
    s = score([F(), F()], [F(), F()])
    assert s.macro_f1 == s.micro_f1 == 1.0 and s.none_correct == 1.0


def _systems(n: int) -> tuple[list[frozenset[str]], list[frozenset[str]], list[frozenset[str]]]:
    """Gold, a system right on 3 of 4 messages, and one right on 1 of 4, cycling labels."""
    labels = ["staff", "roadworks", "rent_premises"]
    gold = [F({labels[i % 3]}) for i in range(n)]
    good = [g if i % 4 else F() for i, g in enumerate(gold)]
    poor = [g if i % 4 == 0 else F() for i, g in enumerate(gold)]
    return gold, good, poor


def test_paired_bootstrap_brackets_the_figures_and_the_gap() -> None:
    gold, good, poor = _systems(120)
    first, second, gap = paired_bootstrap(gold, good, poor, rounds=300)
    assert first.value == score(gold, good).macro_f1
    assert second.value == score(gold, poor).macro_f1
    assert gap.value == pytest.approx(first.value - second.value)
    for interval in (first, second, gap):
        assert interval.low <= interval.value <= interval.high
        assert interval.low < interval.high
    # F1 0.857 against 0.4 on 120 messages: a gap that no resample comes close to closing.
    assert gap.low > 0.2


def test_paired_bootstrap_of_one_system_against_itself_has_no_gap() -> None:
    gold, good, _ = _systems(40)
    first, second, gap = paired_bootstrap(gold, good, good, rounds=200)
    assert first == second
    assert (gap.value, gap.low, gap.high) == (0.0, 0.0, 0.0)


def test_paired_bootstrap_narrows_with_more_messages_and_repeats_with_its_seed() -> None:
    few = paired_bootstrap(*_systems(24), rounds=400)[2]
    many = paired_bootstrap(*_systems(480), rounds=400)[2]
    assert many.high - many.low < (few.high - few.low) / 2
    assert paired_bootstrap(*_systems(24), rounds=400)[2] == few
    assert paired_bootstrap(*_systems(24), rounds=400, seed=1)[2] != few


def test_paired_bootstrap_refuses_bad_input() -> None:
    gold, good, poor = _systems(8)
    with pytest.raises(ValueError):
        paired_bootstrap(gold, good, poor[:-1])
    with pytest.raises(ValueError):
        paired_bootstrap([], [], [])
    with pytest.raises(ValueError):
        paired_bootstrap(gold, good, poor, level=1.0)


def test_percentiles_interpolate_between_ranks_as_numpy_does() -> None:
    assert _percentile([1.0, 2.0], 0.025) == pytest.approx(1.025)
    assert _percentile([7.0], 0.975) == 7.0
    values = [float(v) for v in range(2000)]
    assert _percentile(values, 0.025) == pytest.approx(49.975)
    assert _percentile(values, 0.975) == pytest.approx(1949.025)
    assert (_percentile(values, 0.0), _percentile(values, 1.0)) == (0.0, 1999.0)


def test_a_lower_level_gives_a_narrower_interval_inside_the_wider_one() -> None:
    gold, good, poor = _systems(60)
    wide = paired_bootstrap(gold, good, poor, rounds=500, level=0.95)[2]
    narrow = paired_bootstrap(gold, good, poor, rounds=500, level=0.5)[2]
    assert wide.low < narrow.low <= narrow.high < wide.high
