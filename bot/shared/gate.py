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
