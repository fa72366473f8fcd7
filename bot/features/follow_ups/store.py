"""Store the three-week follow-up questions and their answers."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database, utcnow


class FollowUpAnswer(StrEnum):
    """Say what became of a problem three weeks on."""

    SOLVED = "solved"
    STILL_THERE = "still_there"
    WORSE = "worse"


class FollowUp(BaseModel):
    """Describe one follow-up question about one concern."""

    model_config = ConfigDict(frozen=True)

    concern_id: int
    user_id: int
    core_id: str | None
    territory_id: str | None
    role: str | None
    due_at: str
    sent_at: str | None
    skipped: str | None
    answer: FollowUpAnswer | None
    answered_at: str | None


class DueFollowUp(BaseModel):
    """Pair a follow-up that is due with what decides whether it may be sent."""

    model_config = ConfigDict(frozen=True)

    follow_up: FollowUp
    wanted: bool
    blocked: bool


class OutcomeCount(BaseModel):
    """Count distinct people per follow-up answer."""

    model_config = ConfigDict(frozen=True)

    answer: FollowUpAnswer
    people: int


class FollowUpRepository:
    """Read and write follow-ups."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def schedule(
        self,
        *,
        concern_id: int,
        user_id: int,
        core_id: str | None,
        territory_id: str | None,
        role: str | None,
        due_at: str,
    ) -> None:
        """Plan the follow-up of one concern (at most one per concern)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO follow_ups (concern_id, user_id, core_id, territory_id, role,"
            " due_at) VALUES (?, ?, ?, ?, ?, ?)",
            (concern_id, user_id, core_id, territory_id, role, due_at),
        )

    async def cover_others(self, concern_id: int, user_id: int, factors: Sequence[str]) -> int:
        """Skip the person's unsent follow-ups on any of these factors; return how many."""
        if not factors:
            return 0
        marks = ", ".join("?" for _ in factors)
        return await self._db.execute(
            "UPDATE follow_ups SET skipped = 'covered' WHERE user_id = ? AND concern_id != ?"
            " AND sent_at IS NULL AND skipped IS NULL AND answer IS NULL AND EXISTS ("
            "SELECT 1 FROM concern_factors cf WHERE cf.concern_id = follow_ups.concern_id"
            f" AND cf.kind = 'raised' AND cf.factor IN ({marks}))",
            (user_id, concern_id, *factors),
        )

    async def get(self, concern_id: int) -> FollowUp | None:
        """Return the follow-up of a concern, or None."""
        row = await self._db.fetch_one(
            "SELECT * FROM follow_ups WHERE concern_id = ?", (concern_id,)
        )
        return None if row is None else FollowUp.model_validate(dict(row))

    async def due(self, *, now: str, quiet_since: str, limit: int) -> list[DueFollowUp]:
        """Return follow-ups due by now, oldest first, one per person not asked since a time."""
        rows = await self._db.fetch_all(
            "SELECT f.*, u.follow_ups AS wanted, u.blocked_at IS NOT NULL AS blocked"
            " FROM follow_ups f JOIN users u ON u.id = f.user_id"
            " WHERE f.sent_at IS NULL AND f.skipped IS NULL AND f.answer IS NULL AND f.due_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM follow_ups g WHERE g.user_id = f.user_id"
            " AND g.sent_at > ?)"
            " ORDER BY f.due_at LIMIT ?",
            (now, quiet_since, limit),
        )
        seen: set[int] = set()
        due: list[DueFollowUp] = []
        for row in rows:
            data = dict(row)
            wanted, blocked = bool(data.pop("wanted")), bool(data.pop("blocked"))
            follow_up = FollowUp.model_validate(data)
            # One question per person per round, even when several fell due together.
            if follow_up.user_id in seen:
                continue
            seen.add(follow_up.user_id)
            due.append(DueFollowUp(follow_up=follow_up, wanted=wanted, blocked=blocked))
        return due

    async def mark_sent(self, concern_id: int, at: str | None = None) -> None:
        """Record that the question went out."""
        await self._db.execute(
            "UPDATE follow_ups SET sent_at = ? WHERE concern_id = ? AND sent_at IS NULL",
            (at or utcnow(), concern_id),
        )

    async def mark_skipped(self, concern_id: int, reason: str) -> None:
        """Record that the question will never go out, and why."""
        await self._db.execute(
            "UPDATE follow_ups SET skipped = ? WHERE concern_id = ? AND sent_at IS NULL",
            (reason, concern_id),
        )

    async def record_answer(
        self, concern_id: int, user_id: int, answer: FollowUpAnswer, at: str
    ) -> bool:
        """Store the answer once (even if the question's sending was never confirmed)."""
        changed = await self._db.execute(
            "UPDATE follow_ups SET answer = ?, answered_at = ? WHERE concern_id = ?"
            " AND user_id = ? AND answer IS NULL",
            (answer.value, at, concern_id, user_id),
        )
        return changed == 1

    async def outcomes(
        self,
        *,
        scope_column: str,
        scope_id: str | None,
        role: str | None,
        since: str,
        exclude_user_id: int,
    ) -> list[OutcomeCount]:
        """Count distinct other people per answer given since a time, in a core or territory."""
        if scope_column not in ("core_id", "territory_id"):
            raise ValueError(f"not a scope column: {scope_column}")
        rows = await self._db.fetch_all(
            f"SELECT answer, COUNT(DISTINCT user_id) FROM follow_ups WHERE {scope_column} = ?"
            " AND role IS ? AND answer IS NOT NULL AND answered_at >= ? AND user_id != ?"
            " GROUP BY answer",
            (scope_id, role, since, exclude_user_id),
        )
        return [OutcomeCount(answer=FollowUpAnswer(r[0]), people=int(r[1])) for r in rows]
