"""Benchmark the echo and barometer queries on a large database: 1,000,000 concerns, 20,000 users.

Builds the database once under var/bench/ (reused if present), through the project's own
migrations, then times, for random users:
- `ConcernService.echo` on 2 factors, as the bot does after a confirmation;
- `BarometerService.barometer`, as /barometer does: the user's core counted live, the
  territory's shared counts kept warm by the bot's refresh job (timed here as
  `barometer_refresh_ms`, all territories and roles), and once more with no shared counts
  at all (`barometer_cold_*`: every request recomputes its territory) for comparison.

Concerns are spread over the last 365 days; users over the real commercial cores, 80%
shopkeepers. The fixture is bulk-loaded with sqlite3 directly
(the repository would take minutes for a million rows); the measured path is the bot's own.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._fixture import build_once
from bot.features.barometer.service import BarometerService
from bot.features.concerns.service import ConcernService
from bot.reference import Reference, default_data_dir
from bot.storage import Database, Role, UserRepository
from nlp.asking import Question
from nlp.taxonomy import FACTOR_IDS

ROOT = Path(__file__).resolve().parent.parent
ROLES = [r.value for r in Role]


def build(path: Path, users: int, concerns: int, seed: int = 7, *, days: int = 365) -> None:
    """Fill a migrated database with synthetic users and concerns confirmed over `days` days."""
    rng = random.Random(seed)
    cores = [c for t in Reference.load(default_data_dir()).territories.values() for c in t.cores]
    now = datetime.now(UTC)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    user_rows = []
    for i in range(users):
        core = rng.choice(cores)
        role = "shopkeeper" if rng.random() < 0.8 else rng.choice(ROLES)
        stamp = now.isoformat(timespec="milliseconds")
        user_rows.append(
            (
                i + 1,
                "bench",
                str(i),
                "fr",
                role,
                core.territory,
                core.id,
                "other",
                "done",
                stamp,
                "v",
                stamp,
                stamp,
            )
        )
    conn.executemany(
        "INSERT INTO users (id, channel, external_id, language, role, territory_id, core_id,"
        " sector_id, step, consent_at, consent_version, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        user_rows,
    )
    concern_rows = []
    factor_rows = []
    for cid in range(1, concerns + 1):
        uid, _, _, _, role, territory, core, *_ = user_rows[rng.randrange(users)]
        when = (now - timedelta(seconds=rng.randrange(days * 86400))).isoformat(
            timespec="milliseconds"
        )
        factors = rng.sample(FACTOR_IDS, rng.choice((1, 1, 1, 2, 2, 3)))
        concern_rows.append((cid, uid, "x", "fr", "confirmed", "[]", "[]", f"h{cid}", when, when))
        factor_rows.extend((cid, f, uid, core, territory, role, when) for f in factors)
        if len(concern_rows) >= 50_000:
            _flush(conn, concern_rows, factor_rows)
    _flush(conn, concern_rows, factor_rows)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def _flush(conn: sqlite3.Connection, concerns: list[tuple], factors: list[tuple]) -> None:  # type: ignore[type-arg]
    conn.executemany(
        "INSERT INTO concerns (id, user_id, text, lang, status, predicted, draft, text_hash,"
        " created_at, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        concerns,
    )
    conn.executemany(
        "INSERT INTO concern_factors (concern_id, factor, user_id, core_id, territory_id, role,"
        " confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        factors,
    )
    concerns.clear()
    factors.clear()


async def measure(path: Path, users: int, queries: int) -> list[float]:
    """Time the echo of random users; return milliseconds per echo."""

    async def no_model(_text: str) -> Question:
        return Question(())

    db = Database(path)
    await db.connect()
    try:
        repo = UserRepository(db)
        service = ConcernService(db, no_model, anonymity_k=5)
        rng = random.Random(11)
        timings = []
        for _ in range(queries):
            user = await repo.get("bench", str(rng.randrange(users)))
            assert user is not None
            factors = rng.sample(FACTOR_IDS, 2)
            started = time.perf_counter()
            await service.echo(user, factors)
            timings.append((time.perf_counter() - started) * 1000)
        return timings
    finally:
        await db.close()


async def measure_barometer(
    path: Path, users: int, queries: int, cold_queries: int
) -> tuple[float, list[float], list[float]]:
    """Time the refresh of shared counts, then warm and cold barometers of random users."""
    db = Database(path)
    await db.connect()
    try:
        repo = UserRepository(db)
        rng = random.Random(13)
        warm = BarometerService(db, anonymity_k=5, territory_cache_s=3600)
        territories = list(Reference.load(default_data_dir()).territories)
        started = time.perf_counter()
        await warm.refresh(territories, [*ROLES])
        refresh_ms = (time.perf_counter() - started) * 1000

        async def timed(service: BarometerService, count: int) -> list[float]:
            timings = []
            for _ in range(count):
                user = await repo.get("bench", str(rng.randrange(users)))
                assert user is not None
                started = time.perf_counter()
                await service.barometer(user)
                timings.append((time.perf_counter() - started) * 1000)
            return sorted(timings)

        served = await timed(warm, queries)
        cold = await timed(BarometerService(db, anonymity_k=5, territory_cache_s=0), cold_queries)
        return refresh_ms, served, cold
    finally:
        await db.close()


def _p99(timings: list[float]) -> float:
    return timings[int(0.99 * (len(timings) - 1))]


def main() -> None:
    """Build (or reuse) the database, measure, print `name: value` lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--concerns", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--cold-queries", type=int, default=100)
    args = parser.parse_args()
    path = ROOT / "var" / "bench" / f"echo-{args.users}-{args.concerns}.sqlite3"
    built_s = build_once(path, lambda partial: build(partial, args.users, args.concerns))
    timings = sorted(asyncio.run(measure(path, args.users, args.queries)))
    refresh_ms, served, cold = asyncio.run(
        measure_barometer(path, args.users, args.queries, args.cold_queries)
    )
    print(f"echo_db_concerns: {args.concerns}")
    print(f"echo_db_users: {args.users}")
    print(f"echo_db_build_s: {built_s:.1f}")
    print(f"echo_query_p50_ms: {statistics.median(timings):.2f}")
    print(f"echo_query_p99_ms: {_p99(timings):.2f}")
    print(f"barometer_refresh_ms: {refresh_ms:.1f}")
    print(f"barometer_cold_p50_ms: {statistics.median(cold):.2f}")
    print(f"barometer_cold_p99_ms: {_p99(cold):.2f}")
    print(f"barometer_p50_ms: {statistics.median(served):.2f}")
    print(f"barometer_p99_ms: {_p99(served):.2f}")


if __name__ == "__main__":
    main()
