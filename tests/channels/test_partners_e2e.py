"""End-to-end: a partner's invitation link opened in Telegram."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app.run import RunningBot, running_bot
from bot.config import Settings
from bot.features.digests.dispatch import SendDigest
from bot.features.digests.jobs import digest_sender
from bot.i18n import translate
from bot.shared.schedule import WeeklyTime, last_full_week, week_bounds
from nlp.taxonomy import taxonomy
from tests.support import Phone, eventually, onboard, smtp_server

PhoneFactory = Callable[..., Phone]
BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_8 = WeeklyTime.parse("mon 08:00")


async def digest_time(bot: RunningBot) -> datetime:
    """Return the Monday 08:00 (Brussels) after the week the concerns were confirmed in.

    Taken from the stored voices, not from "the next Monday 08:00 after now": from Monday
    00:00 to 07:59 that is today, whose digest is of last week, without today's concerns.
    """
    row = await bot.services.db.fetch_one("SELECT MAX(confirmed_at) FROM concern_factors")
    assert row is not None and row[0] is not None
    year, week, _ = datetime.fromisoformat(row[0]).astimezone(BRUSSELS).isocalendar()
    _, end = week_bounds(f"{year}-W{week:02d}", BRUSSELS)
    return MONDAY_8.next_after(end, BRUSSELS)


async def test_a_partner_invitation_binds_the_chat_that_opens_it(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    partners = bot.services.partners
    adl = await partners.create(
        name="ADL Lessines", territories=["lessines"], language="nl", created_by="test"
    )
    invitation = await partners.invite(adl.id, created_by="test")
    officer = make_phone(9840, "fr")
    # No consent or onboarding for a partner's chat; the answer is in the partner's language.
    await officer.send(f"/start {invitation.start_parameter}", until="ADL Lessines")
    assert "Lessen" in officer.last_text()
    assert await partners.partner_of("telegram", str(officer.user.id)) is not None
    colleague = make_phone(9841, "en")
    await colleague.send(
        f"/start {invitation.start_parameter}", until=translate("en", "partner.used")
    )
    assert await partners.partner_of("telegram", str(colleague.user.id)) is None
    rows = await bot.services.db.fetch_all("SELECT id FROM users")
    assert rows == []  # neither became a user


async def test_admins_invite_list_and_revoke_partners_in_telegram(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(
        settings.model_copy(update={"admin_ids": (9850,)}), poll_timeout=1
    ) as bot:
        admin = make_phone(9850, "en")
        stranger = make_phone(9851, "en")
        await stranger.send(
            "/invite_partner lessines Sneaky", until=translate("en", "command.unknown")
        )
        assert await bot.services.partners.all() == []
        await admin.send("/invite_partner", until=translate("en", "admin.invite_usage")[:10])
        await admin.send("/invite_partner atlantis X", until="atlantis")
        await admin.send("/invite_partner lessines ADL Lessines", until="https://t.me/")
        lines = admin.last_text().split("\n")
        link = next(line for line in lines if "?start=" in line)
        assert link.startswith("https://t.me/echoppe_test_bot?start=partner_")
        token = link.split("start=")[1]
        assert lines[-1] == f"https://t.me/echoppe_test_bot?startgroup={token}"
        officer = make_phone(9852, "en")
        await officer.send("/start " + link.split("start=")[1], until="ADL Lessines")
        assert await bot.services.partners.partner_of("telegram", "9852") is not None

        await admin.send("/partners", until=translate("en", "admin.partners_header"))
        assert "ADL Lessines · lessines · active" in admin.last_text()
        await admin.tap(translate("en", "admin.revoke"), until="?")
        await admin.tap(translate("en", "admin.revoke_yes"), until="⛔")
        assert await bot.services.partners.partner_of("telegram", "9852") is None


async def test_quoting_is_off_until_the_person_says_yes_and_can_be_withdrawn(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    me = make_phone(9860, "fr")
    await onboard(me)
    user = await bot.services.users.get("telegram", "9860")
    assert user is not None and not user.quote_consent and user.quote_consent_at is None
    # The end of onboarding offers it, once, as a choice.
    assert translate("fr", "quotes.offer")[:30] in me.last_text()
    await me.tap(translate("fr", "quotes.accept"))
    user = await bot.services.users.get("telegram", "9860")
    assert user is not None and user.quote_consent and user.quote_consent_at is not None
    await me.send("/profile", until=translate("fr", "profile.view", summary="")[:10])
    await me.tap(translate("fr", "quotes.withdraw"))
    user = await bot.services.users.get("telegram", "9860")
    assert user is not None and not user.quote_consent and user.quote_consent_at is None
    # The same profile turns survey invitations off.
    await me.tap(translate("fr", "profile.turn_surveys_off"))
    user = await bot.services.users.get("telegram", "9860")
    assert user is not None and not user.surveys
    assert translate("fr", "profile.turn_surveys_on") in me.buttons()


async def test_digest_on_demand_shows_last_week_for_a_partner_chat_within_its_scope(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(settings.model_copy(update={"anonymity_k": 2}), poll_timeout=1) as bot:
        shopkeepers = [make_phone(9870 + i, "fr") for i in range(2)]
        for phone in shopkeepers:
            await onboard(phone)
            await phone.send(
                "Les travaux devant le magasin bloquent tout depuis des semaines",
                until=translate("fr", "concern.understood", factors="")[:10],
            )
            await phone.tap(translate("fr", "concern.yes"), until="🤝")
        # As if said in the middle of the last full week (Thursday noon, Brussels): "now
        # minus 7 × 24 hours" falls in another week near midnight after a DST change.
        start, _ = week_bounds(last_full_week(datetime.now(UTC), BRUSSELS), BRUSSELS)
        midweek = (start + timedelta(days=3, hours=12)).isoformat(timespec="milliseconds")
        await bot.services.db.execute("UPDATE concern_factors SET confirmed_at = ?", (midweek,))
        partners = bot.services.partners
        adl = await partners.create(name="ADL", territories=["lessines"], created_by="t")
        hub = await partners.create(
            name="hub", territories=["brussels"], language="en", created_by="t"
        )
        adl_officer, hub_officer = make_phone(9880, "fr"), make_phone(9881, "en")
        for phone, partner in ((adl_officer, adl), (hub_officer, hub)):
            invitation = await partners.invite(partner.id, created_by="t")
            await phone.send(f"/start {invitation.start_parameter}", until=partner.name)
        roadworks = taxonomy().get("roadworks").title("fr")
        await adl_officer.send("/digest", until="📰")
        assert f"1. {roadworks} : 2" in adl_officer.last_text()
        # The Brussels partner sees nothing of Lessines.
        await hub_officer.send("/digest", until="📰")
        assert translate("en", "digest.nothing", k=2) in hub_officer.last_text()
        # A shopkeeper's chat is not a partner's: the command does not exist for them.
        await shopkeepers[0].send("/digest", until=translate("fr", "command.unknown"))


async def two_shopkeepers_raise_roadworks(make_phone: PhoneFactory, first_id: int) -> None:
    """Onboard two Lessines shopkeepers who each report roadworks, through the bot."""
    for i in range(2):
        phone = make_phone(first_id + i, "fr")
        await onboard(phone)
        await phone.send(
            "Les travaux devant le magasin bloquent tout depuis des semaines",
            until=translate("fr", "concern.understood", factors="")[:10],
        )
        await phone.tap(translate("fr", "concern.yes"), until="🤝")


async def test_the_weekly_digest_arrives_with_its_chart_and_csv_once(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(settings.model_copy(update={"anonymity_k": 2}), poll_timeout=1) as bot:
        await two_shopkeepers_raise_roadworks(make_phone, 9890)
        partners = bot.services.partners
        adl = await partners.create(
            name="ADL", territories=["lessines"], language="en", created_by="t"
        )
        officer = make_phone(9895, "en")
        invitation = await partners.invite(adl.id, created_by="t")
        await officer.send(f"/start {invitation.start_parameter}", until="ADL")
        # The Monday 08:00 after the week of their concerns: its digest is due.
        monday = await digest_time(bot)
        send = _digest_sender(bot)
        before = officer.emulator.last_seq
        assert await bot.services.digest_dispatcher.run(send, monday) == 1
        assert await bot.services.digest_dispatcher.run(send, monday + timedelta(hours=1)) == 0
        events = officer.emulator.events_after(before, officer.user.id)
        kinds = [e.kind for e in events]
        assert kinds == ["send_message", "send_photo", "send_document"]
        assert "📰 ADL" in (events[0].text or "") and "2" in (events[0].text or "")
        assert events[2].message_id is not None
        document = officer.emulator.document_of(officer.user.id, events[2].message_id)
        assert document is not None
        name, content = document
        assert name.endswith(".csv")
        # The caption says what an empty cell means, with the real k.
        week = name.split("-")[2] + "-" + name.split("-")[3]
        assert events[2].text == translate("en", "digest.csv_caption", week=week, k=2)
        rows = content.decode("utf-8").splitlines()
        assert rows[0] == "week,factor,people,average_4_weeks,top_cores"
        assert any(row.split(",")[1:3] == ["roadworks", "2"] for row in rows[1:])


async def test_a_partner_with_an_address_gets_the_digest_by_e_mail_once(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    with smtp_server() as inbox:
        mail_settings = settings.model_copy(
            update={
                "anonymity_k": 2,
                "smtp_host": "127.0.0.1",
                "smtp_port": inbox.port,
                "smtp_security": "none",
                "smtp_from": "Échoppe <digest@echoppe.test>",
            }
        )
        async with running_bot(mail_settings, poll_timeout=1) as bot:
            await two_shopkeepers_raise_roadworks(make_phone, 9870)
            adl = await bot.services.partners.create(
                name="ADL",
                territories=["lessines"],
                language="en",
                email="adl@example.org",
                created_by="t",
            )
            monday = await digest_time(bot)
            send = _digest_sender(bot)
            assert await bot.services.digest_dispatcher.run(send, monday) == 1
            assert await bot.services.digest_dispatcher.run(send, monday + timedelta(hours=1)) == 0
            rows = await bot.services.db.fetch_all(
                "SELECT channel, chat_id FROM digest_deliveries WHERE partner_id = ?", (adl.id,)
            )
            assert [tuple(r) for r in rows] == [("email", "adl@example.org")]

    [(sender, recipients, _)] = inbox.received
    assert (sender, recipients) == ("digest@echoppe.test", ["adl@example.org"])
    [mail] = inbox.messages()
    assert mail["To"] == "adl@example.org" and "ADL" in mail["Subject"]
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and html is not None
    roadworks = taxonomy().get("roadworks").title("en")
    assert roadworks in plain.get_content() and roadworks in html.get_content()
    # The chart is an inline PNG the HTML points at; the CSV is an attachment.
    parts = {part.get_content_type(): part for part in mail.walk()}
    chart, table = parts["image/png"], parts["text/csv"]
    assert chart.get_content().startswith(b"\x89PNG")
    assert f"cid:{chart['Content-ID'][1:-1]}" in html.get_content()
    assert chart.get_filename().endswith(".png")
    assert table.get_filename().endswith(".csv") and table.is_attachment()
    csv_rows = table.get_content().splitlines()
    assert csv_rows[0] == "week,factor,people,average_4_weeks,top_cores"
    assert any(row.split(",")[1:3] == ["roadworks", "2"] for row in csv_rows[1:])


GROUP = -100123


async def in_group(bot_phone: Phone, text: str, until: str) -> list[str]:
    """Say something in the partner's team group; return the bot's texts there until `until`."""
    emulator = bot_phone.emulator
    before = emulator.last_seq
    emulator.send_group_text(bot_phone.user, GROUP, "ADL team", text)
    texts: list[str] = []
    last = before
    while True:
        event = await emulator.wait_for_event(GROUP, after_seq=last, timeout=10)
        last = event.seq
        texts.append(event.text or "")
        if until in texts[-1]:
            return texts


async def test_a_partner_s_group_is_bound_by_its_link_and_gets_the_digest_nothing_else(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(settings.model_copy(update={"anonymity_k": 2}), poll_timeout=1) as bot:
        await two_shopkeepers_raise_roadworks(make_phone, 9880)
        adl = await bot.services.partners.create(
            name="ADL", territories=["lessines"], language="en", created_by="t"
        )
        invitation = await bot.services.partners.invite(adl.id, created_by="t")
        officer = make_phone(9885, "en")
        # Before binding, /start in a group explains where the bot talks; chat text is ignored.
        hello = translate("en", "group.private_only")
        assert await in_group(officer, "/start@echoppe_test_bot", hello) == [hello]
        # What Telegram sends after the "startgroup" link: the command addressed to the bot.
        texts = await in_group(
            officer, f"/start@echoppe_test_bot {invitation.start_parameter}", "ADL"
        )
        assert texts == [translate("en", "partner.bound", name="ADL", scope="Lessines")]
        assert await bot.services.partners.partner_of("telegram", str(GROUP)) is not None
        # Group chatter and other bots' commands get nothing; /digest gets the preview.
        before = officer.emulator.last_seq
        officer.emulator.send_group_text(officer.user, GROUP, "ADL team", "morning all")
        officer.emulator.send_group_text(officer.user, GROUP, "ADL team", "/digest@other_bot")
        texts = await in_group(officer, "/digest@echoppe_test_bot", "📰")
        assert len(texts) == 1 and "📰 ADL" in texts[0]
        assert [e.kind for e in officer.emulator.events_after(before, GROUP)] == ["send_message"]
        # The weekly digest goes to the group; the bot's scheduler has it due at 08:00 local.
        job = bot.scheduler.job("digests_weekly")
        assert job is not None
        assert job.next_run_time == MONDAY_8.next_after(datetime.now(UTC), BRUSSELS)
        monday = await digest_time(bot)
        before = officer.emulator.last_seq
        send = _digest_sender(bot)
        assert await bot.services.digest_dispatcher.run(send, monday) == 1
        kinds = [e.kind for e in officer.emulator.events_after(before, GROUP)]
        assert kinds == ["send_message", "send_photo", "send_document"]
        # Nobody in the group became a user, and the officer's private chat saw nothing.
        assert (
            await bot.services.db.fetch_all(
                "SELECT id FROM users WHERE external_id = ?", ("9885",)
            )
            == []
        )
        assert officer.emulator.events(officer.user.id) == []


async def test_a_partner_group_upgraded_to_a_supergroup_keeps_its_digest(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(settings.model_copy(update={"anonymity_k": 2}), poll_timeout=1) as bot:
        await two_shopkeepers_raise_roadworks(make_phone, 9900)
        partners = bot.services.partners
        adl = await partners.create(name="ADL", territories=["lessines"], created_by="t")
        officer = make_phone(9905, "fr")
        emulator = officer.emulator
        groups = {}
        for group, announce in ((-100201, True), (-100202, False)):
            invitation = await partners.invite(adl.id, created_by="t")
            before = emulator.last_seq
            emulator.send_group_text(
                officer.user, group, "ADL", f"/start@echoppe_test_bot {invitation.start_parameter}"
            )
            await emulator.wait_for_event(group, after_seq=before, timeout=10)
            supergroup = -1_000_000_000_000 + group
            emulator.upgrade_group(group, supergroup, announce=announce)
            groups[supergroup] = announce

        async def followed() -> bool:
            return await partners.partner_of("telegram", "-1000000100201") is not None

        await eventually(followed)  # told by Telegram's service message
        assert await partners.partner_of("telegram", "-1000000100202") is None  # not told
        monday = await digest_time(bot)
        send = _digest_sender(bot)
        before = emulator.last_seq
        assert await bot.services.digest_dispatcher.run(send, monday) == 2
        for supergroup in groups:
            kinds = [e.kind for e in emulator.events_after(before, supergroup)]
            assert kinds == ["send_message", "send_photo", "send_document"]
        # The unannounced one was followed when the send to its old id failed; nothing twice.
        assert await partners.partner_of("telegram", "-1000000100202") is not None
        assert await bot.services.digest_dispatcher.run(send, monday + timedelta(hours=1)) == 0


def _digest_sender(bot: RunningBot) -> SendDigest:
    s = bot.services
    return digest_sender(s.digest_flow, s.partners, s.outbound, s.mailer, s.settings.smtp_from)
