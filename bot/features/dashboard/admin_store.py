"""The SQL of the admins' dashboard views: coverage, broadcasts, survey waves, the audit trail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.features.broadcasts.store import Audience
from bot.storage import Database
from bot.storage.audit import AuditEntry


@dataclass(frozen=True)
class BroadcastRow:
    """A broadcast as the admins' list shows it."""

    id: int
    status: str
    created_by: str
    created_at: str
    send_at: str
    audience: Audience
    texts: dict[str, str]
    recipients: int | None


@dataclass(frozen=True)
class WaveRow:
    """An open survey wave with its progress (raw counts: gate them before showing)."""

    id: int
    survey_id: str
    territory_id: str | None
    core_id: str | None
    role: str | None
    send_from: str
    closes_at: str
    planned: int
    invited: int
    reminded: int
    started: int
    finished: int


@dataclass(frozen=True)
class TemplateDay:
    """Template messages of one day and category, and what they cost."""

    day: str
    category: str
    count: int
    cost: float


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


class AdminRepository:
    """Read what the admins' views show; counts and lists, never anyone's identity."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- coverage ---------------------------------------------------------------------------

    async def open_cells(
        self,
        territory_id: str,
        roles: Sequence[str],
        factors: Sequence[str],
        since: str,
        until: str,
        at_least: int,
    ) -> set[tuple[str, str, str]]:
        """Return (core, role, factor) with `at_least` distinct people voicing it in a range.

        Every voice counts (raised, still there, worse), as in the barometer; only whether
        a cell reaches the threshold leaves the database, never its count.
        """
        if not roles or not factors:
            return set()
        # Equalities then one range on concern_factors_territory (covering): only the window's
        # voices of the territory are read, whatever its history.
        rows = await self._db.fetch_all(
            "SELECT core_id, role, factor FROM concern_factors"
            f" WHERE territory_id = ? AND role IN ({_marks(roles)})"
            f" AND factor IN ({_marks(factors)}) AND confirmed_at >= ? AND confirmed_at <= ?"
            " AND core_id IS NOT NULL GROUP BY core_id, role, factor"
            " HAVING COUNT(DISTINCT user_id) >= ?",
            (territory_id, *roles, *factors, since, until, at_least),
        )
        return {(str(r[0]), str(r[1]), str(r[2])) for r in rows}

    # ---- broadcasts -------------------------------------------------------------------------

    async def count_broadcasts(self) -> int:
        """Return how many broadcasts were ever made."""
        row = await self._db.fetch_one("SELECT COUNT(*) FROM broadcasts")
        return 0 if row is None else int(row[0])

    async def broadcasts(self, limit: int, offset: int) -> list[BroadcastRow]:
        """Return a page of broadcasts, newest first."""
        rows = await self._db.fetch_all(
            "SELECT id, status, created_by, created_at, send_at, audience, texts, recipients"
            " FROM broadcasts ORDER BY id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [
            BroadcastRow(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                Audience.model_validate_json(str(r[5])),
                {str(k): str(v) for k, v in json.loads(str(r[6])).items()},
                None if r[7] is None else int(r[7]),
            )
            for r in rows
        ]

    async def outbox_counts(self, broadcast_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """Return, per broadcast, how many of its messages are in each status."""
        if not broadcast_ids:
            return {}
        rows = await self._db.fetch_all(
            "SELECT broadcast_id, status, COUNT(*) FROM broadcast_outbox"
            f" WHERE broadcast_id IN ({_marks(broadcast_ids)}) GROUP BY 1, 2",
            tuple(broadcast_ids),
        )
        found: dict[int, dict[str, int]] = {}
        for r in rows:
            found.setdefault(int(r[0]), {})[str(r[1])] = int(r[2])
        return found

    async def failure_reasons(self, broadcast_ids: Sequence[int]) -> list[tuple[int, str, int]]:
        """Return (broadcast, reason, messages) of failed messages, newest broadcast first."""
        if not broadcast_ids:
            return []
        rows = await self._db.fetch_all(
            "SELECT broadcast_id, COALESCE(error, ''), COUNT(*) FROM broadcast_outbox"
            f" WHERE broadcast_id IN ({_marks(broadcast_ids)}) AND status = 'failed'"
            " GROUP BY 1, 2 ORDER BY 1 DESC, 3 DESC, 2",
            tuple(broadcast_ids),
        )
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def delivery_counts(
        self, broadcast_ids: Sequence[int], channels: Sequence[str]
    ) -> dict[int, dict[str, int]]:
        """Return, per broadcast, its messages per status the channels reported later."""
        if not broadcast_ids or not channels:
            return {}
        rows = await self._db.fetch_all(
            "SELECT o.broadcast_id, d.status, COUNT(*) FROM broadcast_outbox o"
            " JOIN delivery_statuses d ON d.channel = o.channel AND d.message_id = o.message_id"
            f" WHERE o.broadcast_id IN ({_marks(broadcast_ids)})"
            f" AND o.channel IN ({_marks(channels)}) GROUP BY 1, 2",
            (*broadcast_ids, *channels),
        )
        found: dict[int, dict[str, int]] = {}
        for r in rows:
            found.setdefault(int(r[0]), {})[str(r[1])] = int(r[2])
        return found

    async def template_days(self, since_day: str) -> list[TemplateDay]:
        """Return template messages per day and category from a day on, newest first."""
        rows = await self._db.fetch_all(
            "SELECT day, category, count, cost FROM template_usage WHERE day >= ?"
            " ORDER BY day DESC, category",
            (since_day,),
        )
        return [TemplateDay(str(r[0]), str(r[1]), int(r[2]), float(r[3])) for r in rows]

    # ---- survey waves -------------------------------------------------------------------------

    async def open_waves(self) -> list[WaveRow]:
        """Return the waves not closed yet with their progress, newest first."""
        rows = await self._db.fetch_all(
            "SELECT w.id, w.survey_id, w.territory_id, w.core_id, w.role, w.send_from,"
            " w.closes_at,"
            " (SELECT COUNT(*) FROM survey_invitations i WHERE i.wave_id = w.id),"
            " (SELECT COUNT(*) FROM survey_invitations i WHERE i.wave_id = w.id"
            "  AND i.sent_at IS NOT NULL),"
            " (SELECT COUNT(*) FROM survey_invitations i WHERE i.wave_id = w.id"
            "  AND i.reminded_at IS NOT NULL),"
            " (SELECT COUNT(*) FROM survey_responses r WHERE r.wave_id = w.id),"
            " (SELECT COUNT(*) FROM survey_responses r WHERE r.wave_id = w.id"
            "  AND r.status = 'completed')"
            " FROM survey_waves w WHERE w.closed_at IS NULL ORDER BY w.id DESC"
        )
        return [
            WaveRow(
                int(r[0]),
                str(r[1]),
                None if r[2] is None else str(r[2]),
                None if r[3] is None else str(r[3]),
                None if r[4] is None else str(r[4]),
                str(r[5]),
                str(r[6]),
                *(int(r[i]) for i in range(7, 12)),
            )
            for r in rows
        ]

    # ---- audit trail ----------------------------------------------------------------------------

    async def count_audit(self, refused_only: bool) -> int:
        """Return how many entries the audit trail holds (refused ones only, if asked)."""
        where = " WHERE allowed = 0" if refused_only else ""
        row = await self._db.fetch_one(f"SELECT COUNT(*) FROM audit_log{where}")
        return 0 if row is None else int(row[0])

    async def audit(self, limit: int, offset: int, refused_only: bool) -> list[AuditEntry]:
        """Return a page of the audit trail, newest first."""
        where = " WHERE allowed = 0" if refused_only else ""
        rows = await self._db.fetch_all(
            f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        return [AuditEntry.model_validate(dict(r)) for r in rows]
