"""`bot.py posters` and `bot.py campaigns`: print-ready posters, and where people come from."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app.links import entry_links
from bot.config import Settings
from bot.features.reach.admin_flow import default_languages
from bot.features.reach.links import CORE_CAMPAIGNS, Campaign, EntryPoint
from bot.features.reach.posters import poster_languages, render_poster
from bot.features.reach.service import CampaignLine, CampaignService
from bot.reference import Reference
from bot.storage.database import opened


def posters(
    settings: Settings, territory_id: str, core_id: str | None, lang: str | None, out: Path
) -> int:
    """Write an A4 poster and an A6 counter card per core; return the exit code."""
    reference = Reference.load(settings.data_dir)
    territory = reference.territory(territory_id)
    if territory is None:
        return _refuse(f"unknown territory {territory_id!r} ({', '.join(reference.territories)})")
    cores = list(territory.cores)
    if core_id is not None:
        cores = [c for c in cores if c.id == core_id]
        if not cores:
            return _refuse(f"no core {core_id!r} in {territory_id}")
    try:
        langs = poster_languages(lang) if lang else None
    except ValueError as exc:
        return _refuse(str(exc))
    if settings.public_url is None:
        return _refuse(
            "set ECHOPPE_PUBLIC_URL (the public address of the bot's web server): the short"
            " address under each QR code is {ECHOPPE_PUBLIC_URL}/go/<code>"
        )
    links = entry_links(settings, reference)
    if not links.channels:
        return _refuse(
            "no channel to send people to: set ECHOPPE_WHATSAPP_NUMBER and/or"
            " ECHOPPE_BOT_USERNAME (the Telegram bot's @username)"
        )
    out.mkdir(parents=True, exist_ok=True)
    # One date for the whole batch: files made again from the same data are the same.
    made = datetime.now(UTC).replace(microsecond=0)
    written = 0
    for core in cores:
        chosen = langs or default_languages(core)
        for card in (False, True):
            kind = "card" if card else "poster"
            path = out / f"{core.id}-{kind}.pdf"
            path.write_bytes(render_poster(links, core, chosen, card=card, created=made))
            written += 1
    print(f"{written} file(s) written to {out} ({', '.join(links.channels)})")
    return 0


def links(settings: Settings, core_id: str, campaign: str, lang: str) -> int:
    """Print a core's links for a campaign (a newsletter, an information session…)."""
    reference = Reference.load(settings.data_dir)
    core = reference.core(core_id)
    if core is None:
        return _refuse(f"unknown core {core_id!r} (see data/territories/)")
    if campaign not in set(CORE_CAMPAIGNS):
        # A school's links come from `bot.py school links`: they name the school, not a core.
        return _refuse(f"--campaign is one of {', '.join(CORE_CAMPAIGNS)}")
    entries = entry_links(settings, reference)
    if not entries.channels:
        return _refuse(
            "no channel to send people to: set ECHOPPE_WHATSAPP_NUMBER and/or"
            " ECHOPPE_BOT_USERNAME (the Telegram bot's @username)"
        )
    for channel in entries.channels:
        entry = EntryPoint(channel, core.id, Campaign(campaign))
        short = entries.short_url(entry)
        print(f"{channel}\t{entries.url(entry, lang)}" + (f"\t{short}" if short else ""))
    return 0


def campaigns(settings: Settings, territory_id: str | None, weeks: int) -> int:
    """Print where people came from, per week, core and campaign, through the gate."""
    reference = Reference.load(settings.data_dir)
    if territory_id is not None and reference.territory(territory_id) is None:
        return _refuse(f"unknown territory {territory_id!r} ({', '.join(reference.territories)})")
    if not 1 <= weeks <= 520:
        return _refuse("--weeks is between 1 and 520")

    async def read() -> list[CampaignLine]:
        async with opened(settings.database_path) as db:
            service = CampaignService(db, reference, settings.tz)
            return await service.report(weeks, territory_id, settings.anonymity_k)

    lines = asyncio.run(read())
    k = settings.anonymity_k
    if not lines:
        print(f"no arrival through a tagged link in the last {weeks} finished week(s)")
        return 0
    print("week\tcore\tcampaign\taccepted\tfinished onboarding")
    for line in lines:
        core = reference.core(line.core_id)
        name = core.name("fr") if core else line.core_id
        print(
            f"{line.week}\t{name}\t{line.campaign}"
            f"\t{_shown(line.consented, k)}\t{_shown(line.onboarded, k)}"
        )
    print(
        f"(— : not shown, fewer than {k} people or a gap of fewer than {k}; finished weeks"
        " only; nobody is named)"
    )
    return 0


def _shown(count: int | None, _k: int) -> str:
    return "—" if count is None else str(count)


def _refuse(reason: str) -> int:
    print(f"échoppe: {reason}", file=sys.stderr)
    return 2
