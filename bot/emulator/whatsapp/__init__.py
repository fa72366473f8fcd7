"""Emulate Meta's WhatsApp Business Cloud API locally so the real bot can be driven over HTTP."""

from bot.emulator.whatsapp.errors import GraphError
from bot.emulator.whatsapp.formatting import to_html
from bot.emulator.whatsapp.models import (
    MediaObject,
    SentMessage,
    Template,
    TemplateTranslation,
    WaUser,
    WebhookDelivery,
)
from bot.emulator.whatsapp.server import WhatsAppEmulator

__all__ = [
    "GraphError",
    "MediaObject",
    "SentMessage",
    "Template",
    "TemplateTranslation",
    "WaUser",
    "WebhookDelivery",
    "WhatsAppEmulator",
    "to_html",
]
