"""Write a survey's responses as CSV: one row per response, nothing that identifies anyone."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from bot.features.surveys.definitions import Survey
from bot.features.surveys.store import SurveyRepository
from bot.storage import Database

# Free text is never exported: only the factors it was filed under.
FIXED_COLUMNS = ("wave", "status", "territory", "core", "role", "month")


async def export_csv(db: Database, survey: Survey, path: Path, anonymity_k: int) -> int:
    """Write every response to every wave of a survey; return how many rows were written."""
    repo = SurveyRepository(db)
    rows: list[dict[str, Any]] = []
    for wave in await repo.waves_of(survey.id):
        answered = []
        for response in await repo.responses_of_wave(wave.id):
            answers = await repo.answers(response.id)
            # Someone who only tapped Start said nothing: not a row, and not counted below.
            if any(v is not None for v in answers.values()):
                answered.append((response, answers))
        # A core, or a role, with fewer than k respondents in its territory would point at a
        # handful of people: left blank.
        per_core = Counter((r.territory_id, r.core_id, r.role) for r, _ in answered)
        per_role = Counter((r.territory_id, r.role) for r, _ in answered)
        for response, answers in answered:
            place = (response.territory_id, response.core_id, response.role)
            role_known = per_role[(response.territory_id, response.role)] >= anonymity_k
            row: dict[str, Any] = {
                "wave": wave.id,
                "status": response.status.value,
                "territory": response.territory_id or "",
                "core": (response.core_id or "") if per_core[place] >= anonymity_k else "",
                "role": (response.role or "") if role_known else "",
                "month": response.started_at[:7],
            }
            for question in survey.questions:
                row[question.id] = _cell(answers.get(question.id, ""))
            rows.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=[*FIXED_COLUMNS, *(q.id for q in survey.questions)]
        )
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def _cell(value: Any) -> str:
    if value is None:
        return "(skipped)"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)
