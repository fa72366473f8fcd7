"""Read WhatsApp webhooks: check the signature, and turn messages into user actions."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import IncomingKind, IncomingMessage
from bot.channels.whatsapp.links import core_tag
from bot.channels.whatsapp.render import CHANNEL

# Words people type instead of commands (WhatsApp has no command menu), in fr, nl and en.
COMMAND_WORDS: dict[str, str] = {
    "start": "start",
    "menu": "menu",
    "aide": "help",
    "help": "help",
    "hulp": "help",
    "profil": "profile",
    "profile": "profile",
    "profiel": "profile",
    "historique": "history",
    "history": "history",
    "geschiedenis": "history",
    "baromètre": "barometer",
    "barometre": "barometer",
    "barometer": "barometer",
    "langue": "language",
    "language": "language",
    "taal": "language",
    "mydata": "mydata",
    "forget": "forget",
    "privacy": "privacy",
    "confidentialité": "privacy",
    # Join this account to the same person's on the other app.
    "link": "link",
    "lier": "link",
    "koppelen": "link",
    # Announcements off (WhatsApp's expected opt-out words).
    "stop": "stop",
    "arrêt": "stop",
    "arret": "stop",
    "stoppen": "stop",
}
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:\s+(.*))?$", re.DOTALL)
# Kinds of message a person can send that are not text, as Meta names them.
NON_TEXT = {
    "image": "photo",
    "video": "video",
    "document": "document",
    "sticker": "sticker",
    "location": "location",
    "contacts": "contact",
}


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Check Meta's X-Hub-Signature-256 (HMAC-SHA256 of the raw body), in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").strip().lower(), expected)


@dataclass(frozen=True)
class InboundMessage:
    """One message a person sent, as Meta delivered it."""

    wa_id: str
    wamid: str
    timestamp: int
    message: dict[str, Any]
    name: str = ""
    # The business-scoped user id Meta gives the person (with or without their number).
    bsuid: str = ""

    @property
    def event_key(self) -> str:
        """Return the key the message is applied once under."""
        return f"wa:{self.wamid}"


@dataclass(frozen=True)
class StatusUpdate:
    """What became of a message the bot sent: sent, delivered, read or failed (with a code)."""

    wamid: str
    wa_id: str
    status: str
    timestamp: int
    error_code: int | None = None


@dataclass
class Webhook:
    """Everything one webhook POST carried."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    # People who stopped marketing messages from Meta's own menu.
    stopped_marketing: list[str] = field(default_factory=list)


def read_webhook(body: dict[str, Any]) -> Webhook:
    """Collect messages, statuses and preferences from a webhook, messages in time order."""
    found = Webhook()
    for entry in body.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            names: dict[str, str] = {}
            for contact in value.get("contacts") or []:
                name = str((contact.get("profile") or {}).get("name", ""))
                for key in ("wa_id", "user_id"):
                    if contact.get(key):
                        names[str(contact[key])] = name
            for message in value.get("messages") or []:
                # A person whose number Meta hides has only a business-scoped user id.
                bsuid = str(message.get("from_user_id") or "")
                wa_id, wamid = str(message.get("from") or bsuid), str(message.get("id", ""))
                if not wa_id or not wamid:
                    continue
                found.messages.append(
                    InboundMessage(
                        wa_id,
                        wamid,
                        _int(message.get("timestamp")),
                        message,
                        names.get(wa_id, ""),
                        bsuid,
                    )
                )
            for status in value.get("statuses") or []:
                errors = status.get("errors") or [{}]
                code = errors[0].get("code")
                found.statuses.append(
                    StatusUpdate(
                        wamid=str(status.get("id", "")),
                        wa_id=str(
                            status.get("recipient_id") or status.get("recipient_user_id") or ""
                        ),
                        status=str(status.get("status", "")),
                        timestamp=_int(status.get("timestamp")),
                        error_code=int(code) if code is not None else None,
                    )
                )
            for preference in value.get("user_preferences") or []:
                if (
                    preference.get("category") == "marketing_messages"
                    and preference.get("value") == "stop"
                ):
                    who = preference.get("wa_id") or preference.get("user_id") or ""
                    if who:
                        found.stopped_marketing.append(str(who))
    # Several messages in one POST may come in any order: apply them as they were written.
    found.messages.sort(key=lambda m: m.timestamp)
    return found


def to_incoming(inbound: InboundMessage) -> IncomingMessage | None:
    """Convert a WhatsApp message into a user action, or None for what needs no answer."""
    message = inbound.message
    kind = str(message.get("type", ""))
    context = message.get("context") or {}

    def make(incoming_kind: IncomingKind, **fields: str) -> IncomingMessage:
        return IncomingMessage(
            channel=CHANNEL,
            user_ref=inbound.wa_id,
            event_key=inbound.event_key,
            kind=incoming_kind,
            display_name=inbound.name,
            **fields,
        )

    if kind == "text":
        text = str((message.get("text") or {}).get("body", ""))
        tagged = core_tag(text)
        if tagged is not None:
            # The pre-filled first message of a poster's link: /start with its core.
            return make(IncomingKind.COMMAND, text=text, command="start", args=tagged)
        command = _command(text)
        if command is not None:
            return make(IncomingKind.COMMAND, text=text, command=command[0], args=command[1])
        return make(IncomingKind.TEXT, text=text)
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return make(
            IncomingKind.BUTTON,
            button_data=str(reply.get("id", "")),
            message_ref=str(context.get("id", "")),
        )
    if kind == "button":
        # A quick-reply button of a template message.
        tapped = message.get("button") or {}
        return make(
            IncomingKind.BUTTON,
            button_data=str(tapped.get("payload", "")),
            message_ref=str(context.get("id", "")),
        )
    if kind == "reaction":
        return None
    if kind == "image":
        # A picture: a flow waiting for one (an empty shop's photos) may take it.
        image = message.get("image") or {}
        return make(
            IncomingKind.UNSUPPORTED,
            content_type="photo",
            text=str(image.get("caption", "")),
            image_ref=str(image.get("id", "")),
        )
    if kind == "audio":
        voice = bool((message.get("audio") or {}).get("voice"))
        return make(IncomingKind.UNSUPPORTED, content_type="voice" if voice else "audio")
    return make(IncomingKind.UNSUPPORTED, content_type=NON_TEXT.get(kind, "other"))


def _command(text: str) -> tuple[str, str] | None:
    stripped = text.strip()
    slashed = _COMMAND.match(stripped)
    if slashed is not None:
        return slashed[1].lower(), (slashed[2] or "").strip()
    words = stripped.split(maxsplit=1)
    if len(words) == 1 or (words and COMMAND_WORDS.get(words[0].lower()) in ("start", "link")):
        name = COMMAND_WORDS.get(words[0].lower().strip(".!?"))
        if name is not None:
            return name, (words[1].strip() if len(words) > 1 else "")
    return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
