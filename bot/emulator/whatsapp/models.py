"""Define the value types of the WhatsApp emulator: users, sent messages, templates, media."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.whatsapp.formatting import to_html

PLACEHOLDER_RE = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass(frozen=True)
class WaUser:
    """Describe a WhatsApp user who writes to the business number."""

    wa_id: str
    name: str = "Test"
    # Business-scoped user id; omitted from payloads when None.
    bsuid: str | None = None
    # The person adopted a username and Meta hides their number: payloads carry only the
    # business-scoped user id, and the business writes to them by it ("recipient").
    hides_number: bool = False


@dataclass
class SentMessage:
    """Record one message the bot sent through the Graph API and Meta accepted (HTTP 200)."""

    index: int
    id: str
    to: str
    type: str
    payload: dict[str, Any]
    text: str = ""
    buttons: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    list_button: str | None = None
    header: str | None = None
    footer: str | None = None
    media_id: str | None = None
    filename: str | None = None
    template_name: str | None = None
    template_language: str | None = None
    interactive_type: str | None = None
    # accepted -> sent -> delivered (-> read), or accepted -> failed.
    status: str = "accepted"
    error_code: int | None = None
    at: float = 0.0

    @property
    def formatted(self) -> str:
        """Return the text with WhatsApp formatting rendered as <b>, <i>, <s>, <code>."""
        return to_html(self.text)

    @property
    def failed(self) -> bool:
        """Return True if Meta reported the message as failed."""
        return self.status == "failed"


@dataclass
class TemplateTranslation:
    """Hold one language of a message template, as Meta stores it (its own id and status)."""

    id: str
    name: str
    language: str
    category: str
    status: str
    components: list[dict[str, Any]]

    def component(self, kind: str) -> dict[str, Any] | None:
        """Return the component of that type (BODY, HEADER, FOOTER, BUTTONS), if any."""
        for component in self.components:
            if str(component.get("type", "")).upper() == kind:
                return component
        return None

    @property
    def body(self) -> str:
        """Return the BODY text with its {{n}} placeholders."""
        component = self.component("BODY")
        return str(component.get("text", "")) if component else ""

    @property
    def header_text(self) -> str | None:
        """Return the text of a TEXT header, if any."""
        component = self.component("HEADER")
        if component is None or str(component.get("format", "TEXT")).upper() != "TEXT":
            return None
        return str(component.get("text", ""))

    @property
    def body_params(self) -> int:
        """Return the number of {{n}} placeholders of the body."""
        return placeholder_count(self.body)

    @property
    def header_params(self) -> int:
        """Return the number of {{n}} placeholders of a text header."""
        return placeholder_count(self.header_text or "")

    @property
    def quick_replies(self) -> list[str]:
        """Return the texts of the QUICK_REPLY buttons, in order."""
        component = self.component("BUTTONS")
        buttons = component.get("buttons", []) if component else []
        return [str(b.get("text", "")) for b in buttons if b.get("type") == "QUICK_REPLY"]

    def button_types(self) -> list[str]:
        """Return the types of every button, in order (indexes of send-time components)."""
        component = self.component("BUTTONS")
        buttons = component.get("buttons", []) if component else []
        return [str(b.get("type", "")) for b in buttons]

    def to_json(self) -> dict[str, Any]:
        """Return the template as GET message_templates lists it."""
        return {
            "name": self.name,
            "parameter_format": "POSITIONAL",
            "components": self.components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
        }


@dataclass
class Template:
    """Hold a template name and its languages (each created and approved separately)."""

    name: str
    category: str
    translations: dict[str, TemplateTranslation] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """Return the status shared by every language, or "MIXED" when they differ."""
        statuses = {t.status for t in self.translations.values()}
        return statuses.pop() if len(statuses) == 1 else "MIXED"

    @property
    def languages(self) -> list[str]:
        """Return the language codes, in creation order."""
        return list(self.translations)

    def translation(self, language: str | None = None) -> TemplateTranslation:
        """Return one language (the first created when None)."""
        if language is None:
            return next(iter(self.translations.values()))
        return self.translations[language]


@dataclass
class MediaObject:
    """Hold an uploaded (or user-sent) media file."""

    id: str
    data: bytes
    mime_type: str
    sha256: str
    filename: str | None = None


@dataclass
class WebhookDelivery:
    """Record one webhook: its body and the HTTP status of every POST (None: no answer)."""

    body: dict[str, Any]
    raw: bytes
    statuses: list[int | None] = field(default_factory=list)
    # How long each POST took until the bot's answer, in seconds (for benchmarks).
    durations: list[float] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        """Return True if one POST was answered with 200."""
        return 200 in self.statuses


def placeholder_count(text: str) -> int:
    """Return the highest {{n}} index used in text (0 without placeholders)."""
    numbers = [int(n) for n in PLACEHOLDER_RE.findall(text)]
    return max(numbers, default=0)
