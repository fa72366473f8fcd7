"""Store events and the answers to their invitations (going, maybe, not this time)."""

from __future__ import annotations

from enum import StrEnum

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database, utcnow


class Answer(StrEnum):
    """What a person answered to an event."""

    GOING = "going"
    MAYBE = "maybe"
    NO = "no"


class Event(BaseModel):
    """An event as stored."""

    model_config = ConfigDict(frozen=True)

    id: int
    title: str
    description: str
    place: str
    starts_at: str
    ends_at: str
    capacity: int | None
    territory_id: str | None
    created_by: str
    created_at: str
    announced_at: str | None
    reminder_broadcast_id: int | None
    feedback_wave_id: int | None
    reminder_done_at: str | None
    feedback_done_at: str | None
    # "event", or "info_session" (announced to candidate entrepreneurs first).
    kind: str = "event"

    @property
    def info_session(self) -> bool:
        """Return whether it is an information session of the entrepreneurs' path."""
        return self.kind == "info_session"


class Rsvp(BaseModel):
    """One person's answer to an event."""

    model_config = ConfigDict(frozen=True)

    event_id: int
    user_id: int
    answer: Answer
    waiting: bool
    answered_at: str
    notice_due: bool
    shared_name: str | None


def _event(row: aiosqlite.Row) -> Event:
    return Event.model_validate(dict(row))


def _rsvp(row: aiosqlite.Row) -> Rsvp:
    return Rsvp.model_validate(dict(row))


class EventRepository:
    """Read and write events and answers; seat counting is done inside the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        title: str,
        description: str,
        place: str,
        starts_at: str,
        ends_at: str,
        capacity: int | None,
        territory_id: str | None,
        created_by: str,
        kind: str = "event",
    ) -> Event:
        """Store a new event."""
        event_id = await self._db.insert(
            "INSERT INTO events (title, description, place, starts_at, ends_at, capacity,"
            " territory_id, created_by, created_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                title,
                description,
                place,
                starts_at,
                ends_at,
                capacity,
                territory_id,
                created_by,
                utcnow(),
                kind,
            ),
        )
        event = await self.get(event_id)
        assert event is not None
        return event

    async def get(self, event_id: int) -> Event | None:
        """Return an event by id, or None."""
        row = await self._db.fetch_one("SELECT * FROM events WHERE id = ?", (event_id,))
        return None if row is None else _event(row)

    async def delete_unannounced(self, event_id: int) -> bool:
        """Forget an event never announced (its draft was discarded)."""
        changed = await self._db.execute(
            "DELETE FROM events WHERE id = ? AND announced_at IS NULL", (event_id,)
        )
        return changed == 1

    async def mark_announced(self, event_id: int, at: str) -> None:
        """Record that the event's announcement went out (was confirmed)."""
        await self._db.execute(
            "UPDATE events SET announced_at = COALESCE(announced_at, ?) WHERE id = ?",
            (at, event_id),
        )

    async def listed(self, since: str, limit: int) -> list[Event]:
        """Return events ending after `since`, soonest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM events WHERE ends_at >= ? ORDER BY starts_at LIMIT ?", (since, limit)
        )
        return [_event(r) for r in rows]

    async def reminders_due(self, before: str, now: str) -> list[Event]:
        """Return announced events starting between now and `before` with no reminder yet."""
        rows = await self._db.fetch_all(
            "SELECT * FROM events WHERE announced_at IS NOT NULL AND reminder_done_at IS NULL"
            " AND starts_at <= ? AND starts_at > ? ORDER BY starts_at",
            (before, now),
        )
        return [_event(r) for r in rows]

    async def feedback_due(self, now: str) -> list[Event]:
        """Return announced events over, whose feedback survey is not settled."""
        rows = await self._db.fetch_all(
            "SELECT * FROM events WHERE announced_at IS NOT NULL AND feedback_done_at IS NULL"
            " AND ends_at <= ? ORDER BY ends_at",
            (now,),
        )
        return [_event(r) for r in rows]

    async def settle_reminder(self, event_id: int, broadcast_id: int | None, at: str) -> None:
        """Record the reminder's broadcast (None: nobody to remind)."""
        await self._db.execute(
            "UPDATE events SET reminder_broadcast_id = ?, reminder_done_at = ? WHERE id = ?",
            (broadcast_id, at, event_id),
        )

    async def settle_feedback(self, event_id: int, wave_id: int | None, at: str) -> None:
        """Record the feedback survey's wave (None: nobody to ask, or no survey)."""
        await self._db.execute(
            "UPDATE events SET feedback_wave_id = ?, feedback_done_at = ? WHERE id = ?",
            (wave_id, at, event_id),
        )

    async def invited(self, event_id: int, user_id: int) -> bool:
        """Tell whether a person was sent the event's invitation (answers come from it)."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM broadcast_outbox o JOIN broadcasts b ON b.id = o.broadcast_id"
            " WHERE b.event_id = ? AND o.user_id = ? LIMIT 1",
            (event_id, user_id),
        )
        return row is not None

    async def rsvp(self, event_id: int, user_id: int) -> Rsvp | None:
        """Return a person's answer to an event, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM event_rsvps WHERE event_id = ? AND user_id = ?", (event_id, user_id)
        )
        return None if row is None else _rsvp(row)

    async def seated(self, event_id: int) -> int:
        """Return how many people hold a seat (going, not waiting)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM event_rsvps WHERE event_id = ? AND answer = 'going'"
            " AND waiting = 0",
            (event_id,),
        )
        return 0 if row is None else int(row[0])

    async def put(
        self, event_id: int, user_id: int, answer: Answer, *, waiting: bool, at: str
    ) -> None:
        """Store a person's answer (a new answer goes to the back of any waiting list)."""
        await self._db.execute(
            "INSERT INTO event_rsvps (event_id, user_id, answer, waiting, answered_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id, user_id) DO UPDATE SET"
            " answer = excluded.answer, waiting = excluded.waiting,"
            " answered_at = excluded.answered_at, notice_due = 0",
            (event_id, user_id, answer.value, int(waiting), at),
        )

    async def promote_first_waiting(self, event_id: int) -> int | None:
        """Give the first person waiting a seat and flag them to be told; return who."""
        row = await self._db.fetch_one(
            "SELECT user_id FROM event_rsvps WHERE event_id = ? AND answer = 'going'"
            " AND waiting = 1 ORDER BY answered_at, user_id LIMIT 1",
            (event_id,),
        )
        if row is None:
            return None
        user_id = int(row[0])
        await self._db.execute(
            "UPDATE event_rsvps SET waiting = 0, notice_due = 1"
            " WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
        return user_id

    async def waiting_position(self, event_id: int, user_id: int) -> int:
        """Return a waiting person's place in line (1 = next)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM event_rsvps w JOIN event_rsvps me"
            " ON me.event_id = w.event_id AND me.user_id = ?"
            " WHERE w.event_id = ? AND w.answer = 'going' AND w.waiting = 1"
            " AND (w.answered_at, w.user_id) <= (me.answered_at, me.user_id)",
            (user_id, event_id),
        )
        return 0 if row is None else int(row[0])

    async def share_name(self, event_id: int, user_id: int, name: str | None) -> bool:
        """Store (or with None, withdraw) the name a person lets organisers see."""
        changed = await self._db.execute(
            "UPDATE event_rsvps SET shared_name = ? WHERE event_id = ? AND user_id = ?",
            (name, event_id, user_id),
        )
        return changed == 1

    async def counts(self, event_id: int) -> dict[str, int]:
        """Return how many answered going (seated), waiting, maybe and no."""
        rows = await self._db.fetch_all(
            "SELECT CASE WHEN answer = 'going' AND waiting = 1 THEN 'waiting' ELSE answer END,"
            " COUNT(*) FROM event_rsvps WHERE event_id = ? GROUP BY 1",
            (event_id,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def attendees(self, event_id: int) -> list[Rsvp]:
        """Return the seated people, first answered first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM event_rsvps WHERE event_id = ? AND answer = 'going' AND waiting = 0"
            " ORDER BY answered_at, user_id",
            (event_id,),
        )
        return [_rsvp(r) for r in rows]

    async def notices_due(self, limit: int) -> list[Rsvp]:
        """Return people promoted from a waiting list and not told yet."""
        rows = await self._db.fetch_all(
            "SELECT * FROM event_rsvps WHERE notice_due = 1 ORDER BY answered_at LIMIT ?",
            (limit,),
        )
        return [_rsvp(r) for r in rows]

    async def notice_given(self, event_id: int, user_id: int) -> None:
        """Record that a promoted person was told."""
        await self._db.execute(
            "UPDATE event_rsvps SET notice_due = 0 WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
