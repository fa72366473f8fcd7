"""The Bot API unreachable at start: one line in the log, retried, and served once it is back."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.app.run import running_bot
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.i18n import translate
from tests.conftest import TEST_TOKEN
from tests.support import Phone


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_bot_waits_for_an_unreachable_bot_api_then_serves(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port = _closed_port()
    settings = Settings(
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=f"http://127.0.0.1:{port}/bot",
        database_path=tmp_path / "down.sqlite3",
        telegram_max_rate=0,
        http_port=0,
        _env_file=None,  # type: ignore[call-arg]
    )
    async with running_bot(settings, poll_timeout=1) as bot:
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"http://127.0.0.1:{bot.web.port}/healthz")).json()
        assert health["channels"]["telegram"]["state"] == "unreachable"
        refusals = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(refusals) == 1 and refusals[0].exc_info is None
        emulator = BotApiEmulator()
        await emulator.start(port=port)
        try:
            phone = Phone(emulator, FakeUser(id=9301, language_code="en"), timeout=30)
            await phone.send("/start", until=translate("en", "privacy.notice")[:20])
            async with httpx.AsyncClient() as client:
                health = (await client.get(f"http://127.0.0.1:{bot.web.port}/healthz")).json()
            assert health["channels"]["telegram"]["state"] == "up"
        finally:
            await emulator.stop()
    assert not [r for r in caplog.records if "Unclosed client session" in r.getMessage()]
