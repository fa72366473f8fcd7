"""Kill the real bot (SIGKILL) in a burst of concerns, restart it, count answers and concerns.

Shared by the crash test (a few kill points) and bench/crash.py (many).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bench._botproc import bot_process
from bot.cli import main
from bot.emulator import BotApiEmulator, FakeUser
from bot.storage import CONSENT_VERSION

FIRST_ID = 50_000
TEXTS = (
    "Les travaux devant ma vitrine durent depuis des mois, plus personne ne passe",
    "Mon loyer a encore augmenté, je ne sais plus comment payer le propriétaire",
    "Impossible de trouver une place de parking pour mes clients dans la rue",
    "De kosten voor energie zijn verdubbeld en mijn marge verdwijnt",
    "The online shops undercut every price I can offer on the same products",
    "Les fournisseurs exigent d'être payés comptant, ma trésorerie est à sec",
    "Il y a de moins en moins de passage le samedi dans le centre",
    "Le vol à l'étalage a doublé depuis l'été, je dois fermer plus tôt",
)


@dataclass
class CrashResult:
    """What a round of kills left: answers missing or doubled, concerns missing or doubled."""

    messages: int
    lost: int
    duplicates: int
    stored_missing: int
    stored_twice: int
    kills: int


def seed(database: Path, people: int) -> None:
    """Insert onboarded shopkeepers straight into the migrated database."""
    stamp = "2026-11-27T10:00:00.000+00:00"
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO users (channel, external_id, language, role, territory_id, core_id,"
            " sector_id, step, consent_at, consent_version, created_at, updated_at) VALUES"
            " ('telegram', ?, 'fr', 'shopkeeper', 'lessines', 'les_ogy', 'bakery', 'done',"
            f" ?, '{CONSENT_VERSION}', ?, ?)",
            [(str(FIRST_ID + i), stamp, stamp, stamp) for i in range(people)],
        )
    conn.close()


def _answers(emu: BotApiEmulator, people: int) -> dict[int, int]:
    counts = {FIRST_ID + i: 0 for i in range(people)}
    for event in emu.events():
        if event.kind == "send_message" and event.chat_id in counts:
            counts[event.chat_id] += 1
    return counts


def _stored(database: Path) -> dict[tuple[str, str], int]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT u.external_id, c.text, COUNT(*) FROM concerns c JOIN users u"
            " ON u.id = c.user_id GROUP BY u.external_id, c.text"
        ).fetchall()
    conn.close()
    return {(str(ref), str(text)): int(n) for ref, text, n in rows}


async def crash_round(
    workdir: Path,
    *,
    people: int = 8,
    per_person: int = 8,
    kills: int = 1,
    rng: random.Random | None = None,
    settle_s: float = 60.0,
) -> CrashResult:
    """Send a burst from several people; SIGKILL the bot `kills` times at random moments."""
    rng = rng or random.Random(0)
    database = workdir / "crash.sqlite3"
    os.environ["ECHOPPE_DATABASE_PATH"] = str(database)
    assert await asyncio.to_thread(main, ["migrate"]) == 0
    seed(database, people)
    users = [FakeUser(id=FIRST_ID + i, first_name="S", language_code="fr") for i in range(people)]
    # Each person's texts are their own (the same text twice in a minute is not a new concern).
    said = {
        u.id: [f"{TEXTS[(i + n) % len(TEXTS)]} ({u.id}-{n})" for n in range(per_person)]
        for i, u in enumerate(users)
    }
    done_kills = 0
    async with BotApiEmulator() as emu:
        for user in users:
            emu.open_chat(user)
        queue = [(u, text) for n in range(per_person) for u in users for text in [said[u.id][n]]]
        for k in range(kills):
            async with bot_process(emu, database) as bot:
                # This run's share of the burst, then a kill at a random moment while it works.
                share = queue[k * len(queue) // kills : (k + 1) * len(queue) // kills]
                answered = sum(_answers(emu, people).values())
                for user, text in share:
                    emu.send_text(user, text)
                # Kill while it works: once its first answers come, at a random moment.
                deadline = time.monotonic() + 10
                while True:
                    busy = sum(_answers(emu, people).values()) > answered
                    if busy or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.005)
                await asyncio.sleep(rng.uniform(0.0, 0.25))
                bot.send_signal(signal.SIGKILL)
                await bot.wait()
                done_kills += 1
        async with bot_process(emu, database):
            total = people * per_person
            deadline = time.monotonic() + settle_s
            while True:
                if sum(_answers(emu, people).values()) >= total or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            # Anything still to come (a duplicate) has time to show.
            await asyncio.sleep(1.0)
            answers = _answers(emu, people)
        stored = _stored(database)
    lost = sum(max(0, per_person - n) for n in answers.values())
    duplicates = sum(max(0, n - per_person) for n in answers.values())
    expected = {(str(u), text) for u, texts in said.items() for text in texts}
    return CrashResult(
        messages=people * per_person,
        lost=lost,
        duplicates=duplicates,
        stored_missing=sum(1 for key in expected if key not in stored),
        stored_twice=sum(n - 1 for n in stored.values() if n > 1),
        kills=done_kills,
    )
