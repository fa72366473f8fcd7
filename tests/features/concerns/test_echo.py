"""The echo: the barometer's counts through the one gate, from the very first voice."""

from __future__ import annotations

from bot.config import PROJECT_ROOT
from bot.features.barometer.service import BarometerService
from bot.features.concerns.echo import Echo
from bot.i18n import translate
from bot.reference import Reference
from bot.resources import Resources
from bot.storage import Database
from nlp.taxonomy import taxonomy
from tests.features.barometer.test_service import voice
from tests.features.concerns.test_service import make_user
from tests.support import echo_line

ROADWORKS = taxonomy().get("roadworks").title("fr")


def _echo(db: Database, reference: Reference) -> tuple[Echo, BarometerService]:
    barometer = BarometerService(db, anonymity_k=5, territory_cache_s=0)
    resources = Resources.load(PROJECT_ROOT / "data" / "resources")
    return Echo(barometer, reference, taxonomy(), resources, 5), barometer


async def test_the_echo_never_shows_the_one_person_outside_the_core_by_difference(
    db: Database, reference: Reference
) -> None:
    """The case a reader found: 5 at Flagey and 1 at Avenue Louise raise roadworks; a 7th at
    Flagey was told "5 at Place Flagey · 6 in the Brussels-Capital Region", which shows one
    person outside Flagey, while /barometer said fewer than 5 for the region."""
    echo, barometer = _echo(db, reference)
    for i in range(5):
        await voice(db, await make_user(db, f"flagey{i}", core="bru_flagey"), "roadworks", 1)
    await voice(db, await make_user(db, "louise", core="bru_louise"), "roadworks", 1)
    me = await make_user(db, "me", core="bru_flagey")
    await voice(db, me, "roadworks", 0)
    text = (await echo.echo_reply(me, ("roadworks",))).text
    assert echo_line("fr", ROADWORKS, ("Place Flagey", 5)) in text
    assert "6" not in text.split(translate("fr", "echo.help_header"))[0]
    # /barometer at the same moment says the same, in every place.
    now = await barometer.barometer(me)
    core, region, everywhere = now.stat("roadworks")
    assert (core.current, region.current, everywhere.current) == (5, None, None)


async def test_a_closed_core_speaks_through_its_region_then_opens_at_k(
    db: Database, reference: Reference
) -> None:
    echo, barometer = _echo(db, reference)
    for i in range(4):
        await voice(db, await make_user(db, f"flagey{i}", core="bru_flagey"), "rent_premises", 2)
    for i in range(6):
        await voice(db, await make_user(db, f"louise{i}", core="bru_louise"), "rent_premises", 2)
    me = await make_user(db, "me", core="bru_flagey")
    await voice(db, me, "rent_premises", 0)
    rent = taxonomy().get("rent_premises").title("fr")
    closed = (await echo.echo_reply(me, ("rent_premises",))).text
    # 4 others at Flagey (k - 1): no number for the core, not even how many more it needs.
    region = translate("fr", "echo.place", place="Région de Bruxelles-Capitale", n=10)
    assert translate("fr", "echo.closed", core="Place Flagey") in closed and region in closed
    assert "4" not in closed.split(translate("fr", "echo.help_header"))[0]
    assert not (await barometer.barometer(me)).opened("rent_premises")
    await voice(db, await make_user(db, "flagey4", core="bru_flagey"), "rent_premises", 1)
    opened = (await echo.echo_reply(me, ("rent_premises",))).text
    assert translate("fr", "echo.closed", core="Place Flagey") not in opened
    everywhere = translate("fr", "echo.everywhere")
    assert (
        echo_line(
            "fr", rent, ("Place Flagey", 5), ("Région de Bruxelles-Capitale", 11), (everywhere, 11)
        )
        in opened
    )
    assert (await barometer.barometer(me)).opened("rent_premises")


async def test_the_first_voice_hears_what_it_is_for_and_where_help_is(
    db: Database, reference: Reference
) -> None:
    echo, _ = _echo(db, reference)
    me = await make_user(db, "me", core="les_ogy")
    await voice(db, me, "roadworks", 0)
    text = (await echo.echo_reply(me, ("roadworks",))).text
    assert text.startswith(translate("fr", "echo.header_first"))
    assert translate("fr", "echo.first", k=5) in text
    assert translate("fr", "echo.help_header") in text and "https://" in text
    assert translate("fr", "echo.fewer", k=5) not in text
