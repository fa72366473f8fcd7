"""The WHERE part that keeps counted rows inside a partner's or an operator's scope."""

from __future__ import annotations

from collections.abc import Sequence


def in_scope(
    column_territory: str, column_core: str, territories: Sequence[str], cores: Sequence[str]
) -> tuple[str, list[str]]:
    """Return a WHERE part limiting rows to territories (and cores, if named), and its values."""
    if not territories:
        return "0", []
    clause = f"{column_territory} IN ({', '.join('?' for _ in territories)})"
    params = list(territories)
    if cores:
        clause += f" AND {column_core} IN ({', '.join('?' for _ in cores)})"
        params += list(cores)
    return clause, params
