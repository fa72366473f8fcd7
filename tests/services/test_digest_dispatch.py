"""The weekly digest goes out at 08:00 local on Mondays, once per chat, and catches up."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.reference import Reference
from bot.services.digest_dispatch import DigestDispatcher
from bot.services.digest_schedule import WeeklyTime
from bot.services.digests import DigestFigures, DigestService
from bot.services.partners import PartnerService
from bot.services.sending import Delivery
from bot.storage import Database
from bot.storage.partners import Partner

BRUSSELS = ZoneInfo("Europe/Brussels")


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str, str]] = []

    async def __call__(
        self, partner: Partner, _channel: str, chat_id: str, figures: DigestFigures
    ) -> Delivery:
        self.sent.append((partner.id, chat_id, figures.week))
        return Delivery.SENT


async def setup(db: Database, reference: Reference) -> tuple[DigestDispatcher, Partner]:
    partners = PartnerService(db, reference)
    adl = await partners.create(name="ADL", territories=["lessines"], created_by="t")
    for chat in ("700", "701"):
        invitation = await partners.invite(
            adl.id, created_by="t", now=datetime(2026, 1, 1, tzinfo=UTC)
        )
        await partners.redeem(
            invitation.start_parameter,
            channel="telegram",
            chat_id=chat,
            event_key=f"bind:{chat}",
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    dispatcher = DigestDispatcher(
        db, DigestService(db, 5, BRUSSELS), WeeklyTime.parse("mon 08:00"), BRUSSELS
    )
    return dispatcher, adl


async def test_monday_8_local_once_per_chat_on_both_sides_of_dst(
    db: Database, reference: Reference
) -> None:
    dispatcher, adl = await setup(db, reference)
    mail = Mailbox()
    # Winter: Monday 23 March 2026, 08:00 CET = 07:00 UTC. A minute before, the digest due is
    # still the one of the week before (W11, sent on the 16th); at 08:00 it is W12's.
    assert dispatcher.due_week(datetime(2026, 3, 23, 6, 59, tzinfo=UTC)) == "2026-W11"
    assert dispatcher.due_week(datetime(2026, 3, 23, 7, 0, tzinfo=UTC)) == "2026-W12"
    # Summer: Monday 30 March 2026, 08:00 CEST = 06:00 UTC.
    assert dispatcher.due_week(datetime(2026, 3, 30, 5, 59, tzinfo=UTC)) == "2026-W12"
    assert dispatcher.due_week(datetime(2026, 3, 30, 6, 0, tzinfo=UTC)) == "2026-W13"
    assert await dispatcher.run(mail, datetime(2026, 3, 30, 6, 0, tzinfo=UTC)) == 2
    # Later runs the same week send nothing again.
    assert await dispatcher.run(mail, datetime(2026, 3, 30, 6, 10, tzinfo=UTC)) == 0
    assert await dispatcher.run(mail, datetime(2026, 4, 2, 12, tzinfo=UTC)) == 0
    assert sorted(mail.sent) == [(adl.id, "700", "2026-W13"), (adl.id, "701", "2026-W13")]
    # Back in winter: Monday 26 October 2026, 08:00 CET = 07:00 UTC.
    assert dispatcher.due_week(datetime(2026, 10, 26, 6, 59, tzinfo=UTC)) == "2026-W42"
    assert dispatcher.due_week(datetime(2026, 10, 26, 7, 0, tzinfo=UTC)) == "2026-W43"


async def test_a_digest_missed_while_down_goes_out_at_the_next_start(
    db: Database, reference: Reference
) -> None:
    dispatcher, _ = await setup(db, reference)
    mail = Mailbox()
    # Down over Monday 30 November 2026 08:00; back on Tuesday afternoon.
    assert await dispatcher.run(mail, datetime(2026, 12, 1, 15, tzinfo=UTC)) == 2
    assert {week for _, _, week in mail.sent} == {"2026-W48"}
    assert await dispatcher.run(mail, datetime(2026, 12, 1, 15, 10, tzinfo=UTC)) == 0
