""" "You said, we did" (issue 18): previewed, published once, shown, sent to those concerned."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.reference import Reference
from bot.storage.users import UserRepository
from tests.features.dashboard.site import NOW, Site, make_site

NOTE = {
    "factor": "roadworks",
    "place": "core:bru_flagey",
    "text_fr": "La commune avance la fin du chantier de la place au 15 mars.",
    "text_nl": "De gemeente vervroegt het einde van de werken op het plein naar 15 maart.",
    "text_en": "",
    # What the preview's form carries: the note goes once per preview.
    "nonce": "preview-1",
}


@pytest.fixture
def site(tmp_path: Path, reference: Reference) -> Iterator[Site]:
    yield from make_site(tmp_path, reference)


def _broadcasts(site: Site) -> list[tuple[int, dict[str, str], dict[str, object]]]:
    rows = site.run(site.db.fetch_all, "SELECT id, texts, audience FROM broadcasts")
    return [(int(r[0]), json.loads(r[1]), json.loads(r[2])) for r in rows]


def test_the_preview_shows_the_message_as_read_and_publishes_nothing(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 4, NOW - timedelta(days=10))
    site.sign_in(site.partner())
    page = site.post("/dashboard/notes/preview", NOTE)
    assert page.status_code == 200
    assert "📣 Vous avez dit, nous faisons" in page.text
    assert "La commune avance la fin du chantier" in page.text
    assert "De gemeente vervroegt" in page.text
    # English falls back to French.
    assert page.text.count("La commune avance la fin du chantier") == 3  # fr, en, the form
    # "k or more", never the number: previews of nested places would subtract.
    assert "3 personnes ou plus" in page.text and "4 personnes" not in page.text
    assert 'name="nonce"' in page.text
    assert _broadcasts(site) == []
    assert site.run(site.db.fetch_all, "SELECT id FROM dashboard_notes") == []


def test_a_small_audience_is_not_counted_in_the_preview(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 2, NOW - timedelta(days=10))
    site.sign_in(site.partner())
    page = site.post("/dashboard/notes/preview", NOTE)
    assert "moins de 3 personnes" in page.text
    assert "2 personnes" not in page.text


def test_publishing_sends_once_to_those_who_raised_it_there(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 3, NOW - timedelta(days=10))
    site.voices("bru_flagey", "roadworks", 1, NOW - timedelta(days=91))  # too long ago
    site.voices("bru_flagey", "rent_premises", 1, NOW - timedelta(days=5))  # another factor
    site.voices("bru_chatelain", "roadworks", 1, NOW - timedelta(days=5))  # another core
    raised = site.people["bru_flagey"][:3]
    # One of them turned announcements off: honoured.
    site.run(UserRepository(site.db).update, raised[0], announcements=False)
    site.sign_in(site.partner())
    answer = site.post("/dashboard/notes/publish", NOTE)
    assert answer.status_code == 303
    [(broadcast_id, texts, audience)] = _broadcasts(site)
    assert audience["factor"] == "roadworks" and audience["raised_there"] is True
    assert audience["core_id"] == "bru_flagey" and audience["days"] == 90
    assert "Agence" in texts["fr"] and "La commune avance" in texts["en"]
    count = site.run(site.db.fetch_one, "SELECT recipients, broadcast_id FROM dashboard_notes")
    assert count is not None and count[1] == broadcast_id
    from bot.features.broadcasts.service import BroadcastService
    from bot.features.broadcasts.store import Audience

    service = BroadcastService(site.db, site.reference, clock=site.clock)
    assert site.run(service.count, Audience.model_validate(audience)) == 2
    # Publishing is once: the same form sent again (a double click) sends nothing more.
    again = site.post("/dashboard/notes/publish", NOTE)
    assert again.status_code == 303
    assert len(_broadcasts(site)) == 1
    assert len(site.run(site.db.fetch_all, "SELECT id FROM dashboard_notes")) == 1


def test_a_note_shows_in_the_overview_and_in_the_barometer(
    site: Site, reference: Reference
) -> None:
    site.voices("bru_flagey", "roadworks", 3, NOW - timedelta(days=10))
    site.sign_in(site.partner())
    site.post("/dashboard/notes/publish", NOTE)
    page = site.client.get("/dashboard/overview?place=territory:brussels")
    assert "La commune avance la fin du chantier" in page.text
    nl = site.client.get("/dashboard/overview?place=territory:brussels&lang=nl")
    assert "De gemeente vervroegt" in nl.text
    user_id = site.people["bru_flagey"][0]
    user = site.run(UserRepository(site.db).get_by_id, user_id)
    assert user is not None and site.notes is not None
    lines = site.run(site.notes.barometer_lines, user)
    assert len(lines) == 1 and "La commune avance" in lines[0] and "Agence" in lines[0]
    # Someone in Lessines sees nothing of it.
    site.voices("les_ogy", "roadworks", 1, NOW - timedelta(days=1))
    other = site.run(UserRepository(site.db).get_by_id, site.people["les_ogy"][0])
    assert other is not None and site.run(site.notes.barometer_lines, other) == []


def test_withdrawn_and_old_notes_are_no_longer_shown(site: Site) -> None:
    partner = site.partner()
    site.sign_in(partner)
    site.post("/dashboard/notes/publish", NOTE)
    note_id = site.run(site.db.fetch_one, "SELECT id FROM dashboard_notes")[0]
    assert "La commune avance" in site.client.get("/dashboard/notes").text
    site.clock.advance(days=91)
    site.sign_in(partner)  # the session ended after 14 idle days
    assert "La commune avance" not in site.client.get("/dashboard/notes").text
    site.clock.advance(days=-91)
    assert site.post(f"/dashboard/notes/{note_id}/withdraw", {}).status_code == 303
    assert "La commune avance" not in site.client.get("/dashboard/notes").text


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"text_fr": ""}, "Le texte en français est obligatoire"),
        ({"text_fr": "x" * 601}, "trop long"),
        ({"factor": "weather"}, "Choisissez un des 12 facteurs"),
        ({"place": "core:les_ogy"}, "Choisissez un lieu de votre périmètre"),
        ({"place": "territory:lessines"}, "Choisissez un lieu de votre périmètre"),
    ],
)
def test_bad_notes_are_refused_politely_and_nothing_is_stored(
    site: Site, change: dict[str, str], error: str
) -> None:
    site.sign_in(site.partner())
    for path in ("/dashboard/notes/preview", "/dashboard/notes/publish"):
        answer = site.post(path, {**NOTE, **change})
        assert answer.status_code == 400
        assert error in answer.text
    assert site.run(site.db.fetch_all, "SELECT id FROM dashboard_notes") == []
    assert _broadcasts(site) == []


def test_a_partner_cannot_withdraw_another_organisations_note(site: Site) -> None:
    author = site.partner(name="Commune")
    site.sign_in(author)
    site.post("/dashboard/notes/publish", NOTE)
    note_id = site.run(site.db.fetch_one, "SELECT id FROM dashboard_notes")[0]
    site.client.cookies.clear()
    site.sign_in(site.partner(name="Agence"))  # the same scope, another organisation
    assert site.post(f"/dashboard/notes/{note_id}/withdraw", {}).status_code == 404
    assert site.post("/dashboard/notes/99999999999999999999999/withdraw", {}).status_code == 404
    withdrawn = site.run(site.db.fetch_one, "SELECT withdrawn_at FROM dashboard_notes")
    assert withdrawn is not None and withdrawn[0] is None


def test_a_publish_without_its_preview_publishes_nothing(site: Site) -> None:
    site.sign_in(site.partner())
    answer = site.post("/dashboard/notes/publish", {**NOTE, "nonce": ""})
    assert answer.status_code == 200
    assert site.run(site.db.fetch_all, "SELECT id FROM dashboard_notes") == []


def test_a_partner_cannot_withdraw_another_scopes_note(site: Site) -> None:
    site.sign_in(None)
    site.post("/dashboard/notes/publish", NOTE)
    note_id = site.run(site.db.fetch_one, "SELECT id FROM dashboard_notes")[0]
    site.client.cookies.clear()
    site.sign_in(site.partner(territories=("lessines",)))
    assert site.post(f"/dashboard/notes/{note_id}/withdraw", {}).status_code == 404
    withdrawn = site.run(site.db.fetch_one, "SELECT withdrawn_at FROM dashboard_notes")
    assert withdrawn is not None and withdrawn[0] is None


def test_a_note_is_dated_in_local_time(site: Site) -> None:
    from datetime import UTC, datetime

    # 23:30 UTC on 18 November is 00:30 on the 19th in Brussels.
    site.clock.now = datetime(2026, 11, 18, 23, 30, tzinfo=UTC)
    site.sign_in(site.partner())
    site.post("/dashboard/notes/publish", NOTE)
    assert "2026-11-19" in site.client.get("/dashboard/notes").text
    page = site.client.get("/dashboard/overview?place=territory:brussels")
    assert "2026-11-19" in page.text
