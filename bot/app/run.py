"""Run the bot: open the services, start the channels and the scheduler, stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.routing import BaseRoute

from bot.app.container import Services, open_services
from bot.app.jobs import all_jobs
from bot.app.scheduler import Scheduler
from bot.app.web import HealthCheck, WebServer, build_app, metrics_route
from bot.channels.base import (
    ChannelRefused,
    ChannelUnavailable,
    OutboundPort,
    Recipient,
    Reply,
)
from bot.channels.telegram.app import TelegramChannel
from bot.channels.telegram.hooks import ChannelHooks
from bot.channels.telegram.render import TelegramRenderer
from bot.channels.whatsapp.channel import WhatsAppChannel, WhatsAppHooks
from bot.channels.whatsapp.client import MARKETING_CAP, UNDELIVERABLE
from bot.channels.whatsapp.render import CHANNEL as WHATSAPP
from bot.config import Settings
from bot.features.reach.web import go_routes
from bot.i18n import translate
from bot.log_redaction import redact_in_logs
from bot.storage.deliveries import DeliveryStatusRepository, StatusChange
from bot.storage.template_usage import TemplateUsageRepository
from bot.storage.templates import TemplateStatusRepository

logger = logging.getLogger(__name__)

POLL_TIMEOUT_S = 10
# An unreachable channel is tried again after 1 s, 2 s, 4 s… and then every minute.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0


@dataclass
class RunningBot:
    """Bundle the running services, scheduler, web server and channels."""

    services: Services
    scheduler: Scheduler
    web: WebServer
    telegram: TelegramChannel | None
    whatsapp: WhatsAppChannel | None = None

    @property
    def application(self) -> Any:
        """Return the Telegram channel's python-telegram-bot Application (for tests)."""
        assert self.telegram is not None, "Telegram is not configured"
        return self.telegram.application

    @property
    def renderer(self) -> TelegramRenderer:
        """Return the renderer the Telegram handlers use."""
        assert self.telegram is not None, "Telegram is not configured"
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
    scheduler: Scheduler | None = None,
    start_receiving: Callable[[], Awaitable[None]] | None = None,
    stop_receiving: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[Scheduler]:
    """With the channels' ports in place, send what waits, receive, and run the jobs."""
    for port in ports:
        services.outbound.register(port)
    scheduler = scheduler or Scheduler(settings.tz, metrics=services.metrics)
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


def health_check(
    services: Services, scheduler: Scheduler, channels: dict[str, Callable[[], dict[str, Any]]]
) -> HealthCheck:
    """Return /healthz: the database writable, the scheduler running, each channel's news."""

    async def check() -> tuple[bool, dict[str, Any]]:
        try:
            database = await asyncio.wait_for(services.db.writable(), timeout=5)
        except TimeoutError:
            database = False
        details: dict[str, Any] = {
            "database": "ok" if database else "not writable",
            "scheduler": "running" if scheduler.running else "stopped",
            "channels": {name: report() for name, report in channels.items()},
        }
        return database and scheduler.running, details

    return check


def whatsapp_hooks(services: Services) -> WhatsAppHooks:
    """Return what the WhatsApp channel needs from the services."""

    async def on_failed(wa_id: str, wamid: str, code: int) -> None:
        if code == UNDELIVERABLE:
            await services.contacts.mark_blocked(WHATSAPP, wa_id)
        elif code == MARKETING_CAP:
            # Meta's cap on marketing messages per person: the announcement waits a day.
            await services.broadcasts.defer_sent(
                WHATSAPP, wamid, timedelta(days=1), f"WhatsApp marketing cap ({code})"
            )
        else:
            logger.warning("WhatsApp could not deliver a message (error %d)", code)

    async def wrote(wa_id: str, at: str) -> None:
        await services.users.record_inbound(WHATSAPP, wa_id, at)

    async def last_wrote(wa_id: str) -> str | None:
        return await services.users.last_inbound(WHATSAPP, wa_id)

    async def alias(wa_id: str, bsuid: str) -> None:
        async with services.db.transaction():
            await services.users.add_alias(WHATSAPP, wa_id, bsuid)

    statuses = TemplateStatusRepository(services.db)

    async def template_status(name: str, lang: str) -> str | None:
        return await statuses.status(WHATSAPP, name, lang)

    async def stopped_marketing(wa_id: str) -> None:
        # Announcements are the bot's marketing messages: the same as typing STOP.
        user = await services.users.get(WHATSAPP, wa_id)
        if user is not None and user.announcements:
            async with services.db.transaction():
                await services.users.update(user.id, announcements=False)

    deliveries = DeliveryStatusRepository(services.db)

    async def accepted(wamid: str, _wa_id: str, fallback: str | None) -> None:
        await deliveries.accepted(WHATSAPP, wamid, fallback)

    async def status_moved(
        wamid: str, _wa_id: str, status: str, code: int | None
    ) -> StatusChange | None:
        async with services.db.transaction():
            return await deliveries.moved(WHATSAPP, wamid, status, code)

    async def retried(wamid: str) -> None:
        await deliveries.mark_retried(WHATSAPP, wamid)

    return WhatsAppHooks(
        ledger=TemplateUsageRepository(services.db),
        accepted=accepted,
        status_moved=status_moved,
        retried=retried,
        stopped_marketing=stopped_marketing,
        template_status=template_status,
        apply=services.conversation.apply,
        inbox=services.delivery,
        language_of=services.onboarding.user_language,
        on_failed=on_failed,
        wrote=wrote,
        last_wrote=last_wrote,
        alias=alias,
    )


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    webhook_url: str | None = None,
    poll_timeout: int = POLL_TIMEOUT_S,
) -> AsyncIterator[RunningBot]:
    """Start services, the web server, the configured channels and the jobs; then stop."""
    redact_in_logs(
        *(
            secret.get_secret_value()
            for secret in (
                settings.telegram_token,
                settings.webhook_secret,
                settings.whatsapp_token,
                settings.whatsapp_app_secret,
                settings.whatsapp_verify_token,
            )
            if secret is not None
        )
    )
    services = await open_services(settings)
    try:
        telegram = (
            TelegramChannel(settings, telegram_hooks(services)) if settings.telegram_on else None
        )
        whatsapp = (
            WhatsAppChannel(settings, whatsapp_hooks(services)) if settings.whatsapp_on else None
        )
        scheduler = Scheduler(settings.tz, metrics=services.metrics)
        routes: list[BaseRoute] = []
        reports: dict[str, Callable[[], dict[str, Any]]] = {}
        if telegram is not None:
            routes += telegram.webhook_routes(webhook_url) if webhook_url else []
            reports["telegram"] = telegram.health
        if whatsapp is not None:
            routes += whatsapp.routes()
            reports["whatsapp"] = whatsapp.health
        routes += go_routes(services.links)
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        routes.append(metrics_route(services.metrics_text, token))
        routes += services.dashboard_web.routes()
        web = WebServer(
            build_app(routes, health_check(services, scheduler, reports)),
            settings.http_host,
            settings.http_port,
        )
        ports: list[OutboundPort] = []
        retrying: asyncio.Task[None] | None = None

        async def telegram_up() -> None:
            assert telegram is not None
            services.identity.username = telegram.username
            services.outbound.register(telegram.outbound)
            await telegram.start(webhook_url=webhook_url, poll_timeout=poll_timeout)

        try:
            telegram_open = False
            if telegram is not None:
                telegram_open = await _open_or_later("Telegram", telegram.open)
                if telegram_open:
                    services.identity.username = telegram.username
                    ports.append(telegram.outbound)
            if whatsapp is not None:
                await whatsapp.open()
                ports.append(whatsapp.outbound)
                whatsapp.outbound.on_stop = lambda code: _alert_admins(
                    services, "whatsapp.stopped", code=code
                )
                whatsapp.outbound.on_budget = lambda month: _alert_admins(
                    services, "whatsapp.budget_spent", month=month
                )
            await web.start()
            if not settings.public_url:
                # Port 0 binds any free port: links must name the one actually bound.
                services.dashboard.base_url = f"http://127.0.0.1:{web.port}"

            async def start() -> None:
                nonlocal retrying
                if whatsapp is not None:
                    await whatsapp.start()
                if telegram is not None and telegram_open:
                    await telegram.start(webhook_url=webhook_url, poll_timeout=poll_timeout)
                elif telegram is not None:
                    retrying = asyncio.create_task(
                        _keep_trying("Telegram", telegram.open, telegram_up), name="reopen"
                    )

            async def stop() -> None:
                if retrying is not None:
                    retrying.cancel()
                    await asyncio.gather(retrying, return_exceptions=True)
                if telegram is not None:
                    await telegram.stop_receiving()
                if whatsapp is not None:
                    await whatsapp.stop_receiving()
                await web.stop()

            async with serving(
                settings,
                services,
                ports,
                scheduler=scheduler,
                start_receiving=start,
                stop_receiving=stop,
            ):
                logger.info(
                    "bot started: %s",
                    ", ".join(
                        name
                        for name, on in (
                            ("Telegram (webhook)" if webhook_url else "Telegram", telegram),
                            ("WhatsApp", whatsapp),
                        )
                        if on is not None
                    ),
                )
                yield RunningBot(services, scheduler, web, telegram, whatsapp)
            logger.info("bot stopped")
        finally:
            await web.stop()
            if whatsapp is not None:
                await whatsapp.close()
            if telegram is not None:
                await telegram.close()
    finally:
        await services.close()


_alerts: set[asyncio.Task[None]] = set()


def _alert_admins(services: Services, key: str, **params: object) -> None:
    """Tell every configured admin, on their channel, that something needs them."""

    async def tell() -> None:
        for admin in services.settings.admin_ids:
            text = str(admin)
            channel, ref = text.split(":", 1) if ":" in text else ("telegram", text)
            user = await services.users.get(channel, ref)
            lang = user.language if user is not None else "fr"
            outcome = await services.outbound.send(
                Recipient(channel, ref), [Reply(translate(lang, key, **params))]
            )
            if not outcome.sent:
                logger.error("could not alert admin on %s: %s", channel, outcome.status)

    task = asyncio.create_task(tell())
    _alerts.add(task)
    task.add_done_callback(_alerts.discard)


async def _open_or_later(name: str, open_channel: Callable[[], Awaitable[None]]) -> bool:
    """Open a channel; when its platform is unreachable, say so in one line and go on."""
    try:
        await open_channel()
    except ChannelUnavailable as exc:
        logger.error("%s is unreachable, retrying in the background: %s", name, exc)
        return False
    return True


async def _keep_trying(
    name: str, open_channel: Callable[[], Awaitable[None]], then: Callable[[], Awaitable[None]]
) -> None:
    """Open a channel again and again, waiting longer each time, then start it."""
    delay = RETRY_FIRST_S
    while True:
        await asyncio.sleep(delay)
        try:
            await open_channel()
        except ChannelUnavailable as exc:
            delay = min(delay * 2, RETRY_MAX_S)
            logger.warning("%s still unreachable (next try in %.0f s): %s", name, delay, exc)
            continue
        except ChannelRefused as exc:
            logger.error("%s refused the configuration; not retrying: %s", name, exc)
            return
        await then()
        logger.info("%s is reachable again", name)
        return


async def serve(settings: Settings, *, webhook_url: str | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop without losing an update."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with running_bot(settings, webhook_url=webhook_url) as bot:
        if bot.telegram is not None and bot.telegram.username is not None:
            logger.info("serving as @%s", bot.telegram.username)
        await stop.wait()
        logger.info("stop signal received")
