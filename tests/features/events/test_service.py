"""Events: seats and waiting list, answers after the start, reminders, feedback, attendees."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.channels.base import IncomingKind, IncomingMessage
from bot.features.broadcasts.service import BroadcastService
from bot.features.broadcasts.store import Audience, BroadcastRepository
from bot.features.events.flow import EventFlow
from bot.features.events.service import EventError, EventService
from bot.features.events.store import Answer, Event
from bot.features.surveys.definitions import Surveys
from bot.features.surveys.results import SurveyResults
from bot.features.surveys.waves import WaveService
from bot.reference import Reference, default_data_dir
from bot.shared.sending import Delivery
from bot.storage import Database, User
from tests.features.broadcasts.test_service import Clock
from tests.features.concerns.test_service import make_user

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)  # 18:00 in Brussels


def service(db: Database, reference: Reference, clock: Clock) -> EventService:
    broadcasts = BroadcastService(db, reference, clock=clock)
    waves = WaveService(
        db,
        Surveys.load(default_data_dir() / "surveys"),
        window=timedelta(0),
        remind_after=timedelta(hours=48),
        open_for=timedelta(days=7),
        results=SurveyResults(db, 5),
    )
    return EventService(db, reference, broadcasts, waves, BRUSSELS, clock)


async def announced(events: EventService, **kw: object) -> Event:
    made = await events.create(
        title="Atelier vitrine",
        place="Maison du commerce, Lessines",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        created_by="t",
        **kw,  # type: ignore[arg-type]
    )
    await events.announced(made.id)
    got = await events.get(made.id)
    assert got is not None
    return got


async def invite(db: Database, event: Event, *users: User) -> None:
    """Send the event's invitation to these people (their outbox rows), as announcing does."""
    repo = BroadcastRepository(db)
    made = await repo.create(
        created_by="t",
        texts={"fr": "Invitation"},
        photo=None,
        audience=Audience(user_ids=tuple(u.id for u in users)),
        send_at=NOW.isoformat(),
        event_id=event.id,
    )
    async with db.transaction():
        await repo.start(made, None, NOW.isoformat())


async def test_a_full_event_puts_going_on_a_waiting_list_and_a_freed_seat_promotes_the_first(
    db: Database, reference: Reference
) -> None:
    clock = Clock(NOW)
    events = service(db, reference, clock)
    event = await announced(events, capacity=2)
    a, b, c, d = [await make_user(db, f"u{i}", core="les_ogy") for i in range(4)]
    await invite(db, event, a, b, c, d)
    assert (await events.answer(a, event.id, Answer.GOING)).state == "going"
    assert (await events.answer(b, event.id, Answer.GOING)).state == "going"
    clock.now += timedelta(minutes=1)
    waiting_c = await events.answer(c, event.id, Answer.GOING)
    clock.now += timedelta(minutes=1)
    waiting_d = await events.answer(d, event.id, Answer.GOING)
    assert (waiting_c.state, waiting_c.position) == ("waiting", 1)
    assert (waiting_d.state, waiting_d.position) == ("waiting", 2)
    # Tapping "going" again keeps one's place in the line.
    again = await events.answer(c, event.id, Answer.GOING)
    assert (again.state, again.position) == ("waiting", 1)
    # b frees a seat: c (first in line) gets it and is to be told; d moves up.
    assert (await events.answer(b, event.id, Answer.NO)).state == "no"
    told: list[tuple[int, int]] = []

    async def tell(user: User, ev: Event) -> Delivery:
        told.append((user.id, ev.id))
        return Delivery.SENT

    assert await events.send_notices(tell) == 1
    assert told == [(c.id, event.id)]
    assert await events.send_notices(tell) == 0  # told once
    assert (await events.answer(d, event.id, Answer.GOING)).position == 1
    [(_, counts)] = await events.upcoming()
    assert counts == {"going": 2, "waiting": 1, "no": 1}
    # A "maybe" from someone waiting frees nothing and promotes nobody.
    assert (await events.answer(d, event.id, Answer.MAYBE)).state == "maybe"
    assert await events.send_notices(tell) == 0
    # Once the event has started, answers are closed.
    clock.now = STARTS + timedelta(minutes=5)
    assert (await events.answer(d, event.id, Answer.GOING)).state == "over"


async def test_reminder_24_hours_before_to_seated_people_only_and_feedback_after(
    db: Database, reference: Reference
) -> None:
    clock = Clock(NOW)
    events = service(db, reference, clock)
    event = await announced(events, capacity=1)
    seated, waiting, maybe = [await make_user(db, f"r{i}", core="les_ogy") for i in range(3)]
    await invite(db, event, seated, waiting, maybe)
    await events.answer(seated, event.id, Answer.GOING)
    await events.answer(waiting, event.id, Answer.GOING)
    await events.answer(maybe, event.id, Answer.MAYBE)
    clock.now = STARTS - timedelta(hours=25)
    assert await events.schedule_reminders() == 0  # too early
    clock.now = STARTS - timedelta(hours=23, minutes=59)
    assert await events.schedule_reminders() == 1
    assert await events.schedule_reminders() == 0  # once
    [reminder] = [b for b in await BroadcastRepository(db).recent(5) if b.created_by != "t"]
    assert reminder.created_by == f"event:{event.id}"
    assert reminder.audience.user_ids == (seated.id,)
    assert "Atelier vitrine" in reminder.texts["fr"] and "18:00" in reminder.texts["fr"]
    # Feedback: once it is over (plus two hours), to whoever had a seat.
    clock.now = STARTS + timedelta(hours=3)
    clock.now = STARTS + timedelta(hours=1)
    assert await events.launch_feedback() == 0  # not yet: people are on their way home
    clock.now = STARTS + timedelta(hours=4, minutes=1)
    assert await events.launch_feedback() == 1
    rows = await db.fetch_all("SELECT user_id FROM survey_invitations")
    assert [r[0] for r in rows] == [seated.id]
    assert await events.launch_feedback() == 0
    again = await events.get(event.id)
    assert again is not None and again.feedback_wave_id is not None


async def test_attendee_list_has_only_names_people_chose_to_share_and_the_ics_is_valid(
    db: Database, reference: Reference
) -> None:
    clock = Clock(NOW)
    events = service(db, reference, clock)
    event = await announced(events, description="Vitrines; hiver, lumières\nSur inscription")
    named, quiet = [await make_user(db, f"a{i}", core="les_ogy") for i in range(2)]
    await invite(db, event, named, quiet)
    for user in (named, quiet):
        await events.answer(user, event.id, Answer.GOING)
    assert await events.share_name(named, event.id, "  Marie   Dupont ")
    content, shared, seated = await events.attendees_csv(event.id)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    assert (shared, seated) == (1, 2)
    assert [row[0] for row in rows] == ["name", "Marie Dupont"]
    await events.share_name(named, event.id, None)
    assert (await events.attendees_csv(event.id))[1] == 0

    calendar = icalendar.Calendar.from_ical(events.ics(event))
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Atelier vitrine"
    assert str(vevent["DESCRIPTION"]) == "Vitrines; hiver, lumières\nSur inscription"
    assert vevent.decoded("DTSTART").astimezone(UTC) == STARTS
    assert vevent.decoded("DTEND").astimezone(UTC) == STARTS + timedelta(hours=2)


async def test_events_are_checked_before_anything_is_stored(
    db: Database, reference: Reference
) -> None:
    clock = Clock(NOW)
    events = service(db, reference, clock)
    good = {
        "title": "Atelier",
        "place": "Lessines",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=1),
        "created_by": "t",
    }
    for wrong in (
        {"title": ""},
        {"place": " "},
        {"starts_at": NOW - timedelta(hours=1), "ends_at": NOW},
        {"ends_at": STARTS},
        {"capacity": 0},
        {"territory_id": "atlantis"},
    ):
        with pytest.raises(EventError):
            await events.create(**{**good, **wrong})  # type: ignore[arg-type]
    assert await events.upcoming() == []


async def test_only_people_the_invitation_went_to_can_answer_it(
    db: Database, reference: Reference
) -> None:
    clock = Clock(NOW)
    events = service(db, reference, clock)
    event = await announced(events, capacity=1)
    guest = await make_user(db, "guest", core="les_ogy")
    stranger = await make_user(db, "stranger", core="bru_flagey")
    await invite(db, event, guest)
    # A forged button from someone never invited takes no seat.
    assert (await events.answer(stranger, event.id, Answer.GOING)).state == "unknown"
    assert (await events.answer(guest, event.id, Answer.GOING)).state == "going"
    assert await events.upcoming() == [(event, {"going": 1})]


async def test_a_shared_name_can_be_withdrawn_and_never_runs_as_a_formula(
    db: Database, reference: Reference
) -> None:
    clock = Clock(NOW)
    events = service(db, reference, clock)
    event = await announced(events)
    guest = await make_user(db, "g", core="les_ogy")
    await invite(db, event, guest)
    await events.answer(guest, event.id, Answer.GOING)
    flow = EventFlow(events)

    def tap(data: str, name: str = "") -> IncomingMessage:
        return IncomingMessage(
            channel="test",
            user_ref="g",
            event_key=data,
            kind=IncomingKind.BUTTON,
            button_data=data,
            display_name=name,
        )

    shared = await flow.on_button(guest, tap(f"ev:n:{event.id}", '=HYPERLINK("http://x")'))
    [[withdraw]] = shared.replies[0].buttons
    content, named, _ = await events.attendees_csv(event.id)
    assert named == 1 and "'=HYPERLINK" in content.decode("utf-8")
    await flow.on_button(guest, tap(withdraw.data))
    assert (await events.attendees_csv(event.id))[1] == 0
