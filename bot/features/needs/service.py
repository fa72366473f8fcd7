"""Needs: what someone misses, matched onto sectors, confirmed, and counted on the board."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.features.needs.store import Need, NeedRepository
from bot.reference import Reference
from bot.shared.gate import nested, parts
from bot.shared.text import clean_text
from bot.storage import Database, User
from nlp.needs import needs_matcher

BOARD_DAYS = 90
MAX_TEXT = 500
PROMPT_FOR = timedelta(hours=1)
# Food first on the board: the programme's priority.
FOOD = ("bakery", "butcher", "fishmonger", "greengrocer", "grocery", "chocolate")


class NeedError(ValueError):
    """Input refused (the key of the polite answer); nothing was stored."""


@dataclass(frozen=True)
class BoardLine:
    """One missing sector on the board: people in the core and in the territory (gated)."""

    sector_id: str
    core: int | None
    territory: int | None


@dataclass(frozen=True)
class TerritoryLine:
    """One missing sector in a whole territory: its people, and the areas that can be shown."""

    sector_id: str
    territory: int
    cores: dict[str, int]


class NeedService:
    """Propose, confirm and count what people miss."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        anonymity_k: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._repo = NeedRepository(db)
        self._ref = reference
        self._k = anonymity_k
        self._clock = clock

    @property
    def k(self) -> int:
        """Return the anonymity threshold."""
        return self._k

    @property
    def repo(self) -> NeedRepository:
        """Return the needs' store."""
        return self._repo

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="milliseconds")

    async def prompted(self, user_id: int) -> bool:
        """Return whether the person was asked what they miss within the hour."""
        since = (self._clock() - PROMPT_FOR).astimezone(UTC).isoformat(timespec="milliseconds")
        return await self._repo.prompted(user_id, since)

    async def propose(self, user: User, text: str) -> Need:
        """Match someone's words onto sectors; the need waits for their one-tap yes."""
        kept = clean_text(text, max_chars=MAX_TEXT + 1)
        if not kept:
            raise NeedError("needs.empty")
        if len(kept) > MAX_TEXT:
            raise NeedError("needs.too_long")
        if user.core_id is None or user.territory_id is None:
            raise NeedError("needs.no_place")
        sectors = [s for s in needs_matcher().match(kept) if self._ref.need(s) is not None]
        await self._repo.unprompt(user.id)
        return await self._repo.propose(
            user.id, kept, sectors or ["other"], user.core_id, user.territory_id
        )

    async def confirm(self, user: User, need_id: int, sector_id: str | None = None) -> Need:
        """Confirm a pending need (as matched, or as the one sector the person chose)."""
        need = await self._repo.get(need_id)
        if need is None or need.user_id != user.id or need.status != "pending":
            raise NeedError("button.stale")
        if sector_id is not None and self._ref.need(sector_id) is None:
            raise NeedError("button.invalid")
        await self._repo.settle(
            need_id, "confirmed", self._now(), [sector_id] if sector_id else None
        )
        done = await self._repo.get(need_id)
        assert done is not None
        return done

    async def move(self, user: User, need_id: int, core_id: str) -> Need:
        """Say the need is in another area of the same territory (a village, say)."""
        need = await self._repo.get(need_id)
        core = self._ref.core(core_id)
        if need is None or need.user_id != user.id or need.status != "pending":
            raise NeedError("button.stale")
        if core is None or core.territory != need.territory_id:
            raise NeedError("button.invalid")
        await self._repo.move(need_id, core.id, core.territory)
        moved = await self._repo.get(need_id)
        assert moved is not None
        return moved

    async def cancel(self, user: User, need_id: int) -> None:
        """Drop a pending need."""
        need = await self._repo.get(need_id)
        if (
            need is None
            or need.user_id != user.id
            or not await self._repo.settle(need_id, "cancelled", self._now())
        ):
            raise NeedError("button.stale")

    async def territory_board(self, territory_id: str) -> list[TerritoryLine]:
        """Return the missing sectors of a territory with the areas where they are, gated.

        The areas are parts of the territory: an area is named only when what stays hidden
        besides it is no one or at least k people (`gate.parts`).
        """
        since = (self._clock() - timedelta(days=BOARD_DAYS)).astimezone(UTC)
        stamp = since.isoformat(timespec="milliseconds")
        totals = await self._repo.people(territory_id, None, stamp)
        by_core = await self._repo.people_by_core(territory_id, stamp)
        lines = []
        for sector_id, total in totals.items():
            cores, shown = parts(by_core.get(sector_id, {}), total, self._k)
            if shown is not None:
                lines.append(TerritoryLine(sector_id, shown, cores))
        return sorted(
            lines, key=lambda line: (line.sector_id not in FOOD, -line.territory, line.sector_id)
        )

    async def board(self, territory_id: str, core_id: str) -> list[BoardLine]:
        """Return the missing sectors of a core next to its territory, food first, gated."""
        since = (self._clock() - timedelta(days=BOARD_DAYS)).astimezone(UTC)
        stamp = since.isoformat(timespec="milliseconds")
        in_core = await self._repo.people(territory_id, core_id, stamp)
        in_territory = await self._repo.people(territory_id, None, stamp)
        lines = []
        for sector_id, around in in_territory.items():
            # A core inside its territory: shown only when neither tells a small group.
            core, territory = nested([in_core.get(sector_id, 0), around], self._k)
            if core is None and territory is None:
                continue
            lines.append(BoardLine(sector_id, core, territory))
        return sorted(
            lines,
            key=lambda line: (
                line.sector_id not in FOOD,
                -(line.core or 0),
                -(line.territory or 0),
                line.sector_id,
            ),
        )
