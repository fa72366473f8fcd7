"""The aiohttp transport under python-telegram-bot: errors map onto PTB's, timeouts hold."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram.http import AiohttpRequest
from bot.emulator import BotApiEmulator
from tests.conftest import TEST_TOKEN
from tests.support import Phone


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_refused_connection_is_a_network_error() -> None:
    request = AiohttpRequest(connections=2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(f"http://127.0.0.1:{free_port()}/bot1:x/getMe", "POST")
    finally:
        await request.shutdown()


async def test_a_slow_answer_times_out() -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(connections=2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(
                f"http://127.0.0.1:{port}/bot1:x/getMe", "POST", read_timeout=0.2
            )
    finally:
        await request.shutdown()
        server.close()


async def test_photo_upload_reaches_the_emulator(
    emulator: BotApiEmulator, make_phone: Callable[..., Phone]
) -> None:
    phone = make_phone(9700, "en")
    emulator.send_text(phone.user, "hello")  # the emulator knows a chat once its user wrote
    bot = Bot(TEST_TOKEN, base_url=emulator.base_url, request=AiohttpRequest(connections=2))
    async with bot:
        sent = await bot.send_photo(phone.user.id, photo=b"\x89PNG fake", caption="«chart»")
    assert sent.caption == "«chart»"
    assert emulator.photo_of(phone.user.id, sent.message_id) == b"\x89PNG fake"


async def test_requests_need_initialize() -> None:
    with pytest.raises(RuntimeError):
        await AiohttpRequest().do_request("http://127.0.0.1:1/", "POST")


async def test_a_stalled_upload_times_out() -> None:
    async def stop_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)
        await asyncio.sleep(10)
        writer.close()

    server = await asyncio.start_server(stop_reading, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(
        connections=1,
        read_timeout=0.3,
        write_timeout=0.3,
        connect_timeout=0.3,
        pool_timeout=0.3,
        media_write_timeout=0.3,
    )
    await request.initialize()
    bot = Bot("1:x", base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        # 64 MB cannot fit in the socket buffers of a server that stopped reading.
        with pytest.raises(TimedOut):
            await asyncio.wait_for(bot.send_photo(1, photo=b"\0" * (64 << 20)), timeout=8)
    finally:
        await request.shutdown()
        server.close()


def test_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    request = AiohttpRequest()
    assert request.proxy_for("https://api.telegram.org/bot1:x/getMe") == (
        "http://proxy.example:3128"
    )
    assert request.proxy_for("http://127.0.0.1:8081/bot1:x/getMe") is None
    assert request.proxy_for("https://api.telegram.org/bot1:x/sendMessage") == (
        "http://proxy.example:3128"
    )


async def test_a_request_that_never_got_a_connection_is_not_sent_not_maybe_sent() -> None:
    received: list[bytes] = []

    async def slow_telegram(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        await asyncio.sleep(30)  # slow to answer the first request

    server = await asyncio.start_server(slow_telegram, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(connections=1, pool_timeout=0.2, connect_timeout=0.2, read_timeout=3)
    await request.initialize()
    url = f"http://127.0.0.1:{port}/bot1:x/sendMessage"
    first = asyncio.create_task(request.do_request(url, "POST"))
    await asyncio.sleep(0.1)
    try:
        # The only connection is busy: this one never leaves the bot.
        with pytest.raises(NetworkError) as raised:
            await request.do_request(url, "POST")
        assert not isinstance(raised.value, TimedOut)  # TimedOut would count as "sent"
        assert len(received) == 1
    finally:
        first.cancel()
        await request.shutdown()
        server.close()
