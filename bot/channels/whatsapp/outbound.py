"""WhatsApp's implementation of the one outbound port."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol

from bot.channels.base import (
    MAX_MEDIA_BYTES,
    Button,
    MediaUnavailable,
    Recipient,
    Reply,
    SendOutcome,
    SendStatus,
    TemplateUse,
)
from bot.channels.whatsapp.client import (
    AUTH_ERRORS,
    BSUID_UNSUPPORTED,
    MARKETING_CAP,
    OUTSIDE_WINDOW,
    PAIR_RATE,
    QUALITY_STOPS,
    RATE_LIMITS,
    UNDELIVERABLE,
    GraphClient,
    GraphError,
    TimedOut,
    Unreachable,
)
from bot.channels.whatsapp.pacing import Pacing
from bot.channels.whatsapp.render import (
    CHANNEL,
    PAGE_PREFIX,
    ListWords,
    as_reply_buttons,
    button_message,
    buttons_of,
    interactive_body,
    list_message,
    list_pages,
    media_message,
    text_message,
)
from bot.channels.whatsapp.templates import TemplateBook
from bot.i18n import translate

logger = logging.getLogger(__name__)

LanguageOf = Callable[[str, str, str | None], Awaitable[str]]
LastWrote = Callable[[str], Awaitable[str | None]]
# A template's review status in a language: (name, language) -> "APPROVED", "PENDING"… or None.
TemplateStatusOf = Callable[[str, str], Awaitable[str | None]]
# Meta accepted a message: (wamid, wa_id, its template form to try if it fails later).
Accepted = Callable[[str, str, str | None], Awaitable[None]]
# Meta's customer service window: free-form messages within 24 hours of the person's last one.
SERVICE_WINDOW = timedelta(hours=24)
# Long lists shown page by page: kept so that a tap on "more" can show the next page.
KEPT_LISTS = 2000
MARKETING_CAP_WAIT_S = 24 * 3600.0


@dataclass(frozen=True)
class TemplateBudget:
    """Meta's daily tier of template messages, the monthly spend cap, prices by category."""

    daily_limit: int = 250
    monthly_budget: float | None = None
    prices: Mapping[str, float] = field(default_factory=dict)


class TemplateLedger(Protocol):
    """Where the template messages sent and their cost are counted."""

    async def add(self, day: str, category: str, cost: float) -> None:
        """Count one template message."""

    async def sent_on(self, day: str) -> int:
        """Return the template messages of a day."""

    async def spent_in(self, month: str) -> float:
        """Return what template messages cost in a month."""


class ListPages:
    """Remember long lists by id, so that "more" shows their next page."""

    def __init__(self, size: int = KEPT_LISTS) -> None:
        self._size = size
        self._kept: OrderedDict[str, tuple[str, list[Button]]] = OrderedDict()
        self._next = 0

    def keep(self, body: str, buttons: list[Button]) -> str:
        """Keep a long list; return its key."""
        self._next += 1
        key = f"{self._next:x}"
        self._kept[key] = (body, buttons)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return key

    def get(self, key: str) -> tuple[str, list[Button]] | None:
        """Return a kept list, or None when it is too old (or from before a restart)."""
        return self._kept.get(key)


def page_id(key: str, page: int) -> str:
    """Return the id of the row that opens a page of a kept list."""
    return f"{PAGE_PREFIX}{key}:{page}"


class WhatsAppOutbound:
    """Send replies to a WhatsApp user and say, in one outcome, what became of them."""

    channel = CHANNEL

    def __init__(
        self,
        client: GraphClient,
        language_of: LanguageOf,
        pages: ListPages,
        last_wrote: LastWrote,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        templates: TemplateBook | None = None,
        template_status: TemplateStatusOf | None = None,
        accepted: Accepted | None = None,
        budget: TemplateBudget | None = None,
        ledger: TemplateLedger | None = None,
    ) -> None:
        self._client = client
        self._language_of = language_of
        self._pages = pages
        self._last_wrote = last_wrote
        # The bot's clock (tests move it to age a service window).
        self.clock = clock
        self._templates = templates or TemplateBook([])
        self._template_status = template_status
        self._on_accepted = accepted
        self._budget = budget or TemplateBudget()
        self._ledger = ledger
        # Told once a month when the budget runs out (the admins are alerted).
        self.on_budget: Callable[[str], None] | None = None
        self._budget_told: str | None = None
        # Who wrote lately, in memory too: people not yet registered have no stored time,
        # and their first answers must go.
        self._recent: dict[str, datetime] = {}
        # Meta's rate limits: after a refusal, the number or the person waits, longer each time.
        self.pacing = Pacing(lambda: self.clock())
        # Meta stopped the number (quality or spam limits): nothing goes until a restart.
        self.stopped_by: int | None = None
        # Told once when that happens (the admins are alerted).
        self.on_stop: Callable[[int], None] | None = None

    async def send(self, to: Recipient, replies: Sequence[Reply]) -> SendOutcome:
        """Send the replies in order; stop at the first that does not go."""
        if self.stopped_by is not None:
            return SendOutcome(
                SendStatus.FAILED, reason=f"sending stopped by Meta ({self.stopped_by})"
            )
        wait, alone = self.pacing.wait(to.chat_id)
        if wait > 0:
            # Not even tried: Meta refused this number or person a moment ago.
            return SendOutcome(SendStatus.RATE_LIMITED, retry_after=wait, recipient_only=alone)
        if not await self.window_open(to.chat_id):
            # Meta would take a free-form message, then fail it (131047): a template instead.
            return await self._send_templates(to.chat_id, replies)
        ids: list[str] = []
        image_ref: str | None = None
        try:
            for reply in replies:
                if reply.image is not None and not reply.image_ref:
                    # Uploaded first, so that the caller may send it by id from now on.
                    try:
                        reply = await self._uploaded(reply)
                    except TimedOut:
                        # Nothing reached the person: unlike a message, this is not "sent".
                        return SendOutcome(SendStatus.FAILED, reason="picture upload timed out")
                    image_ref = reply.image_ref
                # Meta may still fail it later (the window closed meanwhile): its template
                # is kept with the first message, to be tried once.
                fallback = await self._fallback(to.chat_id, reply)
                for message in await self.messages(to.chat_id, reply):
                    wamid = await self._client.send(to.chat_id, message)
                    ids.append(wamid)
                    await self._accepted(wamid, to.chat_id, fallback)
                    fallback = None
        except GraphError as exc:
            return self._outcome(exc, to.chat_id)
        except TimedOut:
            # Meta may well have taken it; sending twice is worse than not knowing.
            logger.warning("a send to WhatsApp timed out; counted as sent")
        except Unreachable as exc:
            return SendOutcome(SendStatus.FAILED, reason=str(exc))
        self.pacing.went(to.chat_id)
        return SendOutcome(SendStatus.SENT, message_ids=tuple(ids), image_ref=image_ref)

    async def fetch_media(self, ref: str) -> bytes:
        """Download a media WhatsApp knows by its id (its URL is asked for, never kept)."""
        try:
            return await self._client.download(ref, MAX_MEDIA_BYTES)
        except (GraphError, ConnectionError) as exc:
            raise MediaUnavailable(f"WhatsApp: {exc}") from None

    async def _fallback(self, wa_id: str, reply: Reply) -> str | None:
        use = reply.template
        spec = self._templates.get(use.kind) if use is not None else None
        if use is None or spec is None:
            return None
        lang = await self._language_of(CHANNEL, wa_id, None)
        payloads = _payloads(use, reply)
        return json.dumps(spec.message(lang, use.params, payloads), ensure_ascii=False)

    async def retry_as_template(self, wa_id: str, fallback: str) -> bool:
        """Send a failed message's template once, if it is approved; return whether it went."""
        message = json.loads(fallback)
        template = message.get("template") or {}
        name, lang = (
            str(template.get("name", "")),
            str((template.get("language") or {}).get("code", "")),
        )
        status = await self._template_status(name, lang) if self._template_status else None
        if status != "APPROVED":
            logger.warning("template %s (%s) is %s: the message waits", name, lang, status)
            return False
        spec = next((t for t in self._templates.specs if t.name == name), None)
        category = spec.category if spec else ""
        refused = await self._allowance([category])
        if refused is not None:
            logger.warning("a template retry waits: %s", refused.reason)
            return False
        try:
            wamid = await self._client.send(wa_id, message)
        except (GraphError, ConnectionError) as exc:
            logger.warning("a template retry did not go: %s", exc)
            return False
        await self._accepted(wamid, wa_id, None)
        await self._count(category)
        return True

    async def _allowance(self, categories: Sequence[str]) -> SendOutcome | None:
        """Return why these template messages cannot go now, or None if they can."""
        if self._ledger is None:
            return None
        now = self.clock().astimezone(UTC)
        day, month = now.date().isoformat(), now.strftime("%Y-%m")
        if await self._ledger.sent_on(day) + len(categories) > self._budget.daily_limit:
            tomorrow = datetime.combine(now.date() + timedelta(days=1), time.min, UTC)
            return SendOutcome(
                SendStatus.NOT_ALLOWED_NOW,
                retry_after=(tomorrow - now).total_seconds(),
                reason=f"the daily template limit ({self._budget.daily_limit}) is reached",
            )
        budget = self._budget.monthly_budget
        price = sum(self._budget.prices.get(category, 0.0) for category in categories)
        if budget is not None and await self._ledger.spent_in(month) + price > budget:
            if self._budget_told != month and self.on_budget is not None:
                self.on_budget(month)
            self._budget_told = month
            first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            next_month = (first + timedelta(days=32)).replace(day=1)
            return SendOutcome(
                SendStatus.NOT_ALLOWED_NOW,
                retry_after=(next_month - now).total_seconds(),
                reason=f"the monthly template budget (€{budget:.2f}) is spent",
            )
        return None

    async def _count(self, category: str) -> None:
        if self._ledger is not None:
            now = self.clock().astimezone(UTC)
            price = self._budget.prices.get(category, 0.0)
            await self._ledger.add(now.date().isoformat(), category, price)

    async def _send_templates(self, wa_id: str, replies: Sequence[Reply]) -> SendOutcome:
        """Send each reply as its approved template, or say why it cannot go now."""
        lang = await self._language_of(CHANNEL, wa_id, None)
        # Each reply's template message, with its category (what it costs).
        planned: list[tuple[dict[str, Any], str]] = []
        for reply in replies:
            use = reply.template
            spec = self._templates.get(use.kind) if use is not None else None
            if use is None or spec is None:
                return SendOutcome(
                    SendStatus.NOT_ALLOWED_NOW,
                    reason="outside the service window, and this message has no template",
                )
            status = (
                await self._template_status(spec.name, lang) if self._template_status else None
            )
            if status != "APPROVED":
                return SendOutcome(
                    SendStatus.NOT_ALLOWED_NOW,
                    reason=f"template {spec.name} ({lang}) is {status or 'not submitted'}",
                )
            payloads = _payloads(use, reply)
            planned.append((spec.message(lang, use.params, payloads), spec.category))
        refused = await self._allowance([category for _, category in planned])
        if refused is not None:
            return refused
        ids: list[str] = []
        try:
            for message, category in planned:
                wamid = await self._client.send(wa_id, message)
                ids.append(wamid)
                await self._accepted(wamid, wa_id, None)
                await self._count(category)
        except GraphError as exc:
            return self._outcome(exc, wa_id)
        except TimedOut:
            logger.warning("a template send to WhatsApp timed out; counted as sent")
        except Unreachable as exc:
            return SendOutcome(SendStatus.FAILED, reason=str(exc))
        self.pacing.went(wa_id)
        return SendOutcome(SendStatus.SENT, message_ids=tuple(ids))

    async def _accepted(self, wamid: str, wa_id: str, fallback: str | None) -> None:
        if self._on_accepted is not None and wamid:
            await self._on_accepted(wamid, wa_id, fallback)

    def note_inbound(self, wa_id: str, at: datetime) -> None:
        """Remember that a person just wrote (their service window opens)."""
        now = self.clock()
        if len(self._recent) > 10_000:
            self._recent = {k: v for k, v in self._recent.items() if now - v < SERVICE_WINDOW}
        if at > self._recent.get(wa_id, at - SERVICE_WINDOW):
            self._recent[wa_id] = at

    def stop(self, code: int) -> None:
        """Send nothing more: Meta stopped the number (quality or spam limits)."""
        if self.stopped_by is None:
            logger.error("Meta stopped sending from this number (error %d)", code)
            if self.on_stop is not None:
                self.on_stop(code)
        self.stopped_by = code

    async def window_open(self, wa_id: str) -> bool:
        """Return whether the person wrote in the last 24 hours (free-form messages allowed)."""
        now = self.clock()
        recent = self._recent.get(wa_id)
        if recent is not None and now - recent < SERVICE_WINDOW:
            return True
        last = await self._last_wrote(wa_id)
        return last is not None and now - datetime.fromisoformat(last) < SERVICE_WINDOW

    async def messages(self, wa_id: str, reply: Reply) -> list[dict[str, Any]]:
        """Return the WhatsApp messages that show one reply (media uploaded on the way)."""
        out: list[dict[str, Any]] = []
        buttons = buttons_of(reply)
        text = reply.text
        if reply.document is not None:
            name, content = reply.document
            media = await self._client.upload(content, _mime(name), name)
            out.append(media_message("document", media, "" if buttons else text, name))
        elif reply.image is not None or reply.image_ref:
            media = (await self._uploaded(reply)).image_ref or ""
            out.append(media_message("image", media, "" if buttons else text, None))
        elif not buttons:
            out.append(text_message(text))
        if not buttons:
            return out
        first, body = interactive_body(text)
        if first is not None:
            out.append(text_message(first))
        if as_reply_buttons(buttons):
            out.append(button_message(body, buttons))
            return out
        words = await self._words(wa_id)
        pages = list_pages(buttons)
        key = self._pages.keep(body, buttons) if len(pages) > 1 else ""
        out.append(list_message(body, pages[0], words, page_id(key, 1) if key else None))
        return out

    async def _uploaded(self, reply: Reply) -> Reply:
        """Return the reply with its picture uploaded, to be sent by its media id."""
        if reply.image is None or reply.image_ref:
            return reply
        media = await self._client.upload(reply.image, *_image_kind(reply.image))
        return replace(reply, image=None, image_ref=media)

    async def page(self, wa_id: str, key: str, number: int) -> list[dict[str, Any]] | None:
        """Return the messages showing one page of a kept list, or None if it is gone."""
        kept = self._pages.get(key)
        if kept is None:
            return None
        body, buttons = kept
        pages = list_pages(buttons)
        if not 0 <= number < len(pages):
            return None
        more = page_id(key, number + 1) if number + 1 < len(pages) else None
        return [list_message(body, pages[number], await self._words(wa_id), more)]

    async def _words(self, wa_id: str) -> ListWords:
        lang = await self._language_of(CHANNEL, wa_id, None)
        return ListWords(
            open=translate(lang, "whatsapp.list_open"),
            more=translate(lang, "whatsapp.list_more"),
            more_hint=translate(lang, "whatsapp.list_more_hint"),
        )

    def _outcome(self, exc: GraphError, wa_id: str) -> SendOutcome:
        if exc.code in RATE_LIMITS:
            wait = self.pacing.refused(wa_id, exc.code)
            logger.info("WhatsApp rate limit (%d): waiting %.1f s", exc.code, wait)
            return SendOutcome(
                SendStatus.RATE_LIMITED, retry_after=wait, recipient_only=exc.code == PAIR_RATE
            )
        if exc.code == OUTSIDE_WINDOW:
            return SendOutcome(SendStatus.NOT_ALLOWED_NOW, reason=exc.message)
        if exc.code == MARKETING_CAP:
            # Meta caps marketing messages per person: this one waits a day.
            return SendOutcome(
                SendStatus.NOT_ALLOWED_NOW, retry_after=MARKETING_CAP_WAIT_S, reason=exc.message
            )
        if exc.code == BSUID_UNSUPPORTED:
            return SendOutcome(
                SendStatus.FAILED, reason="this message needs the person's phone number"
            )
        if exc.code == UNDELIVERABLE:
            # Not on WhatsApp (any more): like a block, never tried again.
            return SendOutcome(SendStatus.BLOCKED, reason=exc.message)
        if exc.code in QUALITY_STOPS:
            self.stop(exc.code)
        elif exc.code in AUTH_ERRORS or exc.http_status == 401:
            logger.error("the WhatsApp token was refused: %s", exc.message)
        return SendOutcome(SendStatus.FAILED, reason=str(exc))


def _payloads(use: TemplateUse, reply: Reply) -> list[str]:
    if use.payloads is not None:
        return list(use.payloads)
    return [button.data for button in buttons_of(reply)]


def _image_kind(content: bytes) -> tuple[str, str]:
    # Charts are PNG; photos from Telegram or a camera are JPEG, and Meta checks the type.
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "photo.jpg"
    return "image/png", "chart.png"


def _mime(name: str) -> str:
    # Meta takes documents of a few types only (text/csv and text/calendar are refused):
    # text files go as text/plain, and phones open them by their name's extension.
    if name.lower().endswith(".pdf"):
        return "application/pdf"
    return "text/plain"
