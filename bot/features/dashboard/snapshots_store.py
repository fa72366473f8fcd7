"""Keep a view's computed figures of a closed week, so that a published period never drifts.

The first reading of a closed week computes its figures and stores them; every later reading,
by anyone with the same scope, gets the stored ones. What is stored is already gated and holds
aggregates only: a view that shows people's words must not be kept here (a deleted concern's
quote has to disappear, and a snapshot would keep it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import TypeAdapter

from bot.storage import Database

T = TypeVar("T")

_READ = (
    "SELECT figures FROM dashboard_snapshots"
    " WHERE view = ? AND scope = ? AND period = ? AND week = ?"
)


async def frozen(
    db: Database,
    view: str,
    scope: str,
    period: str,
    week: str,
    compute: Callable[[], Awaitable[T]],
    adapter: TypeAdapter[T],
    *,
    now: datetime | None = None,
) -> T:
    """Return the stored figures of a closed week, computing and storing them the first time.

    The caller makes sure the week has closed: an open week's figures would be kept too soon.
    """
    key = (view, scope, period, week)
    row = await db.fetch_one(_READ, key)
    if row is None:
        computed = adapter.dump_json(await compute()).decode("utf-8")
        at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")
        # Two first readings at once both compute; the first stored wins and both show it.
        await db.execute(
            "INSERT OR IGNORE INTO dashboard_snapshots"
            " (view, scope, period, week, figures, computed_at) VALUES (?, ?, ?, ?, ?, ?)",
            (*key, computed, at),
        )
        row = await db.fetch_one(_READ, key)
        assert row is not None
    return adapter.validate_json(str(row[0]))
