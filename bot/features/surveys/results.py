"""Aggregate a wave's answers per commercial core and territory, never letting a small group show.

Three protections, all with k = the anonymity threshold:
- a place with fewer than k respondents shows nothing, an answer given by fewer than k people
  shows as "fewer than k";
- for questions everyone answers once (single choice, yes/no, scale), the hidden answers
  together must be none or at least k people, else more cells are hidden (the total would give
  them away), and a group that all gave the same answer shows no cell at all;
- two places shown side by side (a core and its territory; everywhere and each territory)
  must not differ by 1 to k-1 people on anything, else the larger place's view is masked
  there (their difference is a third, small group).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.features.surveys.definitions import (
    ChoiceQuestion,
    FreeTextQuestion,
    NumberQuestion,
    ScaleQuestion,
    Survey,
    YesNoQuestion,
    answer_values,
)
from bot.features.surveys.store import SurveyRepository, Wave
from bot.storage import Database


@dataclass(frozen=True)
class Cell:
    """How many people gave one answer; None means hidden."""

    value: str
    count: int | None


@dataclass(frozen=True)
class QuestionResult:
    """One question's results in one place; None means hidden."""

    question_id: str
    answered: int | None
    cells: tuple[Cell, ...] = ()
    median: float | None = None
    mean: float | None = None
    # Free-text answers: how many were written (their factors are the cells).
    texts: int | None = None


@dataclass(frozen=True)
class ScopeResult:
    """A place's results: respondents and every question (nothing when below k)."""

    scope_id: str | None
    respondents: int | None
    questions: dict[str, QuestionResult]


@dataclass
class _Raw:
    """A place's true figures, never shown as such."""

    respondents: set[int] = field(default_factory=set)
    values: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))

    def count(self, question: Any, value: str) -> int:
        return sum(1 for v in self.values.get(question.id, []) if value in _items(v))

    def answered(self, question: Any) -> int:
        return len(self.values.get(question.id, []))


def _items(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@dataclass(frozen=True)
class WaveResults:
    """A wave's results; read them through the views, which apply every protection."""

    wave: Wave
    survey: Survey
    k: int
    _cores: dict[str | None, _Raw]
    _territories: dict[str | None, _Raw]
    _overall: _Raw

    def for_person(
        self, core_id: str | None, territory_id: str | None
    ) -> tuple[ScopeResult, ScopeResult]:
        """Return (their core, their territory), the core masked against the rest."""
        core_raw = self._cores.get(core_id, _Raw())
        territory_raw = self._territories.get(territory_id, _Raw())
        core = _scope(core_id, self.survey, core_raw, self.k)
        territory = _scope(territory_id, self.survey, territory_raw, self.k)
        return _mask(core, self.survey, territory_raw, [core_raw], self.k), territory

    def for_places(
        self,
        territories: Sequence[str],
        cores: Sequence[str],
        territory_of: Callable[[str], str | None],
    ) -> list[ScopeResult]:
        """Return the results in each place of a scope the wave reached, as partners see them.

        With cores, each core masked against its territory; else each territory, with the
        survey's protections (a territory nobody of answered comes out empty).
        """
        wave = self.wave
        if cores:
            return [
                self.for_person(core_id, territory)[0]
                for core_id in cores
                if wave.core_id in (None, core_id)
                and (territory := territory_of(core_id)) is not None
                and wave.territory_id in (None, territory)
            ]
        _, per_territory = self.for_admin()
        return [
            per_territory.get(tid) or ScopeResult(tid, None, {})
            for tid in territories
            if wave.territory_id in (None, tid)
        ]

    def for_admin(self) -> tuple[ScopeResult, dict[str | None, ScopeResult]]:
        """Return (everywhere, per territory), everywhere masked against each territory."""
        territories = {
            tid: _scope(tid, self.survey, raw, self.k) for tid, raw in self._territories.items()
        }
        overall = _scope(None, self.survey, self._overall, self.k)
        for raw in self._territories.values():
            rest = [r for r in self._territories.values() if r is not raw]
            overall = _mask(overall, self.survey, self._overall, rest, self.k)
        return overall, territories


def reaches(
    wave: Wave,
    territories: Sequence[str],
    cores: Sequence[str],
    territory_of: Callable[[str], str | None],
) -> bool:
    """Tell whether a wave's audience overlaps a scope (territories, or some of their cores)."""
    if wave.territory_id is not None and wave.territory_id not in territories:
        return False
    if wave.core_id is None:
        return True
    if cores:
        return wave.core_id in cores
    return territory_of(wave.core_id) in territories


class SurveyResults:
    """Compute results of waves from stored answers."""

    def __init__(self, db: Database, anonymity_k: int) -> None:
        self._repo = SurveyRepository(db)
        self._k = anonymity_k

    async def of_wave(self, wave: Wave, survey: Survey) -> WaveResults:
        """Gather a wave's answers per core, per territory and overall."""
        cores: dict[str | None, _Raw] = defaultdict(_Raw)
        territories: dict[str | None, _Raw] = defaultdict(_Raw)
        overall = _Raw()
        for response_id, core, territory, question_id, value in await self._repo.wave_answers(
            wave.id
        ):
            if value is None or survey.question(question_id) is None:
                continue
            for raw in (cores[core], territories[territory], overall):
                raw.respondents.add(response_id)
                raw.values[question_id].append(value)
        return WaveResults(wave, survey, self._k, dict(cores), dict(territories), overall)


def _scope(scope_id: str | None, survey: Survey, raw: _Raw, k: int) -> ScopeResult:
    if len(raw.respondents) < k:
        return ScopeResult(scope_id, None, {})
    return ScopeResult(
        scope_id,
        len(raw.respondents),
        {q.id: _question(q, raw, k) for q in survey.questions},
    )


def _question(question: Any, raw: _Raw, k: int) -> QuestionResult:
    values = raw.values.get(question.id, [])
    if len(values) < k:
        return QuestionResult(question.id, None)
    if isinstance(question, NumberQuestion):
        numbers = _numbers(values)
        if len(numbers) < k:
            return QuestionResult(question.id, None)
        return QuestionResult(
            question.id,
            len(numbers),
            median=statistics.median(numbers),
            mean=round(statistics.fmean(numbers), 1),
        )
    true = Counter(item for value in values for item in _items(value))
    possible = answer_values(question)
    shown = {v for v in possible if true[v] >= k}
    if isinstance(question, ChoiceQuestion | YesNoQuestion | ScaleQuestion):
        hidden = sum(true[v] for v in possible if v not in shown)
        for smallest in sorted(shown, key=lambda v: true[v]):
            if not 0 < hidden < k:
                break
            shown.discard(smallest)
            hidden += true[smallest]
        if len(shown) == 1 and hidden == 0:
            # Everyone gave the same answer: showing it would tell each person's answer.
            shown = set()
        cells = tuple(Cell(v, true[v] if v in shown else None) for v in possible)
        if hidden or len(shown) < 2:
            return QuestionResult(question.id, None, cells)
        mean = None
        if isinstance(question, ScaleQuestion):
            # Answers of another type (a question retyped under a wave) have no mean.
            numbers = _numbers(values)
            mean = round(statistics.fmean(numbers), 1) if numbers else None
        return QuestionResult(question.id, len(values), cells, mean=mean)
    cells = tuple(Cell(v, true[v] if v in shown else None) for v in possible)
    texts = len(values) if isinstance(question, FreeTextQuestion) else None
    return QuestionResult(question.id, len(values), cells, texts=texts)


def _numbers(values: Iterable[Any]) -> list[float]:
    # A definition changed under a wave may leave answers of another type: they are left out.
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def _mask(
    shown: ScopeResult, survey: Survey, whole: _Raw, parts: list[_Raw], k: int
) -> ScopeResult:
    """Hide what in `shown` would let `whole` minus the `parts` tell a group of 1 to k-1."""
    if shown.respondents is None:
        return shown
    rest_people = len(whole.respondents) - sum(len(p.respondents) for p in parts)
    if 0 < rest_people < k:
        return ScopeResult(shown.scope_id, None, {})
    questions = dict(shown.questions)
    for question in survey.questions:
        result = questions.get(question.id)
        if result is None:
            continue
        rest_answered = whole.answered(question) - sum(p.answered(question) for p in parts)
        if 0 < rest_answered < k:
            questions[question.id] = QuestionResult(question.id, None)
            continue

        def rest(value: str, question: Any = question) -> int:
            return whole.count(question, value) - sum(p.count(question, value) for p in parts)

        cells = tuple(
            Cell(c.value, None) if c.count is not None and 0 < rest(c.value) < k else c
            for c in result.cells
        )
        questions[question.id] = replace(result, cells=cells)
    return ScopeResult(shown.scope_id, shown.respondents, questions)
