"""Count where people come from (campaign tags) and report it through the suppression gate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.features.reach.links import Campaign
from bot.features.reach.store import CampaignRepository
from bot.reference import Reference
from bot.shared.gate import nested
from bot.storage import Database


def iso_week(moment: datetime, tz: ZoneInfo) -> str:
    """Return the ISO week of a moment in the bot's time zone, as 2026-W49."""
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class CampaignLine:
    """A core's arrivals through one campaign in one week (None: under k)."""

    week: str
    territory_id: str
    core_id: str
    campaign: str
    consented: int | None
    onboarded: int | None


class CampaignService:
    """Count arrivals as onboarding goes (in its transaction); report them, gated."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repo = CampaignRepository(db)
        self._ref = reference
        self._tz = tz
        self._clock = clock

    async def arrived(self, channel: str, core_id: str, campaign: str, stage: str) -> None:
        """Count one person who consented ("consented") or finished onboarding ("onboarded")."""
        core = self._ref.core(core_id)
        if core is None or campaign not in set(Campaign):
            return
        await self._repo.count(
            week=iso_week(self._clock(), self._tz),
            territory_id=core.territory,
            core_id=core.id,
            campaign=campaign,
            channel=channel,
            consented=int(stage == "consented"),
            onboarded=int(stage == "onboarded"),
        )

    async def report(self, weeks: int, territory_id: str | None, k: int) -> list[CampaignLine]:
        """Return each core's arrivals per campaign and week over the last `weeks` weeks, gated.

        Channels are added up; a count under k is hidden, and "finished onboarding" is hidden
        when it differs from "accepted" by 1 to k-1 (that gap would be a small group). No
        total is given: with the weekly cells it would give hidden ones away. Finished weeks
        only: the current week's cells, read twice, would differ by whoever arrived between.
        """
        now = self._clock()
        current = iso_week(now, self._tz)
        first = iso_week(now - timedelta(weeks=max(1, weeks)), self._tz)
        sums: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for row in await self._repo.since(first, territory_id):
            if row.week >= current:
                continue
            cell = sums[(row.week, row.territory_id, row.core_id, row.campaign)]
            cell[0] += row.consented
            cell[1] += row.onboarded
        lines = []
        for (week, territory, core, campaign), (consented, onboarded) in sorted(sums.items()):
            shown_onboarded, shown_consented = nested([onboarded, consented], k)
            lines.append(
                CampaignLine(week, territory, core, campaign, shown_consented, shown_onboarded)
            )
        return lines
