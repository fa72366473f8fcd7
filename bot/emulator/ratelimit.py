"""Enforce Telegram-like flood limits with token buckets (global and per chat)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from bot.emulator.models import EmulatorLimits


class TokenBucket:
    """Hold tokens refilled continuously at a rate, capped at a burst size."""

    __slots__ = ("tokens", "updated")

    def __init__(self) -> None:
        """Start full; the capacity is only known when the bucket is first used."""
        self.tokens: float | None = None
        self.updated = 0.0

    def wait_time(self, rate: float, burst: int, now: float) -> float:
        """Refill, then return the seconds until one token is available (0 if one is)."""
        capacity = float(max(1, burst))
        if self.tokens is None:
            self.tokens = capacity
        else:
            self.tokens = min(capacity, self.tokens + max(0.0, now - self.updated) * rate)
        self.updated = now
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / rate

    def take(self) -> None:
        """Consume one token (call after wait_time returned 0)."""
        if self.tokens is not None:
            self.tokens -= 1.0


class RateLimiter:
    """Apply the global and per-chat buckets described by the current EmulatorLimits."""

    def __init__(
        self,
        limits: Callable[[], EmulatorLimits],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Read the limits through a callable so they can change at run time."""
        self._limits = limits
        self._clock = clock
        self._global = TokenBucket()
        self._per_chat: dict[int, TokenBucket] = {}

    def acquire(self, chat_id: int) -> int | None:
        """Consume a token for a call to chat_id; return retry_after seconds if over a limit."""
        limits = self._limits()
        now = self._clock()
        waits: list[float] = []
        buckets: list[TokenBucket] = []
        if limits.global_per_s is not None and limits.global_per_s > 0:
            waits.append(self._global.wait_time(limits.global_per_s, limits.global_burst, now))
            buckets.append(self._global)
        if limits.per_chat_per_s is not None and limits.per_chat_per_s > 0:
            bucket = self._per_chat.setdefault(chat_id, TokenBucket())
            waits.append(bucket.wait_time(limits.per_chat_per_s, limits.per_chat_burst, now))
            buckets.append(bucket)
        wait = max(waits, default=0.0)
        if wait > 0.0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None

    def reset(self) -> None:
        """Forget every bucket (they start full again)."""
        self._global = TokenBucket()
        self._per_chat.clear()
