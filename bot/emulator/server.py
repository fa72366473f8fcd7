"""Run the Telegram Bot API emulator as a tornado HTTP server on the current asyncio loop."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.emulator.http import make_app
from bot.emulator.methods import BotApiMethods
from bot.emulator.models import EmulatorLimits
from bot.emulator.state import EmulatorState
from bot.emulator.webhook import WebhookDeliverer

logger = logging.getLogger(__name__)


class BotApiEmulator(EmulatorState):
    """Emulate the Telegram Bot API on 127.0.0.1 for python-telegram-bot to talk to."""

    def __init__(
        self,
        *,
        limits: EmulatorLimits | None = None,
        bot_username: str = "echoppe_test_bot",
        bot_id: int = 424242,
        callback_query_ttl_s: float = 15.0,
    ) -> None:
        """Prepare an emulator; call start() (or use `async with`) to serve it."""
        super().__init__(
            limits=limits,
            bot_username=bot_username,
            bot_id=bot_id,
            callback_query_ttl_s=callback_query_ttl_s,
        )
        self.port = 0
        self.host = "127.0.0.1"
        self.webhook = WebhookDeliverer(self)
        self.api = BotApiMethods(self, self.webhook)
        self._server: HTTPServer | None = None

    @property
    def _url_host(self) -> str:
        """Return the host to put in URLs (wildcard binds are reached on 127.0.0.1)."""
        if self.host in ("", "0.0.0.0", "::"):
            return "127.0.0.1"
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def base_url(self) -> str:
        """Return the base_url to give to ApplicationBuilder().base_url()."""
        return f"http://{self._url_host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the base_file_url to give to ApplicationBuilder().base_file_url()."""
        return f"http://{self._url_host}:{self.port}/file/bot"

    @property
    def running(self) -> bool:
        """Return True while the HTTP server is serving."""
        return self._server is not None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 picks a free port) on the running event loop."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        sockets = bind_sockets(port, address=host)
        server = HTTPServer(make_app(self, self.api))
        server.add_sockets(sockets)
        self._server = server
        self.closing = False
        self.host = host
        self.port = int(sockets[0].getsockname()[1])
        if self.webhook_url:
            self.webhook.start()
        logger.info("Bot API emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """Release long polls, stop webhook delivery and close the HTTP server."""
        server, self._server = self._server, None
        if server is None:
            return
        self.close_waiters()
        await self.webhook.aclose()
        server.stop()
        await server.close_all_connections()
        logger.info("Bot API emulator on port %s stopped", self.port)

    async def __aenter__(self) -> Self:
        """Start the emulator."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the emulator."""
        await self.stop()
