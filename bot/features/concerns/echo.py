"""Say how many others raised the same difficulties, and where help is: the echo."""

from __future__ import annotations

from bot.channels.base import Button, Reply
from bot.features.barometer.service import Barometer, BarometerService
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
    """Render the echo and factor titles, for every feature that shows them.

    The echo reads the barometer's counts, through the same gate: what a person is told after
    a message never disagrees with /barometer at the same moment.
    """

    def __init__(
        self,
        barometer: BarometerService,
        reference: Reference,
        taxonomy: Taxonomy,
        resources: Resources,
        anonymity_k: int,
    ) -> None:
        self._barometer = barometer
        self._ref = reference
        self._tax = taxonomy
        self._resources = resources
        self._k = anonymity_k

    def titles(self, lang: str, factors: tuple[str, ...]) -> str:
        """Return the factors' emoji titles in taxonomy order, joined with dots."""
        ordered = [f for f in FACTOR_IDS if f in factors]
        return " · ".join(self._tax.get(f).title(lang) for f in ordered)

    async def echo_reply(self, user: User, factors: tuple[str, ...]) -> Reply:
        """Say how many others raised these factors (where the gate lets it), and where help is."""
        barometer = await self._barometer.barometer(user, outcomes=False)
        t = Translator(user.language)
        # A neighbour who joins makes the echo louder: the offer comes with it.
        invite = ((Button(t("invite.button"), INVITE_BUTTON_DATA),),)
        ordered = [f for f in FACTOR_IDS if f in factors]
        return Reply(self._echo_text(t, user, barometer, ordered), invite)

    def _echo_text(
        self, t: Translator, user: User, barometer: Barometer, factors: list[str]
    ) -> str:
        core = self._ref.core(user.core_id) if user.core_id else None
        territory = self._ref.territory(user.territory_id) if user.territory_id else None
        core_name = core.name(t.lang) if core else "—"
        names = (core_name, territory.name(t.lang) if territory else "—", t("echo.everywhere"))
        heard = any(cell.current is not None for f in factors for cell in barometer.stat(f))
        lines = [t("echo.header" if heard else "echo.header_first")]
        for factor in factors:
            cells = barometer.stat(factor)
            places = [
                t("echo.place", place=name, n=cell.current)
                for name, cell in zip(names, cells, strict=True)
                if cell.current is not None
            ]
            if cells[0].current is None and places:
                # The core is still closed for this factor: the wider places speak for it.
                places.insert(0, t("echo.closed", core=core_name))
            title = self._tax.get(factor).title(t.lang)
            if places:
                lines.append(t("echo.line", factor=title, places=" · ".join(places)))
            else:
                lines.append(title)
                lines.append("   " + t("echo.first", k=self._k))
        help_lines: list[str] = []
        for factor in factors:
            for resource in self._resources.for_factor(user.territory_id, factor):
                contact = resource.url or resource.phone or ""
                help_lines.append(
                    f"• {resource.name.get(t.lang)}: {resource.description.get(t.lang)}"
                    + (f" {contact}" if contact else "")
                )
        if help_lines:
            lines += ["", t("echo.help_header"), *dict.fromkeys(help_lines)]
        return "\n".join(lines)
