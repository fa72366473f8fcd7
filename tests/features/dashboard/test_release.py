"""The dashboard's one gate over every place and period of a week (release.py)."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.dashboard.release import PERIODS, release

K = 3
PLACES = {
    "territory:t": frozenset({"a", "b", "c", "@t"}),
    "commune:t:x": frozenset({"a", "b"}),
    "core:a": frozenset({"a"}),
    "core:b": frozenset({"b"}),
    "core:c": frozenset({"c"}),
    "partner:1": frozenset({"a", "c"}),
}
TREES = [
    {"commune:t:x": "territory:t", "core:a": "commune:t:x", "core:b": "commune:t:x",
     "core:c": "territory:t"},
    {"core:a": "partner:1", "core:c": "partner:1"},
]  # fmt: skip


def _counts(**by: int) -> dict[tuple[str, str], int]:
    """Fill every node: given ones as said, others consistent enough (0)."""
    out = {(place, period): 0 for place in PLACES for period in PERIODS}
    for key, value in by.items():
        place, period = key.rsplit("__", 1)
        out[(place.replace("_", ":", 1), period)] = value
    return out


def test_a_count_under_k_is_hidden_and_zero_too() -> None:
    counts = _counts(**{"core_a__week": 2, "territory_t__week": 9})
    shown = release(counts, PLACES, TREES, K)
    assert shown[("core:a", "week")] is None
    assert shown[("core:b", "week")] is None


def test_a_place_inside_another_never_differs_by_a_small_group() -> None:
    counts = {node: 0 for node in itertools.product(PLACES, PERIODS)}
    counts[("territory:t", "week")] = 6
    counts[("commune:t:x", "week")] = 5
    counts[("core:a", "week")] = 5
    shown = release(counts, PLACES, TREES, K)
    # 6 - 5 = 1: the smaller is hidden wherever it would sit next to the larger.
    assert shown[("territory:t", "week")] == 6
    assert shown[("commune:t:x", "week")] is None
    assert shown[("core:a", "week")] is None


def test_a_week_inside_its_quarter_never_differs_by_a_small_group() -> None:
    counts = {node: 0 for node in itertools.product(PLACES, PERIODS)}
    counts[("core:a", "week")] = 4
    counts[("core:a", "4w")] = 5
    counts[("core:a", "quarter")] = 9
    counts[("territory:t", "quarter")] = 20
    counts[("territory:t", "4w")] = 12
    counts[("territory:t", "week")] = 8
    shown = release(counts, PLACES, TREES, K)
    assert shown[("core:a", "week")] is None  # 5 - 4 = 1 against its own 4 weeks
    assert shown[("core:a", "4w")] == 5
    # And across both: a core's week inside its territory's quarter.
    assert shown[("territory:t", "quarter")] == 20


def test_parts_leave_none_or_at_least_k() -> None:
    counts = {node: 0 for node in itertools.product(PLACES, PERIODS)}
    counts[("partner:1", "week")] = 10
    counts[("core:a", "week")] = 8
    counts[("core:c", "week")] = 1
    shown = release(counts, PLACES, TREES, K)
    # 10 - 8 = 2 people in core c: core a cannot be shown next to the partner's total.
    assert shown[("partner:1", "week")] == 10
    assert shown[("core:a", "week")] is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_no_two_shown_nested_counts_give_a_small_group_away(seed: int) -> None:
    rng = random.Random(seed)
    # Consistent counts: people per core and window, windows nested, places summed.
    people: dict[tuple[str, str], set[int]] = {}
    for core in ("a", "b", "c", "@t"):
        week = set(rng.sample(range(1000), rng.randrange(0, 8)))
        four = week | set(rng.sample(range(1000, 2000), rng.randrange(0, 6)))
        quarter = four | set(rng.sample(range(2000, 3000), rng.randrange(0, 6)))
        for period, group in zip(PERIODS, (week, four, quarter), strict=True):
            people[(core, period)] = {hash((core, p)) for p in group}
    counts = {
        (place, period): len(set().union(*(people[(c, period)] for c in cores)))
        for place, cores in PLACES.items()
        for period in PERIODS
    }
    shown = release(counts, PLACES, TREES, K)
    for (p1, w1), (p2, w2) in itertools.product(counts, counts):
        a, b = shown[(p1, w1)], shown[(p2, w2)]
        inside = PLACES[p1] <= PLACES[p2] and PERIODS.index(w1) <= PERIODS.index(w2)
        if a is not None and b is not None and inside and (p1, w1) != (p2, w2):
            assert not 0 < b - a < K, ((p1, w1, a), (p2, w2, b))
    for value in shown.values():
        assert value is None or value >= K
