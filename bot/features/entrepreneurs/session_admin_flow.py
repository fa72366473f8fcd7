"""Let organisers mark who came to an information session (/attendance <event>)."""

from __future__ import annotations

import re

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.sessions_store import AttendanceRepository
from bot.i18n import Translator
from bot.shared.paging import page_row
from bot.shared.routes import FlowRoutes, admin_routes
from bot.storage import Database, utcnow

PREFIX = "at"
_BUTTON = re.compile(r"^at:(m|p):([0-9]{1,12}):([0-9]{1,12})$")
_EVENT = re.compile(r"^\s*#?([0-9]{1,12})\s*$")
PAGE = 30


class SessionAdminFlow:
    """The attendee list of an information session, one tap per person who came."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._attendance = AttendanceRepository(db)

    def routes(self) -> FlowRoutes:
        """Declare /attendance."""
        return admin_routes("session_admin", ("attendance",), PREFIX, self.on_command, self.on_tap)

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Show the list of an information session's attendees to mark."""
        t = Translator(lang)
        match = _EVENT.match(msg.args)
        if match is None:
            return Outcome((Reply(t("session.attendance_usage")),))
        return Outcome((await self._list(t, int(match[1]), 0),))

    async def on_tap(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Mark one person as having come (their coaching offer follows), or unmark; page."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        event_id, number = int(match[2]), int(match[3])
        if match[1] == "p":
            listed = await self._list(t, event_id, number)
            return Outcome((Reply(listed.text, listed.buttons, edit=True),))
        async with self._db.transaction():
            if await self._attendance.is_info_session(event_id, ended_by=utcnow()) is None:
                return Outcome(notice=t("session.not_over"))
            seated = {a.user_id: a for a in await self._attendance.attendees(event_id)}
            if number not in seated:
                return Outcome(notice=t("button.stale"))
            # A second tap takes a mistaken mark back (and an offer not sent yet with it).
            came = not seated[number].attended
            await self._attendance.mark(event_id, number, came, "organiser", utcnow())
            page = list(seated).index(number) // PAGE
        listed = await self._list(t, event_id, page)
        notice = t("session.marked" if came else "session.unmarked")
        return Outcome((Reply(listed.text, listed.buttons, edit=True),), notice=notice)

    async def _list(self, t: Translator, event_id: int, page: int) -> Reply:
        title = await self._attendance.is_info_session(event_id)
        if title is None:
            return Reply(t("session.not_a_session", id=event_id))
        attendees = await self._attendance.attendees(event_id)
        if not attendees:
            return Reply(t("session.nobody", title=title))
        pages = (len(attendees) + PAGE - 1) // PAGE
        page = max(0, min(page, pages - 1))
        rows: list[tuple[Button, ...]] = []
        for number, person in enumerate(attendees, start=1):
            if not page * PAGE < number <= (page + 1) * PAGE:
                continue
            # Only a name the person chose to share with organisers; else a number.
            name = (person.shared_name or t("session.person", n=number))[:16]
            label = ("✅ " if person.attended else "") + name
            rows.append((Button(label, f"{PREFIX}:m:{event_id}:{person.user_id}"),))
        rows += page_row(t, page, pages, lambda n: f"{PREFIX}:p:{event_id}:{n}")
        came = sum(1 for a in attendees if a.attended)
        return Reply(
            t("session.attendance", title=title, came=came, seated=len(attendees)), tuple(rows)
        )
