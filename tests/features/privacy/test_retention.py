"""Free text past the retention period goes; its labels stay, tied to nobody."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.features.concerns.store import ConcernRepository, VoiceKind
from bot.features.entrepreneurs.candidates_store import CandidateRepository
from bot.features.entrepreneurs.coaching_store import RequestRepository
from bot.features.entrepreneurs.store import RegistryRepository
from bot.features.privacy.retention_store import RetentionRepository
from bot.storage import Database
from tests.features.concerns.test_service import make_user

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


async def concern(db: Database, user_id: int, text: str, at: datetime) -> int:
    repo = ConcernRepository(db)
    made = await repo.create(
        user_id=user_id, text=text, lang="fr", predicted=["roadworks"], text_hash=text
    )
    stamp = at.isoformat(timespec="milliseconds")
    await db.execute("UPDATE concerns SET created_at = ? WHERE id = ?", (stamp, made.id))
    await repo.add_voice(
        made.id,
        "roadworks",
        VoiceKind.RAISED,
        user_id=user_id,
        core_id="les_ogy",
        territory_id="lessines",
        role="shopkeeper",
        at=stamp,
    )
    return made.id


async def test_old_texts_go_and_their_labels_stay_without_anyone_behind_them(
    db: Database,
) -> None:
    user = await make_user(db, "r1", core="les_ogy")
    old = await concern(db, user.id, "Travaux rue Ancienne depuis 2024", NOW - timedelta(days=800))
    recent = await concern(db, user.id, "Travaux encore ce mois-ci", NOW - timedelta(days=20))
    await db.execute(
        "INSERT INTO held_texts (user_id, text, created_at) VALUES (?, 'vieux', ?)",
        (user.id, (NOW - timedelta(days=800)).isoformat()),
    )
    # A kept digest quotes the old message.
    quote = {"quotes": {"roadworks": [{"concern_id": old, "text": "Travaux rue Ancienne"}]}}
    await db.execute(
        "INSERT INTO partners (id, name, territories, created_by, created_at)"
        " VALUES (1, 'ADL', '[\"lessines\"]', 't', 'x')"
    )
    await db.execute(
        "INSERT INTO digest_snapshots (partner_id, week, figures, computed_at)"
        " VALUES (1, '2024-W40', ?, 'x')",
        (json.dumps(quote),),
    )
    before = (NOW - timedelta(days=730)).isoformat(timespec="milliseconds")
    async with db.transaction():
        pruned = await RetentionRepository(db).prune(before)
    [(figures,)] = await db.fetch_all("SELECT figures FROM digest_snapshots")
    assert "Ancienne" not in figures
    assert (pruned.concerns, pruned.held_texts) == (1, 1)
    left = [r[0] for r in await db.fetch_all("SELECT id FROM concerns")]
    assert left == [recent] and old not in left
    voices = await db.fetch_all("SELECT concern_id FROM concern_factors")
    assert [r[0] for r in voices] == [recent]
    archive = [tuple(r) for r in await db.fetch_all("SELECT * FROM factor_archive")]
    month = (NOW - timedelta(days=800)).strftime("%Y-%m")
    assert archive == [("roadworks", "raised", "les_ogy", "lessines", "shopkeeper", month)]
    assert await db.fetch_all("SELECT id FROM held_texts") == []


async def test_old_survey_free_text_goes_and_its_chosen_answers_stay(db: Database) -> None:
    user = await make_user(db, "r2", core="les_ogy")
    wave = await db.insert(
        "INSERT INTO survey_waves (survey_id, created_by, created_at, send_from, send_until,"
        " remind_after_s, closes_at) VALUES ('monthly_pulse', 't', ?, ?, ?, 0, ?)",
        ("2024-01-01", "2024-01-01", "2024-01-01", "2024-01-08"),
    )
    response = await db.insert(
        "INSERT INTO survey_responses (wave_id, survey_id, user_id, status, started_at,"
        " updated_at) VALUES (?, 'monthly_pulse', ?, 'completed', '2024-01-02', '2024-01-02')",
        (wave, user.id),
    )
    for question, value, text, at in (
        ("business_trend", '"worse"', None, "2024-01-02"),
        ("worse_why", '["roadworks"]', "Le chantier rue Vieille a tout bloqué", "2024-01-02"),
        ("anything_else", '["staff"]', "Personne pour m'aider cet hiver", NOW.isoformat()),
    ):
        await db.execute(
            "INSERT INTO survey_answers (response_id, question_id, value, text, answered_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (response, question, value, text, at),
        )
    async with db.transaction():
        pruned = await RetentionRepository(db).prune(
            (NOW - timedelta(days=730)).isoformat(timespec="milliseconds")
        )
    assert pruned.survey_texts == 1
    rows = {
        r[0]: (r[1], r[2])
        for r in await db.fetch_all("SELECT question_id, value, text FROM survey_answers")
    }
    assert rows["worse_why"] == ('["roadworks"]', None)  # the label stays, the words go
    assert rows["anything_else"][1] is not None  # recent: kept
    assert rows["business_trend"] == ('"worse"', None)


async def test_old_project_words_and_coaching_requests_go_and_recent_ones_stay(
    db: Database,
) -> None:
    old_person = await make_user(db, "p1", core="les_ogy")
    new_person = await make_user(db, "p2", core="les_ogy")
    projects = CandidateRepository(db)
    requests = RequestRepository(db)
    venue = await RegistryRepository(db).add_venue("lessines", "Salle", "Grand-Place 1", "t")
    for person in (old_person, new_person):
        await projects.create(
            person.id, "done", activity="Boulangerie", description="Pain au levain", stage="idea"
        )
        request_id = await requests.create(person.id, "lessines", False, "sent")
        await requests.propose(request_id, venue, ["2024-05-01T08:00:00.000+00:00"])
        await requests.notify(request_id, "relay_from_coach", user_id=person.id, text="Bonjour")
    long_ago = (NOW - timedelta(days=800)).isoformat(timespec="milliseconds")
    await db.execute(
        "UPDATE candidates SET updated_at = ? WHERE user_id = ?", (long_ago, old_person.id)
    )
    await db.execute(
        "UPDATE coaching_requests SET created_at = ? WHERE user_id = ?", (long_ago, old_person.id)
    )
    before = (NOW - timedelta(days=730)).isoformat(timespec="milliseconds")
    async with db.transaction():
        pruned = await RetentionRepository(db).prune(before)
    assert (pruned.project_texts, pruned.coaching_requests) == (1, 1)
    kept = await db.fetch_all(
        "SELECT user_id, activity, description, stage FROM candidates ORDER BY user_id"
    )
    assert [tuple(r) for r in kept] == [
        (old_person.id, None, None, "idea"),
        (new_person.id, "Boulangerie", "Pain au levain", "idea"),
    ]
    # The old request went whole: its appointment and the message waiting for its person too.
    left = await db.fetch_all("SELECT user_id FROM coaching_requests")
    assert [r[0] for r in left] == [new_person.id]
    assert len(await db.fetch_all("SELECT id FROM appointments")) == 1
    assert [r[0] for r in await db.fetch_all("SELECT user_id FROM coaching_notices")] == [
        new_person.id
    ]
