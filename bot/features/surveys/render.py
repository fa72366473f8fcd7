"""Say survey results and answers in words, for respondents, admins and digests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.features.surveys.definitions import (
    ChoiceQuestion,
    FactorChoiceQuestion,
    FreeTextQuestion,
    MultipleChoiceQuestion,
    NumberQuestion,
    ScaleQuestion,
    YesNoQuestion,
)
from bot.features.surveys.results import QuestionResult, ScopeResult, WaveResults
from bot.i18n import Translator
from nlp.taxonomy import FACTOR_IDS, Taxonomy


def results_text(
    t: Translator,
    results: WaveResults,
    places: list[tuple[str, ScopeResult | None]],
    label: Callable[[Any, str], str],
    k: int,
) -> str:
    """Write a wave's results for some places, question by question, small counts hidden."""
    survey = results.survey
    lines = [t("survey.results_header", title=survey.title.get(t.lang))]
    for name, scope in places:
        count = (
            t("echo.fewer", k=k)
            if scope is None or scope.respondents is None
            else str(scope.respondents)
        )
        lines.append(t("survey.results_people", place=name, n=count))
    for question in survey.questions:
        lines += ["", "• " + short(question.text.get(t.lang))]
        for name, scope in places:
            result = scope.questions.get(question.id) if scope and scope.respondents else None
            lines.append(f"   {name}: " + result_line(t, question, result, label, k))
    return "\n".join(lines)


def answer_label(t: Translator, taxonomy: Taxonomy, question: Any, value: str) -> str:
    """Say one possible answer of a question in words."""
    if isinstance(question, ChoiceQuestion | MultipleChoiceQuestion):
        return next((o.label.get(t.lang) for o in question.options if o.id == value), value)
    if isinstance(question, YesNoQuestion):
        return t("survey.yes" if value == "yes" else "survey.no")
    if isinstance(question, FactorChoiceQuestion | FreeTextQuestion) and value in FACTOR_IDS:
        return taxonomy.get(value).title(t.lang)
    return value


def short(text: str, limit: int = 90) -> str:
    """Return a question's first line, cut to `limit` characters."""
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


def result_line(
    t: Translator,
    question: Any,
    result: QuestionResult | None,
    label: Callable[[Any, str], str],
    k: int,
) -> str:
    """Say one question's result in one place: top answers, median or mean; small ones hidden."""
    fewer = t("echo.fewer", k=k)
    if result is None or (result.answered is None and not result.cells):
        return fewer
    if isinstance(question, NumberQuestion):
        return t("survey.results_number", median=f"{result.median:g}", mean=f"{result.mean:g}")
    shown = sorted((c for c in result.cells if c.count), key=lambda c: -(c.count or 0))
    parts = [f"{label(question, c.value)} {c.count}" for c in shown[:5]]
    if any(c.count is None for c in result.cells):
        parts.append(t("survey.results_rest", k=k))
    if result.mean is not None and isinstance(question, ScaleQuestion):
        parts.append(t("survey.results_mean", mean=f"{result.mean:g}"))
    return " · ".join(parts) if parts else fewer
