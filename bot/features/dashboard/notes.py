"""Notes of "you said, we did": what is done about a factor, shown and sent to who raised it.

A partner or an admin publishes a note for a factor in a core or territory of their scope.
It shows under that factor on the dashboard and in /barometer, and goes once, as a
broadcast (so opt-outs, consent and WhatsApp's templates are honoured as for any
announcement), to the people who raised that factor there in the 90 days before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.features.broadcasts.service import BroadcastError, BroadcastService
from bot.features.broadcasts.store import Audience
from bot.features.dashboard.access import Viewer
from bot.features.dashboard.notes_store import NoteRepository
from bot.i18n import LANGUAGES, translate
from bot.reference import Reference
from bot.storage import User
from bot.storage.audit import AuditRepository
from bot.storage.database import Database
from nlp.taxonomy import FACTOR_IDS, taxonomy

logger = logging.getLogger(__name__)

RAISED_WITHIN_DAYS = 90
# Shown in /barometer and on the dashboard this long after it was published.
SHOWN_FOR = timedelta(days=90)
MAX_CHARS = 600
# The newest notes shown in /barometer (the dashboard lists them all).
MAX_IN_BAROMETER = 3


class NoteError(ValueError):
    """A note that cannot be published as written; the message key says why."""


@dataclass(frozen=True)
class Note:
    """A published note."""

    id: int
    author: str
    factor: str
    place: str
    texts: dict[str, str]
    published_at: str
    recipients: int
    partner_id: int | None = None

    def text(self, lang: str) -> str:
        """Return the note in a language, French when it was not written in it."""
        return self.texts.get(lang) or self.texts["fr"]


@dataclass(frozen=True)
class Draft:
    """A note checked and ready to publish: what recipients will read, and how many they are."""

    factor: str
    place: str
    texts: dict[str, str]
    recipients: int


class NoteService:
    """Check, publish, list and withdraw notes."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        broadcasts: BroadcastService,
        audit: AuditRepository,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._tz = tz
        self._db = db
        self._repo = NoteRepository(db)
        self._ref = reference
        self._broadcasts = broadcasts
        self._audit = audit
        self._clock = clock

    def places(self, viewer: Viewer) -> list[str]:
        """Return the places a viewer may write about: whole territories, then cores."""
        out = [f"territory:{tid}" for tid in self._ref.territories if viewer.whole_territory(tid)]
        out += [
            f"core:{core.id}"
            for territory in self._ref.territories.values()
            for core in territory.cores
            if viewer.sees_core(self._ref, core.id)
        ]
        return out

    def day(self, note: Note) -> str:
        """Return the local day a note was published (YYYY-MM-DD)."""
        return datetime.fromisoformat(note.published_at).astimezone(self._tz).date().isoformat()

    def place_name(self, place: str, lang: str) -> str:
        """Return a place's name in a language."""
        kind, _, rest = place.partition(":")
        if kind == "core" and (core := self._ref.core(rest)) is not None:
            return core.name(lang)
        territory = self._ref.territory(rest)
        return territory.name(lang) if territory is not None else rest

    def message(self, draft: Draft, author: str, lang: str) -> str:
        """Return the message as a person reading it in `lang` gets it."""
        factor = taxonomy().get(draft.factor).title(lang)
        return translate(
            lang,
            "dash.note.message",
            factor=factor,
            place=self.place_name(draft.place, lang),
            author=author,
            text=draft.texts.get(lang) or draft.texts["fr"],
        )

    async def check(self, viewer: Viewer, factor: str, place: str, texts: dict[str, str]) -> Draft:
        """Return the note as it would go, or raise NoteError (nothing is stored)."""
        if factor not in FACTOR_IDS:
            raise NoteError("dash.note.bad_factor")
        if place not in self.places(viewer):
            raise NoteError("dash.note.bad_place")
        kept = {
            lang: " ".join(text.split()) if "\n" not in text else text.strip()
            for lang, text in texts.items()
            if lang in LANGUAGES and text.strip()
        }
        if not kept.get("fr"):
            raise NoteError("dash.note.need_fr")
        if any(len(text) > MAX_CHARS for text in kept.values()):
            raise NoteError("dash.note.too_long")
        audience = self._audience(factor, place)
        recipients = await self._broadcasts.count(audience)
        return Draft(factor, place, kept, recipients)

    async def publish(
        self, viewer: Viewer, factor: str, place: str, texts: dict[str, str], nonce: str
    ) -> Note | None:
        """Store the note and schedule its one broadcast; None if this form went already."""
        draft = await self.check(viewer, factor, place, texts)
        author = viewer.partner.name if viewer.partner is not None else "Échoppe"
        now = self._clock()
        messages = {lang: self.message(draft, author, lang) for lang in LANGUAGES}
        # The texts the person wrote stay theirs; the broadcast carries the framed message.
        try:
            async with self._db.transaction():
                note_id = await self._repo.add(
                    partner_id=viewer.partner.id if viewer.partner is not None else None,
                    admin_ref=viewer.admin_ref,
                    author=author,
                    factor=factor,
                    place=place,
                    texts=draft.texts,
                    at=_iso(now),
                    recipients=draft.recipients,
                    nonce=nonce,
                )
                if note_id is None:
                    return None
                broadcast = await self._broadcasts.create(
                    created_by=f"note:{note_id}:{viewer.actor}",
                    texts=messages,
                    audience=self._audience(factor, place),
                    send_at=now,
                )
                await self._repo.set_broadcast(note_id, broadcast.id)
                await self._audit.record(
                    actor=viewer.actor,
                    role="admin" if viewer.is_admin else "partner",
                    action="dashboard note",
                    detail=f"note {note_id} {factor} {place}",
                    allowed=True,
                )
        except BroadcastError as exc:
            logger.warning("a note could not be broadcast: %s", exc)
            raise NoteError("dash.note.too_long") from exc
        note = await self.get(note_id)
        assert note is not None
        return note

    async def withdraw(self, viewer: Viewer, note_id: int) -> bool:
        """Take a note off the dashboard and /barometer (what was sent stays sent)."""
        note = await self.get(note_id)
        if note is None or note.place not in self.places(viewer):
            return False
        # Only its author's organisation, or an admin, takes a note down.
        if viewer.partner is not None and note.partner_id != viewer.partner.id:
            return False
        changed = await self._repo.withdraw(note_id, _iso(self._clock()))
        if changed:
            await self._audit.record(
                actor=viewer.actor,
                role="admin" if viewer.is_admin else "partner",
                action="dashboard note withdrawn",
                detail=f"note {note_id}",
                allowed=True,
            )
        return changed

    async def get(self, note_id: int) -> Note | None:
        """Return a note that has not been withdrawn."""
        row = await self._repo.get(note_id)
        return None if row is None else _note(row)

    async def shown(self, places: list[str]) -> list[Note]:
        """Return the notes of the last 90 days for these places, newest first."""
        if not places:
            return []
        rows = await self._repo.shown(places, _iso(self._clock() - SHOWN_FOR))
        return [_note(r) for r in rows]

    async def for_person(self, core_id: str | None, territory_id: str | None) -> list[Note]:
        """Return the notes a person's /barometer shows: their core's and territory's."""
        places = [f"core:{core_id}"] if core_id else []
        places += [f"territory:{territory_id}"] if territory_id else []
        return await self.shown(places)

    async def barometer_lines(self, user: User) -> list[str]:
        """Return the notes about a person's core and territory as /barometer lines."""
        lang = user.language
        return [
            translate(
                lang,
                "barometer.said_line",
                factor=taxonomy().get(note.factor).title(lang),
                place=self.place_name(note.place, lang),
                author=note.author,
                date=datetime.fromisoformat(note.published_at)
                .astimezone(self._tz)
                .strftime("%d/%m/%Y"),
                text=note.text(lang),
            )
            for note in await self.for_person(user.core_id, user.territory_id)
        ][:MAX_IN_BAROMETER]

    def _audience(self, factor: str, place: str) -> Audience:
        kind, _, rest = place.partition(":")
        core = self._ref.core(rest) if kind == "core" else None
        return Audience(
            territory_id=core.territory if core is not None else rest,
            core_id=core.id if core is not None else None,
            factor=factor,
            days=RAISED_WITHIN_DAYS,
            raised_there=True,
        )


def _note(r: tuple[Any, ...]) -> Note:
    partner_id = None if r[7] is None else int(r[7])
    return Note(
        int(r[0]), str(r[1]), str(r[2]), str(r[3]), json.loads(r[4]), str(r[5]), int(r[6]),
        partner_id,
    )  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
