"""End-to-end: a broadcast through the real Application and the emulator."""

from __future__ import annotations

from collections.abc import Callable

from bot.app.run import RunningBot, running_bot
from bot.config import Settings
from bot.emulator import EmulatorLimits
from bot.features.broadcasts.store import Audience
from bot.i18n import translate
from tests.support import Phone, eventually, onboard

PhoneFactory = Callable[..., Phone]


async def test_a_broadcast_reaches_each_in_their_language_skips_who_stopped_reports_once(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    fr, nl, gone, quiet = (
        make_phone(9700 + i, lang) for i, lang in enumerate(["fr", "nl", "en", "fr"])
    )
    for phone in (fr, nl, gone, quiet):
        await onboard(phone)
    await quiet.send("/stop", until=translate("fr", "announcements.off")[:12])
    admin = make_phone(9710, "en")
    await onboard(admin)
    admin_user = await bot.services.users.get("telegram", "9710")
    assert admin_user is not None
    await bot.services.users.update(admin_user.id, role="coach")  # not a shopkeeper
    gone.emulator.block(gone.user.id)
    before = fr.emulator.last_seq
    made = await bot.services.broadcasts.create(
        created_by="telegram:9710",
        texts={"fr": "Séance d'information jeudi à 18 h", "nl": "Infosessie donderdag om 18 u"},
        audience=Audience(role="shopkeeper"),
        report_chat="9710",
        report_language="en",
    )
    await admin.wait(before, until="📣")
    stop = translate("fr", "announcements.footer")
    assert fr.last_text() == "Séance d'information jeudi à 18 h\n\n" + stop
    assert nl.last_text() == "Infosessie donderdag om 18 u\n\n" + translate(
        "nl", "announcements.footer"
    )
    assert translate("fr", "announcements.off")[:12] in quiet.last_text()  # nothing after /stop
    report = admin.last_text()
    assert "#" + str(made.id) in report and translate("en", "broadcast.status_done") in report
    rows = await bot.services.db.fetch_all(
        "SELECT chat_id, status FROM broadcast_outbox WHERE broadcast_id = ?", (made.id,)
    )
    assert sorted((r[0], r[1]) for r in rows) == [
        ("9700", "sent"),
        ("9701", "sent"),
        ("9702", "blocked"),
    ]
    blocked = await bot.services.users.get("telegram", "9702")
    assert blocked is not None and blocked.blocked_at is not None

    async def reported() -> bool:
        stored = await bot.services.broadcasts.get(made.id)
        return stored is not None and stored.report_sent_at is not None

    await eventually(reported)
    # /start_announcements brings announcements back.
    await quiet.send("/start_announcements", until=translate("fr", "announcements.on")[:12])
    assert await bot.services.broadcasts.count(Audience(role="shopkeeper")) == 3


FORM = """/broadcast
fr: Atelier vitrine jeudi à 18 h
nl: Etalage-workshop donderdag om 18 u
role: shopkeeper
territory: lessines"""


async def test_an_admin_composes_previews_confirms_once_and_controls_broadcasts(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(
        settings.model_copy(update={"admin_ids": (9720,)}), poll_timeout=1
    ) as bot:
        fr, nl = make_phone(9721, "fr"), make_phone(9722, "nl")
        for phone in (fr, nl):
            await onboard(phone)
        admin, stranger = make_phone(9720, "en"), make_phone(9723, "en")
        await stranger.send(FORM, until=translate("en", "command.unknown"))
        await admin.send("/broadcast", until="/broadcast")
        assert "territory: brussels" in admin.last_text()  # the form to fill
        await admin.send(FORM.replace("fr:", "colour: red\nfr:"), until="⚠️")
        assert "colour" in admin.last_text()
        await admin.send(FORM, until="📣")
        preview = admin.last_text()
        assert "2" in preview.split("—")[1] and "Atelier vitrine" in preview
        message_id, data = admin.find_button(translate("en", "admin.broadcast_go"))
        before = fr.emulator.last_seq
        # Tapped twice: sent once.
        fr.emulator.press_button(admin.user, message_id, data)
        await admin.tap_data(message_id, data)
        await admin.wait(before, until="📣 " + translate("en", "broadcast.report")[2:12])
        assert fr.last_text().startswith("Atelier vitrine jeudi à 18 h\n\n— /stop")
        assert nl.last_text().startswith("Etalage-workshop donderdag om 18 u\n\n— /stop")
        received = [e for e in fr.emulator.events_after(before, fr.user.id)]
        assert [e.kind for e in received] == ["send_message"]

        # A scheduled one can be paused, resumed and cancelled from /broadcasts.
        await admin.send(FORM + "\nat: 2099-01-01 10:00", until="📣")
        await admin.tap(translate("en", "admin.broadcast_go"), until="✅")
        await admin.send("/broadcasts", until=translate("en", "admin.broadcasts_header"))
        # The list is refreshed in place after each tap.
        await admin.tap("⏸", until=translate("en", "broadcast.status_paused"))
        assert "▶" in " ".join(admin.buttons())
        await admin.tap("▶", until=translate("en", "broadcast.status_scheduled"))
        await admin.tap("✖", until="?")
        await admin.tap(translate("en", "admin.broadcast_cancel_yes"))
        [(latest, progress)] = await bot.services.broadcasts.recent(1)
        assert latest.status == "cancelled" and progress == {}

        # With a photo: the caption is the form; recipients get the photo and the text.
        before = fr.emulator.last_seq
        fr.emulator.send_photo(admin.user, caption=FORM)
        await admin.wait(before, until=translate("en", "admin.broadcast_with_photo"))
        await admin.tap(translate("en", "admin.broadcast_go"), until="✅")
        photo = await fr.emulator.wait_for_event(
            fr.user.id, after_seq=before, kinds={"send_photo"}, timeout=10
        )
        assert (photo.text or "").startswith("Atelier vitrine")  # the caption


async def test_a_429_from_telegram_holds_the_message_then_it_goes_once_without_costing_a_try(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    phone = make_phone(9730, "fr")
    await onboard(phone)
    emulator = phone.emulator
    # Telegram refuses every message for a while (flood control).
    emulator.limits = EmulatorLimits(random_429_share=1.0, random_429_retry_after=1)
    before = emulator.last_seq
    made = await bot.services.broadcasts.create(
        created_by="t", texts={"fr": "Marché de Noël"}, audience=Audience()
    )

    async def held() -> bool:
        rows = await bot.services.db.fetch_all(
            "SELECT status, not_before FROM broadcast_outbox WHERE broadcast_id = ?", (made.id,)
        )
        return bool(rows) and rows[0][0] == "pending" and rows[0][1] != ""

    await eventually(held, attempts=1000)  # python-telegram-bot's own retries come first
    refused = [e for e in emulator.events_after(before, phone.user.id) if e.kind == "rejected"]
    assert refused and all("Too Many Requests" in (e.error or "") for e in refused)
    emulator.limits = EmulatorLimits()
    await phone.wait(before, until="Marché de Noël")

    async def recorded() -> bool:
        rows = await bot.services.db.fetch_all(
            "SELECT status, attempts FROM broadcast_outbox WHERE broadcast_id = ?", (made.id,)
        )
        # Sent, and the refused try was not counted.
        return [tuple(r) for r in rows] == [("sent", 1)]

    await eventually(recorded)
    sent = [e for e in emulator.events_after(before, phone.user.id) if e.kind == "send_message"]
    assert len(sent) == 1
