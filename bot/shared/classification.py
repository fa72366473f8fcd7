"""Run the classifier off the event loop, on one worker thread, loaded once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.shared.metrics import Metrics
from nlp.asking import Question
from nlp.classifier import Classifier

logger = logging.getLogger(__name__)
T = TypeVar("T")


class OffLoopClassifier:
    """Expose `await classify(text) -> factor ids` without blocking the event loop."""

    def __init__(self, load: Callable[[], Classifier], metrics: Metrics | None = None) -> None:
        self._load = load
        self._metrics = metrics
        # One thread: the model is CPU-bound and takes a lock anyway; more threads only queue.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classifier")
        self._classifier: Classifier | None = None

    async def start(self) -> None:
        """Load the model on the worker thread (about two seconds)."""
        loop = asyncio.get_running_loop()
        self._classifier = await loop.run_in_executor(self._executor, self._load)
        logger.info("classifier ready (%s)", self._classifier.variant)

    async def __call__(self, text: str) -> list[str]:
        """Return the factor ids of a message, best first."""
        found = await self._off_loop(lambda c: c.predict(text))
        return [f.factor for f in found]

    async def question(self, text: str) -> Question:
        """Return how to ask about a message: its factors and, if close, another reading."""
        return await self._off_loop(lambda c: c.question(text))

    async def _off_loop(self, work: Callable[[Classifier], T]) -> T:
        """Run one call of the model on its thread, timed."""
        if self._classifier is None:
            await self.start()
        classifier = self._classifier
        assert classifier is not None
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        result = await loop.run_in_executor(self._executor, work, classifier)
        if self._metrics is not None:
            self._metrics.classification.observe(time.perf_counter() - started)
        return result

    def close(self) -> None:
        """Stop the worker thread."""
        self._executor.shutdown(wait=True, cancel_futures=True)
