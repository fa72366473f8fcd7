"""Frozen period figures (issue 18): counted right for every place, kept once a window closes."""

from __future__ import annotations

import random
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.features.concerns.store import ConcernRepository, VoiceKind
from bot.features.dashboard import jobs as dashboard_jobs
from bot.features.dashboard.periods import (
    CATCH_UP,
    OUTCOMES,
    PERIODS,
    Period,
    PeriodFigures,
    PeriodFigureService,
    Place,
    RoleFigures,
    UnknownPlace,
    hierarchy,
    previous,
    shift,
    weeks_ending,
    window,
)
from bot.features.follow_ups.store import FollowUpAnswer, FollowUpRepository
from bot.features.partners.service import PartnerService
from bot.features.partners.store import Partner
from bot.reference import Reference
from bot.shared.gate import tree
from bot.storage import Database, Role
from nlp.taxonomy import FACTOR_IDS
from tests.features.concerns.test_service import make_user

TZ = ZoneInfo("Europe/Brussels")
# Long after every week of the fixtures: all their windows have closed.
LATER = datetime(2027, 6, 1, 12, tzinfo=UTC)
MS = timedelta(milliseconds=1)
IXELLES = ("bru_flagey", "bru_chatelain", "bru_bailli")
CORES = (*IXELLES, "bru_rue_neuve", "bru_sablon", "les_ogy", "les_ghoy", "les_centre")
ROLES = (Role.SHOPKEEPER, Role.SHOPKEEPER, Role.CUSTOMER, Role.LANDLORD)
# The random fixture's voices: 2026-W38 to 2026-W50.
FIRST = datetime(2026, 9, 14, tzinfo=TZ).astimezone(UTC)
LAST = datetime(2026, 12, 14, tzinfo=TZ).astimezone(UTC)


@dataclass(frozen=True)
class Voice:
    """A row of concern_factors as the brute force sees it."""

    user: int
    concern: int
    factor: str
    kind: str
    core: str | None
    territory: str
    role: str
    at: datetime


@dataclass(frozen=True)
class Answer:
    """An answered follow-up as the brute force sees it."""

    user: int
    core: str | None
    territory: str
    role: str
    answer: str
    at: datetime


@dataclass
class World:
    """What was put in the database, to count by hand."""

    voices: list[Voice]
    answers: list[Answer]


def territory_of(core: str) -> str:
    return "brussels" if core.startswith("bru_") else "lessines"


async def speak(
    db: Database,
    world: World,
    user: int,
    role: str,
    factors: list[str],
    at: datetime,
    core: str | None,
    territory: str,
    answer: tuple[str, datetime] | None = None,
) -> int:
    """File one confirmed concern with its voices (and maybe an answered follow-up)."""
    repo = ConcernRepository(db)
    concern = await repo.create(
        user_id=user, text="t", lang="fr", predicted=factors, text_hash=f"{user}{at}{factors}"
    )
    for factor in factors:
        await repo.add_voice(
            concern.id,
            factor,
            VoiceKind.RAISED,
            user_id=user,
            core_id=core,
            territory_id=territory,
            role=role,
            at=at.isoformat(timespec="milliseconds"),
        )
        world.voices.append(Voice(user, concern.id, factor, "raised", core, territory, role, at))
    if answer is not None:
        said, when = answer
        follow_ups = FollowUpRepository(db)
        await follow_ups.schedule(
            concern_id=concern.id,
            user_id=user,
            core_id=core,
            territory_id=territory,
            role=role,
            due_at=when.isoformat(timespec="milliseconds"),
        )
        await follow_ups.record_answer(
            concern.id, user, FollowUpAnswer(said), when.isoformat(timespec="milliseconds")
        )
        world.answers.append(Answer(user, core, territory, role, said, when))
        if said != "solved":
            # A problem still there is a voice too, but not a raised one: never counted here.
            await repo.add_voice(
                concern.id,
                factors[0],
                VoiceKind(said),
                user_id=user,
                core_id=core,
                territory_id=territory,
                role=role,
                at=when.isoformat(timespec="milliseconds"),
            )
            world.voices.append(
                Voice(user, concern.id, factors[0], said, core, territory, role, when)
            )
    return concern.id


async def random_world(db: Database, seed: int = 7) -> World:
    """People in eight cores (three in one commune) speaking at random over 13 weeks."""
    rng = random.Random(seed)
    world = World([], [])
    span = int((LAST - FIRST) / MS)
    for i in range(36):
        core = rng.choice(CORES)
        role = rng.choice(ROLES)
        user = await make_user(db, f"r{i}", core=core, role=role)
        for _ in range(rng.randint(0, 6)):
            at = FIRST + MS * rng.randrange(span)
            if rng.random() < 0.1:
                # On a week's first millisecond, local time.
                day = at.astimezone(TZ).date()
                monday = day - timedelta(days=day.weekday())
                at = datetime.combine(monday, time(0), tzinfo=TZ).astimezone(UTC)
            # Someone who moved since, or spoke before choosing a core.
            where: str | None = core
            if rng.random() < 0.1:
                where = rng.choice(CORES)
            elif rng.random() < 0.05:
                where = None
            territory = territory_of(where or core)
            answer = None
            if rng.random() < 0.3:
                answer = (rng.choice(OUTCOMES), at + timedelta(days=rng.randint(1, 30)))
            factors = rng.sample(FACTOR_IDS, rng.randint(1, 3))
            await speak(db, world, user.id, role.value, factors, at, where, territory, answer)
    return world


def bounds(period: Period, week: str) -> tuple[datetime, datetime]:
    """Count the window by hand: local Mondays, span weeks back from the named one."""
    year, number = int(week[:4]), int(week[-2:])
    last_monday = date.fromisocalendar(year, number, 1)
    weeks = {"week": 1, "4w": 4, "quarter": 13}[period]
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    start = datetime.combine(first_monday, time(0), tzinfo=TZ).astimezone(UTC)
    end = datetime.combine(last_monday + timedelta(days=7), time(0), tzinfo=TZ)
    return start, end.astimezone(UTC)


def inside(key: str, core: str | None, territory: str, reference: Reference) -> bool:
    kind, _, rest = key.partition(":")
    if kind == "territory":
        return territory == rest
    if kind == "commune":
        found = reference.core(core) if core is not None else None
        return found is not None and f"{found.territory}:{found.commune_fr}" == rest
    return core == rest


def brute(
    world: World,
    key: str,
    period: Period,
    week: str,
    reference: Reference,
    partner: Partner | None = None,
) -> PeriodFigures:
    """Count a place's window in Python, row by row."""
    start, end = bounds(period, week)

    def here(core: str | None, territory: str) -> bool:
        if partner is None:
            return inside(key, core, territory, reference)
        if partner.cores:
            return core in partner.cores
        return territory in partner.territories

    people: dict[str, set[int]] = {}
    concerns: dict[str, set[int]] = {}
    factors: dict[tuple[str, str], set[int]] = {}
    answers: dict[tuple[str, str], set[int]] = {}
    for v in world.voices:
        if v.kind == "raised" and start <= v.at < end and here(v.core, v.territory):
            people.setdefault(v.role, set()).add(v.user)
            concerns.setdefault(v.role, set()).add(v.concern)
            factors.setdefault((v.role, v.factor), set()).add(v.user)
    for a in world.answers:
        if start <= a.at < end and here(a.core, a.territory):
            answers.setdefault((a.role, a.answer), set()).add(a.user)
    roles = set(people) | {role for role, _ in answers}
    return PeriodFigures(
        place=key,
        period=period,
        week=week,
        roles={
            role: RoleFigures(
                people=len(people.get(role, ())),
                concerns=len(concerns.get(role, ())),
                factors={f: len(factors.get((role, f), ())) for f in FACTOR_IDS},
                outcomes={o: len(answers.get((role, o), ())) for o in OUTCOMES},
            )
            for role in roles
        },
    )


def service(db: Database, reference: Reference, now: datetime = LATER) -> PeriodFigureService:
    return PeriodFigureService(db, reference, TZ, clock=lambda: now)


async def stored_rows(db: Database) -> list[tuple[str, str, str]]:
    rows = await db.fetch_all("SELECT place, period, week FROM period_figures ORDER BY 1, 2, 3")
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


# --------------------------------------------------------------------------- weeks


def test_week_labels_cross_year_ends_and_week_53() -> None:
    assert shift("2026-W52", 1) == "2026-W53"  # 2026 has 53 ISO weeks
    assert shift("2026-W53", 1) == "2027-W01"
    assert shift("2025-W52", 1) == "2026-W01"  # 2025 has 52
    assert shift("2027-W01", -1) == "2026-W53"
    assert weeks_ending("2027-W02", 4) == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    assert previous("week", "2027-W01") == "2026-W53"
    assert previous("4w", "2027-W02") == "2026-W51"
    assert previous("quarter", "2027-W10") == "2026-W50"
    with pytest.raises(ValueError):
        shift("2025-W53", 0)  # no such week
    with pytest.raises(ValueError):
        previous("year", "2026-W01")  # type: ignore[arg-type]
    # The quarter ending with 2027-W12 starts on Monday 28 December 2026, 00:00 in Brussels.
    start, end = window("quarter", "2027-W12", TZ)
    assert start == datetime(2026, 12, 27, 23, tzinfo=UTC)
    # It ends on Monday 29 March 2027, 00:00 summer time (which began the day before).
    assert end == datetime(2027, 3, 28, 22, tzinfo=UTC)


def test_windows_follow_local_midnight_across_daylight_saving_changes() -> None:
    # Summer time starts on Sunday 29 March 2026: that week lasts 167 hours.
    start, end = window("week", "2026-W13", TZ)
    assert (start, end) == (
        datetime(2026, 3, 22, 23, tzinfo=UTC),
        datetime(2026, 3, 29, 22, tzinfo=UTC),
    )
    # It ends on Sunday 25 October 2026: 169 hours.
    start, end = window("week", "2026-W43", TZ)
    assert end - start == timedelta(hours=169)
    # Four weeks across the October change: one hour more than 4 × 168.
    start, end = window("4w", "2026-W45", TZ)
    assert end - start == timedelta(hours=4 * 168 + 1)


# --------------------------------------------------------------------------- counting


async def test_counts_match_a_brute_force_count_for_every_place_and_period(
    db: Database, reference: Reference
) -> None:
    world = await random_world(db)
    partners = PartnerService(db, reference)
    some_cores = await partners.create(
        name="Ixelles", territories=["brussels"], cores=list(IXELLES[:2]), created_by="t"
    )
    both = await partners.create(
        name="Région", territories=["brussels", "lessines"], created_by="t"
    )
    periods = service(db, reference)
    started = clock.perf_counter()
    added = await periods.freeze_week("2026-W48")
    seconds = clock.perf_counter() - started
    places = await periods.all_places()
    assert added == len(places) * len(PERIODS)
    by_partner = {f"partner:{p.id}": p for p in (some_cores, both)}
    for place in places:
        for period in PERIODS:
            expected = brute(
                world, place.key, period, "2026-W48", reference, by_partner.get(place.key)
            )
            assert await periods.figures(place.key, period, "2026-W48") == expected, (
                place.key,
                period,
            )
    # The fixture really has something in the places that matter.
    territory = await periods.figures("territory:brussels", "quarter", "2026-W48")
    assert territory.role("shopkeeper").people >= 10
    assert sum(territory.role("shopkeeper").outcomes.values()) > 0
    ixelles = await periods.figures("commune:brussels:Ixelles", "4w", "2026-W48")
    assert ixelles.role("shopkeeper").people > 0
    # One place counted alone (not frozen in bulk) gives the same as counting by hand.
    for key in ("core:les_ogy", "commune:lessines:Lessines", f"partner:{some_cores.id}"):
        for period in PERIODS:
            partner = by_partner.get(key)
            expected = brute(world, key, period, "2026-W44", reference, partner)
            assert await periods.figures(key, period, "2026-W44") == expected
    print(f"freeze_week: {len(places)} places x 3 periods in {seconds * 1000:.0f} ms")


async def test_every_window_is_read_in_time_order_from_the_index(
    db: Database, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[tuple[str, Any]] = []
    fetch_all = Database.fetch_all

    async def spy(self: Database, sql: str, params: Any = ()) -> Any:
        if sql.startswith("WITH places"):
            queries.append((sql, params))
        return await fetch_all(self, sql, params)

    monkeypatch.setattr(Database, "fetch_all", spy)
    periods = service(db, reference)
    await periods.freeze_week("2026-W48")
    assert len(queries) == 3 * len(PERIODS)  # per window: factors, activity, outcomes
    # One place alone, each voice joined as it is read (no distinct pass first).
    await periods.figures("territory:lessines", "quarter", "2026-W40")
    assert len(queries) == 3 * len(PERIODS) + 3
    monkeypatch.undo()
    for n, (sql, params) in enumerate(queries):
        plan = " / ".join(
            str(r[3]) for r in await db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
        )
        index = "follow_ups_answered_at" if "follow_ups" in sql else "concern_factors_raised_at"
        # The window's rows outside, from a covering index: never looked up in the table.
        read = plan.index(f"USING COVERING INDEX {index} (")
        assert read < plan.index(" p "), plan
        if n < 3 * len(PERIODS):
            # Hundreds of places: each row finds its own in an index, not by a scan.
            assert "AUTOMATIC COVERING INDEX (core_id=?)" in plan, plan


# --------------------------------------------------------------------------- freezing


async def test_a_closed_week_is_frozen_and_does_not_drift(
    db: Database, reference: Reference
) -> None:
    world = World([], [])
    users = [await make_user(db, f"f{i}", core="les_ogy") for i in range(6)]
    at = datetime(2026, 11, 25, 12, tzinfo=UTC)  # 2026-W48
    for user in users:
        await speak(db, world, user.id, "shopkeeper", ["roadworks"], at, "les_ogy", "lessines")
    periods = service(db, reference)
    keys = ("core:les_ogy", "territory:lessines")
    before = {key: await periods.figures(key, "week", "2026-W48") for key in keys}
    assert before["core:les_ogy"].role("shopkeeper").factors["roadworks"] == 6
    await periods.freeze_week("2026-W48")
    # One person forgotten, another moved to Ghoy since.
    await db.execute("DELETE FROM concerns WHERE user_id = ?", (users[0].id,))
    await db.execute(
        "UPDATE concern_factors SET core_id = 'les_ghoy' WHERE user_id = ?", (users[1].id,)
    )
    for key in keys:
        assert await periods.figures(key, "week", "2026-W48") == before[key]
        assert await periods.figures(key, "4w", "2026-W48") is not None
    await periods.freeze_week("2026-W48")  # again: nothing changes
    assert await periods.figures("core:les_ogy", "week", "2026-W48") == before["core:les_ogy"]
    # Counted now, the week would say 4 in Ogy: the data did change.
    still_open = service(db, reference, now=at)
    live = await still_open.figures("core:les_ogy", "week", "2026-W48")
    assert live.role("shopkeeper").factors["roadworks"] == 4
    # A window frozen later than the data changed is counted from what is left.
    ghoy = await periods.figures("core:les_ghoy", "quarter", "2026-W49")
    assert ghoy.role("shopkeeper").people == 1


async def test_an_open_week_is_counted_live_and_never_stored(
    db: Database, reference: Reference
) -> None:
    world = World([], [])
    # Wednesday of 2026-W48, in the middle of the week.
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    periods = service(db, reference, now=now)
    user = await make_user(db, "o1", core="bru_flagey")
    await speak(
        db,
        world,
        user.id,
        "shopkeeper",
        ["staff"],
        now - timedelta(hours=1),
        "bru_flagey",
        "brussels",
    )
    first = await periods.figures("core:bru_flagey", "4w", "2026-W48")
    assert first.role("shopkeeper").people == 1
    assert await stored_rows(db) == []
    other = await make_user(db, "o2", core="bru_flagey")
    await speak(db, world, other.id, "shopkeeper", ["staff"], now, "bru_flagey", "brussels")
    again = await periods.figures("core:bru_flagey", "4w", "2026-W48")
    assert again.role("shopkeeper").factors["staff"] == 2
    assert await stored_rows(db) == []
    with pytest.raises(ValueError, match="not ended"):
        await periods.freeze_week("2026-W48")
    # The week before has closed: it is frozen when first asked for.
    await periods.figures("core:bru_flagey", "week", "2026-W47")
    assert await stored_rows(db) == [("core:bru_flagey", "week", "2026-W47")]


async def test_week_53_and_the_new_year_are_counted_to_the_millisecond(
    db: Database, reference: Reference
) -> None:
    world = World([], [])
    start, end = window("week", "2026-W53", TZ)
    assert (start, end) == (
        datetime(2026, 12, 27, 23, tzinfo=UTC),
        datetime(2027, 1, 3, 23, tzinfo=UTC),
    )
    moments = {
        "staff": [start - MS],  # 2026-W52
        "roadworks": [start, end - MS],  # 2026-W53
        "rent_premises": [end],  # 2027-W01
    }
    for factor, ats in moments.items():
        for i, at in enumerate(ats):
            user = await make_user(db, f"{factor}{i}", core="les_centre")
            await speak(db, world, user.id, "shopkeeper", [factor], at, "les_centre", "lessines")
    periods = service(db, reference)
    w53 = (await periods.figures("core:les_centre", "week", "2026-W53")).role("shopkeeper")
    assert (w53.people, w53.factors["roadworks"], w53.factors["staff"]) == (2, 2, 0)
    w01 = (await periods.figures("core:les_centre", "4w", "2027-W01")).role("shopkeeper")
    assert w01.people == 4 and w01.factors["rent_premises"] == 1
    w52 = (await periods.figures("core:les_centre", "week", "2026-W52")).role("shopkeeper")
    assert w52.people == 1 and w52.factors["staff"] == 1


async def test_a_week_with_a_daylight_saving_change_ends_at_local_midnight(
    db: Database, reference: Reference
) -> None:
    world = World([], [])
    # Monday 30 March 2026 00:00 CEST is 22:00 UTC on Sunday: the end of 2026-W13.
    end = datetime(2026, 3, 29, 22, tzinfo=UTC)
    for i, at in enumerate((end - MS, end, end + timedelta(minutes=30))):
        user = await make_user(db, f"d{i}", core="bru_sablon")
        await speak(db, world, user.id, "customer", ["safety_image"], at, "bru_sablon", "brussels")
    periods = service(db, reference)
    w13 = await periods.figures("core:bru_sablon", "week", "2026-W13")
    w14 = await periods.figures("core:bru_sablon", "week", "2026-W14")
    assert (w13.role("customer").people, w14.role("customer").people) == (1, 2)
    assert w13.role("shopkeeper") == RoleFigures()  # nobody: zeros, every factor
    assert list(w13.role("shopkeeper").factors) == list(FACTOR_IDS)


# --------------------------------------------------------------------------- partners


async def test_a_partner_sees_its_cores_or_its_territories_whole(
    db: Database, reference: Reference
) -> None:
    world = World([], [])
    at = datetime(2026, 11, 25, 12, tzinfo=UTC)
    places = [("bru_flagey", "brussels"), ("bru_bailli", "brussels"), ("les_ogy", "lessines")]
    for i, (core, territory) in enumerate(places):
        user = await make_user(db, f"p{i}", core=core)
        await speak(db, world, user.id, "shopkeeper", ["competition"], at, core, territory)
    # A voice given before the person chose a core counts in the territory only.
    loose = await make_user(db, "loose", core="bru_louise")
    await speak(db, world, loose.id, "shopkeeper", ["competition"], at, None, "brussels")
    partners = PartnerService(db, reference)
    flagey = await partners.create(
        name="Flagey", territories=["brussels"], cores=["bru_flagey"], created_by="t"
    )
    brussels = await partners.create(name="hub.brussels", territories=["brussels"], created_by="t")
    periods = service(db, reference)
    assert Place.of_partner(flagey, reference).cores == {"bru_flagey"}

    async def people(key: str) -> int:
        return (await periods.figures(key, "week", "2026-W48")).role("shopkeeper").people

    assert await people(f"partner:{flagey.id}") == 1
    assert await people(f"partner:{brussels.id}") == 3
    assert await people("territory:brussels") == 3
    assert await people("commune:brussels:Ixelles") == 2
    assert await people("territory:lessines") == 1
    for key in ("partner:999", "partner:x", "core:nowhere", "commune:brussels:Gotham", "x"):
        with pytest.raises(UnknownPlace):
            await periods.figures(key, "week", "2026-W48")
    # The gate's hierarchy of the partner's own scope.
    assert hierarchy(reference, flagey) == {
        f"partner:{flagey.id}": None,
        "core:bru_flagey": f"partner:{flagey.id}",
    }
    parents = hierarchy(reference, brussels)
    assert parents["territory:brussels"] == f"partner:{brussels.id}"
    assert parents["core:bru_flagey"] == "commune:brussels:Ixelles"
    assert "territory:lessines" not in parents
    full = hierarchy(reference)
    counts = {"territory:brussels": 3, "commune:brussels:Ixelles": 2, "core:bru_flagey": 1}
    assert tree(counts, full, 2) == {
        "territory:brussels": 3,
        "commune:brussels:Ixelles": None,  # 3 - 2 = 1
        "core:bru_flagey": None,
    }


async def test_revoked_partners_are_not_frozen(db: Database, reference: Reference) -> None:
    partners = PartnerService(db, reference)
    kept = await partners.create(name="kept", territories=["lessines"], created_by="t")
    gone = await partners.create(name="gone", territories=["lessines"], created_by="t")
    await partners.revoke(gone.id)
    periods = service(db, reference)
    await periods.freeze_week("2026-W48")
    frozen = {place for place, _, _ in await stored_rows(db)}
    assert f"partner:{kept.id}" in frozen and f"partner:{gone.id}" not in frozen
    with pytest.raises(UnknownPlace):
        await periods.figures(f"partner:{gone.id}", "week", "2026-W48")


# --------------------------------------------------------------------------- the job


async def test_the_job_catches_up_missed_weeks_and_is_idempotent(
    db: Database, reference: Reference
) -> None:
    periods = service(db, reference)
    places = len(await periods.all_places())
    # Tuesday 5 January 2027: the last full week is 2026-W53.
    now = datetime(2027, 1, 5, 9, tzinfo=UTC)
    weeks = await dashboard_jobs.freeze_periods(periods, lambda: now)
    assert weeks == weeks_ending("2026-W53", CATCH_UP + 1)
    assert len(await stored_rows(db)) == (CATCH_UP + 1) * places * len(PERIODS)
    assert await periods.freeze_due(now) == []  # nothing left to do
    # Down for three weeks: the three weeks missed, and only them.
    later = now + timedelta(weeks=3)
    assert await periods.freeze_due(later) == ["2027-W01", "2027-W02", "2027-W03"]
    # A partner added since is frozen for the recent weeks it lacks.
    partner = await PartnerService(db, reference).create(
        name="new", territories=["brussels"], created_by="t"
    )
    assert await periods.freeze_due(later) == weeks_ending("2027-W03", CATCH_UP + 1)
    rows = await stored_rows(db)
    assert sum(1 for place, _, _ in rows if place == f"partner:{partner.id}") == (
        CATCH_UP + 1
    ) * 3
    assert await periods.freeze_due(later) == []
    [job] = dashboard_jobs.jobs(periods, lambda: later)
    assert job.name == "freeze_periods"
    assert await job.run() == []


async def test_weekly_series_reads_frozen_weeks(db: Database, reference: Reference) -> None:
    world = World([], [])
    weeks = weeks_ending("2026-W48", 12)
    user = await make_user(db, "s1", core="les_ghoy")
    for n, week in enumerate(weeks):
        monday = date.fromisocalendar(int(week[:4]), int(week[-2:]), 1)
        at = datetime.combine(monday, time(10), tzinfo=TZ).astimezone(UTC)
        if n % 3 == 0:
            await speak(
                db, world, user.id, "shopkeeper", ["admin_tax"], at, "les_ghoy", "lessines"
            )
    periods = service(db, reference)
    await periods.freeze_due(datetime(2026, 12, 1, tzinfo=UTC))  # last full week: 2026-W48
    await db.execute("DELETE FROM concerns WHERE user_id = ?", (user.id,))
    series = await periods.weekly_series("core:les_ghoy", "shopkeeper", weeks)
    assert list(series) == list(FACTOR_IDS)
    assert series["admin_tax"] == [1, 0, 0] * 4
    assert series["staff"] == [0] * 12
    assert (await periods.weekly_series("core:les_ghoy", "customer", weeks[:2]))["staff"] == [0, 0]
