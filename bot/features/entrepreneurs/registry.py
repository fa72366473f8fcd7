"""Register the schools and venues of the entrepreneurs' path, with checked input."""

from __future__ import annotations

import re

from bot.features.entrepreneurs.store import RegistryRepository, School, Venue
from bot.reference import Reference
from bot.shared.text import clean_text
from bot.storage import Database

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,19}$")
MAX_NAME = 80
MAX_ADDRESS = 160


class RegistryError(ValueError):
    """Input refused, with a reason to show."""


class Registry:
    """Schools (a name, a territory, a short code) and public venues (a name and an address)."""

    def __init__(self, db: Database, reference: Reference) -> None:
        self._db = db
        self._repo = RegistryRepository(db)
        self._ref = reference

    def _territory(self, territory_id: str) -> str:
        if self._ref.territory(territory_id) is None:
            known = ", ".join(self._ref.territories)
            raise RegistryError(f"unknown territory {territory_id!r} ({known})")
        return territory_id

    @staticmethod
    def _text(value: str, what: str, limit: int) -> str:
        text = clean_text(value, max_chars=limit + 1)
        if not text:
            raise RegistryError(f"the {what} is empty")
        if len(text) > limit:
            raise RegistryError(f"the {what} is over {limit} characters")
        return text

    async def add_school(self, code: str, name: str, territory_id: str, by: str) -> School:
        """Register a school under a short code (its QR code and links carry the code)."""
        code = code.strip().lower()
        if not _CODE.match(code):
            raise RegistryError("the code is 2 to 20 lower-case letters, digits or dashes")
        school = School(code, self._text(name, "name", MAX_NAME), self._territory(territory_id))
        async with self._db.transaction():
            if not await self._repo.add_school(school.code, school.name, school.territory_id, by):
                raise RegistryError(f"the code {code!r} is taken")
        return school

    async def schools(self) -> list[School]:
        """Return the current schools."""
        return await self._repo.schools()

    async def remove_school(self, code: str) -> bool:
        """Remove a school (its past pupils keep their records)."""
        async with self._db.transaction():
            return await self._repo.remove_school(code.strip().lower())

    async def add_venue(self, territory_id: str, name: str, address: str, by: str) -> Venue:
        """Register a public venue for coaching appointments."""
        territory = self._territory(territory_id)
        venue_name = self._text(name, "name", MAX_NAME)
        venue_address = self._text(address, "address", MAX_ADDRESS)
        async with self._db.transaction():
            venue_id = await self._repo.add_venue(territory, venue_name, venue_address, by)
        return Venue(venue_id, territory, venue_name, venue_address)

    async def venues(self, territory_id: str | None = None) -> list[Venue]:
        """Return the current venues, in a territory or everywhere."""
        if territory_id is not None:
            self._territory(territory_id)
        return await self._repo.venues(territory_id)

    async def remove_venue(self, venue_id: int) -> bool:
        """Remove a venue."""
        async with self._db.transaction():
            return await self._repo.remove_venue(venue_id)
