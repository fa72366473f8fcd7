"""Call the WhatsApp Cloud API (Graph API) over aiohttp: send messages, upload media."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

logger = logging.getLogger(__name__)

# Graph API error codes the bot acts on (Meta's "WhatsApp Cloud API error codes").
RATE_LIMITS = frozenset({4, 80007, 130429, 131056})
# Too many messages to one person in a short time (the others may still be written to).
PAIR_RATE = 131056
QUALITY_STOPS = frozenset({131048, 131064})
UNDELIVERABLE = 131026
# This message cannot go to a business-scoped user id (a phone number is needed).
BSUID_UNSUPPORTED = 131062
# A business-scoped user id: a country code, a dot, then letters and digits ("BE.1349…");
# a phone number is digits only.
_BSUID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9.]+$")
OUTSIDE_WINDOW = 131047
MARKETING_CAP = 131049
AUTH_ERRORS = frozenset({0, 190})


def is_bsuid(ref: str) -> bool:
    """Return whether a WhatsApp identity is a business-scoped user id, not a phone number."""
    return _BSUID.match(ref) is not None


class Unreachable(ConnectionError):
    """The Graph API could not be reached: nothing was sent."""


class TimedOut(ConnectionError):
    """A call got no answer in time: it may or may not have been carried out."""


# Not frozen: Python sets __traceback__ and __context__ on an exception as it propagates.
@dataclass(eq=False)
class GraphError(Exception):
    """A refusal from the Graph API: its error code, HTTP status and message."""

    code: int
    http_status: int
    message: str

    def __str__(self) -> str:
        return f"Graph API error {self.code} (HTTP {self.http_status}): {self.message}"


class GraphClient:
    """The few Graph API calls the bot makes, with the business number's throughput limit."""

    def __init__(
        self,
        api_url: str,
        token: str,
        phone_number_id: str,
        *,
        max_rate: float = 80.0,
        timeout_s: float = 30.0,
    ) -> None:
        self._api = api_url.rstrip("/")
        self._token = token
        self._phone = phone_number_id
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=10)
        self._limiter = AsyncLimiter(max_rate, 1.0)
        self._session: aiohttp.ClientSession | None = None
        # When the Graph API last answered a call successfully (seconds since the epoch).
        self.last_ok: float | None = None

    async def open(self) -> None:
        """Open the HTTP connection pool."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {self._token}"}, timeout=self._timeout
            )

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """Send one message to a WhatsApp user; return its id (wamid)."""
        # People whose number Meta hides are written to by their business-scoped user id.
        field = "recipient" if is_bsuid(to) else "to"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", field: to}
        body.update(message)
        async with self._limiter:
            answer = await self._call("POST", f"{self._api}/{self._phone}/messages", json=body)
        messages = answer.get("messages") or [{}]
        return str(messages[0].get("id", ""))

    async def upload(self, content: bytes, mime: str, filename: str) -> str:
        """Upload a file for sending; return its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        form.add_field("file", content, filename=filename, content_type=mime)
        answer = await self._call("POST", f"{self._api}/{self._phone}/media", data=form)
        return str(answer["id"])

    async def download(self, media_id: str, max_bytes: int) -> bytes:
        """Fetch a media's bytes: its short-lived URL first, then the file (never stored)."""
        about = await self.get(media_id)
        url, size = str(about.get("url", "")), int(about.get("file_size") or 0)
        if not url:
            raise GraphError(code=0, http_status=404, message=f"media {media_id} has no URL")
        if size > max_bytes:
            raise GraphError(code=0, http_status=413, message=f"media too big ({size} bytes)")
        if self._session is None:
            raise RuntimeError("the Graph API client is not open")
        try:
            async with self._session.get(url) as response:
                if response.status >= 400:
                    raise GraphError(
                        code=0, http_status=response.status, message="media download refused"
                    )
                chunks: list[bytes] = []
                got = 0
                async for chunk in response.content.iter_chunked(64 * 1024):
                    chunks.append(chunk)
                    got += len(chunk)
                    if got > max_bytes:
                        break
                content = b"".join(chunks)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unreachable(f"media download failed: {type(exc).__name__}") from exc
        if len(content) > max_bytes:
            raise GraphError(code=0, http_status=413, message="media too big")
        self.last_ok = time.time()
        return content

    async def get(self, path: str) -> dict[str, Any]:
        """GET a Graph API object (a template list, say)."""
        return await self._call("GET", f"{self._api}/{path.lstrip('/')}")

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to a Graph API edge (a template, say)."""
        return await self._call("POST", f"{self._api}/{path.lstrip('/')}", json=body)

    async def me(self) -> dict[str, Any]:
        """Read the business number's own record (checks the token at start-up)."""
        return await self.get(self._phone)

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        if self._session is None:
            raise RuntimeError("the Graph API client is not open")
        try:
            async with self._session.request(method, url, **kwargs) as response:
                try:
                    answer: Any = await response.json(content_type=None)
                except ValueError:
                    answer = {}
                if response.status >= 400 or "error" in answer:
                    error = answer.get("error") or {} if isinstance(answer, dict) else {}
                    raise GraphError(
                        code=int(error.get("code", 0) or 0),
                        http_status=response.status,
                        message=str(error.get("message", response.reason))[:300],
                    )
        except aiohttp.ConnectionTimeoutError as exc:
            # No connection in time: the request never left.
            raise Unreachable("Graph API unreachable: connection timed out") from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            if isinstance(exc, aiohttp.ServerTimeoutError):
                raise TimedOut("Graph API call timed out") from exc
            raise Unreachable(f"Graph API unreachable: {type(exc).__name__}") from exc
        except aiohttp.ClientError as exc:
            raise Unreachable(f"Graph API call failed: {type(exc).__name__}") from exc
        except TimeoutError as exc:
            raise TimedOut("Graph API call timed out") from exc
        self.last_ok = time.time()
        return answer if isinstance(answer, dict) else {}
