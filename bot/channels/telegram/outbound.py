"""Telegram's implementation of the one outbound port."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from telegram import Bot
from telegram.error import ChatMigrated, Forbidden, RetryAfter, TelegramError, TimedOut

from bot.channels.base import (
    MAX_MEDIA_BYTES,
    MediaUnavailable,
    Recipient,
    Reply,
    SendOutcome,
    SendStatus,
)
from bot.channels.telegram.render import CHANNEL, edit_reply, send_reply

logger = logging.getLogger(__name__)


class TelegramOutbound:
    """Send replies to a Telegram chat and say, in one outcome, what became of them."""

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, to: Recipient, replies: Sequence[Reply]) -> SendOutcome:
        """Send the replies in order; stop at the first that does not go."""
        chat = int(to.chat_id)
        moved: str | None = None
        image_ref: str | None = None
        try:
            for reply in replies:
                # The message whose button was pressed; sent anew if it cannot be edited.
                if _editable(reply) and await edit_reply(
                    self._bot, chat, int(reply.edit_ref or 0), reply
                ):
                    continue
                try:
                    message = await send_reply(self._bot, chat, reply)
                except ChatMigrated as exc:
                    # The group became a supergroup: follow it, and carry on there.
                    chat, moved = exc.new_chat_id, str(exc.new_chat_id)
                    message = await send_reply(self._bot, chat, reply)
                if reply.image is not None and message.photo:
                    image_ref = message.photo[-1].file_id
        except Forbidden:
            return SendOutcome(SendStatus.BLOCKED, moved_to=moved)
        except RetryAfter as exc:
            return SendOutcome(SendStatus.RATE_LIMITED, retry_after=_seconds(exc), moved_to=moved)
        except TimedOut:
            # Telegram may well have delivered it; sending twice is worse than not knowing.
            logger.warning("a send to Telegram timed out; counted as sent")
        except TelegramError as exc:
            return SendOutcome(SendStatus.FAILED, reason=str(exc)[:200], moved_to=moved)
        return SendOutcome(SendStatus.SENT, moved_to=moved, image_ref=image_ref)

    async def fetch_media(self, ref: str) -> bytes:
        """Download a file Telegram knows by its file_id."""
        try:
            file = await self._bot.get_file(ref)
            if file.file_size is not None and file.file_size > MAX_MEDIA_BYTES:
                raise MediaUnavailable(f"the file is too big ({file.file_size} bytes)")
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            raise MediaUnavailable(f"Telegram: {exc}") from None


def _editable(reply: Reply) -> bool:
    return bool(reply.edit and reply.edit_ref) and reply.image is None and reply.document is None


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
