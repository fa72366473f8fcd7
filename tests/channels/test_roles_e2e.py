"""A non-admin trying every admin and partner command, and forged admin buttons: refused,
recorded in the audit trail, nothing changed; admins' actions are recorded too."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app.run import running_bot
from bot.cli import main
from bot.config import Settings
from bot.i18n import translate
from bot.storage.audit import AuditRepository
from tests.support import Phone, onboard

PhoneFactory = Callable[..., Phone]
ADMIN_COMMANDS = (
    "/survey",
    "/survey monthly_pulse",
    "/survey_results monthly_pulse",
    "/invite_partner lessines Sneaky",
    "/partners",
    "/broadcast fr: Hello",
    "/broadcasts",
    "/event title: x",
    "/events",
    "/digest",
)
FORGED_BUTTONS = (
    "sa:l:monthly_pulse:lessines:abcdef",
    "pa:r:1",
    "bc:go:1:abcdef",
    "bc:cc:1",
    "ea:go:1:1:abcdef",
    "ea:csv:1",
)
STATE = ("survey_waves", "partners", "broadcasts", "broadcast_drafts", "events")


async def test_a_non_admin_is_refused_everything_and_each_attempt_is_audited(
    settings: Settings,
    make_phone: PhoneFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with running_bot(
        settings.model_copy(update={"admin_ids": (9600,)}), poll_timeout=1
    ) as bot:
        intruder, admin = make_phone(9601, "en"), make_phone(9600, "en")
        await onboard(intruder)
        db = bot.services.db
        before = {t: await db.fetch_all(f"SELECT * FROM {t}") for t in STATE}
        for command in ADMIN_COMMANDS:
            await intruder.send(command, until=translate("en", "command.unknown"))
        # A menu message of the intruder's own to hang forged buttons on.
        await intruder.send("/help", until="/start")
        message_id = int(intruder.emulator.messages(intruder.user.id)[-1]["message_id"])
        for data in FORGED_BUTTONS:
            answer = await intruder.answer_to(message_id, data)
            assert answer.text == translate("en", "button.invalid"), data
        after = {t: await db.fetch_all(f"SELECT * FROM {t}") for t in STATE}
        assert [list(map(tuple, rows)) for rows in after.values()] == [
            list(map(tuple, rows)) for rows in before.values()
        ]
        await admin.send("/partners", until=translate("en", "admin.partners_none")[:10])
        entries = await AuditRepository(db).latest(100)
    refused = [e for e in entries if not e.allowed]
    assert {e.actor for e in refused} == {"telegram:9601"}
    assert len(refused) == len(ADMIN_COMMANDS) + len(FORGED_BUTTONS)
    assert [(e.actor, e.action, e.allowed) for e in entries[:1]] == [
        ("telegram:9600", "/partners", True)
    ]
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(Path(settings.database_path)))
    assert await asyncio.to_thread(main, ["audit", "--refused", "--limit", "3"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3 and all("REFUSED" in line for line in printed)
