"""Build the webhook payloads of the WhatsApp Cloud API, their ids and their signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
from typing import Any

from bot.emulator.whatsapp.models import WaUser

_counter = itertools.count(1)
SIGNATURE_HEADER = "X-Hub-Signature-256"


def new_wamid(wa_id: str) -> str:
    """Return a fresh message id shaped like Meta's (base64 of the number and a random part)."""
    raw = (
        b"\x15\x02\x00\x11\x18"
        + wa_id.encode()
        + b"\x15\x02\x00\x12\x18\x14"
        + f"{next(_counter):04X}{secrets.token_hex(8).upper()}".encode()
        + b"\x00"
    )
    return "wamid.HBgL" + base64.b64encode(raw).decode()


def new_numeric_id() -> str:
    """Return a fresh numeric Graph object id (media, templates)."""
    return str(10**15 + next(_counter) * 7919 + secrets.randbelow(7919))


def encode(body: dict[str, Any]) -> bytes:
    """Serialize a webhook body as Meta does: compact JSON, non-ASCII escaped as \\uXXXX."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign(app_secret: str, body: bytes) -> str:
    """Return the X-Hub-Signature-256 value: sha256=<hex HMAC-SHA256 of the raw body>."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def contact_json(user: WaUser) -> dict[str, Any]:
    """Return the contacts[] entry of a user (user_id only when the user has a BSUID)."""
    contact: dict[str, Any] = {"profile": {"name": user.name}}
    if not (user.hides_number and user.bsuid):
        contact["wa_id"] = user.wa_id
    if user.bsuid is not None:
        contact["user_id"] = user.bsuid
    return contact


def envelope(
    waba_id: str,
    display_number: str,
    phone_number_id: str,
    value: dict[str, Any],
    field: str = "messages",
) -> dict[str, Any]:
    """Wrap a change value in Meta's object/entry/changes envelope."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_number,
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": field,
                    }
                ],
            }
        ],
    }


def inbound_message(
    user: WaUser,
    wamid: str,
    timestamp: int,
    kind: str,
    content: dict[str, Any],
    context: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return one messages[] entry sent by a user."""
    message: dict[str, Any] = {}
    if context is not None:
        message["context"] = context
    if not (user.hides_number and user.bsuid):
        message["from"] = user.wa_id
    if user.bsuid is not None:
        message["from_user_id"] = user.bsuid
    message.update({"id": wamid, "timestamp": str(timestamp), "type": kind, **content})
    return message


def status_json(
    wamid: str,
    status: str,
    timestamp: int,
    recipient: WaUser,
    *,
    category: str = "service",
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return one statuses[] entry (sent, delivered, read or failed)."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp),
    }
    if not (recipient.hides_number and recipient.bsuid):
        entry["recipient_id"] = recipient.wa_id
    if recipient.bsuid is not None:
        entry["recipient_user_id"] = recipient.bsuid
    if errors:
        entry["errors"] = errors
    else:
        entry["pricing"] = {
            "billable": category != "service",
            "pricing_model": "PMP",
            "category": category,
            "type": "free_customer_service" if category == "service" else "regular",
        }
    return entry
