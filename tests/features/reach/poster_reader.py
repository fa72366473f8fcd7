"""Read a poster back as a person and a printer would: its page size, its text, its QR codes."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp

POINTS_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class ReadPoster:
    """What a PDF poster shows."""

    width_mm: float
    height_mm: float
    text: str
    qr_codes: list[str]
    fonts_embedded: bool


def read_poster(pdf: bytes) -> ReadPoster:
    """Render the first page at 200 dpi, read its text and decode every QR code on it."""
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    width, height = page.get_size()
    text = page.get_textpage().get_text_range()
    image = page.render(scale=200 / 72).to_pil()
    codes = [result.text for result in zxingcpp.read_barcodes(image)]
    return ReadPoster(
        width_mm=width / POINTS_PER_MM,
        height_mm=height / POINTS_PER_MM,
        # pdfium gives lines as they are laid out: rejoin them to search whole sentences.
        text=" ".join(text.split()),
        qr_codes=codes,
        fonts_embedded=b"/FontFile2" in pdf,
    )
