"""A landlord's photos: downloaded when sent, stripped of their metadata, resized, kept small."""

from __future__ import annotations

import asyncio
import io
import logging
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.channels.base import MediaUnavailable
from bot.features.cells.store import CellRepository
from bot.shared.outbound import Outbound
from bot.storage import Database

logger = logging.getLogger(__name__)

MAX_PHOTOS = 5
# The longest side kept: enough to judge a shop front on a phone.
MAX_SIDE = 1280
# What one photo may weigh once cleaned; the quality steps down until it fits.
MAX_BYTES = 350_000
# What a channel may hand over before it is refused unread (a phone's photo is a few MB).
MAX_SOURCE_BYTES = 10 * 1024 * 1024
# Larger pictures are refused rather than decoded (a small file can unpack into gigabytes).
MAX_PIXELS = 50_000_000
MAX_ATTEMPTS = 5


class PhotoRefused(ValueError):
    """The bytes are no picture we keep (not an image, too big)."""


def clean_photo(data: bytes) -> bytes:
    """Return the picture as a new JPEG: upright, at most MAX_SIDE, no metadata at all."""
    if len(data) > MAX_SOURCE_BYTES:
        raise PhotoRefused(f"{len(data)} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                if source.width * source.height > MAX_PIXELS:
                    raise PhotoRefused(f"{source.width}x{source.height} pixels")
                # The camera's orientation tag is applied, since it is about to be dropped.
                upright = ImageOps.exif_transpose(source)
                picture = upright.convert("RGB")
    except (
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise PhotoRefused(str(exc)) from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    # A fresh image holds pixels only: no EXIF (place, camera, time), no ICC, no comments.
    bare = Image.new("RGB", picture.size)
    bare.paste(picture)
    for quality in (82, 70, 58, 46):
        out = io.BytesIO()
        bare.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_BYTES:
            return out.getvalue()
    bare.thumbnail((MAX_SIDE // 2, MAX_SIDE // 2))
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=60, optimize=True)
    return out.getvalue()


class PhotoFetcher:
    """Download the pictures landlords sent, right after they are stored, and clean them."""

    def __init__(self, db: Database, outbound: Outbound) -> None:
        self._db = db
        self._repo = CellRepository(db)
        self._outbound = outbound
        self._lock = asyncio.Lock()

    async def kick(self) -> None:
        """Fetch once the picture's reference is committed."""
        await self._db.after_unit(self.fetch)

    async def fetch(self) -> int:
        """Download and clean every picture waiting; return how many were kept."""
        kept = 0
        async with self._lock:
            for photo in await self._repo.pending_photos():
                try:
                    raw = await self._outbound.fetch_media(photo.channel, photo.ref)
                    # Decoding and re-encoding is CPU work: off the event loop.
                    clean = await asyncio.to_thread(clean_photo, raw)
                except PhotoRefused as exc:
                    logger.info("photo %d refused: %s", photo.id, exc)
                    async with self._db.transaction():
                        await self._repo.photo_failed(photo.id, final=True)
                    continue
                except Exception as exc:
                    # Unreachable now (or anything unexpected): counted, tried again later.
                    level = logging.WARNING if isinstance(exc, MediaUnavailable) else logging.ERROR
                    logger.log(level, "photo %d not fetched: %s", photo.id, exc)
                    async with self._db.transaction():
                        await self._repo.photo_failed(
                            photo.id, final=photo.attempts + 1 >= MAX_ATTEMPTS
                        )
                    continue
                async with self._db.transaction():
                    await self._repo.photo_ready(photo.id, clean)
                kept += 1
        return kept
