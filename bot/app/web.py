"""The bot's one web server: channels' webhooks and /healthz, in the bot's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

logger = logging.getLogger(__name__)

# What /healthz reports: (healthy, details).
HealthCheck = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


def metrics_route(read: Callable[[], Awaitable[bytes]], token: str | None) -> Route:
    """Return GET /metrics (Prometheus' text format), behind a bearer token when one is set."""
    expected = f"Bearer {token}".encode() if token else None

    async def metrics(request: Request) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            # Compared in constant time: the token must not leak through timing.
            if not hmac.compare_digest(given, expected):
                return PlainTextResponse(
                    "unauthorized\n", status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
        return Response(await read(), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the bot owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def build_app(routes: Sequence[BaseRoute], health: HealthCheck) -> Starlette:
    """Return the ASGI app: the channels' routes and /healthz."""

    async def healthz(_request: Request) -> JSONResponse:
        healthy, details = await health()
        return JSONResponse(details, status_code=200 if healthy else 503)

    return Starlette(routes=[*routes, Route("/healthz", healthz, methods=["GET"])])


class WebServer:
    """Serve an ASGI app with uvicorn on the running loop; start and stop with the bot."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            access_log=False,
            log_config=None,
            # Meta and Telegram send small JSON bodies; nothing legitimate is bigger.
            limit_concurrency=1000,
            timeout_graceful_shutdown=10,
        )
        self._server = _Server(config)
        self._address = (host, port)
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """Return the port actually bound (useful when configured as 0)."""
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        raise RuntimeError("the web server is not listening")

    async def start(self) -> None:
        """Bind and start serving; raise OSError if the address cannot be bound."""
        # Bound here, not by uvicorn, which exits the process when it cannot bind.
        sock = socket.create_server(self._address)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="web-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the web server stopped while starting")
            await asyncio.sleep(0.01)
        logger.info("web server listening on %s:%d", self._address[0], self.port)

    async def stop(self) -> None:
        """Stop accepting, finish the requests in hand, then return."""
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(SystemExit):
            await self._task
        self._task = None
