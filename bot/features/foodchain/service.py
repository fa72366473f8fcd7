"""The local food chain's use cases: producers' profiles, buyers' wishes, and matching them.

Matching: a validated producer's product and an active wish fit when they are in the same
territory, name the same product category and share at least one month (a 12-bit mask, so a
season across New Year, November to February, is just four bits). The reference data has no
coordinates or neighbours for the villages, so the whole territory is close enough; the same
village comes first. Each (producer, buyer, product) is suggested at most once, ever.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.features.foodchain.store import Candidate, FoodRepository, Match, Producer, Wish
from bot.features.notices.service import Notices
from bot.reference import Reference
from bot.shared.text import clean_text
from bot.storage import Database, User

PRODUCTS = (
    "vegetables",
    "fruit",
    "meat",
    "dairy",
    "cheese",
    "eggs",
    "bread_flour",
    "beer",
    "honey",
    "other",
)
KINDS = ("farmer", "market_gardener", "brewer", "dairy", "other")
VOLUMES = ("small", "medium", "large")
DELIVERY = ("pickup", "delivery", "market")
BUYER_KINDS = ("shop", "restaurant", "caterer")
REFUSALS = ("not_local", "not_producer", "incomplete", "duplicate")
ALL_YEAR = 0xFFF
SEASONS = {
    "spring": (3, 4, 5),
    "summer": (6, 7, 8),
    "autumn": (9, 10, 11),
    "winter": (12, 1, 2),
}
MAX_BUSINESS_NAME = 60
MAX_FIRST_NAME = 40
MAX_CONTACT = 80
MAX_RELAYED = 500
# Suggestions waiting for a person's answer at once: more wait until they answer some.
MAX_OPEN = 3
# A suggestion nobody closed is closed after this; typed answers are awaited for an hour.
ANSWER_WITHIN = timedelta(days=21)
TYPE_WITHIN = timedelta(hours=1)
WRITE_WITHIN = timedelta(minutes=10)
DRAFT_KEPT = timedelta(days=7)
SUBJECT = "food_match:{}"

_NAME = re.compile(r"^[^\W\d_][^\d]*$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ./-]{6,22}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class FoodError(ValueError):
    """A refused input or a stale tap: the key of the polite answer; nothing was stored."""


def mask_of(months: tuple[int, ...]) -> int:
    """Return the mask of months numbered 1 to 12."""
    return sum(1 << (m - 1) for m in set(months) if 1 <= m <= 12)


def months_of(mask: int) -> tuple[int, ...]:
    """Return the months (1 to 12) in a mask."""
    return tuple(m for m in range(1, 13) if mask & (1 << (m - 1)))


def toggled(mask: int, value: str) -> int:
    """Toggle a month ("1".."12"), a season (all its months) or "all" in a mask."""
    if value == "all":
        return 0 if mask == ALL_YEAR else ALL_YEAR
    if value in SEASONS:
        season = mask_of(SEASONS[value])
        return mask & ~season if mask & season == season else mask | season
    if value.isdigit() and 1 <= int(value) <= 12:
        return mask ^ (1 << (int(value) - 1))
    raise FoodError("button.invalid")


@dataclass(frozen=True)
class Offer:
    """A product of a validated producer, as others may see it."""

    product: str
    months: tuple[int, ...]
    volume: str


@dataclass(frozen=True)
class ProducerCard:
    """A validated producer's business information: no name of a person, no contact."""

    user_id: int
    business_name: str | None
    kind: str
    territory_id: str
    core_id: str
    products: tuple[Offer, ...]
    delivers: tuple[str, ...]


class FoodService:
    """Keep profiles and wishes, suggest matches, and put people in touch when both accept."""

    def __init__(
        self,
        db: Database,
        reference: Reference,
        notices: Notices,
        admins: tuple[str, ...],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._ref = reference
        self._notices = notices
        self._admins = admins
        self._clock = clock
        self.repo = FoodRepository(db, self._stamp)

    def _stamp(self, moment: datetime | None = None) -> str:
        """Return a time (now by default) as stored."""
        return (moment or self._clock()).astimezone(UTC).isoformat(timespec="milliseconds")

    def stamp_ago(self, delta: timedelta) -> str:
        """Return the time `delta` ago, as stored."""
        return self._stamp(self._clock() - delta)

    # ---- the producer's profile -----------------------------------------------------------

    async def producer(self, user_id: int) -> Producer | None:
        """Return a person's producer profile, or None."""
        return await self.repo.producer(user_id)

    async def start(self, user: User) -> Producer:
        """Start a producer's profile (their village from their profile), or return theirs."""
        current = await self.repo.producer(user.id)
        if current is not None:
            return current
        await self.repo.create_producer(user.id, user.territory_id, user.core_id)
        return await self._producer(user.id)

    async def producer_at(self, user_id: int, step: str) -> Producer:
        """Return a draft profile standing at a question (a stale tap otherwise)."""
        return await self._producer(user_id, step)

    async def _producer(self, user_id: int, step: str | None = None) -> Producer:
        found = await self.repo.producer(user_id)
        if found is None or (step is not None and (found.status, found.step) != ("draft", step)):
            raise FoodError("button.stale")
        return found

    async def set_kind(self, user_id: int, kind: str) -> Producer:
        """Keep what kind of producer they are; the products are asked next."""
        if kind not in KINDS:
            raise FoodError("button.invalid")
        await self._producer(user_id, "kind")
        await self.repo.update_producer(user_id, kind=kind, step="products")
        return await self._producer(user_id)

    async def toggle_product(self, user_id: int, product: str) -> Producer:
        """Tick or untick a product category."""
        if product not in PRODUCTS:
            raise FoodError("button.invalid")
        producer = await self._producer(user_id, "products")
        if producer.product(product) is None:
            await self.repo.add_product(user_id, product)
        else:
            await self.repo.remove_product(user_id, product)
        return await self._producer(user_id)

    async def products_done(self, user_id: int) -> Producer:
        """Go on to the first product's months."""
        producer = await self._producer(user_id, "products")
        if not producer.products:
            raise FoodError("food.pick_a_product")
        first = _ordered(producer)[0]
        await self.repo.update_producer(user_id, step="months", current_product=first)
        return await self._producer(user_id)

    async def toggle_month(self, user_id: int, product: str, value: str) -> Producer:
        """Toggle a month, a season or all year for the product asked about."""
        producer = await self._producer(user_id, "months")
        offered = producer.product(product)
        if offered is None or producer.current_product != product:
            raise FoodError("button.stale")
        await self.repo.set_product(user_id, product, months=toggled(offered.months, value))
        return await self._producer(user_id)

    async def months_done(self, user_id: int, product: str) -> Producer:
        """Go on to the product's volume."""
        producer = await self._producer(user_id, "months")
        offered = producer.product(product)
        if offered is None or producer.current_product != product:
            raise FoodError("button.stale")
        if offered.months == 0:
            raise FoodError("food.pick_a_month")
        await self.repo.update_producer(user_id, step="volume")
        return await self._producer(user_id)

    async def set_volume(self, user_id: int, product: str, volume: str) -> Producer:
        """Keep the product's volume; the next product's months, or delivery, come next."""
        if volume not in VOLUMES:
            raise FoodError("button.invalid")
        producer = await self._producer(user_id, "volume")
        if producer.current_product != product or producer.product(product) is None:
            raise FoodError("button.stale")
        await self.repo.set_product(user_id, product, volume=volume)
        order = _ordered(producer)
        after = order[order.index(product) + 1 :]
        if after:
            await self.repo.update_producer(user_id, step="months", current_product=after[0])
        else:
            await self.repo.update_producer(user_id, step="delivery", current_product=None)
        return await self._producer(user_id)

    async def toggle_delivery(self, user_id: int, way: str) -> Producer:
        """Tick or untick a way of delivering."""
        if way not in DELIVERY:
            raise FoodError("button.invalid")
        producer = await self._producer(user_id, "delivery")
        ways = set(producer.delivers) ^ {way}
        delivers = ",".join(w for w in DELIVERY if w in ways)
        await self.repo.update_producer(user_id, delivers=delivers)
        return await self._producer(user_id)

    async def delivery_done(self, user_id: int) -> Producer:
        """Go on to the village."""
        producer = await self._producer(user_id, "delivery")
        if not producer.delivers:
            raise FoodError("food.pick_a_way")
        await self.repo.update_producer(user_id, step="village")
        return await self._producer(user_id)

    async def set_village(self, user_id: int, core_id: str | None) -> Producer:
        """Keep their village (None: the one already there); the business name comes next."""
        producer = await self._producer(user_id, "village")
        if core_id is not None:
            core = self._ref.core(core_id)
            # The villages offered are the producer's territory's: another is a forged tap.
            if core is None or (
                producer.territory_id is not None and core.territory != producer.territory_id
            ):
                raise FoodError("button.invalid")
            await self.repo.update_producer(user_id, core_id=core.id, territory_id=core.territory)
        elif producer.core_id is None:
            raise FoodError("button.stale")
        await self.repo.update_producer(user_id, step="name")
        return await self._producer(user_id)

    async def set_name(self, user_id: int, text: str | None) -> Producer:
        """Keep the business name (optional: None keeps what was there)."""
        await self._producer(user_id, "name")
        if text is not None:
            name = clean_text(text, max_chars=MAX_BUSINESS_NAME + 1)
            if not name:
                raise FoodError("food.name_empty")
            if len(name) > MAX_BUSINESS_NAME:
                raise FoodError("food.name_too_long")
            await self.repo.update_producer(user_id, business_name=name)
        await self.repo.update_producer(user_id, step="review")
        return await self._producer(user_id)

    async def submit(self, user_id: int) -> Producer:
        """Send the profile for validation; the admins are told (nobody else sees it yet)."""
        producer = await self._producer(user_id, "review")
        if not producer.products or producer.kind is None or producer.core_id is None:
            raise FoodError("button.stale")
        await self.repo.update_producer(
            user_id, status="pending", step="done", submitted_at=self._stamp(), refusal=None
        )
        await self._notices.tell_admins(self._admins, "food_pending", f"producer:{user_id}")
        return await self._producer(user_id)

    async def edit(self, user_id: int) -> Producer:
        """Answer the questions again; the profile is hidden until validated again."""
        producer = await self.repo.producer(user_id)
        if producer is None or producer.status == "draft":
            raise FoodError("button.stale")
        await self.repo.update_producer(user_id, status="draft", step="kind")
        return await self._producer(user_id)

    async def withdraw(self, user_id: int) -> None:
        """Withdraw the profile: hidden, and its open suggestions closed."""
        producer = await self.repo.producer(user_id)
        if producer is None or producer.status == "withdrawn":
            raise FoodError("button.stale")
        await self.repo.update_producer(user_id, status="withdrawn", step="done")
        for match in await self.repo.open_matches(producer_id=user_id):
            await self._close(match, "expired")

    # ---- admins ---------------------------------------------------------------------------

    async def pending(self) -> list[Producer]:
        """Return the profiles waiting for validation, oldest first."""
        found = [await self.repo.producer(uid) for uid in await self.repo.by_status("pending")]
        return [p for p in found if p is not None]

    async def validate(self, user_id: int, by: str) -> Producer:
        """Validate a pending profile; the producer is told, and matching runs."""
        producer = await self.repo.producer(user_id)
        if producer is None or producer.status != "pending":
            raise FoodError("food.admin_stale")
        await self.repo.update_producer(
            user_id, status="validated", validated_by=by, validated_at=self._stamp()
        )
        # Products dropped while editing take their open suggestions with them.
        offered = {p.product for p in producer.products}
        for match in await self.repo.open_matches(producer_id=user_id):
            if match.product not in offered:
                await self._close(match, "expired")
        await self._notices.tell(user_id, "food_validated", f"producer:{user_id}")
        await self.match()
        return await self._producer(user_id)

    async def refuse(self, user_id: int, by: str, reason: str) -> Producer:
        """Refuse a pending profile with a reason from the list; the producer is told."""
        if reason not in REFUSALS:
            raise FoodError("button.invalid")
        producer = await self.repo.producer(user_id)
        if producer is None or producer.status != "pending":
            raise FoodError("food.admin_stale")
        await self.repo.update_producer(
            user_id, status="refused", refusal=reason, validated_by=by, validated_at=None
        )
        for match in await self.repo.open_matches(producer_id=user_id):
            await self._close(match, "expired")
        await self._notices.tell(
            user_id, "food_refused", f"producer:{user_id}", params={"reason": reason}
        )
        return await self._producer(user_id)

    # ---- buyers ---------------------------------------------------------------------------

    async def wishes(self, user_id: int) -> list[Wish]:
        """Return what a person would buy locally."""
        return await self.repo.wishes(user_id)

    async def buyer_kind(self, user_id: int) -> str | None:
        """Return what kind of buyer the person said they are, or None."""
        wishes = await self.repo.wishes(user_id)
        return wishes[0].buyer_kind if wishes else None

    async def set_buyer_kind(self, user_id: int, kind: str) -> None:
        """Change what kind of buyer the person is."""
        if kind not in BUYER_KINDS:
            raise FoodError("button.invalid")
        await self.repo.set_buyer_kind(user_id, kind)

    async def add_wish(self, user: User, kind: str, product: str) -> Wish:
        """Start a wish for a product in the person's area; months and volume come next."""
        if kind not in BUYER_KINDS or product not in PRODUCTS:
            raise FoodError("button.invalid")
        if user.territory_id is None or user.core_id is None:
            raise FoodError("food.no_place")
        wish_id = await self.repo.add_wish(user.id, kind, product, user.territory_id, user.core_id)
        if wish_id is None:
            raise FoodError("food.wish_exists")
        return await self._wish(user.id, wish_id)

    async def _wish(self, user_id: int, wish_id: int, *, draft: bool = False) -> Wish:
        wish = await self.repo.wish(wish_id)
        if wish is None or wish.user_id != user_id or (draft and wish.status != "draft"):
            raise FoodError("button.stale")
        return wish

    async def toggle_wish_month(self, user_id: int, wish_id: int, value: str) -> Wish:
        """Toggle a month, a season or all year on a wish being answered."""
        wish = await self._wish(user_id, wish_id, draft=True)
        await self.repo.set_wish(wish_id, months=toggled(wish.months, value))
        return await self._wish(user_id, wish_id)

    async def wish_months_done(self, user_id: int, wish_id: int, *, check: bool = True) -> Wish:
        """Return a wish being answered, checking it has months before its volume is asked."""
        wish = await self._wish(user_id, wish_id, draft=True)
        if check and wish.months == 0:
            raise FoodError("food.pick_a_month")
        return wish

    async def set_wish_volume(self, user_id: int, wish_id: int, volume: str) -> Wish:
        """Keep the wish's volume: it is active, and matching runs."""
        if volume not in VOLUMES:
            raise FoodError("button.invalid")
        wish = await self._wish(user_id, wish_id, draft=True)
        if wish.months == 0:
            raise FoodError("food.pick_a_month")
        await self.repo.set_wish(wish_id, volume=volume, status="active")
        await self.match()
        return await self._wish(user_id, wish_id)

    async def remove_wish(self, user_id: int, wish_id: int) -> Wish:
        """Remove a wish; its open suggestions close."""
        wish = await self._wish(user_id, wish_id)
        await self.repo.remove_wish(wish_id)
        for match in await self.repo.open_matches(buyer_id=user_id, product=wish.product):
            await self._close(match, "expired")
        return wish

    # ---- matching -------------------------------------------------------------------------

    async def match(self) -> int:
        """Suggest every new fitting pair to both sides; return how many were suggested."""
        waiting = await self.repo.open_unanswered()
        # Same village first, then most months in common.
        ranked = sorted(
            await self.repo.candidates(),
            key=lambda c: (not c.same_core, -bin(c.shared_months).count("1")),
        )
        proposed = 0
        now = self._stamp()
        for candidate in ranked:
            # Nobody gets more than a few suggestions to answer at once.
            if any(waiting.get(p, 0) >= MAX_OPEN for p in _people(candidate)):
                continue
            match_id = await self.repo.propose(candidate, now)
            if match_id is None:
                continue
            subject = SUBJECT.format(match_id)
            await self._notices.tell(
                candidate.buyer_id, "food_offer_buyer", subject, about=candidate.producer_id
            )
            await self._notices.tell(
                candidate.producer_id, "food_offer_producer", subject, about=candidate.buyer_id
            )
            for person in _people(candidate):
                waiting[person] = waiting.get(person, 0) + 1
            proposed += 1
        return proposed

    async def expire_due(self) -> int:
        """Close suggestions left unanswered too long; return how many."""
        due = await self.repo.open_matches(before=self._stamp(self._clock() - ANSWER_WITHIN))
        for match in due:
            await self._close(match, "expired")
        return len(due)

    async def tidy(self) -> int:
        """Drop half-answered wishes and stale waits for typed answers."""
        dropped = await self.repo.drop_drafts(self._stamp(self._clock() - DRAFT_KEPT))
        return dropped + await self.repo.drop_typing(self._stamp(self._clock() - TYPE_WITHIN))

    async def run(self) -> int:
        """Do the periodic work in one unit, telling people once it is committed."""
        async with self._db.unit_of_work() as unit, self._db.transaction():
            await self.tidy()
            await self.expire_due()
            proposed = await self.match()
        for work in unit.deferred:
            await work()
        return proposed

    async def _close(self, match: Match, status: str) -> None:
        """Close an open suggestion; a side who already said yes hears "not this time"."""
        if not await self.repo.update_match(
            match.id, only_if="proposed", status=status, closed_at=self._stamp()
        ):
            return
        await self.repo.unexpect_match(match.id)
        subject = SUBJECT.format(match.id)
        # What was not sent yet about it no longer means anything.
        await self._notices.drop(subject)
        for side, person in (("producer", match.producer_id), ("buyer", match.buyer_id)):
            if match.answer(side) == "accepted":
                await self._notices.tell(person, "food_closed", subject)

    # ---- answers to a suggestion ----------------------------------------------------------

    async def _open(self, user_id: int, match_id: int) -> tuple[Match, str]:
        match = await self.repo.match(match_id)
        side = None if match is None else match.side(user_id)
        if match is None or side is None:
            raise FoodError("food.match_gone")
        if match.status != "proposed" or match.answer(side) is not None:
            raise FoodError("food.match_gone")
        producer = await self.repo.producer(match.producer_id)
        if producer is None or producer.status != "validated":
            raise FoodError("food.match_paused")
        return match, side

    async def accept(self, user_id: int, match_id: int) -> Match:
        """Say yes: the first name to give is asked next (typed)."""
        match, _side = await self._open(user_id, match_id)
        await self.repo.expect(user_id, match_id, "first_name")
        return match

    async def expected(self, user_id: int) -> tuple[int, str] | None:
        """Return (match id, what) the person's next words answer, within the hour.

        A message to pass to the other side is awaited ten minutes only: later words are
        more likely meant for the bot (a concern) than for a producer or a restaurant.
        """
        found = await self.repo.expected(user_id, self._stamp(self._clock() - TYPE_WITHIN))
        if found is not None and found[1] == "write":
            return await self.repo.expected(user_id, self._stamp(self._clock() - WRITE_WITHIN))
        return found

    async def give_first_name(self, user_id: int, match_id: int, text: str) -> Match:
        """Keep the first name the person agrees to give; how to reach them comes next."""
        match, side = await self._open(user_id, match_id)
        name = clean_text(text, max_chars=MAX_FIRST_NAME + 1)
        if not name or len(name) > MAX_FIRST_NAME or not _NAME.match(name):
            raise FoodError("food.bad_first_name")
        await self.repo.update_match(match.id, **{f"{side}_first_name": name})
        await self.repo.unexpect(user_id)
        return match

    async def choose_contact(self, user: User, match_id: int, kind: str) -> Match | None:
        """Keep how the other side may reach them; "typed" waits for the words.

        Returns the match once this side's yes is complete, None while a contact is typed.
        """
        match, side = await self._open(user.id, match_id)
        if kind not in ("number", "typed", "relay") or (
            kind == "number" and user.channel != "whatsapp"
        ):
            raise FoodError("button.invalid")
        if getattr(match, f"{side}_first_name") is None:
            raise FoodError("button.stale")
        if kind == "typed":
            await self.repo.expect(user.id, match_id, "contact")
            return None
        await self.repo.update_match(
            match.id, **{f"{side}_contact_kind": kind, f"{side}_contact": None}
        )
        return await self._said_yes(user.id, match.id, side)

    async def give_contact(self, user_id: int, match_id: int, text: str) -> Match:
        """Keep the phone number or e-mail address the person typed; their yes is complete."""
        match, side = await self._open(user_id, match_id)
        contact = clean_text(text, max_chars=MAX_CONTACT + 1)
        digits = sum(c.isdigit() for c in contact)
        # A contact cut to fit would pass someone else's address on: too long is refused.
        if len(contact) > MAX_CONTACT or not (
            _EMAIL.match(contact) or (_PHONE.match(contact) and digits >= 8)
        ):
            raise FoodError("food.bad_contact")
        if getattr(match, f"{side}_first_name") is None:
            raise FoodError("button.stale")
        await self.repo.update_match(
            match.id, **{f"{side}_contact_kind": "typed", f"{side}_contact": contact}
        )
        await self.repo.unexpect(user_id)
        return await self._said_yes(user_id, match.id, side)

    async def _said_yes(self, user_id: int, match_id: int, side: str) -> Match:
        await self.repo.update_match(
            match_id, only_if="proposed", **{f"{side}_answer": "accepted"}
        )
        match = await self.repo.match(match_id)
        assert match is not None
        if match.producer_answer == match.buyer_answer == "accepted":
            await self.repo.update_match(
                match_id, only_if="proposed", status="accepted", connected_at=self._stamp()
            )
            subject = SUBJECT.format(match_id)
            # Each learns the other's first name and contact, only now that both said yes.
            await self._notices.tell(
                match.producer_id, "food_connected", subject, about=match.buyer_id
            )
            await self._notices.tell(
                match.buyer_id, "food_connected", subject, about=match.producer_id
            )
            found = await self.repo.match(match_id)
            assert found is not None
            return found
        return match

    async def decline(self, user_id: int, match_id: int) -> Match:
        """Say no: the suggestion closes, never to be made again."""
        match, side = await self._open(user_id, match_id)
        await self.repo.update_match(match.id, **{f"{side}_answer": "declined"})
        await self.repo.unexpect(user_id)
        await self._close(match, "declined")
        found = await self.repo.match(match_id)
        assert found is not None
        return found

    async def start_writing(self, user_id: int, match_id: int) -> Match:
        """Take the person's next words as a message to the other side of a connection."""
        match = await self.repo.match(match_id)
        if match is None or match.side(user_id) is None or match.status != "accepted":
            raise FoodError("food.match_gone")
        await self.repo.expect(user_id, match_id, "write")
        return match

    async def relay(self, user_id: int, match_id: int, text: str) -> Match:
        """Pass a message to the other side (kept only until it is delivered)."""
        match = await self.repo.match(match_id)
        if match is None or match.side(user_id) is None or match.status != "accepted":
            raise FoodError("food.match_gone")
        message = clean_text(text, max_chars=MAX_RELAYED + 1)
        if not message:
            raise FoodError("food.empty")
        if len(message) > MAX_RELAYED:
            raise FoodError("food.too_long")
        await self.repo.unexpect(user_id)
        await self._notices.tell(
            match.other(user_id),
            "food_relay",
            SUBJECT.format(match_id),
            about=user_id,
            params={"text": message, "from": match.side(user_id)},
        )
        return match

    # ---- read API (the opportunities view, the partners' report) --------------------------

    async def producers(self, territory_id: str) -> list[ProducerCard]:
        """Return the validated producers of a territory: business information, no contact."""
        cards = []
        for user_id in await self.repo.by_status("validated", territory_id):
            producer = await self.repo.producer(user_id)
            if producer is None or producer.kind is None or producer.core_id is None:
                continue
            offers = tuple(
                Offer(p.product, months_of(p.months), p.volume)
                for p in sorted(producer.products, key=lambda p: PRODUCTS.index(p.product))
                if p.volume is not None and p.months
            )
            cards.append(
                ProducerCard(
                    user_id,
                    producer.business_name,
                    producer.kind,
                    territory_id,
                    producer.core_id,
                    offers,
                    producer.delivers,
                )
            )
        return cards

    async def report(self, territory_id: str | None, since: str, until: str) -> dict[str, int]:
        """Return raw counts over [since, until) (ISO dates or times, UTC): ungated.

        `producers`: profiles validated in the period (and still validated); `wishes`: active
        wishes added; `matches_proposed`: suggestions made; `matches_accepted`: pairs put in
        touch (both said yes).
        """
        return await self.repo.counts(territory_id, since, until)


def _ordered(producer: Producer) -> list[str]:
    return sorted((p.product for p in producer.products), key=PRODUCTS.index)


def _people(candidate: Candidate) -> tuple[int, int]:
    return (candidate.producer_id, candidate.buyer_id)
