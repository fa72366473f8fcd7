"""The suppression gate: nothing under k, and no small group by difference."""

from __future__ import annotations

from bot.shared.gate import nested, parts, visible


def test_a_count_under_k_is_never_shown() -> None:
    assert [visible(n, 5) for n in (0, 4, 5, 12)] == [None, None, 5, 12]
    assert visible(None, 5) is None


def test_a_place_and_the_larger_place_around_it_never_differ_by_a_small_group() -> None:
    # 5 at Flagey, 6 in the region: the region would show one person outside Flagey.
    assert nested([5, 6], 5) == [5, None]
    assert nested([5, 10], 5) == [5, 10]
    assert nested([5, 5], 5) == [5, 5]
    # The core hidden: the territory is compared with nothing smaller.
    assert nested([3, 6], 5) == [None, 6]
    # Core 5, territory 7 hidden, everywhere 9: 9 - 5 = 4 is still a small group.
    assert nested([5, 7, 9], 5) == [5, None, None]
    # Everywhere 10 is 5 more than the core, but only 3 more than the hidden territory.
    assert nested([5, 7, 10], 5) == [5, None, None]
    assert nested([5, 7, 12], 5) == [5, None, 12]
    # A wider count taken earlier (cached) that is now below the core's is not shown.
    assert nested([7, 5, 12], 5) == [7, None, 12]


def test_parts_left_out_are_none_or_at_least_k() -> None:
    assert parts({"a": 6, "b": 5, "c": 2}, 13, 5) == ({"a": 6}, 13)
    assert parts({"a": 6, "b": 5}, 11, 5) == ({"a": 6, "b": 5}, 11)
    assert parts({"a": 6, "b": 5}, 4, 5) == ({}, None)
    assert parts({"a": 9}, 12, 5) == ({}, 12)


def test_only_the_largest_parts_are_shown_when_asked_and_the_rest_is_never_small() -> None:
    # The digest's top cores: at most two shown; the rest (3) would be a small group, so the
    # smaller of the two goes too.
    assert parts({"a": 9, "b": 6, "c": 3}, 18, 5, at_most=2) == ({"a": 9}, 18)
    assert parts({"a": 9, "b": 6, "c": 5}, 20, 5, at_most=2) == ({"a": 9, "b": 6}, 20)
