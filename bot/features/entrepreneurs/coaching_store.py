"""The SQL of coaches, coaching requests, offers, appointments, notes and notices."""

from __future__ import annotations

from typing import Any

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot.storage import Database, utcnow


def _csv(values: list[str] | tuple[str, ...]) -> str:
    return ",".join(values)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(v for v in (text or "").split(",") if v)


class Coach(BaseModel):
    """A registered coach: a person, the name candidates see, where and what they coach."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    name: str
    territories: tuple[str, ...]
    specialities: tuple[str, ...]
    channel: str
    external_id: str


class Request(BaseModel):
    """A candidate's coaching request."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    territory_id: str | None
    needs: tuple[str, ...]
    availability: tuple[str, ...]
    venue_id: int | None
    first_name: str | None
    contact: str | None
    pupil: bool
    status: str
    step: str
    coach_id: int | None
    created_at: str
    submitted_at: str | None
    accepted_at: str | None
    admins_told_at: str | None
    updated_at: str = ""
    # The opportunity it started from ("cell:12"), described to the coach.
    context: str | None = None


class Offer(BaseModel):
    """A request offered to one coach, with its deadline and outcome."""

    model_config = ConfigDict(frozen=True)

    request_id: int
    coach_id: int
    offered_at: str
    deadline: str
    answered_at: str | None
    outcome: str | None


class Appointment(BaseModel):
    """An appointment: proposed slots, then a booked time at a venue."""

    model_config = ConfigDict(frozen=True)

    id: int
    request_id: int
    venue_id: int
    status: str
    starts_at: str | None
    minutes: int
    cancelled_by: str | None
    reminded_at: str | None
    asked_at: str | None
    candidate_held: str | None
    candidate_useful: str | None
    coach_held: str | None
    slots: tuple[str, ...] = ()


class Notice(BaseModel):
    """Something to tell one person (or admin) about a request."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int | None
    admin_ref: str | None
    request_id: int
    appointment_id: int | None
    kind: str
    text: str | None
    created_at: str
    attempts: int
    template_sent_at: str | None


def _request(row: aiosqlite.Row) -> Request:
    data = dict(row)
    data["needs"] = _split(data["needs"])
    data["availability"] = _split(data["availability"])
    data["pupil"] = bool(data["pupil"])
    return Request.model_validate(data)


_REQUEST_UPDATABLE = frozenset(
    {
        "territory_id",
        "needs",
        "availability",
        "venue_id",
        "first_name",
        "contact",
        "status",
        "step",
        "coach_id",
        "submitted_at",
        "accepted_at",
        "admins_told_at",
        "context",
    }
)


class CoachRepository:
    """Coaches: registered, listed, removed (removal keeps past records' references)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(
        self, user_id: int, name: str, territories: list[str], specialities: list[str], by: str
    ) -> None:
        """Register a coach, or change a registered (or removed) one."""
        await self._db.execute(
            "INSERT INTO coaches (user_id, name, territories, specialities, added_by, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET name = excluded.name,"
            " territories = excluded.territories, specialities = excluded.specialities,"
            " added_by = excluded.added_by, added_at = excluded.added_at, removed_at = NULL",
            (user_id, name, _csv(territories), _csv(specialities), by, utcnow()),
        )

    async def remove(self, user_id: int) -> bool:
        """Stop offering requests to a coach."""
        changed = await self._db.execute(
            "UPDATE coaches SET removed_at = ? WHERE user_id = ? AND removed_at IS NULL",
            (utcnow(), user_id),
        )
        return changed == 1

    async def get(self, user_id: int, *, current: bool = True) -> Coach | None:
        """Return a coach (a current one unless told otherwise)."""
        row = await self._db.fetch_one(
            "SELECT c.user_id, c.name, c.territories, c.specialities, u.channel, u.external_id"
            " FROM coaches c JOIN users u ON u.id = c.user_id WHERE c.user_id = ?"
            + (" AND c.removed_at IS NULL" if current else ""),
            (user_id,),
        )
        return None if row is None else _coach(row)

    async def listed(self) -> list[Coach]:
        """Return the current coaches."""
        rows = await self._db.fetch_all(
            "SELECT c.user_id, c.name, c.territories, c.specialities, u.channel, u.external_id"
            " FROM coaches c JOIN users u ON u.id = c.user_id WHERE c.removed_at IS NULL"
            " ORDER BY c.name COLLATE NOCASE"
        )
        return [_coach(r) for r in rows]

    async def load(self, coach_id: int) -> int:
        """Return how many accepted requests a coach follows now."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM coaching_requests WHERE coach_id = ? AND status = 'accepted'",
            (coach_id,),
        )
        return 0 if row is None else int(row[0])

    async def answer_times(self, coach_id: int) -> list[tuple[str, str | None, str]]:
        """Return (offered at, answered at or None, deadline) of a coach's settled offers."""
        rows = await self._db.fetch_all(
            "SELECT offered_at, answered_at, deadline FROM coaching_offers"
            " WHERE coach_id = ? AND outcome IS NOT NULL",
            (coach_id,),
        )
        return [(str(r[0]), None if r[1] is None else str(r[1]), str(r[2])) for r in rows]


def _coach(row: aiosqlite.Row) -> Coach:
    return Coach(
        user_id=int(row[0]),
        name=str(row[1]),
        territories=_split(row[2]),
        specialities=_split(row[3]),
        channel=str(row[4]),
        external_id=str(row[5]),
    )


class RequestRepository:
    """Coaching requests, their offers, appointments, notes and notices."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- requests -------------------------------------------------------------------------

    async def create(self, user_id: int, territory_id: str | None, pupil: bool, step: str) -> int:
        """Start a draft request; return its id."""
        now = utcnow()
        return await self._db.insert(
            "INSERT INTO coaching_requests (user_id, territory_id, pupil, status, step,"
            " created_at, updated_at) VALUES (?, ?, ?, 'draft', ?, ?, ?)",
            (user_id, territory_id, int(pupil), step, now, now),
        )

    async def get(self, request_id: int) -> Request | None:
        """Return a request by id."""
        row = await self._db.fetch_one(
            "SELECT * FROM coaching_requests WHERE id = ?", (request_id,)
        )
        return None if row is None else _request(row)

    async def open_of(self, user_id: int) -> Request | None:
        """Return the person's request in progress (draft, routing, accepted or unmatched)."""
        row = await self._db.fetch_one(
            "SELECT * FROM coaching_requests WHERE user_id = ?"
            " AND status IN ('draft', 'routing', 'accepted', 'unmatched') ORDER BY id DESC",
            (user_id,),
        )
        return None if row is None else _request(row)

    async def update(self, request_id: int, **fields: Any) -> Request:
        """Change the given columns and return the request."""
        unknown = set(fields) - _REQUEST_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values = {k: (_csv(v) if isinstance(v, (list, tuple)) else v) for k, v in fields.items()}
        assignments = ", ".join(f"{name} = :{name}" for name in sorted(values))
        values |= {"updated_at": utcnow(), "id": request_id}
        changed = await self._db.execute(
            f"UPDATE coaching_requests SET {assignments}, updated_at = :updated_at WHERE id = :id",
            values,
        )
        if changed != 1:
            raise LookupError(f"no request {request_id}")
        found = await self.get(request_id)
        assert found is not None
        return found

    async def orphaned(self) -> list[Request]:
        """Return requests left without their coach (accepted, or offered, to someone erased)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM coaching_requests r"
            " WHERE (r.status = 'accepted' AND r.coach_id IS NULL)"
            " OR (r.status = 'routing' AND NOT EXISTS (SELECT 1 FROM coaching_offers o"
            " WHERE o.request_id = r.id AND o.outcome IS NULL))"
        )
        return [_request(r) for r in rows]

    async def unmatched(self) -> list[Request]:
        """Return the requests nobody could take, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM coaching_requests WHERE status = 'unmatched' ORDER BY submitted_at"
        )
        return [_request(r) for r in rows]

    async def of_coach(self, coach_id: int) -> list[Request]:
        """Return the requests a coach accepted and still follows."""
        rows = await self._db.fetch_all(
            "SELECT * FROM coaching_requests WHERE coach_id = ? AND status = 'accepted'"
            " ORDER BY accepted_at",
            (coach_id,),
        )
        return [_request(r) for r in rows]

    # ---- offers ---------------------------------------------------------------------------

    async def offer(self, request_id: int, coach_id: int, at: str, deadline: str) -> None:
        """Offer a request to a coach until a deadline."""
        await self._db.execute(
            "INSERT INTO coaching_offers (request_id, coach_id, offered_at, deadline)"
            " VALUES (?, ?, ?, ?)",
            (request_id, coach_id, at, deadline),
        )

    async def offers(self, request_id: int) -> list[Offer]:
        """Return a request's offers, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM coaching_offers WHERE request_id = ? ORDER BY offered_at, coach_id",
            (request_id,),
        )
        return [Offer.model_validate(dict(r)) for r in rows]

    async def open_offer(self, request_id: int) -> Offer | None:
        """Return the offer waiting for an answer, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM coaching_offers WHERE request_id = ? AND outcome IS NULL",
            (request_id,),
        )
        return None if row is None else Offer.model_validate(dict(row))

    async def settle_offer(self, request_id: int, coach_id: int, outcome: str, at: str) -> bool:
        """Record a coach's answer (or the time running out); False if already settled."""
        changed = await self._db.execute(
            "UPDATE coaching_offers SET outcome = ?, answered_at = ? WHERE request_id = ?"
            " AND coach_id = ? AND outcome IS NULL",
            (outcome, None if outcome == "expired" else at, request_id, coach_id),
        )
        return changed == 1

    async def drop_open_offers(self, request_id: int) -> list[int]:
        """Withdraw a request's unanswered offer; return the coaches it was with."""
        rows = await self._db.fetch_all(
            "SELECT coach_id FROM coaching_offers WHERE request_id = ? AND outcome IS NULL",
            (request_id,),
        )
        await self._db.execute(
            "DELETE FROM coaching_offers WHERE request_id = ? AND outcome IS NULL", (request_id,)
        )
        return [int(r[0]) for r in rows]

    async def offers_to_removed(self) -> list[Offer]:
        """Return unanswered offers whose coach was removed since."""
        rows = await self._db.fetch_all(
            "SELECT o.* FROM coaching_offers o JOIN coaches c ON c.user_id = o.coach_id"
            " WHERE o.outcome IS NULL AND c.removed_at IS NOT NULL"
        )
        return [Offer.model_validate(dict(r)) for r in rows]

    async def expired_offers(self, now: str) -> list[Offer]:
        """Return unanswered offers past their deadline."""
        rows = await self._db.fetch_all(
            "SELECT * FROM coaching_offers WHERE outcome IS NULL AND deadline <= ?"
            " ORDER BY deadline",
            (now,),
        )
        return [Offer.model_validate(dict(r)) for r in rows]

    # ---- appointments ---------------------------------------------------------------------

    async def propose(self, request_id: int, venue_id: int, slots: list[str]) -> int:
        """Store proposed slots; return the appointment's id."""
        now = utcnow()
        appointment_id = await self._db.insert(
            "INSERT INTO appointments (request_id, venue_id, status, created_at, updated_at)"
            " VALUES (?, ?, 'proposed', ?, ?)",
            (request_id, venue_id, now, now),
        )
        for number, starts_at in enumerate(slots, start=1):
            await self._db.execute(
                "INSERT INTO appointment_slots (appointment_id, slot, starts_at) VALUES (?, ?, ?)",
                (appointment_id, number, starts_at),
            )
        return appointment_id

    async def appointment(self, appointment_id: int) -> Appointment | None:
        """Return an appointment with its slots."""
        row = await self._db.fetch_one(
            "SELECT id, request_id, venue_id, status, starts_at, minutes, cancelled_by,"
            " reminded_at, asked_at, candidate_held, candidate_useful, coach_held"
            " FROM appointments WHERE id = ?",
            (appointment_id,),
        )
        if row is None:
            return None
        slots = await self._db.fetch_all(
            "SELECT starts_at FROM appointment_slots WHERE appointment_id = ? ORDER BY slot",
            (appointment_id,),
        )
        return Appointment.model_validate(dict(row) | {"slots": tuple(str(s[0]) for s in slots)})

    async def appointments_of(self, request_id: int) -> list[Appointment]:
        """Return a request's appointments, newest first."""
        rows = await self._db.fetch_all(
            "SELECT id FROM appointments WHERE request_id = ? ORDER BY id DESC", (request_id,)
        )
        found = [await self.appointment(int(r[0])) for r in rows]
        return [a for a in found if a is not None]

    async def set_appointment(self, appointment_id: int, **fields: Any) -> None:
        """Change an appointment's columns."""
        allowed = {
            "status",
            "starts_at",
            "cancelled_by",
            "reminded_at",
            "asked_at",
            "candidate_held",
            "candidate_useful",
            "coach_held",
        }
        if set(fields) - allowed:
            raise ValueError(f"cannot update {sorted(set(fields) - allowed)}")
        assignments = ", ".join(f"{name} = :{name}" for name in sorted(fields))
        await self._db.execute(
            f"UPDATE appointments SET {assignments}, updated_at = :updated_at WHERE id = :id",
            dict(fields, updated_at=utcnow(), id=appointment_id),
        )

    async def reminders_due(self, until: str, now: str) -> list[Appointment]:
        """Return booked appointments starting between now and `until`, not reminded yet."""
        rows = await self._db.fetch_all(
            "SELECT a.id FROM appointments a JOIN coaching_requests r ON r.id = a.request_id"
            " WHERE a.status = 'booked' AND a.reminded_at IS NULL AND r.status = 'accepted'"
            " AND r.coach_id IS NOT NULL AND a.starts_at > ? AND a.starts_at <= ?"
            " ORDER BY a.starts_at",
            (now, until),
        )
        found = [await self.appointment(int(r[0])) for r in rows]
        return [a for a in found if a is not None]

    async def past_unasked(self, ended_before: str) -> list[Appointment]:
        """Return booked appointments that ended, whose after-question was not asked."""
        rows = await self._db.fetch_all(
            "SELECT a.id FROM appointments a JOIN coaching_requests r ON r.id = a.request_id"
            " WHERE a.status = 'booked' AND a.asked_at IS NULL"
            " AND r.status IN ('accepted', 'closed') AND r.coach_id IS NOT NULL"
            " AND datetime(a.starts_at, '+' || a.minutes || ' minutes') <= datetime(?)"
            " ORDER BY a.starts_at",
            (ended_before,),
        )
        found = [await self.appointment(int(r[0])) for r in rows]
        return [a for a in found if a is not None]

    # ---- notes ----------------------------------------------------------------------------

    async def note(self, request_id: int, coach_id: int) -> str | None:
        """Return a coach's private note on a request."""
        row = await self._db.fetch_one(
            "SELECT note FROM coach_notes WHERE request_id = ? AND coach_id = ?",
            (request_id, coach_id),
        )
        return None if row is None else str(row[0])

    async def keep_note(self, request_id: int, coach_id: int, note: str) -> None:
        """Keep (or replace) a coach's private note on a request."""
        await self._db.execute(
            "INSERT INTO coach_notes (request_id, coach_id, note, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (request_id, coach_id) DO UPDATE SET note = excluded.note,"
            " updated_at = excluded.updated_at",
            (request_id, coach_id, note, utcnow()),
        )

    # ---- typing ---------------------------------------------------------------------------

    async def typing(self, user_id: int, since: str) -> tuple[int, str] | None:
        """Return (request, what) the person's next text is for, if asked for after `since`."""
        row = await self._db.fetch_one(
            "SELECT request_id, what FROM coaching_typing WHERE user_id = ? AND since >= ?",
            (user_id, since),
        )
        return None if row is None else (int(row[0]), str(row[1]))

    async def set_typing(self, user_id: int, request_id: int, what: str) -> None:
        """Take the person's next text for a request (a message, a note, a name, slots)."""
        await self._db.execute(
            "INSERT INTO coaching_typing (user_id, request_id, what, since) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET request_id = excluded.request_id,"
            " what = excluded.what, since = excluded.since",
            (user_id, request_id, what, utcnow()),
        )

    async def stop_typing(self, user_id: int) -> None:
        """Stop taking the person's text for a request."""
        await self._db.execute("DELETE FROM coaching_typing WHERE user_id = ?", (user_id,))

    async def stop_typing_for(self, request_id: int) -> None:
        """Stop taking anyone's text for a request (it ended)."""
        await self._db.execute("DELETE FROM coaching_typing WHERE request_id = ?", (request_id,))

    async def forget_stale(self, typed_before: str, relayed_before: str) -> int:
        """Drop old typing states and relayed messages never shown; return how many."""
        gone = await self._db.execute(
            "DELETE FROM coaching_typing WHERE since < ?", (typed_before,)
        )
        return gone + await self._db.execute(
            "DELETE FROM coaching_notices WHERE text IS NOT NULL AND created_at < ?",
            (relayed_before,),
        )

    # ---- notices --------------------------------------------------------------------------

    async def notify(
        self,
        request_id: int,
        kind: str,
        *,
        user_id: int | None = None,
        admin_ref: str | None = None,
        appointment_id: int | None = None,
        text: str | None = None,
    ) -> int:
        """Queue something to tell a person (or an admin) about a request."""
        return await self._db.insert(
            "INSERT INTO coaching_notices (user_id, admin_ref, request_id, appointment_id,"
            " kind, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, admin_ref, request_id, appointment_id, kind, text, utcnow()),
        )

    async def drop_relayed(self, request_id: int) -> None:
        """Forget the relayed messages of a request that ended (never shown, never kept)."""
        await self._db.execute(
            "DELETE FROM coaching_notices WHERE request_id = ? AND text IS NOT NULL",
            (request_id,),
        )

    async def notices_due(self, limit: int = 200) -> list[Notice]:
        """Return notices not sent yet, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM coaching_notices WHERE template_sent_at IS NULL ORDER BY id LIMIT ?",
            (limit,),
        )
        return [Notice.model_validate(dict(r)) for r in rows]

    async def notice(self, notice_id: int) -> Notice | None:
        """Return one notice."""
        row = await self._db.fetch_one("SELECT * FROM coaching_notices WHERE id = ?", (notice_id,))
        return None if row is None else Notice.model_validate(dict(row))

    async def waiting_notices(self, user_id: int) -> list[Notice]:
        """Return the notices a person was told about by template and has not seen yet."""
        rows = await self._db.fetch_all(
            "SELECT * FROM coaching_notices WHERE user_id = ? AND template_sent_at IS NOT NULL"
            " ORDER BY id",
            (user_id,),
        )
        return [Notice.model_validate(dict(r)) for r in rows]

    async def notice_done(self, notice_id: int) -> None:
        """Forget a notice once shown (a relayed text goes with it)."""
        await self._db.execute("DELETE FROM coaching_notices WHERE id = ?", (notice_id,))

    async def notice_by_template(self, notice_id: int) -> None:
        """Mark a notice announced by a template; it waits for the person's tap."""
        await self._db.execute(
            "UPDATE coaching_notices SET template_sent_at = ? WHERE id = ?", (utcnow(), notice_id)
        )

    async def notice_failed(self, notice_id: int) -> int:
        """Count a failed attempt; return how many there were."""
        await self._db.execute(
            "UPDATE coaching_notices SET attempts = attempts + 1 WHERE id = ?", (notice_id,)
        )
        row = await self._db.fetch_one(
            "SELECT attempts FROM coaching_notices WHERE id = ?", (notice_id,)
        )
        return 0 if row is None else int(row[0])
