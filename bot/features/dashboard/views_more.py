"""The dashboard's other partner views: closed surveys, voices, and what came since.

Every number comes gated from the feature that counts it (survey results, the reach counts,
the entrepreneurs' and opportunities' reports), for the same scopes and weeks as the partners'
digest. Survey results and "what came since" are frozen per closed week (`snapshots`), so a
published period never drifts; quotes are read live, so that a deleted concern's quote goes.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import TypeAdapter

from bot.features.dashboard.access import Viewer
from bot.features.dashboard.figures import ANY, DashboardFigures
from bot.features.dashboard.pages import Cell, Column, Filter, Option, Section, Table, ViewPage
from bot.features.dashboard.periods import SPAN, weeks_ending, window
from bot.features.dashboard.snapshots_store import frozen
from bot.features.dashboard.views import (
    Scope,
    Sources,
    _choice,
    col,
    factor_options,
    period_filter,
    week_filter,
)
from bot.features.dashboard.web import NotFound, ViewContext
from bot.features.digests.service import _quote as scrub_quote
from bot.features.digests.store import DigestRepository
from bot.features.entrepreneurs.candidates import STAGES
from bot.features.entrepreneurs.report import CandidateFigures
from bot.features.opportunities.report import POPUP_OUTCOMES, OpportunityFigures
from bot.features.reach.links import Campaign
from bot.features.reach.store import CampaignRepository
from bot.features.surveys.definitions import (
    NumberQuestion,
    ScaleQuestion,
    Survey,
)
from bot.features.surveys.render import answer_label, short
from bot.features.surveys.results import ScopeResult, SurveyResults, reaches
from bot.features.surveys.store import SurveyRepository
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.gate import nested
from nlp.taxonomy import FACTOR_IDS, Taxonomy

# The role whose voices are quoted, as in the digest.
ROLE = "shopkeeper"
# Quotes per factor and week: a taste of what people say, not a transcript.
QUOTES_PER_FACTOR = 5
# Questions are shown by their first line, up to this many characters.
QUESTION_CHARS = 160

T = TypeVar("T")


# --------------------------------------------------------------------------- scopes


@dataclass(frozen=True)
class Area:
    """What a place covers in the reports' terms: territories, and cores when only some."""

    place: str
    territories: tuple[str, ...]
    cores: tuple[str, ...]

    @property
    def key(self) -> str:
        """Return the snapshot scope: the same territories and cores give the same figures."""
        return f"t={','.join(sorted(self.territories))};c={','.join(sorted(self.cores))}"


def area_of(place: str, viewer: Viewer, reference: Reference) -> Area:
    """Resolve a place the viewer may see (checked already) to territories and cores."""
    kind, _, rest = place.partition(":")
    partner = viewer.partner
    if kind == "territory":
        return Area(place, (rest,), ())
    if kind == "partner" and partner is not None:
        cores = tuple(c for c in partner.cores if viewer.sees_core(reference, c))
        return Area(place, tuple(partner.territories), cores)
    if kind == "commune":
        territory_id, _, commune = rest.partition(":")
        territory = reference.territory(territory_id)
        assert territory is not None
        found = tuple(c.id for c in territory.cores if c.commune_fr == commune)
        return Area(place, (territory_id,), found)
    core = reference.core(rest) if kind == "core" else None
    if core is None:
        raise NotFound(place)
    return Area(place, (core.territory,), (core.id,))


def digest_places(viewer: Viewer, reference: Reference, t: Translator) -> list[Option]:
    """Return the places counted as in the digest: a partner's whole scope, or a territory.

    A partner's digest counts its scope at once; showing its territories one by one next to
    it would let their difference tell a small group, so a partner gets its scope only.
    Admins, who get no digest, choose a territory (territories do not overlap).
    """
    partner = viewer.partner
    if partner is None:
        return Scope(viewer, reference).places(t)
    territories = [tid for tid in partner.territories if reference.territory(tid) is not None]
    if not partner.cores and len(territories) == 1:
        territory = reference.territory(territories[0])
        assert territory is not None
        return [Option(f"territory:{territory.id}", territory.name(t.lang))]
    return [Option(f"partner:{partner.id}", t("dash.place.scope", name=partner.name))]


def _iso(moment: datetime) -> str:
    """Return a moment as stored in the database (UTC, milliseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _weeks(period: str, week: str) -> list[str]:
    """Return the weeks of the period ending with `week`, oldest first."""
    span = next(count for name, count in SPAN.items() if name == period)
    return weeks_ending(week, span)


# --------------------------------------------------------------------------- surveys


@dataclass(frozen=True)
class WaveFigures:
    """A closed wave's gated results in each place of an area (the digest's headline)."""

    wave_id: int
    survey: Survey
    closes_at: str
    places: tuple[ScopeResult, ...]


_WAVES = TypeAdapter(tuple[WaveFigures, ...])


class SurveysView:
    """Survey waves closed in the period that reached the place, with their results."""

    name = "surveys"
    admin_only = False
    tables: Mapping[str, tuple[str, ...]] = {
        "waves": ("wave_id", "survey", "closes_on", "survey_place", "respondents"),
        "answers": ("wave_id", "survey", "survey_place", "question", "survey_answer",
                    "answer_people"),
        "averages": ("wave_id", "survey", "survey_place", "question", "median", "mean"),
    }  # fmt: skip

    def __init__(self, figures: DashboardFigures, sources: Sources, tax: Taxonomy) -> None:
        self._figures = figures
        self._sources = sources
        self._ref = sources.reference
        self._tax = tax
        self._waves = SurveyRepository(sources.db)
        self._results = SurveyResults(sources.db, sources.anonymity_k)

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.view.surveys")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build the closed waves' results."""
        t = ctx.t
        places = Scope(ctx.viewer, self._ref).places(t)
        if not places:
            raise NotFound("no place")
        # Only the places offered (territories, or a partner's cores as its digest has them):
        # a core or a commune next to its territory would need masking these results lack.
        place = _choice(ctx, "place", [o.value for o in places], places[0].value)
        period, period_f = period_filter(ctx)
        week, week_f = week_filter(ctx, self._figures)
        area = area_of(place, ctx.viewer, self._ref)
        waves: list[WaveFigures] = []
        for each in _weeks(period, week):
            waves += await self._week(area, each)
        waves_table, answers, averages = self._tables(t, waves)
        k = self._sources.anonymity_k
        return ViewPage(
            self.name,
            t("dash.view.surveys"),
            (Filter("place", t("dash.filter.place"), tuple(places), place), period_f, week_f),
            (
                Section(
                    "waves",
                    t("dash.section.waves"),
                    waves_table,
                    intro=t(
                        "dash.surveys.intro",
                        period=t(f"dash.period.{period}").lower(),
                        week=week,
                        k=k,
                    ),
                ),
                Section("answers", t("dash.section.answers"), answers,
                        intro=t("dash.answers.intro", k=k)),
                Section("averages", t("dash.section.averages"), averages),
            ),
        )  # fmt: skip

    async def _week(self, area: Area, week: str) -> list[WaveFigures]:
        """Return the waves closed in a week, frozen once every wave due that week closed."""
        if self._sources.surveys is None:
            return []  # no definitions to read waves with: nothing to show, nothing to keep
        start, end = window("week", week, self._sources.tz)
        since, until = _iso(start), _iso(end)

        async def compute() -> tuple[WaveFigures, ...]:
            return await self._count(area, since, until)

        # A wave due on Sunday night is closed by a job a little later: until then the week
        # is not complete, so it is shown as it is but not kept.
        open_waves = await self._waves.waves_to_close(until)
        if any(w.closes_at >= since for w in open_waves):
            return list(await compute())
        kept = await frozen(
            self._sources.db,
            self.name,
            area.key,
            "week",
            week,
            compute,
            _WAVES,
            now=self._sources.clock(),
        )
        return list(kept)

    async def _count(self, area: Area, since: str, until: str) -> tuple[WaveFigures, ...]:
        """Gather the gated results of the waves closed in [since, until) reaching an area."""
        definitions = self._sources.surveys
        assert definitions is not None
        found: list[WaveFigures] = []
        for wave in await self._waves.waves_closed_between(since, until):
            survey = definitions.get(wave.survey_id)
            if survey is None or not reaches(
                wave, area.territories, area.cores, self._territory_of
            ):
                continue
            results = await self._results.of_wave(wave, survey)
            # As the digest: each core masked against its territory, or each territory.
            places = results.for_places(area.territories, area.cores, self._territory_of)
            found.append(WaveFigures(wave.id, survey, wave.closes_at, tuple(places)))
        return tuple(found)

    def _territory_of(self, core_id: str) -> str | None:
        core = self._ref.core(core_id)
        return core.territory if core is not None else None

    def _place_name(self, lang: str, scope_id: str | None) -> str:
        if scope_id is None:
            return ""
        place = self._ref.core(scope_id) or self._ref.territory(scope_id)
        return place.name(lang) if place is not None else scope_id

    def _tables(self, t: Translator, waves: Sequence[WaveFigures]) -> tuple[Table, Table, Table]:
        """Lay the waves out: respondents per place, people per answer, medians and means."""
        lang = t.lang
        wave_rows: list[tuple[Cell, ...]] = []
        answer_rows: list[tuple[Cell, ...]] = []
        average_rows: list[tuple[Cell, ...]] = []
        for wave in waves:
            title = wave.survey.title.get(lang)
            closes = datetime.fromisoformat(wave.closes_at).astimezone(self._sources.tz)
            for place in wave.places:
                name = self._place_name(lang, place.scope_id)
                wave_rows.append(
                    (wave.wave_id, title, closes.date().isoformat(), name, place.respondents)
                )
                if place.respondents is None:
                    continue  # under k respondents: nothing of theirs is shown
                for question in wave.survey.questions:
                    result = place.questions.get(question.id)
                    text = short(question.text.get(lang), QUESTION_CHARS)
                    head = (wave.wave_id, title, name, text)
                    if isinstance(question, NumberQuestion):
                        if result is not None and result.answered is not None:
                            average_rows.append((*head, result.median, result.mean))
                        else:
                            answer_rows.append((*head, t("dash.survey.all_answers"), None))
                        continue
                    cells = result.cells if result is not None else ()
                    for cell in cells:
                        label = answer_label(t, self._tax, question, cell.value)
                        answer_rows.append((*head, label, cell.count))
                    if not cells:
                        answer_rows.append((*head, t("dash.survey.all_answers"), None))
                    if (
                        isinstance(question, ScaleQuestion)
                        and result is not None
                        and result.mean is not None
                    ):
                        average_rows.append((*head, None, result.mean))
        base = (col(t, "wave_id"), col(t, "survey"))
        return (
            Table(
                "waves",
                (*base, col(t, "closes_on"), col(t, "survey_place"),
                 col(t, "respondents", True)),
                tuple(wave_rows),
            ),
            Table(
                "answers",
                (*base, col(t, "survey_place"), col(t, "question"), col(t, "survey_answer"),
                 col(t, "answer_people", True)),
                tuple(answer_rows),
            ),
            Table(
                "averages",
                # Not counts: shown only where the question's answers are, "—" otherwise.
                (*base, col(t, "survey_place"), col(t, "question"),
                 Column("median", t("dash.col.median"), True, derived=True),
                 Column("mean", t("dash.col.mean"), True, derived=True)),
                tuple(average_rows),
            ),
        )  # fmt: skip


# --------------------------------------------------------------------------- voices


class VoicesView:
    """Scrubbed quotes of people who accepted being quoted, per factor and week."""

    name = "voices"
    admin_only = False
    tables: Mapping[str, tuple[str, ...]] = {
        "quotes": ("week", "factor_id", "factor", "quote"),
    }

    def __init__(self, figures: DashboardFigures, sources: Sources, tax: Taxonomy) -> None:
        self._figures = figures
        self._sources = sources
        self._ref = sources.reference
        self._tax = tax
        self._repo = DigestRepository(sources.db)

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.view.voices")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build the quotes of a place's week."""
        t, scope = ctx.t, Scope(ctx.viewer, self._ref)
        places, place = scope.chosen(ctx)
        if place not in [o.value for o in places]:
            places = [*places, Option(place, self._place_label(t, place))]
        week, week_f = week_filter(ctx, self._figures)
        factor = _choice(ctx, "factor", (ANY, *FACTOR_IDS), ANY)
        area = area_of(place, ctx.viewer, self._ref)
        released = await self._figures.week(week, ROLE)
        start, end = window("week", week, self._sources.tz)
        found: list[tuple[str, list[str]]] = []
        for wanted in FACTOR_IDS if factor == ANY else (factor,):
            # As the digest: quotes only where the factor's people are shown, so that a quote
            # never stands for a group smaller than k.
            if released.people(place, "week", wanted) is None:
                continue
            texts = await self._repo.quotable_texts(
                territories=area.territories,
                cores=area.cores,
                role=ROLE,
                factor=wanted,
                since=_iso(start),
                until=_iso(end),
                limit=QUOTES_PER_FACTOR,
            )
            if texts:
                found.append((wanted, [text for _, text in texts]))
        # The scrubber runs many regular expressions: off the event loop.
        scrubbed = await asyncio.to_thread(
            lambda: [(f, [scrub_quote(text) for text in texts]) for f, texts in found]
        )
        rows: list[tuple[Cell, ...]] = [
            (week, f, self._tax.get(f).title(t.lang), quote)
            for f, quotes in scrubbed
            for quote in quotes
        ]
        table = Table(
            "quotes",
            (col(t, "week"), col(t, "factor_id"), col(t, "factor"), col(t, "quote")),
            tuple(rows),
        )
        filters = (
            Filter("place", t("dash.filter.place"), tuple(places), place),
            week_f,
            Filter("factor", t("dash.filter.factor"), factor_options(t, self._tax, True), factor),
        )
        return ViewPage(
            self.name,
            t("dash.view.voices"),
            filters,
            (
                Section(
                    "quotes",
                    t("dash.section.quotes"),
                    table,
                    intro=t(
                        "dash.voices.intro",
                        week=week,
                        k=self._sources.anonymity_k,
                        n=QUOTES_PER_FACTOR,
                    ),
                ),
            ),
        )

    def _place_label(self, t: Translator, place: str) -> str:
        kind, _, rest = place.partition(":")
        if kind == "core" and (core := self._ref.core(rest)) is not None:
            return core.name(t.lang)
        return rest.rsplit(":", 1)[-1]


# --------------------------------------------------------------------------- since


@dataclass(frozen=True)
class CampaignCell:
    """A core's arrivals through one campaign in one week (None: hidden)."""

    core_id: str
    campaign: str
    consented: int | None
    onboarded: int | None


_CAMPAIGNS = TypeAdapter(tuple[CampaignCell, ...])
_CANDIDATES = TypeAdapter(CandidateFigures)
_OPPORTUNITIES = TypeAdapter(OpportunityFigures)

_CANDIDATE_COLUMNS = (
    "new_candidates",
    "sessions_held",
    "sessions_attended",
    "coaching_requests",
    "accepted_48h",
    "appointments_held",
)
_OPPORTUNITY_COLUMNS = (
    "needs_people",
    "cells_listed",
    "cells_new",
    "cells_median_m2",
    "cells_median_days",
    "cell_interests",
    "popup_applications",
    "food_producers",
    "food_wishes",
    "matches_proposed",
    "matches_accepted",
)
# Territory-wide figures: sessions, the pop-up and the food chain belong to a territory, so
# an area of some cores has none (the reports give none).
_TERRITORY_ONLY = frozenset(
    {
        "sessions_held",
        "sessions_attended",
        "popup_applications",
        "food_producers",
        "food_wishes",
        "matches_proposed",
        "matches_accepted",
    }
)
_PARTS = ("week", "part_id", "part", "part_people")


class SinceView:
    """What came since: campaigns, candidate entrepreneurs, needs and offers, week by week."""

    name = "since"
    admin_only = False
    tables: Mapping[str, tuple[str, ...]] = {
        "campaigns": ("week", "core_id", "core", "campaign_id", "campaign", "consented",
                      "onboarded"),
        "candidates": ("week", *_CANDIDATE_COLUMNS),
        "candidate_parts": _PARTS,
        "opportunities": ("week", *_OPPORTUNITY_COLUMNS),
        "opportunity_parts": _PARTS,
    }  # fmt: skip

    def __init__(self, figures: DashboardFigures, sources: Sources) -> None:
        self._figures = figures
        self._sources = sources
        self._ref = sources.reference
        self._campaigns = CampaignRepository(sources.db)

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.view.since")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build what came since, for the chosen place and period."""
        t = ctx.t
        places = digest_places(ctx.viewer, self._ref, t)
        if not places:
            raise NotFound("no place")
        place = _choice(ctx, "place", [o.value for o in places], places[0].value)
        period, period_f = period_filter(ctx)
        week, week_f = week_filter(ctx, self._figures)
        area = area_of(place, ctx.viewer, self._ref)
        # Week by week, each week as the digest counts it, and no total over several weeks:
        # next to the weeks shown, a total would give the hidden ones away by subtraction.
        weeks = _weeks(period, week)
        k = self._sources.anonymity_k
        sections = [
            Section(
                "campaigns",
                t("dash.section.campaigns"),
                await self._campaign_table(t, area, weeks),
                intro=t("dash.campaigns.intro"),
            )
        ]
        if self._sources.candidates is not None:
            candidates = [await self._candidates_of(area, w) for w in weeks]
            whole, parts = self._candidate_tables(t, area, weeks, candidates)
            sections += [
                Section("candidates", t("dash.section.candidates"), whole),
                Section("candidate_parts", t("dash.section.candidate_parts"), parts,
                        intro=t("dash.parts.intro", k=k)),
            ]  # fmt: skip
        if self._sources.opportunities is not None:
            opportunities = [await self._opportunities_of(area, w) for w in weeks]
            whole, parts = self._opportunity_tables(t, area, weeks, opportunities)
            sections += [
                Section("opportunities", t("dash.section.opportunities"), whole),
                Section("opportunity_parts", t("dash.section.opportunity_parts"), parts,
                        intro=t("dash.parts.intro", k=k)),
            ]  # fmt: skip
        return ViewPage(
            self.name,
            t("dash.view.since"),
            (Filter("place", t("dash.filter.place"), tuple(places), place), period_f, week_f),
            tuple(sections),
            intro=t("dash.since.intro", period=t(f"dash.period.{period}").lower(), week=week),
        )

    # ------------------------------------------------------------------ frozen weeks

    async def _keep(
        self,
        what: str,
        area: Area,
        week: str,
        compute: Callable[[], Awaitable[T]],
        adapter: TypeAdapter[T],
    ) -> T:
        """Return a block's figures of a closed week, computed once and then kept."""
        return await frozen(
            self._sources.db,
            f"{self.name}/{what}",
            area.key,
            "week",
            week,
            compute,
            adapter,
            now=self._sources.clock(),
        )

    async def _candidates_of(self, area: Area, week: str) -> CandidateFigures:
        report = self._sources.candidates
        assert report is not None
        start, end = window("week", week, self._sources.tz)

        async def compute() -> CandidateFigures:
            return await report.figures(area.territories, area.cores, start, end)

        return await self._keep("candidates", area, week, compute, _CANDIDATES)

    async def _opportunities_of(self, area: Area, week: str) -> OpportunityFigures:
        report = self._sources.opportunities
        assert report is not None
        start, end = window("week", week, self._sources.tz)

        async def compute() -> OpportunityFigures:
            return await report.figures(area.territories, area.cores, start, end)

        return await self._keep("opportunities", area, week, compute, _OPPORTUNITIES)

    async def _campaigns_of(self, area: Area, week: str) -> tuple[CampaignCell, ...]:
        async def compute() -> tuple[CampaignCell, ...]:
            return await self._count_campaigns(area, week)

        return await self._keep("campaigns", area, week, compute, _CAMPAIGNS)

    async def _count_campaigns(self, area: Area, week: str) -> tuple[CampaignCell, ...]:
        """Gate a week's arrivals per core and campaign, as the reach report does."""
        k = self._sources.anonymity_k
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for territory in area.territories:
            for row in await self._campaigns.since(week, territory):
                if row.week != week or (area.cores and row.core_id not in area.cores):
                    continue
                cell = sums[(row.core_id, row.campaign)]
                cell[0] += row.consented
                cell[1] += row.onboarded
        cells: list[CampaignCell] = []
        for (core_id, campaign), (consented, onboarded) in sorted(sums.items()):
            # Finishing onboarding is a subset of accepting: the gap is no small group.
            shown_onboarded, shown_consented = nested([onboarded, consented], k)
            # A row of hidden cells would still tell that a few people came: none is kept.
            if shown_consented is not None or shown_onboarded is not None:
                cells.append(CampaignCell(core_id, campaign, shown_consented, shown_onboarded))
        return tuple(cells)

    # ------------------------------------------------------------------ tables

    async def _campaign_table(self, t: Translator, area: Area, weeks: Sequence[str]) -> Table:
        rows: list[tuple[Cell, ...]] = []
        for week in weeks:
            for cell in await self._campaigns_of(area, week):
                core = self._ref.core(cell.core_id)
                rows.append(
                    (
                        week,
                        cell.core_id,
                        core.name(t.lang) if core is not None else cell.core_id,
                        cell.campaign,
                        self._campaign_label(t, cell.campaign),
                        cell.consented,
                        cell.onboarded,
                    )
                )
        return Table(
            "campaigns",
            (
                col(t, "week"),
                col(t, "core_id"),
                col(t, "core"),
                col(t, "campaign_id"),
                col(t, "campaign"),
                col(t, "consented", True),
                col(t, "onboarded", True),
            ),
            tuple(rows),
        )

    @staticmethod
    def _campaign_label(t: Translator, campaign: str) -> str:
        known = {str(c) for c in Campaign}
        return t(f"dash.campaign.{campaign}") if campaign in known else campaign

    def _candidate_tables(
        self,
        t: Translator,
        area: Area,
        weeks: Sequence[str],
        figures: Sequence[CandidateFigures],
    ) -> tuple[Table, Table]:
        keys = [c for c in _CANDIDATE_COLUMNS if not (area.cores and c in _TERRITORY_ONLY)]
        rows: list[tuple[Cell, ...]] = []
        parts: list[tuple[Cell, ...]] = []
        for week, f in zip(weeks, figures, strict=True):
            values: dict[str, Cell] = {
                "new_candidates": f.new_candidates,
                "sessions_held": f.sessions_held,
                "sessions_attended": f.sessions_attended,
                "coaching_requests": f.requests,
                "accepted_48h": f.accepted_48h,
                "appointments_held": f.appointments_held,
            }
            rows.append((week, *(values[key] for key in keys)))
            if f.new_candidates is None:
                continue  # no parts of a hidden total (the report gives none)
            for stage in STAGES:
                label = t("dash.part.stage", name=t(f"project.stage_{stage}"))
                parts.append((week, f"stage:{stage}", label, f.by_stage.get(stage)))
            for sector_id, count in sorted(f.by_sector.items(), key=lambda i: (-i[1], i[0])):
                sector = self._ref.sector(sector_id)
                name = sector.label(t.lang) if sector is not None else sector_id
                parts.append(
                    (week, f"sector:{sector_id}", t("dash.part.sector", name=name), count)
                )
        return (
            Table(
                "candidates",
                (col(t, "week"), *(col(t, key, True) for key in keys)),
                tuple(rows),
            ),
            Table("candidate_parts", self._part_columns(t), tuple(parts)),
        )

    def _opportunity_tables(
        self,
        t: Translator,
        area: Area,
        weeks: Sequence[str],
        figures: Sequence[OpportunityFigures],
    ) -> tuple[Table, Table]:
        keys = [c for c in _OPPORTUNITY_COLUMNS if not (area.cores and c in _TERRITORY_ONLY)]
        rows: list[tuple[Cell, ...]] = []
        parts: list[tuple[Cell, ...]] = []
        for week, f in zip(weeks, figures, strict=True):
            values: dict[str, Cell] = {
                "needs_people": f.needs_people,
                "cells_listed": f.cells_listed,
                "cells_new": f.cells_new,
                "cells_median_m2": f.cells_median_m2,
                "cells_median_days": f.cells_median_days,
                "cell_interests": f.cell_interests,
                "popup_applications": f.popup_applications,
                "food_producers": f.producers,
                "food_wishes": f.food_wishes,
                "matches_proposed": f.matches_proposed,
                "matches_accepted": f.matches_accepted,
            }
            rows.append((week, *(values[key] for key in keys)))
            if f.needs_people is not None:
                ranked = sorted(f.needs_by_sector.items(), key=lambda i: (-i[1], i[0]))
                for sector_id, count in ranked:
                    need = self._ref.need(sector_id)
                    name = need.label(t.lang) if need is not None else sector_id
                    parts.append(
                        (week, f"need:{sector_id}", t("dash.part.need", name=name), count)
                    )
            if not area.cores and f.popup_applications is not None:
                for outcome in POPUP_OUTCOMES:
                    label = t("dash.part.popup", name=t(f"dash.popup_outcome.{outcome}"))
                    parts.append((week, f"popup:{outcome}", label, f.popup_outcomes.get(outcome)))
        return (
            Table(
                "opportunities",
                (col(t, "week"), *(col(t, key, True) for key in keys)),
                tuple(rows),
            ),
            Table("opportunity_parts", self._part_columns(t), tuple(parts)),
        )

    @staticmethod
    def _part_columns(t: Translator) -> tuple[Column, ...]:
        return (col(t, "week"), col(t, "part_id"), col(t, "part"), col(t, "part_people", True))
