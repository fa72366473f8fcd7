"""Compute a commercial core's barometer: top factors now, next to the territory's, with trends."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.features.barometer.store import Opening, OpeningRepository
from bot.features.concerns.store import (
    EVERYWHERE_ID,
    Concern,
    ConcernRepository,
    FactorTrend,
    Scope,
)
from bot.features.follow_ups.service import FollowUpService
from bot.features.follow_ups.store import FollowUpAnswer, FollowUpRepository
from bot.shared.gate import nested, visible
from bot.storage import Database, ProcessedEventRepository, User
from nlp.taxonomy import FACTOR_IDS

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=30)
# A button that shows the person's barometer (in templates and nudges).
SHOW_BUTTON_DATA = "bm:s"
TOP = 5
ME_TOO_BUTTONS = 3


class Trend(StrEnum):
    """Say which way a count went compared with the 30 days before."""

    UP = "up"
    DOWN = "down"
    STABLE = "stable"
    # Fewer than k people before: any arrow would give away how many.
    NEW = "new"


def trend_of(current: int, previous: int) -> Trend:
    """Call a change up or down only when it is at least 2 people and 20%."""
    threshold = max(2.0, 0.2 * previous)
    if current - previous >= threshold:
        return Trend.UP
    if previous - current >= threshold:
        return Trend.DOWN
    return Trend.STABLE


@dataclass(frozen=True)
class FactorStat:
    """One barometer cell; None means fewer than the anonymity threshold."""

    factor: str
    current: int | None
    previous: int | None
    trend: Trend | None


@dataclass(frozen=True)
class ScopeBarometer:
    """The barometer of one place: shown factors first (most voices first), then the rest."""

    scope_id: str | None
    stats: tuple[FactorStat, ...]
    outcomes: dict[FollowUpAnswer, int | None]

    @property
    def shown(self) -> tuple[FactorStat, ...]:
        """Return the factors with enough people to be shown, most voices first."""
        return tuple(s for s in self.stats if s.current is not None)


@dataclass(frozen=True)
class Barometer:
    """The core's, the territory's and everywhere's barometers, as seen by one person."""

    role: str | None
    core: ScopeBarometer
    territory: ScopeBarometer
    everywhere: ScopeBarometer

    def stat(self, factor: str) -> tuple[FactorStat, FactorStat, FactorStat]:
        """Return a factor's cells in the core, the territory and everywhere."""
        return tuple(  # type: ignore[return-value]
            next(s for s in scope.stats if s.factor == factor)
            for scope in (self.core, self.territory, self.everywhere)
        )

    def opened(self, factor: str) -> bool:
        """Return whether the core's barometer shows this factor (enough voices there)."""
        return self.stat(factor)[0].current is not None

    @property
    def me_too_factors(self) -> tuple[str, ...]:
        """Return the factors offered as "me too": the core's top ones, else the territory's."""
        source = self.core.shown or self.territory.shown
        return tuple(s.factor for s in source[:ME_TOO_BUTTONS])


def _ordered(stats: Iterable[FactorStat]) -> tuple[FactorStat, ...]:
    """Shown cells by size; hidden ones in taxonomy order, so that their rank leaks nothing."""
    order = {f: i for i, f in enumerate(FACTOR_IDS)}
    return tuple(
        sorted(stats, key=lambda s: (s.current is None, -(s.current or 0), order.get(s.factor, 0)))
    )


class MeTooStatus(StrEnum):
    """Say what became of a "me too" tap."""

    COUNTED = "counted"
    ALREADY = "already"
    DUPLICATE_EVENT = "duplicate_event"


@dataclass(frozen=True)
class MeToo:
    """Carry the result of a "me too" tap."""

    status: MeTooStatus
    concern: Concern | None = None
    already_on: str | None = None


@dataclass
class _Counts:
    """Counts including everyone, over windows ending at `until`."""

    since: str
    split: str
    until: str
    trends: list[FactorTrend]


# A shared count's key: (scope, scope id, role).
_Key = tuple[str, str | None, str | None]


@dataclass
class _Cached:
    expires: float
    counts: _Counts


class BarometerService:
    """Count distinct people per factor over 30 days, suppress small counts, add "me too"."""

    def __init__(
        self,
        db: Database,
        *,
        anonymity_k: int,
        follow_ups: FollowUpService | None = None,
        territory_cache_s: float = 300.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._concerns = ConcernRepository(db)
        self._outcomes = FollowUpRepository(db)
        self._openings = OpeningRepository(db)
        self._events = ProcessedEventRepository(db)
        self._follow_ups = follow_ups
        self._k = anonymity_k
        self._ttl = territory_cache_s
        self._clock = clock
        self._cache: dict[_Key, _Cached] = {}
        self._cache_locks: dict[_Key, asyncio.Lock] = {}
        self._generation = 0

    async def _count(self, scope: Scope, scope_id: str | None, role: str | None) -> _Counts:
        now = self._clock()
        since = (now - 2 * WINDOW).isoformat(timespec="milliseconds")
        split = (now - WINDOW).isoformat(timespec="milliseconds")
        until = now.isoformat(timespec="milliseconds")
        trends = await self._concerns.factor_trends(
            scope=scope,
            scope_id=scope_id,
            role=role,
            factors=FACTOR_IDS,
            since=since,
            split=split,
            until=until,
        )
        return _Counts(since, split, until, trends)

    async def barometer(self, user: User, *, outcomes: bool = True) -> Barometer:
        """Return the barometer of the user's core, territory and everywhere, among their role.

        Every count is of other people (the viewer's own voice is taken out) over 30 days, and
        goes through the one gate: under k it is hidden, and a place never shows a number that
        differs from the smaller place inside it by 1 to k-1. The echo reads the same counts
        (without the follow-up outcomes, which it does not show: `outcomes=False`).
        """
        role = user.role.value if user.role else None
        places = (
            (Scope.CORE, user.core_id, await self._count(Scope.CORE, user.core_id, role)),
            (
                Scope.TERRITORY,
                user.territory_id,
                await self._shared_counts(Scope.TERRITORY, user.territory_id, role),
            ),
            (
                Scope.EVERYWHERE,
                EVERYWHERE_ID,
                await self._shared_counts(Scope.EVERYWHERE, EVERYWHERE_ID, role),
            ),
        )
        raw = [
            await self._raw(user, scope, scope_id, counts) for scope, scope_id, counts in places
        ]
        gated: list[dict[str, FactorStat]] = [{}, {}, {}]
        for factor in FACTOR_IDS:
            now = nested([r[factor][0] for r in raw], self._k)
            before = nested([r[factor][1] for r in raw], self._k)
            for index in range(3):
                current, previous = now[index], before[index]
                trend = None
                if current is not None:
                    trend = trend_of(current, previous) if previous is not None else Trend.NEW
                gated[index][factor] = FactorStat(factor, current, previous, trend)
        scopes = []
        for (scope, scope_id, counts), stats in zip(places, gated, strict=True):
            scopes.append(
                ScopeBarometer(
                    scope_id=scope_id,
                    stats=_ordered(stats.values()),
                    outcomes=(
                        await self._outcome_counts(user, scope, scope_id, counts, role)
                        if outcomes
                        else dict.fromkeys(FollowUpAnswer)
                    ),
                )
            )
        return Barometer(role=role, core=scopes[0], territory=scopes[1], everywhere=scopes[2])

    async def _shared_counts(
        self, scope: Scope, scope_id: str | None, role: str | None
    ) -> _Counts:
        # A territory's (or everywhere's) counts are the same for everyone of a role (the
        # viewer's own voice is taken out afterwards) and cost ~80 ms on a million concerns:
        # shared, briefly cached.
        key = (scope.value, scope_id, role)
        if self._db.holding():
            # Inside a transaction (an echo after a confirmation): waiting for the task that
            # computes the same counts would wait for the connection held here. Compute alone.
            entry = self._cache.get(key)
            if entry is not None and entry.expires > time.monotonic():
                return entry.counts
            generation = self._generation
            counts = await self._count(scope, scope_id, role)
            self._keep(key, counts, generation)
            return counts
        lock = self._cache_locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._cache.get(key)
            if entry is not None and entry.expires > time.monotonic():
                return entry.counts
            generation = self._generation
            counts = await self._count(scope, scope_id, role)
            self._keep(key, counts, generation)
            return counts

    def _keep(
        self, key: tuple[str, str | None, str | None], counts: _Counts, generation: int
    ) -> None:
        # Counts begun before a voice was deleted may still hold it: never keep those, or the
        # deleter would be counted in what they are shown (and learn a suppressed count).
        if generation == self._generation:
            self._cache[key] = _Cached(time.monotonic() + self._ttl, counts)

    async def refresh(self, territory_ids: list[str], roles: list[str | None]) -> int:
        """Recompute the shared counts (territories, everywhere) ahead of time; return how many."""
        done = 0
        places = [(Scope.TERRITORY, t) for t in territory_ids] + [
            (Scope.EVERYWHERE, EVERYWHERE_ID)
        ]
        for scope, scope_id in places:
            for role in roles:
                key = (scope.value, scope_id, role)
                async with self._cache_locks.setdefault(key, asyncio.Lock()):
                    generation = self._generation
                    counts = await self._count(scope, scope_id, role)
                    self._keep(key, counts, generation)
                done += 1
        return done

    def forget_cache(self) -> None:
        """Drop the shared counts: call it whenever voices are deleted."""
        self._generation += 1
        self._cache.clear()

    async def _raw(
        self, user: User, scope: Scope, scope_id: str | None, counts: _Counts
    ) -> dict[str, tuple[int, int]]:
        """Return per factor (people now, people the 30 days before), the viewer taken out."""
        role = user.role.value if user.role else None
        # The viewer never counts toward what they are shown: take out their own voices, but
        # only those the (possibly cached) counts could have seen.
        own = await self._concerns.own_voices(
            user_id=user.id,
            scope=scope,
            scope_id=scope_id,
            role=role,
            since=counts.since,
            split=counts.split,
            until=counts.until,
        )
        raw: dict[str, tuple[int, int]] = {}
        for t in counts.trends:
            mine_now, mine_before = own.get(t.factor, (False, False))
            raw[t.factor] = (
                max(0, t.current - int(mine_now)),
                max(0, t.previous - int(mine_before)),
            )
        return raw

    async def _outcome_counts(
        self, user: User, scope: Scope, scope_id: str | None, counts: _Counts, role: str | None
    ) -> dict[FollowUpAnswer, int | None]:
        if scope is Scope.EVERYWHERE:
            return dict.fromkeys(FollowUpAnswer)
        outcomes = await self._outcomes.outcomes(
            scope_column=scope.value,
            scope_id=scope_id,
            role=role,
            since=counts.split,
            exclude_user_id=user.id,
        )
        counted = {o.answer: o.people for o in outcomes}
        return {a: visible(counted.get(a, 0), self._k) for a in FollowUpAnswer}

    async def new_openings(self) -> list[tuple[Opening, list[int]]]:
        """Record the cores that opened for a factor since the last look; return each with the
        people of its role who raised the factor there (to be told once).

        A raiser sees the others, so a core opens for them at k + 1 people. The first look on a
        database records what is already open without telling anyone (it is not news).
        """
        now = self._clock()
        since = (now - WINDOW).isoformat(timespec="milliseconds")
        at = now.isoformat(timespec="milliseconds")
        current = await self._openings.open_now(since, self._k + 1)
        async with self._db.transaction():
            known = await self._openings.recorded()
            fresh = [o for o in current if o not in known]
            if not await self._openings.seeded():
                await self._openings.record(fresh, at, seed=True)
                return []
            await self._openings.record(fresh, at)
        return [(o, await self._openings.raised_by(o, since)) for o in fresh]

    async def me_too(self, user: User, factor: str, event_key: str) -> MeToo:
        """Add the user's voice to a factor, at most once per factor per 30 days."""
        if factor not in FACTOR_IDS:
            raise ValueError(f"unknown factor {factor!r}")
        since = (self._clock() - WINDOW).isoformat(timespec="milliseconds")
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return MeToo(MeTooStatus.DUPLICATE_EVENT)
            last = await self._concerns.last_voice(user.id, factor, since)
            if last is not None:
                return MeToo(MeTooStatus.ALREADY, already_on=last)
            concern = await self._concerns.create_me_too(
                user_id=user.id,
                lang=user.language,
                factor=factor,
                core_id=user.core_id,
                territory_id=user.territory_id,
                role=user.role.value if user.role else None,
            )
            if self._follow_ups is not None:
                await self._follow_ups.plan(user, concern, concern.draft)
        return MeToo(MeTooStatus.COUNTED, concern)
