"""Carry python-telegram-bot's Bot API calls over aiohttp instead of httpx.

python-telegram-bot lets the HTTP layer be swapped (``BaseRequest``). Measured on the intake
benchmark, httpx + httpcore cost about half of the bot's CPU per concern (pool bookkeeping calls
``getpeername`` on every idle connection for every request); aiohttp's C-accelerated client
does the same work for much less, which is what lets one process keep up with 200 people.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

logger = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """Send Bot API requests with one pooled aiohttp session."""

    def __init__(
        self,
        *,
        connections: int = 16,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 10.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        # When the Bot API last answered a call with 200 (seconds since the epoch), for /healthz.
        self.last_ok: float | None = None
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    def proxy_for(self, url: str) -> str | None:
        """Return the proxy for a URL from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, if any."""
        # aiohttp's trust_env re-reads the environment on every request (a fifth of the bot's
        # CPU per concern); the Bot API server never changes, so decide once per server.
        scheme, _, rest = url.partition("://")
        server = f"{scheme}://{rest.split('/', 1)[0]}"
        if server not in self._proxies:
            proxy = getproxies().get(scheme)
            host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
            self._proxies[server] = None if proxy is None or proxy_bypass(host) else proxy
        return self._proxies[server]

    @property
    def read_timeout(self) -> float | None:
        """Return the default read timeout (long polling adds its own timeout to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (inside the running loop, as aiohttp requires)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the HTTP status and the body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write_default = self._media_write_timeout if files else self._write_timeout
        write = write_default if isinstance(write_timeout, DefaultValue) else write_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp's `connect` covers waiting for a pooled connection plus opening one. It has
        # no write timeout, and its read timer starts only once the body is sent: the total
        # bounds a stalled upload (httpx's write timeout) as well as everything else.
        timeout = aiohttp.ClientTimeout(
            total=_add(_add(pool, connect), _add(write, read)),
            connect=_add(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        data: Any = None
        if request_data is not None:
            data = _form(request_data) if files else request_data.json_parameters
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, proxy=self.proxy_for(url)
            ) as response:
                body = await response.read()
                if response.status == 200:
                    self.last_ok = time.time()
                return response.status, body
        except aiohttp.ConnectionTimeoutError as err:
            # No connection within the time: the request never left, so it is not "maybe
            # delivered" (TimedOut) but plainly not sent.
            raise NetworkError(f"aiohttp.ConnectionTimeoutError: {err}") from err
        except TimeoutError as err:
            raise TimedOut from err
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _add(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else first + second


def _form(request_data: RequestData) -> aiohttp.FormData:
    """Build a multipart body: the JSON-encoded parameters and the uploaded files."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, *rest = part
        form.add_field(
            name,
            content,
            filename=filename,
            content_type=rest[0] if rest else "application/octet-stream",
        )
    return form
