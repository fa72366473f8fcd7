"""Digest figures on a seeded database with known answers (issue 6, counting part)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.reference import Reference
from bot.services.digests import CoreCount, DigestService
from bot.services.partners import PartnerService
from bot.storage import ConcernRepository, Database, Role, User, UserRepository, VoiceKind
from tests.services.test_concerns import make_user

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026, Brussels time
IN_WEEK = datetime(2026, 11, 25, 12, tzinfo=UTC)


async def raise_factor(db: Database, user: User, factor: str, at: datetime) -> None:
    repo = ConcernRepository(db)
    concern = await repo.create(
        user_id=user.id, text="t", lang="fr", predicted=[factor], text_hash=at.isoformat()
    )
    await repo.add_voice(
        concern.id,
        factor,
        VoiceKind.RAISED,
        user_id=user.id,
        core_id=user.core_id,
        territory_id=user.territory_id,
        role=user.role.value if user.role else None,
        at=at.isoformat(timespec="milliseconds"),
    )


async def people(db: Database, prefix: str, count: int, core: str, **kw: Role) -> list[User]:
    return [await make_user(db, f"{prefix}{i}", core=core, **kw) for i in range(count)]


async def test_counts_averages_top_cores_emerging_and_suppression(
    db: Database, reference: Reference
) -> None:
    ogy_roadworks = await people(db, "or", 6, "les_ogy")
    ghoy_roadworks = await people(db, "gr", 2, "les_ghoy")
    ogy_rent = await people(db, "ot", 5, "les_ogy")
    ghoy_rent = await people(db, "gt", 5, "les_ghoy")
    ogy_staff = await people(db, "os", 3, "les_ogy")
    brussels = await people(db, "b", 6, "bru_flagey")
    customer = await make_user(db, "c", core="les_ogy", role=Role.CUSTOMER)
    for user in ogy_roadworks + ghoy_roadworks + brussels + [customer]:
        await raise_factor(db, user, "roadworks", IN_WEEK)
    for user in ogy_rent + ghoy_rent:
        await raise_factor(db, user, "rent_premises", IN_WEEK)
    for user in ogy_staff:
        await raise_factor(db, user, "staff", IN_WEEK)
    for weeks_ago in range(1, 5):  # the four weeks before
        at = IN_WEEK - timedelta(weeks=weeks_ago)
        await raise_factor(db, ogy_roadworks[0], "roadworks", at)
        for user in ogy_rent:
            await raise_factor(db, user, "rent_premises", at)
    partners = PartnerService(db, reference)
    lessines = await partners.create(name="ADL", territories=["lessines"], created_by="t")
    service = DigestService(db, anonymity_k=5, tz=ZoneInfo("Europe/Brussels"))
    figures = await service.figures(lessines, WEEK)

    assert (figures.concerns, figures.people) == (21, 21)  # shopkeepers of Lessines only
    lines = {line.factor: line for line in figures.factors}
    rent = lines["rent_premises"]
    assert (rent.people, rent.average) == (10, 5.0)
    assert set(rent.top_cores) == {CoreCount("les_ogy", 5), CoreCount("les_ghoy", 5)}
    roadworks = lines["roadworks"]
    # 8 people; Ogy alone has 6, but showing it would leave Ghoy's 2 by subtraction.
    assert roadworks.people == 8 and roadworks.top_cores == ()
    assert roadworks.average is None  # 1 a week before: below k
    assert lines["staff"].people is None  # 3 < k
    assert [line.factor for line in figures.factors[:2]] == ["rent_premises", "roadworks"]
    # Rent in Ghoy (5, none before) and roadworks in Ogy (6 against 1 a week) stand out;
    # Ogy's exact 6 is withheld there too, as it would give away Ghoy's 2 roadworks people.
    assert [(e.core_id, e.factor, e.people) for e in figures.emerging] == [
        ("les_ghoy", "rent_premises", 5),
        ("les_ogy", "roadworks", None),
    ]


async def test_a_partner_sees_nothing_outside_its_scope(
    db: Database, reference: Reference
) -> None:
    for user in await people(db, "b", 7, "bru_flagey"):
        await raise_factor(db, user, "mobility_parking", IN_WEEK)
    for user in await people(db, "l", 6, "les_ogy"):
        await raise_factor(db, user, "roadworks", IN_WEEK)
    partners = PartnerService(db, reference)
    brussels = await partners.create(name="hub", territories=["brussels"], created_by="t")
    ogy_only = await partners.create(
        name="Ogy", territories=["lessines"], cores=["les_ghoy"], created_by="t"
    )
    service = DigestService(db, anonymity_k=5, tz=ZoneInfo("Europe/Brussels"))
    bxl = {line.factor: line.people for line in (await service.figures(brussels, WEEK)).factors}
    assert bxl["mobility_parking"] == 7 and bxl["roadworks"] is None
    ghoy = await service.figures(ogy_only, WEEK)
    assert ghoy.people is None and all(line.people is None for line in ghoy.factors)
    # Outside the week: nothing.
    later = {
        line.factor: line.people for line in (await service.figures(brussels, "2026-W49")).factors
    }
    assert later["mobility_parking"] is None


async def say(db: Database, user: User, factor: str, text: str) -> None:
    repo = ConcernRepository(db)
    concern = await repo.create(
        user_id=user.id, text=text, lang="fr", predicted=[factor], text_hash=text
    )
    await repo.add_voice(
        concern.id,
        factor,
        VoiceKind.RAISED,
        user_id=user.id,
        core_id=user.core_id,
        territory_id=user.territory_id,
        role="shopkeeper",
        at=IN_WEEK.isoformat(timespec="milliseconds"),
    )


async def test_quotes_come_only_from_consenting_people_scrubbed_and_short(
    db: Database, reference: Reference
) -> None:
    users = await people(db, "q", 6, "les_ogy")
    repo = UserRepository(db)
    for user in users[:2]:
        await repo.update(user.id, quote_consent=True)
    await say(
        db,
        users[0],
        "roadworks",
        "Les travaux bloquent ma rue depuis six semaines, appelez-moi au 0470 12 34 56",
    )
    await say(
        db, users[1], "roadworks", "Chantier sans fin, écrivez à marie.dupont@gmail.com " * 9
    )
    for user in users[2:]:
        await say(db, user, "roadworks", f"Secret de {user.external_id} : les travaux me ruinent")
    for user in users[:5]:
        follow_up = await db.insert(
            "INSERT INTO concerns (user_id, text, lang, status, predicted, draft, text_hash,"
            " created_at) VALUES (?, 'x', 'fr', 'confirmed', '[]', '[]', 'h', ?)",
            (user.id, IN_WEEK.isoformat()),
        )
        await db.execute(
            "INSERT INTO follow_ups (concern_id, user_id, core_id, territory_id, role, due_at,"
            " sent_at, answer, answered_at) VALUES (?, ?, 'les_ogy', 'lessines', 'shopkeeper',"
            " ?, ?, 'still_there', ?)",
            (follow_up, user.id, IN_WEEK.isoformat(), IN_WEEK.isoformat(), IN_WEEK.isoformat()),
        )
    partners = PartnerService(db, reference)
    adl = await partners.create(name="ADL", territories=["lessines"], created_by="t")
    service = DigestService(db, anonymity_k=5, tz=ZoneInfo("Europe/Brussels"))
    figures = await service.figures(adl, WEEK)
    quotes = figures.quotes["roadworks"]
    assert len(quotes) == 2
    assert not any("Secret" in q for q in quotes)  # they did not consent
    assert not any("0470" in q or "marie.dupont" in q for q in quotes)
    assert all(len(q) <= 200 for q in quotes)
    assert figures.outcomes == {"solved": None, "still_there": 5, "worse": None}
