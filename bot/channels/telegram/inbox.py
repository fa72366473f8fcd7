"""Keep updates of consented users from arrival to application, across crashes."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram import Bot, Chat, Message, Update
from telegram import User as TelegramUser

from bot.channels.telegram.render import CHANNEL, event_key, to_incoming
from bot.shared.inbox import DeliveryService

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
                    CHANNEL, incoming.user_ref, incoming.event_key, payload_of(item)
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


def payload_of(update: Update) -> str:
    """Serialise what replaying an update needs: a compact form for texts and taps."""
    # Update.to_json() walks every attribute through PTB's generic machinery (~0.2 ms, a tenth
    # of the bot's CPU per concern); texts and taps, nearly all traffic, need a few fields.
    message, query = update.message, update.callback_query
    if message is not None and message.text is not None:
        return json.dumps({"update_id": update.update_id, "message": _message(message)})
    if query is not None and update.message is None:
        tap: dict[str, Any] = {
            "id": query.id,
            "from": _user(query.from_user),
            "chat_instance": query.chat_instance,
            "data": query.data,
        }
        if isinstance(query.message, Message):
            tap["message"] = _message(query.message, with_text=False)
        return json.dumps({"update_id": update.update_id, "callback_query": tap})
    return update.to_json()


def _user(user: TelegramUser) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name}
    if user.language_code:
        data["language_code"] = user.language_code
    return data


def _chat(chat: Chat) -> dict[str, Any]:
    return {"id": chat.id, "type": chat.type}


def _message(message: Message, *, with_text: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "date": int(message.date.timestamp()),
        "chat": _chat(message.chat),
    }
    if message.from_user is not None:
        data["from"] = _user(message.from_user)
    if with_text and message.text is not None:
        data["text"] = message.text
        if message.entities:
            data["entities"] = [
                {"type": str(e.type), "offset": e.offset, "length": e.length}
                for e in message.entities
            ]
    return data
