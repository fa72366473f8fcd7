"""From a poster to the echo chamber, on both apps: scan, onboard, counted under the campaign."""

from __future__ import annotations

import asyncio
import io
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import pytest
import zxingcpp
from PIL import Image
from pydantic import SecretStr

from bot.app.run import RunningBot, running_bot
from bot.emulator import BotApiEmulator, FakeUser
from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from bot.features.reach.links import Campaign, EntryPoint
from bot.features.reach.service import iso_week
from bot.features.reach.store import CampaignRepository
from bot.i18n import translate
from tests.bot_process import ROOT, clean_env
from tests.channels.whatsapp.test_whatsapp_e2e import wa_settings
from tests.conftest import TEST_TOKEN
from tests.features.reach.poster_reader import read_poster
from tests.support import Phone

PUBLIC = "https://echoppe.example.be"
ADMIN = 9801


@pytest.fixture
async def both(
    tmp_path: Path, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> AsyncIterator[RunningBot]:
    settings = wa_settings(
        tmp_path / "reach.sqlite3",
        wa,
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_base_url=emulator.base_url,
        telegram_max_rate=0,
        whatsapp_number="32460000000",
        public_url=PUBLIC,
        admin_ids=(ADMIN,),
        anonymity_k=2,
    )
    async with running_bot(settings, poll_timeout=1) as bot:
        wa.webhook_url = f"http://127.0.0.1:{bot.web.port}/whatsapp/webhook"
        yield bot


async def _poster(bot: RunningBot, emulator: BotApiEmulator) -> bytes:
    """Ask for Ogy's poster as an admin on Telegram; return the PDF that comes back."""
    admin = FakeUser(id=ADMIN, language_code="en")
    before = emulator.last_seq
    emulator.send_text(admin, "/poster Ogy")
    document = await emulator.wait_for_event(
        ADMIN, after_seq=before, kinds={"send_document"}, timeout=15
    )
    assert document.message_id is not None
    found = emulator.document_of(ADMIN, document.message_id)
    assert found is not None and found[0] == "echoppe-poster-les_ogy.pdf"
    return found[1]


async def test_scanning_a_poster_on_either_app_onboards_at_its_core_and_counts_the_campaign(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    poster = read_poster(await _poster(both, emulator))
    by_host = {urlparse(url).netloc: url for url in poster.qr_codes}
    assert set(by_host) == {"wa.me", "t.me"}

    # WhatsApp: the QR code opens a chat with its pre-filled text, sent as it is.
    prefilled = unquote(parse_qs(urlparse(by_host["wa.me"]).query)["text"][0])
    ana = WaPhone(wa, WaUser("32470008801", "Ana"))
    await ana.send(prefilled, until=translate("fr", "privacy.notice")[:20])
    assert "Ogy" in " ".join(ana.texts())
    await ana.choose(translate("fr", "privacy.accept"), until=translate("fr", "role.question"))
    row = await both.services.db.fetch_one("SELECT pending_campaign FROM users")
    assert row is not None and row[0] == "poster"
    await ana.choose(translate("fr", "role.shopkeeper"), until=translate("fr", "sector.question"))
    await ana.choose("🥖", until="🎉")

    # Telegram: the QR code's deep link is /start with the same tag.
    start = parse_qs(urlparse(by_host["t.me"]).query)["start"][0]
    bo = Phone(emulator, FakeUser(id=9802, language_code="fr"))
    await bo.send(f"/start {start}", until=translate("fr", "privacy.notice")[:20])
    await bo.tap(translate("fr", "privacy.accept"), until=translate("fr", "role.question"))
    await bo.tap(translate("fr", "role.shopkeeper"), until=translate("fr", "sector.question"))
    await bo.tap("🥖", until="🎉")

    people = await both.services.db.fetch_all(
        "SELECT core_id, pending_campaign FROM users ORDER BY id"
    )
    assert [tuple(r) for r in people if r[0] == "les_ogy"] == [("les_ogy", None)] * 2
    counts = await both.services.db.fetch_all(
        "SELECT core_id, campaign, channel, consented, onboarded FROM campaign_arrivals"
        " ORDER BY channel"
    )
    assert [tuple(r) for r in counts] == [
        ("les_ogy", "poster", "telegram", 1, 1),
        ("les_ogy", "poster", "whatsapp", 1, 1),
    ]


async def test_the_short_address_leads_to_the_chat_and_an_unknown_one_says_so(
    both: RunningBot,
) -> None:
    links = both.services.links()
    entry = EntryPoint("whatsapp", "bru_flagey", Campaign.SESSION)
    short = links.short_url(entry)
    assert short is not None and short.startswith(f"{PUBLIC}/go/")
    local = short.replace(PUBLIC, f"http://127.0.0.1:{both.web.port}")
    async with httpx.AsyncClient() as client:
        answer = await client.get(local, headers={"Accept-Language": "nl-BE,nl;q=0.9"})
        assert answer.status_code == 302
        assert answer.headers["location"] == links.url(entry, "nl")
        assert "core_bru_flagey-session" in unquote(answer.headers["location"])
        assert (await client.head(local)).status_code == 302
        missing = await client.get(f"http://127.0.0.1:{both.web.port}/go/zzzzzz")
        assert missing.status_code == 404
        assert missing.text == translate("fr", "go.unknown")


async def test_admins_see_which_campaigns_bring_people_through_the_gate(
    both: RunningBot,
) -> None:
    service = both.services.campaigns
    # This week's arrivals are not reported until the week is over.
    await service.arrived("telegram", "les_ogy", "poster", "consented")
    assert await service.report(4, "lessines", 2) == []
    last_week = iso_week(datetime.now(UTC) - timedelta(days=7), both.services.settings.tz)
    repo = CampaignRepository(both.services.db)
    place = {"week": last_week, "territory_id": "lessines", "core_id": "les_ogy"}
    await repo.count(**place, campaign="poster", channel="telegram", consented=3)
    await repo.count(**place, campaign="poster", channel="whatsapp", onboarded=1)
    await repo.count(**place, campaign="neighbour", channel="whatsapp", consented=1)
    lines = await service.report(4, "lessines", 2)
    shown = {line.campaign: (line.consented, line.onboarded) for line in lines}
    # 3 accepted, 1 finished: the 1 is under k = 2, hidden; a lone neighbour's too.
    assert shown == {"poster": (3, None), "neighbour": (None, None)}
    # The same from a shell, as operators read it.
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "campaigns",
        "--territory",
        "lessines",
        env=clean_env(
            ECHOPPE_DATABASE_PATH=str(both.services.settings.database_path),
            ECHOPPE_ANONYMITY_K="2",
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await command.communicate()
    assert command.returncode == 0, stderr.decode()
    out = stdout.decode()
    assert f"{last_week}\tOgy\tposter\t3\t—" in out and "neighbour\t—\t—" in out


async def test_an_invitation_forwarded_to_a_neighbour_brings_them_to_the_same_core(
    both: RunningBot, wa: WhatsAppEmulator, emulator: BotApiEmulator
) -> None:
    inviter = WaPhone(wa, WaUser("32470008803", "Inès"))
    await inviter.send("Bonjour", until=translate("fr", "privacy.notice")[:20])
    await inviter.choose(translate("fr", "privacy.accept"), until=translate("fr", "role.question"))
    await inviter.choose(
        translate("fr", "role.shopkeeper"), until=translate("fr", "territory.question")
    )
    await inviter.choose("Lessines", until="1/1")
    await inviter.choose("Ogy", until=translate("fr", "sector.question"))
    await inviter.choose("🥖", until="🎉")
    await inviter.send("/profile", until="👤")
    messages = await inviter.choose(translate("fr", "invite.button"))
    while not any(m.type == "image" for m in messages):
        messages += await inviter.wait(messages[-1].index + 1)
    forward = next(m.text for m in messages if "https://t.me/" in m.text)
    image = next(m for m in messages if m.type == "image")
    # The QR codes on the screen hold the same links as the message, tagged "neighbour".
    assert image.media_id is not None
    shown = sorted(
        r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(wa.media(image.media_id))))
    )
    links = sorted(re.findall(r"https://\S+", forward))
    assert shown == links and len(links) == 2
    assert all("core_les_ogy-neighbour" in unquote(link) for link in links)
    # Nothing in it says who sent it.
    assert "32470008803" not in forward and "Inès" not in forward

    # A neighbour on Telegram follows the forwarded link.
    start = parse_qs(urlparse(next(x for x in links if "t.me" in x)).query)["start"][0]
    neighbour = Phone(emulator, FakeUser(id=9803, language_code="fr"))
    await neighbour.send(f"/start {start}", until=translate("fr", "privacy.notice")[:20])
    await neighbour.tap(translate("fr", "privacy.accept"), until=translate("fr", "role.question"))
    await neighbour.tap(
        translate("fr", "role.shopkeeper"), until=translate("fr", "sector.question")
    )
    await neighbour.tap("🥖", until="🎉")
    row = await both.services.db.fetch_one("SELECT core_id FROM users WHERE external_id = '9803'")
    assert row is not None and row[0] == "les_ogy"
    counts = await both.services.db.fetch_all(
        "SELECT campaign, channel, consented, onboarded FROM campaign_arrivals"
    )
    assert [tuple(r) for r in counts] == [("neighbour", "telegram", 1, 1)]
    assert wa.rejected == []
