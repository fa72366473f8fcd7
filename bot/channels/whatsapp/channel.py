"""The WhatsApp channel: signed webhooks in (stored before 200), one outbound port out."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import Apply, IncomingKind, IncomingMessage, Recipient, Reply
from bot.channels.whatsapp.client import OUTSIDE_WINDOW, QUALITY_STOPS, GraphClient, GraphError
from bot.channels.whatsapp.inbound import (
    InboundMessage,
    Webhook,
    read_webhook,
    signature_ok,
    to_incoming,
)
from bot.channels.whatsapp.menu import COMMAND_PREFIX, menu_message
from bot.channels.whatsapp.outbound import (
    ListPages,
    TemplateBudget,
    TemplateLedger,
    WhatsAppOutbound,
)
from bot.channels.whatsapp.render import CHANNEL, PAGE_PREFIX
from bot.channels.whatsapp.templates import TemplateBook
from bot.config import Settings
from bot.i18n import translate
from bot.shared.inbox import DeliveryService
from bot.storage.deliveries import StatusChange

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/whatsapp/webhook"
# People whose messages are applied at once (each person's own one at a time, in order).
MAX_CONCURRENT = 256
STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class WhatsAppHooks:
    """What the WhatsApp channel needs from the rest of the bot, passed in (never imported)."""

    apply: Apply
    inbox: DeliveryService
    language_of: Callable[[str, str, str | None], Awaitable[str]]
    # Meta says a message it had accepted could not be delivered: (wa_id, wamid, error code).
    on_failed: Callable[[str, str, int], Awaitable[None]]
    # A person wrote at this moment (ISO UTC), which opens WhatsApp's service window.
    wrote: Callable[[str, str], Awaitable[None]]
    # When the person last wrote (ISO UTC), or None.
    last_wrote: Callable[[str], Awaitable[str | None]]
    # A template's review status: (name, language) -> status or None.
    template_status: Callable[[str, str], Awaitable[str | None]]
    # The person stopped marketing messages from WhatsApp's own menu.
    stopped_marketing: Callable[[str], Awaitable[None]]
    # Meta accepted a message: (wamid, wa_id, its template form to try if it fails later).
    accepted: Callable[[str, str, str | None], Awaitable[None]]
    # A status callback: (wamid, wa_id, status, error code) -> the change, None if not one.
    status_moved: Callable[[str, str, str, int | None], Awaitable[StatusChange | None]]
    # A failed message's template was sent instead (it is tried once).
    retried: Callable[[str], Awaitable[None]]
    # Where template messages and their cost are counted (daily limit, monthly budget).
    ledger: TemplateLedger | None = None
    # A person's number came with their business-scoped user id: (wa_id, bsuid), so that the
    # person is still known when Meta later hides the number.
    alias: Callable[[str, str], Awaitable[None]] | None = None


class WhatsAppChannel:
    """Receive Meta's webhooks and apply each person's messages in order."""

    def __init__(self, settings: Settings, hooks: WhatsAppHooks) -> None:
        assert settings.whatsapp_token is not None
        assert settings.whatsapp_app_secret is not None
        assert settings.whatsapp_verify_token is not None
        assert settings.whatsapp_phone_number_id is not None
        self._hooks = hooks
        self._secret = settings.whatsapp_app_secret.get_secret_value()
        self._verify = settings.whatsapp_verify_token.get_secret_value()
        self.client = GraphClient(
            settings.whatsapp_api_url,
            settings.whatsapp_token.get_secret_value(),
            settings.whatsapp_phone_number_id,
            max_rate=settings.whatsapp_max_rate,
        )
        self.templates = TemplateBook.load(settings.data_dir / "whatsapp" / "templates.yaml")
        self.outbound = WhatsAppOutbound(
            self.client,
            hooks.language_of,
            ListPages(),
            hooks.last_wrote,
            templates=self.templates,
            template_status=hooks.template_status,
            accepted=hooks.accepted,
            budget=TemplateBudget(
                daily_limit=settings.whatsapp_daily_limit,
                monthly_budget=settings.whatsapp_monthly_budget,
                prices={
                    "MARKETING": settings.whatsapp_price_marketing,
                    "UTILITY": settings.whatsapp_price_utility,
                },
            ),
            ledger=hooks.ledger,
        )
        self._queues: dict[str, list[InboundMessage]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self._receiving = False
        self._tasks: set[asyncio.Task[None]] = set()

    def routes(self) -> list[BaseRoute]:
        """Return the webhook's two routes: the subscription handshake and the events."""
        return [
            Route(WEBHOOK_PATH, self._handshake, methods=["GET"]),
            Route(WEBHOOK_PATH, self._receive, methods=["POST"]),
        ]

    async def open(self) -> None:
        """Connect to the Graph API and queue the messages kept but not applied last time."""
        await self.client.open()
        for key, payload in await self._hooks.inbox.pending(CHANNEL):
            data = json.loads(payload)
            inbound = InboundMessage(
                data["wa_id"], data["wamid"], int(data["timestamp"]), data["message"], data["name"]
            )
            if inbound.event_key != key:
                logger.error("inbox entry %s does not match its payload; skipped", key)
                continue
            self._queue(inbound)

    async def start(self) -> None:
        """Start taking webhooks (the web server serves the routes)."""
        self._receiving = True

    async def stop_receiving(self) -> None:
        """Refuse new webhooks (Meta retries them), then finish what was taken."""
        self._receiving = False
        workers = list(self._workers.values())
        if workers:
            _, pending = await asyncio.wait(workers, timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()

    async def close(self) -> None:
        """Disconnect from the Graph API."""
        await self.client.close()

    def health(self) -> dict[str, Any]:
        """Say when the Graph API last answered, and whether Meta stopped the number."""
        last = self.client.last_ok
        return {
            "last_ok": datetime.fromtimestamp(last, UTC).isoformat(timespec="seconds")
            if last is not None
            else None,
            "stopped_by_meta": self.outbound.stopped_by,
        }

    async def _handshake(self, request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self._verify.encode()
        ):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return Response(status_code=403)

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        header = request.headers.get("X-Hub-Signature-256")
        if header is None:
            return Response(status_code=401)
        if not signature_ok(body, header, self._secret):
            # Nothing of an unsigned body is kept or logged: anybody can send one.
            return Response(status_code=403)
        if not self._receiving:
            return Response(status_code=503)
        try:
            data = json.loads(body)
            webhook = read_webhook(data if isinstance(data, dict) else {})
        except (ValueError, TypeError, AttributeError):
            return Response(status_code=400)
        await self._take(webhook)
        return Response(status_code=200)

    async def _take(self, webhook: Webhook) -> None:
        """Store each message of a consented person, then queue it; only then is 200 said."""
        for inbound in webhook.messages:
            at = _moment(inbound.timestamp, self.outbound.clock())
            self.outbound.note_inbound(inbound.wa_id, at)
            await self._hooks.wrote(inbound.wa_id, at.isoformat(timespec="milliseconds"))
            if inbound.bsuid and inbound.bsuid != inbound.wa_id and self._hooks.alias:
                await self._hooks.alias(inbound.wa_id, inbound.bsuid)
            await self._hooks.inbox.keep(
                CHANNEL, inbound.wa_id, inbound.event_key, _payload(inbound)
            )
            self._queue(inbound)
        for wa_id in webhook.stopped_marketing:
            await self._hooks.stopped_marketing(wa_id)
        for status in webhook.statuses:
            change = await self._hooks.status_moved(
                status.wamid, status.wa_id, status.status, status.error_code
            )
            if change is None or change.status != "failed" or status.error_code is None:
                continue
            if (
                status.error_code == OUTSIDE_WINDOW
                and change.fallback is not None
                and not change.retried
            ):
                # Sent free-form while the window was open, failed as it closed: once more,
                # as its template.
                await self._hooks.retried(status.wamid)
                self._background(self.outbound.retry_as_template(status.wa_id, change.fallback))
            if status.error_code in QUALITY_STOPS:
                self.outbound.stop(status.error_code)
            await self._hooks.on_failed(status.wa_id, status.wamid, status.error_code)

    def _background(self, work: Awaitable[object]) -> None:
        """Run work after the webhook's 200 (Meta waits for nothing else)."""

        async def run() -> None:
            try:
                await work
            except Exception:
                logger.exception("background WhatsApp work failed")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _queue(self, inbound: InboundMessage) -> None:
        self._queues.setdefault(inbound.wa_id, []).append(inbound)
        if inbound.wa_id not in self._workers:
            self._workers[inbound.wa_id] = asyncio.create_task(
                self._work(inbound.wa_id), name=f"whatsapp-{len(self._workers)}"
            )

    async def _work(self, wa_id: str) -> None:
        """Apply one person's messages one at a time, in the order they came."""
        try:
            while self._queues.get(wa_id):
                inbound = self._queues[wa_id].pop(0)
                async with self._slots:
                    try:
                        await self._apply(inbound)
                    except Exception:
                        # One message's failure must not stop the person's next ones; the
                        # inbox keeps it for the next start.
                        logger.exception("a WhatsApp message could not be applied")
        finally:
            self._workers.pop(wa_id, None)
            if not self._queues.get(wa_id):
                self._queues.pop(wa_id, None)

    async def _apply(self, inbound: InboundMessage) -> None:
        msg = to_incoming(inbound)
        if msg is None:
            return
        if msg.kind is IncomingKind.BUTTON and msg.button_data.startswith(PAGE_PREFIX):
            await self._show_page(msg)
            return
        if msg.kind is IncomingKind.COMMAND and msg.command == "menu":
            await self._show_menu(msg.user_ref)
            return
        if msg.kind is IncomingKind.BUTTON and msg.button_data.startswith(COMMAND_PREFIX):
            # A row of the menu: the command it names, as if typed.
            command = msg.button_data.removeprefix(COMMAND_PREFIX)
            msg = replace(msg, kind=IncomingKind.COMMAND, command=command, text=f"/{command}")
        answer = await self._hooks.apply(msg)
        if answer.outcome.notice and not answer.outcome.replies:
            # WhatsApp has no pop-up answer to a tap: a short message says it instead.
            await self.outbound.send(
                Recipient(CHANNEL, msg.user_ref), [Reply(answer.outcome.notice)]
            )
        await answer.deliver()

    async def _show_menu(self, wa_id: str) -> None:
        lang = await self._hooks.language_of(CHANNEL, wa_id, None)
        try:
            await self.client.send(wa_id, menu_message(lang))
        except (GraphError, ConnectionError):
            logger.warning("the menu could not be shown")

    async def _show_page(self, msg: IncomingMessage) -> None:
        key, _, number = msg.button_data.removeprefix(PAGE_PREFIX).partition(":")
        messages = await self.outbound.page(msg.user_ref, key, int(number or 0))
        if messages is None:
            # A list from before a restart: as stale as an old Telegram button.
            lang = await self._hooks.language_of(CHANNEL, msg.user_ref, None)
            await self.outbound.send(
                Recipient(CHANNEL, msg.user_ref), [Reply(translate(lang, "button.stale"))]
            )
            return
        for message in messages:
            try:
                await self.client.send(msg.user_ref, message)
            except (GraphError, ConnectionError):
                logger.warning("a page of a list could not be shown")
                return


def _moment(timestamp: int, now: datetime) -> datetime:
    # Meta's timestamp is when the person sent it; never later than now (clocks differ).
    return min(datetime.fromtimestamp(timestamp, UTC), now) if timestamp else now


def _payload(inbound: InboundMessage) -> str:
    return json.dumps(
        {
            "wa_id": inbound.wa_id,
            "wamid": inbound.wamid,
            "timestamp": inbound.timestamp,
            "message": inbound.message,
            "name": inbound.name,
        },
        ensure_ascii=False,
    )
