"""Build a benchmark database once under var/bench/, through the project's own migrations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from bot.storage.database import opened


def build_once(path: Path, fill: Callable[[Path], None]) -> float:
    """Migrate and fill `path` unless it exists; return the seconds spent (0.0 if reused).

    The database is built beside it and renamed when complete, so an interrupted build is
    never taken for a finished one.
    """
    if path.exists():
        return 0.0
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)

    async def migrate() -> None:
        async with opened(partial):
            pass

    asyncio.run(migrate())
    fill(partial)
    partial.rename(path)
    return time.perf_counter() - started
