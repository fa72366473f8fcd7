"""Backups are consistent while the bot writes, and a restore puts one back, checked first."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Database, Step, UserRepository
from bot.storage.backup import BackupError, backup, restore
from bot.storage.database import bundled_migrations


def users_in(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        count = int(conn.execute("SELECT COUNT(*) FROM users").fetchone()[0])
    conn.close()
    return count


async def test_a_backup_taken_while_the_bot_writes_is_whole_and_restores(
    db: Database, tmp_path: Path
) -> None:
    users = UserRepository(db)
    stop = asyncio.Event()

    async def keep_writing() -> int:
        written = 0
        while not stop.is_set():
            await users.create(
                channel="test",
                external_id=f"w{written}",
                language="fr",
                consent_version="v",
                step=Step.ROLE,
                pending_core_id=None,
            )
            written += 1
            await asyncio.sleep(0)
        return written

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.2)
    copy = await asyncio.to_thread(backup, db.path, tmp_path / "copy.sqlite3")
    await asyncio.sleep(0.1)
    stop.set()
    written = await writer
    assert written > copy.users > 0  # taken mid-stream: a snapshot, not the end state
    assert copy.schema_version == max(m.version for m in bundled_migrations())
    # Every row of the snapshot is whole: the ids run without a gap from 1.
    with sqlite3.connect(copy.path) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert ids == list(range(1, copy.users + 1))

    database = db.path
    await db.close()
    kept = restore(copy.path, database)
    assert users_in(database) == copy.users
    assert kept is not None and users_in(kept) == written  # what it replaced is kept


def test_restore_refuses_what_is_not_a_sound_backup_and_changes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "live.sqlite3"

    async def migrate() -> None:
        live = Database(database)
        await live.connect()
        await live.close()

    asyncio.run(migrate())
    before = database.read_bytes()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    future = tmp_path / "future.sqlite3"
    backup(database, future)
    with sqlite3.connect(future) as conn:
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'x', 'y')"
        )
    conn.close()
    for wrong, says in (
        (junk, "not an Échoppe database"),
        (future, "newer"),
        (tmp_path / "none", "no file"),
    ):
        with pytest.raises(BackupError, match=says):
            restore(wrong, database)
    assert database.read_bytes() == before
    with pytest.raises(BackupError, match="exists"):
        backup(database, future)


def test_backup_and_restore_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    assert main(["migrate"]) == 0
    target = tmp_path / "copy.sqlite3"
    assert main(["backup", str(target)]) == 0
    assert "integrity checked" in capsys.readouterr().out
    assert main(["backup", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(target)]) == 2
    assert "stop the bot first" in capsys.readouterr().err
    assert main(["restore", str(target), "--yes"]) == 0
    assert "kept as" in capsys.readouterr().out
