"""End-to-end: a broadcast through the real Application and the emulator."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.telegram_app import RunningBot
from bot.i18n import translate
from bot.storage.broadcasts import Audience
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
    )
    await admin.wait(before, until="📣")
    assert fr.last_text() == "Séance d'information jeudi à 18 h"
    assert nl.last_text() == "Infosessie donderdag om 18 u"
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
