"""The surveys, voices and "what came since" views (issue 18): scope, gate, freezing, exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.features.concerns.store import ConcernRepository, VoiceKind
from bot.features.dashboard.access import DashboardAccess
from bot.features.dashboard.figures import DashboardFigures
from bot.features.dashboard.periods import PeriodFigureService
from bot.features.dashboard.views import Sources, build_dashboard_web
from bot.features.dashboard.views_more import SinceView, SurveysView, VoicesView
from bot.features.entrepreneurs.candidates_store import CandidateRepository
from bot.features.entrepreneurs.report import CandidateReport
from bot.features.opportunities.report import OpportunityReport
from bot.features.partners.service import PartnerService
from bot.features.privacy.store import ErasureRepository
from bot.features.surveys.definitions import Surveys
from bot.features.surveys.store import SurveyRepository
from bot.i18n import message_ids, translate
from bot.reference import Reference, default_data_dir
from bot.storage import Database, User, UserRepository
from bot.storage.audit import AuditRepository
from nlp.taxonomy import taxonomy
from tests.features.concerns.test_service import make_user
from tests.features.dashboard.site import LAST_WEEK, ORIGIN, TZ, Clock, K, Site

# Wednesday of the last closed week (2026-W46, 9 to 15 November) at the site's clock.
IN_WEEK = datetime(2026, 11, 11, 12, tzinfo=UTC)
HIDDEN = {lang: translate(lang, "dash.hidden", k=K) for lang in ("fr", "nl", "en")}


@pytest.fixture
def site(tmp_path: Path, reference: Reference) -> Iterator[Site]:
    """The dashboard with every source its views read (surveys, the two reports)."""
    db = Database(tmp_path / "dash.sqlite3")
    clock = Clock()
    access = DashboardAccess(db, ORIGIN, AuditRepository(db), None, "x@y.invalid", clock)
    periods = PeriodFigureService(db, reference, TZ, clock)
    figures = DashboardFigures(db, periods, reference, K, TZ, clock)
    sources = Sources(
        db=db,
        reference=reference,
        tz=TZ,
        anonymity_k=K,
        clock=clock,
        surveys=Surveys.load(default_data_dir() / "surveys"),
        candidates=CandidateReport(db, K),
        opportunities=OpportunityReport(db, K),
    )
    web = build_dashboard_web(access, figures, sources, None)
    with TestClient(Starlette(routes=web.routes()), base_url=ORIGIN) as client:
        portal = client.portal
        assert portal is not None
        portal.call(db.connect)
        try:
            yield Site(client, db, access, PartnerService(db, reference), clock, reference)
        finally:
            portal.call(db.close)


# --------------------------------------------------------------------------- data


async def _person(db: Database, ref: str, core: str, quote: bool = False) -> User:
    user = await make_user(db, ref, core=core)
    if quote:
        user = await UserRepository(db).update(user.id, quote_consent=True)
    return user


async def _say(db: Database, user: User, factor: str, text: str) -> int:
    repo = ConcernRepository(db)
    concern = await repo.create(
        user_id=user.id, text=text, lang="fr", predicted=[factor], text_hash=f"h{user.id}"
    )
    await repo.add_voice(
        concern.id,
        factor,
        VoiceKind.RAISED,
        user_id=user.id,
        core_id=user.core_id,
        territory_id=user.territory_id,
        role="shopkeeper",
        at=IN_WEEK.isoformat(timespec="milliseconds"),
    )
    return concern.id


async def _project(db: Database, ref: str, stage: str) -> User:
    user = await make_user(db, ref, core="les_ogy")
    await CandidateRepository(db).create(
        user.id, "done", territory_id="lessines", core_id="les_ogy", stage=stage,
        sector_id="bakery",
    )  # fmt: skip
    await db.execute(
        "UPDATE candidates SET created_at = ? WHERE user_id = ?",
        (IN_WEEK.isoformat(timespec="milliseconds"), user.id),
    )
    return user


async def _arrivals(db: Database, core: str, campaign: str, channel: str, c: int, o: int) -> None:
    territory = "brussels" if core.startswith("bru_") else "lessines"
    await db.execute(
        "INSERT INTO campaign_arrivals (week, territory_id, core_id, campaign, channel,"
        " consented, onboarded) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (LAST_WEEK, territory, core, campaign, channel, c, o),
    )


async def _wave(db: Database) -> int:
    repo = SurveyRepository(db)
    stamp = (IN_WEEK - timedelta(days=7)).isoformat(timespec="milliseconds")
    closes = IN_WEEK.isoformat(timespec="milliseconds")
    wave = await repo.create_wave(
        survey_id="event_feedback", territory_id=None, core_id=None, role=None,
        created_by="t", send_from=stamp, send_until=stamp, remind_after_s=0, closes_at=closes,
    )  # fmt: skip
    await repo.close_wave(wave.id, closes)
    return wave.id


async def _answer(db: Database, wave_id: int, user: User, **answers: object) -> None:
    repo = SurveyRepository(db)
    wave = await repo.wave(wave_id)
    assert wave is not None
    response = await repo.start_response(
        wave=wave, user_id=user.id, core_id=user.core_id, territory_id=user.territory_id,
        role="shopkeeper", position=None,
    )  # fmt: skip
    for question_id, value in answers.items():
        await repo.put_answer(response.id, question_id, value)


async def _forget(db: Database, user: User) -> None:
    async with db.transaction():
        await ErasureRepository(db).erase(user.id, user.channel, user.external_id)


async def _seed(db: Database) -> dict[str, Any]:
    """Lessines' last closed week: projects, arrivals, a survey, voices with quotes."""
    projects = [
        await _project(db, f"p{i}", stage) for i, stage in enumerate(("idea",) * 3 + ("plan",))
    ]
    # Poster in Ogy: 5 accepted, 4 finished (over two channels): a gap of 1, one hides.
    await _arrivals(db, "les_ogy", "poster", "telegram", 3, 2)
    await _arrivals(db, "les_ogy", "poster", "whatsapp", 2, 2)
    # Two people through a counter card: nothing to show, no row at all.
    await _arrivals(db, "les_ghoy", "counter", "telegram", 2, 2)
    wave = await _wave(db)
    respondents = [await _person(db, f"s{i}", "les_ogy") for i in range(6)]
    for user, score in zip(respondents, (4, 4, 4, 2, 2, 2), strict=True):
        await _answer(db, wave, user, useful=score, would_recommend="yes")
    for i in range(2):
        await _answer(db, wave, await _person(db, f"b{i}", "bru_flagey"), useful=5)
    speakers = [await _person(db, f"q{i}", "les_ogy", quote=i < 2) for i in range(4)]
    phone = await _say(
        db, speakers[0], "roadworks",
        "Les travaux bloquent ma rue depuis six semaines, appelez-moi au 0470 12 34 56",
    )  # fmt: skip
    await _say(
        db, speakers[1], "roadworks",
        "Chantier sans fin devant la vitrine, écrivez à marie.dupont@gmail.com pour en parler",
    )  # fmt: skip
    for user in speakers[2:]:
        await _say(db, user, "roadworks", f"Secret de {user.external_id} : les travaux me ruinent")
    # Two people on staff, one of them quotable: under k, so no quote either.
    staff = [await _person(db, f"st{i}", "les_ogy", quote=True) for i in range(2)]
    for user in staff:
        await _say(db, user, "staff", "Impossible de trouver du personnel qualifié ce mois-ci")
    # Three more with another factor (not quoted): "any difficulty" then differs from
    # roadworks by at least k, so roadworks can be shown next to it.
    for i in range(3):
        user = await _person(db, f"ad{i}", "les_ogy")
        await _say(db, user, "admin_tax", "Les formulaires de la commune me prennent des heures")
    return {"projects": projects, "respondents": respondents, "speakers": speakers,
            "phone_concern": phone}  # fmt: skip


# --------------------------------------------------------------------------- reading pages


class _Tables(HTMLParser):
    """Collect each section's table as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._section = ""
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self._section = (found.get("aria-labelledby") or "").removeprefix("s-")
        elif tag == "tbody":
            self._in_body = True
            self.tables[self._section] = []
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._section].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8").removeprefix("\ufeff"))))


def page(site: Site, path: str) -> str:
    answer = site.client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return str(answer.text)


def assert_csv_is_the_page(site: Site, view: str, query: str, lang: str = "fr") -> None:
    """Every table's CSV holds exactly the page's rows, hidden cells left empty."""
    shown = tables(page(site, f"/dashboard/{view}?{query}&lang={lang}"))
    assert shown
    for key, rows in shown.items():
        answer = site.client.get(f"/dashboard/{view}.csv?{query}&lang={lang}&table={key}")
        assert answer.status_code == 200, key
        exported = read_csv(answer.content)
        expected = [["" if cell in (HIDDEN[lang], "—") else cell for cell in row] for row in rows]
        assert exported[1:] == expected, key


# --------------------------------------------------------------------------- scope

VIEWS = ("surveys", "voices", "since")


def test_each_view_shows_its_scope_and_answers_404_elsewhere(site: Site) -> None:
    brussels = site.partner(("brussels",), name="Hub")
    site.sign_in(brussels)
    for view in VIEWS:
        assert site.client.get(f"/dashboard/{view}").status_code == 200, view
        assert site.client.get(f"/dashboard/{view}?place=territory:brussels").status_code == 200
        for place in ("territory:lessines", "core:les_ogy", "territory:nowhere", "partner:1"):
            answer = site.client.get(f"/dashboard/{view}?place={place}")
            assert answer.status_code == 404, (view, place)
    site.client.cookies.clear()
    ogy = site.partner(("lessines",), ("les_ogy",), name="Ogy")
    ghoy = site.partner(("lessines",), ("les_ghoy",), name="Ghoy")
    site.sign_in(ogy)
    for view in VIEWS:
        assert site.client.get(f"/dashboard/{view}?place=partner:{ogy.id}").status_code == 200
        for place in (f"partner:{ghoy.id}", "territory:lessines", "core:les_ghoy"):
            answer = site.client.get(f"/dashboard/{view}?place={place}")
            assert answer.status_code == 404, (view, place)
    # An open week, or a filter value not offered, is no page either.
    assert site.client.get("/dashboard/since?week=2026-W47").status_code == 404
    assert site.client.get("/dashboard/voices?factor=nope").status_code == 404


def test_an_admin_sees_each_territory(site: Site) -> None:
    site.sign_in(None)
    for view in VIEWS:
        for place in ("territory:brussels", "territory:lessines"):
            assert site.client.get(f"/dashboard/{view}?place={place}").status_code == 200


def test_a_partner_of_two_territories_gets_what_came_since_for_its_whole_scope(
    site: Site,
) -> None:
    both = site.partner(("brussels", "lessines"), name="Région")
    site.sign_in(both)
    # Its digest counts both territories at once: one territory next to it would tell the
    # other by difference, so only the whole scope is offered.
    html = page(site, "/dashboard/since")
    assert f'value="partner:{both.id}"' in html and 'value="territory:lessines"' not in html
    assert site.client.get("/dashboard/since?place=territory:lessines").status_code == 404


# --------------------------------------------------------------------------- the gate


def test_since_hides_small_groups_and_gives_none_away_by_difference(site: Site) -> None:
    data = site.run(_seed, site.db)
    site.sign_in(site.partner(("lessines",), name="ADL"))
    shown = tables(page(site, "/dashboard/since?period=week"))
    hidden = HIDDEN["fr"]
    # Poster in Ogy: 5 accepted, 4 finished: both shown would tell the one who did not, so
    # the larger hides (as in the reach report); Ghoy's 2 make no row at all.
    assert shown["campaigns"] == [
        [LAST_WEEK, "les_ogy", "Ogy", "poster", "Affiche", hidden, "4"],
    ]
    # Four new projects; "idea 3" next to them would tell the one "plan": no stage shows.
    [candidates] = shown["candidates"]
    assert candidates[:2] == [LAST_WEEK, "4"]
    stages = [row for row in shown["candidate_parts"] if row[1].startswith("stage:")]
    assert [row[1] for row in stages] == ["stage:idea", "stage:plan", "stage:ready"]
    assert all(row[3] == hidden for row in stages)
    # Each week stands alone: the 4 weeks show the same week, and no total over them.
    longer = tables(page(site, "/dashboard/since?period=4w"))
    assert [row[0] for row in longer["candidates"]] == [
        "2026-W43", "2026-W44", "2026-W45", LAST_WEEK,
    ]  # fmt: skip
    assert longer["candidates"][-1] == candidates
    assert all(row[1] == hidden for row in longer["candidates"][:-1])
    assert len(data["projects"]) == 4


def test_survey_results_hide_small_groups_as_the_digest_does(site: Site) -> None:
    site.run(_seed, site.db)
    site.sign_in(None)
    lessines = tables(page(site, "/dashboard/surveys?place=territory:lessines"))
    assert [row[3:] for row in lessines["waves"]] == [["Lessines", "6"]]
    answers = {(row[3][:12], row[4]): row[5] for row in lessines["answers"]}
    useful = {a: n for (q, a), n in answers.items() if q == "Cet événemen"}
    # 3 said 4 and 3 said 2; nobody gave the other scores, which show as hidden, not 0.
    assert useful == {"1": HIDDEN["fr"], "2": "3", "3": HIDDEN["fr"], "4": "3", "5": HIDDEN["fr"]}
    assert [row[4:] for row in lessines["averages"]] == [["—", "3.0"]]
    # Everyone said yes: showing it would tell each person's answer.
    recommend = {a: n for (q, a), n in answers.items() if q == "Conseillerie"}
    yes, no = translate("fr", "survey.yes"), translate("fr", "survey.no")
    assert recommend == {yes: HIDDEN["fr"], no: HIDDEN["fr"]}
    # Brussels' 2 respondents: the place shows nothing but that it has fewer than k.
    brussels = tables(page(site, "/dashboard/surveys?place=territory:brussels"))
    assert [row[4] for row in brussels["waves"]] == [HIDDEN["fr"]]
    assert brussels.get("answers", []) == []


def test_every_csv_is_exactly_the_page(site: Site) -> None:
    site.run(_seed, site.db)
    site.sign_in(None)
    for view in VIEWS:
        for query in ("place=territory:lessines", "place=territory:lessines&period=4w"):
            if view == "voices" and "period" in query:
                continue
            assert_csv_is_the_page(site, view, query)
    assert_csv_is_the_page(site, "since", "place=territory:lessines", lang="nl")


# --------------------------------------------------------------------------- voices


def test_quotes_are_scrubbed_consented_and_only_for_factors_shown(site: Site) -> None:
    site.run(_seed, site.db)
    site.sign_in(site.partner(("lessines",), name="ADL"))
    html = page(site, "/dashboard/voices")
    exported = site.client.get("/dashboard/voices.csv?table=quotes").content.decode("utf-8")
    quotes = tables(html)["quotes"]
    roadworks = taxonomy().get("roadworks").title("fr")
    assert [row[:3] for row in quotes] == [[LAST_WEEK, "roadworks", roadworks]] * 2
    for text in (html, exported):
        assert "0470" not in text and "marie.dupont" not in text and "gmail" not in text
        assert "Secret" not in text  # they did not accept being quoted
        assert "personnel qualifié" not in text  # staff: 2 people, under k
        assert "q0" not in text and "q1" not in text  # never who said it
    assert "[phone]" in html and "[email]" in html
    # One factor chosen: its quotes only.
    assert tables(page(site, "/dashboard/voices?factor=staff")).get("quotes", []) == []


def test_a_deleted_concern_leaves_the_voices_while_what_came_since_stays_frozen(
    site: Site,
) -> None:
    data = site.run(_seed, site.db)
    site.sign_in(None)
    query = "place=territory:lessines"
    since = tables(page(site, f"/dashboard/since?{query}"))
    surveys = tables(page(site, f"/dashboard/surveys?{query}"))
    quotes = tables(page(site, f"/dashboard/voices?{query}"))["quotes"]
    assert len(quotes) == 2
    for user in (data["projects"][0], data["respondents"][0], data["speakers"][0]):
        site.run(_forget, site.db, user)
    # Counted again, the week would now have 3 projects and 5 respondents.
    report = CandidateReport(site.db, K)
    start = datetime(2026, 11, 9, tzinfo=TZ)
    recount = site.run(report.figures, ["lessines"], [], start, start + timedelta(days=7))
    assert recount.new_candidates == 3
    assert tables(page(site, f"/dashboard/since?{query}")) == since
    assert tables(page(site, f"/dashboard/since?{query}&lang=fr")) == since
    assert tables(page(site, f"/dashboard/surveys?{query}")) == surveys
    # The quote of the forgotten person is gone; the other stays.
    after = tables(page(site, f"/dashboard/voices?{query}"))["quotes"]
    assert len(after) == 1 and "[phone]" not in after[0][3]
    kept = site.run(site.db.fetch_all, "SELECT view, figures FROM dashboard_snapshots")
    assert {str(r[0]) for r in kept} == {
        "since/campaigns", "since/candidates", "since/opportunities", "surveys",
    }  # fmt: skip
    assert not any("travaux" in str(r[1]) for r in kept)  # no one's words are kept


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_each_view_speaks_the_pages_language(site: Site, lang: str) -> None:
    site.run(_seed, site.db)
    site.sign_in(site.partner(("lessines",), name="ADL"))
    for view in VIEWS:
        html = page(site, f"/dashboard/{view}?lang={lang}")
        assert f'<html lang="{lang}">' in html
        assert translate(lang, f"dash.view.{view}") in html
    since = page(site, f"/dashboard/since?lang={lang}")
    assert translate(lang, "dash.col.new_candidates") in since
    assert translate(lang, "dash.campaign.poster") in since
    assert HIDDEN[lang] in since


def test_every_column_is_labelled_and_defined_in_three_languages(site: Site) -> None:
    keys = {
        key
        for view in (SurveysView, VoicesView, SinceView)
        for columns in view.tables.values()
        for key in columns
    }
    for lang in ("fr", "nl", "en"):
        known = message_ids(lang)
        missing = {f"dash.{kind}.{key}" for key in keys for kind in ("col", "def")} - {
            k for k, v in known.items() if v
        }
        assert not missing, (lang, missing)
    site.sign_in(None)
    dictionary = page(site, "/dashboard/dictionary?lang=nl")
    assert translate("nl", "dash.def.quote") in dictionary
    assert translate("nl", "dash.def.part_people") in dictionary
