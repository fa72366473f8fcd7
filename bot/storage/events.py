"""Record which incoming updates were already applied, for exactly-once processing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.database import Database, utcnow


class ProcessedEventRepository:
    """Claim event keys; a key can be claimed once."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, event_key: str) -> bool:
        """Record the key and drop its inbox copy; return False when already recorded."""
        marks = self._db.unit_marks()
        if marks is not None and event_key in marks:
            # Claimed earlier in this same unit of work, by this same action.
            return True
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO processed_events (event_key, processed_at) VALUES (?, ?)",
            (event_key, utcnow()),
        )
        # Same transaction as the effect: the kept copy disappears exactly when it is applied.
        await self._db.execute("DELETE FROM inbox WHERE event_key = ?", (event_key,))
        if marks is not None and changed == 1:
            marks.add(event_key)
        return changed == 1

    async def prune(self, older_than: timedelta) -> int:
        """Forget keys older than the given age; Telegram redelivers for 24 hours at most."""
        cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="milliseconds")
        return await self._db.execute(
            "DELETE FROM processed_events WHERE processed_at < ?", (cutoff,)
        )
