"""The dashboard's HTTP protections: strict headers on every answer, Origin checked on POST."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

# No script at all (the views work without JavaScript), nothing from another origin, no
# framing, forms only to ourselves.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Add the security headers to every answer, and refuse POSTs from another origin."""

    def __init__(
        self, app: ASGIApp, refused: Callable[[Scope], ASGIApp], public_origin: str | None
    ) -> None:
        self._app = app
        self._refused = refused
        self._public = public_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the Origin of a POST, then answer with the headers added."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                headers.setdefault("cache-control", "no-store")
            await send(message)

        app = self._app
        if scope["method"] == "POST" and not self._same_origin(scope):
            logger.warning("refused a dashboard POST from another origin")
            app = self._refused(scope)
        await app(scope, receive, with_headers)

    def _same_origin(self, scope: Scope) -> bool:
        """Tell whether the request's Origin is this server (or the public URL)."""
        headers = dict(scope.get("headers") or [])
        origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/")
        if origin == "null":
            # Under "Referrer-Policy: no-referrer" browsers send "Origin: null" even for their
            # own site's forms; then only the browser's own Sec-Fetch-Site (which no page can
            # set) can say the form came from here.
            return bool(headers.get(b"sec-fetch-site", b"") == b"same-origin")
        if not origin:
            return False
        host = headers.get(b"host", b"").decode("latin-1")
        scheme = scope.get("scheme", "http")
        allowed = {f"{scheme}://{host}"} if host else set()
        if self._public:
            allowed.add(self._public)
        return origin in allowed


def origin_of(url: str | None) -> str | None:
    """Return scheme://host[:port] of a URL."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
