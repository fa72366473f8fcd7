"""The browser tests' own machinery: Chromium, the live bot, axe-core, language, downloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.i18n import translate
from tests.browser.axe import (
    AXE_INTEGRITY,
    AXE_JS,
    AXE_VERSION,
    assert_accessible,
    axe_violations,
    check_integrity,
    format_violations,
)
from tests.browser.driver import set_language, wait_for_download
from tests.browser.live import LiveBot, serve_app

# What the dashboard will send (issue 18): no inline script, nothing from elsewhere.
STRICT_CSP = "default-src 'self'; script-src 'self'; frame-ancestors 'none'"
GOOD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A good page</title></head>
<body><main><h1>Shops</h1><p>Twelve factors, four weeks.</p>
<img src="/pixel.svg" alt="One grey square">
<form method="post" action="/"><label for="q">Core</label><input id="q" name="q"></form>
<a href="/export.csv" download>Download CSV</a>
<script>document.title = "inline script ran";</script>
</main></body></html>"""
# The same page with one image that says nothing to a screen reader.
BAD = GOOD.replace(' alt="One grey square"', "").replace("A good page", "A bad page")
PIXEL = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
    '<rect width="8" height="8"/></svg>'
)
CSV = "core,people\nSablon,12\n"


def _throwaway_app() -> Starlette:
    """Return pages to check the machinery against, served with the dashboard's strict CSP."""

    def page(html: str) -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": STRICT_CSP})

    async def good(_request: Request) -> Response:
        return page(GOOD)

    async def bad(_request: Request) -> Response:
        return page(BAD)

    async def pixel(_request: Request) -> Response:
        return Response(PIXEL, media_type="image/svg+xml")

    async def language(request: Request) -> Response:
        return PlainTextResponse(request.headers.get("accept-language", ""))

    async def export(_request: Request) -> Response:
        disposition = 'attachment; filename="cores.csv"'
        return Response(CSV, media_type="text/csv", headers={"Content-Disposition": disposition})

    return Starlette(
        routes=[
            Route("/good", good),
            Route("/bad", bad),
            Route("/pixel.svg", pixel),
            Route("/language", language),
            Route("/export.csv", export),
        ]
    )


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """Serve the throwaway pages; yield their base URL."""
    with serve_app(_throwaway_app()) as base_url:
        yield base_url


def test_the_browser_loads_a_page_of_the_running_bot(browser: Chrome, live_bot: LiveBot) -> None:
    browser.get(live_bot.url("/healthz"))
    health = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    assert health["database"] == "ok" and health["scheduler"] == "running"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_bot_answers_in_the_browser_s_language(
    browser: Chrome, live_bot: LiveBot, language: str
) -> None:
    browser.get(live_bot.url("/go/no-such-code"))
    assert browser.find_element(By.TAG_NAME, "body").text == translate(language, "go.unknown")


def test_a_test_can_talk_to_the_bot_through_the_emulator_too(
    browser: Chrome, live_bot: LiveBot
) -> None:
    phone = live_bot.phone(5001, "fr")
    events = live_bot.call(phone.send("/start"))
    assert any(event.text for event in events)
    browser.get(live_bot.url("/healthz"))
    assert "running" in browser.find_element(By.TAG_NAME, "body").text


def test_axe_finds_an_image_without_alt_text(browser: Chrome, site: str) -> None:
    browser.get(f"{site}/bad")
    violations = axe_violations(browser)
    assert [v["id"] for v in violations] == ["image-alt"], format_violations(violations)
    (node,) = violations[0]["nodes"]
    assert node["target"] == ["img"] and violations[0]["impact"] == "critical"
    message = format_violations(violations, browser.current_url)
    assert "image-alt (critical)" in message and "at img: <img" in message


def test_axe_finds_nothing_on_a_good_page_under_a_strict_csp(browser: Chrome, site: str) -> None:
    browser.get(f"{site}/good")
    # The page's CSP is in force (its inline script was refused), and axe still ran.
    assert browser.title == "A good page"
    assert_accessible(browser)


def test_axe_can_check_one_part_of_a_page(browser: Chrome, site: str) -> None:
    browser.get(f"{site}/bad")
    assert axe_violations(browser, {"include": [["form"]]}) == []
    assert [v["id"] for v in axe_violations(browser, "main")] == ["image-alt"]


def test_the_axe_in_the_page_is_the_pinned_one(browser: Chrome, site: str) -> None:
    browser.get(f"{site}/good")
    axe_violations(browser)
    assert browser.execute_script("return window.axe.version;") == AXE_VERSION
    assert AXE_JS.read_text(encoding="utf-8").startswith(f"/*! axe v{AXE_VERSION}")


def test_a_tampered_axe_tarball_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match its pinned integrity"):
        check_integrity(b"not the tarball")
    assert AXE_INTEGRITY.startswith("sha512-")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_language_is_set_per_test(browser: Chrome, site: str, language: str) -> None:
    browser.get(f"{site}/language")
    assert browser.find_element(By.TAG_NAME, "body").text == language
    assert browser.execute_script("return navigator.language;") == language
    set_language(browser, "fr-BE")
    browser.get(f"{site}/language")
    assert browser.find_element(By.TAG_NAME, "body").text == "fr-BE"


def test_a_downloaded_csv_can_be_read(browser: Chrome, site: str, downloads: Path) -> None:
    browser.get(f"{site}/good")
    browser.find_element(By.LINK_TEXT, "Download CSV").click()
    saved = wait_for_download(downloads, "cores")
    assert saved.name == "cores.csv" and saved.read_text(encoding="utf-8") == CSV
