"""Linking accounts: codes that expire, are used once, and resist guessing; data that moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.features.linking.service import MAX_TRIES, LinkService, LinkStatus
from bot.storage import Database, UserRepository
from tests.features.concerns.test_service import make_user


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_code_expires_after_ten_minutes_and_works_once(db: Database) -> None:
    clock = Clock()
    users = UserRepository(db)
    links = LinkService(db, users, clock)
    first = await make_user(db, "first")
    code = await links.new_code(first)
    clock.now += timedelta(minutes=10, seconds=1)
    assert (await links.use_code(code, "whatsapp", "32470")).status is LinkStatus.INVALID
    code = await links.new_code(first)
    clock.now += timedelta(minutes=9)
    typed = code.lower().replace("-", " ")  # read aloud, typed back loosely
    linked = await links.use_code(typed, "whatsapp", "32470")
    assert linked.status is LinkStatus.LINKED and linked.person is not None
    assert linked.person.id == first.id
    assert await users.identities(first.id) == [("test", "first"), ("whatsapp", "32470")]
    assert (await links.use_code(code, "whatsapp", "32471")).status is LinkStatus.INVALID


async def test_guessing_is_cut_short(db: Database) -> None:
    links = LinkService(db, UserRepository(db))
    first = await make_user(db, "first")
    for _ in range(MAX_TRIES):
        assert (await links.use_code("AAAA-AAAA", "whatsapp", "9")).status is LinkStatus.INVALID
    code = await links.new_code(first)
    assert (await links.use_code(code, "whatsapp", "9")).status is LinkStatus.TOO_MANY_TRIES


async def test_the_other_accounts_concerns_and_identities_move_to_the_person(
    db: Database,
) -> None:
    users = UserRepository(db)
    links = LinkService(db, users)
    first = await make_user(db, "first")
    second = await make_user(db, "second")
    await db.execute(
        "INSERT INTO concerns (user_id, text, lang, status, predicted, draft, text_hash,"
        " created_at) VALUES (?, 'rent', 'fr', 'confirmed', '[]', '[]', 'h', '2027-01-01')",
        (second.id,),
    )
    code = await links.new_code(first)
    assert (await links.use_code(code, "test", "second")).status is LinkStatus.LINKED
    assert await users.get_by_id(second.id) is None
    rows = await db.fetch_all("SELECT user_id FROM concerns")
    assert [r[0] for r in rows] == [first.id]
    person = await users.get("test", "second")
    assert person is not None and person.id == first.id


async def test_a_food_suggestion_between_the_two_joined_accounts_goes(db: Database) -> None:
    users = UserRepository(db)
    links = LinkService(db, users)
    grower = await make_user(db, "grower")
    bistro = await make_user(db, "bistro")
    other = await make_user(db, "other")
    for producer, buyer in ((grower.id, bistro.id), (grower.id, other.id)):
        await db.execute(
            "INSERT INTO food_matches (producer_id, buyer_id, product, territory_id,"
            " proposed_at) VALUES (?, ?, 'vegetables', 'lessines', '2027-01-01')",
            (producer, buyer),
        )
    # The grower's other app is the bistro's account: one person, no match with themselves.
    code = await links.new_code(grower)
    assert (await links.use_code(code, "test", "bistro")).status is LinkStatus.LINKED
    rows = await db.fetch_all("SELECT producer_id, buyer_id FROM food_matches")
    assert [tuple(r) for r in rows] == [(grower.id, other.id)]
