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


class NudgeRepository:
    """Find the people due a nudge, and mark them nudged."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # Joined between the two times, onboarded, silent, not nudged, wanting announcements
    # (the nudge is a marketing message: STOP stops it too), not blocked, current consent.
    _DUE = (
        " FROM users u WHERE u.core_id IS NOT NULL AND u.sector_id IS NOT NULL"
        " AND u.created_at > ? AND u.created_at <= ? AND u.nudged_at IS NULL AND u.nudges = 1"
        " AND u.announcements = 1 AND u.blocked_at IS NULL AND u.consent_version = ?"
        " AND NOT EXISTS (SELECT 1 FROM concerns c WHERE c.user_id = u.id)"
    )

    async def due(
        self, joined_after: str, joined_before: str, consent_version: str, limit: int
    ) -> list[int]:
        """Return the people due a nudge, the longest waiting first."""
        rows = await self._db.fetch_all(
            "SELECT u.id" + self._DUE + " ORDER BY u.created_at, u.id LIMIT ?",
            (joined_after, joined_before, consent_version, limit),
        )
        return [int(r[0]) for r in rows]

    async def count_due(self, joined_after: str, joined_before: str, consent_version: str) -> int:
        """Return how many are due a nudge now."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*)" + self._DUE, (joined_after, joined_before, consent_version)
        )
        return 0 if row is None else int(row[0])

    async def mark(self, user_id: int, at: str) -> bool:
        """Mark a person nudged (inside a transaction); False if someone else just did."""
        changed = await self._db.execute(
            "UPDATE users SET nudged_at = ? WHERE id = ? AND nudged_at IS NULL", (at, user_id)
        )
        return changed == 1


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
