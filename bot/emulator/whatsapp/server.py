"""Emulate Meta's WhatsApp Business Cloud API (Graph API) on 127.0.0.1 with aiohttp."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.emulator.whatsapp.delivery import WebhookSender
from bot.emulator.whatsapp.errors import (
    GraphError,
    auth_error,
    invalid_param,
    required,
    status_error,
    sync_error,
)
from bot.emulator.whatsapp.messages import Outgoing, parse_message
from bot.emulator.whatsapp.models import (
    MediaObject,
    SentMessage,
    Template,
    TemplateTranslation,
    WaUser,
    WebhookDelivery,
)
from bot.emulator.whatsapp.payloads import (
    contact_json,
    envelope,
    inbound_message,
    new_numeric_id,
    new_wamid,
    sign,
    status_json,
)
from bot.emulator.whatsapp.templates import duplicate_error, validate_creation

logger = logging.getLogger(__name__)

WINDOW_S = 24 * 3600
# The parsed body of a Graph call, kept on the request for the `rejected` log.
PAYLOAD: web.RequestKey[Any] = web.RequestKey("payload")
# What /media accepts, with Meta's size limit for each type.
_MB = 1024 * 1024
UPLOAD_LIMITS: dict[str, int] = {
    "audio/aac": 16 * _MB,
    "audio/amr": 16 * _MB,
    "audio/mpeg": 16 * _MB,
    "audio/mp4": 16 * _MB,
    "audio/ogg": 16 * _MB,
    "image/jpeg": 5 * _MB,
    "image/png": 5 * _MB,
    "image/webp": 500 * 1024,
    "video/mp4": 16 * _MB,
    "video/3gpp": 16 * _MB,
    "text/plain": 100 * _MB,
    "application/pdf": 100 * _MB,
    "application/vnd.ms-powerpoint": 100 * _MB,
    "application/msword": 100 * _MB,
    "application/vnd.ms-excel": 100 * _MB,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * _MB,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * _MB,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * _MB,
}
# What users send with send_media: webhook field, MIME type, file name, fake bytes.
_USER_MEDIA: dict[str, tuple[str, str, str | None, bytes]] = {
    "image": ("image", "image/jpeg", None, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    "audio": ("audio", "audio/ogg; codecs=opus", None, b"OggS\x00\x02"),
    "video": ("video", "video/mp4", None, b"\x00\x00\x00\x18ftypmp42"),
    "document": ("document", "application/pdf", "catalogue.pdf", b"%PDF-1.4\n"),
    "sticker": ("sticker", "image/webp", None, b"RIFF\x00\x00\x00\x00WEBPVP8 "),
}
MEDIA_KINDS = (*_USER_MEDIA, "location", "contacts", "reaction", "unsupported")


class _TokenBucket:
    """Allow `rate` sends per second with bursts of max(1, rate)."""

    def __init__(self, rate: float) -> None:
        """Start full."""
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.at = time.monotonic()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _unsupported(method: str, node: str) -> GraphError:
    """Build Graph's error for an unknown object id."""
    return GraphError(
        100,
        f"Unsupported {method} request. Object with ID '{node}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        whatsapp=False,
    )


class WhatsAppEmulator:
    """Serve the WhatsApp Cloud API locally and play the users who write to the business."""

    def __init__(
        self,
        *,
        phone_number_id: str = "1000000001",
        business_account_id: str = "2000000002",
        display_number: str = "32460000000",
        token: str = "wa-test-token",
        app_secret: str = "wa-app-secret",
        verify_token: str = "wa-verify",
        api_version: str = "v23.0",
        retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0),
        status_delay: float = 0.02,
    ) -> None:
        """Prepare an emulator; call start() (or use `async with`) to serve it."""
        self.phone_number_id = phone_number_id
        self.business_account_id = business_account_id
        self.display_number = display_number
        self.token = token
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.api_version = api_version
        self.status_delay = status_delay
        self.clock: Callable[[], float] = time.time
        self.window_s: float = WINDOW_S
        self.host = "127.0.0.1"
        self.port = 0
        self.rejected: list[dict[str, Any]] = []
        self.templates: dict[str, Template] = {}
        self.statuses: list[dict[str, Any]] = []
        self.inbound: list[dict[str, Any]] = []
        self.read_receipts: list[str] = []
        self.last_challenge: str | None = None
        self._sender = WebhookSender(app_secret, retry_delays)
        self._runner: web.AppRunner | None = None
        self._sent: list[SentMessage] = []
        self._by_user: dict[str, list[SentMessage]] = {}
        self._by_id: dict[str, SentMessage] = {}
        self._media: dict[str, MediaObject] = {}
        self._all_media: dict[str, MediaObject] = {}
        self._users: dict[str, WaUser] = {}
        self._last_inbound: dict[str, float] = {}
        self._inbound_ids: set[str] = set()
        self._marketing_stopped: set[str] = set()
        self._failures: dict[str, deque[tuple[int, bool]]] = {}
        self._bucket: _TokenBucket | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ configuration

    @property
    def base_url(self) -> str:
        """Return the Graph API base URL with its version (ECHOPPE_WHATSAPP_API_URL)."""
        return f"http://{self.host}:{self.port}/{self.api_version}"

    @property
    def webhook_url(self) -> str | None:
        """Return where webhooks are POSTed."""
        return self._sender.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        """Set where webhooks are POSTed."""
        self._sender.url = url

    @property
    def duplicate_webhooks(self) -> bool:
        """Return True when every webhook is POSTed twice."""
        return self._sender.duplicate

    @duplicate_webhooks.setter
    def duplicate_webhooks(self, value: bool) -> None:
        """POST every webhook twice (True) or once (False)."""
        self._sender.duplicate = value

    @property
    def retry_delays(self) -> tuple[float, ...]:
        """Return the waits before each retry of a webhook not answered with 200."""
        return self._sender.retry_delays

    @retry_delays.setter
    def retry_delays(self, delays: tuple[float, ...]) -> None:
        """Set the waits before each retry (an empty tuple: no retry)."""
        self._sender.retry_delays = tuple(delays)

    @property
    def last_webhook_status(self) -> int | None:
        """Return the HTTP status of the last webhook POST (None: no answer)."""
        return self._sender.last_status

    @property
    def webhooks(self) -> list[WebhookDelivery]:
        """Return every webhook emitted, in order, with the status of each POST."""
        return list(self._sender.log)

    def delivery_of(self, wamid: str) -> WebhookDelivery:
        """Return the webhook that carried a user's message (its POST statuses included)."""
        for delivery in self._sender.log:
            for entry in delivery.body["entry"]:
                for change in entry["changes"]:
                    if any(m["id"] == wamid for m in change["value"].get("messages", [])):
                        return delivery
        raise KeyError(f"no webhook carried {wamid}")

    def reorder_next(self, n: int) -> None:
        """Hold the next n webhooks and deliver them in reverse order once the n-th comes.

        The calls whose webhook is held return at once; the one that emits the n-th webhook
        delivers them all before returning.
        """
        self._sender.reorder_next(n)

    async def release_held(self) -> None:
        """Deliver the webhooks held by reorder_next now, in reverse order."""
        await self._sender.release_held()

    def set_window(self, wa_id: str, open: bool) -> None:
        """Force the user's 24-hour customer service window open (from now) or closed."""
        if open:
            self._last_inbound[wa_id] = self.clock()
        else:
            self._last_inbound.pop(wa_id, None)

    def window_open(self, wa_id: str) -> bool:
        """Return True if the user wrote less than 24 hours ago (by self.clock)."""
        last = self._last_inbound.get(wa_id)
        return last is not None and self.clock() - last < self.window_s

    def approve_template(
        self, name: str, status: str = "APPROVED", *, language: str | None = None
    ) -> None:
        """Set the review status of a template (every language, or one)."""
        template = self.templates.get(name)
        if template is None:
            raise KeyError(f"no template named {name!r}")
        for code, translation in template.translations.items():
            if language is None or code == language:
                translation.status = status

    def fail_next(self, wa_id: str, code: int, *, http: bool) -> None:
        """Make the next send to that user fail: HTTP 400 now, or a `failed` status later."""
        self._failures.setdefault(wa_id, deque()).append((code, http))

    def rate_limit(self, per_second: float | None) -> None:
        """Refuse sends beyond per_second (error 130429); None or <= 0 removes the limit."""
        self._bucket = _TokenBucket(per_second) if per_second and per_second > 0 else None

    def signature(self, body: bytes) -> str:
        """Return the X-Hub-Signature-256 value Meta would send for these bytes."""
        return sign(self.app_secret, body)

    # ------------------------------------------------------------------ assertions

    def messages_to(self, wa_id: str) -> list[SentMessage]:
        """Return the messages the API accepted for that user, in order."""
        return list(self._by_user.get(wa_id, []))

    @property
    def sent(self) -> list[SentMessage]:
        """Return every accepted message, to anyone, in order."""
        return list(self._sent)

    def message(self, wamid: str) -> SentMessage:
        """Return the accepted message with that id."""
        return self._by_id[wamid]

    def media(self, media_id: str) -> bytes:
        """Return the bytes of an uploaded (or user-sent) media."""
        return self._all_media[media_id].data

    def media_object(self, media_id: str) -> MediaObject:
        """Return an uploaded (or user-sent) media with its MIME type and file name."""
        return self._all_media[media_id]

    async def _wait(self, ready: Callable[[], Any], seconds: float, what: str) -> Any:
        """Wait until ready() returns something truthy; raise TimeoutError after `seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            value = ready()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{what} within {seconds}s")
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_for_message(
        self,
        wa_id: str,
        after: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109 - public API mirrors asyncio.wait_for
    ) -> SentMessage:
        """Return the first message to wa_id with index >= after; raise TimeoutError."""

        def ready() -> SentMessage | None:
            messages = self._by_user.get(wa_id, [])
            return messages[after] if len(messages) > after else None

        found: SentMessage = await self._wait(ready, timeout, f"no message #{after} to {wa_id}")
        return found

    async def wait_for_status(
        self,
        wamid: str,
        status: str,
        timeout: float = 10.0,  # noqa: ASYNC109 - public API mirrors asyncio.wait_for
    ) -> dict[str, Any]:
        """Return the status webhook entry of that message and status; raise TimeoutError."""

        def ready() -> dict[str, Any] | None:
            for entry in self.statuses:
                if entry["id"] == wamid and entry["status"] == status:
                    return entry
            return None

        found: dict[str, Any] = await self._wait(ready, timeout, f"no {status} status of {wamid}")
        return found

    def _notify(self) -> None:
        """Wake everyone waiting for a change."""
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        """Return True while the HTTP server is serving."""
        return self._runner is not None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 picks a free port) on the running event loop."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(self._make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.host = host
        self.port = int(runner.addresses[0][1])
        await self._sender.open()
        logger.info("WhatsApp Cloud API emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """Cancel pending status webhooks and close the client session and the server."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._sender.close()
        await runner.cleanup()
        logger.info("WhatsApp Cloud API emulator on port %s stopped", self.port)

    async def __aenter__(self) -> Self:
        """Start the emulator."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the emulator."""
        await self.stop()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine in the background, kept until it ends."""
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ webhooks

    def _envelope(self, value: dict[str, Any], field: str = "messages") -> dict[str, Any]:
        """Wrap a change value in the envelope of this business account and number."""
        return envelope(
            self.business_account_id, self.display_number, self.phone_number_id, value, field
        )

    async def post_raw(self, body: bytes, signature: str | None) -> int:
        """POST arbitrary bytes to the webhook with that signature (None: no header)."""
        status = await self._sender.post(body, signature)
        if status is None:
            raise ConnectionError(f"the webhook at {self.webhook_url} did not answer")
        return status

    async def verify_subscription(self) -> tuple[int, str]:
        """Perform Meta's verification GET against webhook_url; return (status, body)."""
        if self.webhook_url is None:
            raise RuntimeError("set webhook_url first")
        challenge = str(1_000_000_000 + secrets.randbelow(1_000_000_000))
        self.last_challenge = challenge
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": self.verify_token,
        }
        async with self._sender.session.get(self.webhook_url, params=params) as response:
            return response.status, await response.text()

    async def _emit_status(
        self,
        message: SentMessage,
        status: str,
        *,
        category: str = "service",
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        """Record and POST a status webhook of a message."""
        user = self._users.get(message.to, WaUser(wa_id=message.to))
        entry = status_json(
            message.id, status, int(self.clock()), user, category=category, errors=errors
        )
        message.status = status
        if errors:
            message.error_code = int(errors[0]["code"])
        self.statuses.append(entry)
        self._notify()
        await self._sender.send(self._envelope({"statuses": [entry]}))

    async def _report(self, message: SentMessage, code: int | None, category: str) -> None:
        """Emit sent then delivered, or failed with the error code, shortly after acceptance."""
        await asyncio.sleep(self.status_delay)
        if code is not None:
            await self._emit_status(message, "failed", errors=[status_error(code)])
            return
        await self._emit_status(message, "sent", category=category)
        await asyncio.sleep(self.status_delay)
        await self._emit_status(message, "delivered", category=category)

    # ------------------------------------------------------------------ users

    def _require_webhook(self) -> None:
        """Refuse user actions before webhook_url is set."""
        if self.webhook_url is None:
            raise RuntimeError("set emu.webhook_url before making users write")

    async def _user_sends(
        self,
        user: WaUser,
        kind: str,
        content: dict[str, Any],
        context_id: str | None = None,
    ) -> str:
        """Build, sign and POST a user's message (opening the window); return its wamid."""
        self._require_webhook()
        self._users[user.wa_id] = user
        now = self.clock()
        self._last_inbound[user.wa_id] = now
        wamid = new_wamid(user.wa_id)
        context = {"from": self.display_number, "id": context_id} if context_id else None
        message = inbound_message(user, wamid, int(now), kind, content, context)
        self._inbound_ids.add(wamid)
        self.inbound.append(message)
        body = self._envelope({"contacts": [contact_json(user)], "messages": [message]})
        await self._sender.send(body)
        return wamid

    async def send_text(self, user: WaUser, text: str) -> str:
        """Make the user send a text message; return its wamid."""
        return await self._user_sends(user, "text", {"text": {"body": text}})

    def _bot_message(self, user: WaUser, message_id: str) -> SentMessage:
        """Return a message the user received from the bot."""
        message = self._by_id.get(message_id)
        if message is None or message.to != user.wa_id:
            raise ValueError(f"no bot message {message_id} sent to {user.wa_id}")
        if message.failed:
            raise ValueError(f"message {message_id} failed: {user.wa_id} never saw it")
        return message

    async def tap_button(self, user: WaUser, message_id: str, button_id: str) -> str:
        """Make the user tap a reply button of a bot message; return the reply's wamid."""
        message = self._bot_message(user, message_id)
        titles = dict(message.buttons) if message.interactive_type == "button" else {}
        if button_id not in titles:
            raise ValueError(f"message {message_id} has no reply button {button_id!r}")
        reply = {"id": button_id, "title": titles[button_id]}
        content = {"interactive": {"type": "button_reply", "button_reply": reply}}
        return await self._user_sends(user, "interactive", content, message_id)

    async def pick_row(self, user: WaUser, message_id: str, row_id: str) -> str:
        """Make the user pick a row of a bot list message; return the reply's wamid."""
        message = self._bot_message(user, message_id)
        rows = {r[0]: r for r in message.rows} if message.interactive_type == "list" else {}
        if row_id not in rows:
            raise ValueError(f"message {message_id} has no list row {row_id!r}")
        _, title, description = rows[row_id]
        reply = {"id": row_id, "title": title}
        if description:
            reply["description"] = description
        content = {"interactive": {"type": "list_reply", "list_reply": reply}}
        return await self._user_sends(user, "interactive", content, message_id)

    async def tap_template_button(self, user: WaUser, message_id: str, payload: str) -> str:
        """Make the user tap a quick reply button of a template message; return its wamid."""
        message = self._bot_message(user, message_id)
        texts = dict(message.buttons) if message.type == "template" else {}
        if payload not in texts:
            raise ValueError(f"template message {message_id} has no quick reply {payload!r}")
        content = {"button": {"payload": payload, "text": texts[payload]}}
        return await self._user_sends(user, "button", content, message_id)

    def _user_media(self, kind: str, data: bytes, mime: str, name: str | None) -> dict[str, Any]:
        """Register a media the user sends (downloadable by the bot); return its webhook object."""
        media_id = new_numeric_id()
        digest = hashlib.sha256(data)
        media = MediaObject(media_id, data, mime, digest.hexdigest(), name)
        self._media[media_id] = self._all_media[media_id] = media
        obj: dict[str, Any] = {
            "mime_type": mime,
            "sha256": base64.b64encode(digest.digest()).decode(),
        }
        obj["id"] = media_id
        if name is not None:
            obj["filename"] = name
        if kind == "audio":
            obj["voice"] = True
        if kind == "sticker":
            obj["animated"] = False
        return obj

    async def send_media(
        self, user: WaUser, kind: str, *, caption: str | None = None, data: bytes | None = None
    ) -> str:
        """Make the user send a non-text message of that kind (its bytes); return its wamid."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown kind {kind!r}: one of {', '.join(MEDIA_KINDS)}")
        if kind in _USER_MEDIA:
            field, mime, name, head = _USER_MEDIA[kind]
            body = data if data is not None else head + secrets.token_bytes(64)
            obj = self._user_media(kind, body, mime, name)
            if caption is not None and kind in ("image", "video", "document"):
                obj = {"caption": caption, **obj}
            return await self._user_sends(user, kind, {field: obj})
        if kind == "location":
            location = {
                "latitude": 50.8466,
                "longitude": 4.3528,
                "name": "Grand-Place",
                "address": "Grand-Place, 1000 Bruxelles",
            }
            return await self._user_sends(user, "location", {"location": location})
        if kind == "contacts":
            card = {
                "name": {
                    "formatted_name": "Marie Dupont",
                    "first_name": "Marie",
                    "last_name": "Dupont",
                },
                "phones": [{"phone": "+32 470 12 34 56", "wa_id": "32470123456", "type": "CELL"}],
            }
            return await self._user_sends(user, "contacts", {"contacts": [card]})
        if kind == "reaction":
            received = self._by_user.get(user.wa_id)
            target = received[-1].id if received else new_wamid(self.display_number)
            reaction = {"message_id": target, "emoji": "\U0001f44d"}
            return await self._user_sends(user, "reaction", {"reaction": reaction})
        error = {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
        return await self._user_sends(user, "unsupported", {"errors": [error]})

    async def _preference(self, user: WaUser, value: str, detail: str) -> None:
        """POST a user_preferences webhook about marketing messages."""
        self._require_webhook()
        self._users[user.wa_id] = user
        preference = {
            "wa_id": user.wa_id,
            "detail": detail,
            "category": "marketing_messages",
            "value": value,
            "timestamp": int(self.clock()),
        }
        value_json = {"contacts": [contact_json(user)], "user_preferences": [preference]}
        await self._sender.send(self._envelope(value_json, "user_preferences"))

    async def send_stop_preference(self, user: WaUser) -> None:
        """Make the user stop marketing messages (marketing templates then fail with 131050)."""
        self._marketing_stopped.add(user.wa_id)
        await self._preference(user, "stop", "User requested to stop marketing messages")

    async def send_resume_preference(self, user: WaUser) -> None:
        """Make the user resume marketing messages."""
        self._marketing_stopped.discard(user.wa_id)
        await self._preference(user, "resume", "User requested to resume marketing messages")

    # ------------------------------------------------------------------ Graph API

    def _make_app(self) -> web.Application:
        """Build the aiohttp application of the Graph API routes."""

        @web.middleware
        async def graph_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
            """Answer GraphError with Meta's error JSON."""
            return await self._middleware(request, handler)

        app = web.Application(client_max_size=101 * _MB, middlewares=[graph_errors])
        version = r"{version:v[0-9]+\.[0-9]+}"
        app.router.add_post(f"/{version}/{{node}}/messages", self._post_messages)
        app.router.add_post(f"/{version}/{{node}}/media", self._post_media)
        app.router.add_get(f"/{version}/{{node}}/message_templates", self._list_templates)
        app.router.add_post(f"/{version}/{{node}}/message_templates", self._create_template)
        app.router.add_delete(f"/{version}/{{node}}/message_templates", self._delete_template)
        app.router.add_get(f"/{version}/{{node}}", self._get_node)
        app.router.add_delete(f"/{version}/{{node}}", self._delete_node)
        app.router.add_get("/whatsapp_business/attachments/", self._download)
        return app

    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer GraphError with Meta's error JSON and record the refused call."""
        try:
            try:
                return await handler(request)
            except web.HTTPNotFound as exc:
                raise GraphError(
                    2500, f"Unknown path components: {request.path}", whatsapp=False
                ) from exc
            except web.HTTPMethodNotAllowed as exc:
                raise _unsupported(request.method.lower(), request.path) from exc
        except GraphError as exc:
            body = exc.to_json()
            self.rejected.append(
                {"path": request.path, "payload": request.get(PAYLOAD), "error": body["error"]}
            )
            logger.info("refused %s %s: %s", request.method, request.path, exc.message)
            headers = {}
            if exc.http_status == 401:
                headers["WWW-Authenticate"] = (
                    f'OAuth "Facebook Platform" "invalid_token" "{exc.message}"'
                )
            return web.json_response(body, status=exc.http_status, headers=headers)

    def _authorize(self, request: web.Request) -> None:
        """Require the bearer token (or access_token query parameter); else 401, code 190."""
        header = request.headers.get("Authorization", "")
        token: str | None = None
        if header[:7].lower() == "bearer ":
            token = header[7:].strip()
        elif "access_token" in request.query:
            token = request.query["access_token"]
        if token != self.token:
            raise auth_error(present=token is not None or bool(header))

    async def _json(self, request: web.Request) -> Any:
        """Parse the JSON body (kept on the request for the rejected log)."""
        raw = await request.read()
        try:
            payload = json.loads(raw) if raw else {}
        except (ValueError, UnicodeDecodeError):
            request[PAYLOAD] = raw.decode("utf-8", "replace")
            raise invalid_param("Invalid JSON for postcard") from None
        request[PAYLOAD] = payload
        return payload

    async def _post_messages(self, request: web.Request) -> web.Response:
        """Send a message: validate it, accept it, then report its statuses by webhook."""
        self._authorize(request)
        payload = await self._json(request)
        raw = payload if isinstance(payload, dict) else {}
        if request.match_info["node"] != self.phone_number_id:
            raise _unsupported("post", request.match_info["node"])
        if isinstance(payload, dict) and payload.get("status") == "read":
            return self._mark_read(payload)
        recipient = payload.get("recipient") if isinstance(payload, dict) else None
        if isinstance(payload, dict) and "to" not in payload and isinstance(recipient, str):
            # Written to by business-scoped user id: Meta finds the person behind it.
            person = next((u for u in self._users.values() if u.bsuid == recipient), None)
            if person is None:
                raise invalid_param(f"No WhatsApp user with the business-scoped id {recipient}.")
            payload = {**payload, "to": person.wa_id}
        out = parse_message(payload, self.templates, self._media)
        queued = self._failures.get(out.to)
        failure = queued.popleft() if queued else None
        if failure is not None and failure[1]:
            raise sync_error(failure[0])
        if self._bucket is not None and not self._bucket.take():
            raise sync_error(130429)
        message = self._record(out, raw)
        code = failure[0] if failure is not None else out.async_error
        if code is None and out.type != "template" and not self.window_open(out.to):
            code = 131047
        if (
            code is None
            and out.template_category == "MARKETING"
            and out.to in self._marketing_stopped
        ):
            code = 131050
        category = (out.template_category or "service").lower()
        self._spawn(self._report(message, code, category))
        logger.info("accepted %s %s to %s", out.type, message.id, out.to)
        entry: dict[str, Any] = {"id": message.id}
        if out.type == "template":
            entry["message_status"] = "accepted"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [
                    {"input": recipient, "user_id": recipient}
                    if isinstance(recipient, str) and "to" not in raw
                    else {"input": payload["to"], "wa_id": out.to}
                ],
                "messages": [entry],
            }
        )

    def _record(self, out: Outgoing, payload: dict[str, Any]) -> SentMessage:
        """Store an accepted message and wake the waiters."""
        received = self._by_user.setdefault(out.to, [])
        message = SentMessage(
            index=len(received),
            id=new_wamid(out.to),
            to=out.to,
            type=out.type,
            payload=payload,
            text=out.text,
            buttons=out.buttons,
            rows=out.rows,
            list_button=out.list_button,
            header=out.header,
            footer=out.footer,
            media_id=out.media_id,
            filename=out.filename,
            template_name=out.template_name,
            template_language=out.template_language,
            interactive_type=out.interactive_type,
            at=self.clock(),
        )
        received.append(message)
        self._sent.append(message)
        self._by_id[message.id] = message
        self._notify()
        return message

    def _mark_read(self, payload: dict[str, Any]) -> web.Response:
        """Mark a user's message as read (and show a typing indicator if asked)."""
        if payload.get("messaging_product") != "whatsapp":
            raise required("messaging_product")
        message_id = payload.get("message_id")
        if not isinstance(message_id, str) or message_id not in self._inbound_ids:
            raise GraphError(131009, details=f"Message ID {message_id!r} is not valid.")
        indicator = payload.get("typing_indicator")
        if indicator is not None and (
            not isinstance(indicator, dict) or indicator.get("type") != "text"
        ):
            raise invalid_param("Param typing_indicator['type'] must be one of {TEXT}.")
        self.read_receipts.append(message_id)
        return web.json_response({"success": True})

    async def _post_media(self, request: web.Request) -> web.Response:
        """Upload a media file (multipart: file, type, messaging_product); return its id."""
        self._authorize(request)
        if request.match_info["node"] != self.phone_number_id:
            raise _unsupported("post", request.match_info["node"])
        if not request.content_type.startswith("multipart/"):
            request[PAYLOAD] = {}
            raise required("file")
        form = await request.post()
        request[PAYLOAD] = {
            k: v if isinstance(v, str) else f"<file {getattr(v, 'filename', '')}>"
            for k, v in form.items()
        }
        if form.get("messaging_product") != "whatsapp":
            raise required("messaging_product")
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise required("file")
        declared = form.get("type")
        mime = declared if isinstance(declared, str) and declared else upload.content_type
        mime = mime.split(";")[0].strip().lower()
        limit = UPLOAD_LIMITS.get(mime)
        if limit is None:
            raise invalid_param(
                "Param file must be a file with one of the following types: "
                f"{', '.join(UPLOAD_LIMITS)}. Received file of type '{mime}'."
            )
        data = upload.file.read()
        if len(data) > limit:
            raise invalid_param(f"Param file must be at most {limit} bytes for type {mime}.")
        if not data:
            raise invalid_param("Param file must not be empty.")
        media = MediaObject(
            new_numeric_id(), data, mime, hashlib.sha256(data).hexdigest(), upload.filename
        )
        self._media[media.id] = self._all_media[media.id] = media
        logger.info("uploaded media %s (%s, %d bytes)", media.id, mime, len(data))
        return web.json_response({"id": media.id})

    def _media_url(self, media: MediaObject) -> str:
        """Return the short-lived download URL of a media, shaped like Meta's lookaside URL."""
        ext = secrets.randbelow(10**15)
        digest = media.sha256[:20]
        return (
            f"http://{self.host}:{self.port}/whatsapp_business/attachments/"
            f"?mid={media.id}&ext={ext}&hash={digest}"
        )

    async def _get_node(self, request: web.Request) -> web.Response:
        """GET an object: a media (its URL), this phone number, or a template."""
        self._authorize(request)
        node = request.match_info["node"]
        media = self._media.get(node)
        if media is not None:
            return web.json_response(
                {
                    "messaging_product": "whatsapp",
                    "url": self._media_url(media),
                    "mime_type": media.mime_type,
                    "sha256": media.sha256,
                    "file_size": len(media.data),
                    "id": media.id,
                }
            )
        if node == self.phone_number_id:
            return web.json_response(
                {
                    "verified_name": "Échoppe",
                    "code_verification_status": "VERIFIED",
                    "display_phone_number": f"+{self.display_number}",
                    "quality_rating": "GREEN",
                    "platform_type": "CLOUD_API",
                    "throughput": {"level": "STANDARD"},
                    "id": self.phone_number_id,
                }
            )
        for template in self.templates.values():
            for translation in template.translations.values():
                if translation.id == node:
                    return web.json_response(translation.to_json())
        raise _unsupported("get", node)

    async def _delete_node(self, request: web.Request) -> web.Response:
        """DELETE a media (its bytes stay readable through emu.media())."""
        self._authorize(request)
        node = request.match_info["node"]
        if self._media.pop(node, None) is None:
            raise _unsupported("delete", node)
        return web.json_response({"success": True})

    async def _download(self, request: web.Request) -> web.Response:
        """Serve a media's bytes to a caller with the bearer token."""
        self._authorize(request)
        media = self._media.get(request.query.get("mid", ""))
        if media is None:
            return web.Response(status=404, text="Not found")
        return web.Response(body=media.data, content_type=media.mime_type)

    def _check_waba(self, request: web.Request) -> None:
        """Require the business account id in the path."""
        self._authorize(request)
        if request.match_info["node"] != self.business_account_id:
            raise _unsupported(request.method.lower(), request.match_info["node"])

    async def _create_template(self, request: web.Request) -> web.Response:
        """Create a template language in PENDING status."""
        self._check_waba(request)
        payload = await self._json(request)
        name, language, category, components = validate_creation(payload)
        template = self.templates.get(name)
        if template is not None and language in template.translations:
            raise duplicate_error(language)
        if template is None:
            template = self.templates[name] = Template(name=name, category=category)
        translation = TemplateTranslation(
            id=new_numeric_id(),
            name=name,
            language=language,
            category=category,
            status="PENDING",
            components=components,
        )
        template.translations[language] = translation
        logger.info("template %s (%s) created, PENDING", name, language)
        return web.json_response(
            {"id": translation.id, "status": translation.status, "category": category}
        )

    async def _list_templates(self, request: web.Request) -> web.Response:
        """List templates with Meta's filters (name, status, language, category) and paging."""
        self._check_waba(request)
        query = request.query
        rows = [
            t.to_json()
            for template in self.templates.values()
            for t in template.translations.values()
            if query.get("name", "") in t.name
            and query.get("status", t.status).upper() == t.status
            and query.get("language", t.language) == t.language
            and query.get("category", t.category).upper() == t.category
        ]
        try:
            limit = max(1, int(query.get("limit", "25")))
            start = int(base64.b64decode(query["after"]).decode()) if "after" in query else 0
        except (ValueError, binascii.Error):
            raise invalid_param("Param limit or after is invalid.") from None
        page = rows[start : start + limit]
        body: dict[str, Any] = {"data": page}
        if page:
            body["paging"] = {
                "cursors": {
                    "before": base64.b64encode(str(start).encode()).decode(),
                    "after": base64.b64encode(str(start + len(page)).encode()).decode(),
                }
            }
            if start + len(page) < len(rows):
                after = body["paging"]["cursors"]["after"]
                body["paging"]["next"] = f"{request.url.with_query({**query, 'after': after})}"
        else:
            body["paging"] = {"cursors": {}}
        return web.json_response(body)

    async def _delete_template(self, request: web.Request) -> web.Response:
        """Delete every language of a template by name."""
        self._check_waba(request)
        name = request.query.get("name", "")
        request[PAYLOAD] = dict(request.query)
        if self.templates.pop(name, None) is None:
            raise GraphError(
                100,
                "Invalid parameter",
                subcode=2593002,
                user_title="Message template not found",
                user_msg=f"There is no message template named {name!r}.",
                whatsapp=False,
            )
        return web.json_response({"success": True})
