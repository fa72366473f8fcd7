"""Tests of the SQLite layer on real files."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.storage import Database, Migration, ProcessedEventRepository, Step, UserRepository
from bot.storage.database import bundled_migrations


async def test_pragmas_and_migrations_are_recorded(db: Database) -> None:
    mode = await db.fetch_one("PRAGMA journal_mode")
    fks = await db.fetch_one("PRAGMA foreign_keys")
    busy = await db.fetch_one("PRAGMA busy_timeout")
    assert mode is not None and mode[0] == "wal"
    assert fks is not None and fks[0] == 1
    assert busy is not None and busy[0] == 5000
    rows = await db.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [m.version for m in bundled_migrations()]


async def test_migrations_apply_once_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    extra = [*bundled_migrations(), Migration(999, "extra", "CREATE TABLE t (x INTEGER);")]
    first = Database(path)
    await first.connect(extra)
    await first.close()
    second = Database(path)
    await second.connect()
    applied = await second.migrate(extra)
    assert applied == []
    await second.close()


async def test_failed_migration_leaves_nothing_half_done(tmp_path: Path) -> None:
    db = Database(tmp_path / "bad.sqlite3")
    bad = [*bundled_migrations(), Migration(998, "bad", "CREATE TABLE ok (x);\nNOT SQL;")]
    with pytest.raises(Exception, match="syntax"):
        await db.connect(bad)
    assert await db.fetch_one("SELECT name FROM sqlite_master WHERE name = 'ok'") is None
    assert await db.fetch_one("SELECT 1 FROM schema_migrations WHERE version = 998") is None
    await db.close()


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    users = UserRepository(db)
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await users.create(
                channel="t",
                external_id="1",
                language="fr",
                consent_version="v",
                step=Step.ROLE,
                pending_core_id=None,
            )
            raise RuntimeError("boom")
    assert await users.count() == 0


async def test_concurrent_transactions_do_not_interleave(db: Database) -> None:
    await db.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
    await db.execute("INSERT INTO counter VALUES (0)")

    async def bump() -> None:
        async with db.transaction():
            row = await db.fetch_one("SELECT n FROM counter")
            assert row is not None
            await asyncio.sleep(0)
            await db.execute("UPDATE counter SET n = ?", (row[0] + 1,))

    await asyncio.gather(*(bump() for _ in range(50)))
    row = await db.fetch_one("SELECT n FROM counter")
    assert row is not None and row[0] == 50


async def test_processed_events_claim_once_and_prune(db: Database) -> None:
    from datetime import timedelta

    events = ProcessedEventRepository(db)
    assert await events.claim("k1")
    assert not await events.claim("k1")
    await db.execute("UPDATE processed_events SET processed_at = '2000-01-01T00:00:00+00:00'")
    assert await events.prune(timedelta(days=7)) == 1
    assert await events.claim("k1")


async def test_user_update_refuses_unknown_columns(db: Database) -> None:
    users = UserRepository(db)
    user = await users.create(
        channel="t",
        external_id="9",
        language="nl",
        consent_version="v",
        step=Step.ROLE,
        pending_core_id=None,
    )
    with pytest.raises(ValueError):
        await users.update(user.id, consent_at="never")
    updated = await users.update(user.id, role="coach", step=Step.TERRITORY)
    assert updated.role == "coach" and updated.step is Step.TERRITORY
    assert await users.mark_blocked("t", "9")
    assert not await users.mark_blocked("t", "9")
    assert await users.is_blocked("t", "9")


async def test_failed_commit_leaves_the_connection_usable(db: Database) -> None:
    await db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    await db.execute(
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER"
        " REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction():
            await db.execute("INSERT INTO child (parent_id) VALUES (99)")
    async with db.transaction():
        await db.execute("INSERT INTO parent (id) VALUES (1)")
    row = await db.fetch_one("SELECT COUNT(*) FROM child")
    assert row is not None and row[0] == 0


async def test_cancelled_transaction_is_rolled_back(db: Database) -> None:
    await db.execute("CREATE TABLE t (x INTEGER)")
    started = asyncio.Event()

    async def slow_writer() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(slow_writer())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.transaction():
        await db.execute("INSERT INTO t VALUES (2)")
    rows = await db.fetch_all("SELECT x FROM t")
    assert [r[0] for r in rows] == [2]


async def test_task_spawned_inside_a_transaction_waits_for_the_lock(db: Database) -> None:
    await db.execute("CREATE TABLE t (x INTEGER)")
    spawned: list[asyncio.Task[int]] = []
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")
            spawned.append(asyncio.create_task(db.execute("INSERT INTO t VALUES (2)")))
            await asyncio.sleep(0.01)
            raise RuntimeError("roll back the first insert only")
    await spawned[0]
    rows = await db.fetch_all("SELECT x FROM t")
    assert [r[0] for r in rows] == [2]


async def test_migration_5_keeps_every_confirmed_factor(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = Database(path)
    await old.connect([m for m in bundled_migrations() if m.version <= 4])
    now = "2026-11-01T10:00:00.000+00:00"
    user_id = await old.insert(
        "INSERT INTO users (channel, external_id, language, step, consent_at, consent_version,"
        " created_at, updated_at) VALUES ('t', '1', 'fr', 'done', ?, 'v', ?, ?)",
        (now, now, now),
    )
    concern_id = await old.insert(
        "INSERT INTO concerns (user_id, text, lang, status, predicted, draft, text_hash,"
        " created_at, confirmed_at) VALUES (?, 'x', 'fr', 'confirmed', '[]', '[]', 'h', ?, ?)",
        (user_id, now, now),
    )
    for factor in ("rent_premises", "roadworks"):
        await old.execute(
            "INSERT INTO concern_factors (concern_id, factor, user_id, core_id, territory_id,"
            " role, confirmed_at) VALUES (?, ?, ?, 'les_ogy', 'lessines', 'shopkeeper', ?)",
            (concern_id, factor, user_id, now),
        )
    await old.close()

    new = Database(path)
    await new.connect()
    try:
        rows = await new.fetch_all(
            "SELECT factor, kind, core_id, confirmed_at FROM concern_factors ORDER BY factor"
        )
        assert [tuple(r) for r in rows] == [
            ("rent_premises", "raised", "les_ogy", now),
            ("roadworks", "raised", "les_ogy", now),
        ]
        source = await new.fetch_one("SELECT source FROM concerns")
        wants = await new.fetch_one("SELECT follow_ups FROM users")
        assert source is not None and source[0] == "message"
        assert wants is not None and wants[0] == 1
        # The voices still go with their concern.
        await new.execute("DELETE FROM concerns WHERE id = ?", (concern_id,))
        left = await new.fetch_one("SELECT COUNT(*) FROM concern_factors")
        assert left is not None and left[0] == 0
    finally:
        await new.close()


async def test_migration_6_keeps_follow_ups_and_allows_covered(tmp_path: Path) -> None:
    path = tmp_path / "v5.sqlite3"
    old = Database(path)
    await old.connect([m for m in bundled_migrations() if m.version <= 5])
    now = "2026-11-01T10:00:00.000+00:00"
    user_id = await old.insert(
        "INSERT INTO users (channel, external_id, language, step, consent_at, consent_version,"
        " created_at, updated_at) VALUES ('t', '1', 'fr', 'done', ?, 'v', ?, ?)",
        (now, now, now),
    )
    concern_id = await old.insert(
        "INSERT INTO concerns (user_id, text, lang, status, predicted, draft, text_hash,"
        " created_at, confirmed_at) VALUES (?, 'x', 'fr', 'confirmed', '[]', '[]', 'h', ?, ?)",
        (user_id, now, now),
    )
    await old.execute(
        "INSERT INTO follow_ups (concern_id, user_id, due_at, sent_at, answer, answered_at)"
        " VALUES (?, ?, ?, ?, 'worse', ?)",
        (concern_id, user_id, now, now, now),
    )
    await old.close()
    new = Database(path)
    await new.connect()
    try:
        row = await new.fetch_one("SELECT answer, sent_at FROM follow_ups")
        assert row is not None and tuple(row) == ("worse", now)
        await new.execute("UPDATE follow_ups SET skipped = 'covered'")
        with pytest.raises(sqlite3.IntegrityError):
            await new.execute("UPDATE follow_ups SET skipped = 'nonsense'")
    finally:
        await new.close()


async def _count(db: Database) -> int:
    row = await db.fetch_one("SELECT COUNT(*) FROM processed_events")
    assert row is not None
    return int(row[0])


async def test_a_unit_of_work_commits_its_transactions_together(db: Database) -> None:
    events = ProcessedEventRepository(db)
    async with db.unit_of_work():
        async with db.transaction():
            await events.claim("a")
        async with db.transaction():
            await events.claim("b")
    assert await _count(db) == 2


async def test_an_error_in_a_unit_undoes_every_transaction_in_it(db: Database) -> None:
    events = ProcessedEventRepository(db)
    with pytest.raises(RuntimeError):
        async with db.unit_of_work():
            async with db.transaction():
                await events.claim("a")
            raise RuntimeError("the reply could not be stored")
    assert await _count(db) == 0
    # The connection is free again.
    async with db.transaction():
        await events.claim("c")
    assert await _count(db) == 1


async def test_an_inner_transaction_that_fails_is_undone_alone(db: Database) -> None:
    events = ProcessedEventRepository(db)
    async with db.unit_of_work():
        async with db.transaction():
            await events.claim("kept")
        with pytest.raises(ValueError):
            async with db.transaction():
                await events.claim("undone")
                raise ValueError("refused")
    assert [r[0] for r in await db.fetch_all("SELECT event_key FROM processed_events")] == ["kept"]


async def test_a_first_transaction_that_fails_is_undone_alone_and_frees_the_connection(
    db: Database,
) -> None:
    events = ProcessedEventRepository(db)
    async with db.unit_of_work():
        with pytest.raises(ValueError):
            async with db.transaction():
                await events.claim("undone")
                raise ValueError("refused")
        # Nothing holds the connection between the failed block and the next one.
        other = asyncio.create_task(events.claim("other"))
        await asyncio.wait_for(asyncio.shield(other), timeout=5)
        async with db.transaction():
            await events.claim("kept")
    keys = {r[0] for r in await db.fetch_all("SELECT event_key FROM processed_events")}
    assert keys == {"other", "kept"}


async def test_a_claim_repeated_in_a_unit_costs_nothing_but_one_undone_is_forgotten(
    db: Database,
) -> None:
    events = ProcessedEventRepository(db)
    async with db.unit_of_work():
        async with db.transaction():
            assert await events.claim("first")
        async with db.transaction(undo_alone=False):
            # The same action claiming again in its unit: still its own claim.
            assert await events.claim("first")
        with pytest.raises(ValueError):
            async with db.transaction():
                assert await events.claim("second")
                raise ValueError("refused")
        async with db.transaction():
            # Its first claim was undone with its block: this one records it for real.
            assert await events.claim("second")
    assert not await events.claim("first")
    keys = sorted(r[0] for r in await db.fetch_all("SELECT event_key FROM processed_events"))
    assert keys == ["first", "second"]


async def test_a_unit_locks_nothing_until_its_first_transaction(db: Database) -> None:
    events = ProcessedEventRepository(db)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_unit() -> None:
        async with db.unit_of_work():
            started.set()
            await release.wait()  # a classification, say: others go on meanwhile
            async with db.transaction():
                await events.claim("late")
            await asyncio.sleep(0.05)  # holds the connection until the unit ends

    task = asyncio.create_task(slow_unit())
    await started.wait()
    async with db.transaction():
        await events.claim("other")  # not blocked by the unit's start
    release.set()
    await asyncio.sleep(0.01)
    # Now the unit holds the connection: another writer waits for its commit.
    async with db.transaction():
        assert await _count(db) == 2
    await task
