"""The SQL of the candidate entrepreneurs' figures (counts only, for partners and the CSV)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage import Database
from bot.storage.scope import in_scope


class ReportRepository:
    """Count candidates, sessions, requests and appointments in a place and a period."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def new_candidates(
        self, territories: Sequence[str], cores: Sequence[str], since: str, until: str
    ) -> list[tuple[str | None, str | None]]:
        """Return (stage, sector) of each project started in the period, in the scope."""
        where, params = in_scope("territory_id", "core_id", territories, cores)
        rows = await self._db.fetch_all(
            f"SELECT stage, sector_id FROM candidates WHERE {where}"
            " AND created_at >= ? AND created_at < ?",
            (*params, since, until),
        )
        return [(r[0], r[1]) for r in rows]

    async def sessions(
        self, territories: Sequence[str], since: str, until: str
    ) -> tuple[int, int]:
        """Return (information sessions that ended in the period, distinct people who came)."""
        where, params = in_scope("e.territory_id", "NULL", territories, ())
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) FROM events e WHERE e.kind = 'info_session' AND {where}"
            " AND e.ends_at >= ? AND e.ends_at < ?",
            (*params, since, until),
        )
        came = await self._db.fetch_one(
            "SELECT COUNT(DISTINCT a.user_id) FROM session_attendance a JOIN events e"
            f" ON e.id = a.event_id WHERE e.kind = 'info_session' AND {where}"
            " AND a.attended = 1 AND e.ends_at >= ? AND e.ends_at < ?",
            (*params, since, until),
        )
        return (0 if row is None else int(row[0])), (0 if came is None else int(came[0]))

    async def requests(
        self,
        territories: Sequence[str],
        cores: Sequence[str],
        since: str,
        until: str,
        within_s: float,
    ) -> tuple[int, int]:
        """Return (people who sent a request in the period, those accepted within_s after)."""
        where, params = in_scope("r.territory_id", "c.core_id", territories, cores)
        row = await self._db.fetch_one(
            "SELECT COUNT(DISTINCT r.user_id), COUNT(DISTINCT CASE WHEN r.accepted_at IS NOT NULL"
            " AND (julianday(r.accepted_at) - julianday(r.submitted_at)) * 86400 <= ?"
            " THEN r.user_id END) FROM coaching_requests r"
            " LEFT JOIN candidates c ON c.user_id = r.user_id"
            f" WHERE {where} AND r.submitted_at >= ? AND r.submitted_at < ?",
            (within_s, *params, since, until),
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    async def appointments_held(
        self, territories: Sequence[str], cores: Sequence[str], since: str, until: str
    ) -> int:
        """Return the people whose appointment in the period took place (either side said so)."""
        where, params = in_scope("r.territory_id", "c.core_id", territories, cores)
        row = await self._db.fetch_one(
            "SELECT COUNT(DISTINCT r.user_id) FROM appointments a JOIN coaching_requests r"
            " ON r.id = a.request_id LEFT JOIN candidates c ON c.user_id = r.user_id"
            f" WHERE {where} AND a.status = 'done'"
            " AND (a.candidate_held = 'yes' OR a.coach_held = 'yes')"
            " AND a.starts_at >= ? AND a.starts_at < ?",
            (*params, since, until),
        )
        return 0 if row is None else int(row[0])
