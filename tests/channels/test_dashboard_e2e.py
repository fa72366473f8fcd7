"""End-to-end: /dashboard in Telegram gives a personal link, privately, without a preview."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bot.app.run import running_bot
from bot.config import Settings
from bot.i18n import translate
from tests.channels.test_partners_e2e import GROUP, in_group
from tests.support import Phone

PhoneFactory = Callable[..., Phone]


def _link(text: str) -> str:
    return next(word for word in text.split() if "/dashboard/signin/" in word)


def _no_preview(phone: Phone, chat_id: int) -> bool:
    message = max(phone.emulator.chat(chat_id).messages.values(), key=lambda m: m.message_id)
    return message.payload.get("link_preview_options") == {"is_disabled": True}


async def test_dashboard_links_for_a_partner_chat_a_group_member_and_an_admin(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(
        settings.model_copy(update={"admin_ids": (9950,)}), poll_timeout=1
    ) as bot:
        partners = bot.services.partners
        adl = await partners.create(
            name="ADL Lessines", territories=["lessines"], language="fr", created_by="test"
        )
        invitation = await partners.invite(adl.id, created_by="test")
        officer = make_phone(9951, "fr")
        await officer.send(f"/start {invitation.start_parameter}", until="ADL Lessines")
        # A bound private chat gets its link, with previews off.
        await officer.send("/dashboard", until="/dashboard/signin/")
        link = _link(officer.last_text())
        assert _no_preview(officer, officer.user.id)
        base = f"http://127.0.0.1:{bot.web.port}"
        assert link.startswith(base)
        # The first overview freezes and gates every week of its history: 2-3 s on an idle
        # two-core machine, past httpx's default 5 s when the machine is busy.
        async with httpx.AsyncClient(timeout=30) as client:
            page = await client.get(link)
            assert page.status_code == 200 and 'name="token"' in page.text
            token = link.rsplit("/", 1)[1]
            signed = await client.post(
                f"{base}/dashboard/signin",
                data={"token": token},
                headers={"origin": base},
                follow_redirects=True,
            )
            assert signed.status_code == 200  # followed to the overview
            assert "ADL Lessines" in signed.text
        # In the partner's group, the link goes privately to the person who asked.
        group_invite = await partners.invite(adl.id, created_by="test")
        colleague = make_phone(9952, "fr")
        bound = await in_group(
            colleague, f"/start@echoppe_test_bot {group_invite.start_parameter}", ""
        )
        assert "ADL Lessines" in bound[-1]
        before = colleague.emulator.last_seq
        colleague.emulator.send_group_text(
            colleague.user, GROUP, "ADL", "/dashboard@echoppe_test_bot"
        )
        said = await colleague.emulator.wait_for_event(GROUP, after_seq=before, timeout=10)
        assert said.text == translate("fr", "dash.link.sent_privately")
        await colleague.wait(before, "/dashboard/signin/")
        private = colleague.emulator.events_after(before, colleague.user.id)
        assert private and "/dashboard/signin/" in (private[-1].text or "")
        assert _no_preview(colleague, colleague.user.id)
        assert all(
            "/dashboard/signin/" not in (e.text or "")
            for e in colleague.emulator.events_after(before, GROUP)
        )
        # An admin gets one; anyone else gets the unknown-command answer and no link.
        admin = make_phone(9950, "en")
        await admin.send("/dashboard", until="/dashboard/signin/")
        stranger = make_phone(9953, "en")
        await stranger.send("/dashboard", until=translate("en", "command.unknown"))
        rows = await bot.services.db.fetch_all(
            "SELECT partner_id, admin_ref FROM dashboard_links ORDER BY id"
        )
        assert [tuple(r) for r in rows] == [
            (adl.id, None),
            (adl.id, None),
            (None, "telegram:9950"),
        ]
