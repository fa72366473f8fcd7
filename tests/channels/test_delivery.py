"""Updates of consented users survive a failure between Telegram's delivery and their effect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from telegram import Message, Update

from bot.app.run import RunningBot, running_bot
from bot.channels.base import IncomingMessage, Outcome
from bot.channels.telegram.inbox import payload_of
from bot.channels.telegram.render import event_key, to_incoming
from bot.config import Settings
from bot.emulator import BotApiEmulator
from bot.i18n import translate
from tests.support import Phone

PhoneFactory = Callable[..., Phone]


async def inbox_keys(bot: RunningBot) -> list[str]:
    rows = await bot.services.db.fetch_all("SELECT event_key FROM inbox")
    return [str(r[0]) for r in rows]


def stall(bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> tuple[asyncio.Event, asyncio.Event]:
    """Make the next updates hang in the service until released, then fail."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def stalled(_incoming: IncomingMessage) -> Outcome:
        entered.set()
        await release.wait()
        raise RuntimeError("the process died here")

    monkeypatch.setattr(bot.services.onboarding, "handle", stalled)
    return entered, release


async def test_update_lost_mid_processing_is_replayed_at_next_start(
    settings: Settings,
    emulator: BotApiEmulator,
    make_phone: PhoneFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone = make_phone(9201, "en")
    async with running_bot(settings, poll_timeout=1) as first:
        await phone.consent()
        entered, release = stall(first, monkeypatch)
        update_id = emulator.send_text(phone.user, "/help")
        await asyncio.wait_for(entered.wait(), timeout=10)
        # Telegram may consider it delivered, but it is on disk before being worked on.
        assert await inbox_keys(first) == [f"telegram:update:{update_id}"]
        release.set()
        await phone.wait(0, until=translate("en", "error.generic"))
        monkeypatch.undo()
    assert emulator.pending_update_count() == 0  # Telegram will not deliver it again.
    async with running_bot(settings, poll_timeout=1) as second:
        await phone.wait(0, until=translate("en", "help.text")[:10])
        assert await inbox_keys(second) == []
        rows = await second.services.db.fetch_all(
            "SELECT 1 FROM processed_events WHERE event_key = ?", (f"telegram:update:{update_id}",)
        )
        assert len(rows) == 1


async def test_nothing_is_kept_for_people_who_have_not_consented(
    bot: RunningBot,
    emulator: BotApiEmulator,
    make_phone: PhoneFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entered, release = stall(bot, monkeypatch)
    phone = make_phone(9202, "fr")
    emulator.send_text(phone.user, "/start")
    await asyncio.wait_for(entered.wait(), timeout=10)
    assert await inbox_keys(bot) == []
    release.set()
    await phone.wait(0, until=translate("fr", "error.generic"))


async def test_applied_updates_leave_the_inbox(bot: RunningBot, make_phone: PhoneFactory) -> None:
    phone = make_phone(9203, "nl")
    await phone.consent()
    await phone.tap(translate("nl", "role.customer"), until=translate("nl", "territory.question"))
    assert await inbox_keys(bot) == []


def test_compact_payload_replays_to_the_same_action() -> None:
    sender = {"id": 77, "is_bot": False, "first_name": "Ana", "language_code": "nl"}
    chat = {"id": 77, "type": "private", "first_name": "Ana"}
    command = {
        "update_id": 10,
        "message": {
            "message_id": 5,
            "date": 1_790_000_000,
            "chat": chat,
            "from": sender,
            "text": "/start core_bru_flagey",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    tap = {
        "update_id": 11,
        "callback_query": {
            "id": "q1",
            "from": sender,
            "chat_instance": "ci",
            "data": "cc:y:12",
            "message": {"message_id": 6, "date": 1_790_000_001, "chat": chat, "text": "?"},
        },
    }
    photo = {
        "update_id": 12,
        "message": {
            "message_id": 7,
            "date": 1_790_000_002,
            "chat": chat,
            "from": sender,
            "photo": [{"file_id": "f", "file_unique_id": "u", "width": 9, "height": 9}],
        },
    }
    for raw in (command, tap, photo):
        original = Update.de_json(raw, None)
        replayed = Update.de_json(json.loads(payload_of(original)), None)
        assert to_incoming(replayed) == to_incoming(original)
        assert event_key(replayed) == event_key(original)
    replayed_tap = Update.de_json(json.loads(payload_of(Update.de_json(tap, None))), None)
    assert replayed_tap.callback_query is not None
    assert isinstance(replayed_tap.callback_query.message, Message)
    assert replayed_tap.callback_query.message.message_id == 6
