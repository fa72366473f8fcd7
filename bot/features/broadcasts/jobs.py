"""Drain the broadcast outbox and report to admins, through the one way out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.channels.base import (
    Button,
    MediaUnavailable,
    Recipient,
    Reply,
    SendStatus,
    TemplateUse,
)
from bot.channels.base import SendOutcome as ChannelOutcome
from bot.features.broadcasts.flow import AnnouncementsFlow
from bot.features.broadcasts.service import (
    PHOTO_PATH_PREFIX,
    BroadcastService,
    SendAnnouncement,
    SendOutcome,
    SendReport,
    SendResult,
)
from bot.features.broadcasts.store import Broadcast, OutboxItem
from bot.shared.jobs import Job
from bot.shared.outbound import Outbound

BROADCASTS_EVERY = timedelta(seconds=2)
# The answer buttons an event's invitation carries, in a language.
Buttons = Callable[[int, str], tuple[tuple[Button, ...], ...]]

_STATUS = {
    SendStatus.SENT: SendOutcome.SENT,
    SendStatus.BLOCKED: SendOutcome.BLOCKED,
    SendStatus.RATE_LIMITED: SendOutcome.RATE_LIMITED,
    SendStatus.NOT_ALLOWED_NOW: SendOutcome.DEFERRED,
}


class PhotoCopies:
    """Give each channel the broadcast's photo: by its own id once uploaded there, else bytes.

    A photo comes from a file or from an admin's message on one channel; the other channels
    get its bytes (fetched once) and upload it at their first recipient, whose id the others
    then use. The first send to a channel goes alone, so the photo is uploaded there once.
    """

    def __init__(self, outbound: Outbound) -> None:
        self._outbound = outbound
        self._bytes: dict[int, bytes] = {}
        self._ids: dict[tuple[int, str], str] = {}
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}
        # Channels where a first send with the bytes went without giving an id back (a
        # WhatsApp template has no picture): the others need not queue behind one another.
        self._tried: set[tuple[int, str]] = set()

    def known_id(self, broadcast: Broadcast, channel: str) -> str | None:
        """Return the channel's own id of the photo, if it has one."""
        source = broadcast.photo or ""
        if source.startswith(f"{channel}:"):
            return source.removeprefix(f"{channel}:")
        return broadcast.photo_ids.get(channel) or self._ids.get((broadcast.id, channel))

    def first_upload(self, broadcast: Broadcast, channel: str) -> asyncio.Lock | None:
        """Return the lock the first sends of a photo new to a channel take in turn (None once
        a first send went without an upload: queueing would gain nothing)."""
        key = (broadcast.id, channel)
        if key in self._tried:
            return None
        if len(self._locks) >= KEPT_PHOTOS * 4:
            self._forget_oldest()
        return self._locks.setdefault(key, asyncio.Lock())

    def uploaded(self, broadcast: Broadcast, channel: str, ref: str | None) -> None:
        """Remember the id a channel gave the photo (or that a send went without one)."""
        key = (broadcast.id, channel)
        if ref:
            self._ids[key] = ref
        else:
            self._tried.add(key)

    def _forget_oldest(self) -> None:
        oldest = min(key[0] for key in self._locks)
        for kept in (self._locks, self._ids):
            for key in [k for k in kept if k[0] == oldest]:
                kept.pop(key, None)
        self._tried = {k for k in self._tried if k[0] != oldest}

    async def content(self, broadcast: Broadcast) -> bytes:
        """Return the photo's bytes, read from its file or fetched from its channel once."""
        kept = self._bytes.get(broadcast.id)
        if kept is not None:
            return kept
        source = broadcast.photo or ""
        if source.startswith(PHOTO_PATH_PREFIX):
            path = Path(source.removeprefix(PHOTO_PATH_PREFIX))
            content = await asyncio.to_thread(path.read_bytes)
        else:
            channel, _, ref = source.partition(":")
            content = await self._outbound.fetch_media(channel, ref)
        if len(self._bytes) >= KEPT_PHOTOS:
            self._bytes.pop(next(iter(self._bytes)))
        self._bytes[broadcast.id] = content
        return content


# Photos kept in memory while their broadcast is sent (a few broadcasts run at once at most).
KEPT_PHOTOS = 4


def announcement_sender(outbound: Outbound, event_buttons: Buttons) -> SendAnnouncement:
    """Return how the dispatcher hands one recipient's message to their channel."""
    photos = PhotoCopies(outbound)

    async def send(broadcast: Broadcast, item: OutboxItem, text: str) -> SendResult:
        buttons: tuple[tuple[Button, ...], ...] = ()
        if broadcast.event_id is not None:
            buttons = event_buttons(broadcast.event_id, item.language)
        # Outside WhatsApp's service window, the announcement goes as its template; a message
        # to named people (an event's reminder to those going) is a utility one they asked for.
        kind = "announcement" if broadcast.audience.user_ids is None else "event_reminder"
        template = TemplateUse(kind, (broadcast.texts.get(item.language, text),))
        to = Recipient(item.channel, item.chat_id)
        if broadcast.photo is None:
            # The outbox already left out people who blocked the bot.
            reply = Reply(text, buttons, template=template)
            return _result(await outbound.send(to, [reply], unprompted=False))
        known = photos.known_id(broadcast, item.channel)
        if known is not None:
            reply = Reply(text, buttons, image_ref=known, template=template)
            return _result(await outbound.send(to, [reply], unprompted=False))
        lock = photos.first_upload(broadcast, item.channel)
        async with lock or contextlib.nullcontext():
            known = photos.known_id(broadcast, item.channel)
            if known is not None:
                reply = Reply(text, buttons, image_ref=known, template=template)
                return _result(await outbound.send(to, [reply], unprompted=False))
            try:
                image = await photos.content(broadcast)
            except MediaUnavailable as exc:
                # The app holding the photo is down, say: the message waits, nothing is lost.
                return SendResult(SendOutcome.DEFERRED, error=f"photo: {exc}"[:200])
            except OSError as exc:
                return SendResult(SendOutcome.ERROR, error=f"photo: {exc}"[:200])
            reply = Reply(text, buttons, image=image, template=template)
            outcome = await outbound.send(to, [reply], unprompted=False)
            if outcome.sent:
                photos.uploaded(broadcast, item.channel, outcome.image_ref)
            return _result(outcome)

    return send


def _result(outcome: ChannelOutcome) -> SendResult:
    return SendResult(
        _STATUS.get(outcome.status, SendOutcome.ERROR),
        retry_after=outcome.retry_after,
        error=outcome.reason[:200],
        # Uploaded once; every later recipient on that channel gets it by the channel's id.
        photo_id=outcome.image_ref,
        message_id=outcome.message_ids[0] if outcome.message_ids else None,
        recipient_only=outcome.recipient_only,
    )


def report_sender(flow: AnnouncementsFlow, outbound: Outbound) -> SendReport:
    """Return how the dispatcher tells an admin how their broadcast went."""

    async def send(
        broadcast: Broadcast,
        progress: dict[str, int],
        reasons: list[tuple[str, int]],
        statuses: dict[str, int],
    ) -> bool:
        reply = await flow.report(broadcast, progress, reasons, statuses)
        # The admin's channel is the one they created it from ("telegram:123").
        channel = broadcast.created_by.partition(":")[0] if ":" in broadcast.created_by else ""
        to = Recipient(channel or "telegram", broadcast.report_chat)
        outcome = await outbound.send(to, [reply])
        return outcome.status is not SendStatus.FAILED

    return send


def jobs(
    broadcasts: BroadcastService,
    flow: AnnouncementsFlow,
    outbound: Outbound,
    event_buttons: Buttons,
) -> list[Job]:
    """Return the broadcast job: it starts a drain when none runs and something is due."""
    send = announcement_sender(outbound, event_buttons)
    report = report_sender(flow, outbound)

    async def kick() -> None:
        # A drain runs in the background while anything is due; a 20,000-recipient broadcast
        # is one drain.
        broadcasts.kick(send, report)

    return [Job("broadcasts", kick, BROADCASTS_EVERY, timedelta(seconds=1))]
