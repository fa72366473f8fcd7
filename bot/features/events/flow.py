"""Answer the buttons of an event's invitation: going, maybe, not this time; sharing a name."""

from __future__ import annotations

import logging
import re

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.events.service import PREFIX, EventService
from bot.features.events.store import Answer
from bot.i18n import Translator
from bot.shared.routes import Buttons, FlowRoutes
from bot.storage import User

logger = logging.getLogger(__name__)

_BUTTON = re.compile(rf"^{PREFIX}:(a|n|u):(\d+)(?::(going|maybe|no))?$")


class EventFlow:
    """Turn taps on an invitation into answers, seats, a calendar file and replies."""

    def __init__(self, events: EventService) -> None:
        self._events = events

    def routes(self) -> FlowRoutes:
        """Declare the answer buttons of an event's invitation."""
        return FlowRoutes(
            "events",
            buttons=(Buttons(PREFIX, lambda user, msg, _lang: self.on_button(user, msg)),),
        )

    async def on_button(self, user: User | None, msg: IncomingMessage) -> Outcome:
        """Answer an invitation (a:), or share (n:) or withdraw (u:) a name for organisers."""
        lang = user.language if user else (msg.language_hint or "fr")
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if user is None or match is None:
            return Outcome(notice=t("button.invalid"))
        event_id = int(match[2])
        if match[1] in ("n", "u"):
            name = msg.display_name if match[1] == "n" else None
            if match[1] == "n" and not name:
                return Outcome(notice=t("event.no_name"))
            if not await self._events.share_name(user, event_id, name):
                return Outcome(notice=t("button.invalid"))
            if name:
                withdraw = ((Button(t("event.withdraw_name"), f"{PREFIX}:u:{event_id}"),),)
                return Outcome((Reply(t("event.name_shared", name=name), withdraw),))
            return Outcome((Reply(t("event.name_withdrawn")),))
        if match[3] is None:
            return Outcome(notice=t("button.invalid"))
        result = await self._events.answer(user, event_id, Answer(match[3]))
        event = result.event
        if result.state == "unknown" or event is None:
            return Outcome(notice=t("button.invalid"))
        if result.state == "over":
            return Outcome((Reply(t("event.over", title=event.title)),))
        if result.state == "waiting":
            return Outcome((Reply(t("event.waiting", title=event.title, n=result.position)),))
        if result.state != "going":
            return Outcome((Reply(t(f"event.{result.state}_noted", title=event.title)),))
        # A reminder is promised only if there is still one to come.
        key = "event.going_noted" if self._events.reminder_ahead(event) else "event.going_soon"
        confirmation = Reply(
            t(key, title=event.title, when=self._events.when(event, lang)),
            self._events.share_buttons(event.id, lang),
        )
        calendar = Reply(
            t("event.ics_caption"),
            document=(f"echoppe-event-{event.id}.ics", self._events.ics(event)),
        )
        return Outcome((confirmation, calendar))
