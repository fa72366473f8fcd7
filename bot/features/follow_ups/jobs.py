"""Ask due follow-up questions, through the one way out."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.base import Recipient
from bot.features.concerns.store import Concern
from bot.features.follow_ups.flow import FollowUpFlow
from bot.features.follow_ups.service import FollowUpService, SendQuestion
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound, delivery_of
from bot.shared.sending import Delivery
from bot.storage import User

FOLLOW_UPS_EVERY = timedelta(minutes=15)


def question_sender(flow: FollowUpFlow, outbound: Outbound) -> SendQuestion:
    """Return how a follow-up question goes to the person's chat, unless they blocked the bot."""

    async def send(user: User, concern: Concern) -> Delivery:
        reply = flow.question(user, concern)
        return delivery_of(await outbound.send(Recipient(user.channel, user.external_id), [reply]))

    return send


def jobs(service: FollowUpService, flow: FollowUpFlow, outbound: Outbound) -> list[Job]:
    """Return the follow-up job: due questions are stored, so a missed run is caught up."""
    ask = question_sender(flow, outbound)
    return [
        # Soon after a start: questions that fell due while the bot was down go without waiting
        # a whole period.
        Job("follow_ups", lambda: service.send_due(ask), FOLLOW_UPS_EVERY, timedelta(seconds=30))
    ]
