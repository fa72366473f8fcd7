"""The pinned axe-core: install it from npm's registry (checked), run it in a page, report."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parents[2]
# Pinned: the version and the tarball's integrity as npm's registry publishes them
# (`dist.integrity` of https://registry.npmjs.org/axe-core/4.14.1). To upgrade, change both.
AXE_VERSION = "4.14.1"
AXE_INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
# Under the venv, so `make clean` removes it; the version in the path makes a new pin a new file.
AXE_JS = ROOT / ".venv" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
# The WCAG 2.1 A and AA rules, as the issue asks; axe's best practices are not run.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


TARBALL_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"


def check_integrity(tarball: bytes) -> None:
    """Raise ValueError unless the tarball is the pinned one (npm's Subresource Integrity)."""
    algorithm, _, expected = AXE_INTEGRITY.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        raise ValueError(
            f"axe-core-{AXE_VERSION}.tgz does not match its pinned integrity: "
            f"expected {AXE_INTEGRITY}, got {algorithm}-{digest}"
        )


def install(target: Path = AXE_JS) -> Path:
    """Download the pinned tarball, check it, extract axe.min.js; nothing to do if it is there."""
    if target.is_file():
        return target
    with urllib.request.urlopen(TARBALL_URL, timeout=60) as response:
        tarball: bytes = response.read()
    check_integrity(tarball)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise ValueError(f"{TARBALL_URL} has no package/axe.min.js")
        source = member.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written then renamed: an interrupted install never leaves a truncated file that counts.
    partial = target.with_suffix(".partial")
    partial.write_bytes(source)
    partial.replace(target)
    return target


def axe_source() -> str:
    """Return the pinned axe.min.js; fail with what to run when it is not installed."""
    if not AXE_JS.is_file():
        raise FileNotFoundError(
            f"{AXE_JS} is missing: run `make test`, which installs axe-core {AXE_VERSION} "
            "(or `.venv/bin/python -m tests.browser.axe install`)"
        )
    return AXE_JS.read_text(encoding="utf-8")


def inject_axe(driver: WebDriver) -> None:
    """Load the pinned axe into the current page unless it is there already."""
    # Through WebDriver, not a <script> tag: the page's Content-Security-Policy does not apply.
    loaded = driver.execute_script("return window.axe ? window.axe.version : null;")
    if loaded != AXE_VERSION:
        driver.execute_script(axe_source())


_RUN = """
const [context, options, done] = arguments;
window.axe.run(context === null ? document : context, options)
  .then((results) => done({violations: results.violations}))
  .catch((error) => done({error: String(error && error.stack || error)}));
"""


def axe_violations(driver: WebDriver, context: Any = None) -> list[dict[str, Any]]:
    """Run the WCAG 2.1 A and AA rules on the current page; return its violations, compact."""
    inject_axe(driver)
    options = {
        "runOnly": {"type": "tag", "values": list(WCAG_TAGS)},
        "resultTypes": ["violations"],
    }
    result = driver.execute_async_script(_RUN, context, options)
    if "error" in result:
        raise RuntimeError(f"axe-core failed on {driver.current_url}: {result['error']}")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "helpUrl": violation["helpUrl"],
            "nodes": [
                {
                    "target": node["target"],
                    "html": node["html"],
                    "summary": node.get("failureSummary") or "",
                }
                for node in violation["nodes"]
            ],
        }
        for violation in result["violations"]
    ]


def format_violations(violations: list[dict[str, Any]], url: str = "") -> str:
    """Return violations as text for an assertion message: rule, impact, help, each element."""
    lines = [f"{len(violations)} accessibility violation(s){f' on {url}' if url else ''}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            lines.extend(f"      {line}" for line in node["summary"].splitlines() if line)
    return "\n".join(lines)


def assert_accessible(driver: WebDriver, context: Any = None) -> None:
    """Fail with a readable list unless axe finds no WCAG 2.1 A/AA violation on the page."""
    violations = axe_violations(driver, context)
    assert not violations, format_violations(violations, driver.current_url)


if __name__ == "__main__":
    # `python -m tests.browser.axe install`, run by `make test` before the suite.
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m tests.browser.axe install")
    try:
        install()
    except (OSError, ValueError) as error:
        sys.exit(f"could not install axe-core {AXE_VERSION} from {TARBALL_URL}: {error}")
