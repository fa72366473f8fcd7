"""End-to-end: /barometer with its chart, "me too" taps and three-week follow-ups."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app.run import RunningBot, running_bot
from bot.config import Settings
from bot.emulator import BotApiEmulator
from bot.features.barometer.jobs import jobs as barometer_jobs
from bot.features.follow_ups.jobs import question_sender
from bot.i18n import translate
from nlp.taxonomy import FACTOR_IDS, taxonomy
from tests.support import Phone, echo_line, onboard

PhoneFactory = Callable[..., Phone]
ROADWORKS_FR = "Les travaux devant le magasin bloquent tout depuis des semaines, personne ne passe"
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
async def bot_k2(settings: Settings) -> AsyncIterator[RunningBot]:
    """Run the bot with k = 2 and no shared-count cache, so a test needs few people."""
    changed = settings.model_copy(update={"anonymity_k": 2, "barometer_cache_seconds": 0})
    async with running_bot(changed, poll_timeout=1) as running:
        yield running


async def raise_concern(phone: Phone, text: str = ROADWORKS_FR) -> None:
    """Send a concern and confirm the model's reading of it."""
    lang = phone.user.language_code or "fr"
    await phone.send(text, until=translate(lang, "concern.understood", factors="")[:10])
    await phone.tap(translate(lang, "concern.yes"), until="🤝")


def png_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) read from a PNG header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


async def voices(bot: RunningBot, phone: Phone) -> list[tuple[str, str, str]]:
    rows = await bot.services.db.fetch_all(
        "SELECT cf.factor, cf.kind, c.source FROM concern_factors cf"
        " JOIN concerns c ON c.id = cf.concern_id JOIN users u ON u.id = c.user_id"
        " WHERE u.external_id = ? ORDER BY cf.confirmed_at",
        (str(phone.user.id),),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_barometer_chart_suppression_and_me_too(
    bot_k2: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    roadworks = taxonomy().get("roadworks").title("fr")
    me_too = taxonomy().get("roadworks").short_title("fr")
    in_ogy = [make_phone(9400 + i, "fr") for i in range(3)]
    elsewhere = [make_phone(9405, "fr"), make_phone(9406, "fr")]
    me = make_phone(9410, "fr")
    for phone in in_ogy:
        await onboard(phone)
    for phone in elsewhere:
        await onboard(phone, core="Ghoy")
    await onboard(me)
    # Two people of Ogy and two of Ghoy raise roadworks: 2 in Ogy (= k), 4 in Lessines (the
    # two outside Ogy are a group of k, so both numbers can show).
    for phone in (*in_ogy[:2], *elsewhere):
        await raise_concern(phone)

    events = await me.send("/barometer", until=translate("fr", "barometer.me_too_hint")[:10])
    photos = [e for e in events if e.kind == "send_photo"]
    assert len(photos) == 1 and photos[0].message_id is not None
    assert "Ogy" in (photos[0].text or "") and "Lessines" in (photos[0].text or "")
    image = emulator.photo_of(me.user.id, photos[0].message_id)
    assert image is not None
    width, height = png_size(image)
    assert width >= 600 and height >= 400
    text = me.last_text()
    assert f"1. {roadworks} : 2" in text and f"1. {roadworks} : 4" in text
    assert translate("fr", "barometer.rest_hidden", k=2) in text
    # Only roadworks reaches k: it is the only "me too" offered.
    assert me.buttons() == [translate("fr", "barometer.me_too_button", factor=me_too)]

    # The third person of Ogy sees the other two, never themself.
    await in_ogy[2].send("/barometer", until=translate("fr", "barometer.me_too_hint")[:10])
    assert f"1. {roadworks} : 2" in in_ogy[2].last_text()

    message_id, data = me.find_button(translate("fr", "barometer.me_too_button", factor=""))
    await me.tap_data(message_id, data, until="🤝")
    everywhere = translate("fr", "echo.everywhere")
    line = echo_line("fr", roadworks, ("Ogy", 2), ("Lessines", 4), (everywhere, 4))
    assert line in me.last_text()
    assert await voices(bot_k2, me) == [("roadworks", "raised", "me_too")]
    answers = [
        e
        for e in emulator.events(me.user.id)
        if e.kind == "answer_callback" and e.message_id == message_id
    ]
    assert answers[-1].text == translate("fr", "barometer.counted")

    # Counted once per factor per 30 days: the same tap again stores nothing.
    again = await me.answer_to(message_id, data)
    assert again.text is not None
    assert again.text.startswith(translate("fr", "barometer.already", date="")[:12])
    assert await voices(bot_k2, me) == [("roadworks", "raised", "me_too")]

    # Now 3 people in Ogy raised roadworks; each sees the 2 others.
    await in_ogy[0].send("/barometer", until=translate("fr", "barometer.me_too_hint")[:10])
    assert f"1. {roadworks} : 2" in in_ogy[0].last_text()
    await in_ogy[2].send("/barometer", until=translate("fr", "barometer.me_too_hint")[:10])
    assert f"1. {roadworks} : 3" in in_ogy[2].last_text()
    # /history shows the tap as a "me too", deletable like a message.
    await me.send("/history", until=translate("fr", "history.header")[:10])
    assert translate("fr", "history.me_too") in me.last_text()


async def test_barometer_with_nobody_above_k_shows_nothing_and_offers_no_me_too(
    bot_k2: RunningBot, make_phone: PhoneFactory
) -> None:
    me = make_phone(9420, "nl")
    other = make_phone(9421, "nl")
    await onboard(me)
    await onboard(other)
    await raise_concern(
        other, "De wegenwerken voor mijn winkel duren al maanden, niemand komt nog"
    )
    await me.send("/barometer", until=translate("nl", "barometer.write_hint")[:10])
    text = me.last_text()
    assert text.count(translate("nl", "barometer.none_shown", k=2)) == 2
    # The barometer's own message carries no "me too" button (and no other).
    assert me.emulator.last_message(me.user.id) is not None
    assert not (me.emulator.last_message(me.user.id) or {}).get("reply_markup")
    # A forged "me too" on a factor that does not exist is refused politely.
    own = int(me.emulator.messages(me.user.id)[-1]["message_id"])
    for forged in ("bm:m:99", "bm:x:1", f"bm:m:{len(FACTOR_IDS)}"):
        answer = await me.answer_to(own, forged)
        assert answer.text == translate("nl", "button.invalid")


async def test_barometer_before_onboarding_asks_to_finish(
    bot_k2: RunningBot, make_phone: PhoneFactory
) -> None:
    phone = make_phone(9425, "en")
    await phone.consent()
    await phone.send("/barometer", until=translate("en", "role.question"))
    assert any(
        translate("en", "profile.finish_first") in (m["text"] or "")
        for m in phone.emulator.messages(phone.user.id)
    )


def local(moment: datetime, hour: int) -> datetime:
    """Return the same Brussels day as `moment`, at a given local hour."""
    day = moment.astimezone(BRUSSELS)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


async def test_follow_up_three_weeks_later_is_stored_once_as_a_new_voice(
    bot_k2: RunningBot, make_phone: PhoneFactory
) -> None:
    me = make_phone(9430, "en")
    await onboard(me)
    await raise_concern(me, "The roadworks outside my shop have blocked the street for weeks")
    services = bot_k2.services
    row = await services.db.fetch_one("SELECT concern_id, due_at FROM follow_ups")
    assert row is not None
    concern_id, due_at = int(row[0]), datetime.fromisoformat(row[1])
    confirmed = await services.db.fetch_one(
        "SELECT confirmed_at FROM concerns WHERE id = ?", (concern_id,)
    )
    assert confirmed is not None
    assert due_at - datetime.fromisoformat(confirmed[0]) == timedelta(days=21)

    send = question_sender(services.follow_up_flow, services.outbound)
    # Twenty days on: not yet. Twenty-two days on, at 3 a.m.: not at night.
    assert await services.follow_ups.send_due(send, local(due_at - timedelta(days=1), 11)) == 0
    assert await services.follow_ups.send_due(send, local(due_at + timedelta(days=1), 3)) == 0
    later = local(due_at + timedelta(days=1), 10)
    before = me.emulator.last_seq
    assert await services.follow_ups.send_due(send, later) == 1
    await me.wait(before, until="👋")
    question = me.last_text()
    opening = translate("en", "text.quoted", text="The roadworks outside")[:-1]
    assert "roadworks" in question.lower() and opening in question
    said_on = datetime.fromisoformat(confirmed[0]).astimezone(BRUSSELS).strftime("%d/%m/%Y")
    assert f"On {said_on} you told me" in question
    # Asked once: the next round finds nothing to send.
    assert await services.follow_ups.send_due(send, later + timedelta(minutes=15)) == 0

    message_id, data = me.find_button(translate("en", "follow_up.still_there"))
    await me.tap_data(message_id, data, until="🤝")
    texts = [m["text"] for m in me.emulator.messages(me.user.id)]
    assert any(t and t.startswith("📝") and "still there" in t for t in texts)
    answer = await services.db.fetch_one(
        "SELECT answer, answered_at FROM follow_ups WHERE concern_id = ?", (concern_id,)
    )
    assert answer is not None and answer[0] == "still_there"
    assert await voices(bot_k2, me) == [
        ("roadworks", "raised", "message"),
        ("roadworks", "still_there", "message"),
    ]
    # Answered once: a second tap (or a tap on another button) changes nothing.
    stale = await me.answer_to(message_id, data.replace(":t:", ":w:"))
    assert stale.text == translate("en", "button.stale")
    row = await services.db.fetch_one("SELECT COUNT(*) FROM concern_factors")
    assert row is not None and row[0] == 2


async def test_follow_ups_can_be_turned_off_and_on(
    bot_k2: RunningBot, make_phone: PhoneFactory
) -> None:
    me = make_phone(9440, "fr")
    await onboard(me)
    await raise_concern(me)
    services = bot_k2.services
    send = question_sender(services.follow_up_flow, services.outbound)
    row = await services.db.fetch_one("SELECT due_at FROM follow_ups")
    assert row is not None
    first_round = local(datetime.fromisoformat(row[0]) + timedelta(days=1), 10)
    assert await services.follow_ups.send_due(send, first_round) == 1
    await me.wait(me.emulator.last_seq - 1)
    await me.tap(translate("fr", "follow_up.stop"), until=translate("fr", "follow_up.turned_off"))
    user = await services.users.get("telegram", str(me.user.id))
    assert user is not None and not user.follow_ups

    # A parking concern three weeks later is not followed up, and stays unsent.
    await raise_concern(
        me, "Plus aucune place de parking dans la rue depuis le nouveau plan de circulation"
    )
    row = await services.db.fetch_one(
        "SELECT due_at FROM follow_ups WHERE sent_at IS NULL ORDER BY due_at DESC"
    )
    assert row is not None
    # (A day after the first round: nobody gets two follow-up questions within a day.)
    second_round = local(datetime.fromisoformat(row[0]) + timedelta(days=3), 10)
    assert await services.follow_ups.send_due(send, second_round) == 0
    skipped = await services.db.fetch_all("SELECT skipped FROM follow_ups WHERE sent_at IS NULL")
    assert [r[0] for r in skipped] == ["off"]

    # /profile turns them back on.
    await me.send("/profile", until=translate("fr", "profile.follow_ups_off"))
    assert translate("fr", "profile.turn_follow_ups_on") in me.buttons()
    await me.tap(
        translate("fr", "profile.turn_follow_ups_on"),
        until=translate("fr", "profile.follow_ups_on"),
    )
    user = await services.users.get("telegram", str(me.user.id))
    assert user is not None and user.follow_ups
    assert translate("fr", "profile.turn_follow_ups_off") in me.buttons()


async def test_when_a_core_opens_for_a_factor_those_who_raised_it_are_told_once(
    bot_k2: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    services = bot_k2.services
    tz = services.settings.tz
    moment = [datetime(2026, 12, 7, 10, 0, tzinfo=tz)]  # the job's clock: 10:00 in Brussels
    [job] = [
        j
        for j in barometer_jobs(
            services.barometer,
            list(services.reference.territories),
            0,
            services.barometer_flow,
            services.users,
            services.outbound,
            tz,
            lambda: moment[0],
        )
        if j.name == "barometer_openings"
    ]
    in_ogy = [make_phone(9430 + i, "fr") for i in range(4)]
    for phone in in_ogy:
        await onboard(phone)
    await job.run()  # the first look records what is open (nothing) and tells nobody
    opened = translate("fr", "barometer.opened", core="Ogy", factor="")[:12]

    def notices(phone: Phone) -> int:
        return sum(opened in (m.get("text") or "") for m in emulator.messages(phone.user.id))

    # Two raisers: each sees one other (< k = 2): still closed, and says so with no number.
    for phone in in_ogy[:2]:
        await raise_concern(phone)
    await job.run()
    assert [notices(p) for p in in_ogy] == [0, 0, 0, 0]
    roadworks = taxonomy().get("roadworks").title("fr")
    await in_ogy[0].send("/barometer", until=translate("fr", "barometer.header", role="")[:8])
    closed = in_ogy[0].last_text()
    assert translate("fr", "barometer.core_closed") in closed and roadworks not in closed
    # A third: each raiser now sees two others. At 22:00 nobody is told yet...
    await raise_concern(in_ogy[2])
    moment[0] = moment[0].replace(hour=22)
    await job.run()
    assert [notices(p) for p in in_ogy] == [0, 0, 0, 0]
    # ...the next morning, the three are, with the barometer.
    moment[0] = moment[0].replace(hour=9) + timedelta(days=1)
    before = emulator.last_seq
    await job.run()
    assert [notices(p) for p in in_ogy] == [1, 1, 1, 0]
    # Open at k: the number shows.
    assert f"1. {roadworks} : 2" in in_ogy[0].last_text()
    photos = [e for e in emulator.events_after(before) if e.kind == "send_photo"]
    assert len(photos) == 3  # each notice comes with the barometer's chart
    # Once only: another look, or a fourth voice, tells nobody again.
    await raise_concern(in_ogy[3])
    await job.run()
    assert [notices(p) for p in in_ogy] == [1, 1, 1, 0]
