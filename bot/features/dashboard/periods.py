"""The dashboard's figures of a period, per place: counted once when the period closes, then kept.

A period is a week, 4 weeks or a quarter (13 weeks) of ISO weeks in local time, named by the
week it ends with. Distinct people cannot be summed from weeks, so each window is counted on
its own. Once a window has closed its figures are frozen (period_figures): what a partner
saw does not change when people later leave, are forgotten or move to another core, so no
two readings of a period can be subtracted. Raw counts are kept, small ones included; the
gate (bot.shared.gate) hides them where they are shown, with the other numbers of the view.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from bot.features.dashboard.periods_store import Pair, PeriodRepository, unplaced
from bot.features.partners.store import Partner, PartnerRepository
from bot.reference import Reference
from bot.shared.schedule import last_full_week, week_bounds
from bot.storage import Database
from nlp.taxonomy import FACTOR_IDS

logger = logging.getLogger(__name__)

Period = Literal["week", "4w", "quarter"]
PERIODS: tuple[Period, ...] = get_args(Period)
# How many ISO weeks each window spans, up to and including the week it is named by.
SPAN: Mapping[Period, int] = {"week": 1, "4w": 4, "quarter": 13}
OUTCOMES = ("solved", "still_there", "worse")
# Weeks before the last full one that the job freezes when missing (after downtime, or for a
# partner added since): the year of weeks the views link to, and the 12 weeks before them
# that each week's gate compares with (release.HISTORY). The first run after a deploy does
# them all (about 4 minutes on 1,000,000 concerns, in steps of about a second); later runs
# find them frozen.
CATCH_UP = 64

_WEEK = re.compile(r"^([0-9]{4})-W([0-9]{2})$")


class UnknownPlace(ValueError):
    """Signal a place key that names nothing (or a revoked partner)."""


# --------------------------------------------------------------------------- weeks


def _monday(week: str) -> date:
    """Return the Monday of an ISO week ("2026-W53"); refuse a week the year does not have."""
    match = _WEEK.match(week)
    if match is None:
        raise ValueError(f"not an ISO week like 2026-W48: {week!r}")
    return date.fromisocalendar(int(match[1]), int(match[2]), 1)


def shift(week: str, weeks: int) -> str:
    """Return the ISO week `weeks` after (or before, if negative) another one."""
    year, number, _ = (_monday(week) + timedelta(weeks=weeks)).isocalendar()
    return f"{year}-W{number:02d}"


def weeks_ending(week: str, count: int) -> list[str]:
    """Return the `count` ISO weeks up to and including `week`, oldest first."""
    return [shift(week, -back) for back in range(count - 1, -1, -1)]


def previous(period: Period, week: str) -> str:
    """Return the week the previous window of the same kind ends with."""
    return shift(week, -SPAN[_checked(period)])


def window(period: Period, week: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return [start, end) in UTC of the window of `period` ending with `week` (local weeks)."""
    start, _ = week_bounds(shift(week, 1 - SPAN[_checked(period)]), tz)
    _, end = week_bounds(shift(week, 0), tz)
    return start, end


def _checked(period: str) -> Period:
    for known in PERIODS:
        if period == known:
            return known
    raise ValueError(f"not a period ({', '.join(PERIODS)}): {period!r}")


def _iso(moment: datetime) -> str:
    """Return a moment as stored in the database (UTC, milliseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class Place:
    """A place figures are counted for: the cores it covers, by its key.

    `territories` are the territories it covers whole: voices given there before a core was
    chosen count in them too (a territory, a partner seeing whole territories).
    """

    key: str
    cores: frozenset[str]
    territories: frozenset[str] = frozenset()

    @classmethod
    def of(cls, key: str, reference: Reference, partner: Partner | None = None) -> Place:
        """Resolve a key ("territory:brussels", "commune:brussels:Ixelles", "core:les_ogy",
        "partner:3" with that partner given) to the cores it covers."""
        kind, _, rest = key.partition(":")
        if kind == "territory" and (territory := reference.territory(rest)) is not None:
            return cls(key, frozenset(c.id for c in territory.cores), frozenset({rest}))
        if kind == "commune":
            territory_id, _, commune = rest.partition(":")
            territory = reference.territory(territory_id)
            if territory is not None:
                found = frozenset(c.id for c in territory.cores if c.commune_fr == commune)
                if found:
                    return cls(key, found)
        if kind == "core" and reference.core(rest) is not None:
            return cls(key, frozenset({rest}))
        if (
            kind == "partner"
            and partner is not None
            and key == partner_key(partner)
            and partner.revoked_at is None
        ):
            return cls.of_partner(partner, reference)
        raise UnknownPlace(key)

    @classmethod
    def of_partner(cls, partner: Partner, reference: Reference) -> Place:
        """Return a partner's scope: the cores it names, else its territories whole."""
        territories = [t for tid in partner.territories if (t := reference.territory(tid))]
        if partner.cores:
            named = set(partner.cores)
            cores = frozenset(c.id for t in territories for c in t.cores if c.id in named)
            return cls(partner_key(partner), cores)
        return cls(
            partner_key(partner),
            frozenset(c.id for t in territories for c in t.cores),
            frozenset(t.id for t in territories),
        )

    def pairs(self) -> list[Pair]:
        """Return (join key, place key) for each core and whole territory it covers."""
        keys = sorted(self.cores) + [unplaced(t) for t in sorted(self.territories)]
        return [(k, self.key) for k in keys]


def partner_key(partner: Partner) -> str:
    """Return the place key of a partner's scope."""
    return f"partner:{partner.id}"


def reference_places(reference: Reference) -> list[Place]:
    """Return every territory, commune and core, in that order."""
    territories = [
        Place.of(f"territory:{tid}", reference) for tid in sorted(reference.territories)
    ]
    communes = sorted(
        {
            f"commune:{tid}:{core.commune_fr}"
            for tid, territory in reference.territories.items()
            for core in territory.cores
        }
    )
    cores = sorted(f"core:{core.id}" for t in reference.territories.values() for core in t.cores)
    return territories + [Place.of(key, reference) for key in communes + cores]


def hierarchy(reference: Reference, partner: Partner | None = None) -> dict[str, str | None]:
    """Return each place's key mapped to the place around it, for `bot.shared.gate.tree`.

    Territories contain their communes, communes their cores. With a partner, only its
    scope: the cores it names, or its territories with their communes and cores, inside it.
    """
    parents: dict[str, str | None] = {}
    scope = None if partner is None else partner_key(partner)
    if partner is not None and partner.cores:
        parents[partner_key(partner)] = None
        for core_id in sorted(Place.of_partner(partner, reference).cores):
            parents[f"core:{core_id}"] = scope
        return parents
    if scope is not None:
        parents[scope] = None
    for tid, territory in reference.territories.items():
        if partner is not None and tid not in partner.territories:
            continue
        parents[f"territory:{tid}"] = scope
        for core in territory.cores:
            commune = f"commune:{tid}:{core.commune_fr}"
            parents[commune] = f"territory:{tid}"
            parents[f"core:{core.id}"] = commune
    return parents


# --------------------------------------------------------------------------- figures


class RoleFigures(BaseModel):
    """What people of one role said in a place and period (raw counts, not yet gated)."""

    model_config = ConfigDict(frozen=True)

    # Distinct people raising any factor, and the concerns they filed.
    people: int = 0
    concerns: int = 0
    # Distinct people per factor: every factor of the taxonomy, zeros included.
    factors: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(FACTOR_IDS, 0))
    # Distinct people per follow-up answer given in the period.
    outcomes: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))


class PeriodFigures(BaseModel):
    """A place's figures for one period, per role: the roles of anyone who spoke there.

    Voices of people without a role (there should be none) are in no role's figures.
    """

    model_config = ConfigDict(frozen=True)

    place: str
    period: Period
    week: str
    roles: dict[str, RoleFigures] = Field(default_factory=dict)

    def role(self, role: str) -> RoleFigures:
        """Return one role's figures (all zeros when nobody of that role spoke)."""
        return self.roles.get(role) or RoleFigures()


@dataclass
class _Tally:
    """Counts of one role in one place, as the queries return them."""

    people: int = 0
    concerns: int = 0
    factors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACTOR_IDS, 0))
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))


class PeriodFigureService:
    """Count periods for places; freeze those that have closed."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repo = PeriodRepository(db)
        self._partners = PartnerRepository(db)
        self._ref = reference
        self._tz = tz
        self._clock = clock

    async def place(self, key: str) -> Place:
        """Resolve a place key, reading a partner's scope from the database."""
        partner = None
        kind, _, rest = key.partition(":")
        numeric = rest.isascii() and rest.isdigit()
        if kind == "partner" and numeric and key == f"partner:{int(rest)}":
            partner = await self._partners.get(int(rest))
        return Place.of(key, self._ref, partner)

    async def figures(self, place_key: str, period: Period, week: str) -> PeriodFigures:
        """Return a place's figures for the window of `period` ending with `week`.

        A closed window is counted once and frozen; one still open is counted each time and
        kept nowhere.
        """
        period = _checked(period)
        place = await self.place(place_key)
        start, end = window(period, week, self._tz)
        now = self._clock()
        if end > now:
            return (await self._count([place], period, week, start, end))[place.key]
        stored = await self._repo.stored(place.key, period, week)
        if stored is None:
            counted = (await self._count([place], period, week, start, end))[place.key]
            stored = await self._repo.keep(
                place.key, period, week, counted.model_dump_json(), _iso(now)
            )
        return PeriodFigures.model_validate_json(stored)

    async def freeze_week(self, week: str, now: datetime | None = None) -> int:
        """Freeze every place's periods ending with a closed week; return how many were new.

        Places are every territory, commune and core, and the scope of every partner not
        revoked. Periods frozen already are left as they are.
        """
        moment = now or self._clock()
        if week_bounds(week, self._tz)[1] > moment:
            raise ValueError(f"week {week} has not ended yet")
        return await self._freeze(week, await self.all_places(), set(), moment)

    async def freeze_due(self, now: datetime) -> list[str]:
        """Freeze the last full week, and any of the 13 before it not frozen for every place.

        Return the weeks where something was frozen; run again, it freezes nothing.
        """
        last = last_full_week(now, self._tz)
        weeks = weeks_ending(last, CATCH_UP + 1)
        places = await self.all_places()
        frozen = await self._repo.frozen(weeks)
        done: list[str] = []
        for week in weeks:
            if await self._freeze(week, places, frozen, now):
                done.append(week)
        if done:
            logger.info("froze the periods of %s", ", ".join(done))
        return done

    async def all_places(self) -> list[Place]:
        """Return every place figures are frozen for."""
        partners = [p for p in await self._partners.all() if p.revoked_at is None]
        return reference_places(self._ref) + [Place.of_partner(p, self._ref) for p in partners]

    async def weekly_series(
        self, place_key: str, role: str, weeks: Sequence[str]
    ) -> dict[str, list[int]]:
        """Return distinct people of a role per factor in each of these weeks, in order.

        Frozen weeks are read as frozen; any other is counted as `figures` counts it.
        """
        place = await self.place(place_key)
        stored = await self._repo.weeks_of(place.key, "week", weeks)
        series: dict[str, list[int]] = {factor: [] for factor in FACTOR_IDS}
        for week in weeks:
            text = stored.get(week)
            figures = (
                PeriodFigures.model_validate_json(text)
                if text is not None
                else await self.figures(place.key, "week", week)
            )
            counts = figures.role(role).factors
            for factor in FACTOR_IDS:
                series[factor].append(counts.get(factor, 0))
        return series

    async def _freeze(
        self, week: str, places: Sequence[Place], frozen: set[tuple[str, str, str]], at: datetime
    ) -> int:
        """Count and store each period of a week for the places not frozen yet."""
        rows: list[tuple[str, str, str, str]] = []
        for period in PERIODS:
            missing = [p for p in places if (p.key, period, week) not in frozen]
            if not missing:
                continue
            start, end = window(period, week, self._tz)
            counted = await self._count(missing, period, week, start, end)
            rows += [(key, period, week, f.model_dump_json()) for key, f in counted.items()]
        if not rows:
            return 0
        added = await self._repo.keep_many(rows, _iso(at))
        frozen.update((place, period, w) for place, period, w, _ in rows)
        logger.debug("froze %d period figures ending with %s", added, week)
        return added

    async def _count(
        self, places: Sequence[Place], period: Period, week: str, start: datetime, end: datetime
    ) -> dict[str, PeriodFigures]:
        """Count a window for places at once: three queries, whatever their number."""
        keys = [p.key for p in places]
        pairs = sorted({pair for p in places for pair in p.pairs()})
        since, until = _iso(start), _iso(end)
        tallies: dict[str, dict[str, _Tally]] = {key: {} for key in keys}
        for place, role, people, concerns in await self._repo.activity(pairs, since, until):
            tally = tallies[place].setdefault(role, _Tally())
            tally.people, tally.concerns = people, concerns
        for place, role, factor, people in await self._repo.factor_people(pairs, since, until):
            # A factor no longer in the taxonomy is in nobody's view: left out.
            if factor in FACTOR_IDS:
                tallies[place].setdefault(role, _Tally()).factors[factor] = people
        for place, role, answer, people in await self._repo.outcomes(pairs, since, until):
            if answer in OUTCOMES:
                tallies[place].setdefault(role, _Tally()).outcomes[answer] = people
        return {
            key: PeriodFigures(
                place=key,
                period=period,
                week=week,
                roles={
                    role: RoleFigures(
                        people=t.people,
                        concerns=t.concerns,
                        factors=t.factors,
                        outcomes=t.outcomes,
                    )
                    for role, t in sorted(tallies[key].items())
                },
            )
            for key in keys
        }
