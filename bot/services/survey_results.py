"""Aggregate a wave's answers per commercial core and per territory, suppressing small cells."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.storage import Database
from bot.storage.surveys import SurveyRepository, Wave
from bot.survey_definitions import (
    ChoiceQuestion,
    FreeTextQuestion,
    NumberQuestion,
    ScaleQuestion,
    Survey,
    YesNoQuestion,
    answer_values,
)


@dataclass(frozen=True)
class Cell:
    """How many people gave one answer; None means fewer than the anonymity threshold."""

    value: str
    count: int | None


@dataclass(frozen=True)
class QuestionResult:
    """One question's results in one place; None counts are suppressed."""

    question_id: str
    answered: int | None
    cells: tuple[Cell, ...] = ()
    median: float | None = None
    mean: float | None = None
    # Free-text answers: how many were written (their factors are the cells).
    texts: int | None = None


@dataclass(frozen=True)
class ScopeResult:
    """A place's results: respondents and every question (nothing shown below k)."""

    scope_id: str | None
    respondents: int | None
    questions: dict[str, QuestionResult]


@dataclass(frozen=True)
class WaveResults:
    """A wave's results per core, per territory, and overall."""

    wave: Wave
    survey: Survey
    by_core: dict[str | None, ScopeResult]
    by_territory: dict[str | None, ScopeResult]
    overall: ScopeResult


class SurveyResults:
    """Compute results of waves from stored answers."""

    def __init__(self, db: Database, anonymity_k: int) -> None:
        self._repo = SurveyRepository(db)
        self._k = anonymity_k

    async def of_wave(self, wave: Wave, survey: Survey) -> WaveResults:
        """Aggregate every answer of a wave at both scales."""
        rows = await self._repo.wave_answers(wave.id)
        by_core: dict[str | None, list[tuple[int, str, Any]]] = defaultdict(list)
        by_territory: dict[str | None, list[tuple[int, str, Any]]] = defaultdict(list)
        for response_id, core, territory, question_id, value in rows:
            by_core[core].append((response_id, question_id, value))
            by_territory[territory].append((response_id, question_id, value))
        everything = [(response, question, value) for response, _, _, question, value in rows]
        return WaveResults(
            wave=wave,
            survey=survey,
            by_core={c: self._scope(c, survey, a) for c, a in by_core.items()},
            by_territory={t: self._scope(t, survey, a) for t, a in by_territory.items()},
            overall=self._scope(None, survey, everything),
        )

    def _shown(self, count: int) -> int | None:
        return count if count >= self._k else None

    def _scope(
        self, scope_id: str | None, survey: Survey, answers: Iterable[tuple[int, str, Any]]
    ) -> ScopeResult:
        per_question: dict[str, list[Any]] = defaultdict(list)
        respondents: set[int] = set()
        for response_id, question_id, value in answers:
            if value is None:
                continue
            respondents.add(response_id)
            per_question[question_id].append(value)
        if len(respondents) < self._k:
            # Too few people in this place: nothing about it is shown, not even per question.
            return ScopeResult(scope_id, None, {})
        return ScopeResult(
            scope_id,
            len(respondents),
            {q.id: self._question(q, per_question.get(q.id, [])) for q in survey.questions},
        )

    def _question(self, question: Any, values: list[Any]) -> QuestionResult:
        answered = self._shown(len(values))
        if answered is None:
            return QuestionResult(question.id, None)
        if isinstance(question, NumberQuestion):
            numbers = [float(v) for v in values]
            return QuestionResult(
                question.id,
                answered,
                median=statistics.median(numbers),
                mean=round(statistics.fmean(numbers), 1),
            )
        counts: Counter[str] = Counter()
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                counts[str(item)] += 1
        cells = tuple(Cell(v, self._shown(counts[v])) for v in answer_values(question))
        if isinstance(question, ChoiceQuestion | YesNoQuestion | ScaleQuestion):
            cells, complete = _protect_partition(cells)
            if not complete:
                # A hidden cell could be recovered from the total (or the mean): hide them too.
                return QuestionResult(question.id, None, cells)
        if isinstance(question, ScaleQuestion):
            scores = [float(v) for v in values]
            return QuestionResult(
                question.id, answered, cells, mean=round(statistics.fmean(scores), 1)
            )
        if isinstance(question, FreeTextQuestion):
            return QuestionResult(question.id, answered, cells, texts=answered)
        return QuestionResult(question.id, answered, cells)


def _protect_partition(cells: tuple[Cell, ...]) -> tuple[tuple[Cell, ...], bool]:
    """Return cells safe to show for an answer everyone gives once, and whether none is hidden.

    With one hidden cell, the shown ones and the number of respondents would give it away:
    the smallest shown cell is hidden with it.
    """
    hidden = [c for c in cells if c.count is None and c.value]
    shown = [c for c in cells if c.count is not None]
    if not hidden:
        return cells, True
    if len(hidden) == 1 and shown:
        smallest = min(shown, key=lambda c: c.count or 0)
        cells = tuple(Cell(c.value, None) if c is smallest else c for c in cells)
    return cells, False
