"""POST signed webhooks to the bot as Meta does: retries, and optional duplicates or reordering."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

from bot.emulator.whatsapp.models import WebhookDelivery
from bot.emulator.whatsapp.payloads import SIGNATURE_HEADER, encode, sign

logger = logging.getLogger(__name__)

USER_AGENT = "facebookexternalua"


class WebhookSender:
    """Sign and POST webhook bodies to one URL, retrying those not answered with 200."""

    def __init__(
        self,
        app_secret: str,
        retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0),
        request_timeout: float = 10.0,
    ) -> None:
        """Configure the sender; open() must run before anything is sent."""
        self.app_secret = app_secret
        self.retry_delays = retry_delays
        self.url: str | None = None
        self.duplicate = False
        self.last_status: int | None = None
        self.log: list[WebhookDelivery] = []
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._hold = 0
        self._held: list[WebhookDelivery] = []

    async def open(self) -> None:
        """Open the HTTP client session (on the running loop)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, trust_env=False)

    async def close(self) -> None:
        """Close the HTTP client session; held webhooks are dropped."""
        session, self._session = self._session, None
        self._held.clear()
        self._hold = 0
        if session is not None:
            await session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """Return the open client session."""
        if self._session is None:
            raise RuntimeError("the WhatsApp emulator is not running")
        return self._session

    def reorder_next(self, n: int) -> None:
        """Hold the next n webhooks, then deliver them in reverse order."""
        if n < 0:
            raise ValueError("n must be >= 0")
        self._hold = n

    async def release_held(self) -> None:
        """Deliver the webhooks held so far (in reverse order) without waiting for more."""
        self._hold = 0
        batch, self._held = list(reversed(self._held)), []
        for delivery in batch:
            await self._deliver(delivery)

    async def send(self, body: dict[str, Any]) -> WebhookDelivery:
        """Deliver one webhook body; a held one returns at once, undelivered."""
        delivery = WebhookDelivery(body=body, raw=encode(body))
        self.log.append(delivery)
        if self._hold > 0:
            self._held.append(delivery)
            self._hold -= 1
            if self._hold == 0:
                await self.release_held()
            return delivery
        await self._deliver(delivery)
        return delivery

    async def _deliver(self, delivery: WebhookDelivery) -> None:
        """POST a webhook until answered with 200 (twice over when duplicating)."""
        if self.url is None:
            logger.warning("no webhook_url set: webhook dropped")
            delivery.statuses.append(None)
            self.last_status = None
            return
        signature = sign(self.app_secret, delivery.raw)
        for _copy in range(2 if self.duplicate else 1):
            for delay in (0.0, *self.retry_delays):
                if delay:
                    await asyncio.sleep(delay)
                started = time.monotonic()
                status = await self.post(delivery.raw, signature)
                delivery.durations.append(time.monotonic() - started)
                delivery.statuses.append(status)
                if status == 200:
                    break
            else:
                logger.warning("webhook gave up after %d attempts", 1 + len(self.retry_delays))

    async def post(self, raw: bytes, signature: str | None) -> int | None:
        """POST raw bytes once with that signature header; return the status (None: no answer)."""
        url = self.url
        if url is None:
            logger.warning("no webhook_url set: webhook dropped")
            self.last_status = None
            return None
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        status: int | None
        try:
            async with self.session.post(url, data=raw, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.info("webhook POST to %s failed: %s", url, exc)
            status = None
        self.last_status = status
        return status
