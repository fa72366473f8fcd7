"""Record what became of the messages a channel accepted, never going backwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.storage.database import Database, utcnow

# A status only moves forward; failed ends it (it can come after sent, never after read).
RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(frozen=True)
class StatusChange:
    """A status that moved forward, with what the sender kept to try again."""

    status: str
    error_code: int | None
    fallback: str | None
    retried: bool


class DeliveryStatusRepository:
    """Keep one row per accepted message; move its status forward only."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def accepted(self, channel: str, message_id: str, fallback: str | None = None) -> None:
        """Record a message the channel accepted (a late status may already have come)."""
        now = utcnow()
        await self._db.execute(
            "INSERT INTO delivery_statuses (channel, message_id, status, fallback,"
            " created_at, updated_at) VALUES (?, ?, 'accepted', ?, ?, ?)"
            " ON CONFLICT (channel, message_id) DO UPDATE SET fallback = excluded.fallback",
            (channel, message_id, fallback, now, now),
        )

    async def moved(
        self, channel: str, message_id: str, status: str, error_code: int | None
    ) -> StatusChange | None:
        """Move a message's status forward; return the change, or None if it was not one."""
        rank = RANK.get(status)
        if rank is None:
            return None
        now = utcnow()
        row = await self._db.fetch_one(
            "SELECT status, fallback, retried FROM delivery_statuses"
            " WHERE channel = ? AND message_id = ?",
            (channel, message_id),
        )
        if row is None:
            # The status came before the send was recorded (or for a message of another run).
            await self._db.execute(
                "INSERT OR IGNORE INTO delivery_statuses (channel, message_id, status,"
                " error_code, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (channel, message_id, status, error_code, now, now),
            )
            return StatusChange(status, error_code, None, False)
        if RANK.get(str(row[0]), 0) >= rank:
            return None
        await self._db.execute(
            "UPDATE delivery_statuses SET status = ?, error_code = ?, updated_at = ?"
            " WHERE channel = ? AND message_id = ?",
            (status, error_code, now, channel, message_id),
        )
        return StatusChange(status, error_code, row[1], bool(row[2]))

    async def mark_retried(self, channel: str, message_id: str) -> None:
        """Note that a failed message's fallback was sent (it is tried once)."""
        await self._db.execute(
            "UPDATE delivery_statuses SET retried = 1 WHERE channel = ? AND message_id = ?",
            (channel, message_id),
        )

    async def status(self, channel: str, message_id: str) -> str | None:
        """Return a message's status, or None if unknown."""
        row = await self._db.fetch_one(
            "SELECT status FROM delivery_statuses WHERE channel = ? AND message_id = ?",
            (channel, message_id),
        )
        return None if row is None else str(row[0])

    async def counts(self, channel: str, message_ids: list[str]) -> dict[str, int]:
        """Count messages by status among some ids (a broadcast's, say)."""
        found: dict[str, int] = {}
        for start in range(0, len(message_ids), 500):
            chunk = message_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in await self._db.fetch_all(
                f"SELECT status, COUNT(*) FROM delivery_statuses WHERE channel = ?"
                f" AND message_id IN ({marks}) GROUP BY status",
                (channel, *chunk),
            ):
                found[str(row[0])] = found.get(str(row[0]), 0) + int(row[1])
        return found

    async def prune(self, older_than: timedelta = timedelta(days=30)) -> int:
        """Forget statuses older than a month."""
        cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="milliseconds")
        return await self._db.execute(
            "DELETE FROM delivery_statuses WHERE created_at < ?", (cutoff,)
        )
