"""Own the SQLite connection: pragmas, migrations and serialised transactions."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, cast

import aiosqlite

logger = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# The task that owns the connection inside a transaction. A task, not a flag: tasks created
# inside a transaction inherit context variables but must not slip past the lock.
_owner: contextvars.ContextVar[asyncio.Task[Any] | None] = contextvars.ContextVar(
    "echoppe_transaction_owner", default=None
)


@dataclass
class _Unit:
    """One unit of work: the transaction it opened lazily, and its savepoints."""

    task: asyncio.Task[Any] | None
    began: bool = False
    depth: int = 0
    # Work that cannot run inside a transaction (a WAL checkpoint), for after the unit.
    deferred: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    # Keys the unit already recorded (an event claimed), so a second claim costs no statement.
    marks: set[str] = field(default_factory=set)


_unit: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar(
    "echoppe_unit_of_work", default=None
)


def _current_unit() -> _Unit | None:
    """Return the unit of work the current task runs in, or None."""
    unit = _unit.get()
    return unit if unit is not None and unit.task is asyncio.current_task() else None


@dataclass(frozen=True)
class Migration:
    """Describe one numbered SQL migration file."""

    version: int
    name: str
    sql: str


def utcnow() -> str:
    """Return the current UTC time as ISO 8601 text, the format stored everywhere."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@asynccontextmanager
async def opened(path: Path) -> AsyncIterator[Database]:
    """Connect (and migrate) a database for the length of a block, then close it."""
    db = Database(path)
    await db.connect()
    try:
        yield db
    finally:
        await db.close()


def bundled_migrations() -> list[Migration]:
    """Return the migrations shipped in bot/storage/migrations, in order."""
    found: list[Migration] = []
    for entry in resources.files("bot.storage").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers: {versions}")
    return found


class Database:
    """Serialise access to one aiosqlite connection; one transaction at a time."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        """Return the open connection or fail loudly when not connected."""
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    async def connect(self, migrations: Iterable[Migration] | None = None) -> None:
        """Open the file, set pragmas and apply pending migrations."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves.
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        await self._conn.execute("PRAGMA journal_mode = WAL")
        await self._conn.execute("PRAGMA foreign_keys = ON")
        # Deleted content is overwritten, not left in free pages (/forget must really forget).
        await self._conn.execute("PRAGMA secure_delete = ON")
        await self._conn.execute("PRAGMA synchronous = NORMAL")
        # Bounds the ANALYZE that PRAGMA optimize may run, so housekeeping never stalls us.
        await self._conn.execute("PRAGMA analysis_limit = 400")
        await self.migrate(bundled_migrations() if migrations is None else list(migrations))

    async def writable(self) -> bool:
        """Return whether a write transaction can be opened now (for /healthz)."""
        try:
            async with self.transaction():
                await self.execute("SELECT 1")
        except (sqlite3.Error, RuntimeError):
            logger.exception("the database is not writable")
            return False
        return True

    async def optimize(self) -> None:
        """Let SQLite refresh its query-planner statistics where they have gone stale."""
        async with self._access() as conn:
            await conn.execute_fetchall("PRAGMA optimize")

    async def close(self) -> None:
        """Close the connection, waiting for any running transaction."""
        if self._conn is None:
            return
        async with self._lock:
            await self._conn.close()
            self._conn = None

    async def migrate(self, migrations: list[Migration]) -> list[int]:
        """Apply the migrations not yet recorded; return the versions applied."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in await self.fetch_all("SELECT version FROM schema_migrations")}
        done: list[int] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            async with self.transaction():
                for statement in _split_sql(migration.sql):
                    await self.conn.execute(statement)
                await self.conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, utcnow()),
                )
            logger.info("applied migration %04d_%s", migration.version, migration.name)
            done.append(migration.version)
        return done

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[_Unit]:
        """Make every transaction of the block one, committed when the block ends.

        Nothing is locked until the block's first transaction starts, so work before it (a
        classification, say) does not hold up others; from then on the connection is the
        block's until it commits, so what a flow changes and the replies it stores commit
        together. Each inner transaction is a savepoint: an error inside one undoes just it.
        """
        if self._owns_connection() or self._in_unit():
            raise RuntimeError("nested units of work are not supported")
        unit = _Unit(asyncio.current_task())
        token = _unit.set(unit)
        try:
            yield unit
            if unit.began:
                await asyncio.shield(self.conn.execute("COMMIT"))
        except BaseException:
            if unit.began:
                await asyncio.shield(self._rollback_if_open())
            raise
        finally:
            _unit.reset(token)
            if unit.began:
                self._give_back()

    async def after_unit(self, work: Callable[[], Awaitable[object]]) -> None:
        """Run work now, or, inside a unit of work, leave it to whoever runs the unit."""
        unit = _current_unit()
        if unit is not None:
            unit.deferred.append(work)
        else:
            await work()

    def unit_marks(self) -> set[str] | None:
        """Return the current unit of work's set of recorded keys, or None outside one."""
        unit = _current_unit()
        return unit.marks if unit is not None else None

    def holding(self) -> bool:
        """Return whether the current task holds the connection (a transaction under way).

        Such a task must never wait for another task that needs the database: that one waits
        for the connection this one holds, and neither goes on.
        """
        return self._owns_connection()

    def _in_unit(self) -> bool:
        return _current_unit() is not None

    @asynccontextmanager
    async def _savepoint(self, unit: _Unit, *, undo_alone: bool) -> AsyncIterator[None]:
        opened = not unit.began
        if opened:
            await self._lock.acquire()
            try:
                _owner.set(asyncio.current_task())
                if self.conn.in_transaction:
                    logger.error("found an open transaction; rolling it back")
                    await self.conn.execute("ROLLBACK")
                await self.conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._give_back()
                raise
            unit.began = True
        if not undo_alone:
            yield
            return
        if opened:
            # The unit's first block needs no savepoint (two statements): undoing it alone is
            # rolling the whole transaction back, which holds nothing else yet.
            try:
                yield
            except BaseException:
                await asyncio.shield(self._rollback_if_open())
                unit.marks.clear()
                unit.began = False
                self._give_back()
                raise
            return
        unit.depth += 1
        name = f"sp{unit.depth}"
        marks = set(unit.marks)
        await self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
            await self.conn.execute(f"RELEASE {name}")
        except BaseException:
            unit.marks.intersection_update(marks)
            await asyncio.shield(self._undo_savepoint(name))
            raise
        finally:
            unit.depth -= 1

    def _give_back(self) -> None:
        _owner.set(None)
        self._lock.release()

    async def _undo_savepoint(self, name: str) -> None:
        await self.conn.execute(f"ROLLBACK TO {name}")
        await self.conn.execute(f"RELEASE {name}")

    @asynccontextmanager
    async def transaction(self, *, undo_alone: bool = True) -> AsyncIterator[None]:
        """Run the block in one BEGIN IMMEDIATE transaction, committed or rolled back.

        Inside a unit of work, the block is a savepoint of the unit's transaction instead, so
        an error caught inside the unit undoes just the block; `undo_alone=False` skips the
        savepoint (two statements) where an error always ends the whole unit.
        """
        unit = _current_unit()
        if unit is not None:
            async with self._savepoint(unit, undo_alone=undo_alone):
                yield
            return
        if self._owns_connection():
            raise RuntimeError("nested transactions are not supported")
        async with self._lock:
            token = _owner.set(asyncio.current_task())
            try:
                if self.conn.in_transaction:
                    # Only a bug elsewhere gets here; never build on someone else's leftovers.
                    logger.error("found an open transaction; rolling it back")
                    await self.conn.execute("ROLLBACK")
                try:
                    await self.conn.execute("BEGIN IMMEDIATE")
                    yield
                    # Shielded: a cancelled caller must not leave COMMIT half-way.
                    await asyncio.shield(self.conn.execute("COMMIT"))
                except BaseException:
                    await asyncio.shield(self._rollback_if_open())
                    raise
            finally:
                _owner.reset(token)

    async def _rollback_if_open(self) -> None:
        # aiosqlite runs statements in order on its thread: this no-op waits for any BEGIN or
        # COMMIT still queued, so in_transaction is exact when read.
        await self.conn.execute("SELECT 1")
        if self.conn.in_transaction:
            await self.conn.execute("ROLLBACK")

    def _owns_connection(self) -> bool:
        owner = _owner.get()
        return owner is not None and owner is asyncio.current_task()

    @asynccontextmanager
    async def _access(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._owns_connection():
            yield self.conn
        else:
            async with self._lock:
                yield self.conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        async with self._access() as conn:
            cursor = await conn.execute(sql, params)
            count = cursor.rowcount
            if cursor.description is not None:
                # Only a statement with rows left to read holds anything; closing is a trip
                # to the database thread, which costs more than most of our statements.
                await cursor.close()
            return count

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; return the new row id."""
        async with self._access() as conn:
            # One trip to the database thread instead of two (execute, then close).
            row = await conn.execute_insert(sql, cast(Any, params))
            if row is None or row[0] is None:
                raise RuntimeError("INSERT did not produce a row id")
            return int(row[0])

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Return the first row of a query meant to return one row (or a few), or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Return every row of a query."""
        # One trip to the database thread instead of three (execute, fetch, close): each trip
        # wakes that thread and costs more than most of our queries.
        async with self._access() as conn:
            return list(await conn.execute_fetchall(sql, cast(Any, params)))


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (no triggers with inner semicolons)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
