"""What help exists per factor: real data loads, covers every factor, bad files are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.reference import default_data_dir
from bot.resources import ResourceDataError, Resources
from nlp.taxonomy import FACTOR_IDS


def test_every_factor_has_help_in_each_territory() -> None:
    resources = Resources.load(default_data_dir() / "resources")
    assert set(resources.territories()) == {"brussels", "lessines"}
    for factor in FACTOR_IDS:
        assert len(resources.for_factor("brussels", factor, limit=10)) >= 2, factor
        assert len(resources.for_factor("lessines", factor, limit=10)) >= 1, factor
    for resource in resources.for_factor("lessines", "admin_tax", limit=10):
        assert "brussels" not in (resource.url or "")
    assert resources.for_factor("atlantis", "staff") == []
    assert len(resources.for_factor("brussels", "admin_tax")) == 2


def test_bad_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "territory: brussels\nresources:\n  - id: x\n    factors: [weather]\n"
        "    name: {fr: a, nl: a, en: a}\n    description: {fr: a, nl: a, en: a}\n",
        encoding="utf-8",
    )
    with pytest.raises(ResourceDataError, match="weather"):
        Resources.load(tmp_path)
    good = (
        "territory: {t}\nresources:\n  - id: same\n    factors: [staff]\n"
        "    name: {{fr: a, nl: a, en: a}}\n    description: {{fr: a, nl: a, en: a}}\n"
    )
    (tmp_path / "a.yaml").write_text(good.format(t="brussels"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(good.format(t="lessines"), encoding="utf-8")
    with pytest.raises(ResourceDataError, match="duplicate"):
        Resources.load(tmp_path)
