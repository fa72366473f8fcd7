"""A broadcast survives SIGKILL: the restarted bot serves everyone, duplicates only in flight."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from bench._botproc import bot_process
from bot.cli import main
from bot.emulator import BotApiEmulator, EmulatorLimits, FakeUser
from bot.storage import CONSENT_VERSION

RECIPIENTS = 400
BATCH = 10
FIRST_ID = 30_000


def seed(database: Path) -> None:
    """Insert onboarded shopkeepers straight into the migrated database."""
    stamp = "2026-11-27T10:00:00.000+00:00"
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO users (channel, external_id, language, role, territory_id, core_id,"
            " sector_id, step, consent_at, consent_version, created_at, updated_at) VALUES"
            " ('telegram', ?, 'fr', 'shopkeeper', 'lessines', 'les_ogy', 'bakery', 'done',"
            f" ?, '{CONSENT_VERSION}', ?, ?)",
            [(str(FIRST_ID + i), stamp, stamp, stamp) for i in range(RECIPIENTS)],
        )
    conn.close()


def sends(emu: BotApiEmulator) -> dict[int, int]:
    """Count the messages each recipient received, from the emulator's log."""
    counts: dict[int, int] = {}
    for event in emu.events():
        if event.kind == "send_message" and event.chat_id >= FIRST_ID:
            counts[event.chat_id] = counts.get(event.chat_id, 0) + 1
    return counts


def outbox(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT status, COUNT(*) FROM broadcast_outbox GROUP BY status")
        result = {str(status): int(n) for status, n in rows}
    conn.close()
    return result


async def test_a_broadcast_killed_half_way_resumes_with_nobody_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "crash.sqlite3"
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(database))
    assert await asyncio.to_thread(main, ["migrate"]) == 0
    seed(database)
    assert await asyncio.to_thread(main, ["broadcast", "new", "--text", "Atelier vitrine"]) == 0
    env = {"ECHOPPE_BROADCAST_RATE": "150", "ECHOPPE_BROADCAST_BATCH": str(BATCH)}
    limits = EmulatorLimits(per_chat_per_s=1.0, per_chat_burst=1)
    async with BotApiEmulator(limits=limits) as emu:
        for i in range(RECIPIENTS):
            emu.open_chat(FakeUser(id=FIRST_ID + i, first_name="S"))
        async with bot_process(emu, database, env) as first:
            deadline = time.monotonic() + 60
            while sum(sends(emu).values()) < RECIPIENTS // 3:
                assert time.monotonic() < deadline, "the broadcast did not start"
                await asyncio.sleep(0.01)
            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL
        at_kill = sum(sends(emu).values())
        assert at_kill < RECIPIENTS  # killed half-way, not after the end
        left = outbox(database)
        assert left.get("sending", 0) <= BATCH  # what was in flight
        async with bot_process(emu, database, env):
            deadline = time.monotonic() + 60
            while outbox(database).keys() != {"sent"} or len(sends(emu)) < RECIPIENTS:
                assert time.monotonic() < deadline, f"stuck: {outbox(database)}"
                await asyncio.sleep(0.05)
    received = sends(emu)
    assert sorted(received) == [FIRST_ID + i for i in range(RECIPIENTS)]  # nobody skipped
    duplicates = sum(received.values()) - RECIPIENTS
    assert duplicates <= left.get("sending", 0) <= BATCH
    assert outbox(database) == {"sent": RECIPIENTS}
