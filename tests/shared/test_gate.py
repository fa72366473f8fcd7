"""The suppression gate: nothing under k, and no small group by difference."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.shared.gate import nested, parts, tree, visible


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


# A territory, its communes and their cores: a hierarchy gated at once.
CHAIN = {"core": "commune", "commune": "territory", "territory": None}


def test_a_hierarchy_shows_nothing_under_k_and_every_key_comes_back() -> None:
    counts = {"territory": 12, "commune": 4, "core": 0}
    assert tree(counts, CHAIN, 5) == {"territory": 12, "commune": None, "core": None}
    # Places outside the hierarchy (no parent) are gated alone.
    assert tree({"a": 5, "b": 3}, {}, 5) == {"a": 5, "b": None}


def test_a_place_and_the_places_shown_inside_it_never_differ_by_a_small_group() -> None:
    # Core 5, commune 7, territory 10: 10 - 7 = 3 hides the commune; then the territory is
    # compared with the core under it (10 - 5 = 5), which may stay.
    assert tree({"core": 5, "commune": 7, "territory": 10}, CHAIN, 5) == {
        "core": 5,
        "commune": None,
        "territory": 10,
    }
    # 9 - 5 = 4: with the commune gone, the core is a small gap away from the territory too.
    assert tree({"core": 5, "commune": 7, "territory": 9}, CHAIN, 5) == {
        "core": None,
        "commune": None,
        "territory": 9,
    }
    # 12 - 7 = 5, but 7 - 5 = 2 in the commune: the core goes.
    assert tree({"core": 5, "commune": 7, "territory": 12}, CHAIN, 5) == {
        "core": None,
        "commune": 7,
        "territory": 12,
    }
    assert tree({"core": 5, "commune": 10, "territory": 15}, CHAIN, 5) == {
        "core": 5,
        "commune": 10,
        "territory": 15,
    }


def test_parts_of_a_place_leave_none_or_at_least_k_people_out() -> None:
    parent = {"a": "t", "b": "t", "c": "t", "t": None}
    # 18 - (9 + 6) = 3: the smaller part goes, leaving 9 out.
    assert tree({"t": 18, "a": 9, "b": 6, "c": 3}, parent, 5) == {
        "t": 18,
        "a": 9,
        "b": None,
        "c": None,
    }
    # 12 - 10 = 2: of two parts of the same size, the first key is hidden.
    assert tree({"t": 12, "a": 5, "b": 5}, parent, 5) == {"t": 12, "a": None, "b": 5}
    assert tree({"t": 10, "a": 5, "b": 5}, parent, 5) == {"t": 10, "a": 5, "b": 5}


def test_a_hidden_child_exposes_its_grandchildren_to_the_place_above() -> None:
    parent = {"t": None, "m": "t", "x": "m", "y": "m", "o": "t"}
    # The commune (8) goes for a gap of 2 under the territory (20 - 10 - 8); its cores (5
    # and 3) are then checked against the territory: 20 - 10 - 5 = 5, the 5 may stay.
    counts = {"t": 20, "m": 8, "x": 5, "y": 3, "o": 10}
    assert tree(counts, parent, 5) == {"t": 20, "m": None, "x": 5, "y": None, "o": 10}
    # Here the grandchild would leave 4 (19 - 10 - 5): it goes too.
    counts = {"t": 19, "m": 8, "x": 5, "y": 3, "o": 10}
    assert tree(counts, parent, 5) == {"t": 19, "m": None, "x": None, "y": None, "o": 10}


def test_a_commune_with_one_core_shows_both_only_when_equal_or_k_apart() -> None:
    parent = {"core": "commune", "commune": None}
    assert tree({"commune": 6, "core": 6}, parent, 5) == {"commune": 6, "core": 6}
    assert tree({"commune": 8, "core": 6}, parent, 5) == {"commune": 8, "core": None}
    assert tree({"commune": 11, "core": 6}, parent, 5) == {"commune": 11, "core": 6}


def test_more_people_inside_than_around_is_a_breach_too() -> None:
    # Someone who moved counts in both cores but once in the commune: 15 - (6 + 10) = -1.
    parent = {"a": "m", "b": "m", "m": None}
    assert tree({"m": 15, "a": 6, "b": 10}, parent, 5) == {"m": 15, "a": None, "b": 10}
    # Without the smaller core, 9 - 5 = 4 is a small group again: both go.
    assert tree({"m": 9, "a": 5, "b": 5}, parent, 5) == {"m": 9, "a": None, "b": None}
    # A place counting fewer than one inside it is never shown with it.
    assert tree({"m": 5, "a": 6}, parent, 5) == {"m": 5, "a": None}


def test_a_parent_without_a_count_passes_its_children_through() -> None:
    parent = {"t": None, "m": "t", "x": "m"}
    assert tree({"t": 8, "x": 5}, parent, 5) == {"t": 8, "x": None}
    assert tree({"t": 10, "x": 5}, parent, 5) == {"t": 10, "x": 5}


def test_a_hierarchy_that_loops_is_refused() -> None:
    with pytest.raises(ValueError, match="loops"):
        tree({"a": 5}, {"a": "b", "b": "a"}, 5)


@st.composite
def hierarchies(draw: st.DrawFn) -> tuple[dict[str, int], dict[str, str | None], int]:
    size = draw(st.integers(1, 9))
    names = [f"n{i}" for i in range(size)]
    parent: dict[str, str | None] = {}
    for i, name in enumerate(names):
        parent[name] = draw(st.sampled_from([None, *names[:i]]))
    counted = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    counts = {name: draw(st.integers(0, 25)) for name in counted}
    return counts, parent, draw(st.integers(1, 6))


@given(hierarchies())
@settings(max_examples=400, deadline=None)
def test_what_the_tree_gate_shows_never_gives_a_small_group_away(
    case: tuple[dict[str, int], dict[str, str | None], int],
) -> None:
    counts, parent, k = case
    gated = tree(counts, parent, k)
    assert set(gated) == set(counts)
    shown = {name for name, value in gated.items() if value is not None}
    for name in shown:
        assert gated[name] == counts[name] >= k
        inner = _maximal_shown_descendants(name, parent, shown)
        rest = counts[name] - sum(counts[d] for d in inner)
        assert rest == 0 or rest >= k, (name, rest)
    # Stable: gating what is shown again hides nothing more.
    assert tree({n: counts[n] for n in shown}, parent, k) == {n: counts[n] for n in shown}


def _maximal_shown_descendants(
    name: str, parent: dict[str, str | None], shown: set[str]
) -> list[str]:
    """Brute force: shown places under `name` with no shown place on the way up to it."""
    found = []
    for other in shown - {name}:
        up = parent.get(other)
        while up is not None and up != name and up not in shown:
            up = parent.get(up)
        if up == name:
            found.append(other)
    return found
