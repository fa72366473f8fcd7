"""The pop-up store on both apps, through `running_bot`.

An admin (WhatsApp) defines a pop-up in Lessines with a test period; Léa (Telegram, a
candidate) sees it, applies, is accepted, gets the details and the calendar file, agrees to
be announced; Marc (WhatsApp) is declined with a typed reason; the occupants are announced to
the territory's customers; the period ends and Léa answers the survey, whose would-settle
answer (and only it) reaches a coach; /mydata lists it all and /forget erases it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.app.run import RunningBot
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from bot.features.popup.render import coach_line
from bot.i18n import Translator
from tests.channels.apps import both_apps, fr
from tests.support import Phone, eventually, onboard

ADMIN = "32470009960"
MARC = "32470009961"
LEA = 9962
CUSTOMER = 9963
TZ = ZoneInfo("Europe/Brussels")


@pytest.fixture
async def both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> AsyncIterator[RunningBot]:
    async with both_apps(tmp_path / "popup.sqlite3", wa, emulator, ADMIN) as bot:
        yield bot


async def _count(bot: RunningBot, table: str) -> int:
    row = await bot.services.db.fetch_one(f"SELECT COUNT(*) FROM {table}")
    return 0 if row is None else int(row[0])


async def _candidate_on_telegram(phone: Phone) -> None:
    await phone.consent()
    await phone.tap(fr("role.candidate"), until=fr("territory.question"))
    await phone.tap("Lessines", until="1/1")
    await phone.tap("Ogy", until=fr("sector.question"))
    await phone.tap("🥖", until=fr("project.q_activity")[:30])
    await phone.send("Boulangerie au levain", until=fr("project.q_stage"))
    await phone.tap(fr("project.stage_plan"), until=fr("project.q_description")[:30])
    await phone.tap(fr("project.skip"), until=fr("project.saved"))


async def _candidate_on_whatsapp(phone: WaPhone) -> None:
    await phone.send("Bonjour", until=fr("privacy.notice")[:20])
    await phone.choose(fr("privacy.accept"), until=fr("role.question"))
    await phone.choose(fr("role.candidate"), until=fr("territory.question"))
    await phone.choose("Lessines", until="1/1")
    await phone.choose("Ogy", until=fr("sector.question"))
    await phone.choose("🥖", until=fr("project.q_activity")[:30])
    await phone.send("Pâtisserie fine", until=fr("project.q_stage"))
    await phone.choose(fr("project.stage_idea"), until=fr("project.q_description")[:30])
    await phone.choose(fr("project.skip"), until=fr("project.saved"))


async def test_a_pop_up_from_its_definition_to_the_survey_and_forget(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    db = both.services.db
    admin = WaPhone(wa, WaUser(ADMIN, "Admin"))
    # The admin defines the pop-up, one space, and a period a month ahead (local dates).
    await admin.send("/popup add", until="territory: lessines")
    form = (
        "/popup add\nterritory: lessines\ncore: les_centre\nplace: Rue de l'Essai 1\n"
        "spaces: 1\nconditions: Ouvert au moins quatre jours par semaine\nfee: 50 € par mois"
    )
    await admin.send(form, until="✅ Boutique pop-up n° 1")
    # A wrong number of spaces is refused politely; nothing is stored.
    await admin.send(form.replace("spaces: 1", "spaces: zéro"), until="❌")
    assert await _count(both, "popups") == 1
    today = datetime.now(UTC).astimezone(TZ).date()
    first, last = today + timedelta(days=30), today + timedelta(days=60)
    await admin.send(f"/popup period 1 {first} {last}", until="✅ Période n° 1")
    await admin.send(f"/popup period 1 {today - timedelta(days=3)} {first}", until="❌")
    assert await _count(both, "popup_periods") == 1

    # Léa, a candidate on Telegram in Lessines, sees it and applies.
    lea = Phone(emulator, FakeUser(id=LEA, language_code="fr"))
    await _candidate_on_telegram(lea)
    await lea.send("/popup", until="Rue de l'Essai 1")
    view = lea.last_text()
    assert "1 espace(s) libre(s)" in view and "50 € par mois" in view
    await lea.tap(fr("popup.apply"), until=fr("popup.pick_period")[:20])
    await lea.tap(f"{first:%d/%m}–{last:%d/%m}", until="1/4")
    assert "Boulangerie au levain" in lea.last_text()
    await lea.tap(fr("popup.keep"), until="2/4")
    await lea.tap(fr("popup.keep"), until="3/4")
    # Too long: a polite answer, nothing kept, the same question stands.
    await lea.send("x" * 501, until=fr("popup.too_long", max=500)[:20])
    await lea.send("Du pain au levain le samedi matin", until="4/4")
    await lea.send("Un four et une étagère", until="Votre candidature")
    admin_seen = admin.seen
    await lea.tap(fr("popup.send"), until=fr("popup.sent")[:20])
    # The admins are told (a notice, after the commit).
    told = await admin.wait(admin_seen, "Nouvelle candidature")
    assert "Rue de l'Essai 1" in told[-1].text and "levain" not in told[-1].text

    # Marc applies on WhatsApp.
    marc = WaPhone(wa, WaUser(MARC, "Marc"))
    await _candidate_on_whatsapp(marc)
    await marc.send("/popup", until="Rue de l'Essai 1")
    await marc.choose(fr("popup.apply"), until=fr("popup.pick_period")[:20])
    await marc.choose(f"{first:%d/%m}–{last:%d/%m}", until="1/4")
    await marc.choose(fr("popup.keep"), until="2/4")
    await marc.choose(fr("popup.keep"), until="3/4")
    await marc.send("Des éclairs le dimanche", until="4/4")
    await marc.send("Une vitrine réfrigérée", until="Votre candidature")
    await marc.choose(fr("popup.send"), until=fr("popup.sent")[:20])

    # The admin reviews both side by side.
    listing = await admin.send("/applications 1", until="📋 Rue de l'Essai 1")
    text = "\n".join(m.text for m in listing)
    assert "Du pain au levain" in text and "Des éclairs le dimanche" in text
    assert text.index("Du pain au levain") < text.index("Des éclairs le dimanche")
    assert str(LEA) not in text and MARC not in text

    # Accepting Léa: she gets the details and the calendar file of the period.
    before = emulator.last_seq
    await admin.choose("✅ 1", until=fr("popup.done_accepted")[:10])
    await lea.wait(before, until="🎉")
    assert "Ouvert au moins quatre jours" in lea.last_text()
    document = await emulator.wait_for_event(
        LEA, after_seq=before, kinds={"send_document"}, timeout=10
    )
    assert document.message_id is not None
    found = emulator.document_of(LEA, document.message_id)
    assert found is not None and found[0].endswith(".ics")
    event = next(c for c in Calendar.from_ical(found[1]).walk() if c.name == "VEVENT")
    assert event.decoded("DTSTART").astimezone(TZ).date() == first
    assert event.decoded("DTEND").astimezone(TZ).date() == last
    assert "Rue de l'Essai 1" in str(event.get("LOCATION"))
    # Accepting beyond the spaces is refused: Marc is now first in line.
    await admin.send("/applications", until="📋 Rue de l'Essai 1")
    await admin.choose("✅ 1")
    assert fr("popup.no_space_left")[:20] in " ".join(admin.texts()[-2:])
    rows = await db.fetch_all("SELECT status FROM popup_applications ORDER BY id")
    assert [r[0] for r in rows] == ["accepted", "pending"]
    # Declined with a typed reason (the admin on WhatsApp is not a stored person: a command).
    await admin.choose("❌ 1", until=fr("popup.pick_reason")[:20])
    await admin.choose(fr("popup.reason_other"), until="/applications decline 2")
    marc_seen = marc.seen
    await admin.send(
        "/applications decline 2 Le lieu ne permet pas la cuisson sur place",
        until=fr("popup.done_declined")[:10],
    )
    await marc.wait(marc_seen, "ne permet pas la cuisson")
    # Declined, he is offered a coach: the button starts a coaching request.
    await marc.choose(fr("project.ask_coaching"), until=fr("coaching.q_needs")[:30])

    # Léa agrees to be announced; a customer of Lessines gets the announcement.
    await lea.tap(fr("popup.announce_yes"), until="📣")
    customer = Phone(emulator, FakeUser(id=CUSTOMER, language_code="fr"))
    await onboard(customer, role="customer")
    await admin.send("/popup announce 1", until=fr("popup.announce_preview", n=1)[:20])
    await admin.choose(fr("popup.announce_go"), until="📣 Annonce")
    [texts] = await db.fetch_all("SELECT texts FROM broadcasts")
    announced = json.loads(texts[0])["fr"]
    assert "Boulangerie au levain" in announced and "Pâtisserie" not in announced
    assert "Léa" not in announced and str(LEA) not in announced

    # The period ends (its dates moved into the past); the survey goes once.
    await db.execute(
        "UPDATE popup_periods SET starts_on = ?, ends_on = ?",
        (str(today - timedelta(days=40)), str(today - timedelta(days=1))),
    )
    before = emulator.last_seq
    assert await both.services.popup.survey_round() == 1
    assert await both.services.popup.survey_round() == 0
    await lea.wait(before, until=fr("popup.q_settle")[:20])
    await lea.tap(fr("popup.settle_yes"), until="2/3")
    await lea.send("Le samedi matin marche très bien", until="3/3")
    await lea.send("Le centre, 40 m² environ", until=fr("popup.survey_thanks")[:10])
    assert fr("project.ask_coaching") in lea.buttons()
    [survey] = await db.fetch_all("SELECT would_settle, learned, cell_wish FROM popup_surveys")
    assert tuple(survey) == ("yes", "Le samedi matin marche très bien", "Le centre, 40 m² environ")
    # What a coach would receive: the period and the answer, none of her words.
    [row] = await db.fetch_all("SELECT id FROM users WHERE external_id = ?", (str(LEA),))
    line = await coach_line(db)(int(row[0]), Translator("fr"))
    assert line is not None and "oui" in line and "samedi" not in line

    # /mydata lists her application and answers; /forget erases them.
    before = emulator.last_seq
    emulator.send_text(lea.user, "/mydata")
    exported_event = await emulator.wait_for_event(
        LEA, after_seq=before, kinds={"send_document"}, timeout=10
    )
    assert exported_event.message_id is not None
    exported_file = emulator.document_of(LEA, exported_event.message_id)
    assert exported_file is not None
    exported = json.loads(exported_file[1])
    assert exported["popup_applications"][0]["to_test"] == "Du pain au levain le samedi matin"
    assert exported["popup_survey_answers"][0]["cell_wish"] == "Le centre, 40 m² environ"
    await lea.send("/forget", until="⚠️")
    await lea.tap(fr("privacy.forget_yes"), until="✅")
    await eventually(lambda: _one_left(both))
    assert await _count(both, "popup_surveys") == 0


async def _one_left(bot: RunningBot) -> bool:
    """Return whether only Marc's application is left."""
    rows = await bot.services.db.fetch_all("SELECT status FROM popup_applications")
    return [tuple(r) for r in rows] == [("declined",)]
