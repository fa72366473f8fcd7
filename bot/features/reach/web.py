"""The short addresses printed under the QR codes: {public_url}/go/<code> leads into the bot."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.features.reach.links import EntryLinks
from bot.i18n import LANGUAGES, translate


def go_routes(links: Callable[[], EntryLinks]) -> list[BaseRoute]:
    """Return GET /go/<code>: a redirect to the chat the code stands for, or a polite 404."""

    async def go(request: Request) -> Response:
        lang = _language(request.headers.get("accept-language", ""))
        current = links()
        entry = current.resolve(str(request.path_params["code"]).strip().lower())
        if entry is None or entry.channel not in current.channels:
            return PlainTextResponse(translate(lang, "go.unknown"), status_code=404)
        # Not permanent: a code's target may change (a new WhatsApp number, say).
        return RedirectResponse(current.url(entry, lang), status_code=302)

    return [Route("/go/{code}", go, methods=["GET", "HEAD"])]


def _language(header: str) -> str:
    """Return the first of fr, nl, en the browser asks for (French otherwise)."""
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "fr"
