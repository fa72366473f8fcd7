"""Render every reply a test makes the bot send as WhatsApp would, and check Meta's limits.

An autouse fixture (tests/conftest.py) wraps the way in (every answer) and the way out (every
unprompted message), whatever channel the test runs on: so the whole suite renders each
screen the bot can show for WhatsApp, and the emulator's own checks (Meta's limits) judge it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.channels.base import Reply
from bot.channels.whatsapp.outbound import ListPages, WhatsAppOutbound
from bot.channels.whatsapp.render import MAX_CAPTION
from bot.emulator.whatsapp.errors import GraphError
from bot.emulator.whatsapp.messages import parse_message

TO = "32470000000"


class _Renderer:
    """Stands in for the Graph API: uploads get an id, nothing is sent."""

    async def upload(self, content: bytes, mime: str, filename: str) -> str:
        return "media-id"


async def _french(_channel: str, _ref: str, _hint: str | None) -> str:
    return "fr"


async def _never(_wa_id: str) -> str | None:
    return None


OUTBOUND = WhatsAppOutbound(_Renderer(), _french, ListPages(), _never)  # type: ignore[arg-type]


async def violations(replies: Sequence[Reply]) -> list[str]:
    """Return what in these replies WhatsApp would refuse (empty when all fit)."""
    found: list[str] = []
    for reply in replies:
        for message in await OUTBOUND.messages(TO, reply):
            kind = message["type"]
            if kind in ("image", "document"):
                caption = message[kind].get("caption", "")
                if len(caption) > MAX_CAPTION:
                    found.append(f"{kind} caption of {len(caption)} characters")
                continue
            payload: dict[str, Any] = {"messaging_product": "whatsapp", "to": TO, **message}
            try:
                parse_message(payload, {}, {})
            except GraphError as exc:
                found.append(f"{exc}: {reply.text[:60]!r}")
    return found
