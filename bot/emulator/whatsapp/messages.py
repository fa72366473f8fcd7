"""Validate the JSON the bot POSTs to /{phone_number_id}/messages, with Meta's limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.whatsapp.errors import (
    GraphError,
    invalid_param,
    not_valid,
    required,
    too_long,
)
from bot.emulator.whatsapp.models import MediaObject, Template
from bot.emulator.whatsapp.templates import render_send

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_BUTTON_MAX = 20
SECTIONS_MAX = 10
ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
SECTION_TITLE_MAX = 24
CAPTION_MAX = 1024
MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")
TYPES = ("text", "interactive", "template", "reaction", "location", *MEDIA_KINDS)
# The MIME types a message of each media kind can carry (documents take any uploaded type).
MEDIA_MIME_PREFIXES = {
    "image": ("image/jpeg", "image/png"),
    "sticker": ("image/webp",),
    "audio": ("audio/",),
    "video": ("video/",),
    "document": ("",),
}
_PHONE_SEPARATORS_RE = re.compile(r"[\s+\-().]")


@dataclass
class Outgoing:
    """Hold what a valid message resolves to, before it gets a wamid."""

    to: str
    type: str
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
    template_category: str | None = None
    interactive_type: str | None = None
    # A failure Meta reports only later, in a status webhook.
    async_error: int | None = None


def _obj(payload: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """Return payload[key] if it is an object, else raise "parameter is required"."""
    value = payload.get(key)
    if not isinstance(value, dict):
        raise required(where)
    return value


def _text(payload: dict[str, Any], key: str, where: str) -> str:
    """Return payload[key] if it is a non-empty string, else raise "parameter is required"."""
    value = payload.get(key)
    if not isinstance(value, str) or value == "":
        raise required(where)
    return value


def parse_message(
    payload: Any, templates: Mapping[str, Template], media: Mapping[str, MediaObject]
) -> Outgoing:
    """Check a message payload as the Cloud API does; return its content or raise GraphError."""
    if not isinstance(payload, dict):
        raise invalid_param("Invalid parameter")
    product = payload.get("messaging_product")
    if product is None:
        raise required("messaging_product")
    if product != "whatsapp":
        raise invalid_param(
            f'Param messaging_product must be one of {{WHATSAPP}} - got "{product}".'
        )
    recipient_type = payload.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise invalid_param(
            f'Param recipient_type must be one of {{INDIVIDUAL}} - got "{recipient_type}".'
        )
    to = payload.get("to")
    if not isinstance(to, str) or not to:
        raise required("to")
    wa_id = _PHONE_SEPARATORS_RE.sub("", to)
    if not wa_id.isdigit():
        raise GraphError(131009, details=f"Invalid WhatsApp phone number: {to!r}.")
    kind = payload.get("type", "text")
    if kind not in TYPES:
        raise invalid_param(
            f'Param type must be one of {{{", ".join(t.upper() for t in TYPES)}}} - got "{kind}".'
        )
    context = payload.get("context")
    if context is not None and (
        not isinstance(context, dict) or not isinstance(context.get("message_id"), str)
    ):
        raise required("context['message_id']")
    out = Outgoing(to=wa_id, type=kind)
    if kind == "text":
        _parse_text(payload, out)
    elif kind == "interactive":
        _parse_interactive(payload, out, media)
    elif kind == "template":
        rendered = render_send(payload.get("template"), templates)
        out.text = rendered.text
        out.header = rendered.header
        out.buttons = rendered.buttons
        out.template_name = rendered.translation.name
        out.template_language = rendered.translation.language
        out.template_category = rendered.translation.category
    elif kind == "reaction":
        reaction = _obj(payload, "reaction", "reaction")
        _text(reaction, "message_id", "reaction['message_id']")
        emoji = reaction.get("emoji", "")
        out.text = emoji if isinstance(emoji, str) else ""
    elif kind == "location":
        location = _obj(payload, "location", "location")
        for key in ("latitude", "longitude"):
            if not isinstance(location.get(key), int | float | str):
                raise required(f"location['{key}']")
        out.text = str(location.get("name", ""))
    else:
        _parse_media(kind, payload, out, media)
    return out


def _parse_text(payload: dict[str, Any], out: Outgoing) -> None:
    """Check a text message."""
    text = _obj(payload, "text", "text['body']")
    body = _text(text, "body", "text['body']")
    if len(body) > TEXT_MAX:
        raise too_long("text['body']", TEXT_MAX)
    out.text = body


def _check_media_ref(
    where: str, obj: dict[str, Any], media: Mapping[str, MediaObject]
) -> MediaObject | None:
    """Check an {"id"} or {"link"} media reference; return the uploaded media, if by id."""
    media_id = obj.get("id")
    link = obj.get("link")
    if media_id is None and link is None:
        raise invalid_param(f"Param {where} must contain either id or link.")
    if media_id is not None:
        found = media.get(str(media_id))
        if found is None:
            raise invalid_param(
                f"Param {where}['id'] is not a valid whatsapp business account media attachment ID"
            )
        return found
    if not isinstance(link, str) or not link.startswith(("http://", "https://")):
        raise invalid_param(f"Param {where}['link'] is not a valid URI.")
    return None


def _parse_media(
    kind: str, payload: dict[str, Any], out: Outgoing, media: Mapping[str, MediaObject]
) -> None:
    """Check an image, document, audio, video or sticker message."""
    obj = _obj(payload, kind, kind)
    found = _check_media_ref(kind, obj, media)
    caption = obj.get("caption")
    if caption is not None:
        if kind not in ("image", "video", "document"):
            raise invalid_param(f"Param {kind}['caption'] is not allowed for this media type.")
        if not isinstance(caption, str):
            raise invalid_param(f"Param {kind}['caption'] must be a string.")
        if len(caption) > CAPTION_MAX:
            raise too_long(f"{kind}['caption']", CAPTION_MAX)
        out.text = caption
    filename = obj.get("filename")
    if filename is not None:
        if kind != "document" or not isinstance(filename, str):
            raise invalid_param(f"Param {kind}['filename'] is only allowed for documents.")
        out.filename = filename
    if found is not None:
        out.media_id = found.id
        if not found.mime_type.startswith(MEDIA_MIME_PREFIXES[kind]):
            # Meta accepts the request, then cannot deliver the media as that kind.
            out.async_error = 131053


def _parse_interactive(
    payload: dict[str, Any], out: Outgoing, media: Mapping[str, MediaObject]
) -> None:
    """Check an interactive message (reply buttons, list, call-to-action URL)."""
    interactive = _obj(payload, "interactive", "interactive")
    itype = _text(interactive, "type", "interactive['type']")
    out.interactive_type = itype
    if itype not in ("button", "list", "cta_url"):
        raise invalid_param(
            "Param interactive['type'] must be one of {BUTTON, LIST, CTA_URL} - got "
            f'"{itype}" (other interactive types are not emulated).'
        )
    body = _obj(interactive, "body", "interactive['body']")
    text = _text(body, "text", "interactive['body']['text']")
    if len(text) > INTERACTIVE_BODY_MAX:
        raise too_long("interactive['body']['text']", INTERACTIVE_BODY_MAX)
    out.text = text
    header = interactive.get("header")
    if header is not None:
        _parse_header(itype, header, out, media)
    footer = interactive.get("footer")
    if footer is not None:
        footer_text = (
            _text(footer, "text", "interactive['footer']['text']")
            if isinstance(footer, dict)
            else ""
        )
        if not footer_text:
            raise required("interactive['footer']['text']")
        if len(footer_text) > FOOTER_MAX:
            raise too_long("interactive['footer']['text']", FOOTER_MAX)
        out.footer = footer_text
    action = _obj(interactive, "action", "interactive['action']")
    if itype == "button":
        _parse_buttons(action, out)
    elif itype == "list":
        _parse_list(action, out)
    else:
        _parse_cta_url(action, out)


def _parse_header(
    itype: str, header: Any, out: Outgoing, media: Mapping[str, MediaObject]
) -> None:
    """Check the header of an interactive message (text, or media for reply buttons)."""
    if not isinstance(header, dict):
        raise required("interactive['header']['type']")
    htype = _text(header, "type", "interactive['header']['type']")
    allowed = ("text", "image", "video", "document") if itype == "button" else ("text",)
    if htype not in allowed:
        raise invalid_param(
            f"Param interactive['header']['type'] must be one of "
            f'{{{", ".join(a.upper() for a in allowed)}}} - got "{htype}".'
        )
    if htype == "text":
        text = _text(header, "text", "interactive['header']['text']")
        if len(text) > HEADER_MAX:
            raise too_long("interactive['header']['text']", HEADER_MAX)
        out.header = text
    else:
        found = _check_media_ref(
            f"interactive['header']['{htype}']", _obj(header, htype, htype), media
        )
        out.media_id = found.id if found else None


def _parse_buttons(action: dict[str, Any], out: Outgoing) -> None:
    """Check reply buttons: 1 to 3, titles of 1-20 characters, ids of 1-256, all unique."""
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= BUTTONS_MAX:
        raise not_valid("Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3")
    for k, button in enumerate(buttons):
        where = f"interactive['action']['buttons'][{k}]"
        if not isinstance(button, dict) or button.get("type") != "reply":
            raise invalid_param(f"Param {where}['type'] must be one of {{REPLY}}.")
        reply = _obj(button, "reply", f"{where}['reply']")
        button_id = reply.get("id")
        if not isinstance(button_id, str) or not button_id:
            raise required(f"{where}['reply']['id']")
        if len(button_id) > BUTTON_ID_MAX:
            raise too_long(f"{where}['reply']['id']", BUTTON_ID_MAX)
        title = reply.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= BUTTON_TITLE_MAX:
            raise not_valid("Button title length invalid. Min length: 1, Max length: 20")
        out.buttons.append((button_id, title))
    ids = [b[0] for b in out.buttons]
    if len(set(ids)) != len(ids):
        raise not_valid("Duplicate buttons: every button id must be unique.")
    titles = [b[1] for b in out.buttons]
    if len(set(titles)) != len(titles):
        raise not_valid("Duplicate buttons: every button title must be unique.")


def _parse_list(action: dict[str, Any], out: Outgoing) -> None:
    """Check a list: button text, 1-10 sections, at most 10 rows in all, row limits."""
    button = action.get("button")
    if not isinstance(button, str) or not button:
        raise required("interactive['action']['button']")
    if len(button) > LIST_BUTTON_MAX:
        raise too_long("interactive['action']['button']", LIST_BUTTON_MAX)
    out.list_button = button
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= SECTIONS_MAX:
        raise not_valid(
            "Invalid sections count. Min allowed sections: 1, Max allowed sections: 10"
        )
    total = 0
    for s, section in enumerate(sections):
        if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
            raise required(f"interactive['action']['sections'][{s}]['rows']")
        if not section["rows"]:
            raise not_valid("Invalid rows count in section. Min allowed rows: 1")
        total += len(section["rows"])
        title = section.get("title")
        if len(sections) > 1 and (not isinstance(title, str) or not title):
            raise required(f"interactive['action']['sections'][{s}]['title']")
        if isinstance(title, str) and len(title) > SECTION_TITLE_MAX:
            raise too_long(f"interactive['action']['sections'][{s}]['title']", SECTION_TITLE_MAX)
    if total > ROWS_MAX:
        raise not_valid(f"Total row count exceed max allowed count: {ROWS_MAX}")
    for s, section in enumerate(sections):
        for r, row in enumerate(section["rows"]):
            where = f"interactive['action']['sections'][{s}]['rows'][{r}]"
            if not isinstance(row, dict):
                raise required(f"{where}['id']")
            row_id = row.get("id")
            if not isinstance(row_id, str) or not row_id:
                raise required(f"{where}['id']")
            if len(row_id) > ROW_ID_MAX:
                raise too_long(f"{where}['id']", ROW_ID_MAX)
            title = row.get("title")
            if not isinstance(title, str) or not 1 <= len(title) <= ROW_TITLE_MAX:
                raise not_valid("Row title length invalid. Min length: 1, Max length: 24")
            description = row.get("description", "")
            if not isinstance(description, str) or len(description) > ROW_DESCRIPTION_MAX:
                raise not_valid("Row description length invalid. Max length: 72")
            out.rows.append((row_id, title, description))
    ids = [r[0] for r in out.rows]
    if len(set(ids)) != len(ids):
        raise not_valid("Duplicate rows: every row id must be unique.")


def _parse_cta_url(action: dict[str, Any], out: Outgoing) -> None:
    """Check a call-to-action URL button."""
    if action.get("name") != "cta_url":
        raise invalid_param("Param interactive['action']['name'] must be one of {CTA_URL}.")
    parameters = _obj(action, "parameters", "interactive['action']['parameters']")
    display = _text(
        parameters, "display_text", "interactive['action']['parameters']['display_text']"
    )
    if len(display) > BUTTON_TITLE_MAX:
        raise too_long("interactive['action']['parameters']['display_text']", BUTTON_TITLE_MAX)
    url = _text(parameters, "url", "interactive['action']['parameters']['url']")
    if not url.startswith(("http://", "https://")):
        raise invalid_param("Param interactive['action']['parameters']['url'] is not a valid URI.")
    out.buttons.append((url, display))
