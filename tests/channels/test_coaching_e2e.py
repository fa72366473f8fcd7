"""From a school's QR code to a coaching appointment, on both apps, through `running_bot`.

A pupil (WhatsApp) scans the school's code, becomes a candidate, asks for coaching; the first
coach (Telegram) lets the time run out, the second (WhatsApp) accepts and proposes times; the
pupil picks one and gets the calendar file; reminders; a move and new times; the question
afterwards; messages relayed without numbers; and /forget takes it all away.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.app.run import RunningBot
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.models import SentMessage
from bot.emulator.whatsapp.phone import WaPhone
from tests.channels.apps import both_apps, fr
from tests.support import Phone, eventually, onboard

ADMIN = "32470009900"
PUPIL = "32470009940"
COACH_WA = "32470009941"
COACH_TG = 9942
SCHOOL = "lyc-coach"
TZ = ZoneInfo("Europe/Brussels")


@pytest.fixture
async def both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> AsyncIterator[RunningBot]:
    async with both_apps(tmp_path / "coaching.sqlite3", wa, emulator, ADMIN) as bot:
        yield bot


async def until_received(phone: WaPhone, after: int, text: str) -> list[SentMessage]:
    """Wait for messages to a WhatsApp phone from index `after` until one contains `text`."""
    return await phone.wait(after, text)


async def tick(bot: RunningBot) -> None:
    """Run the coaching job once, as the scheduler does every 30 seconds."""
    await bot.services.coaching.expire_due()
    await bot.services.coaching.remind_due()
    await bot.services.coaching.ask_after_due()
    await bot.services.coaching_notices.deliver()


async def test_from_the_school_code_to_an_appointment_and_forget(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    db = both.services.db
    admin = WaPhone(wa, WaUser(ADMIN, "Admin"))
    await admin.send(
        "/venue add lessines Salle du centre | Grand-Place 1, 7860 Lessines",
        until=fr("admin.venue_added", id=1, name="Salle du centre"),
    )
    messages = await admin.send(f"/school add {SCHOOL} lessines Athénée Imaginaire")
    while not any("wa.me" in m.text for m in messages):
        messages += await admin.wait(messages[-1].index + 1)
    wa_link = next(u for m in messages for u in m.text.split() if "wa.me" in u)

    # Two coaches: one on Telegram (plan and financing), one on WhatsApp (plan only).
    anne = Phone(emulator, FakeUser(id=COACH_TG, language_code="fr"))
    await onboard(anne, role="coach")
    marc = WaPhone(wa, WaUser(COACH_WA, "Marc"))
    await marc.send("Bonjour", until=fr("privacy.notice")[:20])
    await marc.choose(fr("privacy.accept"), until=fr("role.question"))
    await marc.choose(fr("role.coach"), until=fr("territory.question"))
    await marc.choose("Lessines", until="1/1")
    await marc.choose("Ogy", until=fr("sector.question"))
    await marc.choose("🥖", until="🎉")
    await admin.send(
        f"/coach_admin add telegram:{COACH_TG} lessines plan,financing Anne (ADL)",
        until="Anne (ADL)",
    )
    await admin.send(
        f"/coach_admin add whatsapp:{COACH_WA} lessines plan Marc (hub)", until="Marc (hub)"
    )

    # The pupil scans the school's code on WhatsApp and tells about the project.
    lea = WaPhone(wa, WaUser(PUPIL, "Léa"))
    prefilled = unquote(parse_qs(urlparse(wa_link).query)["text"][0])
    await lea.send(prefilled, until=fr("privacy.notice")[:20])
    await lea.choose(fr("privacy.accept"), until="1/1")
    await lea.choose("Ogy", until=fr("sector.question"))
    await lea.choose("🥖", until=fr("project.q_activity")[:30])
    await lea.send("Une boulangerie de quartier", until=fr("project.q_stage"))
    await lea.choose(fr("project.stage_plan"), until=fr("project.q_year"))
    await lea.choose(fr("project.year_6"), until=fr("project.q_description")[:30])
    await lea.choose(fr("project.skip"), until=fr("project.saved"))

    # An information session for the territory: candidates are invited first (Léa, not Marc).
    day = (datetime.now(UTC).astimezone(TZ) + timedelta(days=2)).strftime("%Y-%m-%d")
    form = (
        f"/event\ntitle: Devenir entrepreneur\nwhen: {day} 18:00\nduration: 3h\n"
        "place: Salle du centre\nterritory: lessines\nkind: session"
    )
    await admin.send(form, until=fr("admin.event_preview", n=1)[:20])
    assert fr("admin.event_preview", n=1) in admin.texts()[-1]
    lea_seen = lea.seen
    await admin.choose(fr("admin.event_announce"), until="✅")
    await until_received(lea, lea_seen, "Devenir entrepreneur")
    await lea.choose(fr("event.going"), until="✅")
    assert not any("Devenir entrepreneur" in text for text in marc.texts())
    # It took place; the organiser marks who came; coaching is offered to them.
    ended = datetime.now(UTC) - timedelta(hours=1)
    await db.execute(
        "UPDATE events SET starts_at = ?, ends_at = ?",
        ((ended - timedelta(hours=3)).isoformat(), ended.isoformat()),
    )
    await admin.send("/attendance 1", until="Devenir entrepreneur")
    await admin.choose(fr("session.person", n=1), until="1")
    marked = await db.fetch_all("SELECT attended, marked_by, offer_due FROM session_attendance")
    assert [tuple(r) for r in marked] == [(1, "organiser", 1)]
    lea_seen = lea.seen
    await both.services.info_sessions.run(datetime.now(UTC))
    await until_received(
        lea, lea_seen, fr("session.coaching_offer", title="Devenir entrepreneur")[:30]
    )

    # She asks for coaching: needs, availability, a public venue, her first name, her yes.
    await lea.choose(fr("project.ask_coaching"), until=fr("coaching.q_needs")[:30])
    await lea.choose(fr("coaching.need_plan"), until=fr("coaching.q_needs")[:30])
    await lea.choose(fr("coaching.need_financing"), until=fr("coaching.q_needs")[:30])
    await lea.choose(fr("button.next"), until=fr("coaching.q_availability")[:30])
    await lea.choose(fr("coaching.av_saturdays"), until=fr("coaching.q_availability")[:30])
    await lea.choose(fr("button.next"), until=fr("coaching.q_venue")[:30])
    await lea.choose("Salle du centre", until=fr("coaching.q_name")[:30])
    # A pupil is never asked for a contact: it goes through the bot.
    consent = await lea.send("Léa", until=fr("coaching.q_consent", shared="")[:20])
    shown = consent[-1].text
    assert "Léa" in shown and fr("coaching.contact_relay_shown") in shown
    assert PUPIL not in shown and fr("coaching.line_pupil")[:20] in shown
    before_anne = emulator.last_seq
    await lea.choose(fr("coaching.consent_yes"), until=fr("coaching.sent")[:10])

    # The best-suited coach is asked first: Anne, on Telegram; nothing identifies Léa yet.
    offer = await anne.wait(before_anne, until="🧭 Une demande")
    offer_text = next(e.text or "" for e in reversed(offer) if e.text)
    assert "Plan" in offer_text and "Léa" not in offer_text and PUPIL not in offer_text
    # Nor her words or her school before a coach says yes.
    assert "boulangerie de quartier" not in offer_text and "Athénée" not in offer_text

    # Anne lets the time run out (the deadline is moved into the past: 48 hours went by).
    await db.execute("UPDATE coaching_offers SET deadline = '2000-01-01T00:00:00.000+00:00'")
    marc_seen = marc.seen
    await tick(both)
    assert fr("coaching.expired", territory="Lessines")[:20] in anne.last_text()
    await until_received(marc, marc_seen, "🧭 Une demande")
    # A tap on Anne's old offer changes nothing.
    message_id, data = anne.find_button(fr("coaching.accept"))
    answer = await anne.answer_to(message_id, data)
    assert answer.text is None or answer.text == fr("button.stale")
    assert fr("coaching.offer_gone")[:20] in anne.last_text() or answer.text

    lea_seen = lea.seen
    card = await marc.choose(fr("coaching.accept"), until=fr("coaching.you_accepted"))
    assert "Léa" in card[-1].text and PUPIL not in card[-1].text
    await until_received(lea, lea_seen, "Marc (hub)")

    # Marc proposes two times; Léa picks the second and gets the calendar file.
    local = datetime.now(UTC).astimezone(TZ)
    first, second = local + timedelta(days=3), local + timedelta(days=4)
    lines = f"{first:%d/%m} 10:00\n{second:%d/%m} 14:30"
    await marc.choose(fr("coaching.propose"), until=fr("coaching.type_slots", name="Léa")[:20])
    lea_seen = lea.seen
    await marc.send(lines, until=fr("coaching.slots_sent", name="Léa", slots="")[:15])
    await until_received(lea, lea_seen, "📅 Marc (hub)")
    lea_seen, marc_seen = lea.seen, marc.seen
    await lea.choose("14:30", until=fr("coaching.booked", when="", venue="")[:15])
    calendar = await until_received(lea, lea_seen, "")
    while not any(m.type == "document" for m in calendar):
        calendar += await lea.wait(calendar[-1].index + 1)
    document = next(m for m in calendar if m.type == "document")
    assert document.media_id is not None and (document.filename or "").endswith(".ics")
    event = next(
        c for c in Calendar.from_ical(wa.media(document.media_id)).walk() if c.name == "VEVENT"
    )
    start = event.decoded("DTSTART")
    assert start.astimezone(TZ).strftime("%d/%m %H:%M") == f"{second:%d/%m} 14:30"
    assert "Grand-Place 1" in str(event.get("LOCATION"))
    await until_received(marc, marc_seen, "Léa")

    # Messages go both ways through the bot; nothing of them is kept once shown.
    await marc.choose(fr("coaching.write"), until=fr("coaching.type_message", name="Léa")[:20])
    lea_seen = lea.seen
    await marc.send("Bonjour Léa, apportez vos idées de prix.", until=fr("coaching.relay_sent"))
    relayed = await until_received(lea, lea_seen, "apportez vos idées")
    assert COACH_WA not in relayed[-1].text and "Marc (hub)" in relayed[-1].text
    marc_seen = marc.seen
    await lea.choose(fr("coaching.answer"), until="✍️")
    await lea.send("Merci, à samedi !", until=fr("coaching.relay_sent"))
    back = await until_received(marc, marc_seen, "Merci, à samedi")
    assert PUPIL not in back[-1].text
    await eventually(lambda: _empty(both, "coaching_notices"))

    # The day before, both are reminded.
    tomorrow = (datetime.now(UTC) + timedelta(hours=20)).isoformat(timespec="milliseconds")
    await db.execute("UPDATE appointments SET starts_at = ? WHERE status = 'booked'", (tomorrow,))
    lea_seen, marc_seen = lea.seen, marc.seen
    await tick(both)
    await until_received(lea, lea_seen, "⏰")
    await until_received(marc, marc_seen, "⏰")

    # Léa asks to move it; Marc proposes new times; she picks; it is booked again.
    marc_seen = marc.seen
    await lea.choose(fr("coaching.move_appointment"), until=fr("coaching.moved_own")[:20])
    await until_received(marc, marc_seen, "Léa demande à déplacer")
    await marc.choose(fr("coaching.propose"), until=fr("coaching.type_slots", name="Léa")[:20])
    lea_seen = lea.seen
    await marc.send(
        f"{first:%d/%m} 16:00", until=fr("coaching.slots_sent", name="Léa", slots="")[:15]
    )
    await until_received(lea, lea_seen, "📅 Marc (hub)")
    await lea.choose("16:00", until=fr("coaching.booked", when="", venue="")[:15])
    booked = await db.fetch_all("SELECT status FROM appointments ORDER BY id")
    assert [r[0] for r in booked] == ["cancelled", "booked"]

    # Afterwards, one question each; Léa can ask for a next appointment.
    past = (datetime.now(UTC) - timedelta(hours=3)).isoformat(timespec="milliseconds")
    await db.execute("UPDATE appointments SET starts_at = ? WHERE status = 'booked'", (past,))
    lea_seen, marc_seen = lea.seen, marc.seen
    await tick(both)
    await until_received(lea, lea_seen, "Votre rendez-vous avec")
    await until_received(marc, marc_seen, "Léa")
    await lea.choose(fr("coaching.after_useful"), until="Merci, c'est noté")
    marc_seen = marc.seen
    await lea.choose(fr("coaching.again"), until=fr("coaching.again_sent")[:15])
    await until_received(marc, marc_seen, fr("coaching.notice_again", name="Léa", when="")[:15])
    await marc.choose(fr("button.yes"), until=fr("coaching.after_thanks"))
    [row] = await db.fetch_all(
        "SELECT candidate_held, candidate_useful, coach_held FROM appointments"
        " WHERE status = 'done'"
    )
    assert tuple(row) == ("yes", "yes", "yes")

    # The next appointment: booked, then cancelled by Marc; Léa is told.
    await marc.choose(fr("coaching.propose"), until=fr("coaching.type_slots", name="Léa")[:20])
    lea_seen = lea.seen
    await marc.send(
        f"{second:%d/%m} 11:15", until=fr("coaching.slots_sent", name="Léa", slots="")[:15]
    )
    await until_received(lea, lea_seen, "📅 Marc (hub)")
    marc_seen = marc.seen
    await lea.choose("11:15", until=fr("coaching.booked", when="", venue="")[:15])
    await until_received(marc, marc_seen, "📅 Léa")
    lea_seen = lea.seen
    await marc.choose(fr("coaching.cancel_appointment"), until=fr("coaching.cancelled_own")[:20])
    await until_received(lea, lea_seen, "Marc (hub) a annulé")
    statuses = await db.fetch_all("SELECT status, cancelled_by FROM appointments ORDER BY id")
    assert [tuple(r) for r in statuses][-1] == ("cancelled", "coach")

    # Marc keeps a private note.
    await marc.send("/coach", until="🧭 Demandes que vous suivez")
    await marc.choose("Léa", until="🧭 Demande suivie")
    await marc.choose(fr("coaching.note"), until=fr("coaching.type_note")[:20])
    await marc.send("Motivée, revoir les prix.", until=fr("coaching.note_kept"))

    # /forget: the request, its appointments, offers, notes and what Marc saw go.
    await lea.send("/forget", until="⚠️")
    await lea.choose(fr("privacy.forget_yes"), until="✅")
    for table in (
        "coaching_requests",
        "appointments",
        "coaching_offers",
        "coach_notes",
        "candidates",
    ):
        await eventually(lambda table=table: _empty(both, table))
    await marc.choose(fr("coaching.propose"))
    assert (
        fr("coaching.typing_gone")[:20] in marc.texts()[-1]
        or fr("button.stale") in marc.texts()[-1]
    )
    for table in ("coaching_typing", "coaching_notices"):
        assert await _empty(both, table)


async def _empty(bot: RunningBot, table: str) -> bool:
    row = await bot.services.db.fetch_one(f"SELECT COUNT(*) FROM {table}")
    return row is not None and int(row[0]) == 0
