"""Kill the bot (SIGKILL) at many random moments of bursts of concerns; count what was lost.

Prints crash_kills, crash_messages, crash_lost, crash_duplicates, crash_stored_missing and
crash_stored_twice over all rounds.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
from pathlib import Path

from bench._crash import crash_round

ROUNDS = int(os.environ.get("BENCH_CRASH_ROUNDS", "10"))
KILLS_PER_ROUND = 5


async def main() -> None:
    """Run the rounds and print the totals."""
    rng = random.Random(2026)
    totals = {"kills": 0, "messages": 0, "lost": 0, "duplicates": 0, "missing": 0, "twice": 0}
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            result = await crash_round(
                Path(tmp), people=8, per_person=8, kills=KILLS_PER_ROUND, rng=rng
            )
        totals["kills"] += result.kills
        totals["messages"] += result.messages
        totals["lost"] += result.lost
        totals["duplicates"] += result.duplicates
        totals["missing"] += result.stored_missing
        totals["twice"] += result.stored_twice
    print(f"crash_kills: {totals['kills']}")
    print(f"crash_messages: {totals['messages']}")
    print(f"crash_lost: {totals['lost']}")
    print(f"crash_duplicates: {totals['duplicates']}")
    print(f"crash_stored_missing: {totals['missing']}")
    print(f"crash_stored_twice: {totals['twice']}")


if __name__ == "__main__":
    asyncio.run(main())
