"""Passwordless access to the dashboard: single-use sign-in links and server-side sessions.

A link is a random token; only its SHA-256 is stored. Opening it shows a "Continue" page and
only the POST from that page uses it, so a mail scanner or a link preview that fetches it
cannot use it up. A session is another random token in an HttpOnly cookie, also stored as a
hash, ended by logout, 14 idle days, or the partner's revocation.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import Protocol

from bot.features.dashboard.access_store import AccessRepository, Holder, StoredLink
from bot.features.partners.store import Partner, PartnerRepository
from bot.i18n import LANGUAGES, translate
from bot.reference import Reference
from bot.shared.sending import Delivery
from bot.storage.audit import AuditRepository
from bot.storage.database import Database

logger = logging.getLogger(__name__)

LINK_TTL = timedelta(minutes=15)
IDLE_LIMIT = timedelta(days=14)
# seen_at is written at most this often: a write per page view would cost more than it tells.
TOUCH_EVERY = timedelta(minutes=5)
# Kept this long after they stop working, then deleted (the audit trail keeps what happened).
KEEP_ENDED = timedelta(days=30)
COOKIE = "echoppe_dashboard"
SIGN_IN_PATH = "/dashboard/signin/"
# The admin a shell's `bot.py dashboard link --admin` signs in as (the operator).
OPERATOR = "cli"


class LinkState(StrEnum):
    """Say what a sign-in link is worth."""

    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


class Mailer(Protocol):
    """Send one e-mail (the digests' SMTP mailer)."""

    async def send(self, message: EmailMessage) -> Delivery:
        """Send one message, saying what became of it."""
        ...


@dataclass(frozen=True)
class Viewer:
    """A signed-in partner or admin, and what they may see."""

    session_id: int
    partner: Partner | None
    admin_ref: str | None
    lang: str

    @property
    def is_admin(self) -> bool:
        """Tell whether the viewer is an admin (who sees everything)."""
        return self.partner is None

    @property
    def actor(self) -> str:
        """Return how the audit trail names the viewer."""
        if self.partner is not None:
            return f"partner:{self.partner.id}"
        return f"admin:{self.admin_ref}"

    def territories(self, reference: Reference) -> tuple[str, ...]:
        """Return the territories the viewer may see, in the reference's order."""
        allowed = self.partner.territories if self.partner is not None else None
        return tuple(t for t in reference.territories if allowed is None or t in allowed)

    def sees_territory(self, territory_id: str) -> bool:
        """Tell whether a territory is inside the viewer's scope."""
        return self.partner is None or territory_id in self.partner.territories

    def sees_core(self, reference: Reference, core_id: str) -> bool:
        """Tell whether a core is inside the viewer's scope."""
        core = reference.core(core_id)
        if core is None or not self.sees_territory(core.territory):
            return False
        return self.partner is None or not self.partner.cores or core_id in self.partner.cores

    def whole_territory(self, territory_id: str) -> bool:
        """Tell whether the viewer sees every core of a territory (not only some)."""
        return self.sees_territory(territory_id) and (
            self.partner is None or not self.partner.cores
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class DashboardAccess:
    """Issue sign-in links, turn them into sessions, and tell who a cookie belongs to."""

    def __init__(
        self,
        db: Database,
        base_url: str,
        audit: AuditRepository,
        mailer: Mailer | None = None,
        mail_from: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        admins: Collection[str] | None = None,
    ) -> None:
        # The configured admins ("channel:id"), checked on every request: one removed from
        # the configuration loses the dashboard with it. None: not checked (tests, benches).
        self._admins = None if admins is None else frozenset(admins) | {OPERATOR}
        self._db = db
        self._repo = AccessRepository(db)
        self._partners = PartnerRepository(db)
        self._audit = audit
        self.base_url = base_url
        self._mailer = mailer
        self._from = mail_from
        self._clock = clock

    @property
    def secure_cookie(self) -> bool:
        """Tell whether the cookie must be Secure (the dashboard is served over https)."""
        return self.base_url.startswith("https://")

    async def issue(self, holder: Holder, lang: str, actor: str) -> str:
        """Store a new single-use link for a partner or an admin and return its URL."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        await self._repo.add_link(
            _hash(token),
            holder,
            lang if lang in LANGUAGES else "fr",
            _iso(now),
            _iso(now + LINK_TTL),
        )
        await self._audit.record(
            actor=actor,
            role="partner" if holder.partner_id is not None else "admin",
            action="dashboard link",
            detail=_holder_text(holder),
            allowed=True,
        )
        return f"{self.base_url.rstrip('/')}{SIGN_IN_PATH}{token}"

    async def peek(self, token: str) -> LinkState:
        """Tell what a link is worth, changing nothing (the GET of the Continue page)."""
        state, _ = await self._check(token)
        return state

    async def sign_in(self, token: str, client: str) -> tuple[LinkState, str | None, str]:
        """Use a link once: return its state, a new session token when valid, and the language."""
        state, link = await self._check(token)
        lang = link.lang if link is not None else "fr"
        session: str | None = None
        if state is LinkState.VALID and link is not None:
            now = _iso(self._clock())
            async with self._db.transaction():
                if await self._repo.use_link(link.id, now):
                    session = secrets.token_urlsafe(32)
                    await self._repo.add_session(_hash(session), link.holder, lang, now)
                else:
                    state = LinkState.USED
        await self._audit.record(
            actor=_holder_text(link.holder) if link is not None else f"web:{client}",
            role="none" if link is None else ("admin" if link.holder.admin_ref else "partner"),
            action="dashboard sign-in",
            detail=state.value,
            allowed=session is not None,
        )
        return state, session, lang

    async def viewer(self, session_token: str | None) -> Viewer | None:
        """Return who holds a session cookie, or None when it is unknown or has ended."""
        if not session_token or len(session_token) > 128:
            return None
        stored = await self._repo.session(_hash(session_token))
        if stored is None or stored.ended_at is not None:
            return None
        now = self._clock()
        if stored.partner_revoked_at is not None:
            await self._repo.end(stored.id, _iso(now))
            return None
        if now - datetime.fromisoformat(stored.seen_at) > IDLE_LIMIT:
            await self._repo.end(stored.id, _iso(now))
            return None
        admin = stored.holder.admin_ref
        if admin is not None and self._admins is not None and admin not in self._admins:
            await self._repo.end(stored.id, _iso(now))
            return None
        partner = None
        if stored.holder.partner_id is not None:
            partner = await self._partners.get(stored.holder.partner_id)
            if partner is None or partner.revoked_at is not None:
                return None
        if now - datetime.fromisoformat(stored.seen_at) > TOUCH_EVERY:
            await self._repo.touch(stored.id, _iso(now), stored.lang)
        return Viewer(stored.id, partner, stored.holder.admin_ref, stored.lang)

    async def set_language(self, viewer: Viewer, lang: str) -> None:
        """Remember the language a viewer chose (the next link and e-mail use it too)."""
        if lang in LANGUAGES and lang != viewer.lang:
            await self._repo.touch(viewer.session_id, _iso(self._clock()), lang)

    async def sign_out(self, viewer: Viewer) -> None:
        """End a session."""
        await self._repo.end(viewer.session_id, _iso(self._clock()))
        await self._audit.record(
            actor=viewer.actor, role=_role(viewer), action="dashboard logout", allowed=True
        )

    async def record_export(self, viewer: Viewer, what: str, query: str) -> None:
        """Put a CSV download in the audit trail."""
        await self._audit.record(
            actor=viewer.actor,
            role=_role(viewer),
            action="dashboard export",
            detail=f"{what} {query}",
            allowed=True,
        )

    async def end_partner(self, partner_id: int) -> int:
        """End every session of a partner (revoked); return how many were open."""
        return await self._repo.end_partner(partner_id, _iso(self._clock()))

    async def by_email(self, address: str, lang: str, client: str) -> None:
        """Mail a link to a partner's registered address; do nothing visible otherwise.

        The caller answers the same whatever happens here, so the form tells nobody which
        addresses are registered.
        """
        wanted = address.strip().casefold()
        partner = next(
            (
                p
                for p in await self._partners.all()
                if p.revoked_at is None and p.email and p.email.casefold() == wanted
            ),
            None,
        )
        await self._audit.record(
            actor=f"web:{client}",
            role="partner" if partner else "none",
            action="dashboard e-mail link",
            detail=f"partner {partner.id}" if partner else "unknown address",
            allowed=partner is not None,
        )
        if partner is None or partner.email is None:
            return
        if self._mailer is None:
            logger.warning("a dashboard link was asked by e-mail, but e-mail is not configured")
            return
        url = await self.issue(Holder(partner.id, None), lang, f"web:{client}")
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = partner.email
        message["Subject"] = translate(lang, "dash.mail.subject")
        message.set_content(translate(lang, "dash.mail.body", name=partner.name, url=url))
        delivery = await self._mailer.send(message)
        if delivery is not Delivery.SENT:
            logger.warning("dashboard link to partner %d not sent: %s", partner.id, delivery)

    async def purge(self) -> None:
        """Delete links and sessions that stopped working long ago."""
        before = _iso(self._clock() - KEEP_ENDED)
        await self._repo.purge(before, _iso(self._clock() - IDLE_LIMIT - KEEP_ENDED))

    async def _check(self, token: str) -> tuple[LinkState, StoredLink | None]:
        if not token or len(token) > 128:
            return LinkState.UNKNOWN, None
        link = await self._repo.link(_hash(token))
        if link is None:
            return LinkState.UNKNOWN, None
        if link.used_at is not None:
            return LinkState.USED, link
        if self._clock() >= datetime.fromisoformat(link.expires_at):
            return LinkState.EXPIRED, link
        if link.holder.partner_id is not None:
            partner = await self._partners.get(link.holder.partner_id)
            if partner is None or partner.revoked_at is not None:
                return LinkState.UNKNOWN, link
        return LinkState.VALID, link


def _holder_text(holder: Holder) -> str:
    if holder.partner_id is not None:
        return f"partner:{holder.partner_id}"
    return f"admin:{holder.admin_ref}"


def _role(viewer: Viewer) -> str:
    return "admin" if viewer.is_admin else "partner"
