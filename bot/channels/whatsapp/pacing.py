"""Meta's rate limits turned into waits: the whole number backs off, or one person's chat."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.channels.whatsapp.client import PAIR_RATE

# Meta's pair rate: about one message every 6 seconds to the same person, bursts tolerated.
PAIR_SPACING_S = 6.0
# Throughput (130429), application (4, 80007) limits: the number waits 1 s, 2 s, 4 s…
THROUGHPUT_FIRST_S = 1.0
BACKOFF_MAX_S = 300.0
KEPT_PEOPLE = 10_000
# Refusals counted in a row at most (the wait is at its ceiling long before).
MAX_STRIKES = 16


class Pacing:
    """Say how long to wait before writing to a person, from the refusals Meta gave lately."""

    def __init__(
        self, clock: Callable[[], datetime], jitter: Callable[[], float] = random.random
    ) -> None:
        self._clock = clock
        self._jitter = jitter
        self._number_until: datetime | None = None
        self._number_strikes = 0
        # wa_id -> (not before, refusals in a row)
        self._people: dict[str, tuple[datetime, int]] = {}

    def wait(self, wa_id: str) -> tuple[float, bool]:
        """Return the seconds to wait before writing to this person (0 when free to go), and
        whether only this person waits (the rest of the number may go on)."""
        now = self._clock()
        number = 0.0
        if self._number_until is not None:
            number = max(0.0, (self._number_until - now).total_seconds())
        person = self._people.get(wa_id)
        alone = max(0.0, (person[0] - now).total_seconds()) if person is not None else 0.0
        return max(number, alone), number == 0.0 and alone > 0.0

    def refused(self, wa_id: str, code: int) -> float:
        """Record a rate-limit refusal; return how long to wait before trying again."""
        now = self._clock()
        if code == PAIR_RATE:
            strikes = min(MAX_STRIKES, self._people.get(wa_id, (now, 0))[1] + 1)
            wait = self._backoff(PAIR_SPACING_S, strikes)
            self._people[wa_id] = (now + timedelta(seconds=wait), strikes)
            if len(self._people) > KEPT_PEOPLE:
                self._people = {k: v for k, v in self._people.items() if v[0] > now}
            return wait
        if self._number_until is not None and now < self._number_until:
            # Sent together before the wait began: refused together, counted once.
            return (self._number_until - now).total_seconds()
        self._number_strikes = min(MAX_STRIKES, self._number_strikes + 1)
        wait = self._backoff(THROUGHPUT_FIRST_S, self._number_strikes)
        self._number_until = now + timedelta(seconds=wait)
        return wait

    def went(self, wa_id: str) -> None:
        """Record that a message went: the waits start again from the shortest."""
        self._number_strikes = 0
        self._people.pop(wa_id, None)

    def _backoff(self, first: float, strikes: int) -> float:
        base: float = min(BACKOFF_MAX_S, first * 2.0 ** (strikes - 1))
        # Up to a quarter more, at random: senders refused together do not retry together.
        return base * (1 + 0.25 * self._jitter())
