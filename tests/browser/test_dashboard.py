"""The dashboard in a real headless Chromium: sign in, every view in two languages, a permalink,
a CSV, a "you said, we did" note reaching shopkeepers through the emulator, log out; axe-core
finds no WCAG 2.1 A/AA violation on any page.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.app.run import RunningBot
from bot.features.concerns.store import ConcernRepository, VoiceKind
from bot.i18n import translate
from bot.shared.schedule import last_full_week, week_bounds
from tests.browser.axe import assert_accessible
from tests.browser.driver import wait_for_download
from tests.browser.live import LiveBot
from tests.support import Phone, onboard

ADMIN = 9700
OFFICER = 9701
SHOPKEEPERS = (9711, 9712, 9713)
PARTNER_VIEWS = ("overview", "core", "compare", "map", "surveys", "voices", "since")
ADMIN_VIEWS = ("admin/coverage", "admin/broadcasts", "admin/waves", "admin/audit")


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_ids": (ADMIN,), "anonymity_k": 2}


def _last_week_moment(bot: RunningBot) -> datetime:
    """Return Wednesday noon of the last full week, whatever today is."""
    tz = bot.services.settings.tz
    start, _ = week_bounds(last_full_week(datetime.now(UTC), tz), tz)
    return start + timedelta(days=2, hours=12)


def _raise(live: LiveBot, phones: list[Phone], factor: str, at: datetime) -> None:
    """File a confirmed concern for each onboarded phone, at a moment of the last full week."""

    async def add(bot: RunningBot) -> None:
        repo = ConcernRepository(bot.services.db)
        for phone in phones:
            user = await bot.services.users.get("telegram", str(phone.user.id))
            assert user is not None and user.core_id is not None
            concern = await repo.create(
                user_id=user.id, text="t", lang="fr", predicted=[factor], text_hash=f"{user.id}"
            )
            await repo.add_voice(
                concern.id,
                factor,
                VoiceKind.RAISED,
                user_id=user.id,
                core_id=user.core_id,
                territory_id=user.territory_id,
                role="shopkeeper",
                at=at.isoformat(timespec="milliseconds"),
            )

    live.run(add)


def _sign_in_link(live: LiveBot, phone: Phone) -> str:
    live.call(phone.send("/dashboard", until="/dashboard/signin/"))
    return next(w for w in phone.last_text().split() if "/dashboard/signin/" in w)


def _wait_url(browser: Chrome, part: str) -> None:
    """Wait until the page the last click led to has loaded."""
    WebDriverWait(browser, 15).until(lambda b: part in b.current_url)
    WebDriverWait(browser, 15).until(
        lambda b: b.execute_script("return document.readyState") == "complete"
    )


def _visit_all(browser: Chrome, live: LiveBot, views: tuple[str, ...], lang: str) -> None:
    """Open every view from the navigation and check it with axe."""
    for view in views:
        browser.get(live.url(f"/dashboard/{view}?lang={lang}"))
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        assert browser.find_element(By.TAG_NAME, "h1").text
        assert_accessible(browser)


def test_a_partner_and_an_admin_go_through_the_whole_dashboard(
    browser: Chrome, live_bot: LiveBot, downloads: Any
) -> None:
    live = live_bot
    shopkeepers = [live.phone(n, "fr") for n in SHOPKEEPERS]
    for phone in shopkeepers:
        live.call(onboard(phone, core="Ogy"))
    _raise(live, shopkeepers, "roadworks", _last_week_moment(live.bot))
    partner = live.run(
        lambda b: b.services.partners.create(
            name="ADL Lessines", territories=["lessines"], language="fr", created_by="test"
        )
    )
    invitation = live.run(lambda b: b.services.partners.invite(partner.id, created_by="test"))
    officer = live.phone(OFFICER, "fr")
    live.call(officer.send(f"/start {invitation.start_parameter}", until="ADL Lessines"))

    # Sign in from the link the bot sent: a Continue page first, then the overview.
    browser.get(_sign_in_link(live, officer))
    assert_accessible(browser)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait_url(browser, "/dashboard/overview")
    assert "ADL Lessines" in browser.page_source
    rows = browser.find_elements(By.CSS_SELECTOR, "section table tbody tr")
    roadworks = next(r for r in rows if "Chantiers" in r.text)
    assert "3" in roadworks.text.split()

    # Every view, in French and in Dutch; the data dictionary too.
    _visit_all(browser, live, PARTNER_VIEWS, "fr")
    _visit_all(browser, live, PARTNER_VIEWS, "nl")
    browser.get(live.url("/dashboard/dictionary?lang=en"))
    assert_accessible(browser)
    # Admin pages do not exist for a partner.
    browser.get(live.url("/dashboard/admin/audit?lang=fr"))
    assert browser.find_element(By.TAG_NAME, "h1").text == translate("fr", "dash.missing.title")

    # Filters live in the URL: a chosen view is a permalink another tab opens the same.
    browser.get(live.url("/dashboard/compare?lang=fr"))
    Select(browser.find_element(By.ID, "f-factor")).select_by_value("roadworks")
    Select(browser.find_element(By.ID, "f-period")).select_by_value("4w")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    _wait_url(browser, "factor=roadworks")
    permalink = browser.current_url
    query = parse_qs(urlsplit(permalink).query)
    assert query["factor"] == ["roadworks"] and query["period"] == ["4w"]
    browser.get(live.url("/dashboard/overview"))
    browser.get(permalink)
    assert Select(browser.find_element(By.ID, "f-factor")).first_selected_option.get_attribute(
        "value"
    ) == "roadworks"
    assert "Ogy" in browser.page_source

    # The CSV of exactly what the overview shows.
    browser.get(live.url("/dashboard/overview?lang=fr"))
    browser.find_element(By.PARTIAL_LINK_TEXT, translate("fr", "dash.csv")).click()
    saved = wait_for_download(downloads, ".csv").read_text("utf-8-sig")
    table = list(csv.reader(io.StringIO(saved)))
    assert table[0] == ["factor_id", "factor", "people", "previous", "change"]
    assert any(r[0] == "roadworks" and r[2] == "3" for r in table)

    # "You said, we did": previewed, published, then it reaches the three shopkeepers.
    browser.get(live.url("/dashboard/notes?lang=fr"))
    assert_accessible(browser)
    Select(browser.find_element(By.ID, "n-factor")).select_by_value("roadworks")
    Select(browser.find_element(By.ID, "n-place")).select_by_value("core:les_ogy")
    browser.find_element(By.ID, "n-text-fr").send_keys(
        "La Ville fixe la fin des travaux de la place au 15 mars."
    )
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    _wait_url(browser, "/dashboard/notes/preview")
    assert "2 personnes ou plus" in browser.find_element(By.TAG_NAME, "main").text
    assert_accessible(browser)
    browser.find_element(By.XPATH, "//main//button[not(@formaction)]").click()
    _wait_url(browser, "published=1")
    for phone in shopkeepers:
        live.call(phone.wait(0, "La Ville fixe la fin des travaux"), timeout=30)
    browser.get(live.url("/dashboard/overview?lang=fr"))
    assert "La Ville fixe la fin des travaux" in browser.page_source

    # Log out: the session is over.
    browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
    _wait_url(browser, "/dashboard/?lang=")
    assert browser.find_element(By.TAG_NAME, "h1").text == translate("fr", "dash.signin.title")
    assert_accessible(browser)
    browser.get(live.url("/dashboard/overview"))
    assert browser.find_element(By.TAG_NAME, "h1").text == translate("fr", "dash.signin.title")

    # An admin sees everything, the admin-only views included.
    admin = live.phone(ADMIN, "en")
    browser.get(_sign_in_link(live, admin))
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait_url(browser, "/dashboard/overview")
    _visit_all(browser, live, ADMIN_VIEWS, "en")
    _visit_all(browser, live, ("overview", "map"), "fr")
    assert "Audit" in browser.page_source or "audit" in browser.page_source
