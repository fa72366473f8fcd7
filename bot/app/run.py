"""Run the bot: open the services, start the channels and the scheduler, stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from bot.app.container import Services, open_services
from bot.app.jobs import all_jobs
from bot.app.scheduler import Scheduler
from bot.channels.base import OutboundPort
from bot.channels.telegram.app import TelegramChannel
from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import TelegramRenderer
from bot.config import Settings
from bot.log_redaction import redact_in_logs

logger = logging.getLogger(__name__)

POLL_TIMEOUT_S = 10


@dataclass
class RunningBot:
    """Bundle the running services, scheduler and Telegram channel."""

    services: Services
    scheduler: Scheduler
    telegram: TelegramChannel

    @property
    def application(self) -> Any:
        """Return the Telegram channel's python-telegram-bot Application (for tests)."""
        return self.telegram.application

    @property
    def renderer(self) -> TelegramRenderer:
        """Return the renderer the Telegram handlers use."""
        return self.telegram.renderer


def telegram_hooks(services: Services) -> ChannelHooks:
    """Return what the Telegram channel needs from the services."""
    return ChannelHooks(
        apply=services.conversation.apply,
        inbox=services.delivery,
        contacts=services.contacts,
        language_of=services.onboarding.user_language,
        chat_moved=services.partners.move_chat,
    )


@asynccontextmanager
async def serving(
    settings: Settings,
    services: Services,
    ports: Sequence[OutboundPort],
    *,
    start_receiving: Callable[[], Awaitable[None]] | None = None,
    stop_receiving: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[Scheduler]:
    """With the channels' ports in place, send what waits, receive, and run the jobs."""
    for port in ports:
        services.outbound.register(port)
    scheduler = Scheduler(settings.tz)
    try:
        # Answers committed before a crash but never sent go first, before anything new.
        await services.conversation.drain(everything=True)
        await services.broadcasts.recover()
        if start_receiving is not None:
            await start_receiving()
        scheduler.add_all(all_jobs(services))
        scheduler.start()
        try:
            yield scheduler
        finally:
            # Stop taking actions in first, then let what was taken and started finish.
            if stop_receiving is not None:
                await stop_receiving()
            await scheduler.stop()
            await services.broadcasts.stop()
    finally:
        for port in ports:
            services.outbound.unregister(port.channel)


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    webhook_url: str | None = None,
    poll_timeout: int = POLL_TIMEOUT_S,
) -> AsyncIterator[RunningBot]:
    """Start services, the Telegram channel (polling or a webhook) and the jobs; then stop."""
    secret = settings.webhook_secret
    redact_in_logs(settings.require_token(), secret.get_secret_value() if secret else None)
    services = await open_services(settings)
    try:
        telegram = TelegramChannel(settings, telegram_hooks(services))
        try:
            await telegram.open()
            services.identity.username = telegram.username

            async def start() -> None:
                await telegram.start(webhook_url=webhook_url, poll_timeout=poll_timeout)

            async with serving(
                settings,
                services,
                [telegram.outbound],
                start_receiving=start,
                stop_receiving=telegram.stop_receiving,
            ) as scheduler:
                logger.info("bot started (%s)", "webhook" if webhook_url else "long polling")
                yield RunningBot(services, scheduler, telegram)
            logger.info("bot stopped")
        finally:
            await telegram.close()
    finally:
        await services.close()


async def serve(settings: Settings, *, webhook_url: str | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop without losing an update."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with running_bot(settings, webhook_url=webhook_url) as bot:
        me = await bot.telegram.application.bot.get_me()
        logger.info("serving as @%s", me.username)
        await stop.wait()
        logger.info("stop signal received")
