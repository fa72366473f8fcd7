"""The one way out: send replies to a recipient on whichever channel they are on."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.channels.base import (
    MediaUnavailable,
    OutboundPort,
    Recipient,
    Reply,
    SendOutcome,
    SendStatus,
)
from bot.shared.contacts import ContactService
from bot.shared.metrics import Metrics
from bot.shared.sending import Delivery

logger = logging.getLogger(__name__)


class Outbound:
    """Route each send to its channel's port; people who blocked the bot are not messaged."""

    def __init__(self, contacts: ContactService, metrics: Metrics | None = None) -> None:
        self._metrics = metrics
        self._contacts = contacts
        self._ports: dict[str, OutboundPort] = {}

    def register(self, port: OutboundPort) -> None:
        """Add a channel's port (one per channel)."""
        self._ports[port.channel] = port

    def unregister(self, channel: str) -> None:
        """Remove a channel's port (it stopped)."""
        self._ports.pop(channel, None)

    async def send(
        self, to: Recipient, replies: Sequence[Reply], *, unprompted: bool = True
    ) -> SendOutcome:
        """Send the replies; a person who blocked the bot is not sent anything unprompted."""
        port = self._ports.get(to.channel)
        if port is None:
            return SendOutcome(SendStatus.FAILED, reason=f"no channel {to.channel} running")
        if unprompted and not await self._contacts.can_message(to.channel, to.chat_id):
            return SendOutcome(SendStatus.BLOCKED)
        try:
            outcome = await port.send(to, replies)
        except Exception as exc:
            # One recipient's failure must not stop a job's round for the others.
            logger.exception("sending on %s failed", to.channel)
            outcome = SendOutcome(SendStatus.FAILED, reason=type(exc).__name__)
        if self._metrics is not None:
            self._metrics.replies.labels(to.channel, outcome.status.value).inc()
        if outcome.status is SendStatus.BLOCKED:
            await self._contacts.mark_blocked(to.channel, to.chat_id)
        return outcome

    async def fetch_media(self, channel: str, ref: str) -> bytes:
        """Return a picture or file a channel holds (raises MediaUnavailable when it cannot)."""
        port = self._ports.get(channel)
        if port is None:
            raise MediaUnavailable(f"no channel {channel} running")
        return await port.fetch_media(ref)


def delivery_of(outcome: SendOutcome) -> Delivery:
    """Say what a job records of an outcome: sent, blocked for good, or to try again."""
    if outcome.status is SendStatus.SENT:
        return Delivery.SENT
    if outcome.status is SendStatus.BLOCKED:
        return Delivery.BLOCKED
    return Delivery.FAILED
