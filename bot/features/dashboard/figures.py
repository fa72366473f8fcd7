"""The gated figures of a week, for every place and period: what any view may show.

A week's figures are read frozen (`periods`), gated all together (`release`), and kept in
memory: frozen figures never change, so neither does what may be shown of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.features.dashboard.periods import (
    PERIODS,
    PeriodFigures,
    PeriodFigureService,
    Place,
    hierarchy,
    shift,
    weeks_ending,
)
from bot.features.dashboard.periods_store import PeriodRepository, unplaced
from bot.features.dashboard.release import HISTORY, Node, inside_earlier, release
from bot.features.partners.store import PartnerRepository
from bot.reference import Reference
from bot.shared.schedule import last_full_week, week_bounds
from bot.storage import Database
from nlp.taxonomy import FACTOR_IDS

logger = logging.getLogger(__name__)

ANY = "any"
OUTCOME_METRICS = ("outcome:solved", "outcome:still_there", "outcome:worse")
METRICS: tuple[str, ...] = (ANY, *FACTOR_IDS, *OUTCOME_METRICS)
# Weeks of gated figures kept in memory (a quarter of weeks for two roles, and some).
CACHED_WEEKS = 64
WARM_WEEKS = 14


@dataclass(frozen=True)
class Released:
    """What may be shown of one week's figures for one role: None where hidden."""

    week: str
    role: str
    values: Mapping[tuple[str, str, str], int | None]
    # The raw counts, for what is never shown as a number (is a core emerging?).
    raw: Mapping[tuple[str, str, str], int]

    def people(self, place: str, period: str, metric: str = ANY) -> int | None:
        """Return the distinct people of a place, period and metric, or None if hidden."""
        return self.values.get((place, period, metric))

    def raw_people(self, place: str, period: str, metric: str = ANY) -> int:
        """Return the raw count (never to be shown: for deciding what to show)."""
        return self.raw.get((place, period, metric), 0)


def _metric(figures: PeriodFigures, role: str, metric: str) -> int:
    counts = figures.role(role)
    if metric == ANY:
        return counts.people
    if metric.startswith("outcome:"):
        return counts.outcomes.get(metric.removeprefix("outcome:"), 0)
    return counts.factors.get(metric, 0)


class DashboardFigures:
    """Read, gate and keep the figures of closed weeks."""

    def __init__(
        self,
        db: Database,
        periods: PeriodFigureService,
        reference: Reference,
        anonymity_k: int,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._periods = periods
        self._repo = PeriodRepository(db)
        self._partners = PartnerRepository(db)
        self._ref = reference
        self._k = anonymity_k
        self._tz = tz
        self._clock = clock
        self._cache: OrderedDict[tuple[str, str, tuple[int, ...]], Released] = OrderedDict()
        self._bases: OrderedDict[tuple[str, str, tuple[int, ...]], Released] = OrderedDict()
        self._lock = asyncio.Lock()

    @property
    def k(self) -> int:
        """Return the anonymity threshold."""
        return self._k

    def last_week(self) -> str:
        """Return the last closed week, the one views show first."""
        return last_full_week(self._clock(), self._tz)

    def closed(self, week: str) -> bool:
        """Tell whether a week has ended (only closed weeks are ever shown)."""
        return week_bounds(week, self._tz)[1] <= self._clock()

    def recent_weeks(self, count: int) -> list[str]:
        """Return the last `count` closed weeks, newest first."""
        return list(reversed(weeks_ending(self.last_week(), count)))

    async def week(self, week: str, role: str = "shopkeeper") -> Released:
        """Return the gated figures of a closed week for a role (freezing it if need be)."""
        return await self._week(week, role, await self._active())

    async def _active(self) -> tuple[int, ...]:
        # The places include every partner's scope: a partner added or revoked is a new key.
        return tuple(p.id for p in await self._partners.all() if p.revoked_at is None)

    async def _week(self, week: str, role: str, partners: tuple[int, ...]) -> Released:
        key = (week, role, partners)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        async with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                # What earlier weeks may show (each gated on its own): this week's windows
                # contain their shorter windows, and must not differ from them by a few.
                earlier = [
                    await self._base(shift(week, -back), role, partners)
                    for back in range(1, HISTORY + 1)
                ]
                cached = await self._gated(week, role, [e.values for e in earlier])
                self._cache[key] = cached
                while len(self._cache) > CACHED_WEEKS:
                    self._cache.popitem(last=False)
        return cached

    async def _base(self, week: str, role: str, partners: tuple[int, ...]) -> Released:
        """Return a week gated on its own (no earlier week looked at): kept apart."""
        key = (week, role, partners)
        cached = self._bases.get(key)
        if cached is None:
            cached = await self._gated(week, role, [])
            self._bases[key] = cached
            while len(self._bases) > CACHED_WEEKS:
                self._bases.popitem(last=False)
        return cached

    async def _gated(
        self,
        week: str,
        role: str,
        earlier: Sequence[Mapping[tuple[str, str, str], int | None]],
    ) -> Released:
        if not self.closed(week):
            raise ValueError(f"week {week} has not ended")
        places = await self._periods.all_places()
        stored = await self._repo.of_week(week)
        if any((p.key, period) not in stored for p in places for period in PERIODS):
            await self._periods.freeze_week(week, self._clock())
            stored = await self._repo.of_week(week)
        figures = {node: PeriodFigures.model_validate_json(text) for node, text in stored.items()}
        partners = [p for p in await self._partners.all() if p.revoked_at is None]
        spans = {p.key: _span(p) for p in places}
        trees = [hierarchy(self._ref)] + [hierarchy(self._ref, p) for p in partners]
        counts = {
            metric: {
                (place, period): _metric(f, role, metric)
                for (place, period), f in figures.items()
                if place in spans
            }
            for metric in METRICS
        }
        values = await asyncio.to_thread(_gate_week, counts, spans, trees, self._k, earlier)
        raw = {
            (place, period, metric): count
            for metric, by_node in counts.items()
            for (place, period), count in by_node.items()
        }
        return Released(week, role, values, raw)

    async def warm(self) -> None:
        """Gate the weeks views look at first (after they are frozen): no first visitor waits."""
        # 12 weeks of small multiples, and the quarter before a quarter.
        await self.weeks(self.recent_weeks(WARM_WEEKS))

    async def weeks(self, weeks: Sequence[str], role: str = "shopkeeper") -> list[Released]:
        """Return the gated figures of several closed weeks, in order."""
        partners = await self._active()
        return [await self._week(w, role, partners) for w in weeks]


def _gate_week(
    counts: Mapping[str, Mapping[Node, int]],
    spans: Mapping[str, frozenset[str]],
    trees: Sequence[Mapping[str, str | None]],
    k: int,
    earlier: Sequence[Mapping[tuple[str, str, str], int | None]],
) -> dict[tuple[str, str, str], int | None]:
    """Gate every metric of a week: each alone, then across metrics and earlier weeks.

    The people who raised one factor are among those who raised any: the two never differ
    by 1 to k-1 (the factor is hidden). A window's count never differs by 1 to k-1 from an
    earlier window it contains (`inside_earlier`; this week's is hidden). Hiding more can
    open a gap elsewhere, so the week is gated again until nothing changes.
    """
    hidden: dict[str, set[Node]] = {metric: set() for metric in counts}
    while True:
        gated = {
            metric: release(by_node, spans, trees, k, frozenset(hidden[metric]))
            for metric, by_node in counts.items()
        }
        grew = False
        for metric in FACTOR_IDS:
            for node, value in gated[metric].items():
                total = gated[ANY].get(node)
                if value is not None and total is not None and 0 < total - value < k:
                    hidden[metric].add(node)
                    grew = True
        if earlier:
            for metric, values in gated.items():
                before = [
                    {(p, w): v for (p, w, m), v in week.items() if m == metric}
                    for week in earlier
                ]
                bad = inside_earlier(values, before, spans, k) - hidden[metric]
                if bad:
                    hidden[metric] |= bad
                    grew = True
        if not grew:
            return {
                (place, period, metric): value
                for metric, values in gated.items()
                for (place, period), value in values.items()
            }


def _span(place: Place) -> frozenset[str]:
    """Return what a place covers, for containment: its cores and whole territories."""
    return place.cores | frozenset(unplaced(t) for t in place.territories)
