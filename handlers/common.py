"""Shared plumbing of the thin handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import TelegramRenderer, to_incoming

HandlerCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def onboarding_callback(hooks: ChannelHooks, renderer: TelegramRenderer) -> HandlerCallback:
    """Return a callback that feeds an update to the conversation service and renders it."""

    async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = to_incoming(update)
        if incoming is None:
            return
        answer = await hooks.apply(incoming)
        query = update.callback_query
        # The tap's answer and the replies travel in parallel: the person waits for both.
        answering = (
            asyncio.create_task(renderer.answer(query, answer.outcome.notice))
            if query is not None
            else None
        )
        try:
            await answer.deliver()
        finally:
            if answering is not None:
                await answering

    return callback
