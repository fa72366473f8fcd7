"""End-to-end: the real telegram.ext.Application talks HTTP to the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from telegram.error import NetworkError

from bot.app.run import RunningBot, running_bot
from bot.channels.base import Recipient, Reply, SendStatus
from bot.channels.telegram import outbound as outbound_module
from bot.config import Settings
from bot.emulator import BotApiEmulator, BotEvent
from bot.i18n import translate
from bot.storage import Step, UserRepository
from tests.support import Phone, eventually

PhoneFactory = Callable[..., Phone]
SECTOR = {"fr": "Boulangerie", "nl": "Bakkerij", "en": "Bakery"}


async def stored_user(bot: RunningBot, phone: Phone):  # type: ignore[no-untyped-def]
    return await UserRepository(bot.services.db).get("telegram", str(phone.user.id))


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
async def test_full_onboarding_in_each_language(
    bot: RunningBot, make_phone: PhoneFactory, lang: str
) -> None:
    phone = make_phone(7000 + len(lang) * 10 + ord(lang[0]), lang)
    t = lambda key, **kw: translate(lang, key, **kw)  # noqa: E731
    await phone.send("/start", until=t("privacy.notice")[:30])
    assert await stored_user(bot, phone) is None
    await phone.tap(t("privacy.accept"), until=t("role.question"))
    await phone.tap(t("role.shopkeeper"), until=t("territory.question"))
    await phone.tap(
        "Lessines" if lang != "nl" else "Lessen", until=t("core.question", page=1, pages=1)[:12]
    )
    await phone.tap("Ogy", until=t("sector.question"))
    sector_button = next(b for b in phone.buttons() if "🥖" in b or SECTOR[lang] in b)
    await phone.tap(sector_button, until=t("onboarding.done", summary="")[:10])
    assert "Ogy" in phone.last_text()
    user = await stored_user(bot, phone)
    assert user is not None
    assert (user.language, user.role, user.core_id, user.step) == (
        lang,
        "shopkeeper",
        "les_ogy",
        Step.DONE,
    )
    await phone.send("/profile", until=t("profile.view", summary="")[:8])
    assert "Ogy" in phone.last_text()
    await phone.send("/help", until=t("help.text")[:10])


async def test_language_preselected_from_telegram(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    phone = make_phone(7101, "nl-BE")
    await phone.send("/start")
    assert phone.last_text() == translate("nl", "privacy.notice")
    assert "✓ 🇳🇱 Nederlands" in phone.buttons()
    await phone.tap("English", until="Welcome")
    assert phone.last_text() == translate("en", "privacy.notice")
    assert await stored_user(bot, phone) is None


async def test_deep_link_preselects_core(bot: RunningBot, make_phone: PhoneFactory) -> None:
    phone = make_phone(7201, "fr")
    await phone.send("/start core_bru_flagey", until="Flagey")
    await phone.tap(translate("fr", "privacy.accept"), until=translate("fr", "role.question"))
    await phone.tap(translate("fr", "role.shopkeeper"), until=translate("fr", "sector.question"))
    user = await stored_user(bot, phone)
    assert user is not None and user.core_id == "bru_flagey" and user.step is Step.SECTOR


async def test_core_search_by_typing(bot: RunningBot, make_phone: PhoneFactory) -> None:
    phone = make_phone(7301, "fr")
    await phone.consent()
    await phone.tap(translate("fr", "role.coach"), until=translate("fr", "territory.question"))
    await phone.tap("Bruxelles", until="1/")
    await phone.send("elsense", until=translate("fr", "core.search_results"))
    assert any("Ixelles" in b for b in phone.buttons())
    await phone.send("zzzzqqq", until="zzzzqqq")
    await phone.tap("Ixelles", until=translate("fr", "sector.question"))
    user = await stored_user(bot, phone)
    assert user is not None and user.core_id is not None and user.core_id.startswith("bru_")


async def test_restart_mid_onboarding_resumes_at_same_step(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    phone = make_phone(7401, "en")
    async with running_bot(settings, poll_timeout=1):
        await phone.consent()
        await phone.tap("Landlord", until=translate("en", "territory.question"))
    async with running_bot(settings, poll_timeout=1) as again:
        await phone.send("hello?", until=translate("en", "territory.question"))
        assert translate("en", "onboarding.use_buttons") in [
            m["text"] for m in phone.emulator.messages(phone.user.id)
        ]
        # The buttons sent before the restart still work after it.
        await phone.tap("Brussels-Capital", until="1/")
        user = await stored_user(again, phone)
        assert user is not None and user.role == "landlord" and user.step is Step.CORE


async def test_privacy_notice_survives_restart_without_storing(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    phone = make_phone(7402, "fr")
    async with running_bot(settings, poll_timeout=1):
        await phone.send("/start core_les_ghoy", until="Ghoy")
    async with running_bot(settings, poll_timeout=1) as again:
        assert await stored_user(again, phone) is None
        await phone.tap(translate("fr", "privacy.accept"), until=translate("fr", "role.question"))
        user = await stored_user(again, phone)
        assert user is not None and user.pending_core_id == "les_ghoy"


async def test_replayed_update_is_applied_once(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    phone = make_phone(7501, "fr")
    await phone.consent()
    message_id, data = phone.find_button(translate("fr", "role.customer"))
    before = emulator.last_seq
    update_id = emulator.press_button(phone.user, message_id, data)
    await phone.wait(before, until=translate("fr", "territory.question"))
    sent_before = len(emulator.events(phone.user.id))
    emulator.replay_update(update_id)
    # A later action proves the replay was consumed; it must not have produced anything.
    marker = emulator.last_seq
    await phone.send("/help", until=translate("fr", "help.text")[:10])
    new = [e for e in emulator.events(phone.user.id) if e.seq > marker]
    # The replayed tap is answered again (Telegram refuses: already answered), nothing more.
    assert [(e.kind, e.method) for e in new] == [
        ("rejected", "answerCallbackQuery"),
        ("send_message", "sendMessage"),
    ]
    assert len(emulator.events(phone.user.id)) == sent_before + 2
    rows = await bot.services.db.fetch_all("SELECT COUNT(*) FROM processed_events")
    assert rows[0][0] >= 4


@pytest.mark.parametrize(
    ("inject", "lang"),
    [
        (BotApiEmulator.send_photo, "fr"),
        (BotApiEmulator.send_sticker, "nl"),
        (BotApiEmulator.send_voice, "en"),
        (BotApiEmulator.send_location, "fr"),
        (BotApiEmulator.send_contact, "nl"),
        (BotApiEmulator.send_document, "en"),
    ],
)
async def test_non_text_gets_polite_text_only_reply(
    bot: RunningBot,
    emulator: BotApiEmulator,
    make_phone: PhoneFactory,
    inject: Callable[[BotApiEmulator, object], int],
    lang: str,
) -> None:
    phone = make_phone(7600 + hash(inject.__name__) % 97, lang)
    before = emulator.last_seq
    inject(emulator, phone.user)
    await phone.wait(before, until=translate(lang, "input.text_only"))
    assert await stored_user(bot, phone) is None


async def test_edited_message_is_ignored(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    phone = make_phone(7701, "en")
    await phone.consent()
    await phone.send("typo", until=translate("en", "role.question"))
    marker = emulator.last_seq
    emulator.edit_text(phone.user, emulator.last_user_message_id(phone.user.id), "fixed")
    await phone.send("/help", until=translate("en", "help.text")[:10])
    assert [e.kind for e in emulator.events(phone.user.id) if e.seq > marker] == ["send_message"]
    user = await stored_user(bot, phone)
    assert user is not None and user.step is Step.ROLE


@pytest.mark.parametrize(
    "text",
    [
        "é" * 4096,
        "🏪🙏😭",
        "\u202bשלום עולם\u202c مرحبا",
        "\x01\x02 bell\x07 and nul-ish \x1f",
    ],
)
async def test_odd_text_is_handled(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory, text: str
) -> None:
    phone = make_phone(7801, "fr")
    await phone.consent()
    await phone.tap(
        translate("fr", "role.shopkeeper"), until=translate("fr", "territory.question")
    )
    await phone.tap("Bruxelles", until="1/")
    events = await phone.send(text)
    assert not [e for e in events if e.kind == "rejected"]
    assert translate("fr", "core.search_none", query="")[:20] in phone.last_text()
    user = await stored_user(bot, phone)
    assert user is not None and user.step is Step.CORE and user.core_id is None


async def test_unknown_command_gets_help(bot: RunningBot, make_phone: PhoneFactory) -> None:
    phone = make_phone(7901, "nl")
    await phone.send("/bestelling", until=translate("nl", "command.unknown"))
    assert translate("nl", "help.text") in phone.last_text()


@pytest.mark.parametrize("data", ["ob:role:king", "hack:me", "pf:core:bru_flagey", "x" * 64])
async def test_forged_callback_data_gets_polite_answer(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory, data: str
) -> None:
    phone = make_phone(8001, "en")
    await phone.consent()
    message_id = int(emulator.messages(phone.user.id)[-1]["message_id"])
    before_user = await stored_user(bot, phone)
    event = await phone.answer_to(message_id, data)
    assert event.text in (translate("en", "button.invalid"), translate("en", "button.stale"))
    assert await stored_user(bot, phone) == before_user


async def test_double_tap_and_stale_button(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    phone = make_phone(8101, "fr")
    await phone.consent()
    message_id, data = phone.find_button(translate("fr", "role.shopkeeper"))
    before = emulator.last_seq
    emulator.press_button(phone.user, message_id, data)
    emulator.press_button(phone.user, message_id, data)
    await phone.wait(before, until=translate("fr", "territory.question"))
    answers: list[BotEvent] = []
    while len(answers) < 2:
        event = await emulator.wait_for_event(
            phone.user.id, after_seq=before, kinds={"answer_callback"}
        )
        before = event.seq
        if event.message_id == message_id:
            answers.append(event)
    assert answers[0].text is None
    assert answers[1].text == translate("fr", "button.stale")
    assert not [e for e in emulator.events(phone.user.id) if e.kind == "rejected"]
    user = await stored_user(bot, phone)
    assert user is not None and user.step is Step.TERRITORY


async def test_expired_callback_query_is_still_applied(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    phone = make_phone(8201, "en")
    await phone.consent()
    message_id, data = phone.find_button("Customer")
    emulator.expire_callback_queries()
    before = emulator.last_seq
    emulator.press_button(phone.user, message_id, data)
    emulator.expire_callback_queries()
    await phone.wait(before, until=translate("en", "territory.question"))
    user = await stored_user(bot, phone)
    assert user is not None and user.role == "customer"


async def test_blocked_user_is_marked_and_not_messaged_again(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    phone = make_phone(8301, "fr")
    await phone.consent()
    emulator.block(phone.user.id)
    before = emulator.last_seq
    emulator.send_text(phone.user, "/help")
    rejected = await emulator.wait_for_event(phone.user.id, after_seq=before, kinds={"rejected"})
    assert "blocked" in (rejected.error or "")

    async def is_marked() -> bool:
        user = await stored_user(bot, phone)
        return user is not None and user.blocked_at is not None

    await eventually(is_marked)
    # A message the bot was not asked for is not even attempted now.
    attempts = len(emulator.events(phone.user.id))
    to = Recipient("telegram", str(phone.user.id))
    outcome = await bot.services.outbound.send(to, [Reply("news")])
    assert outcome.status is SendStatus.BLOCKED
    assert len(emulator.events(phone.user.id)) == attempts
    # Writing to the bot again means they unblocked it.
    emulator.unblock(phone.user.id)
    await phone.send("/help", until=translate("fr", "help.text")[:10])
    user = await stored_user(bot, phone)
    assert user is not None and user.blocked_at is None


async def test_handler_error_gets_polite_reply_without_traceback(
    bot: RunningBot,
    emulator: BotApiEmulator,
    make_phone: PhoneFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(_incoming: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.services.onboarding, "handle", broken)
    phone = make_phone(8401, "nl")
    update_id = emulator.send_text(phone.user, "/start")
    await phone.wait(0, until=translate("nl", "error.generic"))
    assert "Traceback" not in phone.last_text() and "disk on fire" not in phone.last_text()
    assert any(str(update_id) in r.getMessage() and r.exc_info is not None for r in caplog.records)


async def test_rate_limited_calls_are_retried(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    phone = make_phone(8501, "en")
    await phone.send("/start")
    emulator.limits.per_chat_per_s = 1.0
    emulator.limits.per_chat_burst = 1
    # Accepting answers the tap, edits the notice and sends the next question: three calls.
    await phone.tap("I agree", until=translate("en", "role.question"))
    rejected = [e for e in emulator.events(phone.user.id) if e.kind == "rejected"]
    assert rejected and all("retry after" in (e.error or "") for e in rejected)
    user = await stored_user(bot, phone)
    assert user is not None and user.step is Step.ROLE


async def test_recurring_jobs_are_scheduled(bot: RunningBot) -> None:
    assert bot.scheduler.names == [
        "barometer",
        "barometer_openings",
        "broadcasts",
        "cell_photos",
        "cells",
        "coaching",
        "digests",
        "digests_weekly",
        "events",
        "follow_ups",
        "foodchain",
        "freeze_periods",
        "housekeeping",
        "info_sessions",
        "notices",
        "nudges",
        "popup_surveys",
        "replies",
        "retention",
        "survey_invitations",
        "survey_results",
    ]


async def test_an_answer_that_could_not_go_is_kept_and_sent_later(
    bot: RunningBot, make_phone: PhoneFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def network_down(*_args: object) -> bool:
        raise NetworkError("network went away")

    phone = make_phone(8601, "fr")
    await phone.send("/start")
    message_id, data = phone.find_button(translate("fr", "privacy.accept"))
    monkeypatch.setattr(outbound_module, "edit_reply", network_down)
    monkeypatch.setattr(outbound_module, "send_reply", network_down)
    before = phone.emulator.last_seq
    phone.emulator.press_button(phone.user, message_id, data)

    # The spinner stops: the tap was applied and answered.
    await phone.emulator.wait_for_event(
        phone.user.id, after_seq=before, kinds={"answer_callback"}, timeout=10
    )

    async def kept() -> bool:
        rows = await bot.services.db.fetch_all("SELECT reply FROM reply_outbox")
        texts = [json.loads(r[0])["text"] for r in rows]
        return any(translate("fr", "role.question") in text for text in texts)

    await eventually(kept)
    # Its reply is kept for later.
    user = await stored_user(bot, phone)
    assert user is not None and user.step is Step.ROLE
    monkeypatch.undo()
    assert await bot.services.conversation.drain(everything=True) >= 1
    await phone.wait(before, until=translate("fr", "role.question")[:12])
    assert await bot.services.db.fetch_all("SELECT id FROM reply_outbox") == []


async def test_edit_to_identical_content_is_harmless(
    bot: RunningBot, emulator: BotApiEmulator, make_phone: PhoneFactory
) -> None:
    phone = make_phone(8701, "en")
    await phone.consent()
    await phone.tap("Shopkeeper", until=translate("en", "territory.question"))
    await phone.tap("Lessines", until="1/1")
    await phone.tap("Ghoy", until=translate("en", "sector.question"))
    await phone.tap("Bakery", until="🎉")
    await phone.send("/profile", until="👤")
    message_id = int(emulator.messages(phone.user.id)[-1]["message_id"])
    # "Back" on the profile itself re-renders the very same profile.
    await phone.tap_data(message_id, "pf:back")
    rejected = [e for e in emulator.events(phone.user.id) if e.kind == "rejected"]
    assert len(rejected) == 1 and "not modified" in (rejected[0].error or "")
    # One chat's updates are handled in order: an error reply would come before this answer.
    await phone.send("/help", until=translate("en", "help.text")[:10])
    assert translate("en", "error.generic") not in [
        m["text"] for m in emulator.messages(phone.user.id)
    ]
