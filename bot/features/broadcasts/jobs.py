"""Drain the broadcast outbox and report to admins, through the one way out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.channels.base import Button, Recipient, Reply, SendStatus, TemplateUse
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


def announcement_sender(outbound: Outbound, event_buttons: Buttons) -> SendAnnouncement:
    """Return how the dispatcher hands one recipient's message to their channel."""

    async def send(broadcast: Broadcast, item: OutboxItem, text: str) -> SendResult:
        buttons: tuple[tuple[Button, ...], ...] = ()
        if broadcast.event_id is not None:
            buttons = event_buttons(broadcast.event_id, item.language)
        # Outside WhatsApp's service window, the announcement goes as its template.
        template = TemplateUse("announcement", (broadcast.texts.get(item.language, text),))
        reply = Reply(text, buttons, template=template)
        if broadcast.photo is not None:
            if broadcast.photo.startswith(PHOTO_PATH_PREFIX):
                path = Path(broadcast.photo.removeprefix(PHOTO_PATH_PREFIX))
                image = await asyncio.to_thread(path.read_bytes)
                reply = Reply(text, buttons, image=image, template=template)
            else:
                reply = Reply(text, buttons, image_ref=broadcast.photo, template=template)
        # The outbox already left out people who blocked the bot.
        outcome = await outbound.send(
            Recipient(item.channel, item.chat_id), [reply], unprompted=False
        )
        return SendResult(
            _STATUS.get(outcome.status, SendOutcome.ERROR),
            retry_after=outcome.retry_after,
            error=outcome.reason[:200],
            # Uploaded once; every later recipient gets it by the channel's id.
            photo_id=outcome.image_ref,
            message_id=outcome.message_ids[0] if outcome.message_ids else None,
        )

    return send


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
