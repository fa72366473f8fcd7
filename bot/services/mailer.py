"""Send e-mail over SMTP (aiosmtplib), saying what became of it as every channel does."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from bot.config import Settings
from bot.services.sending import Delivery

logger = logging.getLogger(__name__)


class SmtpMailer:
    """Hand messages to one SMTP server, with the settings' security and credentials."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Literal["starttls", "tls", "none"] = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self._host = host
        self._port = port
        self._security = security
        self._username = username
        self._password = password
        self._timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer | None:
        """Return a mailer for the configured server, or None when e-mail is off."""
        if not settings.smtp_host:
            return None
        password = settings.smtp_password
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            timeout_s=settings.smtp_timeout_seconds,
        )

    async def send(self, message: EmailMessage) -> Delivery:
        """Send one message; a refused address is final, anything else is tried again later."""
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                use_tls=self._security == "tls",
                start_tls=self._security == "starttls",
                username=self._username,
                password=self._password,
                timeout=self._timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(500 <= r.code < 600 for r in exc.recipients)
            logger.warning("the SMTP server refused %s: %s", message["To"], exc.recipients)
            return Delivery.BLOCKED if permanent else Delivery.FAILED
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Server down, TLS or login trouble: the next round tries again.
            logger.warning("e-mail to %s not sent (%s); will retry", message["To"], exc)
            return Delivery.FAILED
        return Delivery.SENT
