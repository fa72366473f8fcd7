"""Aggregate queries for partner digests: distinct people per factor, core and week."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.storage.database import Database


def _scope(
    territories: Sequence[str], cores: Sequence[str], table: str = ""
) -> tuple[str, list[Any]]:
    """Return the WHERE part (and its parameters) that keeps rows inside a partner's scope."""
    prefix = f"{table}." if table else ""
    clause = f"{prefix}territory_id IN ({', '.join('?' for _ in territories)})"
    params: list[Any] = list(territories)
    if cores:
        clause += f" AND {prefix}core_id IN ({', '.join('?' for _ in cores)})"
        params += list(cores)
    return clause, params


class DigestRepository:
    """Count, never list: every query returns aggregates only."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def people_by_week(
        self,
        *,
        territories: Sequence[str],
        cores: Sequence[str],
        role: str,
        factor: str,
        week_starts: Sequence[str],
        until: str,
        per_core: bool,
    ) -> list[tuple[str | None, int, int]]:
        """Return (core or None, week index, distinct people) raising a factor, oldest week 0."""
        where, params = _scope(territories, cores)
        # Week index: how many week starts the voice is at or after, minus one.
        bucket = " + ".join("(confirmed_at >= ?)" for _ in week_starts) + " - 1"
        core = "core_id" if per_core else "NULL"
        rows = await self._db.fetch_all(
            f"SELECT {core} AS place, {bucket} AS week, COUNT(DISTINCT user_id)"
            f" FROM concern_factors WHERE {where} AND role = ? AND factor = ?"
            " AND kind = 'raised' AND confirmed_at >= ? AND confirmed_at < ?"
            " GROUP BY place, week",
            (*week_starts, *params, role, factor, week_starts[0], until),
        )
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

    async def activity(
        self,
        *,
        territories: Sequence[str],
        cores: Sequence[str],
        role: str,
        since: str,
        until: str,
    ) -> tuple[int, int]:
        """Return (concerns filed under a factor, distinct people) in a time range."""
        where, params = _scope(territories, cores)
        row = await self._db.fetch_one(
            "SELECT COUNT(DISTINCT concern_id), COUNT(DISTINCT user_id) FROM concern_factors"
            f" WHERE {where} AND role = ? AND kind = 'raised'"
            " AND confirmed_at >= ? AND confirmed_at < ?",
            (*params, role, since, until),
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    async def quotable_texts(
        self,
        *,
        territories: Sequence[str],
        cores: Sequence[str],
        role: str,
        factor: str,
        since: str,
        until: str,
        limit: int,
    ) -> list[tuple[int, str]]:
        """Return (concern id, text) filed under a factor by people who accepted quotes."""
        where, params = _scope(territories, cores, "cf")
        # Texts about this one factor first, then the shortest readable ones, newest first.
        # CROSS JOIN keeps SQLite from reading every text before checking the consent.
        rows = await self._db.fetch_all(
            "SELECT c.id, c.text FROM concern_factors cf"
            " CROSS JOIN users u ON u.id = cf.user_id"
            " CROSS JOIN concerns c ON c.id = cf.concern_id"
            f" WHERE {where} AND cf.role = ? AND cf.factor = ? AND cf.kind = 'raised'"
            " AND cf.confirmed_at >= ? AND cf.confirmed_at < ?"
            " AND u.quote_consent = 1 AND c.source = 'message' AND length(c.text) >= 25"
            " ORDER BY (c.draft = json_array(cf.factor)) DESC, length(c.text) <= 240 DESC,"
            " cf.confirmed_at DESC LIMIT ?",
            (*params, role, factor, since, until, limit),
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    async def snapshot(self, partner_id: int, week: str) -> str | None:
        """Return the stored figures of a partner's week (JSON), if computed already."""
        row = await self._db.fetch_one(
            "SELECT figures FROM digest_snapshots WHERE partner_id = ? AND week = ?",
            (partner_id, week),
        )
        return None if row is None else str(row[0])

    async def keep_snapshot(self, partner_id: int, week: str, figures: str, at: str) -> str:
        """Store a week's figures unless some are stored already; return the stored ones."""
        await self._db.execute(
            "INSERT OR IGNORE INTO digest_snapshots (partner_id, week, figures, computed_at)"
            " VALUES (?, ?, ?, ?)",
            (partner_id, week, figures, at),
        )
        stored = await self.snapshot(partner_id, week)
        assert stored is not None
        return stored

    async def existing_concerns(self, concern_ids: Sequence[int]) -> set[int]:
        """Return which of these concerns still exist (a deleted one is never quoted again)."""
        if not concern_ids:
            return set()
        rows = await self._db.fetch_all(
            f"SELECT id FROM concerns WHERE id IN ({', '.join('?' for _ in concern_ids)})",
            list(concern_ids),
        )
        return {int(r[0]) for r in rows}

    async def follow_up_outcomes(
        self,
        *,
        territories: Sequence[str],
        cores: Sequence[str],
        role: str,
        since: str,
        until: str,
    ) -> dict[str, int]:
        """Return distinct people per follow-up answer given in a time range."""
        where, params = _scope(territories, cores)
        rows = await self._db.fetch_all(
            "SELECT answer, COUNT(DISTINCT user_id) FROM follow_ups"
            f" WHERE {where} AND role = ? AND answer IS NOT NULL"
            " AND answered_at >= ? AND answered_at < ? GROUP BY answer",
            (*params, role, since, until),
        )
        return {str(r[0]): int(r[1]) for r in rows}
