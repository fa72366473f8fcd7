"""The Telegram channel: the python-telegram-bot Application, its handlers and its port."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor

import handlers
from bot.channels.base import ChannelRefused, ChannelUnavailable
from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.http import AiohttpRequest
from bot.channels.telegram.inbox import DurableUpdateQueue
from bot.channels.telegram.outbound import TelegramOutbound
from bot.channels.telegram.render import TelegramRenderer
from bot.config import Settings
from bot.i18n import LANGUAGES, translate
from bot.log_redaction import redact_in_logs

logger = logging.getLogger(__name__)

MENU_COMMANDS = (
    "start",
    "barometer",
    "history",
    "profile",
    "project",
    "coach",
    "missing",
    "opportunities",
    "cells",
    "popup",
    "produce",
    "buylocal",
    "language",
    "help",
)
POLL_TIMEOUT_S = 10


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Process updates concurrently across chats but in order within one chat."""

    # PTB's own semaphore is taken before do_process_update: keep it wide, so updates queued
    # behind one busy chat's lock never hold the slots other chats need.
    _OUTER_SLOTS = 100_000

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(self._OUTER_SLOTS)
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's coroutine while holding its chat's lock and a running slot."""
        key = _chat_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None


def file_base_url(base_url: str) -> str:
    """Derive the file download URL from the Bot API base URL (…/bot -> …/file/bot)."""
    if base_url.endswith("/bot"):
        return base_url[: -len("/bot")] + "/file/bot"
    return base_url.rstrip("/") + "/file/bot"


def build_application(
    settings: Settings,
    hooks: ChannelHooks,
    requests: tuple[AiohttpRequest, AiohttpRequest] | None = None,
) -> Application:  # type: ignore[type-arg]
    """Create the Application talking to the configured Bot API server, handlers attached."""
    calls, polls = requests or (
        AiohttpRequest(connections=settings.telegram_connections),
        AiohttpRequest(connections=1),
    )
    application = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.telegram_base_url)
        .base_file_url(file_base_url(settings.telegram_base_url))
        .concurrent_updates(PerChatUpdateProcessor())
        .update_queue(DurableUpdateQueue(hooks.inbox))
        .request(calls)
        .get_updates_request(polls)
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=3))
        # Jobs belong to the bot (bot.app.scheduler), not to this channel.
        .job_queue(None)
        .build()
    )
    renderer = TelegramRenderer(application.bot, hooks.contacts)
    application.bot_data["renderer"] = renderer
    handlers.register(application, hooks, renderer)
    return application


async def publish_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Publish the command menu in each language (the default one in French)."""
    for lang in (None, *LANGUAGES):
        text_lang = lang or "fr"
        commands = [BotCommand(c, translate(text_lang, f"command.{c}")) for c in MENU_COMMANDS]
        await application.bot.set_my_commands(commands, language_code=lang)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _webhook_path(webhook_url: str) -> str:
    return urlparse(webhook_url).path.lstrip("/")


def _webhook_secret(settings: Settings) -> str:
    if settings.webhook_secret is None:
        # Telegram echoes this in a header on every call; a fresh one per run is enough.
        fresh = secrets.token_urlsafe(32)
        redact_in_logs(fresh)
        return fresh
    return settings.webhook_secret.get_secret_value()


class TelegramChannel:
    """Receive updates (long polling or a webhook) and send through the outbound port."""

    def __init__(self, settings: Settings, hooks: ChannelHooks) -> None:
        self._settings = settings
        self._requests = (
            AiohttpRequest(connections=settings.telegram_connections),
            AiohttpRequest(connections=1),
        )
        self.application = build_application(settings, hooks, self._requests)
        self.outbound = TelegramOutbound(self.application.bot)
        self._secret = ""  # set by webhook_routes()
        # "starting", "up" (the Bot API answered at open), or "unreachable".
        self.state = "starting"

    @property
    def renderer(self) -> TelegramRenderer:
        """Return the renderer the handlers use."""
        renderer = self.application.bot_data["renderer"]
        assert isinstance(renderer, TelegramRenderer)
        return renderer

    @property
    def username(self) -> str | None:
        """Return the bot's @username, or None while the Bot API has not been reached."""
        if self.state != "up":
            return None
        username: str | None = self.application.bot.username
        return username

    async def open(self) -> None:
        """Connect to the Bot API, publish the command menu, queue updates kept last time.

        Raises ChannelUnavailable when the Bot API cannot be reached (open may be called
        again), ChannelRefused when it refuses the token.
        """
        try:
            await self.application.initialize()
            await publish_commands(self.application)
        except InvalidToken:
            # Not the exception's text: python-telegram-bot puts the token in it.
            raise ChannelRefused(
                "Telegram refused the bot token (ECHOPPE_TELEGRAM_TOKEN)"
            ) from None
        except NetworkError as exc:
            # Half-done, so that the next open() starts again; the HTTP sessions stay open
            # for it (python-telegram-bot opens them once) and close() closes them.
            await self.application.shutdown()
            self.state = "unreachable"
            raise ChannelUnavailable(f"Telegram Bot API unreachable ({exc})") from None
        self.state = "up"
        queue = self.application.update_queue
        assert isinstance(queue, DurableUpdateQueue)
        await queue.replay(self.application.bot)

    def webhook_routes(self, webhook_url: str) -> list[BaseRoute]:
        """Return the web route Telegram posts updates to, checking its secret header."""
        self._secret = _webhook_secret(self._settings)
        path = "/" + _webhook_path(webhook_url)

        async def receive(request: Request) -> Response:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(given.encode(), self._secret.encode()):
                return Response(status_code=403)
            try:
                update = Update.de_json(await request.json(), self.application.bot)
            except (ValueError, TypeError, KeyError):
                return Response(status_code=400)
            # Stored (the durable queue) before Telegram hears 200: nothing only in memory.
            await self.application.update_queue.put(update)
            return Response(status_code=200)

        return [Route(path, receive, methods=["POST"])]

    async def start(self, *, webhook_url: str | None, poll_timeout: int) -> None:
        """Start processing, then receiving (python-telegram-bot's documented order).

        In webhook mode the route from webhook_routes() must already be served.
        """
        await self.application.start()
        if webhook_url is None:
            updater = self.application.updater
            assert updater is not None
            await updater.start_polling(timeout=poll_timeout, poll_interval=0.0)
            return
        await self.application.bot.set_webhook(
            url=webhook_url, secret_token=self._secret, allowed_updates=Update.ALL_TYPES
        )

    def health(self) -> dict[str, Any]:
        """Say when the Bot API last answered."""
        times = [r.last_ok for r in self._requests if r.last_ok is not None]
        return {"state": self.state, "last_ok": _iso(max(times)) if times else None}

    async def stop_receiving(self) -> None:
        """Stop fetching updates; those already fetched are still handled."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()

    async def close(self) -> None:
        """Finish the updates in hand, then disconnect."""
        if self.application.running:
            await self.application.stop()
        if self.state == "up":
            await self.application.shutdown()
        await self._release()

    async def _release(self) -> None:
        """Close the HTTP sessions, even when the Application never finished initialising."""
        for request in self._requests:
            await request.shutdown()
