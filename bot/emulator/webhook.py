"""Deliver pending updates to the webhook URL as Telegram does (JSON POST, secret header)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx

from bot.emulator.state import EmulatorState

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """POST pending updates one at a time to the webhook, retrying a few times."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        attempts: int = 5,
        first_retry_delay: float = 0.05,
        request_timeout: float = 10.0,
    ) -> None:
        """Bind to the emulator state; nothing runs until start()."""
        self._state = state
        self._attempts = max(1, attempts)
        self._first_retry_delay = first_retry_delay
        self._request_timeout = request_timeout
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the delivery task if it is not running (needs a running event loop)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="emulator-webhook-delivery"
            )

    def stop(self) -> None:
        """Cancel the delivery task."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def aclose(self) -> None:
        """Cancel the delivery task and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        """Deliver pending updates while a webhook is set."""
        async with httpx.AsyncClient(trust_env=False, timeout=self._request_timeout) as client:
            while self._state.webhook_url and not self._state.closing:
                changed = self._state.updates_changed()
                pending = self._state.next_webhook_update()
                if pending is None:
                    await changed.wait()
                    continue
                error = await self._deliver(client, pending.payload)
                if error is not None:
                    logger.warning("webhook gave up on update %s: %s", pending.update_id, error)
                self._state.finish_webhook_delivery(pending, error)

    async def _deliver(self, client: httpx.AsyncClient, payload: dict[str, Any]) -> str | None:
        """POST one update until a 2xx answer; return the last error if every attempt failed."""
        headers = {}
        if self._state.webhook_secret:
            headers[SECRET_HEADER] = self._state.webhook_secret
        error = "no attempt made"
        for attempt in range(self._attempts):
            url = self._state.webhook_url
            if not url:
                return "webhook removed"
            try:
                response = await client.post(url, json=payload, headers=headers)
            except httpx.HTTPError as exc:
                error = f"Connection failed: {exc.__class__.__name__}: {exc}"
            else:
                if 200 <= response.status_code < 300:
                    return None
                error = (
                    "Wrong response from the webhook: "
                    f"{response.status_code} {response.reason_phrase}"
                )
            if attempt + 1 < self._attempts:
                await asyncio.sleep(self._first_retry_delay * 2**attempt)
        return error
