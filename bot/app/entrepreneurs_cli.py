"""`bot.py school` and `bot.py venue`: the registries of the entrepreneurs' path."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

from bot.app.links import entry_links
from bot.config import Settings
from bot.features.entrepreneurs.coaching import CoachingError, CoachingService, CoachRegistry
from bot.features.entrepreneurs.links import school_start_arg
from bot.features.entrepreneurs.registry import Registry, RegistryError
from bot.features.entrepreneurs.report import CandidateReport, iso_weeks, report_csv
from bot.i18n import translate
from bot.reference import Reference
from bot.storage.database import Database, opened

BY = "cli"
# A coaching report spans at most this many weeks (two years).
MAX_WEEKS = 105


def school(
    settings: Settings, action: str, code: str, name: str, territory: str, lang: str = "fr"
) -> int:
    """Add, list, remove a school or print its links; return the exit code."""

    async def act(registry: Registry) -> list[str]:
        if action == "links":
            if code.strip().lower() not in {s.code for s in await registry.schools()}:
                raise RegistryError(f"no school {code!r} (bot.py school list)")
            links = entry_links(settings, Reference.load(settings.data_dir))
            if not links.channels:
                raise RegistryError(
                    "no channel to send people to: set ECHOPPE_WHATSAPP_NUMBER and/or"
                    " ECHOPPE_BOT_USERNAME (the Telegram bot's @username)"
                )
            arg = school_start_arg(code.strip().lower())
            return [f"{channel}\t{links.link(channel, arg, lang)}" for channel in links.channels]
        if action == "add":
            added = await registry.add_school(code, name, territory, BY)
            return [f"school {added.code} added: {added.name} ({added.territory_id})"]
        if action == "remove":
            done = await registry.remove_school(code)
            return [f"school {code} removed" if done else f"no school {code!r}"]
        return [f"{s.code}\t{s.name}\t{s.territory_id}" for s in await registry.schools()] or [
            "no schools yet"
        ]

    return _registry(settings, act)


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

    return _registry(settings, act)


def coach(
    settings: Settings, action: str, person: str, name: str, territories: str, skills: str
) -> int:
    """Add, list or remove a coach; return the exit code."""
    reference = Reference.load(settings.data_dir)

    async def act(db: Database) -> list[str]:
        registry = CoachRegistry(db, reference)
        if action == "add":
            _, added = await registry.add(
                person, name, territories.split(","), skills.split(","), BY
            )
            # Requests nobody could take in these territories go to the new coach; the
            # running bot tells them within a minute.
            coaching = CoachingService(
                db,
                reference,
                admins=(),
                accept_hours=settings.coach_accept_hours,
                tz=settings.tz,
            )
            async with db.transaction():
                routed = await coaching.reroute_unmatched(added.territories)
            return [
                f"coach {added.name} ({person}) added: {', '.join(added.territories)};"
                f" {', '.join(added.specialities)}"
                + (f"; {routed} waiting request(s) offered to them" if routed else "")
            ]
        if action == "remove":
            done = await registry.remove(person)
            return [f"coach {person} removed" if done else f"{person} is not a coach"]
        return [
            f"{c.channel}:{c.external_id}\t{c.name}\t{','.join(c.territories)}"
            f"\t{','.join(c.specialities)}"
            for c in await registry.listed()
        ] or ["no coaches yet"]

    return _run(settings, act)


def coaching_report(
    settings: Settings, territory: str, date_from: str, date_to: str, out: str
) -> int:
    """Write the candidate entrepreneurs' figures of a territory and period as CSV."""

    async def build(db: Database, first: date, last: date) -> bytes:
        report = CandidateReport(db, settings.anonymity_k)
        return await report_csv(report, territory, first, last, settings.tz)

    return weekly_report(settings, territory, date_from, date_to, out, build)


def weekly_report(
    settings: Settings,
    territory: str,
    date_from: str,
    date_to: str,
    out: str,
    build: Callable[[Database, date, date], Awaitable[bytes]],
) -> int:
    """Check a territory and a span of whole ISO weeks, then write what `build` counts."""
    reference = Reference.load(settings.data_dir)
    if reference.territory(territory) is None:
        known = ", ".join(reference.territories)
        print(f"échoppe: unknown territory {territory!r} ({known})", file=sys.stderr)
        return 2
    try:
        first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError:
        print("échoppe: --from and --to are dates, YYYY-MM-DD", file=sys.stderr)
        return 2
    if last < first:
        print("échoppe: --to is before --from", file=sys.stderr)
        return 2
    weeks = iso_weeks(first, last)
    if len(weeks) > MAX_WEEKS:
        print(f"échoppe: at most {MAX_WEEKS} weeks at a time", file=sys.stderr)
        return 2
    if first != weeks[0][1] or last != weeks[-1][1] + timedelta(days=6):
        # Whole ISO weeks only: a part of a week next to the digest's whole week would tell
        # the rest by subtraction.
        print(
            f"échoppe: counted by whole ISO weeks, {weeks[0][0]} to {weeks[-1][0]}",
            file=sys.stderr,
        )

    async def main() -> bytes:
        async with opened(settings.database_path) as db:
            return await build(db, first, last)

    content = asyncio.run(main())
    if out == "-":
        sys.stdout.write(content.decode("utf-8"))
    else:
        Path(out).write_bytes(content)
        print(f"written to {out}")
    return 0


def _registry(settings: Settings, act: Callable[[Registry], Awaitable[list[str]]]) -> int:
    reference = Reference.load(settings.data_dir)
    return _run(settings, lambda db: act(Registry(db, reference)))


def _run(settings: Settings, act: Callable[[Database], Awaitable[list[str]]]) -> int:
    """Run one command on the database; print its lines, or why it was refused (exit 2)."""

    async def main() -> list[str]:
        async with opened(settings.database_path) as db:
            return await act(db)

    try:
        lines = asyncio.run(main())
    except RegistryError as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    except CoachingError as exc:
        print(f"échoppe: {translate('en', exc.key, **exc.params)}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0
