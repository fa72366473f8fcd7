"""Count the voice notes the bot could not hear, per day and territory (no one's identity)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.storage.database import Database


class UnheardRepository:
    """Add to and read the counts of voice notes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, territory_id: str | None, at: datetime | None = None) -> None:
        """Count one voice note (inside the caller's transaction)."""
        day = (at or datetime.now(UTC)).astimezone(UTC).date().isoformat()
        await self._db.execute(
            "INSERT INTO unheard_messages (day, territory_id, count) VALUES (?, ?, 1)"
            " ON CONFLICT (day, territory_id) DO UPDATE SET count = count + 1",
            (day, territory_id or ""),
        )

    async def total(self, territories: Sequence[str], since: str, until: str) -> int:
        """Return the voice notes of some territories between two days (until excluded)."""
        if not territories:
            return 0
        marks = ",".join("?" * len(territories))
        row = await self._db.fetch_one(
            f"SELECT COALESCE(SUM(count), 0) FROM unheard_messages WHERE territory_id IN ({marks})"
            " AND day >= ? AND day < ?",
            (*territories, since, until),
        )
        return 0 if row is None else int(row[0])
