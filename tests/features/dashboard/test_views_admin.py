"""The admins' dashboard views (issue 18): coverage, broadcasts, survey waves, the audit trail."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.features.barometer.service import BarometerService
from bot.features.broadcasts.service import (
    BroadcastService,
    BroadcastSettings,
    SendOutcome,
    SendResult,
)
from bot.features.broadcasts.store import Audience, Broadcast, OutboxItem
from bot.features.reach.service import CampaignService
from bot.features.surveys.store import SurveyRepository
from bot.reference import Reference
from bot.storage import Database, Role
from bot.storage.audit import AuditRepository
from tests.features.concerns.test_service import make_user
from tests.features.dashboard.site import NOW, TZ, K, Site, make_site

VIEWS = ("admin/coverage", "admin/broadcasts", "admin/waves", "admin/audit")
TITLES = {
    "fr": ("Couverture", "Diffusions", "Enquêtes en cours", "Journal d'audit"),
    "en": ("Coverage", "Broadcasts", "Surveys in progress", "Audit trail"),
}
# Inside the 30 days before NOW, and inside the closed week 2026-W46 (9 to 15 November).
IN_W46 = datetime(2026, 11, 12, 10, tzinfo=UTC)
OPEN, CLOSED = "ouvert", "encore fermé"


@pytest.fixture
def site(tmp_path: Path, reference: Reference) -> Iterator[Site]:
    yield from make_site(tmp_path, reference)


def table(site: Site, view: str, key: str, **params: str) -> list[dict[str, str]]:
    """Download one table of a view as CSV and read it back."""
    answer = site.client.get(f"/dashboard/{view}.csv", params={**params, "table": key})
    assert answer.status_code == 200, answer.text
    text = answer.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def row(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    """Return the one row whose cells match."""
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("view", VIEWS)
def test_a_signed_out_browser_is_asked_to_sign_in(site: Site, view: str) -> None:
    for path in (f"/dashboard/{view}", f"/dashboard/{view}.csv?table=x"):
        answer = site.client.get(path)
        assert answer.status_code == 401
        assert "Se connecter" in answer.text


@pytest.mark.parametrize("view", VIEWS)
def test_a_partner_gets_404_for_admin_views(site: Site, view: str) -> None:
    site.sign_in(site.partner(territories=("brussels", "lessines")))
    assert site.client.get(f"/dashboard/{view}").status_code == 404
    assert site.client.get(f"/dashboard/{view}.csv?table=entries").status_code == 404
    overview = site.client.get("/dashboard/overview")
    assert overview.status_code == 200
    assert "admin/" not in overview.text  # not even in the navigation
    dictionary = site.client.get("/dashboard/dictionary")
    assert "admin-coverage" not in dictionary.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_admin_view_answers_an_admin_in_french_and_english(
    site: Site, lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    site.sign_in(None, lang)
    caplog.set_level(logging.ERROR, logger="bot.i18n")
    for view, title in zip(VIEWS, TITLES[lang], strict=True):
        page = site.client.get(f"/dashboard/{view}", params={"lang": lang})
        assert page.status_code == 200, (view, page.text)
        assert f"<h1>{title}" in page.text.replace("&#39;", "'")
        assert f'href="/dashboard/{view}?lang=' in page.text  # in the navigation
    # The frozen periods of the coverage, and the data dictionary of every column.
    assert site.client.get("/dashboard/admin/coverage?period=quarter").status_code == 200
    dictionary = site.client.get("/dashboard/dictionary", params={"lang": lang})
    assert "admin-coverage-factors" in dictionary.text and "admin-audit-entries" in dictionary.text
    assert not [r for r in caplog.records if "missing translation" in r.getMessage()]


@pytest.mark.parametrize(
    "query",
    [
        "territory=nowhere",
        "period=year",
        "role=king",
        "core=bru_unknown",
        "period=week&week=2026-W47",  # not closed yet
    ],
)
def test_coverage_filters_outside_the_offer_are_404(site: Site, query: str) -> None:
    site.sign_in(None)
    assert site.client.get(f"/dashboard/admin/coverage?{query}").status_code == 404


def test_changing_the_territory_of_a_chosen_core_shows_the_new_territory(site: Site) -> None:
    site.sign_in(None)
    cores = table(site, "admin/coverage", "cores", territory="lessines", core="bru_flagey")
    assert len(cores) == 8 and all(r["core_id"].startswith("les_") for r in cores)


# --------------------------------------------------------------------------- coverage


def _barometer_opened(site: Site, core: str, factor: str) -> bool:
    async def look() -> bool:
        viewer = await make_user(site.db, f"viewer-{core}", core=core)
        service = BarometerService(site.db, anonymity_k=K, clock=site.clock)
        return (await service.barometer(viewer, outcomes=False)).opened(factor)

    return site.run(look)


def test_coverage_says_still_closed_at_k_minus_1_and_open_at_k(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", K - 1, NOW - timedelta(days=2))
    site.voices("bru_dansaert", "roadworks", K, NOW - timedelta(days=29))
    # Voices older than the barometer's 30 days, or of another role, do not open it.
    site.voices("bru_rue_neuve", "roadworks", K, NOW - timedelta(days=31))
    site.voices("bru_flagey", "staff", K, NOW - timedelta(days=3), Role.CUSTOMER)
    site.sign_in(None)
    factors = table(site, "admin/coverage", "factors")
    assert row(factors, core_id="bru_flagey", factor_id="roadworks")["barometer"] == CLOSED
    assert row(factors, core_id="bru_dansaert", factor_id="roadworks")["barometer"] == OPEN
    assert row(factors, core_id="bru_rue_neuve", factor_id="roadworks")["barometer"] == CLOSED
    assert row(factors, core_id="bru_flagey", factor_id="staff")["barometer"] == CLOSED
    # Over the last 30 days there are only words, never a number.
    assert "open_people" not in factors[0]
    assert {r["barometer"] for r in factors} == {OPEN, CLOSED}
    # The dashboard agrees with what a shopkeeper of each core sees in /barometer.
    assert not _barometer_opened(site, "bru_flagey", "roadworks")
    assert _barometer_opened(site, "bru_dansaert", "roadworks")
    cores = table(site, "admin/coverage", "cores")
    dansaert = row(cores, core_id="bru_dansaert")
    assert (dansaert["open_factors"], dansaert["closed_factors"]) == ("1", "11")
    assert row(cores, core_id="bru_flagey")["open_factors"] == "0"
    roles = table(site, "admin/coverage", "roles")
    assert row(roles, role="Commerçant")["cores_open"] == "1"
    assert row(roles, role="Client")["cores_open"] == "1"
    assert row(roles, role="Client")["open_cells"] == "1"
    customers = table(site, "admin/coverage", "factors", role="customer", core="bru_flagey")
    assert row(customers, factor_id="staff")["barometer"] == OPEN
    assert len(customers) == 12
    # The page itself names the state, and nothing of the 2 people of Flagey.
    page = site.client.get("/dashboard/admin/coverage", params={"core": "bru_flagey"})
    assert CLOSED in page.text and "roadworks" in page.text


def test_coverage_of_a_frozen_period_shows_only_gated_numbers_of_open_cells(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", K - 1, IN_W46)
    site.voices("bru_dansaert", "staff", K, IN_W46)
    # Rue Neuve is open, but its number would give away the 2 people of Sainte-Catherine
    # (same commune) by difference from the commune's: the gate hides it.
    site.voices("bru_rue_neuve", "competition", K, IN_W46)
    site.voices("bru_sainte_catherine", "competition", K - 1, IN_W46)
    site.sign_in(None)
    params = {"period": "week", "week": "2026-W46"}
    factors = table(site, "admin/coverage", "factors", **params)
    flagey = row(factors, core_id="bru_flagey", factor_id="roadworks")
    assert (flagey["barometer"], flagey["open_people"]) == (CLOSED, "")
    dansaert = row(factors, core_id="bru_dansaert", factor_id="staff")
    assert (dansaert["barometer"], dansaert["open_people"]) == (OPEN, str(K))
    rue_neuve = row(factors, core_id="bru_rue_neuve", factor_id="competition")
    assert (rue_neuve["barometer"], rue_neuve["open_people"]) == (OPEN, "")
    for r in factors:
        if r["open_people"]:
            assert int(r["open_people"]) >= K
            assert r["barometer"] == OPEN
        if r["barometer"] == CLOSED:
            assert r["open_people"] == ""
    # On the page, a closed cell says "still closed", not how few; an open cell whose number
    # the gate hides is not called "fewer than k" either.
    for core in ("bru_flagey", "bru_rue_neuve"):
        page = site.client.get("/dashboard/admin/coverage", params={**params, "core": core})
        assert page.status_code == 200
        assert f"moins de {K}" not in page.text


def test_coverage_lists_the_campaigns_that_reached_each_core_and_gates_their_people(
    site: Site, reference: Reference
) -> None:
    async def arrive() -> None:
        campaigns = CampaignService(site.db, reference, TZ, lambda: IN_W46)
        for _ in range(K):
            await campaigns.arrived("telegram", "bru_dansaert", "poster", "consented")
            await campaigns.arrived("telegram", "bru_dansaert", "poster", "onboarded")
        await campaigns.arrived("telegram", "bru_flagey", "counter", "consented")

    site.run(arrive)
    site.sign_in(None)
    cores = table(site, "admin/coverage", "cores")
    assert row(cores, core_id="bru_dansaert")["campaigns"] == "affiche"
    # One person through a counter card: not even the campaign's name says someone came.
    assert row(cores, core_id="bru_flagey")["campaigns"] == ""
    assert row(cores, core_id="bru_rue_neuve")["campaigns"] == ""
    lines = table(site, "admin/coverage", "campaigns")
    poster = row(lines, core_id="bru_dansaert")
    assert (poster["week"], poster["consented"], poster["onboarded"]) == ("2026-W46", "3", "3")
    assert all(line["core_id"] != "bru_flagey" for line in lines)
    page = site.client.get("/dashboard/admin/coverage")
    assert "carte de comptoir" not in page.text


# --------------------------------------------------------------------------- broadcasts


def test_broadcasts_show_their_delivery_exactly(site: Site, reference: Reference) -> None:
    async def send_one() -> None:
        people = [await make_user(site.db, f"b{n}") for n in range(3)]
        outcomes = {
            people[0].id: SendResult(SendOutcome.SENT),
            people[1].id: SendResult(SendOutcome.BLOCKED),
            people[2].id: SendResult(SendOutcome.ERROR, error="=chat not found"),
        }

        async def send(_b: Broadcast, item: OutboxItem, _text: str) -> SendResult:
            return outcomes[item.user_id]

        service = BroadcastService(
            site.db, reference, BroadcastSettings(max_attempts=1), clock=site.clock
        )
        await service.create(
            created_by="telegram:42",
            texts={"fr": "Marché de Noël place Flagey", "en": "Christmas market"},
            audience=Audience(territory_id="brussels"),
        )
        await service.drain(send)

    site.run(send_one)
    site.sign_in(None)
    (line,) = table(site, "admin/broadcasts", "broadcasts")
    assert line["broadcast_id"] == "1"
    assert line["broadcast_status"] == "terminée"
    assert (line["recipients"], line["sent"], line["blocked"], line["failed"]) == (
        "3",
        "1",
        "1",
        "1",
    )
    assert line["waiting"] == "0" and line["text"].startswith("Marché de Noël")
    # Sent at once: scheduled for the project's clock, shown in Brussels time.
    assert line["send_at"] == NOW.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    (failure,) = table(site, "admin/broadcasts", "failures")
    # A channel's reason is text, and stays text in a spreadsheet.
    assert (failure["broadcast_id"], failure["reason"], failure["messages"]) == (
        "1",
        "'=chat not found",
        "1",
    )
    page = site.client.get("/dashboard/admin/broadcasts", params={"lang": "en"})
    assert "Christmas" not in page.text and "Marché de Noël" in page.text
    assert site.client.get("/dashboard/admin/broadcasts?page=2").status_code == 404
    assert site.client.get("/dashboard/admin/broadcasts?page=x").status_code == 404


def test_template_usage_is_listed_with_its_cost(site: Site) -> None:
    async def count() -> None:
        await site.db.execute(
            "INSERT INTO template_usage (day, category, count, cost) VALUES (?, ?, ?, ?)",
            ((NOW - timedelta(days=1)).date().isoformat(), "MARKETING", 4, 0.4),
        )
        await site.db.execute(
            "INSERT INTO template_usage (day, category, count, cost) VALUES (?, ?, ?, ?)",
            ((NOW - timedelta(days=90)).date().isoformat(), "MARKETING", 9, 0.9),
        )

    site.run(count)
    site.sign_in(None)
    (day,) = table(site, "admin/broadcasts", "templates")
    assert (day["category"], day["templates"], day["cost"]) == ("marketing", "4", "0.4")


# --------------------------------------------------------------------------- survey waves


async def _wave(
    db: Database, people: int, sent: int, reminded: int, started: int, done: int
) -> int:
    repo = SurveyRepository(db)
    wave = await repo.create_wave(
        survey_id="quarterly",
        territory_id="brussels",
        core_id=None,
        role="shopkeeper",
        created_by="telegram:42",
        send_from=(NOW - timedelta(days=2)).isoformat(),
        send_until=(NOW + timedelta(days=2)).isoformat(),
        remind_after_s=86400,
        closes_at=(NOW + timedelta(days=10)).isoformat(),
    )
    users = [await make_user(db, f"w{wave.id}-{n}") for n in range(people)]
    await repo.invite(wave.id, [(u.id, NOW.isoformat()) for u in users])
    at = NOW.isoformat()
    for n, user in enumerate(users):
        if n < sent:
            await repo.mark_invitation(wave.id, user.id, "sent_at", at)
        if n < reminded:
            await repo.mark_invitation(wave.id, user.id, "reminded_at", at)
        if n < started:
            await db.execute(
                "INSERT INTO survey_responses (wave_id, survey_id, user_id, status,"
                " started_at, updated_at) VALUES (?, 'quarterly', ?, ?, ?, ?)",
                (wave.id, user.id, "completed" if n < done else "active", at, at),
            )
    return wave.id


def test_waves_in_progress_hide_small_groups_even_by_difference(site: Site) -> None:
    small = site.run(_wave, site.db, 6, 5, 2, 4, 3)
    large = site.run(_wave, site.db, 9, 9, 3, 6, 3)
    closed = site.run(_wave, site.db, 9, 9, 3, 6, 3)
    site.run(site.db.execute, "UPDATE survey_waves SET closed_at = ? WHERE id = ?", ("x", closed))
    site.sign_in(None)
    waves = table(site, "admin/waves", "waves")
    assert [w["wave_id"] for w in waves] == [str(large), str(small)]
    shown = row(waves, wave_id=str(small))
    # 3 finished of 4 started of 5 invited of 6 planned: each step is a group of one.
    assert [shown[c] for c in ("planned", "invited", "reminded", "started", "finished")] == [
        "",
        "",
        "",
        "",
        "3",
    ]
    whole = row(waves, wave_id=str(large))
    assert [whole[c] for c in ("planned", "invited", "reminded", "started", "finished")] == [
        "9",
        "9",
        "3",
        "6",
        "3",
    ]
    assert whole["survey"] == "quarterly"  # no definitions loaded here: its id
    page = site.client.get("/dashboard/admin/waves")
    assert f"moins de {K}" in page.text


# --------------------------------------------------------------------------- audit trail


def test_the_audit_trail_shows_sign_ins_and_exports_formulas_as_text(site: Site) -> None:
    site.run(
        AuditRepository(site.db).record,
        actor="telegram:7",
        role="admin",
        action="partner rename",
        detail='=HYPERLINK("http://evil.invalid","x")',
        allowed=True,
    )
    site.sign_in(None)
    page = site.client.get("/dashboard/admin/audit")
    assert page.status_code == 200
    assert "dashboard sign-in" in page.text and "admin:telegram:42" in page.text
    assert "=HYPERLINK(&#34;http://evil.invalid&#34;" in page.text  # escaped on the page
    answer = site.client.get("/dashboard/admin/audit.csv?table=entries")
    assert "'=HYPERLINK(" in answer.content.decode("utf-8-sig")
    assert ",=HYPERLINK" not in answer.content.decode("utf-8-sig")
    entries = table(site, "admin/audit", "entries")
    # The export just made is in the trail too, newest first.
    assert entries[0]["action"] == "dashboard export"
    signed = row(entries, action="dashboard sign-in")
    assert signed["allowed"] == "autorisé" and signed["actor_role"] == "admin"


def test_the_audit_trail_filters_refused_entries_and_pages(site: Site) -> None:
    async def fill() -> None:
        audit = AuditRepository(site.db)
        for n in range(60):
            await audit.record(actor=f"web:{n}", role="none", action="poke", allowed=n % 2 == 0)

    site.run(fill)
    site.sign_in(None)
    refused = table(site, "admin/audit", "entries", refused="only")
    assert refused and {r["allowed"] for r in refused} == {"refusé"}
    assert len(refused) == 30
    # The second page first: each export is audited, and would push the first page down.
    second = table(site, "admin/audit", "entries", page="2")
    first = table(site, "admin/audit", "entries")
    assert len(first) == 50 and second
    assert not {r["actor"] for r in first} & {r["actor"] for r in second if r["action"] == "poke"}
    assert site.client.get("/dashboard/admin/audit?page=9").status_code == 404
    assert site.client.get("/dashboard/admin/audit?refused=maybe").status_code == 404
    page = site.client.get("/dashboard/admin/audit?refused=only&lang=en")
    assert "Refused only" in page.text and "refused" in page.text
