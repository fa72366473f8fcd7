"""End-to-end: concerns through the emulator with the real Application and the real model."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app.run import RunningBot, running_bot
from bot.config import Settings
from bot.emulator import BotApiEmulator
from bot.features.concerns.store import ConcernStatus
from bot.i18n import translate
from nlp.taxonomy import taxonomy
from tests.support import Phone, echo_line, eventually, onboard

PhoneFactory = Callable[..., Phone]


@pytest.fixture
async def bot_k2(settings: Settings) -> AsyncIterator[RunningBot]:
    """Run the bot with an anonymity threshold of 2, so a test needs few people."""
    changed = settings.model_copy(update={"anonymity_k": 2, "barometer_cache_seconds": 0})
    async with running_bot(changed, poll_timeout=1) as b:
        yield b


async def concerns_of(bot: RunningBot, phone: Phone) -> list[tuple[str, str, str]]:
    rows = await bot.services.db.fetch_all(
        "SELECT c.status, c.predicted, c.draft FROM concerns c JOIN users u ON u.id = c.user_id"
        " WHERE u.external_id = ? ORDER BY c.id",
        (str(phone.user.id),),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_confirm_path_echo_and_threshold(
    bot_k2: RunningBot, make_phone: PhoneFactory
) -> None:
    title = taxonomy().get("roadworks").title("fr")
    others = [make_phone(9300 + i, "fr") for i in range(2)]
    me = make_phone(9310, "fr")
    for phone in [*others, me]:
        await onboard(phone)
    text = "Les travaux devant le magasin bloquent tout depuis des semaines, personne ne passe"

    async def report(phone: Phone) -> str:
        await phone.send(text, until=translate("fr", "concern.understood", factors="")[:12])
        assert title in phone.last_text()
        events = await phone.tap(translate("fr", "concern.yes"), until="🤝")
        return str(events[-1].text)

    echo_first = await report(others[0])
    # Nobody else yet, anywhere: no number, but what the voice is for, and where help is.
    assert translate("fr", "echo.header_first") in echo_first
    assert translate("fr", "echo.first", k=2) in echo_first
    assert translate("fr", "echo.help_header") in echo_first
    await report(others[1])
    echo = await report(me)
    everywhere = translate("fr", "echo.everywhere")
    assert echo_line("fr", title, ("Ogy", 2), ("Lessines", 2), (everywhere, 2)) in echo
    assert translate("fr", "echo.help_header") in echo and "https://" in echo
    assert translate("fr", "echo.first", k=2) not in echo
    assert [s for s, _, _ in await concerns_of(bot_k2, me)] == [ConcernStatus.CONFIRMED]
    # Free text is never shown back, to anyone: only counts.
    for phone in [*others, me]:
        assert all(text[:30] not in m["text"] for m in phone.emulator.messages(phone.user.id))


async def test_change_path_and_none_path(bot_k2: RunningBot, make_phone: PhoneFactory) -> None:
    phone = make_phone(9320, "en")
    await onboard(phone)
    staff = taxonomy().get("staff").title("en")
    await phone.send(
        "The landlord wants to double the rent when the lease ends",
        until=translate("en", "concern.understood", factors="")[:10],
    )
    await phone.tap(
        translate("en", "concern.change"), until=translate("en", "concern.pick_change")
    )
    await phone.tap(staff, until=translate("en", "concern.pick_change"))
    assert "✅ " + staff in phone.buttons()
    await phone.tap(translate("en", "concern.done"), until="📝")
    status, predicted, draft = (await concerns_of(bot_k2, phone))[0]
    assert status == "confirmed" and "staff" in draft and draft != predicted
    rows = await bot_k2.services.db.fetch_all("SELECT corrected FROM concerns")
    assert rows[0][0] == 1
    await phone.send("Bonjour, hello, good morning :)", until=translate("en", "concern.pick")[:8])
    await phone.tap(translate("en", "concern.none"), until=translate("en", "concern.noted_none"))
    statuses = await concerns_of(bot_k2, phone)
    assert statuses[1][0] == "confirmed" and statuses[1][2] == "[]"


async def test_someone_elses_or_stale_concern_buttons_change_nothing(
    bot_k2: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    owner = make_phone(9330, "nl")
    intruder = make_phone(9331, "nl")
    for phone in (owner, intruder):
        await onboard(phone)
    await owner.send("Te veel belastingen en papierwerk", until="?")
    message_id, data = owner.find_button(translate("nl", "concern.yes"))
    concern_id = data.split(":")[2]
    # The intruder forges a tap on the owner's concern, on a message of their own chat.
    own_message = int(emulator.messages(intruder.user.id)[-1]["message_id"])
    for forged in (f"cc:y:{concern_id}", f"cc:t:{concern_id}:0", f"cc:t:{concern_id}:99", "cc:zz"):
        answer = await intruder.answer_to(own_message, forged)
        assert answer.text in (translate("nl", "button.stale"), translate("nl", "button.invalid"))
    assert [s for s, _, _ in await concerns_of(bot_k2, owner)] == ["pending"]
    await owner.tap_data(message_id, data, until="📝")
    # The same tap again (double tap) is stale and changes nothing.
    answer = await owner.answer_to(message_id, data)
    assert answer.text == translate("nl", "button.stale")
    assert [s for s, _, _ in await concerns_of(bot_k2, owner)] == ["confirmed"]


async def test_pending_concern_survives_a_restart(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    phone = make_phone(9340, "fr")
    async with running_bot(settings, poll_timeout=1):
        await onboard(phone)
        await phone.send("Le proprio ne répare pas la toiture qui fuit", until="?")
    async with running_bot(settings, poll_timeout=1) as again:
        await phone.tap(translate("fr", "concern.yes"), until="🤝")
        assert [s for s, _, _ in await concerns_of(again, phone)] == ["confirmed"]


async def test_text_written_during_onboarding_is_kept_and_filed_after(
    bot_k2: RunningBot, make_phone: PhoneFactory
) -> None:
    phone = make_phone(9350, "fr")
    t = lambda key, **kw: translate("fr", key, **kw)  # noqa: E731
    await phone.consent()
    await phone.send(
        "Les travaux de la Grand-Place bloquent l'accès au magasin depuis mars",
        until=t("role.question"),
    )
    assert t("concern.held") in [m["text"] for m in phone.emulator.messages(phone.user.id)]
    assert await concerns_of(bot_k2, phone) == []
    await phone.tap(t("role.shopkeeper"), until=t("territory.question"))
    await phone.tap("Lessines", until="1/1")
    await phone.tap("Ghoy", until=t("sector.question"))
    await phone.tap("🥖", until=t("concern.understood", factors="")[:12])
    assert taxonomy().get("roadworks").title("fr") in phone.last_text()
    assert [s for s, _, _ in await concerns_of(bot_k2, phone)] == ["pending"]
    rows = await bot_k2.services.db.fetch_all("SELECT COUNT(*) FROM held_texts")
    assert rows[0][0] == 0


async def test_flood_control_holds_through_the_bot(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    limited = settings.model_copy(update={"flood_per_hour": 2})
    async with running_bot(limited, poll_timeout=1) as bot:
        phone = make_phone(9360, "en")
        await onboard(phone)
        for text in ("Rent went up again this year", "No parking spaces left on our street"):
            await phone.send(text, until="?")
        await phone.send(
            "Too much paperwork with the VAT", until=translate("en", "concern.flooded")
        )
        assert len(await concerns_of(bot, phone)) == 2


async def test_history_lists_and_deletes_own_concerns(
    bot_k2: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    phone = make_phone(9370, "fr")
    t = lambda key, **kw: translate("fr", key, **kw)  # noqa: E731
    await phone.send("/history", until=t("privacy.notice")[:20])
    await onboard(phone)
    await phone.send("/history", until=t("history.empty")[:10])
    await phone.send("Le loyer augmente encore et encore cette année", until="?")
    first_yes = phone.find_button(t("concern.yes"))
    await phone.tap(t("concern.yes"), until="🤝")
    await phone.send("Plus personne ne veut travailler le samedi chez nous", until="?")
    pending_yes = phone.find_button(t("concern.yes"))
    await phone.send("/history", until=t("history.header")[:10])
    listing = phone.last_text()
    assert t("text.quoted", text="Le loyer augmente encore et encore cette année") in listing
    assert t("history.pending") in listing and listing.index("samedi") < listing.index("loyer")
    # Delete the pending one (number 1, newest first); its old "Yes" button goes stale.
    await phone.tap("🗑 1", until=t("history.header")[:10])
    assert "samedi" not in phone.last_text() and "loyer" in phone.last_text()
    answer = await phone.answer_to(*pending_yes)
    assert answer.text == t("button.stale")
    # Delete the confirmed one: its factors stop counting.
    await phone.tap("🗑 1", until=t("history.empty")[:10])
    rows = await bot_k2.services.db.fetch_all("SELECT COUNT(*) FROM concern_factors")
    assert rows[0][0] == 0 and await concerns_of(bot_k2, phone) == []
    assert first_yes[0] != pending_yes[0]


async def test_a_flooder_is_throttled_politely_while_others_keep_their_latency(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    flooder, neighbour = make_phone(9380, "en"), make_phone(9381, "en")
    for phone in (flooder, neighbour):
        await onboard(phone)
    emulator = flooder.emulator
    before = emulator.last_seq
    # Hundreds of messages in a few seconds, all queued at once.
    for i in range(300):
        emulator.send_text(flooder.user, f"Complaint number {i} about the parking on our street")
    latencies = []
    for _ in range(5):
        started = time.monotonic()
        await neighbour.send("/help", until="/start")
        latencies.append(time.monotonic() - started)
    # Generous: the neighbour is not stuck behind 300 messages (a few ms each when alone).
    assert max(latencies) < 3.0, latencies
    flooded = translate("en", "concern.flooded")

    async def all_answered() -> bool:
        sent = emulator.events_after(before, flooder.user.id)
        return len([e for e in sent if e.kind == "send_message"]) >= 300

    await eventually(all_answered, attempts=3000)
    texts = [e.text or "" for e in emulator.events_after(before, flooder.user.id)]
    assert sum(flooded in t for t in texts) == 300 - 20  # over the hourly limit: told why
    assert translate("en", "error.generic") not in texts
    assert len(await concerns_of(bot, flooder)) <= bot.services.settings.flood_per_hour
