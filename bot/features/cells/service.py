"""Empty shop cells: a landlord's answers, admins' validation, expiry, browsing, interest."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers

from bot.features.cells.photos import MAX_PHOTOS
from bot.features.cells.store import CLOSED, LISTED, Cell, CellRepository
from bot.features.notices.service import Notices
from bot.reference import Reference
from bot.shared.text import clean_text
from bot.storage import Database, Role, User

# A listing stays up this long after validation or the landlord's last "still free".
LISTED_FOR = timedelta(days=60)
# The landlord is asked, once, this long before the listing would go.
ASK_BEFORE = timedelta(days=7)
# Typed answers count within this time after the question (later words are someone else's:
# a concern, another flow's answer).
TYPING_FOR = timedelta(hours=1)
# A first name and contact typed for an interest and never agreed to are not kept.
DRAFT_INTEREST = timedelta(days=1)
# One person's cells not closed: beyond this it is a business, and an admin's job.
MAX_OPEN = 10
MAX_FIRST_NAME = 40
MAX_CONTACT = 80
# Who may offer a cell.
OFFERERS = (Role.LANDLORD, Role.PUBLIC_ACTOR)
# People browse by size: (name, from m², below m² or None); labelled cells.size_<name>.
SIZES = (
    ("any", 0, None),
    ("s", 0, 50),
    ("m", 50, 100),
    ("l", 100, 200),
    ("xl", 200, None),
)
# The form, in order: what each answer leads to (the show-number question only after a number,
# the phone only for a listing that shows one).
# What the photos question is called while it waits: first, or after the first of new ones.
PHOTO_STEPS = ("photos", "photos_more")
ORDER = ("core", "street", "number", "surface", "front", "rent", "available", "photos", "contact")
TEXT_FIELDS = frozenset({"street", "number", "surface", "front", "rent", "available", "phone"})
_RENT = re.compile(r"^\s*(\d{2,6})\s*(?:(?:-|–|à|a|tot|to)\s*(\d{2,6}))?\s*(?:€|eur\w*)?\s*$")
_NUMBER = re.compile(
    r"^\d{1,4}\s?[a-zA-Z]?(?:\s?[/-]\s?\d{1,4})?(?:\s?(?:bte|bus|box)\s?\w{1,5})?$"
)
_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,120}\.[a-zA-Z]{2,24}$")


class CellError(ValueError):
    """Input refused (the key of the polite answer); nothing was stored."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.params = params


@dataclass(frozen=True)
class Due:
    """What the daily round did: landlords asked, listings expired."""

    asked: int
    expired: int


class CellService:
    """Keep empty cells from the landlord's first answer to the day they are let."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        notices: Notices,
        admins: tuple[str, ...],
        tz: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self.repo = CellRepository(db)
        self._ref = reference
        self._notices = notices
        self._admins = admins
        self._tz = tz
        self._clock = clock

    def now(self) -> datetime:
        """Return the project's time."""
        return self._clock().astimezone(UTC)

    def _stamp(self, moment: datetime | None = None) -> str:
        return (moment or self.now()).astimezone(UTC).isoformat(timespec="milliseconds")

    def today(self) -> date:
        """Return today's date where the cells are."""
        return self.now().astimezone(self._tz).date()

    # ---- the landlord's form ----------------------------------------------------------------

    async def start(self, user: User) -> Cell:
        """Open a draft (or resume the one left); refuse people who offer no cells."""
        if user.role not in OFFERERS:
            raise CellError("cells.not_offerer")
        if user.territory_id is None:
            raise CellError("cells.no_place")
        mine = await self.repo.of_user(user.id)
        draft = next((c for c in mine if c.status == "draft"), None)
        if draft is not None:
            return draft
        if sum(c.status not in CLOSED for c in mine) >= MAX_OPEN:
            raise CellError("cells.too_many", max=MAX_OPEN)
        return await self.repo.create(user.id, user.territory_id, None)

    async def own(self, user: User, cell_id: int, *statuses: str) -> Cell:
        """Return the person's own cell, in one of these states (any when none named)."""
        cell = await self.repo.get(cell_id)
        if cell is None or cell.user_id != user.id or (statuses and cell.status not in statuses):
            raise CellError("button.stale")
        return cell

    async def expecting(self, user_id: int) -> str | None:
        """Return what the person's next words answer, if asked within the day."""
        typing = await self.repo.typing(user_id)
        if typing is None:
            return None
        if typing.since < self._stamp(self.now() - TYPING_FOR):
            return None
        return typing.what

    async def ask(self, user: User, cell: Cell, what: str) -> None:
        """Take the person's next words (or pictures) as the answer to `what`."""
        await self.repo.expect(user.id, cell.id, what)

    async def answer(self, user: User, what: str, text: str) -> Cell:
        """Store one typed answer of the form; raise CellError when it cannot be one."""
        typing = await self.repo.typing(user.id)
        if typing is None or typing.what.removeprefix("edit:") != what:
            raise CellError("button.stale")
        cell = await self.own(user, typing.cell_id, "draft")
        kept = clean_text(text, max_chars=200)
        if what == "street":
            if not 3 <= len(kept) <= 80:
                raise CellError("cells.street_bad")
            await self.repo.update(cell.id, street=kept)
        elif what == "number":
            if not _NUMBER.match(kept):
                raise CellError("cells.number_bad")
            await self.repo.update(cell.id, number=kept)
        elif what == "surface":
            surface = _number(kept)
            if surface is None or not 5 <= surface <= 5000:
                raise CellError("cells.surface_bad")
            await self.repo.update(cell.id, surface_m2=round(surface))
        elif what == "front":
            front = _number(kept)
            if front is None or not 0.5 <= front <= 100:
                raise CellError("cells.front_bad")
            await self.repo.update(cell.id, front_m=round(front, 1))
        elif what == "rent":
            low, high = parse_rent(kept)
            await self.repo.update(cell.id, rent_min=low, rent_max=high)
        elif what == "available":
            day = self.parse_day(kept)
            await self.repo.update(cell.id, available_from=day.isoformat())
        elif what == "phone":
            await self.repo.update(cell.id, contact="phone", phone=parse_phone(kept))
        else:
            raise CellError("button.stale")
        found = await self.repo.get(cell.id)
        assert found is not None
        return found

    async def choose(self, user: User, cell_id: int, what: str, value: str) -> Cell:
        """Store an answer given by a button (core, no number, show it, now, contact)."""
        cell = await self.own(user, cell_id, "draft")
        if what == "core":
            core = self._ref.core(value)
            if core is None or core.territory != cell.territory_id:
                raise CellError("button.invalid")
            await self.repo.update(cell.id, core_id=core.id)
        elif what == "number":
            await self.repo.update(cell.id, number="", show_number=0)
        elif what == "show_number":
            await self.repo.update(cell.id, show_number=1 if value == "1" else 0)
        elif what == "available":
            await self.repo.update(cell.id, available_from=self.today().isoformat())
        elif what == "contact" and value == "bot":
            await self.repo.update(cell.id, contact="bot", phone=None)
        else:
            raise CellError("button.invalid")
        found = await self.repo.get(cell.id)
        assert found is not None
        return found

    def parse_day(self, text: str) -> date:
        """Read "dd/mm", "dd/mm/yyyy" or "yyyy-mm-dd"; a past day means now."""
        today = self.today()
        iso, dotted = _ISO.match(text), _DATE.match(text)
        try:
            if iso is not None:
                day = date(int(iso[1]), int(iso[2]), int(iso[3]))
            elif dotted is not None:
                year = dotted[3]
                if year is None:
                    day = date(today.year, int(dotted[2]), int(dotted[1]))
                    if day < today:
                        # "01/03" in December is next March.
                        day = date(today.year + 1, int(dotted[2]), int(dotted[1]))
                else:
                    full = int(year) + (2000 if len(year) == 2 else 0)
                    day = date(full, int(dotted[2]), int(dotted[1]))
            else:
                raise CellError("cells.date_bad")
        except ValueError as exc:
            if isinstance(exc, CellError):
                raise
            # 29/02 in a year without it, 31/04: no such day.
            raise CellError("cells.date_bad") from None
        if day > today + timedelta(days=730):
            raise CellError("cells.date_far")
        return max(day, today)

    async def add_photo(self, user: User, channel: str, ref: str) -> tuple[Cell, int]:
        """Keep a picture sent while photos are asked for; return the cell and its count."""
        typing = await self.repo.typing(user.id)
        if typing is None or typing.what.removeprefix("edit:") not in PHOTO_STEPS or not ref:
            raise CellError("button.stale")
        cell = await self.own(user, typing.cell_id, "draft")
        if typing.what == "edit:photos":
            # New photos replace the old ones, from the first that comes (not before).
            await self.repo.drop_photos(cell.id)
            await self.repo.expect(user.id, cell.id, "edit:photos_more")
        kept, _failed = await self.repo.photo_count(cell.id)
        if kept >= MAX_PHOTOS:
            raise CellError("cells.photos_full", max=MAX_PHOTOS)
        await self.repo.add_photo(cell.id, channel, ref)
        return cell, kept + 1

    async def missing(self, cell: Cell) -> str | None:
        """Return the first question of the form still unanswered, or None when complete."""
        if cell.core_id is None:
            return "core"
        if cell.street is None:
            return "street"
        if cell.number is None:
            return "number"
        if cell.surface_m2 is None:
            return "surface"
        if cell.front_m is None:
            return "front"
        if cell.rent_min is None:
            return "rent"
        if cell.available_from is None:
            return "available"
        if cell.contact is None:
            return "contact"
        if cell.contact == "phone" and not cell.phone:
            return "phone"
        return None

    async def submit(self, user: User, cell_id: int) -> Cell:
        """Send a complete draft to the admins for validation."""
        cell = await self.own(user, cell_id, "draft")
        if await self.missing(cell) is not None:
            raise CellError("cells.incomplete")
        now = self._stamp()
        await self.repo.set_status(
            cell.id, "pending", now, submitted_at=now, reason=None, asked_at=None
        )
        await self.repo.stop_typing(user.id)
        await self._notices.tell_admins(self._admins, "cell.review", cell.subject)
        done = await self.repo.get(cell.id)
        assert done is not None
        return done

    async def edit(self, user: User, cell_id: int) -> Cell:
        """Take a cell back to change one answer: hidden until an admin validates it again."""
        cell = await self.own(user, cell_id, "draft", "pending", "validated", "refused", "expired")
        if cell.status != "draft":
            await self.repo.set_status(cell.id, "draft", self._stamp(), closed_at=None)
        found = await self.repo.get(cell.id)
        assert found is not None
        return found

    async def close(self, user: User, cell_id: int, status: str) -> Cell:
        """Say a cell is let, or withdraw it; it leaves the board."""
        if status not in ("let", "withdrawn"):
            raise CellError("button.invalid")
        cell = await self.own(user, cell_id, "draft", "pending", "validated", "expired")
        now = self._stamp()
        await self.repo.set_status(cell.id, status, now, closed_at=now)
        await self.repo.stop_typing(user.id)
        await self._notices.drop(cell.subject)
        found = await self.repo.get(cell.id)
        assert found is not None
        return found

    async def delete(self, user: User, cell_id: int) -> None:
        """Delete a cell and its photos for good."""
        cell = await self.own(user, cell_id)
        await self._notices.drop(cell.subject)
        await self.repo.delete(cell.id)

    async def still_free(self, user: User, cell_id: int) -> Cell:
        """The landlord says the cell is still free: listed for another 60 days."""
        cell = await self.own(user, cell_id, "validated", "expired")
        now = self.now()
        await self.repo.set_status(
            cell.id,
            LISTED,
            self._stamp(now),
            expires_at=self._stamp(now + LISTED_FOR),
            asked_at=None,
            closed_at=None,
        )
        found = await self.repo.get(cell.id)
        assert found is not None
        return found

    # ---- admins -----------------------------------------------------------------------------

    async def validate(self, admin: str, cell_id: int) -> Cell:
        """List a pending cell for 60 days; its landlord is told."""
        cell = await self.repo.get(cell_id)
        if cell is None or cell.status != "pending":
            raise CellError("button.stale")
        now = self.now()
        await self.repo.set_status(
            cell.id,
            LISTED,
            self._stamp(now),
            validated_at=self._stamp(now),
            validated_by=admin,
            expires_at=self._stamp(now + LISTED_FOR),
            asked_at=None,
        )
        await self._notices.tell(cell.user_id, "cell.validated", cell.subject)
        found = await self.repo.get(cell.id)
        assert found is not None
        return found

    async def refuse(self, admin: str, cell_id: int, reason: str) -> Cell:
        """Refuse a pending cell with a reason; its landlord is told and can change it."""
        cell = await self.repo.get(cell_id)
        if cell is None or cell.status != "pending":
            raise CellError("button.stale")
        now = self._stamp()
        await self.repo.set_status(
            cell.id, "refused", now, reason=reason, validated_by=admin, closed_at=now
        )
        await self._notices.tell(
            cell.user_id, "cell.refused", cell.subject, params={"reason": reason}
        )
        found = await self.repo.get(cell.id)
        assert found is not None
        return found

    async def run_due(self) -> Due:
        """Ask landlords once before their listing goes; take down listings whose time is up."""
        now = self.now()
        asked = expired = 0
        # One unit: the landlords are told once it is committed, never from inside it.
        async with self._db.unit_of_work() as unit, self._db.transaction():
            await self.repo.tidy(self._stamp(now - TYPING_FOR), self._stamp(now - DRAFT_INTEREST))
            for cell in await self.repo.to_expire(self._stamp(now)):
                stamp = self._stamp(now)
                await self.repo.set_status(cell.id, "expired", stamp, closed_at=stamp)
                await self._notices.tell(cell.user_id, "cell.expired", cell.subject)
                expired += 1
            for cell in await self.repo.to_ask(self._stamp(now + ASK_BEFORE)):
                await self.repo.mark_asked(cell.id, self._stamp(now))
                await self._notices.tell(cell.user_id, "cell.still_free", cell.subject)
                asked += 1
        for work in unit.deferred:
            await work()
        return Due(asked, expired)

    # ---- people browsing ----------------------------------------------------------------------

    async def browse(self, territory_id: str, core_id: str | None, size: int) -> list[Cell]:
        """Return the listed cells of a territory (or one core) of a size, newest first."""
        _name, low, high = SIZES[size] if 0 <= size < len(SIZES) else SIZES[0]
        return await self.repo.listed(territory_id, core_id, low, high)

    async def listed(self, cell_id: int) -> Cell:
        """Return a cell people may see (validated and not expired)."""
        cell = await self.repo.get(cell_id)
        if cell is None or cell.status != LISTED:
            raise CellError("cells.gone")
        return cell

    async def interested(self, user: User, cell_id: int) -> Cell:
        """Begin "I'm interested": the first name is asked next (nothing passes yet)."""
        cell = await self.listed(cell_id)
        if cell.user_id == user.id:
            raise CellError("cells.own")
        sent = await self.repo.interest(cell.id, user.id)
        if sent is not None and sent.status == "sent":
            raise CellError("cells.already_sent")
        await self.repo.start_interest(cell.id, user.id)
        await self.repo.expect(user.id, cell.id, "name")
        return cell

    async def interest_name(self, user: User, text: str) -> Cell:
        """Keep the first name the person wants the landlord to see."""
        typing = await self.repo.typing(user.id)
        if typing is None or typing.what != "name":
            raise CellError("button.stale")
        cell = await self.listed(typing.cell_id)
        name = clean_text(text, max_chars=MAX_FIRST_NAME + 1)
        if not name or len(name) > MAX_FIRST_NAME or any(ch.isdigit() for ch in name):
            raise CellError("cells.name_bad", max=MAX_FIRST_NAME)
        await self.repo.interest_answer(cell.id, user.id, first_name=name)
        await self.repo.stop_typing(user.id)
        return cell

    async def interest_contact(self, user: User, cell_id: int, contact: str) -> Cell:
        """Keep the contact the person chose to give (their WhatsApp number, or typed)."""
        cell = await self.listed(cell_id)
        interest = await self.repo.interest(cell.id, user.id)
        if interest is None or interest.status != "draft" or interest.first_name is None:
            raise CellError("button.stale")
        await self.repo.interest_answer(cell.id, user.id, contact=contact)
        await self.repo.stop_typing(user.id)
        return cell

    async def typed_contact(self, user: User, text: str) -> Cell:
        """Keep a phone number or e-mail address the person typed for the landlord."""
        typing = await self.repo.typing(user.id)
        if typing is None or typing.what != "contact":
            raise CellError("button.stale")
        return await self.interest_contact(user, typing.cell_id, parse_contact(text))

    async def send_interest(self, user: User, cell_id: int) -> Cell:
        """With the person's explicit yes, pass their first name and contact to the landlord."""
        cell = await self.listed(cell_id)
        if not await self.repo.interest_sent(cell.id, user.id, self._stamp()):
            raise CellError("button.stale")
        await self._notices.tell(cell.user_id, "cell.interest", cell.subject, about=user.id)
        return cell

    async def cancel_interest(self, user: User, cell_id: int) -> None:
        """Drop an interest before anything was passed."""
        await self.repo.drop_interest(cell_id, user.id)
        typing = await self.repo.typing(user.id)
        if typing is not None and typing.cell_id == cell_id:
            await self.repo.stop_typing(user.id)


def _number(text: str) -> float | None:
    match = re.match(
        r"^\s*(\d{1,5}(?:[.,]\d{1,2})?)\s*(?:m²|m2|m|mètres?|meters?|meter)?\s*$", text.lower()
    )
    return None if match is None else float(match[1].replace(",", "."))


def parse_rent(text: str) -> tuple[int, int]:
    """Read a monthly rent, "900" or a range "800-1000" (euros)."""
    # "1.200", "1 200": thousands written the Belgian way.
    match = _RENT.match(re.sub(r"(?<=\d)[\s.\u00a0\u202f](?=\d{3}\b)", "", text.lower()))
    if match is None:
        raise CellError("cells.rent_bad")
    low = int(match[1])
    high = int(match[2]) if match[2] else low
    if low > high:
        low, high = high, low
    if low < 50 or high > 100_000:
        raise CellError("cells.rent_bad")
    return low, high


def parse_phone(text: str) -> str:
    """Return a Belgian (or international) phone number in its international form."""
    try:
        number = phonenumbers.parse(text, "BE")
    except phonenumbers.NumberParseException:
        raise CellError("cells.phone_bad") from None
    if not phonenumbers.is_valid_number(number):
        raise CellError("cells.phone_bad")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_contact(text: str) -> str:
    """Return a typed phone number (international form) or e-mail address."""
    kept = clean_text(text, max_chars=MAX_CONTACT + 1).strip()
    if _EMAIL.match(kept) and len(kept) <= MAX_CONTACT:
        return kept
    try:
        return parse_phone(kept)
    except CellError:
        raise CellError("cells.contact_bad") from None
