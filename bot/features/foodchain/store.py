"""The SQL of the local food chain: producers, their products, buyers' wishes, matches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage import Database, utcnow
from bot.storage.columns import set_clause


@dataclass(frozen=True)
class Product:
    """One product a producer offers: when (a 12-bit month mask) and how much."""

    product: str
    months: int
    volume: str | None


@dataclass(frozen=True)
class Producer:
    """A producer's profile (business information) and where its questions stand."""

    user_id: int
    business_name: str | None
    kind: str | None
    territory_id: str | None
    core_id: str | None
    delivers: tuple[str, ...]
    status: str
    step: str
    current_product: str | None
    refusal: str | None
    validated_at: str | None
    updated_at: str
    products: tuple[Product, ...]

    def product(self, product: str) -> Product | None:
        """Return one of the producer's products, or None."""
        return next((p for p in self.products if p.product == product), None)


@dataclass(frozen=True)
class Wish:
    """What a shop, restaurant or caterer would buy locally."""

    id: int
    user_id: int
    buyer_kind: str
    product: str
    months: int
    volume: str | None
    territory_id: str
    core_id: str
    status: str


@dataclass(frozen=True)
class Match:
    """A suggestion made to a producer and a buyer, and what each answered and agreed to give."""

    id: int
    producer_id: int
    buyer_id: int
    product: str
    territory_id: str
    status: str
    producer_answer: str | None
    buyer_answer: str | None
    producer_first_name: str | None
    producer_contact_kind: str | None
    producer_contact: str | None
    buyer_first_name: str | None
    buyer_contact_kind: str | None
    buyer_contact: str | None
    proposed_at: str

    def side(self, user_id: int) -> str | None:
        """Return "producer" or "buyer" for one of its two people, else None."""
        if user_id == self.producer_id:
            return "producer"
        if user_id == self.buyer_id:
            return "buyer"
        return None

    def other(self, user_id: int) -> int:
        """Return the other side's user id."""
        return self.buyer_id if user_id == self.producer_id else self.producer_id

    def answer(self, side: str) -> str | None:
        """Return what one side answered."""
        return self.producer_answer if side == "producer" else self.buyer_answer


@dataclass(frozen=True)
class Candidate:
    """A possible suggestion: a producer's product and a buyer's wish that fit."""

    producer_id: int
    buyer_id: int
    product: str
    territory_id: str
    same_core: bool
    shared_months: int


_PRODUCER = (
    "user_id, business_name, kind, territory_id, core_id, delivers, status, step,"
    " current_product, refusal, validated_at, updated_at"
)
_WISH = "id, user_id, buyer_kind, product, months, volume, territory_id, core_id, status"
_MATCH = (
    "id, producer_id, buyer_id, product, territory_id, status, producer_answer, buyer_answer,"
    " producer_first_name, producer_contact_kind, producer_contact, buyer_first_name,"
    " buyer_contact_kind, buyer_contact, proposed_at"
)
_PRODUCER_FIELDS = frozenset(
    {
        "business_name",
        "kind",
        "territory_id",
        "core_id",
        "delivers",
        "status",
        "step",
        "current_product",
        "refusal",
        "validated_by",
        "validated_at",
        "submitted_at",
    }
)
_MATCH_FIELDS = frozenset(
    {
        "status",
        "producer_answer",
        "buyer_answer",
        "producer_first_name",
        "producer_contact_kind",
        "producer_contact",
        "buyer_first_name",
        "buyer_contact_kind",
        "buyer_contact",
        "connected_at",
        "closed_at",
    }
)


def _wish(row: aiosqlite.Row) -> Wish:
    return Wish(
        int(row[0]),
        int(row[1]),
        str(row[2]),
        str(row[3]),
        int(row[4]),
        row[5],
        str(row[6]),
        str(row[7]),
        str(row[8]),
    )


def _match(row: aiosqlite.Row) -> Match:
    return Match(
        int(row[0]),
        int(row[1]),
        int(row[2]),
        str(row[3]),
        str(row[4]),
        str(row[5]),
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        str(row[14]),
    )


class FoodRepository:
    """Keep producers, wishes and matches."""

    def __init__(self, db: Database, now: Callable[[], str] = utcnow) -> None:
        self._db = db
        # The service's clock (a test's fake one), for every time stored.
        self._now = now

    # ---- producers ------------------------------------------------------------------------

    async def producer(self, user_id: int) -> Producer | None:
        """Return a person's producer profile with its products, or None."""
        row = await self._db.fetch_one(
            f"SELECT {_PRODUCER} FROM producers WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return None
        products = await self._db.fetch_all(
            "SELECT product, months, volume FROM producer_products WHERE user_id = ?",
            (user_id,),
        )
        return Producer(
            int(row[0]),
            row[1],
            row[2],
            row[3],
            row[4],
            tuple(d for d in str(row[5]).split(",") if d),
            str(row[6]),
            str(row[7]),
            row[8],
            row[9],
            row[10],
            str(row[11]),
            tuple(Product(str(p[0]), int(p[1]), p[2]) for p in products),
        )

    async def create_producer(
        self, user_id: int, territory_id: str | None, core_id: str | None
    ) -> None:
        """Start a draft profile at its first question."""
        now = self._now()
        await self._db.execute(
            "INSERT INTO producers (user_id, territory_id, core_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, territory_id, core_id, now, now),
        )

    async def update_producer(self, user_id: int, **fields: Any) -> bool:
        """Change some columns of a profile; False if there is none."""
        assignments, given = set_clause(fields, _PRODUCER_FIELDS)
        changed = await self._db.execute(
            f"UPDATE producers SET {assignments}, updated_at = ? WHERE user_id = ?",
            (*given, self._now(), user_id),
        )
        return changed == 1

    async def add_product(self, user_id: int, product: str) -> None:
        """Offer a product (its months and volume asked next)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO producer_products (user_id, product) VALUES (?, ?)",
            (user_id, product),
        )

    async def remove_product(self, user_id: int, product: str) -> None:
        """Stop offering a product."""
        await self._db.execute(
            "DELETE FROM producer_products WHERE user_id = ? AND product = ?", (user_id, product)
        )

    async def set_product(
        self, user_id: int, product: str, *, months: int | None = None, volume: str | None = None
    ) -> None:
        """Set a product's months or volume."""
        if months is not None:
            await self._db.execute(
                "UPDATE producer_products SET months = ? WHERE user_id = ? AND product = ?",
                (months, user_id, product),
            )
        if volume is not None:
            await self._db.execute(
                "UPDATE producer_products SET volume = ? WHERE user_id = ? AND product = ?",
                (volume, user_id, product),
            )

    async def by_status(self, status: str, territory_id: str | None = None) -> list[int]:
        """Return the producers (user ids) in a status, oldest submitted first."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM producers WHERE status = ? AND (? IS NULL OR territory_id = ?)"
            " ORDER BY submitted_at, user_id",
            (status, territory_id, territory_id),
        )
        return [int(r[0]) for r in rows]

    # ---- wishes ---------------------------------------------------------------------------

    async def wishes(self, user_id: int) -> list[Wish]:
        """Return a person's wishes, in the order they were added."""
        rows = await self._db.fetch_all(
            f"SELECT {_WISH} FROM buyer_wishes WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [_wish(r) for r in rows]

    async def wish(self, wish_id: int) -> Wish | None:
        """Return one wish."""
        row = await self._db.fetch_one(
            f"SELECT {_WISH} FROM buyer_wishes WHERE id = ?", (wish_id,)
        )
        return None if row is None else _wish(row)

    async def add_wish(
        self, user_id: int, buyer_kind: str, product: str, territory_id: str, core_id: str
    ) -> int | None:
        """Start a wish for a product; None if the person has one for it already."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM buyer_wishes WHERE user_id = ? AND product = ?", (user_id, product)
        )
        if row is not None:
            return None
        return await self._db.insert(
            "INSERT INTO buyer_wishes (user_id, buyer_kind, product, territory_id, core_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, buyer_kind, product, territory_id, core_id, self._now()),
        )

    async def set_wish(
        self,
        wish_id: int,
        *,
        months: int | None = None,
        volume: str | None = None,
        status: str | None = None,
    ) -> None:
        """Set a wish's months, volume or status."""
        for column, value in (("months", months), ("volume", volume), ("status", status)):
            if value is not None:
                await self._db.execute(
                    f"UPDATE buyer_wishes SET {column} = ? WHERE id = ?", (value, wish_id)
                )

    async def set_buyer_kind(self, user_id: int, buyer_kind: str) -> None:
        """Say what kind of buyer the person is, on all their wishes."""
        await self._db.execute(
            "UPDATE buyer_wishes SET buyer_kind = ? WHERE user_id = ?", (buyer_kind, user_id)
        )

    async def remove_wish(self, wish_id: int) -> None:
        """Delete a wish."""
        await self._db.execute("DELETE FROM buyer_wishes WHERE id = ?", (wish_id,))

    async def drop_drafts(self, before: str) -> int:
        """Delete wishes left half-answered since before a time."""
        return await self._db.execute(
            "DELETE FROM buyer_wishes WHERE status = 'draft' AND created_at < ?", (before,)
        )

    # ---- matching -------------------------------------------------------------------------

    async def candidates(self) -> list[Candidate]:
        """Return every fitting (producer, buyer, product) never suggested before.

        A validated producer's answered product and an active wish fit when they are in the
        same territory, name the same product and share at least one month.
        """
        rows = await self._db.fetch_all(
            "SELECT p.user_id, w.user_id, w.product, w.territory_id, p.core_id = w.core_id,"
            " pp.months & w.months"
            " FROM producers p"
            " JOIN producer_products pp ON pp.user_id = p.user_id AND pp.volume IS NOT NULL"
            " JOIN buyer_wishes w ON w.territory_id = p.territory_id"
            " AND w.product = pp.product AND w.status = 'active'"
            " AND (pp.months & w.months) != 0 AND w.user_id != p.user_id"
            " WHERE p.status = 'validated' AND NOT EXISTS (SELECT 1 FROM food_matches m"
            " WHERE m.producer_id = p.user_id AND m.buyer_id = w.user_id"
            " AND m.product = w.product)"
            " ORDER BY w.id, p.user_id"
        )
        return [
            Candidate(int(r[0]), int(r[1]), str(r[2]), str(r[3]), bool(r[4]), int(r[5]))
            for r in rows
        ]

    async def open_unanswered(self) -> dict[int, int]:
        """Return, per person, how many suggestions wait for their answer."""
        rows = await self._db.fetch_all(
            "SELECT who, COUNT(*) FROM (SELECT producer_id AS who FROM food_matches"
            " WHERE status = 'proposed' AND producer_answer IS NULL"
            " UNION ALL SELECT buyer_id FROM food_matches"
            " WHERE status = 'proposed' AND buyer_answer IS NULL) GROUP BY who"
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def propose(self, candidate: Candidate, at: str) -> int | None:
        """Record a suggestion; None if this pair was ever suggested this product."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO food_matches (producer_id, buyer_id, product, territory_id,"
            " proposed_at) VALUES (?, ?, ?, ?, ?)",
            (
                candidate.producer_id,
                candidate.buyer_id,
                candidate.product,
                candidate.territory_id,
                at,
            ),
        )
        if changed != 1:
            return None
        row = await self._db.fetch_one(
            "SELECT id FROM food_matches WHERE producer_id = ? AND buyer_id = ? AND product = ?",
            (candidate.producer_id, candidate.buyer_id, candidate.product),
        )
        return None if row is None else int(row[0])

    async def match(self, match_id: int) -> Match | None:
        """Return one match."""
        row = await self._db.fetch_one(
            f"SELECT {_MATCH} FROM food_matches WHERE id = ?", (match_id,)
        )
        return None if row is None else _match(row)

    async def update_match(
        self, match_id: int, *, only_if: str | None = None, **fields: Any
    ) -> bool:
        """Change some columns of a match (only in status `only_if`, if given)."""
        assignments, given = set_clause(fields, _MATCH_FIELDS)
        changed = await self._db.execute(
            f"UPDATE food_matches SET {assignments} WHERE id = ? AND (? IS NULL OR status = ?)",
            (*given, match_id, only_if, only_if),
        )
        return changed == 1

    async def open_matches(
        self,
        *,
        producer_id: int | None = None,
        buyer_id: int | None = None,
        product: str | None = None,
        before: str | None = None,
    ) -> list[Match]:
        """Return suggestions still open, narrowed by side, product or age."""
        rows = await self._db.fetch_all(
            f"SELECT {_MATCH} FROM food_matches WHERE status = 'proposed'"
            " AND (? IS NULL OR producer_id = ?) AND (? IS NULL OR buyer_id = ?)"
            " AND (? IS NULL OR product = ?) AND (? IS NULL OR proposed_at < ?) ORDER BY id",
            (producer_id, producer_id, buyer_id, buyer_id, product, product, before, before),
        )
        return [_match(r) for r in rows]

    async def connected(self, user_id: int) -> list[Match]:
        """Return the matches where a person was put in touch, newest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_MATCH} FROM food_matches WHERE status = 'accepted'"
            " AND (producer_id = ? OR buyer_id = ?) ORDER BY id DESC LIMIT 20",
            (user_id, user_id),
        )
        return [_match(r) for r in rows]

    # ---- typed answers --------------------------------------------------------------------

    async def expect(self, user_id: int, match_id: int, what: str) -> None:
        """Take the person's next words as `what` for a match."""
        await self._db.execute(
            "INSERT INTO food_typing (user_id, match_id, what, since) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET match_id = excluded.match_id,"
            " what = excluded.what, since = excluded.since",
            (user_id, match_id, what, self._now()),
        )

    async def expected(self, user_id: int, since: str) -> tuple[int, str] | None:
        """Return (match id, what) the person's words are awaited for since a time."""
        row = await self._db.fetch_one(
            "SELECT match_id, what FROM food_typing WHERE user_id = ? AND since >= ?",
            (user_id, since),
        )
        return None if row is None else (int(row[0]), str(row[1]))

    async def unexpect(self, user_id: int) -> None:
        """Stop waiting for the person's words."""
        await self._db.execute("DELETE FROM food_typing WHERE user_id = ?", (user_id,))

    async def unexpect_match(self, match_id: int) -> None:
        """Stop waiting for anyone's words about a match."""
        await self._db.execute("DELETE FROM food_typing WHERE match_id = ?", (match_id,))

    async def drop_typing(self, before: str) -> int:
        """Forget waits older than a time."""
        return await self._db.execute("DELETE FROM food_typing WHERE since < ?", (before,))

    # ---- read API -------------------------------------------------------------------------

    async def counts(self, territory_id: str | None, since: str, until: str) -> dict[str, int]:
        """Return raw counts over [since, until): validations, wishes, suggestions, contacts."""
        queries = {
            "producers": "SELECT COUNT(*) FROM producers WHERE status = 'validated'"
            " AND (? IS NULL OR territory_id = ?) AND validated_at >= ? AND validated_at < ?",
            # Buyers, not their product lines: the gate counts people.
            "wishes": "SELECT COUNT(DISTINCT user_id) FROM buyer_wishes WHERE status = 'active'"
            " AND (? IS NULL OR territory_id = ?) AND created_at >= ? AND created_at < ?",
            "matches_proposed": "SELECT COUNT(*) FROM food_matches"
            " WHERE (? IS NULL OR territory_id = ?) AND proposed_at >= ? AND proposed_at < ?",
            # Of the suggestions made in the range: a subset of them, for the gate.
            "matches_accepted": "SELECT COUNT(*) FROM food_matches WHERE status = 'accepted'"
            " AND (? IS NULL OR territory_id = ?) AND proposed_at >= ? AND proposed_at < ?",
        }
        counts: dict[str, int] = {}
        for name, sql in queries.items():
            row = await self._db.fetch_one(sql, (territory_id, territory_id, since, until))
            counts[name] = int(row[0]) if row is not None else 0
        return counts

    async def forget_contacts(self, before: str) -> int:
        """Empty the first names and contacts given for matches proposed before a time."""
        return await self._db.execute(
            "UPDATE food_matches SET producer_first_name = NULL, producer_contact = NULL,"
            " buyer_first_name = NULL, buyer_contact = NULL WHERE proposed_at < ?"
            " AND (producer_first_name IS NOT NULL OR producer_contact IS NOT NULL"
            " OR buyer_first_name IS NOT NULL OR buyer_contact IS NOT NULL)",
            (before,),
        )
