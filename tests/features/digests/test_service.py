"""Digest figures and their rendering on a seeded database with known answers (issue 6)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from bot.features.concerns.store import ConcernRepository, VoiceKind
from bot.features.digests.flow import DigestFlow
from bot.features.digests.service import CoreCount, DigestService
from bot.features.partners.service import PartnerService
from bot.features.surveys.definitions import Surveys
from bot.features.surveys.store import SurveyRepository
from bot.i18n import translate
from bot.reference import Reference, default_data_dir
from bot.storage import Database, Role, User, UserRepository
from nlp.taxonomy import taxonomy
from tests.features.concerns.test_service import make_user

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026, Brussels time
IN_WEEK = datetime(2026, 11, 25, 12, tzinfo=UTC)


async def raise_factor(
    db: Database, user: User, factor: str, at: datetime, text: str = "t"
) -> None:
    repo = ConcernRepository(db)
    concern = await repo.create(
        user_id=user.id, text=text, lang="fr", predicted=[factor], text_hash=text + at.isoformat()
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
    ogy_parking = await people(db, "op", 6, "les_ogy")
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
        # Parking: 6, 6, 6 and, four weeks ago, 2 (hidden then).
        for user in ogy_parking[: 2 if weeks_ago == 4 else 6]:
            await raise_factor(db, user, "mobility_parking", at)
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
    # An average of 5.0 would give the four weeks' 20 people: minus the three weeks of 6
    # shown in earlier digests, the hidden week's 2. Not shown.
    assert lines["mobility_parking"].average is None
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
    await raise_factor(db, user, factor, IN_WEEK, text)


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
    quotes = [q.text for q in figures.quotes["roadworks"]]
    assert len(quotes) == 2
    assert not any("Secret" in q for q in quotes)  # they did not consent
    assert not any("0470" in q or "marie.dupont" in q for q in quotes)
    assert all(len(q) <= 200 for q in quotes)
    assert figures.outcomes == {"solved": None, "still_there": 5, "worse": None}


async def close_wave(
    db: Database, survey_id: str, closes_at: datetime, *, territory: str | None = None
) -> int:
    repo = SurveyRepository(db)
    stamp = (closes_at - timedelta(days=7)).isoformat(timespec="milliseconds")
    wave = await repo.create_wave(
        survey_id=survey_id,
        territory_id=territory,
        core_id=None,
        role=None,
        created_by="t",
        send_from=stamp,
        send_until=stamp,
        remind_after_s=0,
        closes_at=closes_at.isoformat(timespec="milliseconds"),
    )
    await repo.close_wave(wave.id, closes_at.isoformat(timespec="milliseconds"))
    return wave.id


async def answer(db: Database, wave_id: int, user: User, **answers: object) -> None:
    repo = SurveyRepository(db)
    wave = await repo.wave(wave_id)
    assert wave is not None
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


async def test_survey_waves_closed_that_week_come_with_their_headline_results(
    db: Database, reference: Reference
) -> None:
    definitions = Surveys.load(default_data_dir() / "surveys")
    this_week = await close_wave(db, "event_feedback", IN_WEEK)
    week_before = await close_wave(db, "event_feedback", IN_WEEK - timedelta(weeks=1))
    lessines_only = await close_wave(db, "event_feedback", IN_WEEK, territory="lessines")
    ogy = await people(db, "s", 6, "les_ogy")
    for user, score in zip(ogy, (4, 4, 4, 2, 2, 2), strict=True):
        for wave_id in (this_week, week_before, lessines_only):
            await answer(db, wave_id, user, useful=score, would_recommend="yes")
    for user in await people(db, "x", 2, "bru_flagey"):
        await answer(db, this_week, user, useful=5)
    partners = PartnerService(db, reference)
    adl = await partners.create(name="ADL", territories=["lessines"], created_by="t")
    hub = await partners.create(name="hub", territories=["brussels"], created_by="t")
    service = DigestService(db, 3, ZoneInfo("Europe/Brussels"), definitions, reference)

    figures = await service.figures(adl, WEEK)
    assert [h.wave_id for h in figures.surveys] == [this_week, lessines_only]
    lessines = figures.surveys[0].places[0]
    assert (lessines.scope_id, lessines.respondents) == ("lessines", 6)
    useful = lessines.questions["useful"]
    assert {c.value: c.count for c in useful.cells if c.count} == {"4": 3, "2": 3}
    assert useful.mean == 3.0
    # Everyone said yes: showing it would tell each person's answer.
    assert all(c.count is None for c in lessines.questions["would_recommend"].cells)
    # Brussels sees the wave open to all, with its 2 respondents hidden, not Lessines' one.
    hub_figures = await service.figures(hub, WEEK)
    assert [h.wave_id for h in hub_figures.surveys] == [this_week]
    assert hub_figures.surveys[0].places[0].respondents is None

    flow = DigestFlow(partners, service, reference, taxonomy(), 3)
    text = flow.text(adl, figures)
    title = definitions.get("event_feedback").title.get("fr")  # type: ignore[union-attr]
    assert translate("fr", "digest.survey_header", title=title) in text
    assert translate("fr", "survey.results_people", place="Lessines", n=6) in text
    hub_text = flow.text(hub, hub_figures)
    brussels = reference.territory("brussels")
    assert brussels is not None
    hidden = translate("fr", "echo.fewer", k=3)
    assert (
        translate("fr", "survey.results_people", place=brussels.name("fr"), n=hidden) in hub_text
    )


async def test_the_html_digest_shows_what_the_text_shows_escaped_and_nothing_hidden(
    db: Database, reference: Reference
) -> None:
    users = await people(db, "h", 6, "les_ogy")
    await UserRepository(db).update(users[0].id, quote_consent=True)
    await say(
        db, users[0], "roadworks", "Les travaux <b>bloquent</b> la rue & ma vitrine depuis mars"
    )
    for user in users[1:]:
        await raise_factor(db, user, "roadworks", IN_WEEK)
    for user in users[:2]:
        await raise_factor(db, user, "staff", IN_WEEK)  # 2 people: hidden
    partners = PartnerService(db, reference)
    adl = await partners.create(name="ADL <Lessines>", territories=["lessines"], created_by="t")
    service = DigestService(db, 5, ZoneInfo("Europe/Brussels"))
    flow = DigestFlow(partners, service, reference, taxonomy(), 5)
    figures = await service.figures(adl, WEEK)

    page = await flow.html_page(adl, figures)

    parser = _Page()
    parser.feed(page)
    text = " ".join(parser.text.split())
    roadworks = taxonomy().get("roadworks").title("fr")
    assert roadworks in text
    assert taxonomy().get("staff").title("fr") not in text
    assert "ADL <Lessines>" in text and "<Lessines>" not in page  # escaped, not markup
    assert "Les travaux <b>bloquent</b> la rue & ma vitrine depuis mars" in text
    assert "<b>bloquent</b>" not in page
    assert translate("fr", "digest.html_footer", k=5) in text
    # The chart is embedded and is a real PNG.
    assert len(parser.images) == 1 and parser.images[0].startswith("data:image/png;base64,")
    png = base64.b64decode(parser.images[0].split(",", 1)[1])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


class _Page(HTMLParser):
    """Collect the visible text and image sources of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.images: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("title", "style"):
            self._skip += 1
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text += data + " "


async def test_a_finished_week_is_counted_once_and_deleted_concerns_are_not_quoted_again(
    db: Database, reference: Reference
) -> None:
    users = await people(db, "z", 6, "les_ogy")
    await UserRepository(db).update(users[0].id, quote_consent=True)
    await say(db, users[0], "roadworks", "Le chantier de la rue bloque ma livraison du matin")
    for user in users[1:]:
        await raise_factor(db, user, "roadworks", IN_WEEK)
    adl = await PartnerService(db, reference).create(
        name="ADL", territories=["lessines"], created_by="t"
    )
    service = DigestService(db, 5, ZoneInfo("Europe/Brussels"))
    monday = datetime(2026, 11, 30, 7, tzinfo=UTC)  # 08:00 after the week

    first = await service.figures(adl, WEEK, monday)
    roadworks = {line.factor: line for line in first.factors}["roadworks"]
    assert roadworks.people == 6 and len(first.quotes["roadworks"]) == 1
    # Then two more voices are filed in the week (late confirmations) and the quoted
    # concern is deleted by its author: a recount would say 7.
    for late in ("late1", "late2"):
        await raise_factor(db, await make_user(db, late, core="les_ogy"), "roadworks", IN_WEEK)
    quoted = first.quotes["roadworks"][0].concern_id
    await db.execute("DELETE FROM concerns WHERE id = ?", (quoted,))

    retry = await service.figures(adl, WEEK, monday + timedelta(minutes=10))
    on_demand = await service.last_week(adl, monday + timedelta(days=2))
    for again in (retry, on_demand):
        assert again.week == WEEK
        # The same count as the digest already sent: 7 - 6 would tell one person.
        assert {line.factor: line for line in again.factors}["roadworks"].people == 6
        assert "roadworks" not in again.quotes  # nothing deleted is quoted again
    # A week not over yet is counted live and not kept.
    live = await service.figures(adl, "2026-W49", datetime(2026, 12, 2, tzinfo=UTC))
    assert live.week == "2026-W49"
    rows = await db.fetch_all("SELECT week FROM digest_snapshots")
    assert [r[0] for r in rows] == [WEEK]
