"""After an information session: who is asked whether they came, and coaching offered once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.base import IncomingKind, IncomingMessage
from bot.features.entrepreneurs.jobs import SessionSender
from bot.features.entrepreneurs.session_flow import SessionFlow
from bot.features.entrepreneurs.sessions_store import AttendanceRepository
from bot.features.events.store import Answer, EventRepository
from bot.shared.contacts import ContactService
from bot.shared.outbound import Outbound
from bot.storage import Database, Role, UserRepository
from tests.features.entrepreneurs.test_candidates import person
from tests.support import MemoryPort

NOW = datetime(2027, 2, 28, 21, 0, tzinfo=UTC)  # a Sunday evening, nothing depends on it


def tap(user_ref: str, data: str) -> IncomingMessage:
    return IncomingMessage(
        channel="test",
        user_ref=user_ref,
        event_key=f"k:{data}",
        kind=IncomingKind.BUTTON,
        button_data=data,
    )


async def session(db: Database, kind: str = "info_session") -> int:
    event = await EventRepository(db).create(
        title="Devenir entrepreneur",
        description="",
        place="Salle du centre",
        starts_at=(NOW - timedelta(hours=4)).isoformat(),
        ends_at=(NOW - timedelta(hours=1)).isoformat(),
        capacity=None,
        territory_id="lessines",
        created_by="t",
        kind=kind,
    )
    return event.id


async def test_those_going_are_asked_once_and_those_who_came_are_offered_coaching_once(
    db: Database,
) -> None:
    users = UserRepository(db)
    port = MemoryPort("test")
    outbound = Outbound(ContactService(users))
    outbound.register(port)
    sender = SessionSender(db, outbound, users)
    came, stayed, declined, waiting = [
        await person(db, ref, Role.CANDIDATE) for ref in ("s1", "s2", "s3", "s4")
    ]
    event_id = await session(db)
    other = await session(db, kind="event")
    events = EventRepository(db)
    at = (NOW - timedelta(days=3)).isoformat()
    for who, answer, is_waiting in (
        (came, Answer.GOING, False),
        (stayed, Answer.GOING, False),
        (declined, Answer.NO, False),
        (waiting, Answer.GOING, True),
    ):
        await events.put(event_id, who.id, answer, waiting=is_waiting, at=at)
        await events.put(other, who.id, answer, waiting=is_waiting, at=at)
    assert await sender.run(NOW) == 2
    assert sorted(to.chat_id for to, _ in port.sent) == ["s1", "s2"]
    assert all("Devenir entrepreneur" in reply.text for _, reply in port.sent)
    assert await sender.run(NOW + timedelta(minutes=5)) == 0

    flow = SessionFlow(db, lambda: NOW)
    yes = await flow.on_button(came, tap("s1", f"ss:y:{event_id}"), "fr")
    assert [b.data for r in yes.replies for row in r.buttons for b in row] == ["co:start"]
    no = await flow.on_button(stayed, tap("s2", f"ss:n:{event_id}"), "fr")
    assert no.replies and not no.replies[0].buttons
    # Someone who was not seated, or a tap for an event that is no session, changes nothing.
    before = await db.fetch_all("SELECT * FROM session_attendance ORDER BY user_id")
    for who, data in ((waiting, f"ss:y:{event_id}"), (came, f"ss:y:{other}"), (came, "ss:y:x")):
        refused = await flow.on_button(who, tap(who.external_id, data), "fr")
        assert refused.notice is not None and not refused.replies
    after = await db.fetch_all("SELECT * FROM session_attendance ORDER BY user_id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    rows = await db.fetch_all(
        "SELECT user_id, attended, marked_by, offered_at IS NOT NULL FROM session_attendance"
        " ORDER BY user_id"
    )
    assert [tuple(r) for r in rows] == [(came.id, 1, "self", 1), (stayed.id, 0, "self", 0)]
    # The coaching offer went with the answer: not again, however often "yes" is tapped, and
    # the job does not send it either.
    again = await flow.on_button(came, tap("s1", f"ss:y:{event_id}"), "fr")
    assert [b.data for r in again.replies for row in r.buttons for b in row] == []
    port.sent.clear()
    assert await sender.run(NOW + timedelta(minutes=10)) == 0


async def test_an_organisers_mark_offers_coaching_once_and_can_be_taken_back(
    db: Database,
) -> None:
    users = UserRepository(db)
    port = MemoryPort("test")
    outbound = Outbound(ContactService(users))
    outbound.register(port)
    sender = SessionSender(db, outbound, users)
    marked, mistaken = [await person(db, ref, Role.CANDIDATE) for ref in ("t1", "t2")]
    event_id = await session(db)
    events = EventRepository(db)
    for who in (marked, mistaken):
        await events.put(event_id, who.id, Answer.GOING, waiting=False, at=NOW.isoformat())
    repo = AttendanceRepository(db)
    stamp = NOW.isoformat(timespec="milliseconds")
    assert await repo.mark(event_id, marked.id, True, "organiser", stamp)
    assert await repo.mark(event_id, mistaken.id, True, "organiser", stamp)
    assert await repo.mark(event_id, mistaken.id, False, "organiser", stamp)
    assert await sender.run(NOW) == 1
    assert [to.chat_id for to, _ in port.sent] == ["t1"]
    # The person then says "yes, I came": thanks, but no second offer.
    yes = await SessionFlow(db, lambda: NOW).on_button(marked, tap("t1", f"ss:y:{event_id}"), "fr")
    assert len(yes.replies) == 1
    assert await sender.run(NOW + timedelta(minutes=5)) == 0
