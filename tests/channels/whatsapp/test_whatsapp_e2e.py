"""The real bot on WhatsApp only, through the Cloud API emulator: signed webhooks in, Graph out."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from pydantic import SecretStr

from bot.app.run import RunningBot, running_bot
from bot.app.whatsapp_admin import templates
from bot.channels.whatsapp.links import chat_link
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from bot.features.broadcasts.service import PHOTO_PATH_PREFIX
from bot.features.broadcasts.store import Audience
from bot.features.follow_ups.jobs import question_sender
from bot.features.reach.jobs import nudge_sender
from bot.features.reach.nudges import NudgeService
from bot.features.surveys.jobs import invitation_sender, results_sender
from bot.i18n import translate
from nlp.taxonomy import taxonomy
from tests.channels.test_broadcasts_e2e import FORM as BROADCAST_FORM
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


async def test_the_menu_word_opens_the_menu_and_its_rows_run_commands(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000004", "Di"))
    await _onboard(phone)
    [menu] = await phone.send("menu", until=translate("fr", "menu.body")[:15])
    assert any("Baromètre" in title for _, title, _ in menu.rows)
    await phone.choose(translate("fr", "menu.profile"), until="👤")


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


async def test_help_on_whatsapp_points_to_the_menu_word(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    phone = WaPhone(wa, WaUser("32470000099", "Dee"))
    await _onboard(phone)
    [help_text] = await phone.send("aide", until=translate("fr", "help.menu_word")[:15])
    assert translate("fr", "help.text")[:20] in help_text.text


async def test_a_broadcast_photo_reaches_each_app_uploaded_once_there(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    settings = wa_settings(
        tmp_path / "photo.sqlite3",
        wa,
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=emulator.base_url,
        telegram_max_rate=0,
        admin_ids=(9701,),
    )
    async with running_bot(settings, poll_timeout=1) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        admin = Phone(emulator, FakeUser(id=9701, language_code="en"))
        on_telegram = Phone(emulator, FakeUser(id=9702, language_code="fr"))
        await onboard(on_telegram)
        people = [WaPhone(wa, WaUser(f"3247000077{i}", f"P{i}")) for i in range(3)]
        for phone in people:
            await _onboard(phone)
        # An admin on Telegram sends a photo whose caption is the form.
        before = emulator.last_seq
        emulator.send_photo(admin.user, caption=BROADCAST_FORM)
        await admin.wait(before, until=translate("en", "admin.broadcast_with_photo"))
        largest = max(
            (f for f in emulator.files.files.values() if f.file_path.startswith("photos/")),
            key=lambda f: (f.size, f.file_path),
        )
        await admin.tap(translate("en", "admin.broadcast_go"), until="✅")

        async def image_of(phone: WaPhone) -> object:
            for _ in range(500):
                images = [m for m in wa.messages_to(phone.user.wa_id) if m.type == "image"]
                if images:
                    return images[-1]
                await asyncio.sleep(0.02)
            raise AssertionError("no image")

        images = [await image_of(phone) for phone in people]
        # Fetched from Telegram, uploaded to WhatsApp once, sent to everyone by that id.
        assert len({image.media_id for image in images}) == 1
        assert wa.media(images[0].media_id) == largest.data()
        assert all(image.text.startswith("Atelier vitrine") for image in images)
        photo = await emulator.wait_for_event(
            on_telegram.user.id, after_seq=before, kinds={"send_photo"}, timeout=10
        )
        assert (photo.text or "").startswith("Atelier vitrine")

        # A photo from a file (`bot.py broadcast new --photo`) gets each app's own id.
        picture = tmp_path / "poster.png"
        picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
        made = await bot.services.broadcasts.create(
            created_by="test",
            texts={"fr": "Marché de Noël samedi"},
            audience=Audience(),
            photo=PHOTO_PATH_PREFIX + str(picture),
        )

        async def both_ids() -> bool:
            row = await bot.services.db.fetch_one(
                "SELECT photo_ids FROM broadcasts WHERE id = ?", (made.id,)
            )
            return row is not None and set(json.loads(row[0])) == {"telegram", "whatsapp"}

        await eventually(both_ids)

        def images_to(phone: WaPhone) -> list[Any]:
            return [m for m in wa.messages_to(phone.user.wa_id) if m.type == "image"]

        async def all_got_it() -> bool:
            return all(len(images_to(phone)) == 2 for phone in people)

        await eventually(all_got_it)
        second = [images_to(phone)[-1] for phone in people]
        assert len({m.media_id for m in second}) == 1
        assert wa.media(second[0].media_id) == picture.read_bytes()
        assert wa.rejected == []


async def test_a_waves_results_after_the_window_closed_come_as_a_template_that_shows_them(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    services = wa_bot.services
    phone = WaPhone(wa, WaUser("32470000090", "Rui"))
    await _onboard(phone)
    survey = services.surveys.definitions.get("monthly_pulse")
    assert survey is not None
    now = datetime.now(UTC)
    await services.waves.launch("monthly_pulse", created_by="test", now=now)
    sender = invitation_sender(services.survey_flow, services.outbound)
    before = phone.seen
    assert await services.waves.send_due(sender, now) == 1
    await phone.wait(before, until=survey.title.get("fr")[:10])
    # Results go back to those who answered: one answer, then the person stops there.
    await phone.choose(translate("fr", "survey.start"), until="?")
    await phone.choose(taxonomy().get("roadworks").title("fr"), until="?")
    await phone.choose(translate("fr", "survey.done_up_to", n=3), until="?")
    await phone.send("/stop_survey")
    await templates(services.settings, submit=True)
    wa.approve_template("echoppe_survey_results")
    await templates(services.settings, submit=False)
    # A week and more later, for the bot and for Meta: the wave closes, the window is shut.
    assert wa_bot.whatsapp is not None
    wa.set_window(phone.user.wa_id, False)
    wa_bot.whatsapp.outbound.clock = lambda: datetime.now(UTC) + timedelta(days=8)
    give_back = results_sender(
        services.survey_flow, services.reference, services.settings.anonymity_k, services.outbound
    )
    before = phone.seen
    assert await services.waves.close_due(give_back, now + timedelta(days=8)) == 1
    [template] = await phone.wait(before)
    assert template.type == "template" and template.template_name == "echoppe_survey_results"
    # The tap opens the window: the results themselves follow, free-form.
    await phone.choose("📊", until=translate("fr", "survey.results_header", title="")[:10])
    assert wa.rejected == []


async def test_a_person_whose_number_meta_later_hides_is_still_the_same_person(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    services = wa_bot.services
    with_number = WaUser("32470000095", "Uma", bsuid="BE.8813AbC42")
    phone = WaPhone(wa, with_number)
    await _onboard(phone)
    # Uma adopts a WhatsApp username: Meta now sends only her business-scoped user id, and
    # the bot must write to her by it.
    phone.user = WaUser("32470000095", "Uma", bsuid="BE.8813AbC42", hides_number=True)
    [profile] = await phone.send("/profile", until="👤")
    assert profile.payload.get("recipient") == "BE.8813AbC42" and "to" not in profile.payload
    await phone.send(
        "Les travaux bloquent la rue", until=translate("fr", "concern.understood", factors="")[:12]
    )
    await phone.choose(translate("fr", "concern.yes"), until="🤝")
    rows = await services.db.fetch_all("SELECT COUNT(*) FROM users")
    assert rows[0][0] == 1  # one person, not a second one onboarding
    concerns = await services.db.fetch_all(
        "SELECT u.external_id FROM concerns c JOIN users u ON u.id = c.user_id"
    )
    assert [r[0] for r in concerns] == ["32470000095"]
    # /forget erases the number and the id Meta gave her.
    await phone.send("/forget", until="⚠️")
    await phone.choose(translate("fr", "privacy.forget_yes"), until="✅")
    for table in ("users", "user_identities"):
        left = await services.db.fetch_all(f"SELECT COUNT(*) FROM {table}")
        assert left[0][0] == 0, table
    assert wa.rejected == []


async def test_the_nudge_goes_as_its_template_after_the_window_and_can_be_turned_off(
    wa_bot: RunningBot, wa: WhatsAppEmulator
) -> None:
    services = wa_bot.services
    phone = WaPhone(wa, WaUser("32470000097", "Noa"))
    await _onboard(phone)
    await templates(services.settings, submit=True)
    wa.approve_template("echoppe_nudge")
    await templates(services.settings, submit=False)
    # A week and a day after joining, a Monday at 10:00 in Brussels; for the bot and for
    # Meta, Noa last wrote two days ago.
    monday = datetime(2026, 12, 7, 10, 0, tzinfo=services.settings.tz)
    await services.db.execute(
        "UPDATE users SET created_at = ?, last_inbound_at = ?",
        (
            (monday - timedelta(days=8)).astimezone(UTC).isoformat(timespec="milliseconds"),
            datetime.now(UTC).isoformat(timespec="milliseconds"),
        ),
    )
    assert wa_bot.whatsapp is not None
    wa_bot.whatsapp.outbound.clock = lambda: datetime.now(UTC) + timedelta(days=2)
    wa.clock = lambda: time.time() + 2 * 86400
    service = NudgeService(services.db, services.settings.tz, lambda: monday)
    before = phone.seen
    assert await service.send_due(nudge_sender(services.reach, services.outbound)) == 1
    [template] = await phone.wait(before)
    assert template.type == "template" and template.template_name == "echoppe_nudge"
    await phone.choose(translate("fr", "nudge.stop"), until=translate("fr", "nudge.off")[:10])
    row = await services.db.fetch_one("SELECT nudges, nudged_at IS NOT NULL FROM users")
    assert row is not None and tuple(row) == (0, 1)
    assert await service.send_due(nudge_sender(services.reach, services.outbound)) == 0
    assert wa.rejected == []
