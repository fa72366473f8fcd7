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
