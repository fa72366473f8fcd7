"""Render a partner's digest figures as a message, and answer /digest in a partner's chat."""

from __future__ import annotations

import base64
import csv
import functools
import io
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import jinja2

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.features.digests.service import DigestFigures, DigestService, SurveyHeadline
from bot.features.partners.service import PartnerService
from bot.features.partners.store import Partner
from bot.features.surveys.render import answer_label, result_line, short
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.access import unknown_command
from bot.shared.charts import BarChart, BarRow, Panel, draw
from bot.shared.routes import Access, Command, FlowRoutes
from bot.storage.audit import AuditRepository
from nlp.taxonomy import Taxonomy

logger = logging.getLogger(__name__)

TOP_FACTORS = 6
# Questions shown per closed survey wave: the headline, not the full results.
SURVEY_QUESTIONS = 3


class DigestFlow:
    """Show partners their digest; anyone else is told the command does not exist."""

    def __init__(
        self,
        partners: PartnerService,
        digests: DigestService,
        reference: Reference,
        taxonomy: Taxonomy,
        anonymity_k: int,
        audit: AuditRepository | None = None,
    ) -> None:
        self._audit = audit
        self._partners = partners
        self._digests = digests
        self._ref = reference
        self._tax = taxonomy
        self._k = anonymity_k

    def routes(self) -> FlowRoutes:
        """Declare /digest, for chats bound to a partner (groups too)."""
        return FlowRoutes(
            "digests",
            commands=(
                Command(
                    "digest",
                    lambda _user, msg, lang: self.on_command(msg, lang),
                    Access.PARTNER_CHAT,
                    in_groups=True,
                ),
            ),
        )

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /digest with the last full week, for a chat bound to a partner.

        Never a live count: two answers a minute apart, or an answer and the weekly digest,
        would differ by the people who just wrote.
        """
        partner = await self._partners.partner_of(msg.channel, msg.chat_ref)
        if self._audit is not None:
            await self._audit.record(
                actor=f"{msg.channel}:{msg.chat_ref}",
                role="partner" if partner else "none",
                action="/digest",
                detail=f"partner {partner.id}" if partner else "",
                allowed=partner is not None,
            )
        if partner is None:
            t = Translator(lang)
            logger.info("refused /digest to a chat not bound to a partner")
            return Outcome((unknown_command(t),))
        figures = await self._digests.last_week(partner)
        return Outcome((Reply(self.text(partner, figures)),))

    async def weekly(self, partner: Partner, figures: DigestFigures) -> tuple[Reply, ...]:
        """Return the weekly digest: the text, a chart, and a CSV of the week's aggregates."""
        t = Translator(partner.language)
        chart = self.chart(partner, figures)
        png = await draw(chart)
        name = f"{self._name(partner, figures)}.csv"
        return (
            Reply(self.text(partner, figures)),
            Reply(t("digest.chart_caption", week=figures.week), image=png),
            Reply(
                t("digest.csv_caption", week=figures.week, k=self._k),
                document=(name, self.csv(figures)),
            ),
        )

    async def email(
        self, partner: Partner, figures: DigestFigures, sender: str, to: str
    ) -> EmailMessage:
        """Build the weekly digest e-mail: text and HTML, the chart inline, the CSV attached."""
        t = Translator(partner.language)
        png = await draw(self.chart(partner, figures))
        domain = parseaddr(sender)[1].rpartition("@")[2] or None
        chart_id = make_msgid("chart", domain=domain)
        message = EmailMessage()
        message["Subject"] = t("digest.email_subject", week=figures.week, name=partner.name)
        message["From"] = sender
        message["To"] = to
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid("digest", domain=domain)
        message.set_content(self.text(partner, figures))
        message.add_alternative(
            self.html(partner, figures, f"cid:{chart_id[1:-1]}"), subtype="html"
        )
        html_part = next(p for p in message.iter_parts() if p.get_content_type() == "text/html")
        html_part.add_related(
            png,
            maintype="image",
            subtype="png",
            cid=chart_id,
            filename=f"{self._name(partner, figures)}.png",
            disposition="inline",
        )
        message.add_attachment(
            self.csv(figures),
            maintype="text",
            subtype="csv",
            filename=f"{self._name(partner, figures)}.csv",
        )
        return message

    async def html_page(self, partner: Partner, figures: DigestFigures) -> str:
        """Return the digest as one HTML file, the chart embedded (for `bot.py digest`)."""
        png = await draw(self.chart(partner, figures))
        source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        return self.html(partner, figures, source)

    @staticmethod
    def _name(partner: Partner, figures: DigestFigures) -> str:
        return f"echoppe-digest-{figures.week}-partner{partner.id}"

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

    def view(self, partner: Partner, figures: DigestFigures) -> DigestView:
        """Put the figures into words in the partner's language, ready for text or HTML."""
        t = Translator(partner.language)
        lang = t.lang
        places = ", ".join(
            territory.name(lang)
            for tid in partner.territories
            if (territory := self._ref.territory(tid)) is not None
        )
        fewer = t("echo.fewer", k=self._k)
        factors = []
        shown = [line for line in figures.factors if line.people is not None][:TOP_FACTORS]
        for rank, line in enumerate(shown, 1):
            assert line.people is not None
            change = None
            if line.average is not None and line.average > 0:
                change = f"{round(100 * (line.people - line.average) / line.average):+d}"
            cores = ", ".join(
                f"{core.name(lang)} {c.people}"
                for c in line.top_cores
                if (core := self._ref.core(c.core_id)) is not None
            )
            factors.append(
                FactorView(
                    rank=rank,
                    factor=line.factor,
                    title=self._tax.get(line.factor).title(lang),
                    people=line.people,
                    average=None if line.average is None else f"{line.average:g}",
                    change=change,
                    cores=cores or None,
                    quotes=tuple(q.text for q in figures.quotes.get(line.factor, ())),
                )
            )
        emerging = tuple(
            t(
                "digest.emerging_line",
                factor=self._tax.get(signal.factor).title(lang),
                core=core.name(lang) if (core := self._ref.core(signal.core_id)) else "",
                people=str(signal.people) if signal.people is not None else f"≥ {self._k}",
            )
            for signal in figures.emerging
        )
        outcomes = None
        if any(n is not None for n in figures.outcomes.values()):
            outcomes = t(
                "digest.outcomes",
                **{a: fewer if n is None else n for a, n in figures.outcomes.items()},
            )
        return DigestView(
            lang=lang,
            header=t(
                "digest.header",
                name=partner.name,
                period=figures.week,
                places=places,
            ),
            activity=t(
                "digest.activity",
                concerns=fewer if figures.concerns is None else figures.concerns,
                people=fewer if figures.people is None else figures.people,
            ),
            factors=tuple(factors),
            nothing=None if factors else t("digest.nothing", k=self._k),
            emerging=emerging,
            surveys=tuple(self._survey_view(t, headline) for headline in figures.surveys),
            outcomes=outcomes,
            unheard=(
                t("digest.unheard", n=figures.unheard) if figures.unheard is not None else None
            ),
            candidates=self._candidate_lines(t, figures),
            opportunities=self._opportunity_lines(t, figures),
        )

    def _opportunity_lines(self, t: Translator, figures: DigestFigures) -> tuple[str, ...]:
        """Return the "needs and opportunities" section's lines (none when nothing shows)."""
        found = figures.opportunities
        if found is None:
            return ()
        fewer = t("echo.fewer", k=self._k)

        def shown(n: int | None) -> str | int:
            return fewer if n is None else n

        lines = [t("digest.opp_needs", n=shown(found.needs_people))]
        if found.needs_by_sector:
            lines.append(
                "   "
                + ", ".join(
                    f"{need.label(t.lang) if (need := self._ref.need(sid)) else sid} {n}"
                    for sid, n in sorted(found.needs_by_sector.items(), key=lambda i: -i[1])
                )
            )
        lines.append(
            t(
                "digest.opp_cells",
                listed=shown(found.cells_listed),
                new=shown(found.cells_new),
                interests=shown(found.cell_interests),
            )
        )
        if found.cells_median_m2 is not None:
            lines.append(
                t(
                    "digest.opp_cells_median",
                    m2=found.cells_median_m2,
                    days=found.cells_median_days,
                )
            )
        if found.popup_applications is not None or found.popup_outcomes:
            lines.append(
                t(
                    "digest.opp_popup",
                    n=shown(found.popup_applications),
                    accepted=shown(found.popup_outcomes.get("accepted")),
                    waitlisted=shown(found.popup_outcomes.get("waitlisted")),
                    declined=shown(found.popup_outcomes.get("declined")),
                )
            )
        if any(
            n is not None
            for n in (
                found.producers,
                found.food_wishes,
                found.matches_proposed,
                found.matches_accepted,
            )
        ):
            lines.append(
                t(
                    "digest.opp_food",
                    producers=shown(found.producers),
                    wishes=shown(found.food_wishes),
                    proposed=shown(found.matches_proposed),
                    accepted=shown(found.matches_accepted),
                )
            )
        return tuple(lines)

    def _candidate_lines(self, t: Translator, figures: DigestFigures) -> tuple[str, ...]:
        """Return the "candidate entrepreneurs" section's lines (none when nothing happened)."""
        found = figures.candidates
        if found is None:
            return ()
        fewer = t("echo.fewer", k=self._k)

        def shown(n: int | None) -> str | int:
            return fewer if n is None else n

        lines = [t("digest.candidates_new", n=shown(found.new_candidates))]
        if found.by_stage:
            stages = ", ".join(
                f"{t(f'project.stage_{stage}')} {n}" for stage, n in found.by_stage.items()
            )
            lines.append("   " + stages)
        if found.by_sector:
            sectors = ", ".join(
                f"{sector.label(t.lang) if (sector := self._ref.sector(sid)) else sid} {n}"
                for sid, n in sorted(found.by_sector.items(), key=lambda item: -item[1])
            )
            lines.append("   " + sectors)
        if found.sessions_held is not None:
            # A partner of some cores: sessions belong to a territory, none are shown.
            lines.append(
                t(
                    "digest.candidates_sessions",
                    held=found.sessions_held,
                    came=shown(found.sessions_attended),
                )
            )
        lines.append(
            t(
                "digest.candidates_coaching",
                requests=shown(found.requests),
                quick=shown(found.accepted_48h),
                held=shown(found.appointments_held),
            )
        )
        return tuple(lines)

    def _survey_view(self, t: Translator, headline: SurveyHeadline) -> SurveyView:
        """Sum up a closed wave: respondents per place and its first shown questions."""
        fewer = t("echo.fewer", k=self._k)
        survey = headline.survey
        names = [self._place_name(t.lang, place.scope_id) for place in headline.places]
        respondents = " · ".join(
            t(
                "survey.results_people",
                place=name,
                n=fewer if place.respondents is None else place.respondents,
            )
            for name, place in zip(names, headline.places, strict=True)
        )

        def label(question: Any, value: str) -> str:
            return answer_label(t, self._tax, question, value)

        questions = []
        for question in survey.questions:
            results = [place.questions.get(question.id) for place in headline.places]
            # Headlines are the questions with something to show somewhere.
            if not any(
                r is not None and (r.answered is not None or any(c.count for c in r.cells))
                for r in results
            ):
                continue
            questions.append(
                (
                    short(question.text.get(t.lang)),
                    tuple(
                        # One place: its name is already in the respondents line.
                        (
                            name if len(names) > 1 else "",
                            result_line(t, question, result, label, self._k),
                        )
                        for name, result in zip(names, results, strict=True)
                    ),
                )
            )
            if len(questions) == SURVEY_QUESTIONS:
                break
        return SurveyView(survey.title.get(t.lang), respondents, tuple(questions))

    def _place_name(self, lang: str, scope_id: str | None) -> str:
        if scope_id is None:
            return ""
        place = self._ref.core(scope_id) or self._ref.territory(scope_id)
        return place.name(lang) if place is not None else scope_id

    def text(self, partner: Partner, figures: DigestFigures) -> str:
        """Write the digest in the partner's language."""
        t = Translator(partner.language)
        view = self.view(partner, figures)
        lines = [view.header, view.activity, "", t("digest.factors_header")]
        if view.nothing:
            lines.append(view.nothing)
        for f in view.factors:
            text = t("digest.factor_line", rank=f.rank, factor=f.title, people=f.people)
            if f.change is not None:
                text += " " + t("digest.versus", average=f.average, change=f.change)
            if f.cores:
                text += "\n   " + t("digest.cores", cores=f.cores)
            lines.append(text)
            lines += ["   💬 " + t("text.quoted", text=quote) for quote in f.quotes]
        if view.emerging:
            lines += ["", t("digest.emerging_header"), *view.emerging]
        for survey in view.surveys:
            lines += [
                "",
                t("digest.survey_header", title=survey.title),
                f"   {survey.respondents}",
            ]
            for question, answers in survey.questions:
                lines.append(f"• {question}")
                lines += [
                    f"   {place}: {answer}" if place else f"   {answer}"
                    for place, answer in answers
                ]
        if view.outcomes:
            lines += ["", view.outcomes]
        if view.unheard:
            lines += ["", view.unheard]
        if view.candidates:
            lines += ["", t("digest.candidates_header"), *view.candidates]
        if view.opportunities:
            lines += ["", t("digest.opp_header"), *view.opportunities]
        return "\n".join(lines)

    def html(self, partner: Partner, figures: DigestFigures, chart_src: str) -> str:
        """Write the digest as a self-standing HTML page; the chart is at chart_src."""
        t = Translator(partner.language)
        return _template().render(
            view=self.view(partner, figures),
            chart_src=chart_src,
            t=t,
            k=self._k,
        )


@dataclass(frozen=True)
class FactorView:
    """One shown factor, in words."""

    rank: int
    factor: str
    title: str
    people: int
    average: str | None
    change: str | None
    cores: str | None
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class SurveyView:
    """A closed survey wave, in words: title, respondents, (question, [(place, answer)])."""

    title: str
    respondents: str
    questions: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


@dataclass(frozen=True)
class DigestView:
    """A digest put into words, rendered as a chat message or an HTML page."""

    lang: str
    header: str
    activity: str
    factors: tuple[FactorView, ...]
    nothing: str | None
    emerging: tuple[str, ...]
    surveys: tuple[SurveyView, ...]
    outcomes: str | None
    # Voice notes the bot could not hear this week (shown from k on).
    unheard: str | None = None
    # The entrepreneurs' path: new candidates, sessions, coaching (empty: nothing happened).
    candidates: tuple[str, ...] = ()
    # Needs, empty cells, the pop-up, the food chain (empty: nothing passes the gate).
    opportunities: tuple[str, ...] = ()


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("digest.html")
