"""The SMTP mailer against a real local server (aiosmtpd): sent, refused, unreachable."""

from __future__ import annotations

import socket
from email.message import EmailMessage

from bot.features.digests.mailer import SmtpMailer
from bot.shared.sending import Delivery
from tests.support import smtp_server


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Échoppe <digest@echoppe.test>"
    mail["To"] = to
    mail["Subject"] = "Digest"
    mail.set_content("Bonjour")
    return mail


async def test_a_message_reaches_the_server_as_sent() -> None:
    with smtp_server() as inbox:
        mailer = SmtpMailer("127.0.0.1", inbox.port, security="none", timeout_s=5)
        assert await mailer.send(message("adl@example.org")) is Delivery.SENT
    [(sender, recipients, _)] = inbox.received
    assert (sender, recipients) == ("digest@echoppe.test", ["adl@example.org"])
    assert inbox.messages()[0]["Subject"] == "Digest"


async def test_a_refused_address_is_final_and_an_unreachable_server_is_retried() -> None:
    with smtp_server() as inbox:
        inbox.refuse.add("gone@example.org")
        mailer = SmtpMailer("127.0.0.1", inbox.port, security="none", timeout_s=5)
        assert await mailer.send(message("gone@example.org")) is Delivery.BLOCKED
        assert inbox.received == []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = int(probe.getsockname()[1])
    down = SmtpMailer("127.0.0.1", closed_port, security="none", timeout_s=5)
    assert await down.send(message("adl@example.org")) is Delivery.FAILED


async def test_starttls_demanded_of_a_server_without_it_is_retried_not_sent_in_clear() -> None:
    with smtp_server() as inbox:
        mailer = SmtpMailer("127.0.0.1", inbox.port, security="starttls", timeout_s=5)
        assert await mailer.send(message("adl@example.org")) is Delivery.FAILED
        assert inbox.received == []


async def test_a_message_refused_for_good_is_final_and_a_slow_acceptance_is_sent_once() -> None:
    with smtp_server() as inbox:
        mailer = SmtpMailer("127.0.0.1", inbox.port, security="none", timeout_s=0.5)
        inbox.data_reply = "554 5.7.1 message refused"
        assert await mailer.send(message("adl@example.org")) is Delivery.BLOCKED
        inbox.data_reply = "451 4.3.0 try again later"
        assert await mailer.send(message("adl@example.org")) is Delivery.FAILED
        # The server takes the message and answers after our timeout: counted as sent,
        # so the next round does not send it a second time.
        inbox.data_reply, inbox.data_delay_s = "250 OK", 1.5
        assert await mailer.send(message("adl@example.org")) is Delivery.SENT
    assert len(inbox.received) == 1
