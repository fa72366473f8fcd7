"""A dashboard served by Starlette's test client over a real SQLite file, with a settable clock."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.features.broadcasts.service import BroadcastService
from bot.features.concerns.store import ConcernRepository, VoiceKind
from bot.features.dashboard.access import DashboardAccess
from bot.features.dashboard.access_store import Holder
from bot.features.dashboard.figures import DashboardFigures
from bot.features.dashboard.notes import NoteService
from bot.features.dashboard.periods import PeriodFigureService
from bot.features.dashboard.views import Sources, build_dashboard_web
from bot.features.dashboard.web import DashboardWeb
from bot.features.partners.service import PartnerService
from bot.features.partners.store import Partner
from bot.reference import Reference
from bot.storage import Database, Role
from bot.storage.audit import AuditRepository
from tests.features.concerns.test_service import make_user

T = TypeVar("T")
TZ = ZoneInfo("Europe/Brussels")
ORIGIN = "http://testserver"
K = 3
# A Wednesday; the last full week before it is 2026-W46 (9 to 15 November).
NOW = datetime(2026, 11, 18, 10, tzinfo=UTC)
LAST_WEEK = "2026-W46"


@dataclass
class Clock:
    """The project's clock, moved by tests."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        """Return the current time."""
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


@dataclass
class Site:
    """The dashboard's web app, its database, and what tests need to drive it."""

    client: TestClient
    db: Database
    access: DashboardAccess
    partners: PartnerService
    clock: Clock
    reference: Reference
    mails: list[Any] = field(default_factory=list)
    notes: NoteService | None = None
    web: DashboardWeb | None = None
    _users: int = 0
    people: dict[str, list[int]] = field(default_factory=dict)

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run a coroutine function on the app's own event loop."""

        async def call() -> T:
            return await fn(*args, **kwargs)

        portal = self.client.portal
        assert portal is not None
        return portal.call(call)

    def partner(
        self, territories: tuple[str, ...] = ("brussels",), cores: tuple[str, ...] = (), **kw: Any
    ) -> Partner:
        """Create a partner with a scope."""
        return self.run(
            self.partners.create,
            name=kw.get("name", "Agence"),
            territories=list(territories),
            cores=list(cores),
            email=kw.get("email"),
            language=kw.get("language", "fr"),
            created_by="test",
        )

    def link(self, partner: Partner | None = None, lang: str = "fr") -> str:
        """Issue a sign-in link for a partner (or an admin) and return its path."""
        holder = Holder(partner.id, None) if partner else Holder(None, "telegram:42")
        url = self.run(self.access.issue, holder, lang, "test")
        return url.removeprefix(ORIGIN)

    def sign_in(self, partner: Partner | None = None, lang: str = "fr") -> None:
        """Sign this client in as a partner or an admin."""
        token = token_of(self.link(partner, lang))
        answer = self.post("/dashboard/signin", {"token": token})
        assert answer.status_code == 303, answer.text

    def post(self, path: str, data: dict[str, str], **kw: Any) -> Any:
        """POST a form from the dashboard's own pages (same Origin)."""
        headers = {"origin": ORIGIN, **kw.pop("headers", {})}
        return self.client.post(path, data=data, headers=headers, follow_redirects=False, **kw)

    def voices(
        self,
        core: str,
        factor: str,
        people: int,
        at: datetime,
        role: Role = Role.SHOPKEEPER,
    ) -> None:
        """Have `people` new people of a core raise a factor at a moment."""
        core_ref = self.reference.core(core)
        assert core_ref is not None

        async def add() -> None:
            repo = ConcernRepository(self.db)
            for _ in range(people):
                self._users += 1
                user = await make_user(self.db, f"u{self._users}", core=core, role=role)
                self.people.setdefault(core, []).append(user.id)
                concern = await repo.create(
                    user_id=user.id,
                    text="t",
                    lang="fr",
                    predicted=[factor],
                    text_hash=f"h{self._users}",
                )
                await repo.add_voice(
                    concern.id,
                    factor,
                    VoiceKind.RAISED,
                    user_id=user.id,
                    core_id=core,
                    territory_id=core_ref.territory,
                    role=role.value,
                    at=at.isoformat(timespec="milliseconds"),
                )

        self.run(add)


def token_of(path: str) -> str:
    """Return the token of a sign-in link's path."""
    match = re.search(r"/dashboard/signin/([A-Za-z0-9_-]+)$", path)
    assert match, path
    return match[1]


class _Mailer:
    def __init__(self, sink: list[Any]) -> None:
        self._sink = sink

    async def send(self, message: Any) -> Any:
        from bot.shared.sending import Delivery

        self._sink.append(message)
        return Delivery.SENT


def make_site(
    tmp_path: Path, reference: Reference, public_url: str | None = None
) -> Iterator[Site]:
    """Serve the dashboard over a fresh migrated database; close everything after."""
    db = Database(tmp_path / "dash.sqlite3")
    clock = Clock()
    mails: list[Any] = []
    access = DashboardAccess(
        db, public_url or ORIGIN, AuditRepository(db), _Mailer(mails), "x@y.invalid", clock
    )
    periods = PeriodFigureService(db, reference, TZ, clock)
    figures = DashboardFigures(db, periods, reference, K, TZ, clock)
    notes = NoteService(
        db, reference, BroadcastService(db, reference, clock=clock), AuditRepository(db), TZ, clock
    )
    sources = Sources(db, reference, TZ, K, clock, notes=notes)
    web = build_dashboard_web(access, figures, sources, public_url)
    app = Starlette(routes=web.routes())
    with TestClient(app, base_url=ORIGIN) as client:
        portal = client.portal
        assert portal is not None
        portal.call(db.connect)
        site = Site(
            client, db, access, PartnerService(db, reference), clock, reference, mails, notes, web
        )
        try:
            yield site
        finally:
            portal.call(db.close)
