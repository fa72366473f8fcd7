"""Webhook mode: the emulator POSTs updates; Telegram's secret token header is checked."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest
from pydantic import SecretStr

from bot.app.run import running_bot
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.i18n import translate
from bot.storage import Database
from tests.support import Phone


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_serves_users_and_checks_secret(
    settings: Settings, emulator: BotApiEmulator
) -> None:
    port = _free_port()
    hooked = settings.model_copy(
        update={"http_port": port, "webhook_secret": SecretStr("s3cret-token_value")}
    )
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with running_bot(hooked, webhook_url=url):
        assert emulator.webhook_url == url
        phone = Phone(emulator, FakeUser(id=9101, language_code="nl"))
        await phone.send("/start", until=translate("nl", "privacy.notice")[:20])
        await phone.tap("Akkoord", until=translate("nl", "role.question"))
        forged = {
            "update_id": 999_999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 9102, "type": "private"},
                "from": {"id": 9102, "is_bot": False, "first_name": "X"},
                "text": "/start",
            },
        }
        async with httpx.AsyncClient() as client:
            no_secret = await client.post(url, json=forged)
            wrong = await client.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
        assert no_secret.status_code == 403 and wrong.status_code == 403
    db = Database(hooked.database_path)
    await db.connect()
    try:
        rows = await db.fetch_all("SELECT external_id FROM users")
    finally:
        await db.close()
    assert [r[0] for r in rows] == ["9101"]
    assert emulator.messages(9102) == []


async def test_neither_the_bot_token_nor_the_webhook_secret_ever_reaches_the_logs(
    settings: Settings, emulator: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, python-telegram-bot's and aiohttp's too
    port = _free_port()
    secret = "s3cret-token_value"
    hooked = settings.model_copy(update={"http_port": port, "webhook_secret": SecretStr(secret)})
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with running_bot(hooked, webhook_url=url):
        phone = Phone(emulator, FakeUser(id=9111, language_code="fr"))
        await phone.send("/start", until=translate("fr", "privacy.notice")[:20])
        async with httpx.AsyncClient() as client:
            await client.post(
                url, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
    async with running_bot(settings, poll_timeout=1):
        phone = Phone(emulator, FakeUser(id=9112, language_code="fr"))
        await phone.send("/start", until=translate("fr", "privacy.notice")[:20])
    token = settings.require_token()
    assert caplog.records  # the capture works
    for record in caplog.records:
        text = record.getMessage() + str(record.args or "") + str(record.exc_text or "")
        assert token.split(":", 1)[1] not in text, record.name
        assert secret not in text, record.name
