"""Issue 17's path end to end: what is missing in Ogy, a cell in the centre, the pop-up, and a
candidate who sees all three, asks a coach about the cell, applies to the pop-up, is accepted
and answers the end-of-test survey."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app.run import RunningBot
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from bot.i18n import Translator
from tests.channels.apps import both_apps, fr, head
from tests.channels.test_cells_e2e import _landlord_offers_a_cell
from tests.support import Phone, onboard

ADMIN = "32470009700"
TZ = ZoneInfo("Europe/Brussels")


@pytest.fixture
async def both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> AsyncIterator[RunningBot]:
    async with both_apps(tmp_path / "opportunities.sqlite3", wa, emulator, ADMIN) as bot:
        yield bot


async def _misses_a_butcher(phone: Phone) -> None:
    """A customer in Ogy says a butcher is missing, and confirms it in one tap."""
    await onboard(phone, role="customer")
    await phone.send("/missing il manque une boucherie à Ogy", until="🥩")
    await phone.tap(fr("needs.yes"), until=fr("needs.board", core="Ogy", days=90)[:15])


async def test_a_candidate_sees_the_need_the_cell_and_the_pop_up_and_goes_through(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    db = both.services.db
    # Two customers in Ogy miss a butcher (k = 2: the need can be shown).
    for user_id in (9701, 9702):
        await _misses_a_butcher(Phone(emulator, FakeUser(id=user_id, language_code="fr")))
    # A landlord offers a cell in the centre; the admin validates it.
    admin = WaPhone(wa, WaUser(ADMIN, "Admin"))
    await admin.send("/cells_admin", until=fr("cells.admin_none"))
    landlord = WaPhone(wa, WaUser("32470009703", "Paul"))
    await _landlord_offers_a_cell(wa, landlord)
    await admin.wait(0, head("cells.review"))
    await admin.choose(fr("cells.validate"), until=head("cells.admin_validated"))
    # The admin defines a pop-up with one test period a month ahead.
    form = (
        "/popup add\nterritory: lessines\ncore: les_centre\nplace: Rue de l'Essai 1\n"
        "spaces: 2\nconditions: Ouvert quatre jours par semaine\nfee: 50 € par mois"
    )
    await admin.send(form, until="✅")
    today = datetime.now(UTC).astimezone(TZ).date()
    first, last = today + timedelta(days=30), today + timedelta(days=60)
    await admin.send(f"/popup period 1 {first} {last}", until="✅")

    # A candidate with a bakery project in Ogy opens their opportunities.
    ana = Phone(emulator, FakeUser(id=9704, language_code="fr"))
    await ana.consent()
    await ana.tap(fr("role.candidate"), until=fr("territory.question"))
    await ana.tap("Lessines", until="1/1")
    await ana.tap("Ogy", until=fr("sector.question"))
    await ana.tap("🥖", until=fr("project.q_activity")[:30])
    await ana.send("Boulangerie au levain", until=fr("project.q_stage"))
    await ana.tap(fr("project.stage_plan"), until=fr("project.q_description")[:30])
    await ana.tap(fr("project.skip"), until=fr("project.saved"))
    await ana.send("/opportunities", until=fr("opp.menu", territory="Lessines"))
    # The need: what people miss, where, through the gate.
    await ana.tap(fr("opp.needs_button"), until=head("opp.needs_header"))
    assert "🥩 Boucherie-charcuterie : 2 — Ogy 2" in ana.last_text()
    # The cell: its card, "I'm interested" and "Interesting".
    await ana.send("/opportunities", until=fr("opp.menu", territory="Lessines"))
    before = emulator.last_seq
    await ana.tap(fr("opp.cells_button"), until=head("opp.cells_more"))
    shown = " ".join(e.text or "" for e in emulator.events_after(before, ana.user.id))
    assert "Grand-Rue" in shown and "85 m²" in shown and "12A" not in shown
    await ana.tap(fr("opp.interesting"), until=head("opp.coach_offer"))
    assert "Grand-Rue (Lessines centre), 85 m²" in ana.last_text()
    await ana.tap(fr("opp.ask_coach"), until=fr("coaching.q_needs")[:30])
    [request] = await db.fetch_all("SELECT id, context, status FROM coaching_requests")
    [cell] = await db.fetch_all("SELECT id FROM cells")
    assert tuple(request)[1:] == (f"cell:{cell[0]}", "draft")
    # What a coach offered the request will read names the cell, not the candidate.
    found = await both.services.coaching.requests.get(int(request[0]))
    assert found is not None
    offer = await both.services.coaching_render.offer(Translator("fr"), found)
    assert "Grand-Rue (Lessines centre), 85 m²" in offer.text
    assert "Boulangerie au levain" not in offer.text

    # The pop-up: its next period, applied for from the opportunities.
    await ana.send("/opportunities", until=fr("opp.menu", territory="Lessines"))
    await ana.tap(fr("opp.popup_button"), until=head("opp.popup_header"))
    assert "Rue de l'Essai 1" in ana.last_text() and "2 place(s) libre(s)" in ana.last_text()
    await ana.tap(fr("opp.apply", dates=f"{first:%d/%m}"), until="1/4")
    await ana.tap(fr("popup.keep"), until="2/4")
    await ana.tap(fr("popup.keep"), until="3/4")
    await ana.send("Du pain au levain le samedi", until="4/4")
    await ana.send("Un four", until="Votre candidature")
    await ana.tap(fr("popup.send"), until=fr("popup.sent")[:20])
    # The admin accepts; the candidate gets the details.
    await admin.send("/applications 1", until="📋 Rue de l'Essai 1")
    before = emulator.last_seq
    await admin.choose("✅ 1", until=fr("popup.done_accepted")[:10])
    await ana.wait(before, until="🎉")
    # The period ends: the end-of-test survey comes once, and its answers are kept.
    await db.execute(
        "UPDATE popup_periods SET starts_on = ?, ends_on = ?",
        (str(today - timedelta(days=40)), str(today - timedelta(days=1))),
    )
    before = emulator.last_seq
    assert await both.services.popup.survey_round() == 1
    await ana.wait(before, until=fr("popup.q_settle")[:20])
    await ana.tap(fr("popup.settle_maybe"), until="2/3")
    await ana.send("Le samedi marche bien", until="3/3")
    await ana.send("Une cellule de 80 m² au centre", until=fr("popup.survey_thanks")[:10])
    [survey] = await db.fetch_all("SELECT would_settle FROM popup_surveys")
    assert survey[0] == "maybe"
