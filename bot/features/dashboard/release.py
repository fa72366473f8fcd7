"""Decide once which frozen counts of a week may be shown, across every place and period.

Every view and export of the dashboard reads the same frozen figures: a place (a core, a
commune, a territory, a partner's scope) over a window (the week, the 4 weeks or the quarter
ending with it). A person who can change the filters can subtract any two numbers, so the gate
is applied to all of them together, not to one table at a time:

- a count under k is hidden;
- where one group contains another (a core inside its territory, the week inside its quarter,
  or both), the two shown counts never differ by 1 to k-1: the smaller one is hidden;
- where places split a larger one (the communes of a territory, the cores of a commune or of
  a partner's scope), what the shown parts leave of a shown whole is none or at least k
  (`bot.shared.gate.tree`, the digests' rule for parts).

The result depends only on the frozen figures, so it is the same whichever view asks first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set

from bot.features.dashboard.periods import PERIODS, SPAN
from bot.shared.gate import tree

# Weeks a window spans, by a period's name as nodes carry it.
_SPAN: dict[str, int] = {str(period): weeks for period, weeks in SPAN.items()}
# The earlier weeks a window of this week can contain a window of (the quarter: 12).
HISTORY = max(SPAN.values()) - 1
Node = tuple[str, str]


def release(
    counts: Mapping[Node, int],
    places: Mapping[str, frozenset[str]],
    trees: Sequence[Mapping[str, str | None]],
    k: int,
    hidden: Set[Node] = frozenset(),
) -> dict[Node, int | None]:
    """Return every (place, period) count, or None where it must stay hidden.

    `places` gives each place its set of cores (what contains what); `trees` are the ways
    places split into parts, each a child -> parent map; `hidden` are nodes already known
    to stay hidden (by a rule across metrics or weeks), whose neighbours are gated anew.
    """
    shown: dict[Node, int | None] = {
        node: (count if count >= k and node not in hidden else None)
        for node, count in counts.items()
    }
    # Every (smaller, larger) pair of nodes where the larger contains the smaller.
    keys = sorted(places)
    containing: dict[str, list[str]] = {
        a: [b for b in keys if b != a and places[a] <= places[b]] for a in keys
    }
    pairs: list[tuple[Node, Node]] = []
    for place, bigger in containing.items():
        for period in PERIODS:
            small: Node = (place, period)
            if small not in counts:
                continue
            for larger_period in PERIODS[PERIODS.index(period) :]:
                for other in [place, *bigger]:
                    large: Node = (other, larger_period)
                    if large != small and large in counts:
                        pairs.append((small, large))
    changed = True
    while changed:
        changed = False
        for small, large in pairs:
            a, b = shown.get(small), shown.get(large)
            if a is not None and b is not None and 0 < b - a < k:
                shown[small] = None
                changed = True
        for parents in trees:
            for period in PERIODS:
                part = {
                    place: value
                    for place in parents.keys() | {p for p in parents.values() if p}
                    if (value := shown.get((place, period))) is not None
                }
                if not part:
                    continue
                gated = tree(
                    {place: counts[(place, period)] for place in part}
                    | {
                        place: 0
                        for place in parents.keys() | {p for p in parents.values() if p}
                        if place not in part
                    },
                    dict(parents),
                    k,
                )
                for place, value in part.items():
                    if gated.get(place) is None and value is not None:
                        shown[(place, period)] = None
                        changed = True
    return shown


def inside_earlier(
    now: Mapping[Node, int | None],
    earlier: Sequence[Mapping[Node, int | None]],
    places: Mapping[str, frozenset[str]],
    k: int,
) -> set[Node]:
    """Return this week's shown nodes that differ by 1 to k-1 from a group they contain.

    A window contains the shorter windows of earlier weeks that end inside it (the quarter
    ending in W contains the week W-1 and the 4 weeks ending in W-9, not the 4 weeks ending
    in W-10), in the same place or a place inside it. `earlier[j - 1]` is what may be shown
    of the week W-j (a superset of what is: hiding more is safe). Those are published
    already, so the larger, this week's, is the one to hide.
    """
    keys = sorted(places)
    containing = {a: [b for b in keys if places[a] <= places[b]] for a in keys}
    bad: set[Node] = set()
    for back, values in enumerate(earlier, start=1):
        for (small_place, small_period), small in values.items():
            if small is None or small_place not in containing:
                continue
            for period in PERIODS:
                if _SPAN[small_period] > _SPAN[period] - back:
                    continue
                for place in containing[small_place]:
                    large = now.get((place, period))
                    if large is not None and 0 < large - small < k:
                        bad.add((place, period))
    return bad

