"""Drive the Bot API emulator with the real python-telegram-bot Bot and Application."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler

from bot.emulator import BotApiEmulator, BotEvent, EmulatorLimits, FakeUser
from bot.emulator.formatting import EntityParseError, parse_html, utf16_len

TOKEN = "123456:test-token"
ALICE = FakeUser(id=1001, first_name="Alice", language_code="fr", username="alice")
BOB = FakeUser(id=1002, first_name="Bob", language_code="nl")


def keyboard(*data: str) -> InlineKeyboardMarkup:
    """Build a one-row inline keyboard with one button per callback data."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


def seconds(value: int | dtm.timedelta) -> float:
    """Return RetryAfter.retry_after in seconds whatever PTB's timedelta setting."""
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    """Serve a fresh emulator on a free port."""
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest_asyncio.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    """Give a real telegram.Bot pointed at the emulator."""
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as tg_bot:
        yield tg_bot


async def raw_call(emu: BotApiEmulator, path: str, **kwargs: Any) -> httpx.Response:
    """POST to the emulator without PTB, to look at the exact envelope."""
    async with httpx.AsyncClient(trust_env=False) as client:
        return await client.post(f"http://127.0.0.1:{emu.port}{path}", **kwargs)


# ---------------------------------------------------------------------- basics


@pytest.mark.asyncio
async def test_get_me_returns_the_bot_user(bot: Bot, emu: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == emu.bot_id
    assert me.username == "echoppe_test_bot"
    assert me.first_name == "Échoppe"
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/bot"


@pytest.mark.asyncio
async def test_send_message_round_trip(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "bonjour")
    sent = await bot.send_message(ALICE.id, "Salut Alice", reply_markup=keyboard("a", "b"))
    assert sent.chat.id == ALICE.id
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.reply_markup == keyboard("a", "b")
    assert sent.message_id == 2  # ids are shared by both sides of a private chat
    stored = emu.messages(ALICE.id)
    assert stored == [
        {
            "message_id": sent.message_id,
            "text": "Salut Alice",
            "reply_markup": keyboard("a", "b").to_dict(),
        }
    ]
    assert emu.last_message(ALICE.id) == stored[0]
    [event] = emu.events(ALICE.id)
    assert (event.kind, event.method, event.text) == ("send_message", "sendMessage", "Salut Alice")
    assert event.seq == emu.last_seq == 1


@pytest.mark.asyncio
async def test_raw_envelopes_token_and_unknown_method(emu: BotApiEmulator) -> None:
    bad_token = await raw_call(emu, "/botnot-a-token/getMe")
    assert bad_token.status_code == 401
    assert bad_token.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = await raw_call(emu, f"/bot{TOKEN}/sendPigeon")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    # Method names are case-insensitive and JSON bodies are accepted, like Telegram.
    me = await raw_call(emu, f"/bot{TOKEN}/GETME", json={})
    assert me.json()["ok"] is True and me.json()["result"]["is_bot"] is True
    emu.send_text(BOB, "hi")
    sent = await raw_call(
        emu,
        f"/bot{TOKEN}/sendMessage",
        json={"chat_id": BOB.id, "text": "json", "reply_markup": {"remove_keyboard": True}},
    )
    assert sent.json()["result"]["text"] == "json"
    not_int = await raw_call(emu, f"/bot{TOKEN}/deleteMessage", data={"chat_id": BOB.id})
    assert not_int.status_code == 400
    assert not_int.json()["description"] == "Bad Request: message identifier is not specified"


@pytest.mark.asyncio
async def test_invalid_token_raises_invalid_token(emu: BotApiEmulator) -> None:
    async with Bot("123:abc", base_url=emu.base_url) as good:
        assert (await good.get_me()).id == emu.bot_id
    with pytest.raises(InvalidToken):
        async with Bot("nodigits:abc", base_url=emu.base_url):
            pass


# ---------------------------------------------------------------------- updates


@pytest.mark.asyncio
async def test_long_polling_returns_injected_update_promptly(
    bot: Bot, emu: BotApiEmulator
) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, emu.send_text, ALICE, "/start core_x")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    elapsed = time.monotonic() - started
    assert 0.15 < elapsed < 2.0
    [update] = updates
    assert update.message is not None
    assert update.message.text == "/start core_x"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "fr"
    assert update.message.chat.type == "private"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start")


@pytest.mark.asyncio
async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3.0


@pytest.mark.asyncio
async def test_offset_confirms_and_unconfirmed_are_redelivered(
    bot: Bot, emu: BotApiEmulator
) -> None:
    first = emu.send_text(ALICE, "one")
    second = emu.send_command(ALICE, "start", "core_x")
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    # Not confirmed yet: delivered again.
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert emu.pending_update_count() == 2
    # offset = first + 1 confirms only the first one.
    assert [u.update_id for u in await bot.get_updates(offset=first + 1)] == [second]
    assert emu.pending_update_count() == 1
    assert await bot.get_updates(offset=second + 1) == ()
    assert emu.pending_update_count() == 0
    third = emu.send_text(ALICE, "three")
    assert [u.update_id for u in await bot.get_updates(offset=second + 1, limit=5)] == [third]


@pytest.mark.asyncio
async def test_negative_offset_and_limit(bot: Bot, emu: BotApiEmulator) -> None:
    ids = [emu.send_text(ALICE, f"m{i}") for i in range(5)]
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=-2)] == ids[-2:]
    assert emu.pending_update_count() == 2  # the earlier ones were forgotten


@pytest.mark.asyncio
async def test_replay_update_redelivers_same_id(bot: Bot, emu: BotApiEmulator) -> None:
    update_id = emu.send_text(ALICE, "pay me once")
    assert [u.update_id for u in await bot.get_updates()] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == ()
    later = emu.send_text(ALICE, "later")
    emu.replay_update(update_id)
    replayed = await bot.get_updates(offset=update_id + 1)
    assert [u.update_id for u in replayed] == [update_id, later]
    assert replayed[0].message is not None and replayed[0].message.text == "pay me once"
    assert await bot.get_updates(offset=later + 1) == ()
    with pytest.raises(ValueError):
        emu.replay_update(99_999)


@pytest.mark.asyncio
async def test_second_long_poll_terminates_the_first(bot: Bot, emu: BotApiEmulator) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    # A second Bot: PTB keeps a single connection for getUpdates per Bot.
    async with Bot(TOKEN, base_url=emu.base_url) as other:
        assert await other.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first


@pytest.mark.asyncio
async def test_user_media_payloads_parse(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_photo(ALICE)
    emu.send_sticker(ALICE)
    emu.send_voice(ALICE)
    emu.send_location(ALICE)
    emu.send_contact(ALICE)
    emu.send_document(ALICE)
    messages = [u.message for u in await bot.get_updates() if u.message is not None]
    photo, sticker, voice, location, contact, document = messages
    assert len(photo.photo) == 4 and photo.photo[-1].width == 1280
    assert len({p.file_id for p in photo.photo}) == 4
    assert sticker.sticker is not None and sticker.sticker.emoji == "👍"
    assert sticker.sticker.type == "regular" and not sticker.sticker.is_animated
    assert voice.voice is not None and voice.voice.mime_type == "audio/ogg"
    assert location.location is not None
    assert location.location.latitude == pytest.approx(50.8466)
    assert contact.contact is not None and contact.contact.user_id == ALICE.id
    assert document.document is not None
    assert document.document.mime_type == "application/pdf"
    file = await bot.get_file(photo.photo[-1].file_id)
    assert len(await file.download_as_bytearray()) == photo.photo[-1].file_size


@pytest.mark.asyncio
async def test_user_edit_and_last_user_message_id(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "prix 10")
    message_id = emu.last_user_message_id(ALICE.id)
    emu.edit_text(ALICE, message_id, "prix 12")
    updates = await bot.get_updates()
    edited = updates[-1].edited_message
    assert edited is not None
    assert (edited.message_id, edited.text) == (message_id, "prix 12")
    assert edited.edit_date is not None
    with pytest.raises(ValueError):
        emu.last_user_message_id(BOB.id)


# ---------------------------------------------------------------------- Application


@pytest.mark.asyncio
async def test_application_polls_commands_and_callbacks(emu: BotApiEmulator) -> None:
    seen: list[str] = []

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        seen.append(f"start:{' '.join(context.args or [])}")
        await context.bot.send_message(
            update.effective_chat.id, "Choisis", reply_markup=keyboard("oui", "non")
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        seen.append(f"button:{query.data}")
        await query.answer("Merci")
        await query.edit_message_text(f"Tu as choisi {query.data}")

    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_button))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            mark = emu.last_seq
            emu.send_command(ALICE, "start", "core_x")
            sent = await emu.wait_for_event(ALICE.id, after_seq=mark, kinds={"send_message"})
            assert sent.message_id is not None
            emu.press_button(ALICE, sent.message_id, "oui")
            answer = await emu.wait_for_event(
                ALICE.id, after_seq=sent.seq, kinds={"answer_callback"}
            )
            assert answer.text == "Merci"
            edit = await emu.wait_for_event(ALICE.id, after_seq=answer.seq, kinds={"edit_text"})
            assert edit.text == "Tu as choisi oui"
        finally:
            await app.updater.stop()
            await app.stop()
    assert seen == ["start:core_x", "button:oui"]
    assert emu.messages(ALICE.id) == [
        {"message_id": sent.message_id, "text": "Tu as choisi oui", "reply_markup": None}
    ]
    assert emu.pending_update_count() == 0  # the updater confirmed everything on stop


# ---------------------------------------------------------------------- enforcement


@pytest.mark.asyncio
async def test_text_too_long_counts_utf16(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "hi")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE.id, "x" * 4097)
    # 2049 emoji are 2049 characters but 4098 UTF-16 code units.
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE.id, "😀" * 2049)
    assert emu.messages(ALICE.id) == []
    rejected = emu.events(ALICE.id)
    assert [e.kind for e in rejected] == ["rejected", "rejected"]
    assert rejected[0].error == "Bad Request: message is too long"
    # Tags do not count: 4096 visible characters inside <b> are fine.
    ok = await bot.send_message(ALICE.id, "<b>" + "y" * 4096 + "</b>", parse_mode="HTML")
    assert ok.text == "y" * 4096
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(ALICE.id, "   ")


@pytest.mark.asyncio
async def test_callback_data_limit_is_64_bytes(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "hi")
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE.id, "x", reply_markup=keyboard("d" * 65))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE.id, "x", reply_markup=keyboard("é" * 33))  # 66 bytes
    await bot.send_message(ALICE.id, "x", reply_markup=keyboard("é" * 32))  # 64 bytes
    assert len(emu.messages(ALICE.id)) == 1
    invalid = await raw_call(
        emu,
        f"/bot{TOKEN}/sendMessage",
        data={"chat_id": ALICE.id, "text": "x", "reply_markup": "{"},
    )
    assert (
        invalid.json()["description"]
        == "Bad Request: can't parse reply keyboard markup JSON object"
    )
    reply_keyboard = ReplyKeyboardMarkup([["Oui", "Non"]], resize_keyboard=True)
    sent = await bot.send_message(ALICE.id, "Question", reply_markup=reply_keyboard)
    assert sent.reply_markup is None  # only inline keyboards are attached to messages
    assert emu.last_message(ALICE.id) == {
        "message_id": sent.message_id,
        "text": "Question",
        "reply_markup": reply_keyboard.to_dict(),
    }
    bare = InlineKeyboardMarkup([[InlineKeyboardButton("no action")]])
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(ALICE.id, "x", reply_markup=bare)


@pytest.mark.asyncio
async def test_blocked_user_gets_forbidden(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "hi")
    emu.block(ALICE.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE.id, "promo")
    emu.send_text(ALICE, "I write but still block you")
    with pytest.raises(Forbidden):
        await bot.send_photo(ALICE.id, photo=b"jpeg-bytes")
    [first, second] = emu.events(ALICE.id)
    assert first.kind == "rejected"
    assert first.error == "Forbidden: bot was blocked by the user"
    assert second.method == "sendPhoto"
    emu.unblock(ALICE.id)
    await bot.send_message(ALICE.id, "welcome back")
    assert [m["text"] for m in emu.messages(ALICE.id)] == ["welcome back"]


@pytest.mark.asyncio
async def test_edits_not_modified_and_not_found(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "hi")
    sent = await bot.send_message(ALICE.id, "Panier", reply_markup=keyboard("+1"))
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "Panier", chat_id=ALICE.id, message_id=sent.message_id, reply_markup=keyboard("+1")
        )
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(
            chat_id=ALICE.id, message_id=sent.message_id, reply_markup=keyboard("+1")
        )
    # Same text without the keyboard is a change: Telegram removes the keyboard.
    await bot.edit_message_text("Panier", chat_id=ALICE.id, message_id=sent.message_id)
    assert emu.last_message(ALICE.id) == {
        "message_id": sent.message_id,
        "text": "Panier",
        "reply_markup": None,
    }
    await bot.edit_message_reply_markup(
        chat_id=ALICE.id, message_id=sent.message_id, reply_markup=keyboard("+2")
    )
    assert emu.messages(ALICE.id)[0]["reply_markup"] == keyboard("+2").to_dict()
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE.id, message_id=999)
    kinds = [e.kind for e in emu.events(ALICE.id)]
    assert kinds == [
        "send_message",
        "rejected",
        "rejected",
        "edit_text",
        "edit_markup",
        "rejected",
    ]
    assert await bot.delete_message(ALICE.id, sent.message_id)
    assert emu.messages(ALICE.id) == []
    assert emu.events(ALICE.id)[-1].kind == "delete_message"
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE.id, sent.message_id)


@pytest.mark.asyncio
async def test_callback_queries_expire_and_answer_once(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "hi")
    sent = await bot.send_message(ALICE.id, "Choix", reply_markup=keyboard("a"))
    emu.press_button(ALICE, sent.message_id, "forged-data-not-on-a-button")
    emu.press_button(ALICE, sent.message_id, "a")
    first, second = [u.callback_query for u in await bot.get_updates() if u.callback_query]
    assert first is not None and second is not None
    assert first.data == "forged-data-not-on-a-button"
    assert isinstance(first.message, Message) and first.message.text == "Choix"
    assert await bot.answer_callback_query(first.id, text="ok")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(first.id)
    emu.expire_callback_queries()
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(second.id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("no-such-query")
    with pytest.raises(ValueError):
        emu.press_button(ALICE, 999, "a")
    rejected = [e for e in emu.events(ALICE.id) if e.kind == "rejected"]
    assert len(rejected) == 2 and all(e.method == "answerCallbackQuery" for e in rejected)


@pytest.mark.asyncio
async def test_callback_query_ttl() -> None:
    async with (
        BotApiEmulator(callback_query_ttl_s=0.0) as emulator,
        Bot(TOKEN, base_url=emulator.base_url) as tg_bot,
    ):
        emulator.send_text(ALICE, "hi")
        sent = await tg_bot.send_message(ALICE.id, "x", reply_markup=keyboard("a"))
        emulator.press_button(ALICE, sent.message_id, "a")
        update = (await tg_bot.get_updates())[-1]
        assert update.callback_query is not None
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await update.callback_query.answer()


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limits_raise_retry_after(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "hi")
    emu.send_text(BOB, "hi")
    emu.limits = EmulatorLimits(per_chat_per_s=0.5, per_chat_burst=2)
    await bot.send_message(ALICE.id, "1")
    await bot.send_message(ALICE.id, "2")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE.id, "3")
    assert seconds(caught.value.retry_after) >= 1
    await bot.send_message(BOB.id, "other chat is fine")
    rejected = emu.events(ALICE.id)[-1]
    assert rejected.kind == "rejected"
    assert rejected.error is not None and rejected.error.startswith("Too Many Requests: retry")
    # The global bucket applies across chats; limits can change at run time.
    emu.limits.per_chat_per_s = None
    emu.limits.global_per_s = 1.0
    emu.limits.global_burst = 1
    await bot.send_message(BOB.id, "a")
    with pytest.raises(RetryAfter):
        await bot.send_message(ALICE.id, "b")
    raw = await raw_call(emu, f"/bot{TOKEN}/sendMessage", data={"chat_id": BOB.id, "text": "c"})
    assert raw.status_code == 429
    body = raw.json()
    assert body["error_code"] == 429
    assert body["parameters"]["retry_after"] >= 1
    assert (
        body["description"]
        == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    )


@pytest.mark.asyncio
async def test_unknown_chat_is_not_found(bot: Bot, emu: BotApiEmulator) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424_2424, "hello?")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message("@someone", "hello?")
    assert emu.events()[0].kind == "rejected"


@pytest.mark.asyncio
async def test_html_parse_mode(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "hi")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ALICE.id, "<b>gras</i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ALICE.id, "1 < 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ALICE.id, "Fish & chips", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ALICE.id, "<blink>x</blink>", parse_mode="HTML")
    sent = await bot.send_message(
        ALICE.id, '<b>Prix</b> &lt;10€&gt; <a href="https://x.be">lien</a>', parse_mode="HTML"
    )
    assert sent.text == "Prix <10€> lien"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 4),
        ("text_link", 11, 4),
    ]
    assert emu.last_message(ALICE.id) == {
        "message_id": sent.message_id,
        "text": "Prix <10€> lien",
        "reply_markup": None,
    }
    markdown = await bot.send_message(ALICE.id, "*gras*", parse_mode="MarkdownV2")
    assert markdown.text == "*gras*"


def test_parse_html_details() -> None:
    parsed = parse_html(
        '😀<i>a<b>b</b></i><pre><code class="language-python">x=1</code></pre>'
        '<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote>&#233;&#x1F600;'
    )
    assert parsed.text == "😀abx=1sqé😀"
    assert parsed.entities == [
        {"offset": 2, "length": 2, "type": "italic"},
        {"offset": 3, "length": 1, "type": "bold"},
        {"offset": 4, "length": 3, "type": "pre", "language": "python"},
        {"offset": 7, "length": 1, "type": "spoiler"},
        {"offset": 8, "length": 1, "type": "expandable_blockquote"},
    ]
    assert utf16_len(parsed.text) == 12
    for bad in ("<b>x", "x</b>", "<b x", "&unknown;", '<span class="x">y</span>', "<>"):
        with pytest.raises(EntityParseError):
            parse_html(bad)


@pytest.mark.asyncio
async def test_reply_copy_and_forward(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "ma boutique")
    emu.send_text(BOB, "hi")
    user_message_id = emu.last_user_message_id(ALICE.id)
    reply = await bot.send_message(ALICE.id, "Noté", reply_to_message_id=user_message_id)
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "ma boutique"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(ALICE.id, "x", reply_to_message_id=999)
    copied = await bot.copy_message(BOB.id, ALICE.id, user_message_id)
    assert emu.last_message(BOB.id) == {
        "message_id": copied.message_id,
        "text": "ma boutique",
        "reply_markup": None,
    }
    forwarded = await bot.forward_message(BOB.id, ALICE.id, reply.message_id)
    assert forwarded.text == "Noté"
    assert forwarded.forward_origin is not None
    assert [e.method for e in emu.events(BOB.id)] == ["copyMessage", "forwardMessage"]
    emu.block(BOB.id)
    with pytest.raises(Forbidden):
        await bot.copy_message(BOB.id, ALICE.id, user_message_id)


# ---------------------------------------------------------------------- files


@pytest.mark.asyncio
async def test_send_photo_and_document_multipart(bot: Bot, emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "hi")
    photo = await bot.send_photo(
        ALICE.id, photo=InputFile(b"\xff\xd8\xff-fake-jpeg", filename="p.jpg"), caption="Vitrine"
    )
    assert photo.caption == "Vitrine"
    assert photo.photo[-1].file_size == len(b"\xff\xd8\xff-fake-jpeg")
    document = await bot.send_document(
        ALICE.id,
        document=InputFile(b"col1;col2\n", filename="stock.csv"),
        caption="<b>CSV</b>",
        parse_mode="HTML",
    )
    assert document.document is not None
    assert document.document.file_name == "stock.csv"
    assert document.caption == "CSV"
    assert document.caption_entities[0].type == "bold"
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"col1;col2\n"
    again = await bot.send_photo(ALICE.id, photo=photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(ALICE.id, photo="not-a-file-id")
    kinds = [(e.kind, e.text) for e in emu.events(ALICE.id)]
    assert kinds[:2] == [("send_photo", "Vitrine"), ("send_document", "CSV")]
    assert [m["text"] for m in emu.messages(ALICE.id)] == ["Vitrine", "CSV", None]


# ---------------------------------------------------------------------- webhook


class _Receiver(RequestHandler):
    """Collect webhook POSTs."""

    def initialize(self, inbox: asyncio.Queue[tuple[str | None, dict[str, Any]]]) -> None:
        self.inbox = inbox

    def post(self) -> None:
        secret = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.inbox.put_nowait((secret, json.loads(self.request.body)))
        self.write("ok")


@pytest.mark.asyncio
async def test_webhook_mode_posts_updates_with_secret(bot: Bot, emu: BotApiEmulator) -> None:
    inbox: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(TornadoApplication([(r"/hook", _Receiver, {"inbox": inbox})]))
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    try:
        early = emu.send_text(ALICE, "before the webhook")
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        assert emu.webhook_url == f"http://127.0.0.1:{port}/hook"
        secret, body = await asyncio.wait_for(inbox.get(), 5)
        assert (secret, body["update_id"]) == ("s3cr3t", early)
        live = emu.send_text(ALICE, "hello hook")
        secret, body = await asyncio.wait_for(inbox.get(), 5)
        assert body["update_id"] == live
        assert body["message"]["text"] == "hello hook"
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert info.url == emu.webhook_url and info.pending_update_count == 0
        assert await bot.delete_webhook()
        assert emu.webhook_url is None
        queued = emu.send_text(ALICE, "polling again")
        assert [u.update_id for u in await bot.get_updates()] == [queued]
    finally:
        server.stop()
        await server.close_all_connections()


class _Failing(RequestHandler):
    """Answer every webhook POST with 500."""

    def initialize(self, hits: asyncio.Queue[int]) -> None:
        self.hits = hits

    def post(self) -> None:
        self.hits.put_nowait(json.loads(self.request.body)["update_id"])
        self.set_status(500)


@pytest.mark.asyncio
async def test_webhook_retries_then_reports_the_error(bot: Bot, emu: BotApiEmulator) -> None:
    hits: asyncio.Queue[int] = asyncio.Queue()
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(TornadoApplication([(r"/hook", _Failing, {"hits": hits})]))
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
        update_id = emu.send_text(ALICE, "lost")
        attempts = [await asyncio.wait_for(hits.get(), 5) for _ in range(5)]
        assert attempts == [update_id] * 5
        for _ in range(40):
            info = await bot.get_webhook_info()
            if info.last_error_message:
                break
            await asyncio.sleep(0.05)
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert emu.pending_update_count() == 0
        # Replaying it is the way to deliver it again.
        emu.replay_update(update_id)
        assert await asyncio.wait_for(hits.get(), 5) == update_id
        await bot.delete_webhook(drop_pending_updates=True)
    finally:
        server.stop()
        await server.close_all_connections()


# ---------------------------------------------------------------------- control API, misc


@pytest.mark.asyncio
async def test_control_api_over_http(bot: Bot, emu: BotApiEmulator) -> None:
    base = f"http://127.0.0.1:{emu.port}/_emulator"
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(
            f"{base}/users/2001/text", json={"text": "salut", "first_name": "Zoé"}
        )
        assert response.status_code == 200
        update_id = response.json()["result"]["update_id"]
        [update] = await bot.get_updates()
        assert update.update_id == update_id
        assert update.message is not None and update.message.from_user is not None
        assert update.message.from_user.first_name == "Zoé"
        sent = await bot.send_message(2001, "menu", reply_markup=keyboard("go"))
        messages = (await client.get(f"{base}/chats/2001/messages")).json()["result"]
        assert messages == [
            {
                "message_id": sent.message_id,
                "text": "menu",
                "reply_markup": keyboard("go").to_dict(),
            }
        ]
        pressed = await client.post(
            f"{base}/users/2001/press", json={"message_id": sent.message_id, "data": "go"}
        )
        assert pressed.status_code == 200
        missing = await client.post(
            f"{base}/users/2001/press", json={"message_id": 9, "data": "x"}
        )
        assert missing.status_code == 400
        command = await client.post(
            f"{base}/users/2001/command", json={"command": "start", "args": "core_x"}
        )
        assert command.status_code == 200
        assert (await client.post(f"{base}/users/2001/block")).json()["ok"] is True
        with pytest.raises(Forbidden):
            await bot.send_message(2001, "blocked")
        await client.post(f"{base}/users/2001/unblock")
        await bot.send_message(2001, "unblocked")
        events = (
            await client.get(f"{base}/events", params={"chat_id": 2001, "after_seq": 1})
        ).json()
        assert [e["kind"] for e in events["result"]] == ["rejected", "send_message"]
        updates = await bot.get_updates(offset=update_id + 1)
        assert updates[0].callback_query is not None and updates[0].callback_query.data == "go"
        assert updates[1].message is not None and updates[1].message.text == "/start core_x"


@pytest.mark.asyncio
async def test_wait_for_event_times_out_and_filters(emu: BotApiEmulator, bot: Bot) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await emu.wait_for_event(ALICE.id, after_seq=0, timeout=0.2)
    assert time.monotonic() - started < 1.0
    emu.send_text(ALICE, "hi")
    received: list[BotEvent] = []
    emu.subscribe(received.append)
    waiter = asyncio.create_task(
        emu.wait_for_event(ALICE.id, after_seq=emu.last_seq, kinds=["send_photo"], timeout=3)
    )
    await bot.send_message(ALICE.id, "text first")
    await bot.send_photo(ALICE.id, photo=b"img")
    event = await waiter
    assert event.kind == "send_photo"
    assert [e.kind for e in received] == ["send_message", "send_photo"]


@pytest.mark.asyncio
async def test_commands_are_stored_per_language(bot: Bot, emu: BotApiEmulator) -> None:
    await bot.set_my_commands([("start", "Commencer"), ("aide", "Aide")], language_code="fr")
    await bot.set_my_commands([("start", "Start")])
    assert emu.commands == [{"command": "start", "description": "Start"}]
    assert [c["command"] for c in emu.commands_by_language["fr"]] == ["start", "aide"]
    assert [c.command for c in await bot.get_my_commands(language_code="fr")] == ["start", "aide"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Start!", "bad")])
    assert await bot.delete_my_commands(language_code="fr")
    assert await bot.get_my_commands(language_code="fr") == ()
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat(ALICE.id)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_chat_action(ALICE.id, "typing")
    emu.send_text(ALICE, "hi")
    chat = await bot.get_chat(ALICE.id)
    assert (chat.id, chat.first_name, chat.username) == (ALICE.id, "Alice", "alice")
    assert await bot.send_chat_action(ALICE.id, "typing")


@pytest.mark.asyncio
async def test_stop_releases_pending_long_poll() -> None:
    emulator = BotApiEmulator()
    await emulator.start()
    async with Bot(TOKEN, base_url=emulator.base_url) as tg_bot:
        poll = asyncio.create_task(tg_bot.get_updates(timeout=30))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await emulator.stop()
        assert time.monotonic() - started < 2.0
        try:
            assert await poll == ()
        except Exception as exc:  # the connection may be closed before the answer is read
            assert "NetworkError" in type(exc).__name__ or "TimedOut" in type(exc).__name__
