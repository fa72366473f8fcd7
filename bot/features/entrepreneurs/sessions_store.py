"""The SQL of information-session attendance (who came, and the coaching offered after)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import Database


@dataclass(frozen=True)
class Attendee:
    """A person who said they were going to an information session."""

    event_id: int
    user_id: int
    shared_name: str | None
    attended: bool | None


@dataclass(frozen=True)
class SessionToAsk:
    """An information session that ended, and someone going to ask whether they came."""

    event_id: int
    title: str
    user_id: int


class AttendanceRepository:
    """Mark attendance, ask those not marked, and offer coaching once to those who came."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def is_info_session(self, event_id: int, ended_by: str | None = None) -> str | None:
        """Return an information session's title (one that ended by then, if given)."""
        row = await self._db.fetch_one(
            "SELECT title FROM events WHERE id = ? AND kind = 'info_session'"
            " AND (? IS NULL OR ends_at <= ?)",
            (event_id, ended_by, ended_by),
        )
        return None if row is None else str(row[0])

    async def is_session_feedback(self, wave_id: int) -> bool:
        """Return whether a survey wave is an information session's feedback."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM events WHERE feedback_wave_id = ? AND kind = 'info_session'",
            (wave_id,),
        )
        return row is not None

    async def attendees(self, event_id: int) -> list[Attendee]:
        """Return the people seated ("going", not waiting) with what is marked of them."""
        rows = await self._db.fetch_all(
            "SELECT v.event_id, v.user_id, v.shared_name, a.attended FROM event_rsvps v"
            " LEFT JOIN session_attendance a ON a.event_id = v.event_id AND a.user_id = v.user_id"
            " WHERE v.event_id = ? AND v.answer = 'going' AND v.waiting = 0"
            " ORDER BY v.answered_at, v.user_id",
            (event_id,),
        )
        return [
            Attendee(int(r[0]), int(r[1]), r[2], None if r[3] is None else bool(r[3]))
            for r in rows
        ]

    async def mark(self, event_id: int, user_id: int, attended: bool, by: str, at: str) -> bool:
        """Record whether a person came; a first "came" makes the coaching offer due.

        Return whether it changed anything.
        """
        row = await self._db.fetch_one(
            "SELECT attended, offered_at FROM session_attendance"
            " WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
        if row is not None and row[0] is not None and bool(row[0]) == attended:
            return False
        # The organiser's mark makes the offer due (the job sends it); a person's own "yes"
        # gets it with the answer. An unmark takes back an offer not sent yet.
        due = int(attended and (row is None or row[1] is None) and by == "organiser")
        await self._db.execute(
            "INSERT INTO session_attendance (event_id, user_id, attended, marked_by, marked_at,"
            " offer_due) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, user_id) DO UPDATE"
            " SET attended = excluded.attended, marked_by = excluded.marked_by,"
            " marked_at = excluded.marked_at,"
            " offer_due = CASE WHEN excluded.attended = 0 THEN 0"
            " ELSE MAX(session_attendance.offer_due, excluded.offer_due) END",
            (event_id, user_id, int(attended), by, at, due),
        )
        return True

    async def offered(self, event_id: int, user_id: int, at: str) -> bool:
        """Record that coaching was offered after a session; False if it was already."""
        changed = await self._db.execute(
            "UPDATE session_attendance SET offer_due = 0, offered_at = ?"
            " WHERE event_id = ? AND user_id = ? AND offered_at IS NULL",
            (at, event_id, user_id),
        )
        return changed == 1

    async def to_ask(self, ended_after: str, ended_before: str) -> list[SessionToAsk]:
        """Return people going to sessions that ended in a window, not asked or marked yet."""
        rows = await self._db.fetch_all(
            "SELECT e.id, e.title, v.user_id FROM events e JOIN event_rsvps v ON v.event_id = e.id"
            " WHERE e.kind = 'info_session' AND e.ends_at > ? AND e.ends_at <= ?"
            " AND v.answer = 'going' AND v.waiting = 0 AND NOT EXISTS (SELECT 1 FROM"
            " session_attendance a WHERE a.event_id = e.id AND a.user_id = v.user_id)"
            " ORDER BY e.ends_at, v.user_id",
            (ended_after, ended_before),
        )
        return [SessionToAsk(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def asked(self, event_id: int, user_id: int, at: str) -> None:
        """Record that a person was asked whether they came."""
        await self._db.execute(
            "INSERT OR IGNORE INTO session_attendance (event_id, user_id, asked_at)"
            " VALUES (?, ?, ?)",
            (event_id, user_id, at),
        )

    async def offers_due(self, marked_since: str, limit: int = 100) -> list[SessionToAsk]:
        """Return people marked (since then) as having come, whose coaching offer is due."""
        rows = await self._db.fetch_all(
            "SELECT e.id, e.title, a.user_id FROM session_attendance a JOIN events e"
            " ON e.id = a.event_id WHERE a.offer_due = 1 AND a.attended = 1"
            " AND a.offered_at IS NULL AND e.kind = 'info_session' AND a.marked_at >= ?"
            " ORDER BY a.marked_at LIMIT ?",
            (marked_since, limit),
        )
        return [SessionToAsk(int(r[0]), str(r[1]), int(r[2])) for r in rows]
