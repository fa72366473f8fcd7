"""Keep updates of consented users from arrival to application, across crashes."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram import Bot, Update

from bot.channels.telegram import CHANNEL, event_key, to_incoming
from bot.services.delivery import DeliveryService

logger = logging.getLogger(__name__)


class DurableUpdateQueue(asyncio.Queue[object]):
    """The Application's update queue; an update is stored before it is queued.

    Both the long-polling Updater and the webhook server put every update they receive here
    before acknowledging it to Telegram, so an acknowledged update is never only in memory.
    """

    def __init__(self, delivery: DeliveryService) -> None:
        super().__init__()
        self._delivery = delivery

    async def put(self, item: object) -> None:
        """Store a relevant update, then queue it."""
        if isinstance(item, Update):
            incoming = to_incoming(item)
            if incoming is not None:
                await self._delivery.keep(
                    CHANNEL, incoming.user_ref, incoming.event_key, item.to_json()
                )
        await super().put(item)

    async def replay(self, bot: Bot) -> int:
        """Queue the updates stored by a previous run but never applied; return how many."""
        pending = await self._delivery.pending(CHANNEL)
        for key, payload in pending:
            data: dict[str, Any] = json.loads(payload)
            update = Update.de_json(data, bot)
            if event_key(update) != key:
                logger.error("inbox entry %s does not match its payload; skipped", key)
                continue
            await super().put(update)
        if pending:
            logger.info("replaying %d update(s) kept before the last stop", len(pending))
        return len(pending)
