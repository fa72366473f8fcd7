"""The real bot on WhatsApp only, through the Cloud API emulator: signed webhooks in, Graph out."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from pydantic import SecretStr

from bot.app.run import RunningBot, running_bot
from bot.config import Settings
from bot.i18n import translate
from tests.channels.whatsapp.phone import WaPhone


@pytest.fixture
async def wa() -> AsyncIterator[WhatsAppEmulator]:
    async with WhatsAppEmulator() as emulator:
        yield emulator


@pytest.fixture
async def wa_bot(tmp_path: Path, wa: WhatsAppEmulator) -> AsyncIterator[RunningBot]:
    settings = Settings(
        database_path=tmp_path / "wa.sqlite3",
        whatsapp_token=SecretStr("wa-test-token"),
        whatsapp_app_secret=SecretStr("wa-app-secret"),
        whatsapp_verify_token=SecretStr("wa-verify"),
        whatsapp_phone_number_id="1000000001",
        whatsapp_business_account_id="2000000002",
        whatsapp_api_url=wa.base_url,
        http_port=0,
        _env_file=None,  # type: ignore[call-arg]
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
