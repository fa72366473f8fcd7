"""The SQL of the pop-up store: pop-ups, test periods, applications, surveys, prompts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage import Database
from bot.storage.columns import set_clause

# The statuses an application can have once sent, and those that still hold a place in line.
OPEN = ("pending", "accepted", "waitlisted")
DECIDED = ("accepted", "waitlisted", "declined")


@dataclass(frozen=True)
class Popup:
    """A pop-up store an admin defined."""

    id: int
    territory_id: str
    core_id: str | None
    place: str
    spaces: int
    conditions: str
    fee: str
    created_by: str
    created_at: str
    closed_at: str | None


@dataclass(frozen=True)
class Period:
    """A test period of a pop-up (local dates, both included)."""

    id: int
    popup_id: int
    starts_on: str
    ends_on: str


@dataclass(frozen=True)
class Application:
    """One person's application for a space in a period."""

    id: int
    user_id: int
    period_id: int
    activity: str | None
    sector_id: str | None
    to_test: str | None
    needs: str | None
    step: str
    step_at: str
    status: str
    reason: str | None
    decided_by: str | None
    decided_at: str | None
    announce_consent: bool
    created_at: str
    submitted_at: str | None


@dataclass(frozen=True)
class Survey:
    """The end-of-test survey of an accepted application."""

    application_id: int
    step: str
    step_at: str
    would_settle: str | None
    learned: str | None
    cell_wish: str | None
    asked_at: str
    answered_at: str | None


_POPUP = (
    "id, territory_id, core_id, place, spaces, conditions, fee, created_by, created_at, closed_at"
)
_APPLICATION = (
    "id, user_id, period_id, activity, sector_id, to_test, needs, step, step_at, status, reason,"
    " decided_by, decided_at, announce_consent, created_at, submitted_at"
)
_SURVEY = "application_id, step, step_at, would_settle, learned, cell_wish, asked_at, answered_at"
# Columns a draft's answers may change; anything else is refused.
_ANSWERS = frozenset({"activity", "sector_id", "to_test", "needs", "step", "step_at"})
_SURVEY_ANSWERS = frozenset({"step", "step_at", "would_settle", "learned", "cell_wish"})


def _popup(row: aiosqlite.Row) -> Popup:
    return Popup(
        int(row[0]), str(row[1]), row[2], str(row[3]), int(row[4]), str(row[5]), str(row[6]),
        str(row[7]), str(row[8]), row[9],
    )  # fmt: skip


def _period(row: aiosqlite.Row) -> Period:
    return Period(int(row[0]), int(row[1]), str(row[2]), str(row[3]))


def _application(row: aiosqlite.Row) -> Application:
    return Application(
        int(row[0]), int(row[1]), int(row[2]), row[3], row[4], row[5], row[6], str(row[7]),
        str(row[8]), str(row[9]), row[10], row[11], row[12], bool(row[13]), str(row[14]),
        row[15],
    )  # fmt: skip


def _survey(row: aiosqlite.Row) -> Survey:
    return Survey(
        int(row[0]), str(row[1]), str(row[2]), row[3], row[4], row[5], str(row[6]), row[7]
    )


class PopupRepository:
    """Read and write pop-ups, their periods, applications and surveys."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- pop-ups and periods ----------------------------------------------------------------

    async def add_popup(
        self,
        territory_id: str,
        core_id: str | None,
        place: str,
        spaces: int,
        conditions: str,
        fee: str,
        created_by: str,
        at: str,
    ) -> int:
        """Define a pop-up; return its id."""
        return await self._db.insert(
            "INSERT INTO popups (territory_id, core_id, place, spaces, conditions, fee,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (territory_id, core_id, place, spaces, conditions, fee, created_by, at),
        )

    async def popup(self, popup_id: int) -> Popup | None:
        """Return a pop-up."""
        row = await self._db.fetch_one(f"SELECT {_POPUP} FROM popups WHERE id = ?", (popup_id,))
        return None if row is None else _popup(row)

    async def popups(self, territory_id: str | None = None, *, open_only: bool) -> list[Popup]:
        """Return the pop-ups (of a territory), newest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_POPUP} FROM popups WHERE (? IS NULL OR territory_id = ?)"
            " AND (? = 0 OR closed_at IS NULL) ORDER BY id DESC",
            (territory_id, territory_id, int(open_only)),
        )
        return [_popup(r) for r in rows]

    async def close(self, popup_id: int, at: str) -> bool:
        """Close a pop-up to new applications; False if unknown or closed already."""
        changed = await self._db.execute(
            "UPDATE popups SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (at, popup_id)
        )
        return changed == 1

    async def add_period(self, popup_id: int, starts_on: str, ends_on: str, at: str) -> int:
        """Add a test period to a pop-up; return its id."""
        return await self._db.insert(
            "INSERT INTO popup_periods (popup_id, starts_on, ends_on, created_at)"
            " VALUES (?, ?, ?, ?)",
            (popup_id, starts_on, ends_on, at),
        )

    async def period(self, period_id: int) -> Period | None:
        """Return a period."""
        row = await self._db.fetch_one(
            "SELECT id, popup_id, starts_on, ends_on FROM popup_periods WHERE id = ?",
            (period_id,),
        )
        return None if row is None else _period(row)

    async def periods(self, popup_id: int, ending_from: str | None = None) -> list[Period]:
        """Return a pop-up's periods (those not ended before a local date), in order."""
        rows = await self._db.fetch_all(
            "SELECT id, popup_id, starts_on, ends_on FROM popup_periods WHERE popup_id = ?"
            " AND (? IS NULL OR ends_on >= ?) ORDER BY starts_on, id",
            (popup_id, ending_from, ending_from),
        )
        return [_period(r) for r in rows]

    async def overlapping(self, popup_id: int, starts_on: str, ends_on: str) -> bool:
        """Return whether a period of the pop-up overlaps these dates."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM popup_periods WHERE popup_id = ? AND starts_on <= ? AND ends_on >= ?",
            (popup_id, ends_on, starts_on),
        )
        return row is not None

    async def counts(self, period_id: int) -> dict[str, int]:
        """Return the period's applications per status (drafts left out)."""
        rows = await self._db.fetch_all(
            "SELECT status, COUNT(*) FROM popup_applications WHERE period_id = ?"
            " AND status != 'draft' GROUP BY status",
            (period_id,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    # ---- applications -----------------------------------------------------------------------

    async def application(self, application_id: int) -> Application | None:
        """Return an application."""
        row = await self._db.fetch_one(
            f"SELECT {_APPLICATION} FROM popup_applications WHERE id = ?", (application_id,)
        )
        return None if row is None else _application(row)

    async def open_of(self, user_id: int, period_id: int) -> Application | None:
        """Return the person's open application (or draft) for a period."""
        row = await self._db.fetch_one(
            f"SELECT {_APPLICATION} FROM popup_applications WHERE user_id = ? AND period_id = ?"
            " AND status IN ('draft', 'pending', 'accepted', 'waitlisted')",
            (user_id, period_id),
        )
        return None if row is None else _application(row)

    async def drafts_of(self, user_id: int) -> list[Application]:
        """Return the person's drafts, the latest question first."""
        rows = await self._db.fetch_all(
            f"SELECT {_APPLICATION} FROM popup_applications WHERE user_id = ?"
            " AND status = 'draft' ORDER BY step_at DESC, id DESC",
            (user_id,),
        )
        return [_application(r) for r in rows]

    async def sent_of(self, user_id: int) -> list[Application]:
        """Return the person's sent applications, newest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_APPLICATION} FROM popup_applications WHERE user_id = ?"
            " AND status != 'draft' ORDER BY id DESC",
            (user_id,),
        )
        return [_application(r) for r in rows]

    async def start_draft(
        self, user_id: int, period_id: int, activity: str | None, sector_id: str | None, at: str
    ) -> int:
        """Start an application's questions; return its id."""
        return await self._db.insert(
            "INSERT INTO popup_applications (user_id, period_id, activity, sector_id, step,"
            " step_at, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'activity', ?, 'draft', ?, ?)",
            (user_id, period_id, activity, sector_id, at, at, at),
        )

    async def answer(self, application_id: int, at: str, **fields: Any) -> bool:
        """Change a draft's answers or question; False if it is no longer a draft."""
        sets, given = set_clause(fields, _ANSWERS)
        changed = await self._db.execute(
            f"UPDATE popup_applications SET {sets}, updated_at = ?"
            " WHERE id = ? AND status = 'draft'",
            (*given, at, application_id),
        )
        return changed == 1

    async def drop_draft(self, application_id: int) -> bool:
        """Forget a draft; False if it was sent or is gone."""
        changed = await self._db.execute(
            "DELETE FROM popup_applications WHERE id = ? AND status = 'draft'", (application_id,)
        )
        return changed == 1

    async def submit(self, application_id: int, at: str) -> bool:
        """Send a draft to the admins; False if it is no longer a draft."""
        changed = await self._db.execute(
            "UPDATE popup_applications SET status = 'pending', step = 'sent', submitted_at = ?,"
            " updated_at = ? WHERE id = ? AND status = 'draft'",
            (at, at, application_id),
        )
        return changed == 1

    async def decide(
        self,
        application_id: int,
        status: str,
        reason: str | None,
        by: str,
        at: str,
        allowed_from: tuple[str, ...],
    ) -> bool:
        """Set an admin's decision; False if the application is not in one of `allowed_from`."""
        marks = ", ".join("?" for _ in allowed_from)
        changed = await self._db.execute(
            "UPDATE popup_applications SET status = ?, reason = ?, decided_by = ?,"
            f" decided_at = ?, updated_at = ? WHERE id = ? AND status IN ({marks})",
            (status, reason, by, at, at, application_id, *allowed_from),
        )
        return changed == 1

    async def withdraw(self, application_id: int, at: str) -> bool:
        """Withdraw an open application; False if it is not open."""
        changed = await self._db.execute(
            "UPDATE popup_applications SET status = 'withdrawn', announce_consent = 0,"
            " updated_at = ? WHERE id = ? AND status IN ('pending', 'accepted', 'waitlisted')",
            (at, application_id),
        )
        return changed == 1

    async def set_announce(self, application_id: int, consent: bool, at: str) -> bool:
        """Record whether an occupant may be announced; False unless accepted."""
        changed = await self._db.execute(
            "UPDATE popup_applications SET announce_consent = ?, updated_at = ?"
            " WHERE id = ? AND status = 'accepted'",
            (int(consent), at, application_id),
        )
        return changed == 1

    async def of_period(self, period_id: int, statuses: tuple[str, ...]) -> list[Application]:
        """Return a period's applications with these statuses, in the order they were sent."""
        marks = ", ".join("?" for _ in statuses)
        rows = await self._db.fetch_all(
            f"SELECT {_APPLICATION} FROM popup_applications WHERE period_id = ?"
            f" AND status IN ({marks}) ORDER BY submitted_at, id",
            (period_id, *statuses),
        )
        return [_application(r) for r in rows]

    async def periods_waiting(self, popup_id: int | None) -> list[int]:
        """Return the periods with applications waiting for a decision (pending, waitlisted)."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT p.id FROM popup_periods p"
            " JOIN popup_applications a ON a.period_id = p.id"
            " WHERE a.status IN ('pending', 'waitlisted') AND (? IS NULL OR p.popup_id = ?)"
            " ORDER BY p.starts_on, p.id",
            (popup_id, popup_id),
        )
        return [int(r[0]) for r in rows]

    async def ended_unsurveyed(self, before: str, limit: int = 100) -> list[Application]:
        """Return accepted applications whose period ended before a local date, not surveyed."""
        rows = await self._db.fetch_all(
            f"SELECT {', '.join('a.' + c.strip() for c in _APPLICATION.split(','))}"
            " FROM popup_applications a JOIN popup_periods p ON p.id = a.period_id"
            " WHERE a.status = 'accepted' AND p.ends_on < ?"
            " AND NOT EXISTS (SELECT 1 FROM popup_surveys s WHERE s.application_id = a.id)"
            " ORDER BY a.id LIMIT ?",
            (before, limit),
        )
        return [_application(r) for r in rows]

    async def report(self, territory_id: str | None, since: str, until: str) -> dict[str, int]:
        """Count applications sent within [since, until), and their decisions as they stand.

        The outcomes are of the same applications (sent in the range), so that they are
        parts of them for the gate.
        """
        scope = (
            " FROM popup_applications a JOIN popup_periods p ON p.id = a.period_id"
            " JOIN popups u ON u.id = p.popup_id WHERE (? IS NULL OR u.territory_id = ?)"
        )
        sent = await self._db.fetch_one(
            f"SELECT COUNT(*) {scope} AND a.submitted_at >= ? AND a.submitted_at < ?",
            (territory_id, territory_id, since, until),
        )
        rows = await self._db.fetch_all(
            f"SELECT a.status, COUNT(*) {scope} AND a.submitted_at >= ? AND a.submitted_at < ?"
            " GROUP BY a.status",
            (territory_id, territory_id, since, until),
        )
        decided = {str(r[0]): int(r[1]) for r in rows}
        counts = {"applications": int(sent[0]) if sent else 0}
        for status in DECIDED:
            counts[status] = decided.get(status, 0)
        return counts

    # ---- surveys ----------------------------------------------------------------------------

    async def ask_survey(self, application_id: int, at: str) -> bool:
        """Start the end-of-test survey once; False if it was asked before."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO popup_surveys (application_id, step, step_at, asked_at)"
            " VALUES (?, 'settle', ?, ?)",
            (application_id, at, at),
        )
        return changed == 1

    async def survey(self, application_id: int) -> Survey | None:
        """Return an application's survey."""
        row = await self._db.fetch_one(
            f"SELECT {_SURVEY} FROM popup_surveys WHERE application_id = ?", (application_id,)
        )
        return None if row is None else _survey(row)

    async def surveys_typing(self, user_id: int, since: str) -> list[Survey]:
        """Return the person's surveys waiting for typed words asked since a time."""
        rows = await self._db.fetch_all(
            f"SELECT {', '.join('s.' + c.strip() for c in _SURVEY.split(','))}"
            " FROM popup_surveys s JOIN popup_applications a ON a.id = s.application_id"
            " WHERE a.user_id = ? AND s.step IN ('learned', 'cell') AND s.step_at >= ?"
            " ORDER BY s.step_at DESC",
            (user_id, since),
        )
        return [_survey(r) for r in rows]

    async def answer_survey(
        self, application_id: int, from_step: str, at: str, done: bool = False, **fields: Any
    ) -> bool:
        """Keep a survey answer if the survey still stands at `from_step`."""
        sets, given = set_clause(fields, _SURVEY_ANSWERS)
        changed = await self._db.execute(
            f"UPDATE popup_surveys SET {sets + ', ' if sets else ''}answered_at ="
            " CASE WHEN ? THEN ? ELSE answered_at END WHERE application_id = ? AND step = ?",
            (*given, int(done), at, application_id, from_step),
        )
        return changed == 1

    async def latest_answered(self, user_id: int) -> tuple[Survey, Period] | None:
        """Return the person's latest survey with a would-settle answer, and its period."""
        row = await self._db.fetch_one(
            f"SELECT {', '.join('s.' + c.strip() for c in _SURVEY.split(','))},"
            " p.id, p.popup_id, p.starts_on, p.ends_on FROM popup_surveys s"
            " JOIN popup_applications a ON a.id = s.application_id"
            " JOIN popup_periods p ON p.id = a.period_id"
            " WHERE a.user_id = ? AND s.would_settle IS NOT NULL"
            " ORDER BY p.ends_on DESC, s.asked_at DESC LIMIT 1",
            (user_id,),
        )
        if row is None:
            return None
        return _survey(row), Period(int(row[8]), int(row[9]), str(row[10]), str(row[11]))

    # ---- an admin typing a reason -----------------------------------------------------------

    async def prompt(self, user_id: int, application_id: int, at: str) -> None:
        """Take the admin's next words as the reason an application is declined."""
        await self._db.execute(
            "INSERT INTO popup_prompts (user_id, application_id, since) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET application_id = excluded.application_id,"
            " since = excluded.since",
            (user_id, application_id, at),
        )

    async def prompted(self, user_id: int, since: str) -> int | None:
        """Return the application the admin was asked a reason for since a time."""
        row = await self._db.fetch_one(
            "SELECT application_id FROM popup_prompts WHERE user_id = ? AND since >= ?",
            (user_id, since),
        )
        return None if row is None else int(row[0])

    async def drop_prompts(self, before: str) -> int:
        """Forget waits for a reason that never came."""
        return await self._db.execute("DELETE FROM popup_prompts WHERE since < ?", (before,))

    async def unprompt(self, user_id: int) -> None:
        """Stop taking the admin's words as a reason."""
        await self._db.execute("DELETE FROM popup_prompts WHERE user_id = ?", (user_id,))
