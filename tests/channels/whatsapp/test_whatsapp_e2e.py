"""The real bot on WhatsApp only, through the Cloud API emulator: signed webhooks in, Graph out."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import icalendar
import pytest
from pydantic import SecretStr

from bot.app.run import RunningBot, running_bot
from bot.app.whatsapp_admin import templates
from bot.channels.whatsapp.links import chat_link
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.features.follow_ups.jobs import question_sender
from bot.features.surveys.jobs import invitation_sender
from bot.i18n import translate
from bot.storage.deliveries import DeliveryStatusRepository
from nlp.taxonomy import taxonomy
from tests.channels.test_events_e2e import FORM as EVENT_FORM
from tests.channels.test_privacy_e2e import cells
from tests.channels.test_surveys_e2e import label, text_of
from tests.channels.whatsapp.phone import WaPhone
from tests.conftest import TEST_TOKEN
from tests.support import Phone, eventually, onboard


def wa_settings(database: Path, wa: WhatsAppEmulator, **extra: Any) -> Settings:
    """Return settings for a bot on WhatsApp (and whatever else `extra` turns on)."""
    return Settings(
        database_path=database,
        whatsapp_token=SecretStr("wa-test-token"),
        whatsapp_app_secret=SecretStr("wa-app-secret"),
        whatsapp_verify_token=SecretStr("wa-verify"),
        whatsapp_phone_number_id="1000000001",
        whatsapp_business_account_id="2000000002",
        whatsapp_api_url=wa.base_url,
        http_port=0,
        _env_file=None,  # type: ignore[call-arg]
        **extra,
    )


@pytest.fixture
async def wa() -> AsyncIterator[WhatsAppEmulator]:
    async with WhatsAppEmulator() as emulator:
        yield emulator


@pytest.fixture
async def wa_bot(tmp_path: Path, wa: WhatsAppEmulator) -> AsyncIterator[RunningBot]:
    settings = wa_settings(
        tmp_path / "wa.sqlite3",
        wa,
    )
    async with running_bot(settings) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        yield bot


async def _onboard(phone: WaPhone, lang: str = "fr") -> None:
    def t(key: str) -> str:
        return translate(lang, key)

    await phone.send("Bonjour", until=t("privacy.notice")[:20])
    await phone.choose(t("privacy.accept"), until=t("role.question"))
    await phone.choose(t("role.shopkeeper"), until=t("territory.question"))
    await phone.choose("Lessines" if lang != "nl" else "Lessen", until="1/1")
    await phone.choose("Ogy", until=t("sector.question"))
    await phone.choose("🥖", until="🎉")


async def test_onboarding_and_a_concern_with_its_echo(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000001", "Ann"))
    await _onboard(phone)
    await phone.send(
        "Le loyer a encore augmenté et le propriétaire ne répare rien",
        until=translate("fr", "concern.understood", factors="")[:12],
    )
    await phone.choose(translate("fr", "concern.yes"), until="🤝")
    rows = await wa_bot.services.db.fetch_all("SELECT status FROM concerns")
    assert [r[0] for r in rows] == ["confirmed"]
    assert wa.rejected == []


async def test_unsigned_or_wrongly_signed_posts_are_refused_and_nothing_is_kept(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    body = json.dumps(
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
                                        "timestamp": "1",
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
    wrong = "sha256=" + hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    assert await wa.post_raw(body, None) == 401
    assert await wa.post_raw(body, wrong) == 403
    for table in ("users", "inbox", "processed_events", "reply_outbox"):
        row = await wa_bot.services.db.fetch_one(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0, table
    assert wa.messages_to("32470000009") == []


async def test_a_duplicated_delivery_is_applied_once(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000002", "Bo"))
    await _onboard(phone)
    wa.duplicate_webhooks = True
    await phone.send(
        "Les travaux devant le magasin durent depuis des mois",
        until=translate("fr", "concern.understood", factors="")[:12],
    )
    await phone.choose(translate("fr", "concern.yes"), until="🤝")
    wa.duplicate_webhooks = False
    await phone.send("/history", until="🗂")
    rows = await wa_bot.services.db.fetch_all("SELECT id FROM concerns")
    assert len(rows) == 1
    questions = [t for t in phone.texts() if "?" in t and "Les travaux" not in t]
    echoes = [t for t in phone.texts() if "🤝" in t]
    assert len(echoes) == 1, questions


async def test_voice_notes_and_pictures_get_a_polite_answer(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000003", "Cy"))
    await _onboard(phone)
    for kind in ("audio", "image", "sticker", "location", "document", "video", "contacts"):
        before = phone.seen
        await wa.send_media(phone.user, kind)
        [answer] = await phone.wait(before, until=translate("fr", "input.text_only")[:15])
        assert answer.text


async def test_the_menu_word_opens_the_menu_and_its_rows_run_commands(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000004", "Di"))
    await _onboard(phone)
    [menu] = await phone.send("menu", until=translate("fr", "menu.body")[:15])
    assert any("Baromètre" in title for _, title, _ in menu.rows)
    await phone.choose(translate("fr", "menu.profile"), until="👤")


async def test_a_follow_up_outside_the_window_goes_as_its_template_and_is_answered(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000005", "Ed"))
    await _onboard(phone)
    await phone.send(
        "Les travaux bloquent la rue depuis trois mois",
        until=translate("fr", "concern.understood", factors="")[:12],
    )
    await phone.choose(translate("fr", "concern.yes"), until="🤝")
    services = wa_bot.services
    # Meta reviews the templates the operator submitted.
    submitted = await templates(services.settings, submit=True)
    assert submitted[-1] == "12 template(s) submitted for review"  # 4 templates in fr, nl, en
    assert "echoppe_follow_up\tnl\tUTILITY\tPENDING" in submitted
    wa.approve_template("echoppe_follow_up")
    listing = "\n".join(await templates(services.settings, submit=False))
    assert "echoppe_follow_up\tfr\tUTILITY\tAPPROVED" in listing
    # A day and an hour later for the bot and for Meta: the service window has closed.
    assert wa_bot.whatsapp is not None
    start = time.time()
    wa.clock = lambda: time.time() + 25 * 3600
    wa_bot.whatsapp.outbound.clock = lambda: datetime.now(UTC) + timedelta(hours=25)
    due = (datetime.now(services.settings.tz) + timedelta(days=22)).replace(hour=10, minute=0)
    ask = question_sender(services.follow_up_flow, services.outbound)
    before = phone.seen
    assert await services.follow_ups.send_due(ask, now=due.astimezone(UTC)) == 1
    [template] = await phone.wait(before)
    assert template.type == "template" and template.template_name == "echoppe_follow_up"
    assert len(template.buttons) == 3
    await phone.choose(translate("fr", "follow_up.still_there"), until="📝")
    row = await services.db.fetch_one("SELECT answer FROM follow_ups")
    assert row is not None and row[0] == "still_there"
    assert wa.rejected == [] and time.time() - start < 60


async def test_forget_leaves_no_number_in_any_table_or_the_database_file(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    number = "32470555123"
    phone = WaPhone(wa, WaUser(number, "Fay"))
    await _onboard(phone)
    await phone.send(
        "Le loyer Qwertzuiop augmente encore",
        until=translate("fr", "concern.understood", factors="")[:12],
    )
    await phone.choose(translate("fr", "concern.yes"), until="🤝")
    await phone.send("/forget", until="⚠️")
    await phone.choose(translate("fr", "privacy.forget_yes"), until="✅")
    database = wa_bot.services.settings.database_path

    def leftovers() -> list[object]:
        found: list[object] = [
            (table, column)
            for table, column, value in cells(database)
            if isinstance(value, str) and (number in value or "Qwertzuiop" in value)
        ]
        for path in (database, Path(f"{database}-wal")):
            raw = path.read_bytes() if path.exists() else b""
            if number.encode() in raw or b"Qwertzuiop" in raw:
                found.append(path.name)
        return found

    async def erased() -> bool:
        return leftovers() == []

    await eventually(erased)


async def test_a_restart_between_a_message_and_its_confirmation(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    settings = wa_settings(
        tmp_path / "restart.sqlite3",
        wa,
    )
    phone = WaPhone(wa, WaUser("32470000006", "Gus"))
    async with running_bot(settings) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        await _onboard(phone)
        await phone.send(
            "Les charges et la TVA me prennent tout mon temps",
            until=translate("fr", "concern.understood", factors="")[:12],
        )
    # The bot is down: the tap waits at Meta, which retries until the bot answers 200.
    wa.retry_delays = (0.5, 1.0, 2.0, 4.0)
    before = phone.seen
    message = [m for m in wa.messages_to(phone.user.wa_id) if m.buttons][-1]
    yes = next(b for b, title in message.buttons if translate("fr", "concern.yes") in title)
    tap = asyncio.create_task(wa.tap_button(phone.user, message.id, yes))
    await asyncio.sleep(0.2)
    async with running_bot(settings) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        await tap
        await phone.wait(before, until="🤝")
        rows = await bot.services.db.fetch_all("SELECT status FROM concerns")
    assert [r[0] for r in rows] == ["confirmed"]


async def test_stop_then_start_turns_announcements_off_and_on(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000007", "Hu"))
    await _onboard(phone)
    users = wa_bot.services.users
    await phone.send("STOP", until=translate("fr", "announcements.off")[:15])
    user = await users.get("whatsapp", phone.user.wa_id)
    assert user is not None and not user.announcements
    await phone.send("Start", until=translate("fr", "announcements.on")[:15])
    user = await users.get("whatsapp", phone.user.wa_id)
    assert user is not None and user.announcements
    # With announcements on, "start" is /start: the profile, nothing changed.
    await phone.send("start", until=translate("fr", "start.welcome_back")[:15])


async def test_stopping_marketing_in_whatsapp_turns_announcements_off(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000008", "Ida"))
    await _onboard(phone)
    await wa.send_stop_preference(phone.user)

    async def stopped() -> bool:
        user = await wa_bot.services.users.get("whatsapp", phone.user.wa_id)
        return user is not None and not user.announcements

    await eventually(stopped)


async def test_both_channels_at_once_share_the_echo_chamber(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    settings = wa_settings(
        tmp_path / "both.sqlite3",
        wa,
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=emulator.base_url,
        telegram_max_rate=0,
        anonymity_k=2,
    )
    async with running_bot(settings, poll_timeout=1) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        telegram = Phone(emulator, FakeUser(id=9401, language_code="fr"))
        whatsapp = WaPhone(wa, WaUser("32470000010", "Jo"))
        third = WaPhone(wa, WaUser("32470000011", "Kim"))
        await onboard(telegram)
        for phone in (whatsapp, third):
            await _onboard(phone)
        understood = translate("fr", "concern.understood", factors="")[:12]
        await telegram.send("Les travaux bloquent ma rue depuis des mois", until=understood)
        await telegram.tap(translate("fr", "concern.yes"), until="🤝")
        await whatsapp.send("Les travaux devant le magasin font fuir", until=understood)
        await whatsapp.choose(translate("fr", "concern.yes"), until="🤝")
        await third.send("Encore des travaux dans la rue, on ne passe plus", until=understood)
        [echo] = await third.choose(translate("fr", "concern.yes"), until="🤝")
        # The two others of the shopping area, one on each app, count as two (k = 2).
        line = translate(
            "fr",
            "echo.line",
            factor="",
            core="Ogy",
            in_core=2,
            territory="Lessines",
            in_territory=2,
        )
        assert line.strip() in echo.text
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"http://127.0.0.1:{bot.web.port}/healthz")).json()
        assert set(health["channels"]) == {"telegram", "whatsapp"}
        assert health["channels"]["whatsapp"]["last_ok"] is not None


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
async def test_a_whole_journey_fits_whatsapps_limits(
    wa_bot: RunningBot, wa: WhatsAppEmulator, lang: str
) -> None:
    """Every screen of a journey is accepted by the emulator, which refuses what Meta refuses."""

    def t(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    phone = WaPhone(wa, WaUser(f"3247100000{len(lang) + ord(lang[0])}", "Lou"))
    # WhatsApp says nothing of the phone's language: the notice comes in French first.
    await phone.send("hello", until=translate("fr", "privacy.notice")[:20])
    if lang != "fr":
        names = {"nl": "Nederlands", "en": "English"}
        await phone.choose(names[lang], until=t("privacy.notice")[:20])
    await phone.choose(t("privacy.accept"), until=t("role.question"))
    await phone.choose(t("role.shopkeeper"), until=t("territory.question"))
    brussels = {"fr": "Bruxelles", "nl": "Brussel", "en": "Brussels"}[lang]
    await phone.choose(brussels, until="1/")
    await phone.choose(t("button.next"), until="2/")
    await phone.choose(t("button.previous"), until="1/")
    [cores] = [m for m in wa.messages_to(phone.user.wa_id)[-1:]]
    first_core = cores.rows[0][1]
    await phone.choose(first_core, until=t("sector.question"))
    await phone.choose("🥖", until="🎉")
    await phone.send(
        "Le loyer augmente et le propriétaire ne fait aucun travaux",
        until=t("concern.understood", factors="")[:10],
    )
    await phone.choose(t("concern.change"), until=t("concern.pick_change")[:10])
    await phone.choose(t("concern.done"), until="📝")
    for command, until in (
        ("/barometer", "📊"),
        ("/history", "🗂"),
        ("/profile", "👤"),
        ("/language", ""),
        ("/help", t("help.text")[:10]),
        ("/privacy", t("privacy.version", version="")[:8]),
        ("menu", t("menu.body")[:10]),
    ):
        await phone.send(command, until=until or None)
    before = phone.seen
    await phone.send("/mydata")
    documents = [m for m in wa.messages_to(phone.user.wa_id)[before:] if m.type == "document"]
    assert documents and documents[0].filename and documents[0].filename.endswith(".json")
    assert wa.rejected == [], wa.rejected


async def test_one_person_on_both_apps_counts_once_and_forget_erases_both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    settings = wa_settings(
        tmp_path / "linked.sqlite3",
        wa,
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=emulator.base_url,
        telegram_max_rate=0,
        anonymity_k=2,
    )
    understood = translate("fr", "concern.understood", factors="")[:12]
    async with running_bot(settings, poll_timeout=1) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        me_tg = Phone(emulator, FakeUser(id=9501, language_code="fr"))
        me_wa = WaPhone(wa, WaUser("32470009501", "Me"))
        other = WaPhone(wa, WaUser("32470009502", "Other"))
        viewer = WaPhone(wa, WaUser("32470009503", "Viewer"))
        await onboard(me_tg)
        await me_tg.send("Les travaux bloquent ma rue depuis des mois", until=understood)
        await me_tg.tap(translate("fr", "concern.yes"), until="🤝")
        # The same person on WhatsApp, onboarded there too, with a concern of their own.
        await _onboard(me_wa)
        await me_wa.send("Les travaux devant le magasin font fuir", until=understood)
        await me_wa.choose(translate("fr", "concern.yes"), until="🤝")
        # /link on Telegram, the code sent on WhatsApp.
        [answer] = await me_tg.send("/link", until="/link ")
        code = (answer.text or "").split("/link ", 1)[1].split()[0]
        await me_wa.send(f"/link {code}", until=translate("fr", "link.done")[:15])
        # A code works once; a fresh one from the same person says so.
        await me_wa.send(f"/link {code}", until=translate("fr", "link.invalid")[:15])
        [again] = await me_tg.send("/link", until="/link ")
        fresh = (again.text or "").split("/link ", 1)[1].split()[0]
        await me_wa.send(f"link {fresh}", until=translate("fr", "link.same_person")[:15])
        people = await bot.services.db.fetch_all("SELECT id FROM users")
        assert len(people) == 1  # one person, two identities
        for phone in (other, viewer):
            await _onboard(phone)
        await other.send("Encore des travaux dans la rue", until=understood)
        await other.choose(translate("fr", "concern.yes"), until="🤝")
        await viewer.send("Les travaux, toujours les travaux", until=understood)
        [echo] = await viewer.choose(translate("fr", "concern.yes"), until="🤝")
        # The viewer sees two others (me, counted once, and other), not three.
        line = translate(
            "fr",
            "echo.line",
            factor="",
            core="Ogy",
            in_core=2,
            territory="Lessines",
            in_territory=2,
        )
        assert line.strip() in echo.text
        # /forget from WhatsApp erases the person, Telegram identity included.
        await me_wa.send("/forget", until="⚠️")
        await me_wa.choose(translate("fr", "privacy.forget_yes"), until="✅")
        assert await bot.services.users.get("telegram", "9501") is None
        assert await bot.services.users.get("whatsapp", "32470009501") is None
        database = settings.database_path

        def leftovers() -> list[object]:
            found: list[object] = [
                (table, column)
                for table, column, value in cells(database)
                if isinstance(value, str) and ("32470009501" in value or value == "9501")
            ]
            for path in (database, Path(f"{database}-wal")):
                raw = path.read_bytes() if path.exists() else b""
                if b"32470009501" in raw:
                    found.append(path.name)
            return found

        async def erased() -> bool:
            return leftovers() == []

        await eventually(erased)


async def test_a_message_meta_fails_for_the_window_goes_again_once_as_its_template(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000012", "Lea"))
    await _onboard(phone)
    await phone.send(
        "Le loyer a doublé en deux ans",
        until=translate("fr", "concern.understood", factors="")[:12],
    )
    await phone.choose(translate("fr", "concern.yes"), until="🤝")
    services = wa_bot.services
    await templates(services.settings, submit=True)
    wa.approve_template("echoppe_follow_up")
    await templates(services.settings, submit=False)
    # The bot still sees the window open; Meta's clock says it has just closed.
    wa.clock = lambda: time.time() + 25 * 3600
    due = (datetime.now(services.settings.tz) + timedelta(days=22)).replace(hour=10, minute=0)
    before = phone.seen
    ask = question_sender(services.follow_up_flow, services.outbound)
    assert await services.follow_ups.send_due(ask, now=due.astimezone(UTC)) == 1
    messages = await phone.wait(before, until=None)
    free_form = messages[0]
    await wa.wait_for_status(free_form.id, "failed", timeout=10)
    [template] = await phone.wait(free_form.index + 1)
    assert template.type == "template"
    await phone.choose(translate("fr", "follow_up.worse"), until="📝")
    row = await services.db.fetch_one("SELECT answer FROM follow_ups")
    assert row is not None and row[0] == "worse"
    statuses = await services.db.fetch_all(
        "SELECT status, error_code, retried FROM delivery_statuses WHERE message_id = ?",
        (free_form.id,),
    )
    assert [tuple(r) for r in statuses] == [("failed", 131047, 1)]
    # Tried once: the later delivered messages are the template and the answers only.
    assert sum(m.type == "template" for m in wa.messages_to(phone.user.wa_id)) == 1


async def test_a_broadcast_from_a_whatsapp_admin_previews_templates_cost_and_days(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    admin_number = "32470009999"
    settings = wa_settings(
        tmp_path / "broadcast.sqlite3",
        wa,
        admin_ids=(f"whatsapp:{admin_number}",),
        whatsapp_daily_limit=1,
        whatsapp_price_marketing=0.25,
    )
    recent = WaPhone(wa, WaUser("32470000020", "Ria"))
    old = WaPhone(wa, WaUser("32470000021", "Sam"))
    async with running_bot(settings) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        for phone in (recent, old):
            await _onboard(phone)
        # Sam last wrote two days ago: only a template reaches Sam now.
        two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="milliseconds")
        await bot.services.db.execute(
            "UPDATE users SET last_inbound_at = ? WHERE external_id = ?",
            (two_days_ago, old.user.wa_id),
        )
    await templates(settings, submit=True)
    wa.approve_template("echoppe_announcement")
    await templates(settings, submit=False)
    # A new start: only what is stored says who wrote when.
    async with running_bot(settings) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        admin = WaPhone(wa, WaUser(admin_number, "Admin"))
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
        repo = DeliveryStatusRepository(bot.services.db)

        async def both_delivered() -> bool:
            ids = [free_form.id, template.id]
            counts = await repo.counts("whatsapp", ids)
            return counts.get("delivered", 0) + counts.get("read", 0) == 2

        await eventually(both_delivered)


async def test_voice_notes_are_counted_for_partners_from_k_on(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    services = wa_bot.services
    first, second = (
        WaPhone(wa, WaUser("32470000030", "Ugo")),
        WaPhone(wa, WaUser("32470000031", "Vic")),
    )
    for phone in (first, second):
        await _onboard(phone)
    partner = await services.partners.create(
        name="ADL", territories=["lessines"], created_by="test"
    )
    start = datetime.now(UTC) - timedelta(days=1)
    end = datetime.now(UTC) + timedelta(days=2)

    async def unheard() -> int | None:
        figures = await services.digests.figures_between(partner, start, end, "this week")
        return figures.unheard

    for phone, count in ((first, 2), (second, 2)):
        for _ in range(count):
            before = phone.seen
            await wa.send_media(phone.user, "audio")  # a voice note
            await phone.wait(before, until=translate("fr", "input.text_only")[:15])
    # A document is answered the same, and not counted.
    before = first.seen
    await wa.send_media(first.user, "document")
    await first.wait(before, until=translate("fr", "input.text_only")[:15])
    assert await unheard() is None  # 4 < k = 5
    before = second.seen
    await wa.send_media(second.user, "audio")
    await second.wait(before, until=translate("fr", "input.text_only")[:15])
    assert await unheard() == 5
    figures = await services.digests.figures_between(partner, start, end, "this week")
    assert translate("fr", "digest.unheard", n=5) in services.digest_flow.text(partner, figures)


async def test_a_posters_wa_me_link_preselects_the_shopping_area(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    link = chat_link("32460000000", translate("fr", "whatsapp.greeting"), "les_ogy")
    assert link.startswith("https://wa.me/32460000000?text=")
    prefilled = unquote(link.split("text=", 1)[1])
    phone = WaPhone(wa, WaUser("32470000040", "Wes"))
    # What the person sends is the pre-filled text, untouched.
    await phone.send(prefilled, until=translate("fr", "privacy.notice")[:20])
    assert "Ogy" in " ".join(phone.texts())
    await phone.choose(translate("fr", "privacy.accept"), until=translate("fr", "role.question"))
    await phone.choose(
        translate("fr", "role.shopkeeper"), until=translate("fr", "sector.question")
    )
    user = await wa_bot.services.users.get("whatsapp", phone.user.wa_id)
    assert user is not None and user.core_id == "les_ogy"


async def test_when_meta_stops_the_number_nothing_more_goes_and_admins_are_told(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    settings = wa_settings(
        tmp_path / "stopped.sqlite3",
        wa,
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=emulator.base_url,
        telegram_max_rate=0,
        admin_ids=(9601,),
    )
    async with running_bot(settings, poll_timeout=1) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        admin = Phone(emulator, FakeUser(id=9601, language_code="en"))
        await admin.send("/help")  # a Telegram bot may only write to people who wrote first
        phone = WaPhone(wa, WaUser("32470000050", "Xan"))
        await phone.send("Bonjour", until=translate("fr", "privacy.notice")[:20])
        wa.fail_next(phone.user.wa_id, 131048, http=True)
        before = emulator.last_seq
        await wa.send_text(phone.user, "/help")
        # The Telegram admin hears of it (in French: no profile, so the default language).
        await admin.wait(before, until=translate("fr", "whatsapp.stopped", code=131048)[:25])
        assert bot.whatsapp is not None and bot.whatsapp.outbound.stopped_by == 131048
        sent = len(wa.messages_to(phone.user.wa_id))
        await wa.send_text(phone.user, "/help")
        await asyncio.sleep(0.5)
        assert len(wa.messages_to(phone.user.wa_id)) == sent  # nothing more goes


async def test_whatsapp_users_are_served_while_telegram_is_unreachable(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings = wa_settings(
        tmp_path / "half.sqlite3",
        wa,
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=f"http://127.0.0.1:{closed}/bot",
    )
    async with running_bot(settings, poll_timeout=1) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        phone = WaPhone(wa, WaUser("32470000060", "Yan"))
        await _onboard(phone)
        await phone.send(
            "Les travaux bloquent tout",
            until=translate("fr", "concern.understood", factors="")[:12],
        )
        await phone.choose(translate("fr", "concern.yes"), until="🤝")
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"http://127.0.0.1:{bot.web.port}/healthz")).json()
        assert health["channels"]["telegram"]["state"] == "unreachable"
        assert health["channels"]["whatsapp"]["last_ok"] is not None


async def test_a_survey_with_every_kind_of_question_on_whatsapp(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    services = wa_bot.services
    me = WaPhone(wa, WaUser("32470000070", "Zoe"))
    await _onboard(me)
    survey = services.surveys.definitions.get("monthly_pulse")
    assert survey is not None
    now = datetime.now(UTC)
    await services.waves.launch("monthly_pulse", created_by="test", now=now)
    before = me.seen
    sender = invitation_sender(services.survey_flow, services.outbound)
    assert await services.waves.send_due(sender, now) >= 1
    await me.wait(before, until=survey.title.get("fr")[:10])
    tax = taxonomy()
    await me.choose(translate("fr", "survey.start"), until=text_of(survey, "hurts_most", "fr"))
    for factor in ("roadworks", "rent_premises"):
        await me.choose(tax.get(factor).title("fr"), until=text_of(survey, "hurts_most", "fr"))
    await me.choose(
        translate("fr", "survey.done_up_to", n=3), until=text_of(survey, "business_trend", "fr")
    )
    await me.choose(
        label(survey, "business_trend", "worse", "fr"), until=text_of(survey, "worse_why", "fr")
    )
    await me.send(
        "Les travaux dans la rue ont fait fuir les clients",
        until=translate("fr", "survey.understood_text", factors="")[:12],
    )
    await me.choose(
        translate("fr", "survey.text_done"), until=text_of(survey, "anything_else", "fr")
    )
    await me.send("/skip", until=survey.closing.get("fr")[:20])
    row = await services.db.fetch_one("SELECT status FROM survey_responses")
    assert row is not None and row[0] == "completed"
    assert wa.rejected == []


async def test_an_event_invitation_answered_with_its_calendar_file_on_whatsapp(
    tmp_path: Path, wa: WhatsAppEmulator
) -> None:
    admin_number = "32470009998"
    settings = wa_settings(
        tmp_path / "event.sqlite3",
        wa,
        admin_ids=(f"whatsapp:{admin_number}",),
    )
    async with running_bot(settings) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        guest = WaPhone(wa, WaUser("32470000071", "Ada"))
        await _onboard(guest)
        admin = WaPhone(wa, WaUser(admin_number, "Admin"))
        await admin.send(EVENT_FORM, until="📅")
        before = guest.seen
        await admin.choose(translate("fr", "admin.event_announce"), until="✅")
        await guest.wait(before, until="Atelier vitrine")
        before = guest.seen
        await guest.choose(translate("fr", "event.going"), until="✅")
        index = before
        while True:
            calendar = await wa.wait_for_message(guest.user.wa_id, after=index, timeout=10)
            if calendar.type == "document":
                break
            index = calendar.index + 1
        assert calendar.filename and calendar.filename.endswith(".ics")
        assert calendar.media_id is not None
        [vevent] = icalendar.Calendar.from_ical(wa.media(calendar.media_id)).walk("VEVENT")
        assert str(vevent["SUMMARY"]) == "Atelier vitrine"
        assert wa.rejected == []


async def test_messages_delivered_out_of_order_are_each_applied_once(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000080", "Bea"))
    await _onboard(phone)
    before = phone.seen
    wa.reorder_next(2)
    await wa.send_text(phone.user, "Le loyer augmente encore cette année")
    await wa.send_text(phone.user, "Les travaux bloquent la rue depuis des mois")
    understood = translate("fr", "concern.understood", factors="")[:12]
    first = await phone.wait(before, until=understood)
    await phone.wait(first[-1].index + 1, until=understood)
    rows = await wa_bot.services.db.fetch_all("SELECT text FROM concerns ORDER BY id")
    assert sorted(r[0] for r in rows) == [
        "Le loyer augmente encore cette année",
        "Les travaux bloquent la rue depuis des mois",
    ]


async def test_help_on_whatsapp_points_to_the_menu_word(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000099", "Dee"))
    await _onboard(phone)
    [help_text] = await phone.send("aide", until=translate("fr", "help.menu_word")[:15])
    assert translate("fr", "help.text")[:20] in help_text.text
