"""End-to-end: a partner's invitation link opened in Telegram."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.telegram_app import RunningBot
from bot.i18n import translate
from tests.support import Phone

PhoneFactory = Callable[..., Phone]


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
