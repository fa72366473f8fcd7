"""Needs: matched, confirmed once, counted by distinct people over 90 days, through the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.features.needs.service import NeedError, NeedService
from bot.reference import Reference
from bot.storage import Database, Role
from tests.features.concerns.test_service import make_user

NOW = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # the night the clocks go back


async def test_the_board_counts_people_in_a_core_next_to_its_territory(
    db: Database, reference: Reference
) -> None:
    service = NeedService(db, reference, anonymity_k=2, clock=lambda: NOW)
    people = [await make_user(db, f"n{i}", core="les_ogy", role=Role.CUSTOMER) for i in range(3)]
    elsewhere = await make_user(db, "m1", core="les_centre", role=Role.CUSTOMER)
    for person in people[:2]:
        need = await service.propose(person, "une poissonnerie au centre svp")
        assert need.sectors == ("fishmonger",)
        await service.confirm(person, need.id)
    # Twice the same person: counted once.
    again = await service.propose(people[0], "vraiment, du poisson frais")
    await service.confirm(people[0], again.id)
    # Someone else in the territory; one in the core wants a bakery (alone: hidden).
    other = await service.propose(elsewhere, "pas de poissonnier ici non plus")
    await service.confirm(elsewhere, other.id)
    bread = await service.propose(people[2], "une boulangerie")
    await service.confirm(people[2], bread.id)
    lines = {
        line.sector_id: (line.core, line.territory)
        for line in await service.board("lessines", "les_ogy")
    }
    # Ogy 2 next to Lessines 3 would tell the one elsewhere: the territory is hidden.
    assert lines == {"fishmonger": (2, None)}
    # A stale or someone else's tap changes nothing.
    with pytest.raises(NeedError):
        await service.confirm(people[1], bread.id)
    with pytest.raises(NeedError):
        await service.confirm(people[2], bread.id)
    # Ninety days on, it is off the board.
    later = NeedService(db, reference, 2, clock=lambda: NOW + timedelta(days=91))
    assert await later.board("lessines", "les_ogy") == []


async def test_bad_words_store_nothing(db: Database, reference: Reference) -> None:
    service = NeedService(db, reference, anonymity_k=2, clock=lambda: NOW)
    person = await make_user(db, "b1", core="les_ogy", role=Role.CUSTOMER)
    for text, key in (("   ", "needs.empty"), ("x" * 501, "needs.too_long")):
        with pytest.raises(NeedError, match=key):
            await service.propose(person, text)
    assert await db.fetch_all("SELECT id FROM needs") == []


async def test_a_territory_board_names_areas_only_when_the_rest_is_no_small_group(
    db: Database, reference: Reference
) -> None:
    service = NeedService(db, reference, anonymity_k=2, clock=lambda: NOW)

    async def miss(ref: str, core: str) -> None:
        person = await make_user(db, ref, core=core, role=Role.CUSTOMER)
        need = await service.propose(person, "une boucherie")
        await service.confirm(person, need.id)

    await miss("t1", "les_ogy")
    await miss("t2", "les_ogy")
    await miss("t3", "les_centre")
    # Ogy's 2 next to Lessines' 3 would tell the one in the centre: no area is named.
    [line] = await service.territory_board("lessines")
    assert (line.sector_id, line.territory, line.cores) == ("butcher", 3, {})
    await miss("t4", "les_centre")
    [line] = await service.territory_board("lessines")
    assert (line.territory, line.cores) == (4, {"les_ogy": 2, "les_centre": 2})
    assert await service.territory_board("brussels") == []
