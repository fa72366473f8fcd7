"""After an information session: "did you come?", and coaching offered to those who came."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.links import COACH_BUTTON_DATA
from bot.features.entrepreneurs.sessions_store import AttendanceRepository
from bot.i18n import Translator
from bot.shared.routes import Buttons, FlowRoutes
from bot.storage import Database, User

PREFIX = "ss"
_BUTTON = re.compile(r"^ss:(y|n):([0-9]{1,12})$")


def came_question(t: Translator, event_id: int, title: str) -> Reply:
    """Ask someone who was going whether they came."""
    return Reply(
        t("session.came_question", title=title),
        (
            (
                Button(t("session.came_yes"), f"{PREFIX}:y:{event_id}"),
                Button(t("session.came_no"), f"{PREFIX}:n:{event_id}"),
            ),
        ),
    )


def coaching_offer(t: Translator, title: str) -> Reply:
    """Offer coaching to someone who came to an information session."""
    return Reply(
        t("session.coaching_offer", title=title),
        ((Button(t("project.ask_coaching"), COACH_BUTTON_DATA),),),
    )


class SessionFlow:
    """Take the answer to "did you come?"."""

    def __init__(
        self, db: Database, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._db = db
        self._clock = clock
        self._attendance = AttendanceRepository(db)

    async def feedback_buttons(self, wave_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
        """Return "Ask for a coach" under an information session's feedback survey."""
        if not await self._attendance.is_session_feedback(wave_id):
            return ()
        return ((Button(Translator(lang)("project.ask_coaching"), COACH_BUTTON_DATA),),)

    def routes(self) -> FlowRoutes:
        """Declare the answer buttons."""
        return FlowRoutes("sessions", buttons=(Buttons(PREFIX, self.on_button),))

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Record the answer; someone who came is offered coaching at once."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if user is None or match is None:
            return Outcome(notice=t("button.invalid"))
        event_id = int(match[2])
        now = self._clock().astimezone(UTC).isoformat(timespec="milliseconds")
        async with self._db.transaction():
            title = await self._attendance.is_info_session(event_id, ended_by=now)
            seated = {a.user_id for a in await self._attendance.attendees(event_id)}
            if title is None or user.id not in seated:
                return Outcome(notice=t("button.stale"))
            came = match[1] == "y"
            await self._attendance.mark(event_id, user.id, came, "self", now)
            if not came:
                return Outcome((Reply(t("session.came_no_noted"), edit=True),))
            # Offered once, however often "yes" is tapped (or if the organiser's came first).
            first = await self._attendance.offered(event_id, user.id, now)
        thanks = Reply(t("session.came_thanks"), edit=True)
        return Outcome((thanks, coaching_offer(t, title)) if first else (thanks,))
