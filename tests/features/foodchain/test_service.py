"""Local food chain: who is matched with whom (product, season, territory), once, with consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.features.foodchain.render import FoodRenderer, months_text
from bot.features.foodchain.service import (
    ANSWER_WITHIN,
    PRODUCTS,
    FoodError,
    FoodService,
    mask_of,
    toggled,
)
from bot.features.notices.service import Notices
from bot.features.privacy.store import ErasureRepository
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.contacts import ContactService
from bot.shared.outbound import Outbound
from bot.storage import Database, Role, User, UserRepository
from tests.features.concerns.test_service import make_user
from tests.support import MemoryPort

START = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
NOV_FEB = (11, 12, 1, 2)


@dataclass
class Clock:
    """A clock the test moves."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    """The food service on a real SQLite file, and what its notices sent."""

    db: Database
    food: FoodService
    port: MemoryPort
    clock: Clock

    def sent_to(self, user: User) -> list[str]:
        """Return the texts sent to a person."""
        return [reply.text for to, reply in self.port.sent if to.chat_id == user.external_id]

    def buttons_to(self, user: User) -> list[str]:
        """Return the button data sent to a person."""
        return [
            b.data
            for to, reply in self.port.sent
            if to.chat_id == user.external_id
            for row in reply.buttons
            for b in row
        ]


@pytest.fixture
def world(db: Database, reference: Reference) -> World:
    users = UserRepository(db)
    outbound = Outbound(ContactService(users))
    port = MemoryPort("test")
    outbound.register(port)
    notices = Notices(db, users, outbound)
    clock = Clock()
    food = FoodService(db, reference, notices, ("test:admin",), clock)
    FoodRenderer(food, reference, users).register(notices)
    return World(db, food, port, clock)


async def make_producer(
    w: World,
    user: User,
    offers: dict[str, tuple[int, ...]],
    *,
    validate: bool = True,
    name: str | None = "Ferme du Pont",
) -> None:
    """Fill a producer's profile through the use cases, send it, and validate it."""
    food = w.food
    await food.start(user)
    await food.set_kind(user.id, "market_gardener")
    for product in offers:
        await food.toggle_product(user.id, product)
    await food.products_done(user.id)
    for product in sorted(offers, key=PRODUCTS.index):
        for month in offers[product]:
            await food.toggle_month(user.id, product, str(month))
        await food.months_done(user.id, product)
        await food.set_volume(user.id, product, "medium")
    await food.toggle_delivery(user.id, "pickup")
    await food.delivery_done(user.id)
    await food.set_village(user.id, None)
    await food.set_name(user.id, name)
    await food.submit(user.id)
    if validate:
        await food.validate(user.id, "test:admin")


async def make_wish(
    w: World, user: User, product: str, months: tuple[int, ...], kind: str = "restaurant"
) -> int:
    """Add an active wish through the use cases; return its id."""
    wish = await w.food.add_wish(user, kind, product)
    for month in months:
        await w.food.toggle_wish_month(user.id, wish.id, str(month))
    await w.food.set_wish_volume(user.id, wish.id, "small")
    return wish.id


async def matches(db: Database) -> list[tuple[int, int, str, str]]:
    rows = await db.fetch_all(
        "SELECT producer_id, buyer_id, product, status FROM food_matches ORDER BY id"
    )
    return [(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows]


def test_months_are_a_mask_and_a_season_can_cross_new_year() -> None:
    fr, en = Translator("fr"), Translator("en")
    winter = mask_of(NOV_FEB)
    assert months_text(fr, winter) == "nov.–févr."
    assert months_text(en, mask_of((3, 4, 5, 9))) == "Mar–May, Sep"
    assert months_text(en, toggled(0, "all")) == en("food.all_year")
    # A season toggles as a whole; a month inside it, alone.
    assert toggled(0, "winter") == mask_of((12, 1, 2))
    assert toggled(mask_of((12, 1, 2)), "winter") == 0
    assert toggled(mask_of((12,)), "winter") == mask_of((12, 1, 2))
    assert toggled(winter, "11") == mask_of((12, 1, 2))
    with pytest.raises(FoodError):
        toggled(0, "13")


async def test_matches_need_the_product_a_shared_month_and_the_territory(
    world: World,
) -> None:
    db = world.db
    grower = await make_user(db, "p1", core="les_ogy", role=Role.PRODUCER)
    await make_producer(world, grower, {"vegetables": NOV_FEB})
    # Fits: vegetables in January (inside Nov–Feb, across New Year), same territory.
    bistro = await make_user(db, "b1", core="les_centre")
    await make_wish(world, bistro, "vegetables", (1,))
    # Does not fit: June only; fruit; and a Brussels restaurant.
    summer = await make_user(db, "b2", core="les_ghoy")
    await make_wish(world, summer, "vegetables", (6,), kind="shop")
    fruit = await make_user(db, "b3", core="les_ogy")
    await make_wish(world, fruit, "fruit", (1,), kind="caterer")
    brussels = await make_user(db, "b4", core="bru_flagey")
    await make_wish(world, brussels, "vegetables", (1, 2))

    assert await matches(db) == [(grower.id, bistro.id, "vegetables", "proposed")]
    # Each side told once; the producer learns a restaurant in the centre, never who.
    [to_buyer] = world.sent_to(bistro)
    assert "Ferme du Pont" in to_buyer and "Ogy" in to_buyer
    producer_texts = [t for t in world.sent_to(grower) if "🌾 Un restaurant" in t]
    assert len(producer_texts) == 1
    assert "Lessines centre" in producer_texts[0] and "b1" not in producer_texts[0]
    assert world.sent_to(summer) == world.sent_to(fruit) == world.sent_to(brussels) == []
    # Matching again suggests nothing new.
    assert await world.food.match() == 0
    assert len(world.sent_to(bistro)) == 1


async def test_a_profile_is_shown_and_matched_only_once_validated(world: World) -> None:
    db = world.db
    grower = await make_user(db, "p1", core="les_wannebecq", role=Role.PRODUCER)
    bistro = await make_user(db, "b1", core="les_centre")
    await make_wish(world, bistro, "vegetables", (5,))
    await make_producer(world, grower, {"vegetables": (4, 5, 6)}, validate=False)
    assert await world.food.producers("lessines") == []
    assert await world.food.match() == 0
    assert world.sent_to(bistro) == []
    # Admins were told, without the producer's identity.
    assert [to.chat_id for to, _ in world.port.sent] == ["admin"]
    await world.food.validate(grower.id, "test:admin")
    [card] = await world.food.producers("lessines")
    assert (card.business_name, card.kind, card.core_id) == (
        "Ferme du Pont",
        "market_gardener",
        "les_wannebecq",
    )
    assert [(o.product, o.months, o.volume) for o in card.products] == [
        ("vegetables", (4, 5, 6), "medium")
    ]
    assert len(await matches(db)) == 1
    # Validated twice is a stale tap; an edit hides it again.
    with pytest.raises(FoodError, match=r"food\.admin_stale"):
        await world.food.validate(grower.id, "test:admin")
    await world.food.edit(grower.id)
    assert await world.food.producers("lessines") == []


async def test_a_declined_suggestion_is_never_made_again(world: World) -> None:
    db = world.db
    grower = await make_user(db, "p1", core="les_ogy", role=Role.PRODUCER)
    await make_producer(world, grower, {"eggs": (3, 4)})
    shop = await make_user(db, "b1", core="les_ogy")
    wish_id = await make_wish(world, shop, "eggs", (4,), kind="shop")
    [(_, _, _, status)] = await matches(db)
    assert status == "proposed"
    match_id = int((await db.fetch_one("SELECT id FROM food_matches"))[0])  # type: ignore[index]
    # Someone else's tap changes nothing.
    stranger = await make_user(db, "x1", core="les_ogy")
    with pytest.raises(FoodError, match=r"food\.match_gone"):
        await world.food.decline(stranger.id, match_id)
    told = len(world.sent_to(grower))
    await world.food.decline(shop.id, match_id)
    # The producer had not answered: nothing is said to them; their buttons are stale.
    assert len(world.sent_to(grower)) == told
    with pytest.raises(FoodError, match=r"food\.match_gone"):
        await world.food.accept(grower.id, match_id)
    # Removing the wish and adding it again does not bring the suggestion back.
    await world.food.remove_wish(shop.id, wish_id)
    await make_wish(world, shop, "eggs", (3, 4), kind="shop")
    assert await world.food.match() == 0
    assert [m[3] for m in await matches(db)] == ["declined"]
    assert not [t for t in world.sent_to(grower) if "Pas cette fois" in t]


async def test_contacts_pass_only_once_both_accepted(world: World) -> None:
    db = world.db
    grower = await make_user(db, "p1", core="les_ogy", role=Role.PRODUCER)
    await make_producer(world, grower, {"cheese": (1, 2, 3)})
    caterer = await make_user(db, "b1", core="les_papignies")
    await make_wish(world, caterer, "cheese", (2,), kind="caterer")
    match_id = int((await db.fetch_one("SELECT id FROM food_matches"))[0])  # type: ignore[index]
    food = world.food

    await food.accept(grower.id, match_id)
    assert await food.expected(grower.id) == (match_id, "first_name")
    # Bad input: refused, nothing stored.
    for bad in ("", "Jean 2", "x" * 41):
        with pytest.raises(FoodError, match=r"food\.bad_first_name"):
            await food.give_first_name(grower.id, match_id, bad)
    await food.give_first_name(grower.id, match_id, "Jeanne")
    # A Telegram or test user cannot give "their WhatsApp number".
    with pytest.raises(FoodError, match=r"button\.invalid"):
        await food.choose_contact(grower, match_id, "number")
    assert await food.choose_contact(grower, match_id, "typed") is None
    with pytest.raises(FoodError, match=r"food\.bad_contact"):
        await food.give_contact(grower.id, match_id, "call me maybe")
    half = await food.give_contact(grower.id, match_id, "+32 470 12 34 56")
    assert half.status == "proposed"
    # Nothing of Jeanne reached the caterer yet.
    assert not any("Jeanne" in t or "470" in t for t in world.sent_to(caterer))

    await food.accept(caterer.id, match_id)
    await food.give_first_name(caterer.id, match_id, "Marc")
    done = await food.choose_contact(caterer, match_id, "relay")
    assert done is not None and done.status == "accepted"
    to_caterer = world.sent_to(caterer)[-1]
    assert "Jeanne" in to_caterer and "+32 470 12 34 56" in to_caterer
    to_grower = world.sent_to(grower)[-1]
    assert "Marc" in to_grower and Translator("fr")("food.contact_relay") in to_grower
    # Through the bot: a message goes to the other side, not its number.
    await food.start_writing(grower.id, match_id)
    await food.relay(grower.id, match_id, "Livraison possible le mardi")
    assert "Livraison possible le mardi" in world.sent_to(caterer)[-1]
    assert f"fc:w:{match_id}" in world.buttons_to(caterer)
    counts = await food.report("lessines", "2027-01-01", "2027-02-01")
    assert counts == {"producers": 1, "wishes": 1, "matches_proposed": 1, "matches_accepted": 1}
    assert await food.report("brussels", "2027-01-01", "2027-02-01") == dict.fromkeys(counts, 0)


async def test_unanswered_suggestions_close_and_who_said_yes_hears_not_this_time(
    world: World,
) -> None:
    db = world.db
    grower = await make_user(db, "p1", core="les_ogy", role=Role.PRODUCER)
    await make_producer(world, grower, {"honey": tuple(range(1, 13))})
    shop = await make_user(db, "b1", core="les_ogy")
    await make_wish(world, shop, "honey", (9,), kind="shop")
    match_id = int((await db.fetch_one("SELECT id FROM food_matches"))[0])  # type: ignore[index]
    await world.food.accept(shop.id, match_id)
    await world.food.give_first_name(shop.id, match_id, "Anne")
    await world.food.choose_contact(shop, match_id, "relay")
    world.clock.now = START + ANSWER_WITHIN - timedelta(minutes=1)
    assert await world.food.expire_due() == 0
    world.clock.now = START + ANSWER_WITHIN + timedelta(minutes=1)
    assert await world.food.expire_due() == 1
    assert [m[3] for m in await matches(db)] == ["expired"]
    assert Translator("fr")("food.closed", product="🍯 Miel") == world.sent_to(shop)[-1]
    assert not any("Anne" in t for t in world.sent_to(grower))
    assert await world.food.match() == 0


async def test_forgetting_a_producer_takes_profile_products_and_matches(world: World) -> None:
    db = world.db
    grower = await make_user(db, "p1", core="les_ogy", role=Role.PRODUCER)
    await make_producer(world, grower, {"vegetables": (5,), "fruit": (5,)})
    bistro = await make_user(db, "b1", core="les_ogy")
    await make_wish(world, bistro, "fruit", (5,))
    match_id = int((await db.fetch_one("SELECT id FROM food_matches"))[0])  # type: ignore[index]
    await world.food.accept(bistro.id, match_id)
    async with db.transaction():
        await ErasureRepository(db).erase(grower.id, grower.channel, grower.external_id)
    for table in ("producers", "producer_products", "food_matches", "food_typing"):
        row = await db.fetch_one(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0, table
    # The buyer's own wish stays; their old buttons say the suggestion is gone.
    assert len(await world.food.wishes(bistro.id)) == 1
    with pytest.raises(FoodError, match=r"food\.match_gone"):
        await world.food.give_first_name(bistro.id, match_id, "Paul")


async def test_bad_input_stores_nothing_and_stale_taps_say_so(world: World) -> None:
    db = world.db
    grower = await make_user(db, "p1", core="les_ogy", role=Role.PRODUCER)
    food = world.food
    await food.start(grower)
    with pytest.raises(FoodError, match=r"button\.invalid"):
        await food.set_kind(grower.id, "astronaut")
    with pytest.raises(FoodError, match=r"button\.stale"):
        await food.toggle_product(grower.id, "vegetables")  # still at the kind question
    await food.set_kind(grower.id, "brewer")
    with pytest.raises(FoodError, match=r"food\.pick_a_product"):
        await food.products_done(grower.id)
    await food.toggle_product(grower.id, "beer")
    await food.products_done(grower.id)
    with pytest.raises(FoodError, match=r"food\.pick_a_month"):
        await food.months_done(grower.id, "beer")
    await food.toggle_month(grower.id, "beer", "all")
    await food.months_done(grower.id, "beer")
    await food.set_volume(grower.id, "beer", "large")
    await food.toggle_delivery(grower.id, "delivery")
    await food.delivery_done(grower.id)
    await food.set_village(grower.id, "les_deux_acren")
    with pytest.raises(FoodError, match=r"food\.name_too_long"):
        await food.set_name(grower.id, "B" * 61)
    producer = await food.producer(grower.id)
    assert producer is not None and producer.business_name is None and producer.step == "name"
    buyer = await make_user(db, "b1", core="les_ogy")
    with pytest.raises(FoodError, match=r"button\.invalid"):
        await food.add_wish(buyer, "restaurant", "caviar")
    wish = await food.add_wish(buyer, "restaurant", "beer")
    with pytest.raises(FoodError, match=r"food\.wish_exists"):
        await food.add_wish(buyer, "restaurant", "beer")
    with pytest.raises(FoodError, match=r"button\.stale"):
        await food.toggle_wish_month(grower.id, wish.id, "3")  # not theirs
    with pytest.raises(FoodError, match=r"food\.pick_a_month"):
        await food.set_wish_volume(buyer.id, wish.id, "small")
