"""Benchmark: many users onboarding at once through the emulator and the real bot process.

The bot runs as `python bot.py run` in its own process, as in production; this process plays
Telegram (the emulator) and the users. Each latency is the time from a user's action to the
bot message that lets the user go on (the next question, or the final summary).

Two rounds against the same bot process:
- `onboarding_*`: 200 users all start within the same second and take 1 to 3 s to read each
  message and tap (seeded), as people on phones do;
- `onboarding_burst_*`: 200 other users with no think time at all, each tapping the instant
  the answer arrives: a saturation test whose latency is mostly queueing behind the others.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench._botproc import bot_process
from bot.emulator import BotApiEmulator, FakeUser
from bot.i18n import translate

MESSAGE_KINDS = frozenset({"send_message", "edit_text"})


async def _wait_text(emu: BotApiEmulator, chat_id: int, after: int, needle: str) -> float:
    """Wait for a bot message in the chat containing `needle`; return when it arrived."""
    last = after
    while True:
        event = await emu.wait_for_event(chat_id, after_seq=last, kinds=MESSAGE_KINDS, timeout=60)
        last = event.seq
        if needle in (event.text or ""):
            return event.at


def _button(emu: BotApiEmulator, chat_id: int, label: str) -> tuple[int, str]:
    for message in reversed(emu.messages(chat_id)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if label in button["text"]:
                    return int(message["message_id"]), str(button["callback_data"])
    raise RuntimeError(f"no button {label!r} for chat {chat_id}")


async def _onboard(
    emu: BotApiEmulator,
    user: FakeUser,
    latencies: list[float],
    think: tuple[float, float],
    rng: random.Random,
) -> None:
    """Run one user through onboarding, recording each action's latency."""
    t = "fr"
    steps: list[tuple[str | None, str]] = [
        (None, translate(t, "privacy.notice")[:25]),
        (translate(t, "privacy.accept"), translate(t, "role.question")),
        (translate(t, "role.shopkeeper"), translate(t, "territory.question")),
        ("Lessines", translate(t, "core.question", page=1, pages=1)[:20]),
        ("Papignies", translate(t, "sector.question")),
        ("Fleuriste", translate(t, "onboarding.done", summary="")[:12]),
    ]
    # People do not all hit /start in the same millisecond: spread the first taps over 1 s.
    if think[1] > 0:
        await asyncio.sleep(rng.uniform(0, 1.0))
    for index, (label, expected) in enumerate(steps):
        if index and think[1] > 0:
            await asyncio.sleep(rng.uniform(*think))
        before = emu.last_seq
        started = time.monotonic()
        if label is None:
            emu.send_text(user, "/start")
        else:
            message_id, data = _button(emu, user.id, label)
            emu.press_button(user, message_id, data)
        arrived = await _wait_text(emu, user.id, before, expected)
        latencies.append(arrived - started)


async def run(users: int) -> dict[str, float]:
    """Start the emulator and the bot process, onboard `users` users at once, return figures."""
    with tempfile.TemporaryDirectory() as tmp:
        async with BotApiEmulator() as emu, bot_process(emu, Path(tmp) / "bench.sqlite3"):
            rounds = {
                "onboarding": await _round(emu, users, 10_000, (1.0, 3.0)),
                "onboarding_burst": await _round(emu, users, 20_000, (0.0, 0.0)),
            }
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    figures: dict[str, float] = {
        # CPU seconds over both rounds and start-up: the bot vs the emulator and the users.
        "bot_process_cpu_s": round(children.ru_utime + children.ru_stime, 2),
        "emulator_process_cpu_s": round(own.ru_utime + own.ru_stime, 2),
    }
    for name in ("onboarding_burst", "onboarding"):
        latencies, elapsed = rounds[name]
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        figures[f"{name}_users"] = users
        figures[f"{name}_actions"] = len(latencies)
        figures[f"{name}_wall_s"] = round(elapsed, 2)
        figures[f"{name}_per_s"] = round(users / elapsed, 1)
        figures[f"{name}_p50_ms"] = round(statistics.median(latencies) * 1000, 1)
        figures[f"{name}_p99_ms"] = round(p99 * 1000, 1)
    return figures


async def _round(
    emu: BotApiEmulator, users: int, first_id: int, think: tuple[float, float]
) -> tuple[list[float], float]:
    """Onboard `users` users at once; return every action's latency and the wall time."""
    rng = random.Random(first_id)
    latencies: list[float] = []
    people = [FakeUser(id=first_id + i, language_code="fr") for i in range(users)]
    started = time.monotonic()
    await asyncio.gather(*(_onboard(emu, p, latencies, think, rng) for p in people))
    return latencies, time.monotonic() - started


def main() -> None:
    """Run the benchmark and print `name: value` lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    for name, value in asyncio.run(run(args.users)).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
