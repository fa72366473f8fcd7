"""Debian's headless Chromium through its own chromedriver, with nothing downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from unittest import mock

# Selenium Manager, were it ever asked, must not fetch anything (its own offline switch),
# set before Selenium is imported.
os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.selenium_manager import SeleniumManager

INSTALL_HINT = (
    "run `make test`, which installs Debian's chromium and chromium-driver "
    "(or: apt-get install chromium chromium-driver)"
)
WINDOW_SIZE = (1280, 1024)
DEFAULT_LANGUAGE = "fr"
ARGUMENTS = (
    "--headless=new",
    # Root in CI containers, where Chromium's sandbox cannot start.
    "--no-sandbox",
    # Containers' /dev/shm is often 64 MB, too small for Chromium's shared memory.
    "--disable-dev-shm-usage",
    "--disable-gpu",
    f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
    # Screenshots and layout the same on every machine.
    "--force-device-scale-factor=1",
    # No traffic of Chromium's own: component and field-trial updates, sync, first-run pages.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--password-store=basic",
    # What the flags above leave (Google sign-in and update checks resolving their hosts)
    # goes nowhere: the tests' pages are all on this machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
)


class ChromiumMissingError(RuntimeError):
    """Chromium or chromedriver is not installed."""


def binaries() -> tuple[str, str]:
    """Return the paths of chromium and chromedriver; raise saying how to install them."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    missing = [
        name
        for name, path in (("chromium", chromium), ("chromedriver", chromedriver))
        if path is None
    ]
    if chromium is None or chromedriver is None:
        raise ChromiumMissingError(f"{' and '.join(missing)} not found: {INSTALL_HINT}")
    return chromium, chromedriver


def start_chromium() -> webdriver.Chrome:
    """Start headless Chromium through the system's chromedriver."""
    chromium, chromedriver = binaries()
    options = Options()
    options.binary_location = chromium
    for argument in ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--lang={DEFAULT_LANGUAGE}")
    options.add_experimental_option(
        "prefs",
        {
            "intl.accept_languages": DEFAULT_LANGUAGE,
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    service = Service(executable_path=chromedriver, log_output=subprocess.DEVNULL)
    # The driver's path is given, so Selenium skips its manager; should that ever change,
    # starting fails here rather than downloading a driver.
    refuse = AssertionError("Selenium Manager was asked for a driver: it would download one")
    with mock.patch.object(SeleniumManager, "binary_paths", side_effect=refuse):
        driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def set_language(driver: webdriver.Chrome, language: str) -> None:
    """Make the current tab send `Accept-Language: <language>` and report it to scripts."""
    # A launch flag would need a browser per language; this override is per tab, at once.
    user_agent = driver.execute_cdp_cmd("Browser.getVersion", {})["userAgent"]
    driver.execute_cdp_cmd(
        "Emulation.setUserAgentOverride", {"userAgent": user_agent, "acceptLanguage": language}
    )


def set_downloads(driver: webdriver.Chrome, directory: Path) -> None:
    """Save downloads into `directory`, without asking."""
    directory.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(directory)}
    )


def reset(driver: webdriver.Chrome) -> None:
    """Bring the shared browser back to one blank tab without cookies."""
    handles = driver.window_handles
    for handle in handles[1:]:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(handles[0])
    driver.get("about:blank")
    # All sites' cookies: WebDriver's delete_all_cookies only clears the current page's.
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})


def wait_for_download(directory: Path, name: str = "", timeout: float = 10.0) -> Path:
    """Wait for a finished download in `directory` (whose name contains `name`); return it."""
    deadline = time.monotonic() + timeout
    while True:
        paths = list(directory.iterdir())
        done = [
            path
            for path in paths
            # Chromium writes to <name>.crdownload and renames it when complete.
            if path.is_file() and not path.name.endswith(".crdownload") and name in path.name
        ]
        # It may also create an empty file under the final name before the data arrives: a
        # download is finished only when no .crdownload is left beside it.
        pending = any(path.name.endswith(".crdownload") for path in paths)
        if done and not pending:
            return done[0]
        if time.monotonic() > deadline:
            present = sorted(path.name for path in directory.iterdir())
            raise TimeoutError(
                f"no download{f' named *{name}*' if name else ''} in "
                f"{directory} after {timeout} s (present: {present})"
            )
        time.sleep(0.05)
