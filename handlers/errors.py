"""Log handler errors with the update id and tell the user politely, never with a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.channels.base import Reply
from bot.channels.telegram import CHANNEL, TelegramRenderer
from bot.i18n import translate
from bot.services.container import Services

logger = logging.getLogger(__name__)

ErrorCallback = Callable[[object, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def build(services: Services, renderer: TelegramRenderer) -> ErrorCallback:
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
        try:
            lang = await services.onboarding.user_language(
                CHANNEL, str(user.id), user.language_code
            )
            if update.callback_query is not None:
                await update.callback_query.answer()
            await renderer.send(chat.id, Reply(translate(lang, "error.generic")))
        except (TelegramError, OSError, RuntimeError):
            logger.warning("could not tell user about the error in update %s", update.update_id)

    return on_error
