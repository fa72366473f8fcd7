"""Who is an admin: Telegram ids, WhatsApp numbers, and the same digits on another channel."""

from __future__ import annotations

from bot.channels.base import IncomingKind, IncomingMessage
from bot.shared.access import Admins


def _command(channel: str, ref: str) -> IncomingMessage:
    return IncomingMessage(channel, ref, f"{channel}:1", IncomingKind.COMMAND, command="broadcast")


async def test_an_admin_is_one_identity_on_one_channel() -> None:
    admins = Admins(["11", "whatsapp:32470000001"])
    assert await admins.allow(_command("telegram", "11"))
    assert await admins.allow(_command("whatsapp", "32470000001"))
    assert await admins.allow(_command("console", "11"))  # the demo stands for Telegram
    # The same digits on the other channel are somebody else.
    assert not await admins.allow(_command("whatsapp", "11"))
    assert not await admins.allow(_command("telegram", "32470000001"))
