"""Fixtures of the browser tests: one headless Chromium per session, the real bot per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver import Chrome

from tests.browser.driver import (
    DEFAULT_LANGUAGE,
    ChromiumMissingError,
    reset,
    set_downloads,
    set_language,
    start_chromium,
)
from tests.browser.live import LiveBot, live_bot_running

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of this folder `browser`, so `-m "not browser"` leaves them out."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the `browser` marker."""
    config.addinivalue_line("markers", "browser: runs in a real headless Chromium")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chrome]:
    """Start one headless Chromium for the whole session (about a second to start)."""
    try:
        driver = start_chromium()
    except ChromiumMissingError as error:
        # A failure, never a skip: the browser tests are part of `make test`, CI included.
        raise pytest.fail.Exception(str(error), pytrace=False) from None
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def language() -> str:
    """Return the browser's language; override with @pytest.mark.parametrize('language', ...)."""
    return DEFAULT_LANGUAGE


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """Return the folder this test's downloads land in."""
    return tmp_path / "downloads"


@pytest.fixture
def browser(chromium: Chrome, language: str, downloads: Path) -> Iterator[Chrome]:
    """Return the shared Chromium: one blank tab, no cookies, `language`, downloads set."""
    reset(chromium)
    set_language(chromium, language)
    set_downloads(chromium, downloads)
    yield chromium
    # Left clean for the next test even when this one failed half-way through a page.
    reset(chromium)


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    """Return Settings fields for `live_bot` (admin_ids, anonymity_k…); override per module."""
    return {}


@pytest.fixture
def live_bot(tmp_path: Path, bot_settings: dict[str, Any]) -> Iterator[LiveBot]:
    """Run the real bot, its web server and the Telegram emulator in a thread of their own."""
    # In a thread: Selenium blocks the test's thread, and the server must answer meanwhile.
    with live_bot_running(tmp_path, **bot_settings) as live:
        yield live
