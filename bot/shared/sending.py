"""Send a message nobody asked for, and record what became of it in the same place each time."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum

from bot.storage import Database

logger = logging.getLogger(__name__)


class Delivery(StrEnum):
    """Say what became of sending a message."""

    SENT = "sent"
    # The person blocked the bot: never try again.
    BLOCKED = "blocked"
    # Not sent (network down, server error): the next round tries again.
    FAILED = "failed"


Record = Callable[[], Awaitable[object]]


async def send_and_record(
    db: Database,
    sending: Awaitable[Delivery],
    *,
    what: str,
    on_sent: Record,
    on_blocked: Record,
) -> Delivery:
    """Await a send, then record a sent or blocked outcome in one transaction.

    A failure (or an exception) records nothing, so the next round tries again; the others
    in the round must not wait for it.
    """
    try:
        delivery = await sending
    except Exception:
        logger.exception("could not send %s", what)
        return Delivery.FAILED
    if delivery is Delivery.FAILED:
        return delivery
    async with db.transaction():
        await (on_sent() if delivery is Delivery.SENT else on_blocked())
    return delivery
