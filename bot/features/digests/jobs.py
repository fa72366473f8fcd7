"""Send each partner its weekly digest, to its chats through the one way out and by e-mail."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.base import Recipient
from bot.features.digests.dispatch import EMAIL_CHANNEL, DigestDispatcher, SendDigest
from bot.features.digests.flow import DigestFlow
from bot.features.digests.mailer import SmtpMailer
from bot.features.digests.service import DigestFigures
from bot.features.partners.service import PartnerService
from bot.features.partners.store import Partner
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound, delivery_of
from bot.shared.schedule import WeeklyTime
from bot.shared.sending import Delivery

DIGESTS_EVERY = timedelta(minutes=10)


def digest_sender(
    flow: DigestFlow,
    partners: PartnerService,
    outbound: Outbound,
    mailer: SmtpMailer | None,
    mail_from: str,
) -> SendDigest:
    """Return how one week's digest goes to one of a partner's chats, or to its address."""

    async def send(
        partner: Partner, channel: str, chat_id: str, figures: DigestFigures
    ) -> Delivery:
        if channel == EMAIL_CHANNEL:
            if mailer is None:
                return Delivery.FAILED
            return await mailer.send(await flow.email(partner, figures, mail_from, chat_id))
        # The text, then the chart and the CSV; a block stops the rest.
        replies = await flow.weekly(partner, figures)
        outcome = await outbound.send(Recipient(channel, chat_id), replies)
        if outcome.moved_to is not None:
            # The group became a supergroup: follow it, and record the week under the new id
            # too, which the next round looks for.
            await partners.move_chat(channel, chat_id, outcome.moved_to)
            if outcome.sent:
                await partners.record_delivery(partner.id, figures.week, channel, outcome.moved_to)
        return delivery_of(outcome)

    return send


def jobs(dispatcher: DigestDispatcher, send: SendDigest, when: WeeklyTime) -> list[Job]:
    """Return the digest jobs: on the dot each week, and a sweep that catches up."""
    return [
        # On the dot, in local time across DST changes...
        Job("digests_weekly", lambda: dispatcher.run(send), weekly=when),
        # ...and a sweep for a week missed while the bot was down, or a send that failed. The
        # due week is worked out at every run and deliveries are recorded, so the two never
        # send a digest twice.
        Job("digests", lambda: dispatcher.run(send), DIGESTS_EVERY, timedelta(seconds=30)),
    ]
