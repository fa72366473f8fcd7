"""Answers are durable: the bot killed in a burst answers every message once, stores it once."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench._crash import crash_round


async def test_sigkill_in_a_burst_loses_no_answer_and_stores_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "crash.sqlite3"))
    result = await crash_round(tmp_path, people=6, per_person=6, kills=3, rng=random.Random(13))
    assert result.kills == 3
    assert result.stored_missing == 0 and result.stored_twice == 0
    assert result.lost == 0
    # An answer handed to Telegram just before the kill, and not yet marked sent, goes again:
    # at most one per chat and kill can be in flight.
    assert result.duplicates <= result.kills * 6, result
