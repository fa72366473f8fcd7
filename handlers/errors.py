"""Log handler errors with the update id and tell the user politely, never with a traceback."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.channels.base import Reply
from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import CHANNEL, TelegramRenderer
from bot.i18n import DEFAULT_LANGUAGE, normalize_language, translate

logger = logging.getLogger(__name__)

ErrorCallback = Callable[[object, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def build(hooks: ChannelHooks, renderer: TelegramRenderer) -> ErrorCallback:
    """Return the application's error handler."""

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            logger.error("error outside an update", exc_info=context.error)
            return
        logger.error("error while handling update %s", update.update_id, exc_info=context.error)
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None or chat.type != chat.PRIVATE:
            return
        if update.callback_query is not None:
            # Already answered before the failure, or too old: then there is no spinner to stop.
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        try:
            lang = await hooks.language_of(CHANNEL, str(user.id), user.language_code)
        except Exception:
            # The database may be the very thing that failed.
            lang = normalize_language(user.language_code) or DEFAULT_LANGUAGE
        try:
            await renderer.send(chat.id, Reply(translate(lang, "error.generic")))
        except Exception:
            logger.warning("could not report the error in update %s to the user", update.update_id)

    return on_error
