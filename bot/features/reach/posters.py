"""Print-ready posters (A4) and counter cards (A6) for one shopping area, with their QR codes.

Each QR code holds a direct link into the bot (WhatsApp, Telegram), tagged with the core and
the campaign, so that a poster works even when Échoppe's server is down; the short address
printed under it ({public_url}/go/<code>) is for people who type. Fonts are embedded (DejaVu,
shipped with matplotlib), so the file is the same on any machine.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import matplotlib
import segno
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from PIL import Image, ImageDraw, ImageFont

from bot.features.reach.links import Campaign, EntryLinks, EntryPoint
from bot.i18n import translate
from bot.reference import Core

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_CHANNEL_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram"}
# Colours of the print: a dark ink, the brand's terracotta, a light panel.
_INK = (32, 32, 40)
_BRAND = (176, 74, 42)
_PANEL = (246, 240, 232)


@dataclass(frozen=True)
class _Format:
    """A sheet's size and the sizes on it, in millimetres and points."""

    name: str
    width: float
    height: float
    margin: float
    qr: float
    title_pt: float
    core_pt: float
    text_pt: float
    small_pt: float


A4 = _Format("A4", 210, 297, 16, 62, 30, 34, 14, 10)
A6 = _Format("A6", 105, 148, 7, 38, 13, 17, 8, 6.5)


@dataclass(frozen=True)
class PosterCode:
    """One QR code as printed: its channel, the link it holds, the short address under it."""

    channel: str
    url: str
    short_url: str | None


def poster_languages(value: str) -> tuple[str, ...]:
    """Return the poster's languages from "fr", "nl" or "fr+nl"."""
    langs = tuple(part.strip() for part in value.split("+") if part.strip())
    if (
        not langs
        or any(lang not in ("fr", "nl") for lang in langs)
        or len(set(langs)) != len(langs)
    ):
        raise ValueError("--lang is fr, nl or fr+nl")
    return langs


def codes_for(links: EntryLinks, core: Core, campaign: Campaign, lang: str) -> list[PosterCode]:
    """Return the QR codes of a core for a campaign, one per channel people can be sent to."""
    codes = []
    for channel in links.channels:
        entry = EntryPoint(channel, core.id, campaign)
        codes.append(PosterCode(channel, links.url(entry, lang), links.short_url(entry)))
    return codes


def render_poster(
    links: EntryLinks,
    core: Core,
    langs: Sequence[str],
    *,
    card: bool = False,
    created: datetime | None = None,
) -> bytes:
    """Return a poster (A4) or a counter card (A6) for a core, as PDF bytes."""
    sheet = A6 if card else A4
    campaign = Campaign.COUNTER if card else Campaign.POSTER
    codes = codes_for(links, core, campaign, langs[0])
    if not codes:
        raise ValueError("no channel to send people to: set ECHOPPE_WHATSAPP_NUMBER or a bot")
    pdf = FPDF(orientation="P", unit="mm", format=(sheet.width, sheet.height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(sheet.margin, sheet.margin, sheet.margin)
    pdf.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    core_names = list(dict.fromkeys(core.name(lang) for lang in langs))
    pdf.set_title(f"Échoppe · {' · '.join(core_names)}")
    pdf.set_author("Échoppe")
    if created is not None:
        # The same content gives the same file (no "now" hidden in it).
        pdf.set_creation_date(created)
    pdf.add_page()
    width = sheet.width - 2 * sheet.margin

    def write(text: str, size: float, *, bold: bool = False, align: str = "L") -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(width, size * 0.45, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def height(text: str, size: float, *, bold: bool = False) -> float:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        measured = pdf.multi_cell(
            width, size * 0.45, text, dry_run=True, output=MethodReturnValue.HEIGHT
        )
        assert isinstance(measured, float | int)
        return float(measured)

    # A band with the name.
    band = sheet.margin + sheet.title_pt * 0.9
    pdf.set_fill_color(*_BRAND)
    pdf.rect(0, 0, sheet.width, band, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(sheet.margin, sheet.margin * 0.6)
    write("Échoppe", sheet.title_pt * 0.8, bold=True)

    # The QR panel at the foot, then the privacy line under it; the text fills what is left.
    privacy = [translate(lang, "poster.privacy") for lang in langs]
    privacy_height = sum(height(line, sheet.small_pt) for line in privacy)
    panel_top = (
        sheet.height
        - sheet.margin * 0.8
        - privacy_height
        - sheet.small_pt * 1.2
        - sheet.qr
        - sheet.text_pt * 0.9
        - sheet.margin * 0.6
    )

    # The title in each language, the core's name, then the pitch, smaller until it fits.
    pdf.set_text_color(*_INK)
    pdf.set_y(band + sheet.margin * 0.5)
    for lang in langs:
        size = sheet.title_pt if lang == langs[0] else sheet.title_pt * 0.7
        write(translate(lang, "poster.title"), size, bold=True)
    pdf.ln(sheet.margin * 0.3)
    pdf.set_text_color(*_BRAND)
    write(" · ".join(core_names), sheet.core_pt, bold=True)
    pdf.set_text_color(*_INK)
    pdf.ln(sheet.margin * 0.3)
    key = "poster.card_pitch" if card else "poster.pitch"
    pitches = [translate(lang, key) for lang in langs]
    room = panel_top - pdf.get_y() - sheet.margin * 0.3
    size = sheet.text_pt
    while size > sheet.small_pt and (
        sum(height(text, size) + size * 0.2 for text in pitches) > room
    ):
        size -= 0.5
    for text in pitches:
        write(text, size)
        pdf.ln(size * 0.2)

    # The QR codes side by side on a light panel, each with its channel and short address.
    pdf.set_fill_color(*_PANEL)
    pdf.rect(0, panel_top, sheet.width, sheet.height - panel_top, style="F")
    slot = width / len(codes)
    top = panel_top + sheet.margin * 0.6
    for index, code in enumerate(codes):
        left = sheet.margin + slot * index
        label = " / ".join(
            dict.fromkeys(
                translate(lang, "poster.scan", channel=_CHANNEL_NAMES[code.channel])
                for lang in langs
            )
        )
        pdf.set_font("DejaVu", "B", sheet.text_pt)
        pdf.set_xy(left, top)
        pdf.cell(slot, sheet.text_pt * 0.4, label, align="C")
        qr_top = top + sheet.text_pt * 0.6
        pdf.image(_qr_png(code.url), x=left + (slot - sheet.qr) / 2, y=qr_top, w=sheet.qr)
        if code.short_url:
            pdf.set_font("DejaVu", "", sheet.small_pt)
            pdf.set_xy(left, qr_top + sheet.qr + 1)
            pdf.cell(slot, sheet.small_pt * 0.45, _bare(code.short_url), align="C")

    # What happens with what people say, a line per language.
    pdf.set_y(sheet.height - sheet.margin * 0.8 - privacy_height)
    for line in privacy:
        write(line, sheet.small_pt, align="C")
    return bytes(pdf.output())


def invitation_card(codes: Sequence[tuple[str, str]]) -> bytes:
    """Return a PNG to show on a phone: one QR code per app, each with its name above it."""
    images = [Image.open(_qr_png(url, scale=8)) for _, url in codes]
    side = max(image.size[0] for image in images)
    label_height = 64
    card = Image.new("RGB", (side * len(images), side + label_height), "white")
    font = ImageFont.truetype(str(_FONTS / "DejaVuSans-Bold.ttf"), 32)
    draw = ImageDraw.Draw(card)
    for index, ((label, _), image) in enumerate(zip(codes, images, strict=True)):
        left = side * index
        width = draw.textlength(label, font=font)
        draw.text((left + (side - width) / 2, 16), label, fill=_INK, font=font)
        card.paste(image.convert("RGB"), (left, label_height))
    out = io.BytesIO()
    card.save(out, format="PNG", optimize=True)
    return out.getvalue()


def channel_name(channel: str) -> str:
    """Return an app's name as people know it."""
    return _CHANNEL_NAMES.get(channel, channel)


def _qr_png(url: str, scale: int = 10) -> io.BytesIO:
    """Return a QR code as a PNG (error correction M: a smudged poster still scans)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    out.seek(0)
    return out


def _bare(url: str) -> str:
    """Return a URL as people type it: without the scheme."""
    return url.removeprefix("https://").removeprefix("http://")
