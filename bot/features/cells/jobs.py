"""The cells' jobs: photos still to download, landlords to ask, listings to take down."""

from __future__ import annotations

from datetime import timedelta

from bot.features.cells.photos import PhotoFetcher
from bot.features.cells.service import CellService
from bot.shared.jobs import Job

PHOTOS_EVERY = timedelta(minutes=1)
DUE_EVERY = timedelta(minutes=15)


def jobs(cells: CellService, photos: PhotoFetcher) -> list[Job]:
    """Return the photo download retry and the expiry round."""

    async def due() -> None:
        await cells.run_due()

    return [
        Job("cell_photos", photos.fetch, PHOTOS_EVERY, timedelta(seconds=20)),
        Job("cells", due, DUE_EVERY, timedelta(seconds=50)),
    ]
