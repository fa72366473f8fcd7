"""Remind, ask for feedback and tell promoted people, through the one way out."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.channels.base import Recipient, Reply, TemplateUse
from bot.features.events.service import EventService, SendNotice
from bot.features.events.store import Event
from bot.i18n import Translator
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound, delivery_of
from bot.shared.sending import Delivery
from bot.storage import User

logger = logging.getLogger(__name__)

EVENTS_EVERY = timedelta(seconds=30)


def notice_sender(events: EventService, outbound: Outbound) -> SendNotice:
    """Return how a person promoted from a waiting list is told, with the calendar file."""

    async def send(user: User, event: Event) -> Delivery:
        t = Translator(user.language)
        to = Recipient(user.channel, user.external_id)
        text = t("event.promoted", title=event.title, when=events.when(event, t.lang))
        when = events.when(event, t.lang)
        notice = Reply(
            text,
            events.share_buttons(event.id, t.lang),
            template=TemplateUse("seat_notice", (event.title, when)),
        )
        told = await outbound.send(to, [notice])
        if told.sent:
            # The notice is what counts: a calendar file that fails is not worth telling twice.
            calendar = Reply(
                t("event.ics_caption"),
                document=(f"echoppe-event-{event.id}.ics", events.ics(event)),
            )
            filed = await outbound.send(to, [calendar])
            if not filed.sent:
                logger.warning("event %d: the calendar file was not sent (%s)", event.id, filed)
        return delivery_of(told)

    return send


def jobs(events: EventService, outbound: Outbound) -> list[Job]:
    """Return the events job; each step is recorded, so a missed run is caught up."""
    tell = notice_sender(events, outbound)

    async def run() -> None:
        await events.schedule_reminders()
        await events.launch_feedback()
        await events.send_notices(tell)

    return [Job("events", run, EVENTS_EVERY, timedelta(seconds=15))]
