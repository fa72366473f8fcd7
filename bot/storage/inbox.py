"""Keep incoming updates of consented users until they are applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.database import Database, utcnow


class InboxRepository:
    """Store, list and drop raw incoming updates by event key."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def store(self, event_key: str, channel: str, payload: str) -> None:
        """Keep one raw update; storing the same key twice keeps the first."""
        await self._db.execute(
            "INSERT OR IGNORE INTO inbox (event_key, channel, payload, received_at)"
            " VALUES (?, ?, ?, ?)",
            (event_key, channel, payload, utcnow()),
        )

    async def pending(self, channel: str) -> list[tuple[str, str]]:
        """Return (event key, payload) of every kept update of a channel, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT event_key, payload FROM inbox WHERE channel = ? ORDER BY received_at, rowid",
            (channel,),
        )
        return [(str(r["event_key"]), str(r["payload"])) for r in rows]

    async def drop(self, event_key: str) -> None:
        """Forget a kept update (it has been applied)."""
        await self._db.execute("DELETE FROM inbox WHERE event_key = ?", (event_key,))

    async def prune(self, older_than: timedelta) -> int:
        """Forget kept updates older than the given age; return how many."""
        cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="milliseconds")
        return await self._db.execute("DELETE FROM inbox WHERE received_at < ?", (cutoff,))
