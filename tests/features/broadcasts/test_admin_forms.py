"""Admins' forms: odd input is refused with a reason and stores nothing; taps act once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.channels.base import IncomingKind, IncomingMessage, Outcome
from bot.features.broadcasts.admin_flow import BroadcastAdminFlow
from bot.features.broadcasts.service import BroadcastService
from bot.features.broadcasts.store import BroadcastRepository
from bot.features.events.admin_flow import EventAdminFlow, parse_duration
from bot.features.events.service import EventService
from bot.features.surveys.definitions import Surveys
from bot.features.surveys.results import SurveyResults
from bot.features.surveys.waves import WaveService
from bot.i18n import translate
from bot.reference import Reference, default_data_dir
from bot.storage import Database
from tests.features.concerns.test_service import make_user

BRUSSELS = ZoneInfo("Europe/Brussels")
ADMIN = "42"
EVENT = """title: Atelier
when: 2099-12-10 18:00
place: Lessines"""


def flows(db: Database, reference: Reference) -> tuple[BroadcastAdminFlow, EventAdminFlow]:
    broadcasts = BroadcastService(db, reference)
    waves = WaveService(
        db,
        Surveys.load(default_data_dir() / "surveys"),
        window=timedelta(0),
        remind_after=timedelta(hours=48),
        open_for=timedelta(days=7),
        results=SurveyResults(db, 5),
    )
    events = EventService(db, reference, broadcasts, waves, BRUSSELS)
    return BroadcastAdminFlow(broadcasts, BRUSSELS), EventAdminFlow(events, broadcasts, BRUSSELS)


def command(name: str, args: str) -> IncomingMessage:
    return IncomingMessage(
        channel="telegram",
        user_ref=ADMIN,
        event_key=f"cmd:{name}:{args}",
        kind=IncomingKind.COMMAND,
        command=name,
        args=args,
    )


def tap(data: str) -> IncomingMessage:
    return IncomingMessage(
        channel="telegram",
        user_ref=ADMIN,
        event_key=f"tap:{data}",
        kind=IncomingKind.BUTTON,
        button_data=data,
    )


def buttons(outcome: Outcome) -> list[str]:
    return [b.data for row in outcome.replies[0].buttons for b in row]


async def test_discard_after_confirm_says_it_is_confirmed_and_keeps_it(
    db: Database, reference: Reference
) -> None:
    await make_user(db, "1", core="les_ogy")
    broadcast_admin, event_admin = flows(db, reference)
    preview = await broadcast_admin.on_command(command("broadcast", "fr: Bonjour"), "en")
    go, discard = buttons(preview)
    assert (await broadcast_admin.on_button(tap(go), "en")).replies[0].text.startswith("✅")
    late = await broadcast_admin.on_button(tap(discard), "en")
    assert late.notice == translate("en", "admin.broadcast_already_confirmed")
    [made] = await BroadcastRepository(db).recent(5)
    assert made.status == "scheduled"
    # The same for an event's invitation.
    preview = await event_admin.on_command(command("event", EVENT), "en")
    go, discard = buttons(preview)
    await event_admin.on_button(tap(go), "en")
    late = await event_admin.on_button(tap(discard), "en")
    assert late.notice == translate("en", "admin.broadcast_already_confirmed")


async def test_odd_event_forms_are_refused_with_a_reason_and_store_nothing(
    db: Database, reference: Reference
) -> None:
    _, event_admin = flows(db, reference)
    for odd in (
        "capacity: ²",
        "capacity: 99999999999999999999",
        "duration: 99999999999h",
        "duration: 0h",
        "place: " + "x" * 5000,
    ):
        form = (
            EVENT + "\n" + odd
            if not odd.startswith("place")
            else EVENT.replace("place: Lessines", odd)
        )
        outcome = await event_admin.on_command(command("event", form), "en")
        assert outcome.replies[0].text.startswith("⚠️"), odd
    far = EVENT.replace("2099-12-10", "9999-12-31")
    assert (await event_admin.on_command(command("event", far), "en")).replies[0].text[:2] == "⚠️"
    assert await db.fetch_all("SELECT id FROM events") == []
    assert parse_duration("1h30") == timedelta(minutes=90)
    assert parse_duration("90min") == parse_duration("90") == timedelta(minutes=90)
