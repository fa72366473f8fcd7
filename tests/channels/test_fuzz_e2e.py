"""Property-based: arbitrary texts, commands and button payloads through the emulator never
crash the bot, never show a traceback, and invalid ones change nothing stored."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.app.run import RunningBot, running_bot
from bot.config import Settings
from bot.emulator import BotApiEmulator, FakeUser
from bot.i18n import translate
from tests.conftest import TEST_TOKEN
from tests.support import Phone, onboard

# What a person might type: anything, and things that look like code or markup.
TEXTS = st.one_of(
    st.text(min_size=1, max_size=300),
    st.sampled_from(
        [
            "'; DROP TABLE users; --",
            "<b>bold</b> <script>alert(1)</script> &amp;",
            "*bold* _it_ [link](http://x) `code`",
            "x" * 5000,
            "\u202e\u200b\u0000 \ufeff",
        ]
    ),
)
COMMANDS = st.builds(
    lambda name, args: f"/{name} {args}".strip(),
    st.sampled_from(
        [
            "start",
            "help",
            "profile",
            "history",
            "barometer",
            "skip",
            "stop_survey",
            "digest",
            "mydata",
            "privacy",
            "stop",
            "start_announcements",
            "nope",
            "survey",
            "broadcast",
        ]
    ),
    st.text(max_size=80),
)
# Button payloads: the bot's own prefixes with junk after them, and plain junk.
PAYLOADS = st.one_of(
    st.builds(
        lambda prefix, rest: f"{prefix}:{rest}",
        st.sampled_from(
            ["ob", "pf", "cc", "bm", "fu", "sv", "sa", "pa", "bc", "ev", "ea", "fg", "pv"]
        ),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789:_-", max_size=40),
    ),
    st.text(max_size=64),
)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("text"), TEXTS),
        st.tuples(st.just("command"), COMMANDS),
        st.tuples(st.just("tap"), PAYLOADS),
    ),
    min_size=1,
    max_size=6,
)
# Tables whose rows say what a person did or has; invalid taps must change none of them.
STATE = (
    "users",
    "concerns",
    "concern_factors",
    "follow_ups",
    "survey_responses",
    "survey_answers",
    "survey_waves",
    "partners",
    "partner_chats",
    "broadcasts",
    "broadcast_drafts",
    "events",
    "event_rsvps",
)


def snapshot(database: Path) -> list[list[tuple[object, ...]]]:
    with sqlite3.connect(database) as conn:
        state = [sorted(map(tuple, conn.execute(f"SELECT * FROM {t}"))) for t in STATE]
    conn.close()
    return state


async def scenario(actions: list[tuple[str, str]], folder: Path) -> None:
    async with BotApiEmulator() as emulator:
        config = Settings(
            telegram_token=SecretStr(TEST_TOKEN),
            telegram_base_url=emulator.base_url,
            database_path=folder / "bot.sqlite3",
            telegram_max_rate=0,
            _env_file=None,  # type: ignore[call-arg]
        )
        async with running_bot(config, poll_timeout=1) as bot:
            phone = Phone(emulator, FakeUser(id=7777, language_code="fr"))
            await onboard(phone)
            menu = int(emulator.messages(7777)[-1]["message_id"])
            for kind, value in actions:
                before_seq = emulator.last_seq
                before = snapshot(config.database_path) if kind == "tap" else None
                if kind == "tap":
                    emulator.press_button(phone.user, menu, value[:64] or "x")
                else:
                    emulator.send_text(phone.user, value)
                # Every action gets an answer (a message, or the tap's answer).
                await emulator.wait_for_event(7777, after_seq=before_seq, timeout=15)
                await asyncio.sleep(0.05)
                events = emulator.events_after(before_seq, 7777)
                texts = [e.text or "" for e in events]
                assert not any("Traceback" in t for t in texts)
                assert translate("fr", "error.generic") not in texts, (kind, value)
                if before is not None and not value.startswith(("pv:", "fg:")):
                    assert snapshot(config.database_path) == before, value
            assert await bot.services.users.get("telegram", "7777") is not None


@settings(
    max_examples=50,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(actions=ACTIONS)
def test_arbitrary_input_never_breaks_the_bot_and_invalid_taps_change_nothing(
    actions: list[tuple[str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(scenario(actions, Path(folder)))


async def test_code_and_markup_looking_text_is_stored_as_typed_and_never_formatted(
    bot: RunningBot, make_phone: Callable[..., Phone]
) -> None:
    phone = make_phone(7788, "fr")
    await onboard(phone)
    typed = "Le <b>loyer</b> *double* [ici](http://x) '; DROP TABLE users; -- " + "é" * 3000
    await phone.send(typed, until="?")
    rows = await bot.services.db.fetch_all("SELECT text FROM concerns")
    assert [r[0] for r in rows] == [typed.strip()]
    # /history shows it back, as typed.
    await phone.send("/history", until=translate("fr", "history.header")[:10])
    message = phone.emulator.last_message(7788)
    assert message is not None and "<b>loyer</b> *double* [ici](http://x)" in str(message["text"])
    # Sent without a parse mode: no bold, no link, no entity at all.
    stored = phone.emulator.chat(7788).messages[int(message["message_id"])]
    assert "entities" not in stored.payload
    assert len(await bot.services.db.fetch_all("SELECT id FROM users")) == 1
