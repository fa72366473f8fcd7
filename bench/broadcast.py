"""Benchmark a broadcast to 20,000 people through Telegram-like limits, and through a SIGKILL.

The bot runs as its own process (`bot.py run`) against the emulator, which enforces a global
rate and a per-chat rate (one message a second per chat, no burst), answers 403 for the 2% of
recipients who blocked the bot, and refuses 0.1% of calls at random with a 429 (retry after
1 s). To keep the run short, Telegram's 30 messages/s and the bot's default 25/s are both
multiplied by the same scale factor (printed). The broadcast is made with
`bot.py broadcast new`, as an admin would from a shell.

Two runs, each on a fresh database:
- straight through: `broadcast_rate_ratio` is the recipients served (sent, or found blocked)
  per second of sending, over the configured rate; `broadcast_lost` counts recipients who did
  not block the bot and got nothing; `broadcast_duplicates` the messages beyond one per person,
  both read from the emulator's own log;
- with the bot killed with SIGKILL once half of the recipients are served, then started
  again: the same three figures with `_after_kill`; the rate is over the two sending spans
  (the restart itself is not sending time). Duplicates can only come from the batch that was
  in flight at the kill (`ECHOPPE_BROADCAST_BATCH`, printed with what was in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench._botproc import bot_process
from bot.cli import main as cli
from bot.emulator import BotApiEmulator, BotEvent, EmulatorLimits, FakeUser
from bot.storage import CONSENT_VERSION

FIRST_ID = 100_000
TELEGRAM_GLOBAL_PER_S = 30.0
CONFIGURED_PER_S = 25.0
BLOCKED_SHARE = 0.02
RANDOM_429_SHARE = 0.001
BATCH = 10


@dataclass
class Outcome:
    """What one run measured."""

    served: int
    sending_s: float
    lost: int
    duplicates: int
    random_429s: int
    in_flight_at_kill: int = 0


def seed(database: Path, recipients: int, rng: random.Random) -> None:
    """Insert onboarded shopkeepers in three languages straight into the migrated database."""
    stamp = "2026-11-27T10:00:00.000+00:00"
    rows = [
        (str(FIRST_ID + i), rng.choice(("fr", "fr", "nl", "en")), stamp, stamp, stamp)
        for i in range(recipients)
    ]
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO users (channel, external_id, language, role, territory_id, core_id,"
            " sector_id, step, consent_at, consent_version, created_at, updated_at) VALUES"
            " ('telegram', ?, ?, 'shopkeeper', 'brussels', 'bru_flagey', 'bakery', 'done',"
            f" ?, '{CONSENT_VERSION}', ?, ?)",
            rows,
        )
    conn.close()


def outbox(database: Path) -> dict[str, int]:
    """Count outbox rows per status."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT status, COUNT(*) FROM broadcast_outbox GROUP BY status")
        counts = {str(status): int(n) for status, n in rows}
    conn.close()
    return counts


def ours(events: list[BotEvent]) -> list[BotEvent]:
    return [e for e in events if e.chat_id >= FIRST_ID]


def served_events(events: list[BotEvent]) -> list[BotEvent]:
    """Sends that reached someone, and the 403s of people who blocked the bot."""
    return [
        e
        for e in ours(events)
        if e.kind == "send_message" or (e.kind == "rejected" and "blocked" in (e.error or ""))
    ]


def span(events: list[BotEvent]) -> float:
    return events[-1].at - events[0].at if len(events) > 1 else 0.0


async def one_run(recipients: int, scale: float, kill: bool, seed_value: int) -> Outcome:
    """Seed, broadcast, (kill and restart), and read the emulator's log."""
    rng = random.Random(seed_value)
    limits = EmulatorLimits(
        global_per_s=TELEGRAM_GLOBAL_PER_S * scale,
        global_burst=int(TELEGRAM_GLOBAL_PER_S * scale),
        per_chat_per_s=1.0,
        per_chat_burst=1,
        random_429_share=RANDOM_429_SHARE,
        random_429_retry_after=1,
        random_seed=seed_value,
    )
    env = {
        "ECHOPPE_BROADCAST_RATE": f"{CONFIGURED_PER_S * scale:g}",
        "ECHOPPE_BROADCAST_BATCH": str(BATCH),
    }
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "broadcast.sqlite3"
        db_env = {"ECHOPPE_DATABASE_PATH": str(database)}
        await asyncio.to_thread(_cli, db_env, ["migrate"])
        seed(database, recipients, rng)
        blocked = {FIRST_ID + i for i in range(recipients) if rng.random() < BLOCKED_SHARE}
        await asyncio.to_thread(_cli, db_env, ["broadcast", "new", "--text", "Atelier vitrine"])
        async with BotApiEmulator(limits=limits) as emu:
            for i in range(recipients):
                emu.open_chat(FakeUser(id=FIRST_ID + i, first_name="S"))
            for user_id in blocked:
                emu.block(user_id)
            in_flight = 0
            spans: list[float] = []
            if kill:
                async with bot_process(emu, database, env) as first:
                    await _until(lambda: len(served_events(emu.events())) >= recipients // 2)
                    first.send_signal(signal.SIGKILL)
                    await first.wait()
                in_flight = outbox(database).get("sending", 0)
                spans.append(span(served_events(emu.events())))
            before = emu.last_seq
            async with bot_process(emu, database, env):
                await _until(lambda: _finished(database))
            spans.append(span(served_events(emu.events_after(before))))
            events = emu.events()
    received: dict[int, int] = {}
    for event in ours(events):
        if event.kind == "send_message":
            received[event.chat_id] = received.get(event.chat_id, 0) + 1
    wanted = {FIRST_ID + i for i in range(recipients)} - blocked
    return Outcome(
        served=len({e.chat_id for e in served_events(events)}),
        sending_s=sum(spans),
        lost=len(wanted - set(received)),
        duplicates=sum(n - 1 for n in received.values()),
        random_429s=sum(
            1 for e in ours(events) if e.kind == "rejected" and "Too Many" in (e.error or "")
        ),
        in_flight_at_kill=in_flight,
    )


def _cli(env: dict[str, str], args: list[str]) -> None:
    """Run a bot.py command in this process with some settings from the environment."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        if cli(args) != 0:
            raise RuntimeError(f"bot.py {' '.join(args)} failed")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _finished(database: Path) -> bool:
    left = outbox(database)
    return bool(left) and not left.get("pending") and not left.get("sending")


async def _until(check: Callable[[], bool], within_s: float = 900.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("the broadcast did not finish in time")
        await asyncio.sleep(0.05)


def main() -> None:
    """Run both rounds; print `name: value` lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    configured = CONFIGURED_PER_S * args.scale
    straight = asyncio.run(one_run(args.recipients, args.scale, False, args.seed))
    killed = asyncio.run(one_run(args.recipients, args.scale, True, args.seed + 1))
    print(
        f"broadcast_scale_factor: {args.scale:g} (emulator {TELEGRAM_GLOBAL_PER_S * args.scale:g}"
        f" msg/s global, 1/s per chat; bot configured at {configured:g}/s)"
    )
    print(f"broadcast_recipients: {args.recipients}")
    print(f"broadcast_in_flight_bound: {BATCH}")
    for suffix, run in (("", straight), ("_after_kill", killed)):
        rate = run.served / run.sending_s if run.sending_s else 0.0
        print(f"broadcast_random_429s{suffix}: {run.random_429s}")
        print(f"broadcast_sending_s{suffix}: {run.sending_s:.1f}")
        print(f"broadcast_achieved_per_s{suffix}: {rate:.1f}")
        if suffix:
            print(f"broadcast_in_flight_at_kill: {run.in_flight_at_kill}")
        print(f"broadcast_rate_ratio{suffix}: {rate / configured:.3f}")
        print(f"broadcast_lost{suffix}: {run.lost}")
        print(f"broadcast_duplicates{suffix}: {run.duplicates}")


if __name__ == "__main__":
    main()
