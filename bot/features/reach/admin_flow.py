"""Let admins ask the bot for a shopping area's poster or counter card (/poster), as a PDF."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import datetime

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.features.reach.links import EntryLinks
from bot.features.reach.posters import poster_languages, render_poster
from bot.i18n import Translator
from bot.reference import Core, Reference
from bot.shared.routes import FlowRoutes, admin_routes

PREFIX = "rp"
_CARD_WORDS = frozenset({"card", "carte", "kaart", "a6"})
_LANG_SPEC = re.compile(r"^(fr|nl)(\+(fr|nl))?$")


class PosterAdminFlow:
    """Answer /poster <core> [fr|nl|fr+nl] [card] with the PDF, made off the event loop."""

    def __init__(
        self,
        reference: Reference,
        links: Callable[[], EntryLinks],
        clock: Callable[[], datetime],
    ) -> None:
        self._ref = reference
        self._links = links
        self._clock = clock

    def routes(self) -> FlowRoutes:
        """Declare the admins' /poster."""
        return admin_routes("reach_admin", ("poster",), PREFIX, self.on_command, self.on_button)

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /poster."""
        t = Translator(lang)
        words = msg.args.split()
        card = any(w.lower() in _CARD_WORDS for w in words)
        spec = next((w.lower() for w in words if _LANG_SPEC.match(w.lower())), None)
        query = " ".join(
            w for w in words if w.lower() not in _CARD_WORDS and not _LANG_SPEC.match(w.lower())
        )
        if not query:
            return Outcome((Reply(t("admin.poster_usage")),))
        found = self._find(query, lang)
        if isinstance(found, str):
            return Outcome((Reply(found),))
        core = found
        langs = poster_languages(spec) if spec else default_languages(core)
        links = self._links()
        if not links.channels:
            return Outcome((Reply(t("admin.poster_no_links")),))
        if links.public_url is None:
            return Outcome((Reply(t("admin.poster_no_url")),))
        pdf = await asyncio.to_thread(
            render_poster, links, core, langs, card=card, created=self._clock()
        )
        kind = "card" if card else "poster"
        caption = t(
            "admin.poster_caption",
            what=t("admin.poster_a6" if card else "admin.poster_a4"),
            core=core.name(lang),
        )
        return Outcome((Reply(caption, document=(f"echoppe-{kind}-{core.id}.pdf", pdf)),))

    async def on_button(self, _msg: IncomingMessage, lang: str) -> Outcome:
        """No buttons: an old tap is stale."""
        return Outcome(notice=Translator(lang)("button.stale"))

    def _find(self, query: str, lang: str) -> Core | str:
        t = Translator(lang)
        exact = self._ref.core(query.strip().lower())
        if exact is not None:
            return exact
        matches = self._ref.search_cores(None, query, lang, limit=6)
        if not matches:
            return t("admin.poster_unknown", query=query[:60])
        named = [c for c in matches if c.name(lang).lower() == query.strip().lower()]
        if len(matches) == 1 or len(named) == 1:
            return named[0] if named else matches[0]
        return t("admin.poster_several", names=", ".join(c.name(lang) for c in matches))


def default_languages(core: Core) -> tuple[str, ...]:
    """Return a core's poster languages: French and Dutch in Brussels, French elsewhere."""
    return ("fr", "nl") if core.territory == "brussels" else ("fr",)
