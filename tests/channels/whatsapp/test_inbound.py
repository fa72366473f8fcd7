"""Reading WhatsApp webhooks: signatures, several messages at once, every kind of message."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from bot.channels.base import IncomingKind
from bot.channels.whatsapp.client import is_bsuid
from bot.channels.whatsapp.inbound import read_webhook, signature_ok, to_incoming

SECRET = "app-secret"


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _hook(
    *messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "32460000000", "phone_number_id": "1"},
        "contacts": [{"profile": {"name": "Ann"}, "wa_id": "32470000001"}],
        "messages": list(messages),
    }
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "2", "changes": [{"value": value, "field": "messages"}]}],
    }


def _message(wamid: str, ts: int, kind: str, **content: Any) -> dict[str, Any]:
    return {"from": "32470000001", "id": wamid, "timestamp": str(ts), "type": kind, **content}


def test_only_the_right_signature_of_the_exact_body_passes() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    assert signature_ok(body, _sign(body), SECRET)
    assert not signature_ok(body, _sign(body, "other"), SECRET)
    assert not signature_ok(body + b" ", _sign(body), SECRET)
    assert not signature_ok(body, None, SECRET)
    assert not signature_ok(body, _sign(body).removeprefix("sha256="), SECRET)


def test_messages_of_one_post_are_read_in_the_order_they_were_written() -> None:
    hook = read_webhook(
        _hook(
            _message("wamid.2", 200, "text", text={"body": "second"}),
            _message("wamid.1", 100, "text", text={"body": "first"}),
            statuses=[
                {
                    "id": "wamid.out",
                    "status": "failed",
                    "timestamp": "300",
                    "recipient_id": "32470000002",
                    "errors": [{"code": 131047, "title": "Re-engagement message"}],
                }
            ],
        )
    )
    assert [m.wamid for m in hook.messages] == ["wamid.1", "wamid.2"]
    assert hook.messages[0].name == "Ann"
    assert [(s.status, s.error_code) for s in hook.statuses] == [("failed", 131047)]


def test_texts_commands_and_words_for_commands() -> None:
    def incoming(text: str) -> tuple[IncomingKind, str, str]:
        [m] = read_webhook(_hook(_message("w", 1, "text", text={"body": text}))).messages
        msg = to_incoming(m)
        assert msg is not None
        return msg.kind, msg.command, msg.args

    assert incoming("Le loyer est trop cher")[0] is IncomingKind.TEXT
    assert incoming("/barometer") == (IncomingKind.COMMAND, "barometer", "")
    assert incoming("Aide") == (IncomingKind.COMMAND, "help", "")
    assert incoming("hulp!") == (IncomingKind.COMMAND, "help", "")
    assert incoming("start core_bru_flagey") == (IncomingKind.COMMAND, "start", "core_bru_flagey")
    # A word that only starts a sentence is not a command.
    assert incoming("profil de mes clients a changé")[0] is IncomingKind.TEXT


def test_taps_and_non_text_messages() -> None:
    def only(message: dict[str, Any]) -> Any:
        [m] = read_webhook(_hook(message)).messages
        return to_incoming(m)

    tap = only(
        _message(
            "w1",
            1,
            "interactive",
            context={"from": "32460000000", "id": "wamid.bot"},
            interactive={"type": "button_reply", "button_reply": {"id": "c:y:3", "title": "Yes"}},
        )
    )
    assert (tap.kind, tap.button_data, tap.message_ref) == (
        IncomingKind.BUTTON,
        "c:y:3",
        "wamid.bot",
    )
    row = only(
        _message(
            "w2", 2, "interactive", interactive={"type": "list_reply", "list_reply": {"id": "r:1"}}
        )
    )
    assert (row.kind, row.button_data) == (IncomingKind.BUTTON, "r:1")
    voice = only(_message("w3", 3, "audio", audio={"id": "m", "voice": True}))
    assert (voice.kind, voice.content_type) == (IncomingKind.UNSUPPORTED, "voice")
    photo = only(_message("w4", 4, "image", image={"id": "m"}))
    assert (photo.kind, photo.content_type) == (IncomingKind.UNSUPPORTED, "photo")
    assert only(_message("w5", 5, "reaction", reaction={"emoji": "👍"})) is None
    odd = only(_message("w6", 6, "unsupported"))
    assert (odd.kind, odd.content_type) == (IncomingKind.UNSUPPORTED, "other")


def test_a_sender_known_only_by_a_business_scoped_id_is_not_dropped() -> None:
    message = {"from_user_id": "BE.1234567890", "id": "w9", "timestamp": "9", "type": "text"}
    message["text"] = {"body": "hello"}
    [found] = read_webhook(_hook(message)).messages
    assert found.wa_id == "BE.1234567890"
    assert found.bsuid == "BE.1234567890" and is_bsuid(found.wa_id)


def test_a_number_and_its_business_scoped_id_come_together() -> None:
    message = {"from": "32470001", "from_user_id": "BE.77Ab", "id": "w8", "timestamp": "8"}
    message |= {"type": "text", "text": {"body": "hello"}}
    [found] = read_webhook(_hook(message)).messages
    assert (found.wa_id, found.bsuid) == ("32470001", "BE.77Ab")
    assert not is_bsuid(found.wa_id)
