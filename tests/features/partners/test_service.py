"""Partner invitations: single use, expiring, revocable; scopes checked."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.features.partners.service import PartnerError, PartnerService, Redeemed
from bot.reference import Reference
from bot.storage import Database

_events = itertools.count(1)
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def key() -> str:
    return f"partner-test:{next(_events)}"


async def test_an_invitation_binds_one_chat_once_before_it_expires(
    db: Database, reference: Reference
) -> None:
    service = PartnerService(db, reference)
    adl = await service.create(name="ADL Lessines", territories=["lessines"], created_by="t")
    invitation = await service.invite(adl.id, created_by="t", now=T0)
    assert invitation.link("echoppe_bot").startswith("https://t.me/echoppe_bot?start=partner_")
    assert len(invitation.start_parameter) <= 64
    status, partner = await service.redeem(
        invitation.start_parameter, channel="telegram", chat_id="500", event_key=key(), now=T0
    )
    assert status is Redeemed.BOUND and partner is not None and partner.id == adl.id
    assert await service.partner_of("telegram", "500") == partner
    # Reused by another chat: refused, and that chat sees nothing.
    again, _ = await service.redeem(
        invitation.start_parameter, channel="telegram", chat_id="501", event_key=key(), now=T0
    )
    assert again is Redeemed.USED and await service.partner_of("telegram", "501") is None
    # Expired: refused.
    late = await service.invite(adl.id, created_by="t", now=T0, valid_for=timedelta(hours=1))
    expired, _ = await service.redeem(
        late.start_parameter,
        channel="telegram",
        chat_id="502",
        event_key=key(),
        now=T0 + timedelta(hours=2),
    )
    assert expired is Redeemed.EXPIRED and await service.partner_of("telegram", "502") is None
    unknown, _ = await service.redeem(
        "partner_forged", channel="telegram", chat_id="503", event_key=key(), now=T0
    )
    assert unknown is Redeemed.UNKNOWN
    odd, _ = await service.redeem(
        "partner_é\u0000", channel="telegram", chat_id="504", event_key=key(), now=T0
    )
    assert odd is Redeemed.UNKNOWN
    # Nothing but a hash of the token is stored.
    rows = await db.fetch_all("SELECT token_hash FROM partner_invitations")
    assert all(invitation.start_parameter[8:] not in str(r[0]) for r in rows)


async def test_revoking_cuts_access_at_once(db: Database, reference: Reference) -> None:
    service = PartnerService(db, reference)
    coach = await service.create(name="Coach", territories=["brussels"], created_by="t")
    first = await service.invite(coach.id, created_by="t", now=T0)
    spare = await service.invite(coach.id, created_by="t", now=T0)
    await service.redeem(
        first.start_parameter, channel="telegram", chat_id="600", event_key=key(), now=T0
    )
    assert await service.revoke(coach.id)
    assert await service.partner_of("telegram", "600") is None
    status, _ = await service.redeem(
        spare.start_parameter, channel="telegram", chat_id="601", event_key=key(), now=T0
    )
    assert status is Redeemed.REVOKED
    with pytest.raises(PartnerError):
        await service.invite(coach.id, created_by="t")


async def test_scopes_are_checked_and_kept(db: Database, reference: Reference) -> None:
    service = PartnerService(db, reference)
    for territories, cores in ((["atlantis"], []), ([], []), (["lessines"], ["bru_flagey"])):
        with pytest.raises(PartnerError):
            await service.create(name="X", territories=territories, cores=cores, created_by="t")
    for email in ("no", "a@b", "a@b.be\nBcc: all@x.be", "Ann <a@b.be>", "a@b.be, c@d.be"):
        with pytest.raises(PartnerError):
            await service.create(name="X", territories=["lessines"], email=email, created_by="t")
    for name in ("ADL\nLessines", "ADL\rBcc: x", "ADL\u0000"):
        with pytest.raises(PartnerError):
            await service.create(name=name, territories=["lessines"], created_by="t")
    assert (await service.all()) == []  # none of them was stored
    adl = await service.create(name="ADL", territories=["lessines"], created_by="t")
    ogy = await service.create(
        name="Ogy", territories=["lessines"], cores=["les_ogy"], created_by="t"
    )
    assert service.sees_core(adl, "les_ghoy") and not service.sees_core(adl, "bru_flagey")
    assert service.sees_core(ogy, "les_ogy") and not service.sees_core(ogy, "les_ghoy")
