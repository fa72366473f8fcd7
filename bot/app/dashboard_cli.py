"""`bot.py dashboard link --partner ID | --admin`: print a sign-in link for an operator."""

from __future__ import annotations

import asyncio
import getpass
import sys

from bot.config import Settings
from bot.features.dashboard.access import LINK_TTL, OPERATOR, DashboardAccess
from bot.features.dashboard.access_store import Holder
from bot.features.partners.store import PartnerRepository
from bot.storage.audit import AuditRepository
from bot.storage.database import opened


def dashboard_link(settings: Settings, partner_id: int | None, lang: str) -> int:
    """Print a single-use link valid 15 minutes, for a partner or for an admin."""

    async def issue() -> str | None:
        async with opened(settings.database_path) as db:
            if partner_id is not None:
                partner = await PartnerRepository(db).get(partner_id)
                if partner is None or partner.revoked_at is not None:
                    return None
                holder = Holder(partner.id, None)
                language = lang or partner.language
            else:
                holder = Holder(None, OPERATOR)
                language = lang or "fr"
            access = DashboardAccess(db, settings.web_base_url, AuditRepository(db))
            return await access.issue(holder, language, f"cli:{getpass.getuser()}")

    url = asyncio.run(issue())
    if url is None:
        print(
            f"échoppe: no active partner {partner_id} (see `bot.py partner list`)",
            file=sys.stderr,
        )
        return 2
    minutes = int(LINK_TTL.total_seconds() // 60)
    print(f"single-use sign-in link, valid {minutes} minutes:")
    print(url)
    if not settings.public_url:
        print(
            "(ECHOPPE_PUBLIC_URL is not set: the link names this machine's web server)",
            file=sys.stderr,
        )
    return 0
