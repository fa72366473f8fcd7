"""Empty shop cells on both apps: offered with photos, validated, browsed, asked about, expired."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.app.run import RunningBot
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from tests.channels.apps import both_apps, fr, head
from tests.features.cells.test_service import _jpeg_with_gps
from tests.support import Phone, eventually, onboard

ADMIN_WA = "32470009800"


@pytest.fixture
async def both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> AsyncIterator[RunningBot]:
    async with both_apps(tmp_path / "cells.sqlite3", wa, emulator, ADMIN_WA) as bot:
        yield bot


async def _count(bot: RunningBot, sql: str) -> int:
    row = await bot.services.db.fetch_one(sql)
    assert row is not None
    return int(row[0])


async def _landlord_offers_a_cell(wa: WhatsAppEmulator, landlord: WaPhone) -> None:
    """A landlord in Lessines' centre describes a cell on WhatsApp, with a camera's photo."""
    await landlord.send("Bonjour", until=fr("privacy.notice")[:20])
    await landlord.choose(fr("privacy.accept"), until=fr("role.question"))
    await landlord.choose(fr("role.landlord"), until=fr("territory.question"))
    await landlord.choose("Lessines", until="1/1")
    await landlord.choose("Lessines centre", until=fr("sector.question"))
    await landlord.choose("🥖", until="🎉")
    await landlord.send("/mycells", until=fr("cells.mine_none"))
    await landlord.choose(fr("cells.new"), until=fr("cells.ask_core"))
    await landlord.choose("Lessines centre", until=fr("cells.ask_street")[:20])
    # Bad input: a polite answer, nothing stored, the question stands.
    await landlord.send("Grand-Rue", until=fr("cells.ask_number")[:20])
    await landlord.send("douze", until=fr("cells.number_bad")[:20])
    await landlord.send("12A", until=fr("cells.ask_show_number", number="12A")[:20])
    await landlord.choose(fr("cells.show_no"), until=fr("cells.ask_surface")[:20])
    await landlord.send("immense", until=fr("cells.surface_bad")[:20])
    await landlord.send("85 m²", until=fr("cells.ask_front")[:20])
    await landlord.send("4,5", until=fr("cells.ask_rent")[:20])
    await landlord.send("800-1000", until=fr("cells.ask_available")[:20])
    await landlord.choose(fr("cells.now"), until=fr("cells.ask_photos", max=5)[:20])
    before = landlord.seen
    await wa.send_media(landlord.user, "image", data=_jpeg_with_gps(2400, 1800))
    await landlord.wait(before, fr("cells.photo_kept", n=1, max=5)[:15])
    await landlord.choose(fr("cells.photos_done"), until=fr("cells.ask_contact")[:20])
    await landlord.choose(fr("cells.contact_bot"), until="📷 1")
    summary = landlord.texts()[-1]
    assert "Grand-Rue 12A" in summary and "800 à 1000 € par mois" in summary
    assert fr("cells.card_number_hidden") in summary
    await landlord.choose(fr("cells.send"), until=head("cells.submitted"))


async def test_a_landlord_offers_a_cell_an_admin_validates_it_and_a_candidate_asks(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    db = both.services.db
    admin = WaPhone(wa, WaUser(ADMIN_WA, "Admin"))
    await admin.send("/cells_admin", until=fr("cells.admin_none"))
    landlord = WaPhone(wa, WaUser("32470009801", "Paul"))
    await _landlord_offers_a_cell(wa, landlord)

    # The photo was downloaded when sent, its metadata dropped, resized.
    async def cleaned() -> bool:
        return await _count(both, "SELECT COUNT(*) FROM cell_photos WHERE status = 'ready'") == 1

    await eventually(cleaned)
    row = await db.fetch_one("SELECT image, ref FROM cell_photos")
    assert row is not None and row[1] is None
    with Image.open(io.BytesIO(bytes(row[0]))) as kept:
        assert not kept.getexif() and max(kept.size) == 1280
    assert b"PhoneMaker" not in bytes(row[0])

    # Before validation nobody sees it.
    ana = Phone(emulator, FakeUser(id=9801, language_code="fr"))
    await onboard(ana, role="candidate")
    await ana.send("/cells", until=fr("cells.none_listed", territory="Lessines"))

    # The admin is told, sees the house number, and validates; the landlord is told.
    await admin.wait(0, head("cells.review"))
    assert "Grand-Rue 12A" in admin.texts()[-1]
    await admin.choose(fr("cells.validate"), until=head("cells.admin_validated"))
    await landlord.wait(0, head("cells.validated"))

    # The candidate browses by area and size: the photo and the card, without the number.
    await ana.send("/cells", until=fr("cells.browse", territory="Lessines"))
    await ana.tap("Lessines centre (1)", until=fr("cells.which_size"))
    before = emulator.last_seq
    await ana.tap(fr("cells.size_m"), until=fr("cells.found", n=1, page=1, pages=1))
    [photo] = [e for e in emulator.events_after(before, ana.user.id) if e.kind == "send_photo"]
    assert "Grand-Rue" in (photo.text or "") and "12A" not in (photo.text or "")
    assert photo.message_id is not None
    shown = emulator.photo_of(ana.user.id, photo.message_id)
    assert shown is not None and b"PhoneMaker" not in shown
    # Nothing fits a smaller size.
    await ana.send("/cells", until=fr("cells.browse", territory="Lessines"))
    await ana.tap(fr("cells.all_areas", n=1), until=fr("cells.which_size"))
    await ana.tap(fr("cells.size_s"), until=fr("cells.none_fit"))

    # "I'm interested": first name, contact, exactly what will be sent, then only with a yes.
    await ana.tap(fr("cells.search"), until=fr("cells.browse", territory="Lessines"))
    await ana.tap("Lessines centre (1)", until=fr("cells.which_size"))
    await ana.tap(fr("cells.size_any"), until=fr("cells.found", n=1, page=1, pages=1))
    await ana.tap(fr("cells.interested"), until=head("cells.ask_name"))
    await ana.send("Ana", until=fr("cells.which_contact"))
    await ana.tap(fr("cells.type_contact"), until=fr("cells.ask_contact_typed"))
    await ana.send("pas un contact", until=fr("cells.contact_bad"))
    await ana.send("ana@example.be", until=head("cells.preview"))
    assert "Ana" in ana.last_text() and "ana@example.be" in ana.last_text()
    assert await _count(both, "SELECT COUNT(*) FROM notices WHERE kind = 'cell.interest'") == 0
    await ana.tap(fr("cells.agree_send"), until=fr("cells.what_next")[:20])
    told = await landlord.wait(0, "🙋 Ana")
    # What she saw and agreed to: the street without the number the landlord keeps hidden.
    assert "ana@example.be" in told[-1].text and "Grand-Rue (Lessines centre)" in told[-1].text
    assert "12A" not in told[-1].text

    # Fifty-three days on the landlord is asked once; "still free" keeps it listed.
    soon = (datetime.now(UTC) + timedelta(days=6)).isoformat(timespec="milliseconds")
    await db.execute("UPDATE cells SET expires_at = ?", (soon,))
    assert (await both.services.cells.run_due()).asked == 1
    await landlord.wait(0, head("cells.still_free_q"))
    await landlord.choose(fr("cells.free_button"), until=head("cells.kept"))
    # Not confirmed the next time: it comes down, the landlord is told, nobody sees it.
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="milliseconds")
    await db.execute("UPDATE cells SET expires_at = ?, asked_at = ?", (past, past))
    assert (await both.services.cells.run_due()).expired == 1
    await landlord.wait(0, head("cells.expired"))
    await ana.send("/cells", until=fr("cells.none_listed", territory="Lessines"))

    # /forget: the landlord's cell and its photo go; the candidate's interest goes with them.
    await landlord.send("/forget", until="⚠️")
    await landlord.choose(fr("privacy.forget_yes"), until="✅")

    async def erased() -> bool:
        return await _count(both, "SELECT COUNT(*) FROM cells") == 0

    await eventually(erased)
    for table in ("cell_photos", "cell_interest", "cell_typing"):
        assert await _count(both, f"SELECT COUNT(*) FROM {table}") == 0, table
