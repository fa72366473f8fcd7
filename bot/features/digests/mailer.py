"""Send e-mail over SMTP (aiosmtplib), saying what became of it as every channel does."""

from __future__ import annotations

import contextlib
import email.policy
import logging
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Literal

import aiosmtplib

from bot.config import Settings
from bot.log_redaction import redact_in_logs
from bot.shared.sending import Delivery

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
        if password is not None:
            redact_in_logs(password.get_secret_value())
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            timeout_s=settings.smtp_timeout_seconds,
        )

    async def send(self, message: EmailMessage) -> Delivery:
        """Send one message, saying what became of it.

        Before the message is handed over, any trouble means "try again later", except a
        recipient refused for good (5xx). Once it is handed over (DATA), a timeout or a lost
        connection counts as sent: the server may well have it, and twice is worse than not
        knowing. A 5xx answer to the message itself is final too.
        """
        sender = parseaddr(str(message["From"]))[1]
        recipient = str(message["To"])
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._security == "tls",
            start_tls=self._security == "starttls",
            username=self._username,
            password=self._password,
            timeout=self._timeout_s,
        )
        try:
            return await self._hand_over(client, sender, recipient, message)
        finally:
            if client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await client.quit()
            client.close()

    async def _hand_over(
        self, client: aiosmtplib.SMTP, sender: str, recipient: str, message: EmailMessage
    ) -> Delivery:
        try:
            await client.connect()
            await client.mail(sender)
            await client.rcpt(recipient)
        except aiosmtplib.SMTPRecipientRefused as exc:
            logger.warning("the SMTP server refused %s: %s %s", recipient, exc.code, exc.message)
            return Delivery.BLOCKED if 500 <= exc.code < 600 else Delivery.FAILED
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Server down, TLS or login trouble: nothing was handed over; the next round.
            logger.warning("e-mail to %s not sent (%s); will retry", recipient, exc)
            return Delivery.FAILED
        try:
            await client.data(message.as_bytes(policy=email.policy.SMTP))
        except aiosmtplib.SMTPDataError as exc:
            logger.warning("the SMTP server refused the message to %s: %s", recipient, exc)
            return Delivery.BLOCKED if 500 <= exc.code < 600 else Delivery.FAILED
        except (aiosmtplib.SMTPException, OSError) as exc:
            logger.warning("e-mail to %s handed over, then %s; counted as sent", recipient, exc)
            return Delivery.SENT
        return Delivery.SENT
