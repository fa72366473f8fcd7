"""The taxonomy file holds the spec's 12 factors with texts in three languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.taxonomy import FACTOR_IDS, TaxonomyError, load_taxonomy, taxonomy

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "factors.md"


def test_twelve_factors_in_spec_order_with_all_languages() -> None:
    tax = taxonomy()
    assert tax.ids == FACTOR_IDS and len(tax.ids) == 12
    for factor in tax.factors:
        for lang in ("fr", "nl", "en"):
            assert factor.label.get(lang) and factor.description.get(lang)
            assert factor.short.get(lang)
        assert factor.title("nl").startswith(factor.emoji)


def test_labels_match_the_spec_table() -> None:
    if not SPEC.exists():
        pytest.skip("shared/spec is not beside this checkout")
    table = SPEC.read_text(encoding="utf-8")
    for factor in taxonomy().factors:
        row = f"| `{factor.id}` | {factor.label.fr} | {factor.label.nl} | {factor.label.en} |"
        assert row in table, factor.id


def test_broken_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("factors:\n  - id: rent_premises\n    emoji: x\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="invalid"):
        load_taxonomy(bad)
    bad.write_text("factors: [\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(bad)
