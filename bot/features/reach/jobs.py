"""The reach feature's job: the one nudge, sent through the one way out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.channels.base import Recipient
from bot.features.reach.flow import ReachFlow
from bot.features.reach.nudges import NUDGES_EVERY, NudgeService
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound, delivery_of
from bot.shared.sending import Delivery
from bot.storage import User


def nudge_sender(flow: ReachFlow, outbound: Outbound) -> Callable[[User], Awaitable[Delivery]]:
    """Return how one nudge goes to a person's chat (as a template outside WhatsApp's window)."""

    async def send(user: User) -> Delivery:
        to = Recipient(user.channel, user.external_id)
        return delivery_of(await outbound.send(to, [flow.nudge(user)]))

    return send


def jobs(nudges: NudgeService, flow: ReachFlow, outbound: Outbound) -> list[Job]:
    """Return the nudge job (it sends only at decent hours, spread over the day)."""
    send = nudge_sender(flow, outbound)
    return [Job("nudges", lambda: nudges.send_due(send), NUDGES_EVERY, timedelta(minutes=3))]
