"""Count the template messages sent per day and what they cost (no recipient kept)."""

from __future__ import annotations

from bot.storage.database import Database


class TemplateUsageRepository:
    """Add to and read the daily counts and costs of template messages."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, day: str, category: str, cost: float) -> None:
        """Count one template message sent on a day (UTC date), at a cost."""
        await self._db.execute(
            "INSERT INTO template_usage (day, category, count, cost) VALUES (?, ?, 1, ?)"
            " ON CONFLICT (day, category) DO UPDATE SET count = count + 1,"
            " cost = cost + excluded.cost",
            (day, category, cost),
        )

    async def sent_on(self, day: str) -> int:
        """Return how many template messages went on a day."""
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(count), 0) FROM template_usage WHERE day = ?", (day,)
        )
        return 0 if row is None else int(row[0])

    async def spent_in(self, month: str) -> float:
        """Return what template messages cost in a month ("2027-03")."""
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(cost), 0) FROM template_usage WHERE day LIKE ?", (f"{month}-%",)
        )
        return 0.0 if row is None else float(row[0])
