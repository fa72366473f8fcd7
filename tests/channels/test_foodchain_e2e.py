"""The local food chain on both apps, through `running_bot` and the two emulators.

A market gardener in Ogy (WhatsApp) fills in a profile; an admin (WhatsApp) validates it; a
restaurant in Lessines' centre (Telegram) says it would buy vegetables; both get the
suggestion, both accept, and only then each receives the other's contact. A shop in Ghoy says
no thanks: no contact passes. /mydata lists it all; /forget of the producer takes it away.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.run import RunningBot
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from tests.channels.apps import both_apps, fr
from tests.support import Phone, eventually, onboard

ADMIN = "32470009900"
GROWER = "32470009961"


@pytest.fixture
async def both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> AsyncIterator[RunningBot]:
    async with both_apps(tmp_path / "food.sqlite3", wa, emulator, ADMIN) as bot:
        yield bot


async def _count(bot: RunningBot, sql: str, expected: int) -> bool:
    row = await bot.services.db.fetch_one(sql)
    return row is not None and int(row[0]) == expected


async def _producer_signs_up(wa: WhatsAppEmulator) -> WaPhone:
    """A market gardener of Ogy onboards on WhatsApp as a producer and sends the profile."""
    jeanne = WaPhone(wa, WaUser(GROWER, "Jeanne"))
    await jeanne.send("Bonjour", until=fr("privacy.notice")[:20])
    await jeanne.choose(fr("privacy.accept"), until=fr("role.question"))
    await jeanne.choose(fr("role.producer"), until=fr("territory.question"))
    await jeanne.choose("Lessines", until="1/1")
    await jeanne.choose("Ogy", until=fr("sector.question"))
    # Words written during onboarding are held; a producer's are dropped, never classified.
    await jeanne.send("Nos poireaux d'hiver sont prêts à la vente", until=fr("concern.held")[:15])
    await jeanne.choose("🥖", until=fr("food.q_kind"))
    await jeanne.choose(fr("food.kind_market_gardener"), until=fr("food.q_products")[:20])
    await jeanne.choose(fr("food.product_vegetables"), until=fr("food.q_products")[:20])
    await jeanne.choose(fr("food.next"), until="🥕")
    # Winter, by its season button; then November by month, across New Year.
    await jeanne.choose(fr("food.season_winter"), until="déc.–févr.")
    await jeanne.choose(fr("food.by_month"), until="🥕")
    await jeanne.choose("nov.", until="nov.–févr.")
    await jeanne.choose(fr("food.done"), until=fr("food.q_volume", product="🥕 Légumes"))
    await jeanne.choose(fr("food.volume_medium"), until=fr("food.q_delivery")[:20])
    await jeanne.choose(fr("food.delivery_pickup"), until=fr("food.q_delivery")[:20])
    await jeanne.choose(fr("food.next"), until=fr("food.q_village", village="Ogy"))
    await jeanne.choose(fr("button.yes"), until="🏷")
    # Bad input: too long; nothing stored, the question stands.
    await jeanne.send("F" * 61, until=fr("food.name_too_long", max=60)[:20])
    await jeanne.send("Ferme du Pont", until=fr("food.review", summary="")[:15])
    assert "nov.–févr." in jeanne.texts()[-1] and "Ferme du Pont" in jeanne.texts()[-1]
    await jeanne.choose(fr("food.send"), until=fr("food.submitted")[:10])
    # Her own words are not shop difficulties, and not kept.
    await jeanne.send("Les tomates sont belles cette année", until=fr("food.text_not_kept")[:20])
    return jeanne


async def test_a_producer_and_a_restaurant_are_put_in_touch_only_when_both_accept(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    db = both.services.db
    admin = WaPhone(wa, WaUser(ADMIN, "Admin"))
    await admin.send("/producers", until=fr("food.admin_none"))
    jeanne = await _producer_signs_up(wa)
    assert await db.fetch_all("SELECT id FROM concerns") == []
    assert await db.fetch_all("SELECT id FROM held_texts") == []

    # The restaurant says what it would buy before the profile is validated: nothing yet.
    bistro = Phone(emulator, FakeUser(id=9960, language_code="fr"))
    await onboard(bistro, core="Lessines centre")
    await bistro.send("/buylocal", until=fr("food.q_buyer_kind")[:20])
    await bistro.tap(fr("food.buyer_restaurant"), until=fr("food.q_wish_product"))
    await bistro.tap(fr("food.product_vegetables"), until="🥕")
    await bistro.tap(fr("food.season_winter"), until="déc.–févr.")
    await bistro.tap(fr("food.done"), until="🥕")
    await bistro.tap(fr("food.volume_small"), until=fr("food.wish_saved"))
    assert not any(fr("food.accept") in b for b in bistro.buttons())
    assert await db.fetch_all("SELECT id FROM food_matches") == []

    # The admin was told; validates; then both sides get the suggestion.
    await admin.wait(0, fr("food.admin_new", village="Ogy"))
    await admin.send("/producers", until="Ferme du Pont")
    seen = jeanne.seen
    before = emulator.last_seq
    await admin.choose(fr("food.admin_validate"), until=fr("food.admin_validated", id=1)[:10])
    await jeanne.wait(seen, fr("food.validated")[:20])
    offer = await jeanne.wait(seen, "🌾 Un restaurant")
    assert "Lessines centre" in offer[-1].text and "9960" not in offer[-1].text
    await bistro.wait(before, "Ferme du Pont")
    suggestion = bistro.last_text()
    assert "Ogy" in suggestion and "nov.–févr." in suggestion and GROWER not in suggestion

    # Jeanne says yes first, giving her WhatsApp number; the restaurant learns nothing yet.
    await jeanne.choose(fr("food.accept"), until=fr("food.q_first_name")[:20])
    await jeanne.send("Jeanne 2", until=fr("food.bad_first_name")[:20])
    await jeanne.send("Jeanne", until=fr("food.q_contact")[:20])
    await jeanne.choose(fr("food.contact_number"), until=fr("food.yes_waiting")[:20])
    assert not any("Jeanne" in (m.get("text") or "") for m in emulator.messages(9960))

    # The restaurant says yes with an e-mail: now each gets the other's contact.
    seen = jeanne.seen
    await bistro.tap(fr("food.accept"), until=fr("food.q_first_name")[:20])
    await bistro.send("Marc", until=fr("food.q_contact")[:20])
    assert fr("food.contact_number") not in bistro.buttons()
    await bistro.tap(fr("food.contact_typed"), until=fr("food.q_contact_typed")[:20])
    await bistro.send("pas un contact", until=fr("food.bad_contact")[:20])
    await bistro.send("marc@bistro.example", until=fr("food.both_yes")[:20])
    await bistro.wait(before, "+" + GROWER)
    assert "Jeanne" in bistro.last_text()
    contact = await jeanne.wait(seen, "marc@bistro.example")
    assert "Marc" in contact[-1].text

    # A shop in Ghoy would buy vegetables too; it says no thanks: no contact passes.
    shop = Phone(emulator, FakeUser(id=9962, language_code="fr"))
    await onboard(shop, core="Ghoy")
    seen = jeanne.seen
    await shop.send("/buylocal", until=fr("food.q_buyer_kind")[:20])
    await shop.tap(fr("food.buyer_shop"), until=fr("food.q_wish_product"))
    await shop.tap(fr("food.product_vegetables"), until="🥕")
    await shop.tap(fr("food.season_autumn"), until="sept.–nov.")
    await shop.tap(fr("food.done"), until="🥕")
    before = emulator.last_seq
    await shop.tap(fr("food.volume_large"), until=fr("food.wish_saved"))
    await shop.wait(before, "Ferme du Pont")
    await jeanne.wait(seen, "🌾 Un commerce à Ghoy")
    await shop.tap(fr("food.decline"), until=fr("food.declined")[:20])
    statuses = await db.fetch_all("SELECT buyer_id, status FROM food_matches ORDER BY id")
    assert [r[1] for r in statuses] == ["accepted", "declined"]
    # Jeanne's old buttons for it say it is closed; the shop never learns who she is.
    await jeanne.choose(fr("food.accept"), until=fr("food.match_gone"))
    assert not any(
        "Jeanne" in (m.get("text") or "") or GROWER in (m.get("text") or "")
        for m in emulator.messages(9962)
    )

    # /mydata lists her profile, products and matches.
    seen = jeanne.seen
    await jeanne.send("/mydata")
    await eventually(
        lambda: _has_document(wa, seen),
    )
    document = next(m for m in wa.messages_to(GROWER)[seen:] if m.type == "document")
    assert document.media_id is not None
    exported = json.loads(wa.media(document.media_id))
    assert exported["producer_profile"][0]["business_name"] == "Ferme du Pont"
    assert exported["producer_products"][0]["product"] == "vegetables"
    assert [m["status"] for m in exported["food_matches_as_producer"]] == [
        "accepted",
        "declined",
    ]
    assert exported["food_matches_as_producer"][0]["my_first_name"] == "Jeanne"

    # /forget: the profile, its products and every match naming her go.
    await jeanne.send("/forget", until="⚠️")
    await jeanne.choose(fr("privacy.forget_yes"), until="✅")
    for table in ("producers", "producer_products", "food_matches"):
        await eventually(lambda t=table: _count(both, f"SELECT COUNT(*) FROM {t}", 0))  # type: ignore[misc]
    # The buyers' wishes are theirs and stay.
    await eventually(lambda: _count(both, "SELECT COUNT(*) FROM buyer_wishes", 2))
    # The restaurant's /forget takes its wishes away too; the shop's stay.
    await bistro.send("/forget", until="⚠️")
    await bistro.tap(fr("privacy.forget_yes"), until="✅")
    await eventually(lambda: _count(both, "SELECT COUNT(*) FROM buyer_wishes", 1))


async def _has_document(wa: WhatsAppEmulator, after: int) -> bool:
    return any(m.type == "document" for m in wa.messages_to(GROWER)[after:])
