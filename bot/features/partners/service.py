"""Invite partner organisations, bind their chats, and keep each one inside its scope."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.features.partners.store import Partner, PartnerRepository
from bot.i18n import LANGUAGES
from bot.reference import Reference
from bot.storage import Database, ProcessedEventRepository
from bot.storage.database import utcnow

logger = logging.getLogger(__name__)

# One plain address: no name, no list, nothing that could break out of an e-mail header.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Telegram start parameters are at most 64 characters of [A-Za-z0-9_-].
LINK_PREFIX = "partner_"


class PartnerError(ValueError):
    """Raised when a partner's definition is wrong; the message says what to fix."""


class Redeemed(StrEnum):
    """Say what became of opening an invitation link."""

    BOUND = "bound"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Invitation:
    """A fresh invitation: the start parameter to put in a link, shown once."""

    partner: Partner
    start_parameter: str
    expires_at: datetime

    def link(self, bot_username: str | None) -> str:
        """Return the t.me deep link (or the /start command when the bot's name is unknown)."""
        if bot_username:
            return f"https://t.me/{bot_username}?start={self.start_parameter}"
        return f"/start {self.start_parameter}"

    def group_link(self, bot_username: str | None) -> str:
        """Return the deep link that adds the bot to a group and binds that group."""
        if bot_username:
            return f"https://t.me/{bot_username}?startgroup={self.start_parameter}"
        return f"/start@<bot> {self.start_parameter}"


def _check_email(email: str | None) -> None:
    if email is not None and not _EMAIL.fullmatch(email.strip()):
        raise PartnerError(f"not an e-mail address: {email!r}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class PartnerService:
    """Create partners and invitations; bind a chat when an invitation is opened."""

    def __init__(self, db: Database, reference: Reference) -> None:
        self._db = db
        self._ref = reference
        self._repo = PartnerRepository(db)
        self._events = ProcessedEventRepository(db)

    def check_scope(self, territories: Sequence[str], cores: Sequence[str]) -> None:
        """Refuse unknown territories, and cores outside the partner's territories."""
        if not territories:
            raise PartnerError("a partner needs at least one territory")
        for territory in territories:
            if self._ref.territory(territory) is None:
                known = ", ".join(self._ref.territories)
                raise PartnerError(f"unknown territory {territory!r} ({known})")
        for core_id in cores:
            core = self._ref.core(core_id)
            if core is None:
                raise PartnerError(f"unknown core {core_id!r}")
            if core.territory not in territories:
                raise PartnerError(f"core {core_id!r} is not in {sorted(territories)}")

    async def create(
        self,
        *,
        name: str,
        territories: Sequence[str],
        cores: Sequence[str] = (),
        email: str | None = None,
        language: str = "fr",
        created_by: str,
    ) -> Partner:
        """Create a partner organisation with its scope."""
        if not name.strip():
            raise PartnerError("a partner needs a name")
        if any(unicodedata.category(c).startswith("C") for c in name):
            # The name goes into e-mail subjects and chat headers: one plain line.
            raise PartnerError("a partner's name is one line of text, without control characters")
        if language not in LANGUAGES:
            raise PartnerError(f"language must be one of {', '.join(LANGUAGES)}")
        _check_email(email)
        self.check_scope(territories, cores)
        async with self._db.transaction():
            partner = await self._repo.create(
                name=name.strip(),
                language=language,
                territories=territories,
                cores=cores,
                email=email.strip() if email else None,
                created_by=created_by,
            )
        logger.info("partner %d created by %s", partner.id, created_by)
        return partner

    async def invite(
        self,
        partner_id: int,
        *,
        created_by: str,
        valid_for: timedelta = timedelta(days=3),
        now: datetime | None = None,
    ) -> Invitation:
        """Make a single-use invitation that expires; only its hash is stored."""
        partner = await self._repo.get(partner_id)
        if partner is None or partner.revoked_at is not None:
            raise PartnerError(f"no active partner {partner_id}")
        token = secrets.token_urlsafe(24)
        expires = (now or datetime.now(UTC)) + valid_for
        async with self._db.transaction():
            await self._repo.add_invitation(
                token_hash=_hash(token),
                partner_id=partner.id,
                created_by=created_by,
                expires_at=expires.isoformat(timespec="milliseconds"),
            )
        return Invitation(partner, LINK_PREFIX + token, expires)

    async def redeem(
        self,
        start_parameter: str,
        *,
        channel: str,
        chat_id: str,
        event_key: str,
        now: datetime | None = None,
    ) -> tuple[Redeemed, Partner | None]:
        """Bind the chat that opened an invitation link, once, before it expires."""
        token = start_parameter.removeprefix(LINK_PREFIX)
        moment = now or datetime.now(UTC)
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return Redeemed.DUPLICATE, None
            found = await self._repo.invitation(_hash(token))
            if found is None:
                logger.warning("an unknown partner invitation was opened")
                return Redeemed.UNKNOWN, None
            partner_id, expires_at, used_at = found
            partner = await self._repo.get(partner_id)
            if partner is None or partner.revoked_at is not None:
                return Redeemed.REVOKED, None
            if used_at is not None:
                logger.warning("partner %d: an invitation was opened a second time", partner_id)
                return Redeemed.USED, None
            if datetime.fromisoformat(expires_at) <= moment:
                return Redeemed.EXPIRED, None
            await self._repo.use_invitation(_hash(token))
            await self._repo.bind(channel, chat_id, partner.id)
        logger.info("partner %d: a chat was bound", partner.id)
        return Redeemed.BOUND, partner

    async def partner_of(self, channel: str, chat_id: str) -> Partner | None:
        """Return the partner a chat speaks for, checked on every call."""
        return await self._repo.partner_of_chat(channel, chat_id)

    async def get(self, partner_id: int) -> Partner | None:
        """Return a partner by id, revoked or not."""
        return await self._repo.get(partner_id)

    async def all(self) -> list[Partner]:
        """Return every partner."""
        return await self._repo.all()

    async def set_email(self, partner_id: int, email: str | None) -> None:
        """Set (or with None clear) where a partner's digest is e-mailed."""
        _check_email(email)
        async with self._db.transaction():
            changed = await self._repo.set_email(partner_id, email.strip() if email else None)
        if not changed:
            raise PartnerError(f"no active partner {partner_id}")
        logger.info("partner %d e-mail %s", partner_id, "set" if email else "cleared")

    async def move_chat(self, channel: str, old_chat_id: str, new_chat_id: str) -> None:
        """Follow a group that became a supergroup (Telegram gives it a new id)."""
        async with self._db.transaction():
            moved = await self._repo.move_chat(channel, old_chat_id, new_chat_id)
        if moved:
            logger.info("a partner's group moved to a new chat id")

    async def record_delivery(
        self, partner_id: int, week: str, channel: str, chat_id: str
    ) -> None:
        """Record that a week's digest reached a chat (one that moved while it was sent)."""
        async with self._db.transaction():
            await self._repo.record_delivery(partner_id, week, channel, chat_id, utcnow())

    async def revoke(self, partner_id: int) -> bool:
        """Revoke a partner: its chats lose access at once."""
        async with self._db.transaction():
            revoked = await self._repo.revoke(partner_id)
        if revoked:
            logger.info("partner %d revoked", partner_id)
        return revoked

    def sees_core(self, partner: Partner, core_id: str | None) -> bool:
        """Return whether a core lies inside a partner's scope."""
        core = self._ref.core(core_id) if core_id else None
        if core is None or core.territory not in partner.territories:
            return False
        return not partner.cores or core.id in partner.cores
