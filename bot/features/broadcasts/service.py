"""Send broadcasts through the outbox at a steady rate: nobody skipped, nobody served twice.

Each recipient is a row of `broadcast_outbox`. A batch of rows is marked 'sending' (committed)
before its messages are handed to the channel, and each row's outcome is recorded after. A
crash between the two leaves at most one batch marked 'sending': those are sent again at the
next start (the only possible duplicates, at most `batch` messages); every other row is sent
exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from aiolimiter import AsyncLimiter

from bot.channels.base import utf16_len
from bot.features.broadcasts.store import (
    Audience,
    Broadcast,
    BroadcastRepository,
    BroadcastStatus,
    Draft,
    OutboxItem,
    OutboxStatus,
)
from bot.i18n import LANGUAGES, translate
from bot.reference import Reference
from bot.storage import CONSENT_VERSION, Database, ProcessedEventRepository, Role, UserRepository
from bot.storage.deliveries import DeliveryStatusRepository
from nlp.taxonomy import FACTOR_IDS

logger = logging.getLogger(__name__)

FALLBACK_LANGUAGE = "fr"
# A photo from a file is stored as this prefix and the file's path; a photo an admin sent on a
# channel as "<channel>:<the channel's reference>".
PHOTO_PATH_PREFIX = "path:"
MAX_TEXT = 4096
MAX_CAPTION = 1024


def channel_photo(channel: str, ref: str) -> str:
    """Return how a photo a channel holds under `ref` is stored as a broadcast's photo."""
    return f"{channel}:{ref}"


class BroadcastError(ValueError):
    """Raised when a broadcast cannot be made as asked; the message says why."""


def local_time(text: str, tz: ZoneInfo) -> datetime:
    """Read "2026-12-01 10:00" as a local time (before the year 9000)."""
    try:
        moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=tz)
    except ValueError as exc:
        raise BroadcastError(f"expected a time like 2026-12-01 10:00, got {text!r}") from exc
    if moment.year >= 9000:
        # Far enough: later dates overflow once durations or time zones are added.
        raise BroadcastError(f"{text!r} is too far ahead")
    return moment


# A message not allowed now is tried again this much later, for at most this long.
DEFER_BY = timedelta(hours=1)
DEFER_AT_MOST = timedelta(days=7)


class SendOutcome(StrEnum):
    """Say what became of handing one message to the channel."""

    SENT = "sent"
    # The person blocked the bot: never again.
    BLOCKED = "blocked"
    # Too many requests: wait `retry_after` seconds, then try again (not counted as a failure).
    RATE_LIMITED = "rate_limited"
    # Anything else: tried again with backoff, up to the attempt limit.
    ERROR = "error"
    # Not allowed now (a template not approved yet, say): waits, without using up attempts.
    DEFERRED = "deferred"


@dataclass(frozen=True)
class SendResult:
    """The outcome of one message, with what the channel told."""

    outcome: SendOutcome
    retry_after: float = 0.0
    error: str = ""
    # The id the channel gave an uploaded photo, to send it by id from then on.
    photo_id: str | None = None
    # The channel's id of the message, when it reports delivery later (WhatsApp).
    message_id: str | None = None
    # A rate-limit wait for this recipient only (the others go on meanwhile).
    recipient_only: bool = False


# Send one broadcast's message to one recipient (text in their language, photo if any).
SendAnnouncement = Callable[[Broadcast, OutboxItem, str], Awaitable[SendResult]]
# Tell the admin who made a broadcast how it went.
# (broadcast, progress, failure reasons, delivery statuses reported by channels so far).
SendReport = Callable[
    [Broadcast, dict[str, int], list[tuple[str, int]], dict[str, int]], Awaitable[bool]
]
# Channels that report delivery after accepting a message.
REPORTING_CHANNELS = ("whatsapp",)


@dataclass
class BroadcastSettings:
    """How fast and how stubbornly broadcasts are sent."""

    rate_per_s: float = 25.0
    # Messages handed over at once: the most that can be sent twice after a crash.
    batch: int = 10
    max_attempts: int = 5
    retry_base: timedelta = field(default_factory=lambda: timedelta(seconds=30))


def text_for(broadcast: Broadcast, language: str) -> str:
    """Return the broadcast's text in a language (French when there is none in it).

    Announcements end with how to stop them; a message to named people (an event's
    reminder) does not, as they asked for it.
    """
    text = broadcast.texts.get(language) or broadcast.texts[FALLBACK_LANGUAGE]
    if broadcast.audience.user_ids is not None:
        return text
    return f"{text}\n\n{translate(language, 'announcements.footer')}"


def _footer_room() -> int:
    return max(len(translate(lang, "announcements.footer")) + 2 for lang in LANGUAGES)


# A channel's window for free-form messages (WhatsApp: 24 hours after the person's last one).
SERVICE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class TemplatePlan:
    """How a channel that needs templates outside a window charges and limits them."""

    channel: str
    category: str
    price: float
    daily_limit: int


@dataclass(frozen=True)
class TemplateCost:
    """What a broadcast costs on such a channel: recipients, templates, money, days."""

    on_channel: int
    templates: int
    category: str
    cost: float
    days: int


class BroadcastService:
    """Make, control and send broadcasts."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        settings: BroadcastSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._ref = reference
        self._repo = BroadcastRepository(db)
        self._deliveries = DeliveryStatusRepository(db)
        self._users = UserRepository(db)
        self._events = ProcessedEventRepository(db)
        self._settings = settings or BroadcastSettings()
        self._clock = clock
        self._limiter = AsyncLimiter(self._settings.rate_per_s, 1.0)
        # After a 429 nothing more goes out until then (monotonic seconds).
        self._hold_until = 0.0
        self._drain_lock = asyncio.Lock()
        self._task: asyncio.Task[int] | None = None
        self._stopped = False

    # ---- making -------------------------------------------------------------------------

    def check(
        self, texts: dict[str, str], photo: str | None, audience: Audience
    ) -> dict[str, str]:
        """Refuse a broadcast that could not be sent as asked; return its texts, trimmed."""
        texts = {lang: text.strip() for lang, text in texts.items() if text.strip()}
        if not texts.get(FALLBACK_LANGUAGE):
            raise BroadcastError("a French text is required: it is everyone's fallback")
        limit = (MAX_CAPTION if photo else MAX_TEXT) - _footer_room()
        for lang, text in texts.items():
            if lang not in LANGUAGES:
                raise BroadcastError(f"unknown language {lang!r}")
            size = utf16_len(text)
            if size > limit:
                raise BroadcastError(f"the {lang} text is {size} characters long (max {limit})")
        if audience.territory_id and self._ref.territory(audience.territory_id) is None:
            raise BroadcastError(f"unknown territory {audience.territory_id!r}")
        if audience.core_id and self._ref.core(audience.core_id) is None:
            raise BroadcastError(f"unknown core {audience.core_id!r}")
        if audience.sector_id and self._ref.sector(audience.sector_id) is None:
            raise BroadcastError(f"unknown sector {audience.sector_id!r}")
        if audience.role is not None and audience.role not in {r.value for r in Role}:
            raise BroadcastError(f"unknown role {audience.role!r}")
        if audience.language is not None and audience.language not in LANGUAGES:
            raise BroadcastError(f"unknown language {audience.language!r}")
        if audience.factor is not None and audience.factor not in FACTOR_IDS:
            raise BroadcastError(f"unknown factor {audience.factor!r}")
        if (audience.factor is None) != (audience.days is None):
            raise BroadcastError("a factor goes with a number of days, and the other way round")
        return texts

    async def depth(self) -> int:
        """Return how many announcements wait to go to someone."""
        return await self._repo.depth()

    async def count(self, audience: Audience) -> int:
        """Return how many people the audience reaches now."""
        return await self._repo.count_audience(audience, self._since(audience), CONSENT_VERSION)

    async def template_cost(self, audience: Audience, plan: TemplatePlan) -> TemplateCost:
        """Say how many recipients only a template can reach now, at what cost, over how long."""
        cutoff = (self._clock() - SERVICE_WINDOW).isoformat(timespec="milliseconds")
        on_channel, outside = await self._repo.count_outside_window(
            audience, self._since(audience), CONSENT_VERSION, plan.channel, cutoff
        )
        return TemplateCost(
            on_channel=on_channel,
            templates=outside,
            category=plan.category,
            cost=round(outside * plan.price, 2),
            days=math.ceil(outside / plan.daily_limit) if outside else 0,
        )

    async def create(
        self,
        *,
        created_by: str,
        texts: dict[str, str],
        audience: Audience,
        photo: str | None = None,
        send_at: datetime | None = None,
        report_chat: str = "",
        report_language: str = "fr",
        event_id: int | None = None,
    ) -> Broadcast:
        """Schedule a broadcast (now when no time is given)."""
        texts = self.check(texts, photo, audience)
        when = send_at or self._clock()
        broadcast = await self._repo.create(
            created_by=created_by,
            texts=texts,
            photo=photo,
            audience=audience,
            send_at=_iso(when),
            report_chat=report_chat,
            report_language=report_language,
            event_id=event_id,
        )
        logger.info("broadcast %d scheduled by %s for %s", broadcast.id, created_by, _iso(when))
        return broadcast

    async def draft(
        self,
        *,
        created_by: str,
        texts: dict[str, str],
        audience: Audience,
        photo: str | None = None,
        send_at: datetime | None = None,
        event_id: int | None = None,
    ) -> Draft:
        """Check and keep a composed broadcast until its author confirms it."""
        texts = self.check(texts, photo, audience)
        if send_at is not None and send_at <= self._clock():
            raise BroadcastError("the time to send is in the past")
        draft_id = await self._repo.add_draft(
            created_by=created_by,
            texts=texts,
            photo=photo,
            audience=audience,
            send_at=None if send_at is None else _iso(send_at),
            event_id=event_id,
        )
        draft = await self._repo.draft(draft_id)
        assert draft is not None
        return draft

    async def confirm(
        self, draft_id: int, event_key: str, report_chat: str, report_language: str = "fr"
    ) -> Broadcast | None:
        """Turn a draft into a scheduled broadcast, once however often it is confirmed."""
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return None
            draft = await self._repo.draft(draft_id)
            if draft is None:
                return None
            send_at = draft.send_at or _iso(self._clock())
            broadcast = await self._repo.create(
                created_by=draft.created_by,
                texts=draft.texts,
                photo=draft.photo,
                audience=draft.audience,
                send_at=send_at,
                report_chat=report_chat,
                report_language=report_language,
                event_id=draft.event_id,
            )
            await self._repo.drop_draft(draft_id)
        logger.info("broadcast %d confirmed by %s for %s", broadcast.id, draft.created_by, send_at)
        return broadcast

    async def discard(self, draft_id: int) -> bool:
        """Forget a draft."""
        return await self._repo.drop_draft(draft_id)

    async def get_draft(self, draft_id: int) -> Draft | None:
        """Return a draft, if it is still waiting."""
        return await self._repo.draft(draft_id)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """Return a broadcast by id."""
        return await self._repo.get(broadcast_id)

    async def recent(self, limit: int = 10) -> list[tuple[Broadcast, dict[str, int]]]:
        """Return the latest broadcasts with their progress per status."""
        return [(b, await self._repo.progress(b.id)) for b in await self._repo.recent(limit)]

    # ---- controlling ----------------------------------------------------------------------

    async def pause(self, broadcast_id: int) -> bool:
        """Stop handing out messages of a broadcast until it is resumed."""
        return await self._repo.set_status(
            broadcast_id,
            BroadcastStatus.PAUSED,
            (BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED),
        )

    async def resume(self, broadcast_id: int) -> bool:
        """Carry on with a paused broadcast (or start it, if it never started)."""
        broadcast = await self._repo.get(broadcast_id)
        if broadcast is None or broadcast.status is not BroadcastStatus.PAUSED:
            return False
        target = BroadcastStatus.SENDING if broadcast.started_at else BroadcastStatus.SCHEDULED
        return await self._repo.set_status(broadcast_id, target, (BroadcastStatus.PAUSED,))

    async def cancel(self, broadcast_id: int) -> bool:
        """Cancel a broadcast: what is not handed out yet never will be."""
        async with self._db.transaction():
            cancelled = await self._repo.set_status(
                broadcast_id,
                BroadcastStatus.CANCELLED,
                (BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED, BroadcastStatus.PAUSED),
            )
            if cancelled:
                await self._repo.cancel_pending(broadcast_id)
        if cancelled:
            logger.info("broadcast %d cancelled", broadcast_id)
        return cancelled

    # ---- sending --------------------------------------------------------------------------

    async def recover(self) -> int:
        """At start-up, put the messages a crash left in flight back in line."""
        released = await self._repo.release_in_flight()
        if released:
            logger.warning("%d broadcast message(s) were in flight at the last stop", released)
        return released

    def kick(self, send: SendAnnouncement, report: SendReport | None = None) -> None:
        """Start draining in the background unless a drain is already running (or stopped)."""
        if self._stopped:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.drain(send, report))

    async def stop(self) -> None:
        """Stop draining for good (messages in flight stay 'sending' for recover())."""
        # The job queue may still tick once while the bot shuts down: no new drain after this.
        self._stopped = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def drain(self, send: SendAnnouncement, report: SendReport | None = None) -> int:
        """Send every message due now, batch by batch; return how many went out."""
        async with self._drain_lock:
            sent = 0
            for broadcast in await self._repo.due(_iso(self._clock())):
                if broadcast.status is BroadcastStatus.SCHEDULED:
                    await self._start(broadcast)
                sent += await self._send_broadcast(broadcast.id, send)
            if report is not None:
                await self._report(report)
            return sent

    async def _start(self, broadcast: Broadcast) -> None:
        async with self._db.transaction():
            recipients = await self._repo.start(
                broadcast, self._since(broadcast.audience), _iso(self._clock()), CONSENT_VERSION
            )
        logger.info("broadcast %d started: %d recipients", broadcast.id, recipients)

    async def _send_broadcast(self, broadcast_id: int, send: SendAnnouncement) -> int:
        sent = 0
        while True:
            broadcast = await self._repo.get(broadcast_id)
            if broadcast is None or broadcast.status is not BroadcastStatus.SENDING:
                return sent
            batch = await self._repo.claim(broadcast_id, _iso(self._clock()), self._settings.batch)
            if not batch:
                # Nothing due now: finished, or waiting out a 429 or a backoff.
                finished = await self._repo.next_due_at(broadcast_id) is None
                if finished and await self._repo.finish(broadcast_id, _iso(self._clock())):
                    logger.info("broadcast %d done", broadcast_id)
                return sent
            results = await asyncio.gather(*(self._send_one(broadcast, i, send) for i in batch))
            sent += await self._record(broadcast, batch, results)

    async def _send_one(
        self, broadcast: Broadcast, item: OutboxItem, send: SendAnnouncement
    ) -> SendResult:
        wait = self._hold_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        async with self._limiter:
            try:
                return await send(broadcast, item, text_for(broadcast, item.language))
            except Exception as exc:  # a bug in a sender must not stall the whole outbox
                logger.exception("broadcast %d to user %d", broadcast.id, item.user_id)
                return SendResult(SendOutcome.ERROR, error=type(exc).__name__)

    async def _record(
        self, broadcast: Broadcast, batch: list[OutboxItem], results: list[SendResult]
    ) -> int:
        now = self._clock()
        sent = 0
        async with self._db.transaction():
            for item, result in zip(batch, results, strict=True):
                if result.photo_id and broadcast.photo_ids.get(item.channel) != result.photo_id:
                    await self._repo.set_photo_id(broadcast.id, item.channel, result.photo_id)
                if result.outcome is SendOutcome.SENT:
                    await self._repo.mark(
                        item, OutboxStatus.SENT, at=_iso(now), message_id=result.message_id
                    )
                    sent += 1
                elif result.outcome is SendOutcome.DEFERRED:
                    # Nothing is dropped: it waits (the reason shows in /broadcasts), and
                    # goes once allowed; a week on, it counts as failed with that reason.
                    first = datetime.fromisoformat(broadcast.send_at)
                    if now - first > DEFER_AT_MOST:
                        await self._repo.mark(
                            item, OutboxStatus.FAILED, at=_iso(now), error=result.error
                        )
                    else:
                        later = max(DEFER_BY, timedelta(seconds=result.retry_after))
                        await self._repo.mark(
                            item,
                            OutboxStatus.PENDING,
                            at=_iso(now),
                            error=result.error,
                            not_before=_iso(now + later),
                            refund_attempt=True,
                        )
                elif result.outcome is SendOutcome.BLOCKED:
                    await self._repo.mark(item, OutboxStatus.BLOCKED, at=_iso(now))
                    await self._users.mark_blocked(item.channel, item.chat_id)
                elif result.outcome is SendOutcome.RATE_LIMITED:
                    # Everything waits, this message too (unless only its recipient must); the
                    # wait is not the message's fault.
                    wait = result.retry_after
                    if not result.recipient_only:
                        self._hold_until = max(self._hold_until, time.monotonic() + wait)
                    await self._repo.mark(
                        item,
                        OutboxStatus.PENDING,
                        at=_iso(now),
                        not_before=_iso(now + timedelta(seconds=wait)),
                        refund_attempt=True,
                    )
                elif item.attempts >= self._settings.max_attempts:
                    await self._repo.mark(
                        item, OutboxStatus.FAILED, at=_iso(now), error=result.error
                    )
                else:
                    backoff = self._settings.retry_base * (2 ** (item.attempts - 1))
                    await self._repo.mark(
                        item,
                        OutboxStatus.PENDING,
                        at=_iso(now),
                        error=result.error,
                        not_before=_iso(now + backoff),
                    )
        return sent

    async def defer_sent(
        self, channel: str, message_id: str, wait: timedelta, reason: str
    ) -> bool:
        """Send again later a message the channel accepted and failed afterwards; True if one."""
        when = _iso(self._clock() + wait)
        async with self._db.transaction():
            return await self._repo.defer_sent(channel, message_id, when, reason)

    async def _report(self, report: SendReport) -> None:
        for broadcast in await self._repo.reports_due():
            progress = await self._repo.progress(broadcast.id)
            reasons = await self._repo.failure_reasons(broadcast.id)
            statuses: dict[str, int] = {}
            for channel in REPORTING_CHANNELS:
                ids = await self._repo.message_ids(broadcast.id, channel)
                for status, n in (await self._deliveries.counts(channel, ids)).items():
                    statuses[status] = statuses.get(status, 0) + n
            delivered = True
            if broadcast.report_chat:
                delivered = await report(broadcast, progress, reasons, statuses)
            if delivered:
                await self._repo.report_sent(broadcast.id, _iso(self._clock()))

    def _since(self, audience: Audience) -> str | None:
        if audience.days is None:
            return None
        return _iso(self._clock() - timedelta(days=audience.days))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
