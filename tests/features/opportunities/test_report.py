"""The partners' figures of needs and offers: every count through the one gate."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.features.digests.flow import DigestFlow
from bot.features.digests.service import DigestService
from bot.features.entrepreneurs.report import CandidateReport
from bot.features.needs.service import NeedService
from bot.features.opportunities.report import OpportunityReport, export_csv
from bot.features.partners.service import PartnerService
from bot.i18n import translate
from bot.reference import Reference
from bot.storage import Database, Role, utcnow
from nlp.taxonomy import taxonomy
from tests.features.concerns.test_service import make_user

TZ = ZoneInfo("Europe/Brussels")
# A week that holds the spring clock change (Sunday 28 March 2027).
MONDAY = datetime(2027, 3, 22, tzinfo=TZ)


async def _needs(db: Database, reference: Reference, wanted: list[str]) -> None:
    """Each word is one more person in Ogy who misses that."""
    service = NeedService(db, reference, 2, clock=lambda: MONDAY + timedelta(days=6, hours=3))
    for i, words in enumerate(wanted):
        person = await make_user(db, f"w{i}", core="les_ogy", role=Role.CUSTOMER)
        need = await service.propose(person, words)
        await service.confirm(person, need.id)


async def _listing(db: Database, landlord: int, surface: int, validated: datetime) -> None:
    await db.execute(
        "INSERT INTO cells (user_id, status, territory_id, core_id, street, surface_m2,"
        " created_at, updated_at, validated_at) VALUES (?, 'validated', 'lessines',"
        " 'les_centre', 'Grand-Rue', ?, ?, ?, ?)",
        (landlord, surface, utcnow(), utcnow(), validated.astimezone(UTC).isoformat()),
    )


async def test_sectors_are_parts_of_the_people_and_small_ones_hide(
    db: Database, reference: Reference
) -> None:
    await _needs(
        db,
        reference,
        ["une boucherie"] * 3 + ["une boulangerie"] * 2 + ["une poissonnerie"],
    )
    report = OpportunityReport(db, anonymity_k=2)
    figures = await report.figures(["lessines"], [], MONDAY, MONDAY + timedelta(days=7))
    # Six people; the fishmonger alone would be told by 6 - 3 - 2: the bakery hides too.
    assert figures.needs_people == 6
    assert figures.needs_by_sector == {"butcher": 3}
    # Another territory, or the week before, has nothing to show.
    before = await report.figures(["lessines"], [], MONDAY - timedelta(days=7), MONDAY)
    assert before.needs_people is None and not before.shows_something
    assert (
        await report.figures(["brussels"], [], MONDAY, MONDAY + timedelta(days=7))
    ).needs_people is None


async def test_cells_show_their_surface_and_time_only_from_k_landlords(
    db: Database, reference: Reference
) -> None:
    first = await make_user(db, "l1", core="les_centre", role=Role.LANDLORD)
    report = OpportunityReport(db, anonymity_k=2)
    end = MONDAY + timedelta(days=7)
    await _listing(db, first.id, 80, MONDAY - timedelta(days=10))
    await _listing(db, first.id, 300, MONDAY - timedelta(days=9))
    # Two listings of one landlord would describe that landlord: nothing is shown.
    one = await report.figures(["lessines"], [], MONDAY, end)
    assert (one.cells_listed, one.cells_median_m2, one.cells_median_days) == (None, None, None)
    second = await make_user(db, "l2", core="les_centre", role=Role.LANDLORD)
    await _listing(db, second.id, 120, MONDAY + timedelta(days=1))
    two = await report.figures(["lessines"], [], MONDAY, end)
    assert (two.cells_listed, two.cells_median_m2) == (3, 120)
    # 17, 16 and 6 days on the board by the week's end, less the hour the clocks skip on
    # 28 March: a median of 15.96 days, shown as 16.
    assert two.cells_median_days == 16
    # One of them is new this week: a count under k, hidden.
    assert two.cells_new is None


async def test_pop_up_outcomes_are_parts_and_accepted_matches_a_subset(db: Database) -> None:
    async def popup(_territory: str | None, _since: str, _until: str) -> dict[str, int]:
        return {"applications": 5, "accepted": 2, "waitlisted": 2, "declined": 1}

    async def food(_territory: str | None, _since: str, _until: str) -> dict[str, int]:
        return {"producers": 3, "wishes": 1, "matches_proposed": 4, "matches_accepted": 3}

    report = OpportunityReport(db, 2, popup, food)
    figures = await report.figures(["lessines"], [], MONDAY, MONDAY + timedelta(days=7))
    assert figures.popup_applications == 5
    # The one declined would be 5 - 2 - 2: one more part hides with it.
    assert figures.popup_outcomes == {"accepted": 2} or figures.popup_outcomes == {"waitlisted": 2}
    assert (figures.producers, figures.food_wishes) == (3, None)
    # 3 accepted of 4 proposed would tell the one refused: the larger is hidden.
    assert (figures.matches_accepted, figures.matches_proposed) == (3, None)
    # A partner of some cores: the pop-up and the food chain belong to the territory.
    cores = await report.figures(["lessines"], ["les_ogy"], MONDAY, MONDAY + timedelta(days=7))
    assert cores.popup_applications is None and cores.producers is None


async def test_the_export_is_whole_weeks_each_gated(db: Database, reference: Reference) -> None:
    await _needs(db, reference, ["une boucherie"] * 2)
    report = OpportunityReport(db, anonymity_k=2)
    content = await export_csv(report, "lessines", date(2027, 3, 15), date(2027, 3, 28), TZ)
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0] == ["week", "metric", "key", "value"]
    people = [r for r in rows if r[1] == "needs_people"]
    assert people == [
        ["2027-W11", "needs_people", "", "hidden"],
        ["2027-W12", "needs_people", "", "2"],
    ]
    assert ["2027-W12", "needs_people_by_sector", "butcher", "2"] in rows


async def test_the_digest_shows_the_section_to_its_territory_only(
    db: Database, reference: Reference
) -> None:
    await _needs(db, reference, ["une boucherie"] * 2)
    partners = PartnerService(db, reference)
    lessines = await partners.create(
        name="ADL", territories=["lessines"], created_by="t", language="en"
    )
    brussels = await partners.create(
        name="hub", territories=["brussels"], created_by="t", language="en"
    )
    report = OpportunityReport(db, 2)
    digests = DigestService(db, 2, TZ, None, reference, CandidateReport(db, 2), report)
    flow = DigestFlow(partners, digests, reference, taxonomy(), 2)
    # The Monday after: the week of 22 March 2027 is the one closed.
    after = datetime(2027, 3, 29, 9, tzinfo=UTC)
    figures = await digests.figures(lessines, "2027-W12", after)
    text = flow.text(lessines, figures)
    assert translate("en", "digest.opp_header") in text
    assert translate("en", "digest.opp_needs", n=2) in text
    assert "Butcher" in text
    other = flow.text(brussels, await digests.figures(brussels, "2027-W12", after))
    assert translate("en", "digest.opp_header") not in other
    html = await flow.html_page(lessines, figures)
    assert translate("en", "digest.opp_header") in html
