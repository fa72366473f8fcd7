"""Dashboard access (issue 18): links, sessions, scope, rate limits and security headers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.features.dashboard.access import COOKIE
from bot.reference import Reference
from tests.features.dashboard.site import ORIGIN, Site, make_site, token_of


@pytest.fixture
def site(tmp_path: Path, reference: Reference) -> Iterator[Site]:
    yield from make_site(tmp_path, reference)


def test_a_link_opens_a_continue_page_and_only_the_post_signs_in(site: Site) -> None:
    partner = site.partner()
    path = site.link(partner)
    # A mail scanner or a preview fetching the link twice uses nothing.
    for _ in range(2):
        page = site.client.get(path)
        assert page.status_code == 200
        assert 'method="post"' in page.text and "Continuer" in page.text
    assert COOKIE not in site.client.cookies
    answer = site.post("/dashboard/signin", {"token": token_of(path)})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # served over http here
    overview = site.client.get("/dashboard/overview")
    assert overview.status_code == 200
    assert "Agence" in overview.text


def test_only_a_hash_of_tokens_is_stored(site: Site) -> None:
    partner = site.partner()
    path = site.link(partner)
    token = token_of(path)
    site.post("/dashboard/signin", {"token": token})
    session = site.client.cookies[COOKIE]
    rows = site.run(site.db.fetch_all, "SELECT token_hash FROM dashboard_links")
    sessions = site.run(site.db.fetch_all, "SELECT token_hash FROM dashboard_sessions")
    assert [r[0] for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert [r[0] for r in sessions] == [hashlib.sha256(session.encode()).hexdigest()]
    raw = site.db.path if hasattr(site.db, "path") else None
    if raw is not None:
        assert token.encode() not in Path(raw).read_bytes()


def test_a_link_works_once(site: Site) -> None:
    partner = site.partner()
    token = token_of(site.link(partner))
    assert site.post("/dashboard/signin", {"token": token}).status_code == 303
    site.client.cookies.clear()
    again = site.post("/dashboard/signin", {"token": token})
    assert again.status_code == 400
    assert "déjà servi" in again.text
    assert COOKIE not in again.headers.get("set-cookie", "")
    assert site.client.get(f"/dashboard/signin/{token}").status_code == 400


def test_a_link_expires_after_15_minutes(site: Site) -> None:
    partner = site.partner()
    token = token_of(site.link(partner))
    site.clock.advance(minutes=15)
    answer = site.post("/dashboard/signin", {"token": token})
    assert answer.status_code == 400 and "expiré" in answer.text
    assert site.client.get("/dashboard/overview").status_code == 401


def test_a_link_just_before_expiry_still_works(site: Site) -> None:
    token = token_of(site.link(site.partner()))
    site.clock.advance(minutes=14, seconds=59)
    assert site.post("/dashboard/signin", {"token": token}).status_code == 303


@pytest.mark.parametrize("token", ["forged", "A" * 43, "", "x" * 500])
def test_a_forged_link_signs_nobody_in(site: Site, token: str) -> None:
    site.partner()
    answer = site.post("/dashboard/signin", {"token": token})
    assert answer.status_code == 400
    assert "set-cookie" not in answer.headers


def test_a_forged_cookie_is_a_stranger(site: Site) -> None:
    site.partner()
    site.client.cookies.set(COOKIE, "forged-session", path="/dashboard")
    page = site.client.get("/dashboard/overview")
    assert page.status_code == 401
    assert "Se connecter" in page.text


def test_a_revoked_partner_loses_its_sessions_and_links(site: Site) -> None:
    partner = site.partner()
    site.sign_in(partner)
    pending = token_of(site.link(partner))
    assert site.client.get("/dashboard/overview").status_code == 200
    site.run(site.partners.revoke, partner.id)
    assert site.client.get("/dashboard/overview").status_code == 401
    ended = site.run(site.db.fetch_one, "SELECT ended_at FROM dashboard_sessions")
    assert ended is not None and ended[0] is not None
    site.client.cookies.clear()
    assert site.post("/dashboard/signin", {"token": pending}).status_code == 400


def test_sessions_end_after_14_idle_days_but_not_while_used(site: Site) -> None:
    site.sign_in(site.partner())
    for _ in range(4):
        site.clock.advance(days=10)
        assert site.client.get("/dashboard/overview").status_code == 200
    site.clock.advance(days=14, seconds=1)
    assert site.client.get("/dashboard/overview").status_code == 401


def test_logout_ends_the_session(site: Site) -> None:
    site.sign_in(site.partner())
    session = site.client.cookies[COOKIE]
    answer = site.post("/dashboard/logout", {})
    assert answer.status_code == 303
    assert (
        f'{COOKIE}=""' in answer.headers["set-cookie"]
        or "Max-Age=0" in answer.headers["set-cookie"]
    )
    # The old cookie, replayed, opens nothing.
    site.client.cookies.set(COOKIE, session, path="/dashboard")
    assert site.client.get("/dashboard/overview").status_code == 401


def test_a_post_from_another_origin_is_refused(site: Site) -> None:
    partner = site.partner()
    token = token_of(site.link(partner))
    for origin in ("https://evil.example", "null"):
        answer = site.client.post(
            "/dashboard/signin",
            data={"token": token},
            headers={"origin": origin},
            follow_redirects=False,
        )
        assert answer.status_code == 403
    # "Origin: null" (a sandboxed frame, or any page under no-referrer) needs the browser's
    # own word that the form is from this site.
    for fetch_site in ("cross-site", "same-site", "none"):
        answer = site.client.post(
            "/dashboard/signin",
            data={"token": token},
            headers={"origin": "null", "sec-fetch-site": fetch_site},
            follow_redirects=False,
        )
        assert answer.status_code == 403, fetch_site
    no_origin = site.client.post(
        "/dashboard/signin", data={"token": token}, follow_redirects=False
    )
    assert no_origin.status_code == 403
    # The link was not used by the refused attempts; our own page's form (what Chromium sends
    # under no-referrer) signs in.
    answer = site.client.post(
        "/dashboard/signin",
        data={"token": token},
        headers={"origin": "null", "sec-fetch-site": "same-origin"},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_every_answer_carries_the_security_headers(site: Site) -> None:
    site.sign_in(site.partner())
    for path in (
        "/dashboard/",
        "/dashboard/overview",
        "/dashboard/nowhere",
        "/dashboard/static/dashboard.css",
    ):
        answer = site.client.get(path, follow_redirects=False)
        csp = answer.headers["content-security-policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"


def test_the_email_form_answers_the_same_for_any_address(site: Site) -> None:
    site.partner(email="equipe@agence.be")
    known = site.post("/dashboard/email", {"email": "Equipe@Agence.be"})
    unknown = site.post("/dashboard/email", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert site.web is not None
    site.run(site.web.settled)
    assert len(site.mails) == 1
    mail = site.mails[0]
    assert mail["To"] == "equipe@agence.be"
    body = mail.get_content()
    path = next(w for w in body.split() if "/dashboard/signin/" in w).removeprefix(ORIGIN)
    assert site.post("/dashboard/signin", {"token": token_of(path)}).status_code == 303


def test_the_email_form_is_rate_limited_per_address_without_saying_so(site: Site) -> None:
    site.partner(email="equipe@agence.be")
    answers = [site.post("/dashboard/email", {"email": "equipe@agence.be"}) for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert site.web is not None
    site.run(site.web.settled)
    assert len(site.mails) == 3


def test_sign_in_attempts_are_rate_limited(site: Site) -> None:
    site.partner()
    codes = [site.post("/dashboard/signin", {"token": f"guess{i}"}).status_code for i in range(12)]
    assert codes[:10] == [400] * 10
    assert codes[10:] == [429, 429]


def test_every_sign_in_is_audited(site: Site) -> None:
    partner = site.partner()
    site.sign_in(partner)
    site.post("/dashboard/signin", {"token": "forged"})
    rows = site.run(
        site.db.fetch_all,
        "SELECT actor, action, detail, allowed FROM audit_log WHERE action LIKE 'dashboard%'"
        " ORDER BY id",
    )
    seen = [(r[1], r[2], r[3]) for r in rows]
    assert ("dashboard sign-in", "valid", 1) in seen
    assert ("dashboard sign-in", "unknown", 0) in seen
    assert rows[0][0] == "test"


def test_a_partner_cannot_see_another_scope_and_gets_404(site: Site) -> None:
    partner = site.partner(territories=("lessines",))
    site.sign_in(partner)
    assert site.client.get("/dashboard/overview?place=territory:lessines").status_code == 200
    for path in (
        "/dashboard/overview?place=territory:brussels",
        "/dashboard/core?core=bru_flagey",
        "/dashboard/compare?place=territory:brussels",
        "/dashboard/overview.csv?place=territory:brussels&table=factors",
        "/dashboard/overview?place=territory:atlantis",
    ):
        assert site.client.get(path).status_code == 404, path


def test_a_partner_with_some_cores_sees_only_them(site: Site) -> None:
    partner = site.partner(territories=("lessines",), cores=("les_ogy", "les_ghoy"))
    site.sign_in(partner)
    assert site.client.get(f"/dashboard/overview?place=partner:{partner.id}").status_code == 200
    assert site.client.get("/dashboard/overview?place=territory:lessines").status_code == 404
    assert site.client.get("/dashboard/core?core=les_ogy").status_code == 200
    assert site.client.get("/dashboard/core?core=les_centre").status_code == 404
    other = site.partner(territories=("lessines",), cores=("les_centre",))
    assert site.client.get(f"/dashboard/overview?place=partner:{other.id}").status_code == 404


def test_an_admin_sees_every_territory(site: Site) -> None:
    site.sign_in(None)
    for place in ("territory:brussels", "territory:lessines"):
        assert site.client.get(f"/dashboard/overview?place={place}").status_code == 200


def test_a_https_public_url_makes_the_cookie_secure(tmp_path: Path, reference: Reference) -> None:
    for site in make_site(tmp_path, reference, public_url="https://echoppe.example.be"):
        partner = site.partner()
        url = site.link(partner)
        assert url.startswith("https://echoppe.example.be/dashboard/signin/")
        answer = site.client.post(
            "/dashboard/signin",
            data={"token": token_of(url)},
            headers={"origin": "https://echoppe.example.be"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]


def test_an_admin_who_is_a_user_gets_their_sessions_in_mydata_and_erased(site: Site) -> None:
    from bot.features.privacy.store import ErasureRepository
    from bot.storage import Step, UserRepository

    async def admin_user() -> int:
        user = await UserRepository(site.db).create(
            channel="telegram",
            external_id="42",
            language="fr",
            consent_version="x",
            step=Step.DONE,
            pending_core_id=None,
        )
        return user.id

    user_id = site.run(admin_user)
    site.sign_in(None)  # the admin "telegram:42"
    erasure = ErasureRepository(site.db)
    exported = site.run(erasure.export, user_id)
    assert len(exported["dashboard_sessions"]) == 1
    assert set(exported["dashboard_sessions"][0]) == {"created_at", "seen_at", "ended_at"}

    async def forget() -> None:
        async with site.db.transaction():
            await erasure.erase(user_id, "telegram", "42")

    site.run(forget)
    for table in ("dashboard_links", "dashboard_sessions"):
        assert site.run(site.db.fetch_all, f"SELECT id FROM {table}") == []
    assert site.client.get("/dashboard/overview").status_code == 401
