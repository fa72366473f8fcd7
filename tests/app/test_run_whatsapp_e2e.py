"""`python bot.py run` as its own process, on WhatsApp alone and beside Telegram, end to end.

Each test starts the bot as an operator does (settings from the environment, SIGTERM to stop,
SIGKILL for a crash), drives people through the project's WhatsApp Cloud API and Bot API
emulators, and reads the bot's SQLite file directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar

from bot.config import PROJECT_ROOT
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from bot.features.surveys.definitions import Surveys
from bot.i18n import translate
from nlp.taxonomy import taxonomy
from tests.bot_process import WA_ENV, BotProcess, free_port
from tests.channels.test_events_e2e import FORM as EVENT_FORM
from tests.channels.test_privacy_e2e import cells
from tests.channels.test_surveys_e2e import label, text_of
from tests.support import Phone, echo_line, eventually, onboard

MEDIA_KINDS = ("audio", "image", "sticker", "location", "document", "video", "contacts")


def understood(lang: str = "fr") -> str:
    """Return the start of "I understood …, right?" in `lang`."""
    return translate(lang, "concern.understood", factors="")[:10]


def whatsapp_bot(tmp_path: Path, wa: WhatsAppEmulator, **settings: str) -> BotProcess:
    """Return a bot on WhatsApp (and whatever `settings` add) whose webhooks the emulator calls."""
    bot = BotProcess(tmp_path, {**WA_ENV, "ECHOPPE_WHATSAPP_API_URL": wa.base_url, **settings})
    wa.webhook_url = f"{bot.url}/whatsapp/webhook"
    return bot


async def onboard_on_whatsapp(phone: WaPhone, lang: str = "fr") -> None:
    """Go through consent, language, role, territory, core and sector, as a shopkeeper would."""

    def t(key: str) -> str:
        return translate(lang, key)

    # WhatsApp says nothing of the phone's language: the notice comes in French first.
    await phone.send("Bonjour", until=translate("fr", "privacy.notice")[:20])
    if lang != "fr":
        await phone.choose(
            {"nl": "Nederlands", "en": "English"}[lang], until=t("privacy.notice")[:20]
        )
    await phone.choose(t("privacy.accept"), until=t("role.question"))
    await phone.choose(t("role.shopkeeper"), until=t("territory.question"))
    await phone.choose("Lessen" if lang == "nl" else "Lessines", until="1/1")
    await phone.choose("Ogy", until=t("sector.question"))
    await phone.choose("🥖", until="🎉")


async def tell(phone: WaPhone, text: str, lang: str = "fr") -> list[object]:
    """Say a concern, confirm the bot's guess, and return the messages up to the echo."""
    await phone.send(text, until=understood(lang))
    return await phone.choose(translate(lang, "concern.yes"), until="🤝")


async def test_onboarding_in_three_languages_a_concern_its_echo_and_stop_start(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    bot = whatsapp_bot(tmp_path, wa)
    await bot.start()
    try:
        concerns = {
            "fr": "Le loyer a encore augmenté et le propriétaire ne répare rien",
            "nl": "De huur is weer gestegen en de eigenaar herstelt niets",
            "en": "The rent went up again and the landlord repairs nothing",
        }
        phones = {}
        for n, (lang, text) in enumerate(concerns.items()):
            phone = WaPhone(wa, WaUser(f"3247110000{n}", f"Person {n}"), timeout=30)
            phones[lang] = phone
            await onboard_on_whatsapp(phone, lang)
            await tell(phone, text, lang)
        assert bot.rows(
            "SELECT u.language, c.status FROM concerns c JOIN users u"
            " ON u.id = c.user_id ORDER BY c.id"
        ) == [
            ("fr", "confirmed"),
            ("nl", "confirmed"),
            ("en", "confirmed"),
        ]
        # STOP turns announcements off, a bare "start" back on; then "start" is /start.
        fr = phones["fr"]
        announcements = "SELECT announcements FROM users WHERE external_id = ?"
        await fr.send("STOP", until=translate("fr", "announcements.off")[:15])
        assert bot.rows(announcements, (fr.user.wa_id,)) == [(0,)]
        await fr.send("Start", until=translate("fr", "announcements.on")[:15])
        assert bot.rows(announcements, (fr.user.wa_id,)) == [(1,)]
        await fr.send("start", until=translate("fr", "start.welcome_back")[:15])
        await phones["nl"].send("stoppen", until=translate("nl", "announcements.off")[:15])
        assert bot.rows(announcements, (phones["nl"].user.wa_id,)) == [(0,)]
        assert wa.rejected == []
    finally:
        await bot.stop()


async def test_signatures_duplicates_order_and_every_kind_of_message(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    bot = whatsapp_bot(tmp_path, wa)
    await bot.start()
    try:
        forged = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "2000000002",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {"phone_number_id": "1000000001"},
                                    "messages": [
                                        {
                                            "from": "32470000009",
                                            "id": "wamid.forged",
                                            "timestamp": str(int(time.time())),
                                            "type": "text",
                                            "text": {"body": "/start"},
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()
        wrong = "sha256=" + hmac.new(b"not-the-secret", forged, hashlib.sha256).hexdigest()
        assert await wa.post_raw(forged, None) == 401
        assert await wa.post_raw(forged, wrong) == 403
        for table in ("users", "inbox", "processed_events", "reply_outbox"):
            assert bot.rows(f"SELECT COUNT(*) FROM {table}") == [(0,)], table
        assert b"32470000009" not in bot.bytes_on_disk()
        assert b"32470000009" not in bot.log.read_bytes()
        assert wa.messages_to("32470000009") == []

        phone = WaPhone(wa, WaUser("32470000002", "Bo"), timeout=30)
        await onboard_on_whatsapp(phone)
        # Every webhook twice: the concern and its confirmation are applied once.
        wa.duplicate_webhooks = True
        await tell(phone, "Les travaux devant le magasin durent depuis des mois")
        wa.duplicate_webhooks = False
        await phone.send("/history", until="🗂")
        assert bot.rows("SELECT COUNT(*) FROM concerns") == [(1,)]
        assert sum("🤝" in text for text in phone.texts()) == 1
        # Two messages delivered in the other order: each applied once.
        before = phone.seen
        wa.reorder_next(2)
        await wa.send_text(phone.user, "Le loyer augmente encore cette année")
        await wa.send_text(phone.user, "La TVA et les cotisations sociales me prennent tout")
        first = await phone.wait(before, until=understood())
        await phone.wait(first[-1].index + 1, until=understood())
        assert sorted(t for (t,) in bot.rows("SELECT text FROM concerns")) == [
            "La TVA et les cotisations sociales me prennent tout",
            "Le loyer augmente encore cette année",
            "Les travaux devant le magasin durent depuis des mois",
        ]
        # Whatever cannot be read gets a polite answer, in the person's language.
        for kind in MEDIA_KINDS:
            before = phone.seen
            await wa.send_media(phone.user, kind)
            [answer] = await phone.wait(before, until=translate("fr", "input.text_only")[:15])
            assert answer.text
        assert wa.rejected == []
    finally:
        await bot.stop()


async def test_a_survey_launched_from_the_shell_and_an_event_with_its_calendar_file(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    admin_number = "32470009998"
    bot = whatsapp_bot(tmp_path, wa, ECHOPPE_ADMIN_IDS=f"whatsapp:{admin_number}")
    await bot.start()
    try:
        guest = WaPhone(wa, WaUser("32470000071", "Ada"), timeout=60)
        await onboard_on_whatsapp(guest)
        code, out, err = await bot.cli(
            "survey", "launch", "monthly_pulse", "--territory", "lessines"
        )
        assert code == 0, err
        assert "1 people invited" in out
        # Meanwhile an admin announces a workshop from WhatsApp; the guest answers Going.
        admin = WaPhone(wa, WaUser(admin_number, "Admin"), timeout=30)
        await admin.send(EVENT_FORM, until="📅")
        before = guest.seen
        await admin.choose(translate("fr", "admin.event_announce"), until="✅")
        await guest.wait(before, until="Atelier vitrine")
        before = guest.seen
        await guest.choose(translate("fr", "event.going"), until="✅")
        index = before
        while True:
            calendar = await wa.wait_for_message(guest.user.wa_id, after=index, timeout=30)
            if calendar.type == "document":
                break
            index = calendar.index + 1
        assert calendar.filename and calendar.filename.endswith(".ics")
        assert calendar.media_id is not None
        [vevent] = icalendar.Calendar.from_ical(wa.media(calendar.media_id)).walk("VEVENT")
        assert str(vevent["SUMMARY"]) == "Atelier vitrine"
        assert bot.rows("SELECT answer FROM event_rsvps") == [("going",)]
        # The running bot's job sends the wave's invitation; every kind of question follows.
        survey = Surveys.load(PROJECT_ROOT / "data" / "surveys").get("monthly_pulse")
        assert survey is not None
        await guest.wait(0, until=survey.title.get("fr")[:10])
        tax = taxonomy()
        await guest.choose(
            translate("fr", "survey.start"), until=text_of(survey, "hurts_most", "fr")
        )
        for factor in ("roadworks", "rent_premises"):
            await guest.choose(
                tax.get(factor).title("fr"), until=text_of(survey, "hurts_most", "fr")
            )
        await guest.choose(
            translate("fr", "survey.done_up_to", n=3),
            until=text_of(survey, "business_trend", "fr"),
        )
        await guest.choose(
            label(survey, "business_trend", "worse", "fr"),
            until=text_of(survey, "worse_why", "fr"),
        )
        await guest.send(
            "Les travaux dans la rue ont fait fuir les clients",
            until=translate("fr", "survey.understood_text", factors="")[:12],
        )
        await guest.choose(
            translate("fr", "survey.text_done"), until=text_of(survey, "anything_else", "fr")
        )
        await guest.send("/skip", until=survey.closing.get("fr")[:20])
        assert bot.rows("SELECT status FROM survey_responses") == [("completed",)]
        assert wa.rejected == []
    finally:
        await bot.stop()


async def approve_templates(bot: BotProcess, wa: WhatsAppEmulator, *names: str) -> None:
    """Submit the templates from the shell, let Meta approve `names`, record their status."""
    code, out, err = await bot.cli("whatsapp", "templates", "sync")
    assert code == 0, err
    assert "30 template(s) submitted for review" in out  # 10 templates in fr, nl and en
    for name in names:
        wa.approve_template(name)
    code, out, err = await bot.cli("whatsapp", "templates", "list")
    assert code == 0, err
    for name in names:
        assert f"{name}\tfr\t" in out and "APPROVED" in out


def iso(moment: datetime) -> str:
    """Return a time as the bot stores it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


async def test_a_follow_up_after_the_window_closed_goes_as_its_template_and_is_answered(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    # Any hour of the day is a decent hour here, so that the test passes at any time.
    bot = whatsapp_bot(
        tmp_path, wa, ECHOPPE_FOLLOW_UP_FROM_HOUR="0", ECHOPPE_FOLLOW_UP_UNTIL_HOUR="24"
    )
    await bot.start()
    phone = WaPhone(wa, WaUser("32470000005", "Ed"), timeout=30)
    try:
        await onboard_on_whatsapp(phone)
        await tell(phone, "Les travaux bloquent la rue depuis trois mois")
        await approve_templates(bot, wa, "echoppe_follow_up")
    finally:
        await bot.stop()
    # Three weeks pass: the follow-up is due, and the person last wrote a day and more ago.
    now = datetime.now(UTC)
    bot.write("UPDATE follow_ups SET due_at = ?", (iso(now - timedelta(minutes=1)),))
    bot.write("UPDATE users SET last_inbound_at = ?", (iso(now - timedelta(hours=25)),))
    wa.set_window(phone.user.wa_id, False)
    before = phone.seen
    await bot.start()
    try:
        phone.timeout = 90  # the follow-up job's first run comes half a minute after start
        [template] = await phone.wait(before)
        phone.timeout = 30
        assert template.type == "template" and template.template_name == "echoppe_follow_up"
        assert len(template.buttons) == 3
        await phone.choose(translate("fr", "follow_up.still_there"), until="📝")
        assert bot.rows("SELECT answer FROM follow_ups") == [("still_there",)]
        assert wa.rejected == []
    finally:
        await bot.stop()


async def test_a_crash_between_a_message_and_its_confirmation_loses_nothing(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    bot = whatsapp_bot(tmp_path, wa)
    await bot.start()
    phone = WaPhone(wa, WaUser("32470000006", "Gus"), timeout=30)
    try:
        await onboard_on_whatsapp(phone)
        await phone.send("Les charges et la TVA me prennent tout mon temps", until=understood())
    finally:
        await bot.kill()
    # The bot is down: the tap waits at Meta, which retries until the bot answers 200.
    wa.retry_delays = (1.0, 2.0, 4.0, 8.0, 8.0, 8.0)
    before = phone.seen
    message = [m for m in wa.messages_to(phone.user.wa_id) if m.buttons][-1]
    yes = next(b for b, title in message.buttons if translate("fr", "concern.yes") in title)
    tap = asyncio.create_task(wa.tap_button(phone.user, message.id, yes))
    await asyncio.sleep(0.5)
    await bot.start()
    try:
        await tap
        await phone.wait(before, until="🤝")
        assert bot.rows("SELECT status FROM concerns") == [("confirmed",)]
        assert sum("🤝" in text for text in phone.texts()) == 1
    finally:
        await bot.stop()


async def test_one_person_on_both_apps_counts_once_and_forget_from_one_erases_both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    bot = whatsapp_bot(
        tmp_path,
        wa,
        ECHOPPE_TELEGRAM_TOKEN="42:any-token",
        ECHOPPE_TELEGRAM_BASE_URL=emulator.base_url,
        ECHOPPE_TELEGRAM_MAX_RATE="0",
        ECHOPPE_ANONYMITY_K="2",
        # The echo's territory figure is then as fresh as its core figure.
        ECHOPPE_BAROMETER_CACHE_SECONDS="0",
    )
    await bot.start()
    try:
        me_tg = Phone(emulator, FakeUser(id=9501, language_code="fr"), timeout=30)
        me_wa = WaPhone(wa, WaUser("32470009501", "Me"), timeout=30)
        other = WaPhone(wa, WaUser("32470009502", "Other"), timeout=30)
        viewer = WaPhone(wa, WaUser("32470009503", "Viewer"), timeout=30)
        await onboard(me_tg)
        await me_tg.send("Les travaux bloquent ma rue depuis des mois", until=understood())
        await me_tg.tap(translate("fr", "concern.yes"), until="🤝")
        # The same person on WhatsApp, onboarded there too, with a concern of their own.
        await onboard_on_whatsapp(me_wa)
        await tell(me_wa, "Les travaux devant le magasin font fuir")
        # /link on Telegram, the code sent on WhatsApp.
        [answer] = await me_tg.send("/link", until="/link ")
        code = (answer.text or "").split("/link ", 1)[1].split()[0]
        await me_wa.send(f"/link {code}", until=translate("fr", "link.done")[:15])
        assert bot.rows("SELECT COUNT(*) FROM users") == [(1,)]
        for phone in (other, viewer):
            await onboard_on_whatsapp(phone)
        await tell(other, "Encore des travaux dans la rue")
        echo = (await tell(viewer, "Les travaux, toujours les travaux"))[-1]
        # The viewer hears of two others (me, counted once, and other), not three.
        everywhere = translate("fr", "echo.everywhere")
        line = echo_line("fr", "", ("Ogy", 2), ("Lessines", 2), (everywhere, 2))
        assert line.strip() in echo.text
        health = await bot.health()
        assert health["channels"]["telegram"]["state"] == "up"
        assert health["channels"]["whatsapp"]["last_ok"] is not None
        # /forget on WhatsApp erases the person, their Telegram identity included.
        await me_wa.send("/forget", until="⚠️")
        await me_wa.choose(translate("fr", "privacy.forget_yes"), until="✅")
        assert bot.rows(
            "SELECT COUNT(*) FROM users WHERE external_id IN ('9501', '32470009501')"
        ) == [(0,)]
        # Telegram knows the person no more: /start begins again, at the privacy notice.
        await me_tg.send("/start", until=translate("fr", "privacy.notice")[:20])
    finally:
        await bot.stop()

    def leftovers() -> list[object]:
        found: list[object] = [
            (table, column)
            for table, column, value in cells(bot.database)
            if isinstance(value, str) and ("32470009501" in value or "font fuir" in value)
        ]
        if b"32470009501" in bot.bytes_on_disk() or b"font fuir" in bot.bytes_on_disk():
            found.append("file")
        return found

    assert leftovers() == []


async def test_a_broadcast_from_a_whatsapp_admin_previews_templates_cost_and_days(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    admin_number = "32470009999"
    bot = whatsapp_bot(
        tmp_path,
        wa,
        ECHOPPE_ADMIN_IDS=f"whatsapp:{admin_number}",
        ECHOPPE_WHATSAPP_DAILY_LIMIT="1",
        ECHOPPE_WHATSAPP_PRICE_MARKETING="0.25",
    )
    recent = WaPhone(wa, WaUser("32470000020", "Ria"), timeout=30)
    old = WaPhone(wa, WaUser("32470000021", "Sam"), timeout=30)
    await bot.start()
    try:
        for phone in (recent, old):
            await onboard_on_whatsapp(phone)
        await approve_templates(bot, wa, "echoppe_announcement")
    finally:
        await bot.stop()
    # Sam last wrote two days ago: only a template reaches Sam now.
    two_days_ago = iso(datetime.now(UTC) - timedelta(days=2))
    bot.write(
        "UPDATE users SET last_inbound_at = ? WHERE external_id = ?",
        (two_days_ago, old.user.wa_id),
    )
    wa.set_window(old.user.wa_id, False)
    await bot.start()
    try:
        admin = WaPhone(wa, WaUser(admin_number, "Admin"), timeout=30)
        form = (
            "/broadcast\nfr: Atelier vitrine jeudi à 18 h\nrole: shopkeeper\nterritory: lessines"
        )
        [preview] = await admin.send(form, until="📱")
        expected = translate(
            "fr",
            "admin.broadcast_templates",
            on_channel=2,
            templates=1,
            category="marketing",
            cost="0.25",
            days=1,
        )
        assert expected in preview.text
        before_recent, before_old = recent.seen, old.seen
        await admin.choose(translate("fr", "admin.broadcast_go"), until="📣")
        free_form = (await recent.wait(before_recent, until="Atelier vitrine"))[-1]
        assert free_form.type != "template"
        template = (await old.wait(before_old, until="Atelier vitrine"))[-1]
        assert template.type == "template"
        assert template.template_name == "echoppe_announcement"
        # The admin's report says what WhatsApp reported, not only what it accepted.
        await admin.wait(admin.seen - 1, until="📬")

        async def both_delivered() -> bool:
            placeholders = ", ".join("?" for _ in (free_form.id, template.id))
            rows = bot.rows(
                f"SELECT status FROM delivery_statuses WHERE message_id IN ({placeholders})",
                (free_form.id, template.id),
            )
            return sorted(r[0] for r in rows) in (
                ["delivered", "delivered"],
                ["delivered", "read"],
                ["read", "read"],
            )

        await eventually(both_delivered)
        assert wa.rejected == []
    finally:
        await bot.stop()


async def test_whatsapp_serves_people_through_a_minute_of_telegram_outage(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    telegram_port = free_port()
    bot = whatsapp_bot(
        tmp_path,
        wa,
        ECHOPPE_TELEGRAM_TOKEN="42:any-token",
        ECHOPPE_TELEGRAM_BASE_URL=f"http://127.0.0.1:{telegram_port}/bot",
        ECHOPPE_TELEGRAM_MAX_RATE="0",
    )
    started = time.monotonic()
    await bot.start()
    try:
        health = await bot.health()
        assert health["channels"]["telegram"]["state"] == "unreachable"
        phone = WaPhone(wa, WaUser("32470000060", "Yan"), timeout=30)
        await onboard_on_whatsapp(phone)
        await tell(phone, "Les travaux bloquent tout")
        # For the rest of the minute, every message is answered as usual.
        answered = 0
        while time.monotonic() - started < 60:
            await phone.send("/help", until=translate("fr", "help.text")[:20])
            answered += 1
            await asyncio.sleep(5)
        assert answered >= 3
        assert (await bot.health())["channels"]["telegram"]["state"] == "unreachable"
        # Telegram comes back: the bot finds it on its own and serves Telegram users too.
        telegram = BotApiEmulator()
        await telegram.start("127.0.0.1", telegram_port)
        try:

            async def telegram_up() -> bool:
                await asyncio.sleep(0.5)
                return bool((await bot.health())["channels"]["telegram"]["state"] == "up")

            await eventually(telegram_up, attempts=180)
            tg = Phone(telegram, FakeUser(id=9091, language_code="en"), timeout=30)
            await tg.send("/start", until=translate("en", "privacy.notice")[:20])
            await phone.send("/help", until=translate("fr", "help.text")[:20])
        finally:
            await bot.stop()
            await telegram.stop()
    finally:
        await bot.stop()
    log = bot.log.read_text()
    assert "telegram is unreachable" in log.lower() and "42:any-token" not in log
