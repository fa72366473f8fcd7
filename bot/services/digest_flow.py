"""Render a partner's digest figures as a message, and answer /digest in a partner's chat."""

from __future__ import annotations

import csv
import io
import logging

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.i18n import Translator
from bot.reference import Reference
from bot.services.access import unknown_command
from bot.services.charts import BarChart, BarRow, Panel, draw
from bot.services.digests import DigestFigures, DigestService
from bot.services.partners import PartnerService
from bot.storage.partners import Partner
from nlp.taxonomy import Taxonomy

logger = logging.getLogger(__name__)

TOP_FACTORS = 6


class DigestFlow:
    """Show partners their digest; anyone else is told the command does not exist."""

    def __init__(
        self,
        partners: PartnerService,
        digests: DigestService,
        reference: Reference,
        taxonomy: Taxonomy,
        anonymity_k: int,
    ) -> None:
        self._partners = partners
        self._digests = digests
        self._ref = reference
        self._tax = taxonomy
        self._k = anonymity_k

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /digest with the last 7 days, for a chat bound to a partner."""
        partner = await self._partners.partner_of(msg.channel, msg.chat_ref)
        if partner is None:
            t = Translator(lang)
            logger.info("refused /digest to a chat not bound to a partner")
            return Outcome((unknown_command(t),))
        figures = await self._digests.preview(partner)
        return Outcome((Reply(self.text(partner, figures, preview=True)),))

    async def weekly(self, partner: Partner, figures: DigestFigures) -> tuple[Reply, ...]:
        """Return the weekly digest: the text, a chart, and a CSV of the week's aggregates."""
        t = Translator(partner.language)
        chart = self.chart(partner, figures)
        png = await draw(chart)
        name = f"echoppe-digest-{figures.week}-partner{partner.id}.csv"
        return (
            Reply(self.text(partner, figures, preview=False)),
            Reply(t("digest.chart_caption", week=figures.week), image=png),
            Reply(t("digest.csv_caption", week=figures.week), document=(name, self.csv(figures))),
        )

    def chart(self, partner: Partner, figures: DigestFigures) -> BarChart:
        """Draw each factor this week against its 4-week average (hidden ones marked)."""
        t = Translator(partner.language)
        rows = tuple(
            BarRow(
                self._tax.get(line.factor).label.get(t.lang),
                line.people,
                round(line.average) if line.average is not None else None,
            )
            for line in figures.factors
        )
        return BarChart(
            title=f"{partner.name} · {figures.week}",
            panels=(Panel(t("digest.chart_panel"), rows),),
            current_label=t("digest.chart_week"),
            previous_label=t("digest.chart_average"),
            suppressed_label=t("barometer.chart_suppressed", k=self._k),
        )

    def csv(self, figures: DigestFigures) -> bytes:
        """Write the week's aggregates (hidden cells left empty) as CSV."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["week", "factor", "people", "average_4_weeks", "top_cores"])
        for line in figures.factors:
            writer.writerow(
                [
                    figures.week,
                    line.factor,
                    "" if line.people is None else line.people,
                    "" if line.average is None else line.average,
                    ";".join(f"{c.core_id}:{c.people}" for c in line.top_cores),
                ]
            )
        return out.getvalue().encode("utf-8")

    def text(self, partner: Partner, figures: DigestFigures, *, preview: bool) -> str:
        """Write the digest in the partner's language."""
        t = Translator(partner.language)
        lang = t.lang
        places = ", ".join(
            territory.name(lang)
            for tid in partner.territories
            if (territory := self._ref.territory(tid)) is not None
        )
        fewer = t("echo.fewer", k=self._k)
        period = t("digest.last_7_days") if preview else figures.week
        lines = [t("digest.header", name=partner.name, period=period, places=places)]
        lines.append(
            t(
                "digest.activity",
                concerns=fewer if figures.concerns is None else figures.concerns,
                people=fewer if figures.people is None else figures.people,
            )
        )
        shown = [line for line in figures.factors if line.people is not None][:TOP_FACTORS]
        lines += ["", t("digest.factors_header")]
        if not shown:
            lines.append(t("digest.nothing", k=self._k))
        for rank, line in enumerate(shown, 1):
            text = t(
                "digest.factor_line",
                rank=rank,
                factor=self._tax.get(line.factor).title(lang),
                people=line.people,
            )
            if line.average is not None and line.people is not None and line.average > 0:
                change = round(100 * (line.people - line.average) / line.average)
                text += " " + t(
                    "digest.versus", average=f"{line.average:g}", change=f"{change:+d}"
                )
            if line.top_cores:
                cores = ", ".join(
                    f"{core.name(lang)} {c.people}"
                    for c in line.top_cores
                    if (core := self._ref.core(c.core_id)) is not None
                )
                text += "\n   " + t("digest.cores", cores=cores)
            lines.append(text)
            for quote in figures.quotes.get(line.factor, ()):
                lines.append(f"   💬 «{quote}»")
        if figures.emerging:
            lines += ["", t("digest.emerging_header")]
            for signal in figures.emerging:
                core = self._ref.core(signal.core_id)
                count = str(signal.people) if signal.people is not None else f"≥ {self._k}"
                lines.append(
                    t(
                        "digest.emerging_line",
                        factor=self._tax.get(signal.factor).title(lang),
                        core=core.name(lang) if core else signal.core_id,
                        people=count,
                    )
                )
        if any(n is not None for n in figures.outcomes.values()):
            lines += [
                "",
                t(
                    "digest.outcomes",
                    **{a: fewer if n is None else n for a, n in figures.outcomes.items()},
                ),
            ]
        return "\n".join(lines)
