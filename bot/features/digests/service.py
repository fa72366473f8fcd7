"""Build a partner's weekly digest figures: never a group of 1 to k-1 people, even by subtraction.

Counts, emerging signals, quotes, follow-up outcomes and the survey waves closed that week;
rendering is in digest_flow (text, chart, CSV) and digest_html, delivery in digest_dispatch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from bot.features.digests.store import DigestRepository
from bot.features.entrepreneurs.report import CandidateFigures, CandidateReport
from bot.features.opportunities.report import OpportunityFigures, OpportunityReport
from bot.features.partners.store import Partner
from bot.features.surveys.definitions import Survey, Surveys
from bot.features.surveys.results import ScopeResult, SurveyResults, reaches
from bot.features.surveys.store import SurveyRepository
from bot.reference import Reference
from bot.shared.gate import parts
from bot.shared.schedule import last_full_week, week_bounds
from bot.storage import Database
from bot.storage.unheard import UnheardRepository
from nlp.anonymize import anonymize
from nlp.taxonomy import FACTOR_IDS

WEEKS_BACK = 4
TOP_CORES = 3
ROLE = "shopkeeper"
# "Clearly above its own recent level": at least twice the 4-week average (and at least k).
EMERGING_RATIO = 2.0
QUOTES_PER_FACTOR = 2
QUOTE_CHARS = 200
OUTCOMES = ("solved", "still_there", "worse")


@dataclass(frozen=True)
class CoreCount:
    """People in one core raising a factor this week."""

    core_id: str
    people: int


@dataclass(frozen=True)
class FactorLine:
    """One factor this week in the partner's scope; None means hidden."""

    factor: str
    people: int | None
    average: float | None
    top_cores: tuple[CoreCount, ...]


@dataclass(frozen=True)
class Emerging:
    """A factor in a core clearly above its own recent level (at least k people).

    The exact number is given only when the factor's top cores show it too: otherwise the
    factor's total minus it could tell a small group elsewhere.
    """

    core_id: str
    factor: str
    people: int | None


@dataclass(frozen=True)
class SurveyHeadline:
    """A survey wave closed in the period: its results in each place of the partner's scope.

    Places are the partner's territories, or its cores when it sees only some; each is
    protected as survey results always are (below k hidden, no subtraction between places).
    """

    wave_id: int
    survey: Survey
    places: tuple[ScopeResult, ...]


@dataclass(frozen=True)
class Quote:
    """A scrubbed extract, with the concern it came from (deleted concerns are not quoted)."""

    concern_id: int
    text: str


@dataclass(frozen=True)
class DigestFigures:
    """The counted part of one partner's digest for one week."""

    partner_id: int
    week: str
    concerns: int | None
    people: int | None
    factors: tuple[FactorLine, ...]
    emerging: tuple[Emerging, ...]
    # Up to two scrubbed extracts per shown factor, from people who accepted being quoted.
    quotes: dict[str, tuple[Quote, ...]] = field(default_factory=dict)
    # Follow-up answers given this week: distinct people per answer (None below k).
    outcomes: dict[str, int | None] = field(default_factory=dict)
    surveys: tuple[SurveyHeadline, ...] = ()
    # Voice notes the bot could not hear in the partner's territories (None below k).
    unheard: int | None = None
    # The entrepreneurs' path in the partner's scope (None: nothing happened this week).
    candidates: CandidateFigures | None = None
    # Needs and offers in the partner's scope (None: nothing passes the gate this week).
    opportunities: OpportunityFigures | None = None


class DigestService:
    """Count a week for a partner, within its scope only, with small groups hidden."""

    def __init__(
        self,
        db: Database,
        anonymity_k: int,
        tz: ZoneInfo,
        surveys: Surveys | None = None,
        reference: Reference | None = None,
        candidates: CandidateReport | None = None,
        opportunities: OpportunityReport | None = None,
    ) -> None:
        self._candidates = candidates
        self._opportunities = opportunities
        self._repo = DigestRepository(db)
        self._unheard_counts = UnheardRepository(db)
        self._waves = SurveyRepository(db)
        self._results = SurveyResults(db, anonymity_k)
        self._surveys = surveys
        self._ref = reference
        self._k = anonymity_k
        self._tz = tz

    async def figures(
        self, partner: Partner, week: str, now: datetime | None = None
    ) -> DigestFigures:
        """Return an ISO week's figures (Monday to Sunday, local time) for a partner.

        A finished week is counted once and kept: every later send (a retry, another chat,
        the e-mail, /digest) shows the same figures, so none can be subtracted from another.
        Quotes of concerns deleted since are left out.
        """
        start, end = week_bounds(week, self._tz)
        moment = now or datetime.now(UTC)
        if end > moment:
            return await self.figures_between(partner, start, end, week)
        stored = await self._repo.snapshot(partner.id, week)
        if stored is None:
            counted = await self.figures_between(partner, start, end, week)
            stored = await self._repo.keep_snapshot(
                partner.id, week, _FIGURES.dump_json(counted).decode("utf-8"), _iso(moment)
            )
        figures = _FIGURES.validate_json(stored)
        quoted = [q.concern_id for quotes in figures.quotes.values() for q in quotes]
        alive = await self._repo.existing_concerns(quoted)
        kept = {
            factor: tuple(q for q in quotes if q.concern_id in alive)
            for factor, quotes in figures.quotes.items()
        }
        return replace(figures, quotes={f: q for f, q in kept.items() if q})

    async def last_week(self, partner: Partner, now: datetime | None = None) -> DigestFigures:
        """Return the figures of the last full week, the same as its weekly digest."""
        moment = now or datetime.now(UTC)
        return await self.figures(partner, last_full_week(moment, self._tz), moment)

    async def figures_between(
        self, partner: Partner, start: datetime, end: datetime, label: str
    ) -> DigestFigures:
        """Return the figures of [start, end), compared with the four 7-day spans before."""
        starts = [
            (start - timedelta(weeks=WEEKS_BACK - i)).isoformat(timespec="milliseconds")
            for i in range(WEEKS_BACK)
        ] + [start.isoformat(timespec="milliseconds")]
        until = end.isoformat(timespec="milliseconds")
        territories, cores_in_scope = partner.territories, partner.cores
        concerns, people = await self._repo.activity(
            territories=territories,
            cores=cores_in_scope,
            role=ROLE,
            since=starts[-1],
            until=until,
        )
        lines: list[FactorLine] = []
        emerging: list[Emerging] = []
        for factor in FACTOR_IDS:
            totals = await self._people(territories, cores_in_scope, factor, starts, until, False)
            by_core = await self._people(territories, cores_in_scope, factor, starts, until, True)
            weekly = [0] * (WEEKS_BACK + 1)
            for _, index, count in totals:
                weekly[index] = count
            now = weekly[WEEKS_BACK]
            average = sum(weekly[:WEEKS_BACK]) / WEEKS_BACK
            cores: dict[str, list[int]] = defaultdict(lambda: [0] * (WEEKS_BACK + 1))
            for core_id, index, count in by_core:
                if core_id is not None:
                    cores[core_id][index] = count
            # Four times the average is the four weeks' total: minus the weeks shown in earlier
            # digests, it would tell a hidden one. Shown only when no week was hidden.
            shown_weeks = all(n == 0 or n >= self._k for n in weekly[:WEEKS_BACK])
            lines.append(
                FactorLine(
                    factor=factor,
                    people=now if now >= self._k else None,
                    average=round(average, 1) if shown_weeks and average > 0 else None,
                    top_cores=self._top_cores(now, cores),
                )
            )
            for core_id, counts in cores.items():
                core_average = sum(counts[:WEEKS_BACK]) / WEEKS_BACK
                current = counts[WEEKS_BACK]
                if current >= self._k and current >= EMERGING_RATIO * max(1.0, core_average):
                    shown = CoreCount(core_id, current) in lines[-1].top_cores
                    emerging.append(Emerging(core_id, factor, current if shown else None))
        shown = people >= self._k
        lines.sort(key=lambda line: (line.people is None, -(line.people or 0)))
        quotes: dict[str, tuple[Quote, ...]] = {}
        for line in lines:
            if line.people is None:
                continue
            texts = await self._repo.quotable_texts(
                territories=territories,
                cores=cores_in_scope,
                role=ROLE,
                factor=line.factor,
                since=starts[-1],
                until=until,
                limit=QUOTES_PER_FACTOR,
            )
            if texts:
                quotes[line.factor] = tuple(Quote(cid, _quote(text)) for cid, text in texts)
        given = await self._repo.follow_up_outcomes(
            territories=territories,
            cores=cores_in_scope,
            role=ROLE,
            since=starts[-1],
            until=until,
        )
        outcomes = {a: (n if (n := given.get(a, 0)) >= self._k else None) for a in OUTCOMES}
        return DigestFigures(
            partner_id=partner.id,
            week=label,
            concerns=concerns if shown else None,
            people=people if shown else None,
            factors=tuple(lines),
            emerging=tuple(sorted(emerging, key=lambda e: (e.factor, e.core_id))),
            quotes=quotes,
            outcomes=outcomes,
            surveys=await self._survey_headlines(partner, starts[-1], until),
            unheard=await self._unheard(territories, start, end),
            candidates=await self._candidate_figures(territories, cores_in_scope, start, end),
            opportunities=await self._opportunity_figures(territories, cores_in_scope, start, end),
        )

    async def _candidate_figures(
        self, territories: Sequence[str], cores: Sequence[str], start: datetime, end: datetime
    ) -> CandidateFigures | None:
        if self._candidates is None:
            return None
        figures = await self._candidates.figures(territories, cores, start, end)
        return figures if figures.shows_something else None

    async def _opportunity_figures(
        self, territories: Sequence[str], cores: Sequence[str], start: datetime, end: datetime
    ) -> OpportunityFigures | None:
        if self._opportunities is None:
            return None
        figures = await self._opportunities.figures(territories, cores, start, end)
        return figures if figures.shows_something else None

    async def _unheard(
        self, territories: Sequence[str], start: datetime, end: datetime
    ) -> int | None:
        # Counted per UTC day: the week's edges may be off by the hours of the time zone.
        total = await self._unheard_counts.total(
            territories,
            start.astimezone(UTC).date().isoformat(),
            end.astimezone(UTC).date().isoformat(),
        )
        return total if total >= self._k else None

    async def _survey_headlines(
        self, partner: Partner, since: str, until: str
    ) -> tuple[SurveyHeadline, ...]:
        """Return the waves closed in [since, until) that reached the partner's scope."""
        if self._surveys is None:
            return ()
        headlines = []
        for wave in await self._waves.waves_closed_between(since, until):
            survey = self._surveys.get(wave.survey_id)
            if survey is None or not reaches(
                wave, partner.territories, partner.cores, self._territory_of
            ):
                continue
            results = await self._results.of_wave(wave, survey)
            places = results.for_places(partner.territories, partner.cores, self._territory_of)
            headlines.append(SurveyHeadline(wave.id, survey, tuple(places)))
        return tuple(headlines)

    def _territory_of(self, core_id: str) -> str | None:
        core = self._ref.core(core_id) if self._ref is not None else None
        return core.territory if core is not None else None

    async def _people(
        self,
        territories: tuple[str, ...],
        cores: tuple[str, ...],
        factor: str,
        starts: list[str],
        until: str,
        per_core: bool,
    ) -> list[tuple[str | None, int, int]]:
        return await self._repo.people_by_week(
            territories=territories,
            cores=cores,
            role=ROLE,
            factor=factor,
            week_starts=starts,
            until=until,
            per_core=per_core,
        )

    def _top_cores(self, total: int, cores: dict[str, list[int]]) -> tuple[CoreCount, ...]:
        """Cores at or above k, biggest first, never leaving 1 to k-1 people unaccounted."""
        # The one gate: the total minus the cores shown is everyone else, none or at least k.
        shown, _ = parts({c: v[WEEKS_BACK] for c, v in cores.items()}, total, self._k, TOP_CORES)
        ranked = sorted(shown, key=lambda c: (-shown[c], c))
        return tuple(CoreCount(c, shown[c]) for c in ranked)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _quote(text: str) -> str:
    """Scrub names, phone numbers, e-mail and the like, then keep it short."""
    scrubbed = " ".join(anonymize(text).split())
    if len(scrubbed) <= QUOTE_CHARS:
        return scrubbed
    return scrubbed[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"


# Figures are kept as JSON (digest_snapshots); the survey definition travels inside.
_FIGURES = TypeAdapter(DigestFigures)
