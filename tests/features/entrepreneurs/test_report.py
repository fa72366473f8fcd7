"""The candidate entrepreneurs' figures: the digest section and the CSV, through the gate."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.features.digests.flow import DigestFlow
from bot.features.digests.service import DigestService
from bot.features.entrepreneurs.candidates_store import CandidateRepository
from bot.features.entrepreneurs.coaching_store import RequestRepository
from bot.features.entrepreneurs.report import CandidateReport
from bot.features.partners.service import PartnerService
from bot.i18n import translate
from bot.reference import Reference
from bot.storage import Database, Role
from nlp.taxonomy import taxonomy
from tests.features.entrepreneurs.test_candidates import person

TZ = ZoneInfo("Europe/Brussels")
WEEK = "2027-W09"  # Monday 1 to Sunday 7 March 2027, local time
IN_WEEK = datetime(2027, 3, 3, 10, tzinfo=UTC).isoformat(timespec="milliseconds")
START = datetime(2027, 3, 1, tzinfo=TZ)
END = datetime(2027, 3, 8, tzinfo=TZ)
K = 3


async def project(
    db: Database, ref: str, stage: str, *, asked: bool = False, quick: bool = False
) -> None:
    """A project started in the week, with a coaching request if asked (accepted quick or late)."""
    user = await person(db, ref, Role.SHOPKEEPER)
    await CandidateRepository(db).create(
        user.id,
        "done",
        territory_id="lessines",
        core_id="les_ogy",
        stage=stage,
        sector_id="bakery",
    )
    await db.execute("UPDATE candidates SET created_at = ? WHERE user_id = ?", (IN_WEEK, user.id))
    if asked:
        requests = RequestRepository(db)
        request_id = await requests.create(user.id, "lessines", False, "sent")
        accepted = datetime.fromisoformat(IN_WEEK) + timedelta(hours=5 if quick else 60)
        await requests.update(
            request_id,
            status="accepted",
            submitted_at=IN_WEEK,
            accepted_at=accepted.isoformat(timespec="milliseconds"),
        )


async def test_parts_and_subsets_never_give_away_a_small_group(db: Database) -> None:
    report = CandidateReport(db, K)
    for ref, stage in (("a", "idea"), ("b", "idea"), ("c", "idea"), ("d", "plan")):
        await project(db, ref, stage, asked=ref != "d", quick=ref in ("a", "b"))
    figures = await report.figures(["lessines"], [], START, END)
    assert figures.shows_something and figures.new_candidates == 4
    # "idea 3" next to 4 would tell the one "plan": no stage is shown.
    assert figures.by_stage == {}
    # 2 of 3 accepted within 48 hours: under k, and 3 - 2 would be one person anyway.
    assert (figures.requests, figures.accepted_48h) == (3, None)
    for ref in ("e", "f"):
        await project(db, ref, "plan", asked=True, quick=True)
    figures = await report.figures(["lessines"], [], START, END)
    assert figures.by_stage == {"idea": 3, "plan": 3}
    # 4 of 5: the subset is k or more, but the gap (one person) is not: the total is hidden.
    assert (figures.accepted_48h, figures.requests) == (4, None)
    # Nothing in Brussels; nothing in a week before.
    assert not (await report.figures(["brussels"], [], START, END)).shows_something
    earlier = await report.figures(["lessines"], [], START - timedelta(weeks=1), START)
    assert not earlier.shows_something


async def test_the_week_is_local_midnight_to_midnight(db: Database) -> None:
    """A project at 00:30 on Monday in Brussels is that week's; one at 00:30 next Monday not."""
    report = CandidateReport(db, 1)
    for ref, local in (
        ("n1", datetime(2027, 3, 1, 0, 30, tzinfo=TZ)),
        ("n2", datetime(2027, 3, 8, 0, 30, tzinfo=TZ)),
        ("n3", datetime(2027, 2, 28, 23, 30, tzinfo=TZ)),
    ):
        await project(db, ref, "idea")
        stamp = local.astimezone(UTC).isoformat(timespec="milliseconds")
        await db.execute(
            "UPDATE candidates SET created_at = ? WHERE user_id ="
            " (SELECT id FROM users WHERE external_id = ?)",
            (stamp, ref),
        )
    assert (await report.figures(["lessines"], [], START, END)).new_candidates == 1


async def test_a_few_people_alone_make_no_section(db: Database, reference: Reference) -> None:
    await project(db, "o1", "idea")
    partners = PartnerService(db, reference)
    adl = await partners.create(name="ADL", territories=["lessines"], created_by="t")
    digests = DigestService(db, K, TZ, None, reference, CandidateReport(db, K))
    figures = await digests.figures(adl, WEEK, datetime(2027, 3, 8, 9, tzinfo=UTC))
    # One new candidate, nothing else: a section of "fewer than k" would tell someone came.
    assert figures.candidates is None


async def test_the_digest_has_the_section_only_where_something_happened(
    db: Database, reference: Reference
) -> None:
    for ref, stage in (("g", "idea"), ("h", "idea"), ("i", "idea")):
        await project(db, ref, stage, asked=True, quick=True)
    partners = PartnerService(db, reference)
    lessines = await partners.create(
        name="ADL", territories=["lessines"], created_by="t", language="en"
    )
    brussels = await partners.create(
        name="hub", territories=["brussels"], created_by="t", language="en"
    )
    ogy = await partners.create(
        name="Ogy", territories=["lessines"], cores=["les_ogy"], created_by="t", language="en"
    )
    digests = DigestService(db, K, TZ, None, reference, CandidateReport(db, K))
    flow = DigestFlow(partners, digests, reference, taxonomy(), K)
    after = datetime(2027, 3, 8, 9, tzinfo=UTC)
    text = flow.text(lessines, await digests.figures(lessines, WEEK, after))
    fewer = translate("en", "echo.fewer", k=K)
    assert translate("en", "digest.candidates_header") in text
    assert translate("en", "digest.candidates_new", n=3) in text
    coaching = translate("en", "digest.candidates_coaching", requests=3, quick=3, held=fewer)
    assert coaching in text
    assert translate("en", "digest.candidates_sessions", held=0, came=fewer) in text
    other = flow.text(brussels, await digests.figures(brussels, WEEK, after))
    assert translate("en", "digest.candidates_header") not in other
    # A partner of a core sees its core's candidates, and no session figures.
    core_only = flow.text(ogy, await digests.figures(ogy, WEEK, after))
    assert translate("en", "digest.candidates_new", n=3) in core_only
    assert "Information sessions" not in core_only
    html = await flow.html_page(lessines, await digests.figures(lessines, WEEK, after))
    assert translate("en", "digest.candidates_header") in html


async def test_the_csv_report_from_the_shell(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for ref in ("j", "k", "l", "m"):
        await project(db, ref, "ready", asked=ref != "m", quick=True)
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(Path(db.path)))
    monkeypatch.setenv("ECHOPPE_ANONYMITY_K", str(K))

    def report(territory: str, first: str, last: str) -> list[str]:
        return ["coaching", "report", "--territory", territory, "--from", first, "--to", last]

    assert await asyncio.to_thread(main, report("lessines", "2027-03-01", "2027-03-07")) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["week", "metric", "key", "value"]
    values = {(week, metric, key): value for week, metric, key, value in rows[1:]}
    assert values[(WEEK, "new_candidates", "")] == "4"
    assert values[(WEEK, "new_candidates_by_stage", "ready")] == "4"
    assert values[(WEEK, "new_candidates_by_stage", "idea")] == "hidden"
    assert values[(WEEK, "coaching_requests", "")] == "3"
    assert values[(WEEK, "appointments_held", "")] == "hidden"
    # Days that cut a week are widened to whole ISO weeks (and said so); a block per week,
    # no total across weeks.
    assert await asyncio.to_thread(main, report("lessines", "2027-03-03", "2027-03-10")) == 0
    captured = capsys.readouterr()
    assert "whole ISO weeks, 2027-W09 to 2027-W10" in captured.err
    weeks = {row[0] for row in csv.reader(io.StringIO(captured.out))} - {"week"}
    assert weeks == {"2027-W09", "2027-W10"}
    # Bad input: a clear message, exit code 2.
    assert await asyncio.to_thread(main, report("atlantis", "2027-03-01", "2027-03-07")) == 2
    assert "unknown territory" in capsys.readouterr().err
    assert await asyncio.to_thread(main, report("lessines", "2027-03-07", "2027-03-01")) == 2
    assert "before" in capsys.readouterr().err
