"""Tell someone other than the person who acted, once the change is committed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.channels.base import Button, Recipient, Reply, SendStatus, TemplateUse
from bot.features.notices.store import Notice, NoticeRepository
from bot.i18n import Translator
from bot.shared.outbound import Outbound
from bot.storage import Database, UserRepository

logger = logging.getLogger(__name__)

# Renders a notice in the recipient's language when it goes; None when it no longer means
# anything (a cell withdrawn meanwhile).
Render = Callable[[Notice, Translator], Awaitable[Reply | None]]

SHOW_DATA = "nt:show"
# A notice that failed this many times is dropped (what it was about stays as it is).
MAX_ATTEMPTS = 200
# A notice announced by template and never opened goes after this.
KEEP_WAITING = timedelta(days=30)


@dataclass(frozen=True)
class Kind:
    """How one kind of notice is shown, and what its template says it is about."""

    render: Render
    # The i18n key of the few words the WhatsApp template names it by ("an empty shop").
    what: str


class Notices:
    """Queue notices inside a change; deliver them after its commit and from a job."""

    def __init__(
        self,
        db: Database,
        users: UserRepository,
        outbound: Outbound,
    ) -> None:
        self._db = db
        self._repo = NoticeRepository(db)
        self._users = users
        self._outbound = outbound
        self._kinds: dict[str, Kind] = {}
        self._lock = asyncio.Lock()

    @property
    def repo(self) -> NoticeRepository:
        """Return the notices' store."""
        return self._repo

    def register(self, kind: str, render: Render, what: str) -> None:
        """Say how a kind of notice is shown (each feature registers its own at start-up)."""
        self._kinds[kind] = Kind(render, what)

    async def tell(
        self,
        user_id: int,
        kind: str,
        subject: str,
        *,
        about: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Queue a notice for a person, sent once the current change is committed."""
        self._check(kind)
        await self._repo.add(kind, subject, user_id=user_id, about=about, params=params)
        await self._db.after_unit(self.deliver)

    async def tell_admins(
        self,
        admins: tuple[str, ...],
        kind: str,
        subject: str,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Queue a notice for every admin ("channel:id")."""
        self._check(kind)
        for ref in admins:
            await self._repo.add(kind, subject, admin_ref=ref, params=params)
        await self._db.after_unit(self.deliver)

    def _check(self, kind: str) -> None:
        if kind not in self._kinds:
            raise KeyError(f"notice kind {kind!r} is not registered")

    async def drop(self, subject: str) -> None:
        """Forget what was still to be told about something deleted."""
        await self._repo.drop(subject)

    async def deliver(self) -> int:
        """Send every notice due; return how many went."""
        async with self._lock:
            sent = 0
            # Someone whose notice did not go gets nothing after it this round (their order).
            stuck: set[tuple[int | None, str | None]] = set()
            # Who was sent the template this round (one is enough for all their notices).
            templated: set[tuple[int | None, str | None]] = set()
            for notice in await self._repo.due():
                who = (notice.user_id, notice.admin_ref)
                if who in stuck:
                    continue
                try:
                    went = await self._deliver(notice, templated)
                except Exception:
                    # One notice must not hold the others back.
                    logger.exception("notice %d (%s) failed", notice.id, notice.kind)
                    await self._repo.failed(notice.id)
                    went = None
                if went is None:
                    stuck.add(who)
                else:
                    sent += went
            return sent

    async def _recipient(self, notice: Notice) -> tuple[Recipient, str] | None:
        if notice.user_id is not None:
            user = await self._users.get_by_id(notice.user_id)
            if user is None:
                return None
            return Recipient(user.channel, user.external_id), user.language
        channel, _, ref = (notice.admin_ref or "").partition(":")
        admin = await self._users.get(channel, ref)
        return Recipient(channel, ref), admin.language if admin else "fr"

    async def _deliver(
        self, notice: Notice, templated: set[tuple[int | None, str | None]]
    ) -> int | None:
        """Send one notice; return 1 if it went, 0 if dropped, None to try again later."""
        found = await self._recipient(notice)
        kind = self._kinds.get(notice.kind)
        if found is None or kind is None:
            await self._repo.done(notice.id)
            return 0
        to, lang = found
        t = Translator(lang)
        reply = await kind.render(notice, t)
        if reply is None:
            await self._repo.done(notice.id)
            return 0
        outcome = await self._outbound.send(to, [reply])
        if outcome.sent or outcome.status is SendStatus.BLOCKED:
            await self._repo.done(notice.id)
            return int(outcome.sent)
        if outcome.status is SendStatus.NOT_ALLOWED_NOW:
            # Outside WhatsApp's window: a short template; the notice waits for the tap.
            who = (notice.user_id, notice.admin_ref)
            if who in templated or await self._repo.waiting(*who):
                # Already told there is news: one "Show" tap shows this one too.
                await self._repo.by_template(notice.id)
                return 0
            what = t(kind.what)
            news = Reply(
                t("notices.news", what=what),
                ((Button(t("notices.show"), SHOW_DATA),),),
                template=TemplateUse("news", (what,)),
            )
            if (await self._outbound.send(to, [news])).sent:
                templated.add(who)
                await self._repo.by_template(notice.id)
                return 1
        attempts = await self._repo.failed(notice.id)
        if attempts >= MAX_ATTEMPTS:
            logger.warning("notice %d dropped after %d attempts", notice.id, attempts)
            await self._repo.done(notice.id)
            return 0
        return None

    async def waiting(self, user_id: int | None, admin_ref: str | None, lang: str) -> list[Reply]:
        """Return (and forget) the notices a person or an admin was told about by template."""
        replies = []
        for notice in await self._repo.waiting(user_id, admin_ref):
            kind = self._kinds.get(notice.kind)
            reply = None if kind is None else await kind.render(notice, Translator(lang))
            if reply is not None:
                replies.append(reply)
            await self._repo.done(notice.id)
        return replies

    async def forget_stale(self, now: datetime) -> int:
        """Drop notices nobody opened for a month."""
        return await self._repo.drop_before(
            (now - KEEP_WAITING).astimezone(UTC).isoformat(timespec="milliseconds")
        )
