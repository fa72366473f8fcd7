"""Copy the live database consistently (SQLite's backup API), check a copy, and restore one."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.storage.database import bundled_migrations


class BackupError(Exception):
    """Raised when a backup or a restore cannot be made; the message says why."""


@dataclass(frozen=True)
class Copy:
    """What a backup holds."""

    path: Path
    bytes: int
    schema_version: int
    users: int


def backup(source: Path, target: Path, *, overwrite: bool = False) -> Copy:
    """Copy a database that may be in use into `target`, as one consistent snapshot.

    The copy is made in one step of the backup API (one read transaction on the source, so
    the bot keeps writing meanwhile), written beside the target and renamed once checked.
    """
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists (--force to replace it)")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()
    copy = check(partial)
    partial.replace(target)
    return Copy(target, copy.bytes, copy.schema_version, copy.users)


def check(path: Path) -> Copy:
    """Check that a file is a sound Échoppe database this version can run; describe it."""
    if not path.is_file():
        raise BackupError(f"no file at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            version = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
            users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an Échoppe database ({exc})") from exc
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")
    newest = max(m.version for m in bundled_migrations())
    if version is None or int(version) > newest:
        raise BackupError(f"{path} has schema {version}, newer than this version knows ({newest})")
    return Copy(path, path.stat().st_size, int(version), int(users))


def restore(copy_path: Path, database: Path) -> Path | None:
    """Put a checked backup in place of the database (the bot must be stopped).

    The database it replaces is kept beside it, renamed; its path is returned (None if there
    was none). Migrations newer than the backup run at the next start.
    """
    check(copy_path)
    kept = None
    if database.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = database.with_name(f"{database.name}.before-restore-{stamp}")
        # Fold the write-ahead log in first, so the kept file is whole on its own.
        conn = sqlite3.connect(database)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        database.replace(kept)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    partial = database.with_name(database.name + ".restoring")
    shutil.copyfile(copy_path, partial)
    partial.replace(database)
    return kept
