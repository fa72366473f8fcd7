"""Routing a coaching request, on a fake clock: who is asked first, time-outs, nobody left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.features.entrepreneurs.candidates import CandidateService
from bot.features.entrepreneurs.coaching import (
    CoachingError,
    CoachingService,
    CoachRegistry,
    DraftStep,
)
from bot.features.entrepreneurs.coaching_store import Request
from bot.features.entrepreneurs.registry import Registry
from bot.features.privacy.store import ErasureRepository
from bot.reference import Reference
from bot.storage import CONSENT_VERSION, Database, Role, User, UserRepository
from bot.storage import Step as UserStep

TZ = ZoneInfo("Europe/Brussels")
ADMINS = ("telegram:1", "whatsapp:32470000001")


@dataclass
class Clock:
    """A clock the test moves by hand."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


async def person(db: Database, ref: str, role: Role, territory: str = "lessines") -> User:
    users = UserRepository(db)
    user = await users.create(
        channel="whatsapp",
        external_id=f"32470{ref}",
        language="fr",
        consent_version=CONSENT_VERSION,
        step=UserStep.DONE,
        pending_core_id=None,
    )
    core = "les_ogy" if territory == "lessines" else "bru_flagey"
    return await users.update(
        user.id, role=role, territory_id=territory, core_id=core, sector_id="bakery"
    )


@pytest.fixture
def clock() -> Clock:
    # A Sunday evening just before a daylight-saving change: nothing depends on the day.
    return Clock(datetime(2027, 3, 28, 0, 30, tzinfo=UTC))


@pytest.fixture
async def service(db: Database, reference: Reference, clock: Clock) -> CoachingService:
    await Registry(db, reference).add_venue("lessines", "Salle du centre", "Grand-Place 1", "t")
    return CoachingService(db, reference, admins=ADMINS, accept_hours=48, tz=TZ, clock=clock)


async def coach(
    db: Database, reference: Reference, ref: str, skills: list[str], territory: str = "lessines"
) -> User:
    user = await person(db, ref, Role.COACH, territory)
    await CoachRegistry(db, reference).add(
        f"whatsapp:32470{ref}", f"Coach {ref}", [territory], skills, "t"
    )
    return user


async def submitted(
    db: Database, reference: Reference, service: CoachingService, ref: str, needs: list[str]
) -> Request:
    """Take a candidate through a request: needs, availability, venue, name, consent."""
    user = await person(db, ref, Role.CANDIDATE)
    candidates = CandidateService(db, reference)
    project = await candidates.start(user)
    request = await service.start(user, project)
    for need in needs:
        request = await service.toggle(request, "needs", need)
    request = await service.go_on(request, DraftStep.NEEDS)
    request = await service.toggle(request, "availability", "saturdays")
    request = await service.go_on(request, DraftStep.AVAILABILITY)
    [venue] = await service.venues(request)
    request = await service.choose_venue(request, venue.id)
    request = await service.give_name(request, "Sam", "whatsapp")
    request = await service.choose_contact(request, "relay")
    return await service.submit(request)


async def notices(db: Database) -> list[tuple[object, ...]]:
    rows = await db.fetch_all("SELECT user_id, admin_ref, kind FROM coaching_notices ORDER BY id")
    return [tuple(r) for r in rows]


async def test_the_best_suited_coach_is_asked_first_then_the_next_when_time_runs_out(
    db: Database, reference: Reference, service: CoachingService, clock: Clock
) -> None:
    finance = await coach(db, reference, "100", ["financing"])
    both = await coach(db, reference, "101", ["financing", "plan"])
    plan = await coach(db, reference, "102", ["plan"])
    await coach(db, reference, "103", ["financing", "plan"], territory="brussels")
    # The finance coach already follows someone: the plan coach, as suited, comes before.
    busy = await submitted(db, reference, service, "200", ["legal"])
    assert busy.status == "routing"
    first = await service.requests.open_offer(busy.id)
    assert first is not None
    # Offers go by speciality first: none matches "legal", so by load and id: 100 first.
    assert first.coach_id == finance.id
    await service.accept(busy.id, finance.id)

    request = await submitted(db, reference, service, "201", ["plan", "financing"])
    order = [c.user_id for c in await service.ranked(request)]
    # Asked already: "both" (two needs matched); then plan (load 0) before finance (load 1).
    assert order == [plan.id, finance.id]
    offer = await service.requests.open_offer(request.id)
    assert offer is not None and offer.coach_id == both.id
    assert datetime.fromisoformat(offer.deadline) - datetime.fromisoformat(offer.offered_at) == (
        timedelta(hours=48)
    )
    clock.advance(hours=47, minutes=59)
    assert await service.expire_due() == 0
    clock.advance(minutes=1)
    assert await service.expire_due() == 1
    offer = await service.requests.open_offer(request.id)
    assert offer is not None and offer.coach_id == plan.id
    # The coach whose time ran out cannot accept any more; nothing changes.
    with pytest.raises(CoachingError, match="offer_gone"):
        await service.accept(request.id, both.id)
    # A no goes to the next at once.
    await service.decline(request.id, plan.id)
    offer = await service.requests.open_offer(request.id)
    assert offer is not None and offer.coach_id == finance.id
    clock.advance(hours=48)
    assert await service.expire_due() == 1
    # Nobody left: the admins are told (and the candidate), once.
    gone = await service.requests.get(request.id)
    assert gone is not None and gone.status == "unmatched" and gone.admins_told_at is not None
    assert await service.expire_due() == 0
    told = [n for n in await notices(db) if n[2] == "unmatched"]
    assert sorted(str(n[1]) for n in told if n[1]) == sorted(ADMINS)
    assert [n[0] for n in told if n[0]] == [gone.user_id]
    kinds = [(n[0], n[2]) for n in await notices(db) if n[0] in (both.id, plan.id, finance.id)]
    assert (both.id, "offer") in kinds and (both.id, "expired") in kinds

    # A coach registered later in the territory gets the unmatched request.
    late = await coach(db, reference, "104", ["marketing"])
    assert await service.reroute_unmatched(["lessines"]) == 1
    offer = await service.requests.open_offer(request.id)
    assert offer is not None and offer.coach_id == late.id


async def test_the_fastest_to_answer_comes_first_among_equals(
    db: Database, reference: Reference, service: CoachingService, clock: Clock
) -> None:
    slow = await coach(db, reference, "110", ["idea"])
    fast = await coach(db, reference, "111", ["idea"])
    # History: the slow coach let one offer run out; the fast one declined within the hour.
    one = await submitted(db, reference, service, "210", ["idea"])
    assert (await service.requests.open_offer(one.id)).coach_id == slow.id  # type: ignore[union-attr]
    clock.advance(hours=48)
    await service.expire_due()
    clock.advance(minutes=30)
    await service.decline(one.id, fast.id)
    two = await submitted(db, reference, service, "211", ["idea"])
    offer = await service.requests.open_offer(two.id)
    assert offer is not None and offer.coach_id == fast.id


async def test_a_withdrawn_request_tells_its_coach_and_bad_input_changes_nothing(
    db: Database, reference: Reference, service: CoachingService, clock: Clock
) -> None:
    only = await coach(db, reference, "120", ["premises"])
    request = await submitted(db, reference, service, "220", ["premises"])
    await service.accept(request.id, only.id)
    accepted = await service.requests.get(request.id)
    assert accepted is not None
    for text in (
        "demain",
        "31/02 10:00",
        "12/13 10:00",
        "1/4 10:00\n2/4 10:00\n3/4 10:00\n4/4 9:00",
    ):
        with pytest.raises(CoachingError):
            service.parse_slots(text)
    # Too soon (within the hour) or too far (over four months) is refused too.
    local = clock().astimezone(TZ)
    with pytest.raises(CoachingError, match="slots_range"):
        service.parse_slots(local.strftime("%d/%m %H:%M"))
    slots = service.parse_slots("2/4 10:00\n3/4 14h30")
    assert [s.astimezone(TZ).strftime("%d/%m %H:%M") for s in slots] == [
        "02/04 10:00",
        "03/04 14:30",
    ]
    # After the clocks went forward, 10:00 in Brussels is 08:00 UTC.
    assert slots[0].astimezone(UTC).hour == 8
    appointment = await service.propose(accepted, only.id, slots)
    booked = await service.pick(accepted.user_id, appointment, 2)
    assert booked.starts_at is not None and booked.starts_at.startswith("2027-04-03T12:30")
    with pytest.raises(CoachingError):
        await service.pick(accepted.user_id, appointment, 1)
    withdrawn = await service.cancel(accepted)
    assert withdrawn.status == "cancelled"
    cancelled = await service.requests.appointment(appointment)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert (only.id, None, "withdrawn") in await notices(db)


async def test_slots_across_clock_changes_leap_days_and_the_new_year(
    db: Database, reference: Reference, clock: Clock
) -> None:
    service = CoachingService(db, reference, admins=(), accept_hours=48, tz=TZ, clock=clock)
    # Spring forward in Brussels: 28/03/2027 02:00 -> 03:00. It is 01:45 local (00:45 UTC).
    clock.at = datetime(2027, 3, 28, 0, 45, tzinfo=UTC)
    with pytest.raises(CoachingError, match="slots_skipped"):
        service.parse_slots("28/03 02:30")
    # 03:15 local is 01:15 UTC: half an hour ahead, not the hour asked, whatever the walls say.
    with pytest.raises(CoachingError, match="slots_range"):
        service.parse_slots("28/03 03:15")
    [slot] = service.parse_slots("28/03 04:00")
    assert slot.astimezone(UTC) == datetime(2027, 3, 28, 2, 0, tzinfo=UTC)
    # Fall back: 31/10/2027 03:00 -> 02:00; 02:30 happens twice, the first is taken.
    clock.at = datetime(2027, 10, 30, 12, 0, tzinfo=UTC)
    [slot] = service.parse_slots("31/10 02:30")
    assert slot.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    # A 29th of February typed in December is next year's, when next year has one.
    clock.at = datetime(2027, 12, 10, 9, 0, tzinfo=UTC)
    [slot] = service.parse_slots("29/02 10:00")
    assert slot.astimezone(TZ).date().isoformat() == "2028-02-29"
    # On New Year's Eve, "02/01" is next year's; "31/12" late in the day is today's.
    clock.at = datetime(2027, 12, 31, 12, 0, tzinfo=UTC)
    first, second = service.parse_slots("31/12 18:00\n02/01 9h")
    assert (first.year, second.year) == (2027, 2028)
    # In a year without a 29th of February and none within reach: refused, politely.
    clock.at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(CoachingError):
        service.parse_slots("29/02 10:00")


async def test_a_coach_who_leaves_puts_their_requests_back_on_the_road(
    db: Database, reference: Reference, service: CoachingService, clock: Clock
) -> None:
    gone = await coach(db, reference, "130", ["plan", "financing"])
    other = await coach(db, reference, "131", ["plan"])
    followed = await submitted(db, reference, service, "230", ["plan", "financing"])
    await service.accept(followed.id, gone.id)
    accepted = await service.requests.get(followed.id)
    assert accepted is not None
    clock.advance(hours=1)
    appointment = await service.propose(accepted, gone.id, service.parse_slots("2/4 10:00"))
    await service.pick(accepted.user_id, appointment, 1)
    offered = await submitted(db, reference, service, "231", ["plan", "financing"])
    assert (await service.requests.open_offer(offered.id)).coach_id == gone.id  # type: ignore[union-attr]
    # The coach erases themselves (/forget): their user row goes, and what cascades with it.
    async with db.transaction():
        await ErasureRepository(db).erase(gone.id, "whatsapp", "32470130")
    assert await service.repair() == 2
    for request_id in (followed.id, offered.id):
        offer = await service.requests.open_offer(request_id)
        assert offer is not None and offer.coach_id == other.id
    cancelled = await service.requests.appointment(appointment)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert (accepted.user_id, None, "coach_gone") in await notices(db)
    assert await service.repair() == 0


async def test_new_times_move_a_booked_appointment_and_finishing_ends_everything(
    db: Database, reference: Reference, service: CoachingService, clock: Clock
) -> None:
    only = await coach(db, reference, "140", ["legal"])
    request = await submitted(db, reference, service, "240", ["legal"])
    await service.accept(request.id, only.id)
    accepted = await service.requests.get(request.id)
    assert accepted is not None
    first = await service.propose(accepted, only.id, service.parse_slots("5/4 10:00"))
    await service.pick(accepted.user_id, first, 1)
    second = await service.propose(accepted, only.id, service.parse_slots("6/4 10:00\n7/4 9:00"))
    statuses = [(a.id, a.status) for a in await service.requests.appointments_of(request.id)]
    assert statuses == [(second, "proposed"), (first, "cancelled")]
    assert (accepted.user_id, None, "moved_by_coach") in await notices(db)
    await service.relay(accepted, only.id, "À bientôt")
    finished = await service.close(accepted, only.id)
    assert finished.status == "closed"
    # Old buttons change nothing; the message never shown goes with the coaching.
    with pytest.raises(CoachingError):
        await service.pick(accepted.user_id, second, 1)
    with pytest.raises(CoachingError):
        await service.cancel_appointment(accepted.user_id, first, move=False)
    texts = await db.fetch_all("SELECT text FROM coaching_notices WHERE text IS NOT NULL")
    assert texts == []
    assert (accepted.user_id, None, "closed") in await notices(db)


async def test_an_offer_to_a_coach_removed_since_goes_to_the_next(
    db: Database, reference: Reference, service: CoachingService
) -> None:
    first = await coach(db, reference, "150", ["idea", "plan"])
    second = await coach(db, reference, "151", ["idea"])
    request = await submitted(db, reference, service, "250", ["idea", "plan"])
    assert (await service.requests.open_offer(request.id)).coach_id == first.id  # type: ignore[union-attr]
    assert await CoachRegistry(db, reference).remove("whatsapp:32470150")
    with pytest.raises(CoachingError, match="offer_gone"):
        await service.accept(request.id, first.id)
    assert await service.repair() == 1
    offer = await service.requests.open_offer(request.id)
    assert offer is not None and offer.coach_id == second.id
