"""Unit tests of the barometer and follow-up services on a real SQLite file."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.features.barometer.service import BarometerService, MeTooStatus, Trend, trend_of
from bot.features.concerns.service import ConcernService
from bot.features.concerns.store import Concern, ConcernRepository, VoiceKind
from bot.features.follow_ups.service import AnswerStatus, FollowUpService
from bot.features.follow_ups.store import FollowUpAnswer
from bot.shared.charts import BarChart, BarRow, Panel, render_png
from bot.shared.sending import Delivery
from bot.storage import Database, Role, User, UserRepository
from nlp.asking import Question
from tests.features.concerns.test_service import make_user

_events = itertools.count(1)
NOW = datetime.now(UTC)


def key() -> str:
    return f"barometer-test:{next(_events)}"


async def voice(db: Database, user: User, factor: str, days_ago: float) -> None:
    """Store a confirmed concern of `user` on one factor, `days_ago` days back."""
    repo = ConcernRepository(db)
    concern = await repo.create(
        user_id=user.id, text="t", lang="fr", predicted=[factor], text_hash=key()
    )
    at = (NOW - timedelta(days=days_ago)).isoformat(timespec="milliseconds")
    await repo.add_voice(
        concern.id,
        factor,
        VoiceKind.RAISED,
        user_id=user.id,
        core_id=user.core_id,
        territory_id=user.territory_id,
        role=user.role.value if user.role else None,
        at=at,
    )


def test_trend_needs_two_people_and_a_fifth() -> None:
    assert trend_of(7, 5) is Trend.UP
    assert trend_of(6, 5) is Trend.STABLE
    assert trend_of(30, 26) is Trend.STABLE
    assert trend_of(30, 24) is Trend.UP
    assert trend_of(3, 6) is Trend.DOWN
    assert trend_of(0, 0) is Trend.STABLE


async def test_counts_suppression_trend_and_own_voice(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    ogy = [await make_user(db, f"o{i}", core="les_ogy") for i in range(6)]
    ghoy = [await make_user(db, f"g{i}", core="les_ghoy") for i in range(3)]
    customer = await make_user(db, "c", core="les_ogy", role=Role.CUSTOMER)
    for person in ogy:  # 6 now, 2 of them also before: shown, going up
        await voice(db, person, "roadworks", 3)
    for person in ogy[:2]:
        await voice(db, person, "roadworks", 40)
    for person in ogy[:4]:  # 4 now: below k = 5 in the core
        await voice(db, person, "rent_premises", 10)
    for person in ghoy:  # ...but 7 in the territory
        await voice(db, person, "rent_premises", 10)
    await voice(db, customer, "staff", 1)  # another role: never counted for shopkeepers
    await voice(db, ogy[0], "staff", 90)  # too old for either window
    await voice(db, me, "rent_premises", 1)  # the viewer's own voice: never counted

    service = BarometerService(db, anonymity_k=5, clock=lambda: NOW)
    barometer = await service.barometer(me)
    core = {s.factor: s for s in barometer.core.stats}
    territory = {s.factor: s for s in barometer.territory.stats}
    # 2 before: below k, so neither the number nor a direction is given away.
    assert (core["roadworks"].current, core["roadworks"].trend) == (6, Trend.NEW)
    assert core["roadworks"].previous is None
    assert core["rent_premises"].current is None and core["rent_premises"].trend is None
    assert territory["rent_premises"].current == 7
    assert core["staff"].current is None and territory["staff"].current is None
    assert [s.factor for s in barometer.core.shown] == ["roadworks"]
    assert [s.factor for s in barometer.territory.shown] == ["rent_premises", "roadworks"]
    assert barometer.me_too_factors == ("roadworks",)
    # Suppressed cells come after the shown ones, in the taxonomy's order, whatever their size.
    hidden = [s.factor for s in barometer.core.stats if s.current is None]
    assert hidden.index("rent_premises") == 0


async def test_cached_territory_counts_never_subtract_a_voice_they_did_not_see(
    db: Database,
) -> None:
    me = await make_user(db, "me", core="les_ogy")
    others = [await make_user(db, f"o{i}", core="les_ghoy") for i in range(5)]
    for person in others:
        await voice(db, person, "staff", 2)
    # The counts are taken a second before "now": the "me too" below is stored at the
    # storage clock's now, and within the same millisecond as the counts it would be
    # indistinguishable from a voice they saw (it happened under faketime).
    service = BarometerService(
        db,
        anonymity_k=5,
        territory_cache_s=3600,
        clock=lambda: datetime.now(UTC) - timedelta(seconds=1),
    )
    first = await service.barometer(me)
    assert {s.factor: s.current for s in first.territory.stats}["staff"] == 5
    # My "me too" lands after the territory counts were cached: the 5 others stay 5.
    result = await service.me_too(me, "staff", key())
    assert result.status is MeTooStatus.COUNTED
    second = await service.barometer(me)
    assert {s.factor: s.current for s in second.territory.stats}["staff"] == 5
    # ...and once the cache is gone, the fresh count includes me and takes me out again.
    service.forget_cache()
    third = await service.barometer(me)
    assert {s.factor: s.current for s in third.territory.stats}["staff"] == 5


async def test_me_too_counts_once_per_factor_per_30_days(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    service = BarometerService(db, anonymity_k=5)
    first = await service.me_too(me, "mobility_parking", key())
    assert first.status is MeTooStatus.COUNTED
    again = await service.me_too(me, "mobility_parking", key())
    assert again.status is MeTooStatus.ALREADY and again.already_on is not None
    event = key()
    assert (await service.me_too(me, "staff", event)).status is MeTooStatus.COUNTED
    assert (await service.me_too(me, "staff", event)).status is MeTooStatus.DUPLICATE_EVENT
    row = await db.fetch_one("SELECT COUNT(*) FROM concerns WHERE source = 'me_too'")
    assert row is not None and row[0] == 2


def follow_up_service(db: Database) -> FollowUpService:
    return FollowUpService(
        db,
        after=timedelta(days=21),
        from_hour=9,
        until_hour=19,
        tz=ZoneInfo("Europe/Brussels"),
    )


async def confirmed(db: Database, user: User, factors: list[str]) -> Concern:
    repo = ConcernRepository(db)
    concern = await repo.create(
        user_id=user.id, text="t", lang="fr", predicted=factors, text_hash=key()
    )
    return await repo.confirm(
        concern, factors, core_id=user.core_id, territory_id=user.territory_id, role="shopkeeper"
    )


async def test_one_question_per_problem_and_per_day(db: Database) -> None:
    service = follow_up_service(db)
    me = await make_user(db, "me", core="les_ogy")
    first = await confirmed(db, me, ["roadworks"])
    same = await confirmed(db, me, ["roadworks", "staff"])
    other = await confirmed(db, me, ["rent_premises"])
    async with db.transaction():
        for concern in (first, same, other):
            assert await service.plan(me, concern, concern.draft)
    asked: list[int] = []

    async def send(_user: User, concern: Concern) -> Delivery:
        asked.append(concern.id)
        return Delivery.SENT

    day = datetime.now(UTC).replace(hour=10, minute=0) + timedelta(days=22)
    assert await service.send_due(send, day) == 1
    assert await service.send_due(send, day + timedelta(hours=2)) == 0
    assert await service.send_due(send, day + timedelta(days=1)) == 1
    assert await service.send_due(send, day + timedelta(days=2)) == 0
    # The roadworks question also stood for the second roadworks concern.
    assert asked == [first.id, other.id]
    covered = await service.get(same.id)
    assert covered is not None and covered.skipped == "covered" and covered.sent_at is None


async def test_deleting_a_concern_never_loses_another_ones_follow_up(db: Database) -> None:
    service = follow_up_service(db)
    me = await make_user(db, "me", core="les_ogy")
    first = await confirmed(db, me, ["roadworks"])
    second = await confirmed(db, me, ["roadworks"])
    async with db.transaction():
        await service.plan(me, first, first.draft)
        await service.plan(me, second, second.draft)
    assert await ConcernRepository(db).delete(first.id, me.id)
    asked: list[int] = []

    async def send(_user: User, concern: Concern) -> Delivery:
        asked.append(concern.id)
        return Delivery.SENT

    day = datetime.now(UTC).replace(hour=10, minute=0) + timedelta(days=22)
    assert await service.send_due(send, day) == 1
    assert asked == [second.id]


async def test_an_answer_counts_even_if_sending_was_never_confirmed(db: Database) -> None:
    service = follow_up_service(db)
    me = await make_user(db, "me", core="les_ogy")
    concern = await confirmed(db, me, ["staff"])
    async with db.transaction():
        await service.plan(me, concern, concern.draft)

    async def lost_in_transit(_user: User, _concern: Concern) -> Delivery:
        return Delivery.FAILED

    day = datetime.now(UTC).replace(hour=10, minute=0) + timedelta(days=22)
    assert await service.send_due(lost_in_transit, day) == 0
    # The question reached the phone all the same, and the person answers it.
    result = await service.answer(me, concern.id, FollowUpAnswer.WORSE, key())
    assert result.status is AnswerStatus.STORED
    again = await service.answer(me, concern.id, FollowUpAnswer.SOLVED, key())
    assert again.status is AnswerStatus.STALE

    async def must_not_send(_user: User, _concern: Concern) -> Delivery:
        raise AssertionError("already answered")

    assert await service.send_due(must_not_send, day + timedelta(hours=1)) == 0


async def test_follow_ups_skip_people_who_blocked_the_bot(db: Database) -> None:
    service = follow_up_service(db)
    me = await make_user(db, "me", core="les_ogy")
    concern = await confirmed(db, me, ["staff"])
    async with db.transaction():
        await service.plan(me, concern, concern.draft)
    await UserRepository(db).mark_blocked("test", "me")

    async def send(_user: User, _concern: Concern) -> Delivery:
        raise AssertionError("must not be sent")

    day = datetime.now(UTC).replace(hour=10, minute=0) + timedelta(days=22)
    assert await service.send_due(send, day) == 0
    follow_up = await service.get(concern.id)
    assert follow_up is not None and follow_up.skipped == "blocked"


def test_chart_is_a_png_of_the_expected_size() -> None:
    rows = tuple(BarRow(f"Factor {i}", c, None, "↑" if c else "") for i, c in enumerate([7, None]))
    chart = BarChart("Title", (Panel("A", rows), Panel("B", rows)), "now", "before", "< 5")
    png = render_png(chart, dpi=100)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == int(100 * (4.2 * 2 + 2.2))


async def test_refresh_warms_the_shared_territory_counts(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    others = [await make_user(db, f"o{i}", core="les_ghoy") for i in range(5)]
    for person in others[:4]:
        await voice(db, person, "safety_image", 1)
    service = BarometerService(db, anonymity_k=5, territory_cache_s=3600)
    # Two territories and everywhere, for two roles.
    assert await service.refresh(["lessines", "brussels"], ["shopkeeper", "customer"]) == 6
    await voice(db, others[4], "safety_image", 0)
    # The warm counts are served as they were (4: suppressed)...
    stats = {s.factor: s.current for s in (await service.barometer(me)).territory.stats}
    assert stats["safety_image"] is None
    # ...until the next refresh, which the bot's job runs every few minutes.
    await service.refresh(["lessines"], ["shopkeeper"])
    stats = {s.factor: s.current for s in (await service.barometer(me)).territory.stats}
    assert stats["safety_image"] == 5


async def test_a_deleted_voice_is_never_counted_back_from_the_cache(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    others = [await make_user(db, f"o{i}", core="les_ghoy") for i in range(4)]
    for person in others:
        await voice(db, person, "staff", 2)
    barometer = BarometerService(db, anonymity_k=5, territory_cache_s=3600)

    async def no_model(_text: str) -> Question:
        return Question(("staff",))

    concerns = ConcernService(db, no_model, anonymity_k=5, voices_removed=barometer.forget_cache)
    intake = await concerns.intake(me, "le personnel est introuvable", key())
    assert intake.concern is not None
    assert await concerns.confirm(me, intake.concern.id, key()) is not None
    await barometer.refresh(["lessines"], ["shopkeeper"])  # counts me: 5 in all
    seen = {s.factor: s.current for s in (await barometer.barometer(me)).territory.stats}
    assert seen["staff"] is None  # 4 others
    assert await concerns.delete(me, intake.concern.id, key())
    # Had the cached 5 survived the deletion, I would now see "5" and know the 4 others.
    seen = {s.factor: s.current for s in (await barometer.barometer(me)).territory.stats}
    assert seen["staff"] is None


async def test_a_known_previous_count_gives_a_direction(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    people = [await make_user(db, f"p{i}", core="les_ogy") for i in range(9)]
    for person in people[:5]:
        await voice(db, person, "competition", 40)
    for person in people:
        await voice(db, person, "competition", 5)
    service = BarometerService(db, anonymity_k=5, clock=lambda: NOW)
    stat = {s.factor: s for s in (await service.barometer(me)).core.stats}["competition"]
    assert (stat.current, stat.previous, stat.trend) == (9, 5, Trend.UP)


async def test_a_problem_said_to_persist_counts_in_the_current_window(db: Database) -> None:
    me = await make_user(db, "me", core="les_ogy")
    people = [await make_user(db, f"p{i}", core="les_ogy") for i in range(5)]
    repo = ConcernRepository(db)
    for person in people:
        concern = await repo.create(
            user_id=person.id, text="t", lang="fr", predicted=["roadworks"], text_hash=key()
        )
        for kind, days_ago in ((VoiceKind.RAISED, 40), (VoiceKind.STILL_THERE, 3)):
            await repo.add_voice(
                concern.id,
                "roadworks",
                kind,
                user_id=person.id,
                core_id=person.core_id,
                territory_id=person.territory_id,
                role="shopkeeper",
                at=(NOW - timedelta(days=days_ago)).isoformat(timespec="milliseconds"),
            )
    service = BarometerService(db, anonymity_k=5, clock=lambda: NOW)
    stat = {s.factor: s for s in (await service.barometer(me)).core.stats}["roadworks"]
    # Raised 40 days ago only, they would have left the current window; the follow-up keeps
    # them in it.
    assert (stat.current, stat.previous, stat.trend) == (5, 5, Trend.STABLE)


async def test_a_barometer_inside_a_transaction_never_waits_for_the_refresh_job(
    db: Database,
) -> None:
    # An echo is computed inside the confirmation's transaction, which holds the connection;
    # the refresh job, holding the shared counts' lock, waits for that connection. Waiting
    # for its lock there froze the whole bot under load.
    me = await make_user(db, "lock1", core="les_ogy")
    service = BarometerService(db, anonymity_k=5)
    lock_key = ("territory_id", "lessines", me.role.value if me.role else None)
    async with db.transaction():
        refresh = asyncio.create_task(service.refresh(["lessines"], [lock_key[2]]))
        for _ in range(200):
            lock = service._cache_locks.get(lock_key)
            if lock is not None and lock.locked():
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the refresh never took its lock")
        # In this task (the one holding the connection), as a flow runs in its conversation.
        async with asyncio.timeout(5):
            shown = await service.barometer(me)
        assert shown.territory.scope_id == "lessines"
    assert await asyncio.wait_for(refresh, timeout=5) == 2
