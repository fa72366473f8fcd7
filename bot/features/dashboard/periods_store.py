"""Aggregate queries for the dashboard's periods, and the frozen figures they give.

Every place of a window is counted in one query: a `VALUES` list maps each core to every
place containing it (its own, its commune, its territory, partners' scopes), so the window's
voices are read once, in time order, whatever the number of places.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.storage.database import Database

# Places per query: SQLite limits the parameters of one statement (32,766 in most builds).
MAX_PAIRS = 15_000
# Frozen figures written per statement.
ROWS_PER_INSERT = 200

# A core, or "@<territory>" for voices given before a core was chosen, and a place key.
Pair = tuple[str, str]
Frozen = tuple[str, str, str]


def unplaced(territory: str) -> str:
    """Return the join key of a territory's voices without a core."""
    return f"@{territory}"


def _places(pairs: Sequence[Pair]) -> tuple[str, list[str]]:
    """Return the `places` CTE mapping join keys to place keys, and its parameters."""
    values = ", ".join("(?, ?)" for _ in pairs)
    return f"WITH places(core_id, place) AS (VALUES {values})", [x for p in pairs for x in p]


# A row's join key: its core, or its territory's for a voice given without a core.
_VOICE_KEY = "COALESCE(cf.core_id, '@' || cf.territory_id)"
_ANSWER_KEY = "COALESCE(f.core_id, '@' || f.territory_id)"


def _voices(pairs: Sequence[Pair], columns: str) -> str:
    """Return the CTE `v`: the window's raised voices with their join key, and `columns`.

    They are read in time order from the partial index that starts with the time. When each
    key belongs to several places (every place frozen at once), each person is kept once per
    key and what is counted first (most say the same thing several times in a quarter): a
    third less to join and sort. For one place, that would only add a sort.
    """
    shared = len(pairs) >= 2 * len({key for key, _ in pairs})
    how = "MATERIALIZED (SELECT DISTINCT" if shared else "NOT MATERIALIZED (SELECT"
    return (
        f"v AS {how} {_VOICE_KEY} AS k, cf.role AS role, {columns} FROM concern_factors cf"
        " WHERE cf.kind = 'raised' AND cf.confirmed_at >= ? AND cf.confirmed_at < ?"
        " AND cf.role IS NOT NULL)"
    )


# Every count joins with CROSS JOIN: it keeps the rows of the window outside, each looking its
# places up in an automatic index, where SQLite's own choice scans the window once per place
# or indexes the whole table at every query.
_JOIN = "CROSS JOIN places p ON p.core_id"


def _chunks(pairs: Sequence[Pair]) -> list[list[Pair]]:
    """Split pairs into queries small enough, never splitting a place across two."""
    by_place: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_place.setdefault(pair[1], []).append(pair)
    chunks: list[list[Pair]] = [[]]
    for group in by_place.values():
        if chunks[-1] and len(chunks[-1]) + len(group) > MAX_PAIRS:
            chunks.append([])
        chunks[-1].extend(group)
    return [chunk for chunk in chunks if chunk]


class PeriodRepository:
    """Count, never list: every query returns aggregates per place and role."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def factor_people(
        self, pairs: Sequence[Pair], since: str, until: str
    ) -> list[tuple[str, str, str, int]]:
        """Return (place, role, factor, distinct people) raising a factor in [since, until)."""
        found: list[tuple[str, str, str, int]] = []
        for chunk in _chunks(pairs):
            cte, params = _places(chunk)
            voices = _voices(chunk, "cf.factor AS factor, cf.user_id AS user_id")
            rows = await self._db.fetch_all(
                f"{cte}, {voices} SELECT p.place, v.role, v.factor, COUNT(DISTINCT v.user_id)"
                f" FROM v {_JOIN} = v.k GROUP BY 1, 2, 3",
                (*params, since, until),
            )
            found += [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]
        return found

    async def activity(
        self, pairs: Sequence[Pair], since: str, until: str
    ) -> list[tuple[str, str, int, int]]:
        """Return (place, role, distinct people, concerns) raising any factor in a range."""
        found: list[tuple[str, str, int, int]] = []
        for chunk in _chunks(pairs):
            cte, params = _places(chunk)
            voices = _voices(chunk, "cf.user_id AS user_id, cf.concern_id AS concern_id")
            rows = await self._db.fetch_all(
                f"{cte}, {voices} SELECT p.place, v.role, COUNT(DISTINCT v.user_id),"
                " COUNT(DISTINCT v.concern_id)"
                f" FROM v {_JOIN} = v.k GROUP BY 1, 2",
                (*params, since, until),
            )
            found += [(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]
        return found

    async def outcomes(
        self, pairs: Sequence[Pair], since: str, until: str
    ) -> list[tuple[str, str, str, int]]:
        """Return (place, role, answer, distinct people) per follow-up answer in a range."""
        found: list[tuple[str, str, str, int]] = []
        for chunk in _chunks(pairs):
            cte, params = _places(chunk)
            # Few rows (answers only): joined as they are read from follow_ups_answered_at.
            rows = await self._db.fetch_all(
                f"{cte} SELECT p.place, f.role, f.answer, COUNT(DISTINCT f.user_id)"
                f" FROM follow_ups f {_JOIN} = {_ANSWER_KEY}"
                " WHERE f.answer IS NOT NULL AND f.answered_at >= ? AND f.answered_at < ?"
                " AND f.role IS NOT NULL GROUP BY 1, 2, 3",
                (*params, since, until),
            )
            found += [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]
        return found

    async def stored(self, place: str, period: str, week: str) -> str | None:
        """Return the frozen figures (JSON) of a place's period, if frozen already."""
        row = await self._db.fetch_one(
            "SELECT figures FROM period_figures WHERE place = ? AND period = ? AND week = ?",
            (place, period, week),
        )
        return None if row is None else str(row[0])

    async def keep(self, place: str, period: str, week: str, figures: str, at: str) -> str:
        """Freeze a period's figures unless frozen already; return the frozen ones."""
        await self._db.execute(
            "INSERT OR IGNORE INTO period_figures (place, period, week, figures, computed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (place, period, week, figures, at),
        )
        stored = await self.stored(place, period, week)
        assert stored is not None
        return stored

    async def keep_many(self, rows: Iterable[tuple[str, str, str, str]], at: str) -> int:
        """Freeze (place, period, week, figures) rows, leaving frozen ones; return how many."""
        batch = list(rows)
        added = 0
        async with self._db.transaction():
            for start in range(0, len(batch), ROWS_PER_INSERT):
                part = batch[start : start + ROWS_PER_INSERT]
                params: list[Any] = []
                for place, period, week, figures in part:
                    params += [place, period, week, figures, at]
                added += await self._db.execute(
                    "INSERT OR IGNORE INTO period_figures"
                    " (place, period, week, figures, computed_at) VALUES "
                    + ", ".join("(?, ?, ?, ?, ?)" for _ in part),
                    params,
                )
        return added

    async def frozen(self, weeks: Sequence[str]) -> set[Frozen]:
        """Return the (place, period, week) frozen already among these weeks."""
        if not weeks:
            return set()
        rows = await self._db.fetch_all(
            "SELECT place, period, week FROM period_figures"
            f" WHERE week IN ({', '.join('?' for _ in weeks)})",
            list(weeks),
        )
        return {(str(r[0]), str(r[1]), str(r[2])) for r in rows}

    async def weeks_of(self, place: str, period: str, weeks: Sequence[str]) -> dict[str, str]:
        """Return the frozen figures (JSON) of a place's periods ending with these weeks."""
        if not weeks:
            return {}
        rows = await self._db.fetch_all(
            "SELECT week, figures FROM period_figures WHERE place = ? AND period = ?"
            f" AND week IN ({', '.join('?' for _ in weeks)})",
            (place, period, *weeks),
        )
        return {str(r[0]): str(r[1]) for r in rows}

    async def of_week(self, week: str) -> dict[tuple[str, str], str]:
        """Return every frozen (place, period) of the windows ending with a week, as JSON."""
        rows = await self._db.fetch_all(
            "SELECT place, period, figures FROM period_figures WHERE week = ?", (week,)
        )
        return {(str(r[0]), str(r[1])): str(r[2]) for r in rows}
