"""Build and run the python-telegram-bot Application around the services."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from telegram import Bot, BotCommand, Update
from telegram.error import ChatMigrated, Forbidden, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor

import handlers
from bot.channels.base import Reply
from bot.channels.telegram import CHANNEL, TelegramRenderer, to_markup
from bot.channels.telegram_delivery import DurableUpdateQueue
from bot.channels.telegram_http import AiohttpRequest
from bot.config import Settings
from bot.i18n import LANGUAGES, Translator, translate
from bot.log_redaction import redact_in_logs
from bot.scheduler import register_jobs
from bot.services.broadcasts import (
    PHOTO_PATH_PREFIX,
    SendAnnouncement,
    SendOutcome,
    SendReport,
    SendResult,
)
from bot.services.container import Services, open_services
from bot.services.digest_dispatch import EMAIL_CHANNEL, SendDigest
from bot.services.digests import DigestFigures
from bot.services.events import SendNotice
from bot.services.follow_ups import SendQuestion
from bot.services.sending import Delivery
from bot.services.survey_results import WaveResults
from bot.services.survey_waves import SendInvitation, SendResults
from bot.storage import Concern, User
from bot.storage.broadcasts import Broadcast, OutboxItem
from bot.storage.event_store import Event
from bot.storage.partners import Partner
from bot.survey_definitions import Survey

logger = logging.getLogger(__name__)

MENU_COMMANDS = ("start", "barometer", "history", "profile", "language", "help")
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


def build_application(settings: Settings, services: Services) -> Application:  # type: ignore[type-arg]
    """Create the Application talking to the configured Bot API server, handlers attached."""
    application = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.telegram_base_url)
        .base_file_url(file_base_url(settings.telegram_base_url))
        .concurrent_updates(PerChatUpdateProcessor())
        .update_queue(DurableUpdateQueue(services.delivery))
        .request(AiohttpRequest(connections=settings.telegram_connections))
        .get_updates_request(AiohttpRequest(connections=1))
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=3))
        .build()
    )

    renderer = TelegramRenderer(application.bot, services.contacts)
    application.bot_data["renderer"] = renderer
    handlers.register(application, services, renderer)
    if application.job_queue is not None:
        register_jobs(
            application.job_queue,
            services,
            follow_up_sender(services, renderer),
            invitation_sender(services, renderer),
            results_sender(services, renderer),
            digest_sender(services, renderer),
            announcement_sender(services, application.bot),
            report_sender(services, renderer),
            notice_sender(services, renderer),
        )
    return application


async def _deliver(sending: Awaitable[bool], what: str) -> Delivery:
    """Await a send (False: the chat blocked the bot) and say what became of it."""
    try:
        delivered = await sending
    except TimedOut:
        # Telegram may well have delivered it; sending twice is worse than not knowing.
        logger.warning("%s timed out; counted as sent", what)
        return Delivery.SENT
    except TelegramError as exc:
        logger.warning("%s not sent (%s); will retry", what, exc)
        return Delivery.FAILED
    return Delivery.SENT if delivered else Delivery.BLOCKED


def follow_up_sender(services: Services, renderer: TelegramRenderer) -> SendQuestion:
    """Return how the follow-up job sends a question: to the person's chat, unless blocked."""

    async def send(user: User, concern: Concern) -> Delivery:
        reply = services.follow_up_flow.question(user, concern)
        return await _deliver(
            renderer.send_unprompted(int(user.external_id), reply),
            f"follow-up of concern {concern.id}",
        )

    return send


def invitation_sender(services: Services, renderer: TelegramRenderer) -> SendInvitation:
    """Return how the survey job sends an invitation or its reminder."""

    async def send(user: User, survey: Survey, wave_id: int, reminder: bool) -> Delivery:
        t = Translator(user.language)
        reply = services.survey_flow.invitation(t, survey, wave_id, reminder=reminder)
        return await _deliver(
            renderer.send_unprompted(int(user.external_id), reply),
            f"invitation to wave {wave_id}",
        )

    return send


def results_sender(services: Services, renderer: TelegramRenderer) -> SendResults:
    """Return how the survey job sends a closed wave's results to one respondent."""
    k = services.settings.anonymity_k

    async def send(user: User, results: WaveResults) -> Delivery:
        reply = services.survey_flow.results_for(user, results, services.reference, k)
        return await _deliver(
            renderer.send_unprompted(int(user.external_id), reply),
            f"results of wave {results.wave.id}",
        )

    return send


def digest_sender(services: Services, renderer: TelegramRenderer) -> SendDigest:
    """Return how the digest job sends a partner's weekly digest to a chat or its address."""

    async def send(
        partner: Partner, channel: str, chat_id: str, figures: DigestFigures
    ) -> Delivery:
        if channel == EMAIL_CHANNEL:
            if services.mailer is None:
                return Delivery.FAILED
            message = await services.digest_flow.email(
                partner, figures, services.settings.smtp_from, chat_id
            )
            return await services.mailer.send(message)
        replies = await services.digest_flow.weekly(partner, figures)

        async def send_all() -> bool:
            # The text, then the chart and the CSV; a block stops the rest.
            target = int(chat_id)
            for reply in replies:
                try:
                    delivered = await renderer.send(target, reply)
                except ChatMigrated as exc:
                    # The group became a supergroup: follow it, and carry on there.
                    target = exc.new_chat_id
                    await services.partners.move_chat(CHANNEL, chat_id, str(target))
                    delivered = await renderer.send(target, reply)
                if not delivered:
                    return False
            if target != int(chat_id):
                # Recorded under the new id too, which the next round looks for.
                await services.partners.record_delivery(
                    partner.id, figures.week, CHANNEL, str(target)
                )
            return True

        return await _deliver(send_all(), f"digest of partner {partner.id}")

    return send


def announcement_sender(services: Services, bot: Bot) -> SendAnnouncement:
    """Return how the broadcast dispatcher hands one message to Telegram."""

    async def send(broadcast: Broadcast, item: OutboxItem, text: str) -> SendResult:
        if item.channel != CHANNEL:
            return SendResult(SendOutcome.ERROR, error=f"no sender for channel {item.channel}")
        chat_id = int(item.chat_id)
        # An event's invitation carries its answer buttons, in the person's language.
        markup = None
        if broadcast.event_id is not None:
            markup = to_markup(services.events.answer_buttons(broadcast.event_id, item.language))
        try:
            if broadcast.photo is None:
                await bot.send_message(chat_id, text, reply_markup=markup)
                return SendResult(SendOutcome.SENT)
            upload = broadcast.photo.startswith(PHOTO_PATH_PREFIX)
            photo: str | bytes = broadcast.photo
            if upload:
                path = Path(broadcast.photo.removeprefix(PHOTO_PATH_PREFIX))
                photo = await asyncio.to_thread(path.read_bytes)
            message = await bot.send_photo(chat_id, photo=photo, caption=text, reply_markup=markup)
            # Uploaded once; every later recipient gets it by Telegram's id.
            photo_id = message.photo[-1].file_id if upload and message.photo else None
            return SendResult(SendOutcome.SENT, photo_id=photo_id)
        except Forbidden:
            return SendResult(SendOutcome.BLOCKED)
        except RetryAfter as exc:
            return SendResult(SendOutcome.RATE_LIMITED, retry_after=_seconds(exc))
        except TimedOut:
            # Telegram may well have delivered it; sending twice is worse than not knowing.
            logger.warning("broadcast %d: a send timed out; counted as sent", broadcast.id)
            return SendResult(SendOutcome.SENT)
        except TelegramError as exc:
            return SendResult(SendOutcome.ERROR, error=str(exc)[:200])

    return send


def notice_sender(services: Services, renderer: TelegramRenderer) -> SendNotice:
    """Return how a person promoted from a waiting list is told, with the calendar file."""

    async def send(user: User, event: Event) -> Delivery:
        t = Translator(user.language)
        text = t("event.promoted", title=event.title, when=services.events.when(event, t.lang))
        calendar = Reply(
            t("event.ics_caption"),
            document=(f"echoppe-event-{event.id}.ics", services.events.ics(event)),
        )

        async def notice_then_file() -> bool:
            chat = int(user.external_id)
            notice = Reply(text, services.events.share_buttons(event.id, t.lang))
            if not await renderer.send_unprompted(chat, notice):
                return False
            # The notice is what counts: a calendar file that fails is not worth telling twice.
            try:
                await renderer.send(chat, calendar)
            except TelegramError as exc:
                logger.warning("event %d: the calendar file was not sent (%s)", event.id, exc)
            return True

        return await _deliver(notice_then_file(), f"seat notice of event {event.id}")

    return send


def report_sender(services: Services, renderer: TelegramRenderer) -> SendReport:
    """Return how the dispatcher tells an admin how their broadcast went."""

    async def send(
        broadcast: Broadcast, progress: dict[str, int], reasons: list[tuple[str, int]]
    ) -> bool:
        reply = await services.announcements.report(broadcast, progress, reasons)
        delivery = await _deliver(
            renderer.send_unprompted(int(broadcast.report_chat), reply),
            f"report of broadcast {broadcast.id}",
        )
        return delivery is not Delivery.FAILED

    return send


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def publish_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Publish the command menu in each language (the default one in French)."""
    for lang in (None, *LANGUAGES):
        text_lang = lang or "fr"
        commands = [BotCommand(c, translate(text_lang, f"command.{c}")) for c in MENU_COMMANDS]
        await application.bot.set_my_commands(commands, language_code=lang)


@dataclass
class RunningBot:
    """Bundle a started Application with its services."""

    application: Application  # type: ignore[type-arg]
    services: Services

    @property
    def renderer(self) -> TelegramRenderer:
        """Return the renderer the handlers use."""
        renderer = self.application.bot_data["renderer"]
        assert isinstance(renderer, TelegramRenderer)
        return renderer


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    webhook_url: str | None = None,
    poll_timeout: int = POLL_TIMEOUT_S,
) -> AsyncIterator[RunningBot]:
    """Start services and the bot (polling, or a webhook), yield, then stop cleanly."""
    secret = settings.webhook_secret
    redact_in_logs(settings.require_token(), secret.get_secret_value() if secret else None)
    services = await open_services(settings)
    try:
        application = build_application(settings, services)
        async with application:
            services.identity.username = application.bot.username
            await publish_commands(application)
            updater = application.updater
            assert updater is not None
            queue = application.update_queue
            assert isinstance(queue, DurableUpdateQueue)
            await queue.replay(application.bot)
            await services.broadcasts.recover()
            # PTB's documented order: start processing, then start receiving.
            await application.start()
            if webhook_url is None:
                await updater.start_polling(timeout=poll_timeout, poll_interval=0.0)
            else:
                await updater.start_webhook(
                    listen=settings.webhook_listen,
                    port=settings.webhook_port,
                    url_path=_webhook_path(webhook_url),
                    webhook_url=webhook_url,
                    secret_token=_webhook_secret(settings),
                    allowed_updates=Update.ALL_TYPES,
                )
            logger.info("bot started (%s)", "webhook" if webhook_url else "long polling")
            try:
                yield RunningBot(application, services)
            finally:
                # Stop fetching first, then let the updates already fetched finish.
                if updater.running:
                    await updater.stop()
                await services.broadcasts.stop()
                await application.stop()
                logger.info("bot stopped")
    finally:
        await services.close()


def _webhook_path(webhook_url: str) -> str:
    return urlparse(webhook_url).path.lstrip("/")


def _webhook_secret(settings: Settings) -> str:
    if settings.webhook_secret is None:
        # Telegram echoes this in a header on every call; a fresh one per run is enough.
        fresh = secrets.token_urlsafe(32)
        redact_in_logs(fresh)
        return fresh
    return settings.webhook_secret.get_secret_value()


async def serve(settings: Settings, *, webhook_url: str | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop without losing an update."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with running_bot(settings, webhook_url=webhook_url) as bot:
        me = await bot.application.bot.get_me()
        logger.info("serving as @%s", me.username)
        await stop.wait()
        logger.info("stop signal received")
