"""The project's questions: asked in order, skipping what is known; refusals store nothing."""

from __future__ import annotations

import pytest

from bot.features.entrepreneurs.candidates import CandidateService, Step, TooLong
from bot.features.entrepreneurs.registry import Registry
from bot.reference import Reference
from bot.storage import Database, Role, User, UserRepository
from tests.features.concerns.test_service import make_user


async def person(db: Database, ref: str, role: Role, core: str = "les_ogy") -> User:
    """Return an onboarded person in Lessines (the concerns' tests build them too)."""
    return await make_user(db, ref, core=core, role=role)


async def test_a_shopkeeper_adds_the_path_and_stays_a_shopkeeper(
    db: Database, reference: Reference
) -> None:
    service = CandidateService(db, reference)
    shopkeeper = await person(db, "1", Role.SHOPKEEPER)
    project = await service.start(shopkeeper)
    # Their shop's sector and place are not the project's: everything is asked.
    assert (project.step, project.sector_id, project.territory_id) == ("activity", None, None)
    project = await service.answer_activity(shopkeeper.id, "  Un second magasin   de vélos ")
    assert (project.activity, project.step) == ("Un second magasin de vélos", "sector")
    project = await service.answer_sector(shopkeeper.id, "bakery")
    assert project.step == "territory"
    project = await service.answer_territory(shopkeeper.id, "brussels")
    assert project.step == "core"
    project = await service.answer_core(shopkeeper.id, None)
    assert (project.core_id, project.step) == (None, "stage")
    project = await service.answer_stage(shopkeeper.id, "plan")
    # Not a pupil: no school year.
    assert project.step == "description"
    project = await service.answer_description(shopkeeper.id, None)
    assert project.step == "done" and project.completed_at is not None
    again = await UserRepository(db).get_by_id(shopkeeper.id)
    assert again is not None and again.role is Role.SHOPKEEPER


async def test_a_main_role_candidate_is_not_asked_again_what_onboarding_asked(
    db: Database, reference: Reference
) -> None:
    service = CandidateService(db, reference)
    candidate = await person(db, "2", Role.CANDIDATE)
    project = await service.start(candidate)
    assert (project.sector_id, project.territory_id, project.core_id) == (
        "bakery",
        "lessines",
        "les_ogy",
    )
    project = await service.answer_activity(candidate.id, "Boulangerie bio")
    assert project.step == "stage"


async def test_a_pupil_is_asked_their_school_year_and_nothing_about_age(
    db: Database, reference: Reference
) -> None:
    await Registry(db, reference).add_school("ecole-x", "École X", "lessines", "test")
    service = CandidateService(db, reference)
    pupil = await person(db, "3", Role.CANDIDATE)
    project = await service.start(pupil, school_code="ecole-x")
    assert project.pupil
    for answer in (
        service.answer_activity(pupil.id, "Food truck"),
        service.answer_stage(pupil.id, "idea"),
    ):
        project = await answer
    assert project.step == Step.YEAR
    project = await service.answer_year(pupil.id, "6")
    assert project.step == Step.DESCRIPTION
    # A scan of the school's code by someone already on the path marks them a pupil.
    other = await person(db, "4", Role.SHOPKEEPER)
    await service.start(other)
    assert (await service.start(other, school_code="ecole-x")).school_code == "ecole-x"


async def test_editing_one_answer_comes_back_to_the_project_and_refusals_store_nothing(
    db: Database, reference: Reference
) -> None:
    service = CandidateService(db, reference)
    candidate = await person(db, "5", Role.CANDIDATE)
    await service.start(candidate)
    await service.answer_activity(candidate.id, "Épicerie")
    await service.answer_stage(candidate.id, "idea")
    done = await service.answer_description(candidate.id, "Vrac et local.")
    assert done.step == "done"
    await service.ask(candidate.id, Step.TERRITORY)
    project = await service.answer_territory(candidate.id, "brussels")
    # The core follows its territory, even when changing one answer.
    assert (project.step, project.core_id) == ("core", None)
    project = await service.answer_core(candidate.id, "bru_flagey")
    assert project.step == "done"
    before = await service.get(candidate.id)
    with pytest.raises(TooLong):
        await service.add_to_description(candidate.id, "x" * 1600)
    for bad in (
        service.answer_sector(candidate.id, "nope"),
        service.answer_stage(candidate.id, "someday"),
        service.answer_year(candidate.id, "12"),
        service.answer_core(candidate.id, "les_nowhere"),
    ):
        with pytest.raises(ValueError):
            await bad
    assert await service.get(candidate.id) == before
    added = await service.add_to_description(candidate.id, "Et un coin café.")
    assert added.description == "Vrac et local.\nEt un coin café."
    assert await service.leave(candidate.id)
    assert await service.get(candidate.id) is None
