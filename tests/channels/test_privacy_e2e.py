"""End-to-end: /mydata gives everything back; /forget leaves nothing that points to the person."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.app.run import RunningBot, running_bot
from bot.config import Settings
from bot.i18n import translate
from bot.shared.schedule import week_bounds
from bot.storage import CONSENT_VERSION
from tests.support import Phone, eventually, onboard

PhoneFactory = Callable[..., Phone]
SECRET_TEXT = "Les travaux rue Zyxwvutsrq bloquent ma boulangerie Qwertyuiop"
PERSON = 987_650_123


def cells(database: Path) -> list[tuple[str, str, object]]:
    """Every cell of every table: (table, column, value)."""
    found = []
    with sqlite3.connect(database) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                found += [(table, name, value) for name, value in zip(names, row, strict=True)]
    conn.close()
    return found


async def test_mydata_then_forget_leaves_no_id_no_chat_and_no_text_in_any_table_or_the_file(
    settings: Settings, make_phone: PhoneFactory
) -> None:
    async with running_bot(settings.model_copy(update={"anonymity_k": 2}), poll_timeout=1) as bot:
        await _mydata_then_forget(bot, make_phone)


async def _mydata_then_forget(bot: RunningBot, make_phone: PhoneFactory) -> None:
    me, other = make_phone(PERSON, "fr"), make_phone(PERSON + 1, "fr")
    for phone in (me, other):
        await onboard(phone)
    for phone, text in (
        (me, SECRET_TEXT),
        (other, "Les travaux devant chez moi durent depuis des mois"),
    ):
        await phone.send(text, until=translate("fr", "concern.understood", factors="")[:10])
        await phone.tap(translate("fr", "concern.yes"), until="🤝")
    user = await bot.services.users.get("telegram", str(PERSON))
    assert user is not None
    await bot.services.users.update(user.id, quote_consent=True)
    # A partner's digest of this week is kept, quoting the person.
    partner = await bot.services.partners.create(
        name="ADL", territories=["lessines"], created_by="t"
    )
    # The week (Monday to Sunday, local time) the person's concern was confirmed in, counted
    # once it is over: taken from the stored voice, not from today's date (on a Sunday, "the
    # last full week 8 days from now" is next week, without the concern).
    tz = bot.services.settings.tz
    row = await bot.services.db.fetch_one(
        "SELECT confirmed_at FROM concern_factors WHERE user_id = ?", (user.id,)
    )
    assert row is not None
    year, number, _ = datetime.fromisoformat(row[0]).astimezone(tz).isocalendar()
    week = f"{year}-W{number:02d}"
    _, week_end = week_bounds(week, tz)
    await bot.services.digests.figures(partner, week, week_end)
    snapshot = await bot.services.db.fetch_one("SELECT figures FROM digest_snapshots")
    assert snapshot is not None and "Zyxwvutsrq" in snapshot[0]  # quoted

    before = me.emulator.last_seq
    me.emulator.send_text(me.user, "/mydata")
    document = await me.emulator.wait_for_event(
        PERSON, after_seq=before, kinds={"send_document"}, timeout=10
    )
    assert document.message_id is not None
    found = me.emulator.document_of(PERSON, document.message_id)
    assert found is not None
    data = json.loads(found[1])
    assert data["profile"]["external_id"] == str(PERSON)
    assert [c["text"] for c in data["concerns"]] == [SECRET_TEXT]

    # A refused admin command with their words in it, and their private chat bound to a
    # partner (they opened an invitation in it): both must go too.
    await me.send("/broadcast rue Zyxwvutsrq", until=translate("fr", "command.unknown"))
    await bot.services.db.execute(
        "INSERT INTO partner_chats (channel, chat_id, partner_id, bound_at)"
        " VALUES ('telegram', ?, ?, '2026-11-27')",
        (str(PERSON), partner.id),
    )
    await me.send("/forget", until="⚠️")
    await me.tap(
        translate("fr", "privacy.forget_no"), until=translate("fr", "privacy.forget_cancelled")
    )
    assert await bot.services.users.get("telegram", str(PERSON)) is not None
    await me.send("/forget", until="⚠️")
    await me.tap(translate("fr", "privacy.forget_yes"), until="✅")

    database = bot.services.settings.database_path

    def leftovers() -> list[object]:
        found: list[object] = [
            (table, column, value)
            for table, column, value in cells(database)
            if (column == "user_id" and value == user.id)
            or (isinstance(value, str) and (str(PERSON) in value or "Zyxwvutsrq" in value))
        ]
        # Nor in the file's free pages or its write-ahead log.
        for path in (database, Path(f"{database}-wal")):
            raw = path.read_bytes() if path.exists() else b""
            if b"Zyxwvutsrq" in raw or str(PERSON).encode() in raw:
                found.append(path)
        return found

    async def erased() -> bool:
        return leftovers() == []

    # The answer to /forget was kept until sent, then the log is folded in: nothing stays.
    await eventually(erased)
    # The other person is untouched.
    assert await bot.services.users.get("telegram", str(PERSON + 1)) is not None
    await me.send("/mydata", until=translate("fr", "privacy.nothing_stored"))


async def test_a_new_privacy_notice_is_accepted_before_anything_more_is_stored(
    bot: RunningBot, make_phone: PhoneFactory
) -> None:
    me = make_phone(9870123, "en")
    await onboard(me)
    user = await bot.services.users.get("telegram", "9870123")
    assert user is not None
    assert await bot.services.users.consents(user.id) == [(CONSENT_VERSION, user.consent_at)]
    # The notice changed since this person accepted it.
    await bot.services.db.execute(
        "UPDATE users SET consent_version = '2025-01' WHERE id = ?", (user.id,)
    )
    await me.send(
        "The roadworks in front of my shop have lasted for months",
        until=translate("en", "privacy.updated", version=CONSENT_VERSION)[:20],
    )
    assert await bot.services.db.fetch_all("SELECT id FROM concerns") == []
    assert await bot.services.db.fetch_all("SELECT event_key FROM inbox") == []
    await me.send("/privacy", until=translate("en", "privacy.version", version=CONSENT_VERSION))
    await me.tap(translate("en", "privacy.accept"), until=translate("en", "privacy.reaccepted"))
    accepted = await bot.services.users.get("telegram", "9870123")
    assert accepted is not None and accepted.consent_version == CONSENT_VERSION
    await me.send(
        "The roadworks in front of my shop have lasted for months",
        until=translate("en", "concern.understood", factors="")[:10],
    )
