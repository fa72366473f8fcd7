"""Say how many others raised the same difficulties, and where help is: the echo."""

from __future__ import annotations

from bot.channels.base import Button, Reply
from bot.features.concerns.service import ConcernService, FactorEcho
from bot.features.reach.links import INVITE_BUTTON_DATA
from bot.i18n import Translator
from bot.reference import Reference
from bot.resources import Resources
from bot.storage import User
from nlp.taxonomy import FACTOR_IDS, Taxonomy

EXCERPT_WORDS = 8


def excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    """Return the first words of a text, with an ellipsis when cut."""
    split = text.split()
    return " ".join(split[:words]) + ("…" if len(split) > words else "")


class Echo:
    """Render the echo and factor titles, for every feature that shows them."""

    def __init__(
        self,
        concerns: ConcernService,
        reference: Reference,
        taxonomy: Taxonomy,
        resources: Resources,
        anonymity_k: int,
    ) -> None:
        self._concerns = concerns
        self._ref = reference
        self._tax = taxonomy
        self._resources = resources
        self._k = anonymity_k

    def titles(self, lang: str, factors: tuple[str, ...]) -> str:
        """Return the factors' emoji titles in taxonomy order, joined with dots."""
        ordered = [f for f in FACTOR_IDS if f in factors]
        return " · ".join(self._tax.get(f).title(lang) for f in ordered)

    async def echo_reply(self, user: User, factors: tuple[str, ...]) -> Reply:
        """Say how many others raised these factors, and where help is."""
        echoes = await self._concerns.echo(user, [f for f in FACTOR_IDS if f in factors])
        t = Translator(user.language)
        # A neighbour who joins makes the echo louder: the offer comes with it.
        invite = ((Button(t("invite.button"), INVITE_BUTTON_DATA),),)
        return Reply(self._echo_text(t, user, echoes), invite)

    def _echo_text(self, t: Translator, user: User, echoes: list[FactorEcho]) -> str:
        core = self._ref.core(user.core_id) if user.core_id else None
        territory = self._ref.territory(user.territory_id) if user.territory_id else None
        lines = [t("echo.header")]
        for echo in echoes:
            lines.append(
                t(
                    "echo.line",
                    factor=self._tax.get(echo.factor).title(t.lang),
                    in_core=self._count(t, echo.in_core),
                    core=core.name(t.lang) if core else "—",
                    in_territory=self._count(t, echo.in_territory),
                    territory=territory.name(t.lang) if territory else "—",
                )
            )
        help_lines: list[str] = []
        for echo in echoes:
            for resource in self._resources.for_factor(user.territory_id, echo.factor):
                contact = resource.url or resource.phone or ""
                help_lines.append(
                    f"• {resource.name.get(t.lang)}: {resource.description.get(t.lang)}"
                    + (f" {contact}" if contact else "")
                )
        if help_lines:
            lines += ["", t("echo.help_header"), *dict.fromkeys(help_lines)]
        return "\n".join(lines)

    def _count(self, t: Translator, value: int | None) -> str:
        return t("echo.fewer", k=self._k) if value is None else str(value)
