"""Shared plumbing of the thin handlers."""

from __future__ import annotations

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
        outcome = await hooks.handle(incoming)
        await renderer.render(update, outcome)

    return callback
