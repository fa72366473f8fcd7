"""Render the three-week follow-up question and handle its answers and the opt-out."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.base import Button, IncomingMessage, Outcome, Reply, TemplateUse
from bot.features.concerns.echo import Echo, excerpt
from bot.features.concerns.store import Concern, ConcernSource
from bot.features.follow_ups.service import AnswerStatus, FollowUpService
from bot.features.follow_ups.store import FollowUpAnswer
from bot.i18n import Translator
from bot.shared.routes import Buttons, FlowRoutes
from bot.storage import User

PREFIX = "fu"
_BUTTON = re.compile(r"^fu:(s|t|w):([0-9]{1,12})$|^fu:(off)$")
_ANSWERS = {"s": FollowUpAnswer.SOLVED, "t": FollowUpAnswer.STILL_THERE, "w": FollowUpAnswer.WORSE}
_CODES = {answer: code for code, answer in _ANSWERS.items()}


class FollowUpFlow:
    """Ask "is it still there?" and take the answer."""

    def __init__(self, follow_ups: FollowUpService, concerns: Echo, tz: ZoneInfo) -> None:
        self._follow_ups = follow_ups
        self._concerns = concerns
        self._tz = tz

    def question(self, user: User, concern: Concern) -> Reply:
        """Build the follow-up question about one of the person's own concerns."""
        t = Translator(user.language)
        said = (
            ""
            if concern.source is ConcernSource.ME_TOO
            else t("text.quoted", text=excerpt(concern.text))
        )
        said_on = datetime.fromisoformat(concern.confirmed_at or concern.created_at)
        date = said_on.astimezone(self._tz).strftime("%d/%m/%Y")
        factors = self._concerns.titles(t.lang, concern.draft)
        text = t("follow_up.question", date=date, factors=factors, excerpt=said).replace(
            "\n\n", "\n"
        )
        answers = tuple(
            Button(t(f"follow_up.{answer.value}"), f"{PREFIX}:{_CODES[answer]}:{concern.id}")
            for answer in FollowUpAnswer
        )
        return Reply(
            text,
            (answers, (Button(t("follow_up.stop"), f"{PREFIX}:off"),)),
            # Outside WhatsApp's service window: the template, whose quick replies are the
            # three answers (without the person's own words, which a template must not hold).
            template=TemplateUse("follow_up", (date, factors)),
        )

    def routes(self) -> FlowRoutes:
        """Declare the follow-up question's buttons."""
        return FlowRoutes(
            "follow_ups",
            buttons=(Buttons(PREFIX, lambda user, msg, _lang: self.on_button(user, msg)),),
        )

    async def on_button(self, user: User | None, msg: IncomingMessage) -> Outcome:
        """Store an answer (once) or turn follow-ups off."""
        t = Translator(user.language if user else "fr")
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        if match[3] == "off":
            changed = await self._follow_ups.set_wanted(user, False, msg.event_key)
            if changed is None:
                return Outcome(duplicate=True)
            return Outcome((Reply(t("follow_up.turned_off")),))
        result = await self._follow_ups.answer(
            user, int(match[2]), _ANSWERS[match[1]], msg.event_key
        )
        if result.status is AnswerStatus.STALE or result.concern is None:
            return Outcome(notice=t("button.stale"))
        assert result.answer is not None
        factors = result.concern.draft
        thanks = Reply(
            t(
                f"follow_up.thanks_{result.answer.value}",
                factors=self._concerns.titles(t.lang, factors),
            ),
            edit=True,
        )
        if result.answer is FollowUpAnswer.SOLVED:
            return Outcome((thanks,))
        # A problem that persists: show again that others face it too, and where help is.
        return Outcome((thanks, await self._concerns.echo_reply(user, factors)))
