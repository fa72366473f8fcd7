"""The one suppression gate for every number people see: k, and no small group by difference.

A count under k is never shown. Numbers shown together must not give away a group of 1 to
k-1 people by subtraction: a place and the larger place around it (a core and its territory),
or parts and their total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def visible(count: int | None, k: int) -> int | None:
    """Return the count if at least k, else None (shown as "fewer than k")."""
    return count if count is not None and count >= k else None


def nested(counts: Sequence[int], k: int) -> list[int | None]:
    """Gate counts of places each inside the next (core, territory, everywhere).

    Each is shown only when at least k, and only when it differs from the nearest smaller
    place shown by 0 or by k or more: else the difference would be a small group. A larger
    place counted earlier (a cached figure) that shows fewer than the smaller one is hidden
    too: it would read as nonsense, and its gap could be small.
    """
    shown: list[int | None] = []
    # Every smaller place of k or more, shown or not: a place hidden for its small gap must
    # not be recoverable from the next one out either ([5, 7, 10] would prove 10 - 7 = 3).
    inners: list[int] = []
    for count in counts:
        value = visible(count, k)
        if value is not None and any(value != inner and value - inner < k for inner in inners):
            value = None
        shown.append(value)
        if count is not None and count >= k:
            inners.append(count)
    return shown


def parts(
    counts: Mapping[str, int], total: int, k: int, at_most: int | None = None
) -> tuple[dict[str, int], int | None]:
    """Gate parts and their total: hidden parts together are none or at least k people.

    Return the parts shown (the `at_most` largest, if given) and the total (None when under
    k). Parts are hidden smallest first until what is hidden cannot be a small group.
    """
    shown_total = visible(total, k)
    if shown_total is None:
        return {}, None
    big = sorted((n, name) for name, n in counts.items() if n >= k)[::-1]
    shown = {name: n for n, name in big[:at_most]}
    while shown and 0 < total - sum(shown.values()) < k:
        smallest = min(shown, key=lambda name: (shown[name], name))
        del shown[smallest]
    return shown, shown_total


def tree(
    counts: Mapping[str, int], parent: Mapping[str, str | None], k: int
) -> dict[str, int | None]:
    """Gate counts of places nested in a hierarchy (territory, commune, core; a partner's cores).

    A count under k is hidden. A place shown with the places shown just inside it (its
    shown descendants with no shown place between) would tell, by subtraction, the people
    in the rest of it: that rest must be none or at least k. Distinct people are not exactly
    additive (someone who moved counts in two cores, once in the territory), so a rest below
    zero is refused too: it would say some people count twice. On a breach the smallest of
    those inner places is hidden (ties by key), which exposes its own shown places in turn,
    until every shown place passes. Places are checked from the top down, so a gap is closed
    by the place right under it, sparing smaller places further in when they pass on their
    own. Gate the whole hierarchy once and show parts of the result: gating one branch alone
    can show a number the whole hierarchy's gate hides, and the two views would subtract.

    `parent` maps a place to the place around it (None, or absent, at the top); a parent
    without a count of its own passes its children through to the places above it. Return
    every key of `counts`, with None where hidden.
    """
    children: dict[str, list[str]] = {}
    for node, up in parent.items():
        if up is not None:
            children.setdefault(up, []).append(node)
    depth = {node: _depth(node, parent) for node in counts}
    order = sorted(counts, key=lambda node: (depth[node], node))
    shown = {node for node in order if counts[node] >= k}

    def inner(node: str) -> list[str]:
        """Return the shown places inside `node` with no shown place between."""
        found: list[str] = []
        stack = list(children.get(node, ()))
        while stack:
            child = stack.pop()
            if child in shown:
                found.append(child)
            else:
                stack.extend(children.get(child, ()))
        return found

    changed = True
    while changed:
        changed = False
        for node in order:
            while node in shown:
                tops = inner(node)
                rest = counts[node] - sum(counts[top] for top in tops)
                if not tops or rest == 0 or rest >= k:
                    break
                shown.discard(min(tops, key=lambda top: (counts[top], top)))
                changed = True
    return {node: counts[node] if node in shown else None for node in counts}


def _depth(node: str, parent: Mapping[str, str | None]) -> int:
    """Return how many places are around `node`; refuse a hierarchy with a cycle."""
    seen = {node}
    up = parent.get(node)
    while up is not None:
        if up in seen:
            raise ValueError(f"the hierarchy loops through {up!r}")
        seen.add(up)
        up = parent.get(up)
    return len(seen) - 1
