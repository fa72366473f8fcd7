"""`bot.py school` and `bot.py venue`: the registries of the entrepreneurs' path."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from bot.config import Settings
from bot.features.entrepreneurs.registry import Registry, RegistryError
from bot.reference import Reference
from bot.storage.database import opened

BY = "cli"


def school(settings: Settings, action: str, code: str, name: str, territory: str) -> int:
    """Add, list or remove a school; return the exit code."""

    async def act(registry: Registry) -> list[str]:
        if action == "add":
            added = await registry.add_school(code, name, territory, BY)
            return [f"school {added.code} added: {added.name} ({added.territory_id})"]
        if action == "remove":
            done = await registry.remove_school(code)
            return [f"school {code} removed" if done else f"no school {code!r}"]
        return [f"{s.code}\t{s.name}\t{s.territory_id}" for s in await registry.schools()] or [
            "no schools yet"
        ]

    return _run(settings, act)


def venue(
    settings: Settings, action: str, venue_id: int, name: str, address: str, territory: str
) -> int:
    """Add, list or remove a venue; return the exit code."""

    async def act(registry: Registry) -> list[str]:
        if action == "add":
            added = await registry.add_venue(territory, name, address, BY)
            return [f"venue {added.id} added: {added.name}, {added.address}"]
        if action == "remove":
            done = await registry.remove_venue(venue_id)
            return [f"venue {venue_id} removed" if done else f"no venue {venue_id}"]
        venues = await registry.venues(territory or None)
        return [f"{v.id}\t{v.territory_id}\t{v.name}\t{v.address}" for v in venues] or [
            "no venues yet"
        ]

    return _run(settings, act)


def _run(settings: Settings, act: Callable[[Registry], Awaitable[list[str]]]) -> int:
    reference = Reference.load(settings.data_dir)

    async def main() -> list[str]:
        async with opened(settings.database_path) as db:
            return await act(Registry(db, reference))

    try:
        lines = asyncio.run(main())
    except RegistryError as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0
