"""Unit tests of the concern service on a real SQLite file, with a fake classifier."""

from __future__ import annotations

import itertools

import pytest

from bot.features.concerns.service import ConcernService, IntakeStatus
from bot.features.concerns.store import ConcernStatus
from bot.shared.classification import OffLoopClassifier
from bot.storage import CONSENT_VERSION, Database, Role, Step, User, UserRepository
from nlp.asking import Question
from nlp.classifier import get_classifier

_events = itertools.count(1)


def key() -> str:
    return f"test:{next(_events)}"


async def make_user(
    db: Database, ref: str, *, core: str = "bru_flagey", role: Role = Role.SHOPKEEPER
) -> User:
    users = UserRepository(db)
    user = await users.create(
        channel="test",
        external_id=ref,
        language="fr",
        consent_version=CONSENT_VERSION,
        step=Step.DONE,
        pending_core_id=None,
    )
    territory = "brussels" if core.startswith("bru_") else "lessines"
    return await users.update(
        user.id, role=role, territory_id=territory, core_id=core, sector_id="bakery"
    )


def service(
    db: Database,
    predicted: list[str],
    k: int = 5,
    flood: int = 20,
    alternative: tuple[str, ...] | None = None,
) -> ConcernService:
    async def classify(_text: str) -> Question:
        return Question(tuple(predicted), alternative)

    return ConcernService(db, classify, anonymity_k=k, flood_per_hour=flood)


async def test_intake_keeps_a_pending_concern_once(db: Database) -> None:
    user = await make_user(db, "1")
    svc = service(db, ["roadworks", "demand_footfall"])
    event = key()
    first = await svc.intake(user, "  Les travaux   devant chez moi\x00 ", event)
    assert first.status is IntakeStatus.STORED and first.concern is not None
    assert first.concern.text == "Les travaux devant chez moi"
    assert first.concern.predicted == ("demand_footfall", "roadworks")
    assert first.concern.status is ConcernStatus.PENDING
    again = await svc.intake(user, "Les travaux devant chez moi", event)
    assert again.status is IntakeStatus.DUPLICATE_EVENT
    same = await svc.intake(user, "les TRAVAUX devant chez moi", key())
    assert same.status is IntakeStatus.SAME_TEXT and same.concern == first.concern
    assert (await svc.intake(user, " \x07 ", key())).status is IntakeStatus.EMPTY


async def test_flood_control(db: Database) -> None:
    user = await make_user(db, "1")
    svc = service(db, ["staff"], flood=3)
    results = [await svc.intake(user, f"message {i}", key()) for i in range(5)]
    assert [r.status for r in results] == [IntakeStatus.STORED] * 3 + [IntakeStatus.FLOODED] * 2
    rows = await db.fetch_all("SELECT COUNT(*) FROM concerns")
    assert rows[0][0] == 3


async def test_toggle_and_confirm_record_corrections(db: Database) -> None:
    user = await make_user(db, "1")
    svc = service(db, ["roadworks"])
    intake = await svc.intake(user, "la rue est fermée", key())
    assert intake.concern is not None
    cid = intake.concern.id
    assert (await svc.toggle(user, cid, "mobility_parking", key())) is not None
    draft = await svc.toggle(user, cid, "roadworks", key())
    assert draft is not None and draft.draft == ("mobility_parking",)
    assert await svc.toggle(user, cid, "not_a_factor", key()) is None
    confirmed = await svc.confirm(user, cid, key())
    assert confirmed is not None and confirmed.corrected
    assert confirmed.status is ConcernStatus.CONFIRMED
    # A confirmed concern no longer changes.
    assert await svc.toggle(user, cid, "staff", key()) is None
    assert await svc.confirm(user, cid, key()) is None


async def test_a_replayed_tap_toggles_once(db: Database) -> None:
    user = await make_user(db, "1")
    svc = service(db, [])
    intake = await svc.intake(user, "je sais pas quoi dire", key())
    assert intake.concern is not None
    tap = key()
    first = await svc.toggle(user, intake.concern.id, "staff", tap)
    assert first is not None and first.draft == ("staff",)
    assert await svc.toggle(user, intake.concern.id, "staff", tap) is None
    pending = await svc.pending_of(user, intake.concern.id)
    assert pending is not None and pending.draft == ("staff",)


async def test_other_peoples_concerns_are_out_of_reach(db: Database) -> None:
    owner = await make_user(db, "1")
    intruder = await make_user(db, "2")
    svc = service(db, ["staff"])
    intake = await svc.intake(owner, "plus de vendeuse", key())
    assert intake.concern is not None
    assert await svc.toggle(intruder, intake.concern.id, "rent_premises", key()) is None
    assert await svc.confirm(intruder, intake.concern.id, key()) is None
    assert await svc.confirm(intruder, 999_999, key()) is None
    unchanged = await svc.pending_of(owner, intake.concern.id)
    assert unchanged is not None and unchanged.draft == ("staff",)


@pytest.mark.parametrize("text", ["Le proprio augmente encore le loyer de 12%", "ok merci"])
async def test_real_classifier_runs_off_the_loop(db: Database, text: str) -> None:
    classify = OffLoopClassifier(get_classifier)
    try:
        found = await classify(text)
        asked = await classify.question(text)
    finally:
        classify.close()
    expected = [f.factor for f in get_classifier().predict(text)]
    assert found == expected
    assert asked == get_classifier().question(text)
    assert sorted(asked.draft) == sorted(expected)


async def test_export_writes_training_lines_scrubbed(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from bot.features.concerns.corrections import export_corrections
    from nlp.corpus import read_examples

    user = await make_user(db, "1")
    svc = service(db, ["roadworks"])
    kept = await svc.intake(user, "Appelez-moi au 0470 12 34 56, les travaux me tuent", key())
    corrected = await svc.intake(user, "le parking a disparu", key())
    pending = await svc.intake(user, "pas encore confirmé", key())
    assert kept.concern and corrected.concern and pending.concern
    await svc.confirm(user, kept.concern.id, key())
    await svc.confirm(user, corrected.concern.id, key(), ["mobility_parking"])
    out = tmp_path / "c.jsonl"
    assert await export_corrections(db, out, only_corrected=False, since="") == 2
    examples = read_examples(out)  # the training format's own reader accepts it
    assert [e.labels for e in examples] == [("roadworks",), ("mobility_parking",)]
    assert "0470" not in examples[0].text and "[phone]" in examples[0].text
    assert await export_corrections(db, out, only_corrected=True, since="") == 1
    only = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert only[0]["labels"] == ["mobility_parking"]


async def test_export_leaves_out_forgotten_people_and_texts_past_retention(
    db: Database, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from bot.features.concerns.corrections import export_corrections
    from bot.features.privacy.store import ErasureRepository
    from nlp.corpus import read_examples

    stayer = await make_user(db, "stays")
    leaver = await make_user(db, "leaves")
    svc = service(db, ["roadworks"])
    for user, text in ((stayer, "les travaux encore"), (leaver, "la grue devant la porte")):
        intake = await svc.intake(user, text, key())
        assert intake.concern is not None
        await svc.confirm(user, intake.concern.id, key())
    old = await svc.intake(stayer, "le chantier de 2019", key())
    assert old.concern is not None
    await svc.confirm(stayer, old.concern.id, key())
    await db.execute(
        "UPDATE concerns SET created_at = '2000-01-01T00:00:00.000+00:00' WHERE id = ?",
        (old.concern.id,),
    )
    async with db.transaction():
        await ErasureRepository(db).erase(leaver.id, leaver.channel, leaver.external_id)
    out = tmp_path / "c.jsonl"
    assert (
        await export_corrections(
            db, out, only_corrected=False, since="2001-01-01T00:00:00.000+00:00"
        )
        == 1
    )
    assert [e.text for e in read_examples(out)] == ["les travaux encore"]
