"""Survey results never show a group of 1 to k-1 people, directly or by subtraction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.features.surveys.definitions import Surveys
from bot.features.surveys.results import SurveyResults, WaveResults
from bot.features.surveys.store import SurveyRepository
from bot.reference import default_data_dir
from bot.storage import Database
from tests.features.concerns.test_service import make_user

K = 3


async def results(db: Database, people: Sequence[tuple[str, dict[str, Any]]]) -> WaveResults:
    """Store one event_feedback response per (core, answers) and compute the results."""
    survey = Surveys.load(default_data_dir() / "surveys").get("event_feedback")
    assert survey is not None
    repo = SurveyRepository(db)
    wave = await repo.create_wave(
        survey_id=survey.id,
        territory_id=None,
        core_id=None,
        role=None,
        created_by="t",
        send_from="2026-01-01T00:00:00.000+00:00",
        send_until="2026-01-01T00:00:00.000+00:00",
        remind_after_s=0,
        closes_at="2026-01-08T00:00:00.000+00:00",
    )
    for index, (core, answers) in enumerate(people):
        user = await make_user(db, f"p{index}", core=core)
        response = await repo.start_response(
            wave=wave,
            user_id=user.id,
            core_id=user.core_id,
            territory_id=user.territory_id,
            role="shopkeeper",
            position=None,
        )
        for question_id, value in answers.items():
            await repo.put_answer(response.id, question_id, value)
    return await SurveyResults(db, K).of_wave(wave, survey)


def cells(scope: Any, question_id: str) -> dict[str, int | None]:
    return {c.value: c.count for c in scope.questions[question_id].cells}


async def test_a_single_hidden_answer_takes_the_smallest_shown_with_it(db: Database) -> None:
    scores = [4, 4, 4, 5, 5, 5, 5, 2]  # 2 once: hidden; with it, 4 (the smallest shown)
    wave = await results(db, [("les_ogy", {"useful": s}) for s in scores])
    _, territories = wave.for_admin()
    useful = territories["lessines"].questions["useful"]
    assert cells(territories["lessines"], "useful") == {
        "1": None,
        "2": None,
        "3": None,
        "4": None,
        "5": 4,
    }
    assert useful.answered is None and useful.mean is None


async def test_everyone_giving_the_same_answer_shows_no_cell(db: Database) -> None:
    wave = await results(db, [("les_ogy", {"would_recommend": "yes"})] * 4)
    _, territories = wave.for_admin()
    assert cells(territories["lessines"], "would_recommend") == {"yes": None, "no": None}


async def test_enough_on_both_sides_shows_counts_total_and_mean(db: Database) -> None:
    scores = [4, 4, 4, 2, 2, 2]
    wave = await results(db, [("les_ogy", {"useful": s}) for s in scores])
    _, territories = wave.for_admin()
    useful = territories["lessines"].questions["useful"]
    assert cells(territories["lessines"], "useful")["4"] == 3
    assert useful.answered == 6 and useful.mean == 3.0


async def test_a_core_is_masked_where_the_rest_of_its_territory_is_small(db: Database) -> None:
    # Ogy: 4 say yes, 1 no... Ghoy: 1 says no. The territory minus Ogy would be Ghoy's one.
    people = [("les_ogy", {"would_recommend": "yes"})] * 4 + [
        ("les_ogy", {"would_recommend": "no"}),
        ("les_ogy", {"would_recommend": "no"}),
        ("les_ogy", {"would_recommend": "no"}),
        ("les_ghoy", {"would_recommend": "no"}),
    ]
    wave = await results(db, people)
    core, territory = wave.for_person("les_ogy", "lessines")
    assert territory.respondents == 8
    # 1 person outside Ogy: everything about Ogy would give them away.
    assert core.respondents is None and core.questions == {}
    ghoy, _ = wave.for_person("les_ghoy", "lessines")
    assert ghoy.respondents is None  # one person: below k anyway


async def test_everywhere_is_masked_against_a_small_territory(db: Database) -> None:
    people = [("les_ogy", {"useful": 4})] * 4 + [("bru_flagey", {"useful": 4})] * 2
    wave = await results(db, people)
    overall, territories = wave.for_admin()
    assert territories["lessines"].respondents == 4
    assert territories["brussels"].respondents is None  # 2 < k
    # Everywhere minus Lessines would show Brussels' 2 people: masked.
    assert overall.respondents is None


async def test_answers_left_by_an_older_definition_give_no_mean_and_no_crash(
    db: Database,
) -> None:
    # "useful" was a choice with ids "1".."5" when these were stored; it is a scale now.
    wave = await results(db, [("les_ogy", {"useful": str(s)}) for s in (4, 4, 4, 2, 2, 2)])
    _, territories = wave.for_admin()
    useful = territories["lessines"].questions["useful"]
    assert useful.mean is None
