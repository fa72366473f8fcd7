"""The SQL of campaign arrivals: counts per ISO week, core, campaign and channel, no one named."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import Database


@dataclass(frozen=True)
class ArrivalRow:
    """One week's arrivals at a core through one campaign on one channel."""

    week: str
    territory_id: str
    core_id: str
    campaign: str
    channel: str
    consented: int
    onboarded: int


class CampaignRepository:
    """Count arrivals, and read them back."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def count(
        self,
        *,
        week: str,
        territory_id: str,
        core_id: str,
        campaign: str,
        channel: str,
        consented: int = 0,
        onboarded: int = 0,
    ) -> None:
        """Add to a week's counts (inside the transaction of the step that counts)."""
        await self._db.execute(
            "INSERT INTO campaign_arrivals (week, territory_id, core_id, campaign, channel,"
            " consented, onboarded) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (week, core_id, campaign, channel) DO UPDATE SET"
            " consented = consented + excluded.consented,"
            " onboarded = onboarded + excluded.onboarded",
            (week, territory_id, core_id, campaign, channel, consented, onboarded),
        )

    async def since(self, first_week: str, territory_id: str | None) -> list[ArrivalRow]:
        """Return the counts from a week on, in a territory or everywhere."""
        rows = await self._db.fetch_all(
            "SELECT week, territory_id, core_id, campaign, channel, consented, onboarded"
            " FROM campaign_arrivals WHERE week >= ? AND (? IS NULL OR territory_id = ?)"
            " ORDER BY week, territory_id, core_id, campaign, channel",
            (first_week, territory_id, territory_id),
        )
        return [ArrivalRow(*(tuple(r))) for r in rows]
