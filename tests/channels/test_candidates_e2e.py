"""The candidate path on both apps: a school's QR code, the project, teachers' counts, privacy."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import zxingcpp
from PIL import Image

from bot.app.run import RunningBot
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from bot.features.surveys.jobs import invitation_sender
from bot.i18n import translate
from nlp.taxonomy import taxonomy
from tests.channels.apps import both_apps, fr
from tests.support import Phone, eventually, onboard

ADMIN_WA = "32470009900"
SCHOOL = "lyc-test"


@pytest.fixture
async def both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> AsyncIterator[RunningBot]:
    async with both_apps(tmp_path / "path.sqlite3", wa, emulator, ADMIN_WA) as bot:
        yield bot


async def _school_links(wa: WhatsAppEmulator) -> dict[str, str]:
    """Register a school as a WhatsApp admin; return its QR codes' links by host."""
    admin = WaPhone(wa, WaUser(ADMIN_WA, "Admin"))
    messages = await admin.send(f"/school add {SCHOOL} lessines Lycée Imaginaire")
    while not any(m.type == "image" for m in messages):
        messages += await admin.wait(messages[-1].index + 1)
    assert fr("admin.school_added", code=SCHOOL, name="Lycée Imaginaire") in admin.texts()
    image = next(m for m in messages if m.type == "image")
    assert image.media_id is not None
    picture = Image.open(io.BytesIO(wa.media(image.media_id)))
    links = {urlparse(r.text).netloc: r.text for r in zxingcpp.read_barcodes(picture)}
    assert set(links) == {"wa.me", "t.me"}
    # The same links are written out for those who cannot scan.
    assert all(link in " ".join(admin.texts()) for link in links.values())
    return links


async def test_a_pupil_scans_the_school_code_and_the_project_is_theirs_alone(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    db = both.services.db
    links = await _school_links(wa)

    # Telegram: the school's deep link; no role question, the path begins after onboarding.
    start = parse_qs(urlparse(links["t.me"]).query)["start"][0]
    assert start == f"school_{SCHOOL}"
    pupil = Phone(emulator, FakeUser(id=9910, language_code="fr"))
    await pupil.send(f"/start {start}", until=fr("privacy.notice")[:20])
    assert fr("school.from_link")[:30] in pupil.last_text()
    await pupil.tap(fr("privacy.accept"), until="1/1")
    await pupil.tap("Ogy", until=fr("sector.question"))
    await pupil.tap("🥖", until=fr("project.q_activity")[:30])
    await pupil.send("Un food truck de gaufres", until=fr("project.q_stage"))
    await pupil.tap(fr("project.stage_idea"), until=fr("project.q_year"))
    await pupil.tap(fr("project.year_6"), until=fr("project.q_description")[:30])
    await pupil.send("Des gaufres au marché du samedi.", until="Lycée Imaginaire")
    view = pupil.last_text()
    assert "Un food truck de gaufres" in view and fr("project.year_6") in view
    # Later words go to the project, never to the shop difficulties.
    await pupil.send("Il me faut un emplacement", until=fr("project.added")[:20])
    assert await db.fetch_all("SELECT id FROM concerns") == []
    [row] = await db.fetch_all(
        "SELECT u.role, c.school_code, c.school_year, c.stage, c.description"
        " FROM users u JOIN candidates c ON c.user_id = u.id"
    )
    assert tuple(row) == (
        "candidate",
        SCHOOL,
        "6",
        "idea",
        "Des gaufres au marché du samedi.\nIl me faut un emplacement",
    )

    # WhatsApp: the school's wa.me link pre-fills its tag; the pupil lands on the path too.
    prefilled = unquote(parse_qs(urlparse(links["wa.me"]).query)["text"][0])
    lea = WaPhone(wa, WaUser("32470009911", "Léa"))
    await lea.send(prefilled, until=fr("privacy.notice")[:20])
    await lea.choose(fr("privacy.accept"), until="1/1")
    await lea.choose("Ogy", until=fr("sector.question"))
    await lea.choose("🥖", until=fr("project.q_activity")[:30])
    pupils = await db.fetch_all("SELECT school_code FROM candidates ORDER BY user_id")
    assert [r[0] for r in pupils] == [SCHOOL, SCHOOL]

    # A teacher sees two counts for their school, gated; nobody else sees them.
    teacher = Phone(emulator, FakeUser(id=9912, language_code="fr"))
    await onboard(teacher, role="researcher")
    await teacher.send("/myschool", until=fr("command.unknown")[:15])
    admin = WaPhone(wa, WaUser(ADMIN_WA, "Admin"))
    await admin.send(
        f"/teacher add {SCHOOL} telegram:9912", until=fr("admin.teacher_added", code=SCHOOL)
    )
    await teacher.send("/myschool", until="Lycée Imaginaire")
    counts = teacher.last_text()
    assert (
        fr("school.counts", school="Lycée Imaginaire", joined=2, asked=fr("school.hidden", k=2))
        in counts
    )
    assert "gaufres" not in counts

    # /mydata has the project; /forget takes it away with the person.
    before = emulator.last_seq
    emulator.send_text(pupil.user, "/mydata")
    document = await emulator.wait_for_event(
        9910, after_seq=before, kinds={"send_document"}, timeout=10
    )
    assert document.message_id is not None
    found = emulator.document_of(9910, document.message_id)
    assert found is not None
    exported = json.loads(found[1])
    assert exported["project"][0]["school"] == "Lycée Imaginaire"
    assert exported["project"][0]["activity"] == "Un food truck de gaufres"
    await pupil.send("/forget", until="⚠️")
    await pupil.tap(fr("privacy.forget_yes"), until="✅")
    await eventually(lambda: _count(both, "candidates", 1))


async def test_a_shopkeeper_adds_a_project_and_stays_a_shopkeeper(
    both: RunningBot, emulator: BotApiEmulator
) -> None:
    db = both.services.db
    shop = Phone(emulator, FakeUser(id=9920, language_code="en"))
    await onboard(shop)
    await shop.send("/profile", until="👤")
    await shop.tap(translate("en", "project.my"), until=translate("en", "project.q_activity")[:30])
    await shop.send("A second bakery", until=translate("en", "project.q_sector"))
    await shop.tap("🥖", until=translate("en", "project.q_territory")[:20])
    await shop.tap("Brussels", until="📍 Which shopping area?")
    await shop.tap(
        translate("en", "project.core_unknown"), until=translate("en", "project.q_stage")
    )
    await shop.tap(
        translate("en", "project.stage_plan"), until=translate("en", "project.q_description")[:30]
    )
    # Bad input: too long; nothing stored, and the question stands.
    await shop.send("x" * 1600, until=translate("en", "project.too_long", max=1500)[:20])
    await shop.tap(translate("en", "project.skip"), until=translate("en", "project.saved"))
    [row] = await db.fetch_all(
        "SELECT u.role, c.territory_id, c.core_id, c.stage, c.description"
        " FROM users u JOIN candidates c ON c.user_id = u.id"
    )
    assert tuple(row) == ("shopkeeper", "brussels", None, "plan", None)
    # Their words about their shop are still concerns.
    await shop.send("The roadworks in front of my shop have lasted for months")
    await eventually(lambda: _count(both, "concerns", 1))


async def _count(bot: RunningBot, table: str, expected: int) -> bool:
    row = await bot.services.db.fetch_one(f"SELECT COUNT(*) FROM {table}")
    return row is not None and int(row[0]) == expected


async def test_an_information_session_feedback_ends_with_ask_for_a_coach(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    services = both.services
    nina = Phone(emulator, FakeUser(id=9930, language_code="en"))
    await onboard(nina, role="candidate")
    await nina.send("A repair café", until=translate("en", "project.q_stage"))
    user = await services.users.get("telegram", "9930")
    assert user is not None
    day = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")
    admin = WaPhone(wa, WaUser(ADMIN_WA, "Admin"))
    await admin.send(
        f"/event\ntitle: Starting a business\nwhen: {day} 18:00\nplace: Salle du centre\n"
        "territory: lessines\nkind: session",
        until="📅",
    )
    before = emulator.last_seq
    await admin.choose(fr("admin.event_announce"), until="✅")
    await nina.wait(before, until="Starting a business")
    await nina.tap(translate("en", "event.going"), until="✅")
    now = datetime.now(UTC)
    [event] = [e for e, _ in await services.events.upcoming()]
    # It took place: its feedback survey goes to those who had a seat.
    await services.db.execute(
        "UPDATE events SET starts_at = ?, ends_at = ? WHERE id = ?",
        ((now - timedelta(hours=8)).isoformat(), (now - timedelta(hours=5)).isoformat(), event.id),
    )
    assert await services.events.launch_feedback() == 1
    survey = services.surveys.definitions.get("event_feedback")
    assert survey is not None
    send = invitation_sender(services.survey_flow, services.outbound)
    assert await services.waves.send_due(send, now + timedelta(hours=3)) == 1
    await nina.tap(translate("en", "survey.start"), until="1/4")
    await nina.tap("4", until="2/4")
    await nina.tap(translate("en", "survey.yes"), until="3/4")
    await nina.tap(taxonomy().get("skills_digital").title("en"), until="3/4")
    await nina.tap(translate("en", "survey.done_up_to", n=2), until="4/4")
    await nina.send("/skip", until=survey.closing.get("en")[:20])
    # The closing words of an information session's feedback offer a coach (her project is
    # not finished: its questions come first).
    assert translate("en", "project.ask_coaching") in nina.buttons()
    await nina.tap(
        translate("en", "project.ask_coaching"),
        until=translate("en", "coaching.project_first")[:30],
    )


async def test_customers_say_what_is_missing_and_see_the_board(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    db = both.services.db
    # A customer in Ogy is asked, right after onboarding, what they miss.
    ana = Phone(emulator, FakeUser(id=9940, language_code="fr"))
    await onboard(ana, role="customer")

    async def invited() -> bool:
        return fr("needs.button") in ana.buttons()

    await eventually(invited)
    await ana.tap(fr("needs.button"), until=fr("needs.question", core="Ogy")[:20])
    await ana.send("Il nous faudrait une boucherie, vraiment", until="🧺")
    assert fr("needs.confirm", sectors="🥩 Boucherie-charcuterie", core="Ogy") in ana.last_text()
    await ana.tap(fr("needs.yes"), until=fr("needs.board", core="Ogy", days=90)[:15])
    # One person: nothing to show yet (k = 2).
    assert fr("needs.board_empty", k=2) in ana.last_text()
    # A second, on WhatsApp, with the words on the command; then a third changes the guess.
    bea = WaPhone(wa, WaUser("32470009941", "Béa"))
    await bea.send("Bonjour", until=fr("privacy.notice")[:20])
    await bea.choose(fr("privacy.accept"), until=fr("role.question"))
    await bea.choose(fr("role.customer"), until=fr("territory.question"))
    await bea.choose("Lessines", until="1/1")
    await bea.choose("Ogy", until=fr("sector.question"))
    await bea.choose("🥖", until=fr("needs.invitation", core="Ogy")[:15])
    await bea.send("/missing plus de boucher depuis 2 ans", until="🧺")
    await bea.choose(fr("needs.yes"), until=fr("needs.board", core="Ogy", days=90)[:15])
    board = bea.texts()[-1]
    assert (
        fr(
            "needs.board_line",
            sector="🥩 Boucherie-charcuterie",
            core="Ogy",
            core_n=2,
            territory="Lessines",
            territory_n=2,
        )
        in board
    )
    # Bad input: too long, nothing stored; a cancelled guess counts for nothing.
    await ana.send("/missing " + "x" * 600, until=fr("needs.too_long")[:20])
    await ana.send("/missing un cinéma", until="🧺")
    await ana.tap(fr("needs.cancel"), until=fr("needs.cancelled"))
    await ana.send("/missing un truc", until="🧺")
    await ana.tap(fr("needs.change"), until=fr("needs.pick"))
    await ana.tap("🐟", until=fr("needs.board", core="Ogy", days=90)[:15])
    # Missed somewhere else than one's own area: a village of the same territory.
    await bea.send("/missing une poissonnerie", until="🧺")
    await bea.choose(fr("needs.elsewhere"), until="📍")
    await bea.choose(
        "Papignies", until=fr("needs.confirm", sectors="🐟 Poissonnerie", core="Papignies")[:30]
    )
    await bea.choose(fr("needs.yes"), until=fr("needs.board", core="Ogy", days=90)[:15])
    rows = await db.fetch_all("SELECT user_id, sectors, status, core_id FROM needs ORDER BY id")
    assert [tuple(r)[1:] for r in rows] == [
        ("butcher", "confirmed", "les_ogy"),
        ("butcher", "confirmed", "les_ogy"),
        ("culture_leisure", "cancelled", "les_ogy"),
        ("fishmonger", "confirmed", "les_ogy"),
        ("fishmonger", "confirmed", "les_papignies"),
    ]
    # /forget takes a person's needs away.
    await ana.send("/forget", until="⚠️")
    await ana.tap(fr("privacy.forget_yes"), until="✅")
    await eventually(lambda: _count(both, "needs", 2))
