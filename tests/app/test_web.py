"""The bot's one web server: /healthz on a running bot, and a clear error when it cannot bind."""

from __future__ import annotations

import socket

import httpx
import pytest
from starlette.routing import BaseRoute

from bot.app.run import RunningBot
from bot.app.web import WebServer, build_app


async def test_healthz_reports_database_scheduler_and_telegram(bot: RunningBot) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{bot.web.port}/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["database"] == "ok" and body["scheduler"] == "running"
    assert body["channels"]["telegram"]["last_ok"] is not None


async def test_healthz_says_503_when_the_scheduler_has_stopped(bot: RunningBot) -> None:
    await bot.scheduler.stop()
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{bot.web.port}/healthz")
    assert answer.status_code == 503
    assert answer.json()["scheduler"] == "stopped"


async def test_a_port_already_taken_is_an_error_not_an_exit() -> None:
    async def healthy() -> tuple[bool, dict[str, object]]:
        return True, {}

    routes: list[BaseRoute] = []
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = WebServer(build_app(routes, healthy), "127.0.0.1", port)
        with pytest.raises(OSError):
            await server.start()
    await server.stop()
