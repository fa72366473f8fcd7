"""The shipped model's behavioural pass rates, per kind and language (docs/classifier.md).

Issue 19 asks for at least 90% of each kind in each language. The shipped model (meanidf,
2026-12-07) reaches it for MFT and INV in every language; DIR is 84.6% / 76.9% / 78.8%
(fr / nl / en). Until a model reaches the target, each rate must not fall below what the
shipped model reached, less two points; where the target is met, the target holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from nlp.classifier import get_classifier
from tests.nlp.checklist import KINDS, LANGS, Case, build_cases, pass_rates, passes


def _predict(texts: Sequence[str]) -> list[frozenset[str]]:
    classifier = get_classifier()
    return [frozenset(f.factor for f in fs) for fs in classifier.predict_many(texts)]


@pytest.fixture(scope="module")
def results() -> tuple[dict[tuple[str, str], float], list[tuple[Case, frozenset[str]]]]:
    return pass_rates(_predict)


TARGET = 0.90
FLOOR = {
    ("MFT", "fr"): TARGET,
    ("MFT", "nl"): TARGET,
    ("MFT", "en"): TARGET,
    ("INV", "fr"): TARGET,
    ("INV", "nl"): TARGET,
    ("INV", "en"): TARGET,
    ("DIR", "fr"): 0.82,
    ("DIR", "nl"): 0.74,
    ("DIR", "en"): 0.76,
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_pass_rate(results, kind: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    rates, failed = results
    mine = [
        f"{c.name}: {sorted(found)} {c.text}"
        for c, found in failed
        if c.kind == kind and c.lang == lang
    ]
    assert rates[(kind, lang)] >= FLOOR[(kind, lang)], "\n".join(mine)


def test_the_suite_has_every_kind_for_every_factor_and_language() -> None:
    cases = build_cases()
    for lang in LANGS:
        for kind in KINDS:
            assert sum(c.kind == kind and c.lang == lang for c in cases) >= 40
        dismissed = {
            f for c in cases if c.lang == lang and c.name.startswith("dismiss/") for f in c.forbid
        }
        assert len(dismissed) == 12
    assert len({c.text for c in cases}) == len(cases)


def test_the_judge_fails_what_it_should() -> None:
    mft = Case("MFT", "fr", "x", "t", expect=frozenset({"staff"}))
    assert passes(mft, frozenset({"staff", "admin_tax"}), None)
    assert not passes(mft, frozenset({"admin_tax"}), None)
    none = Case("MFT", "fr", "n", "t", exact=True)
    assert passes(none, frozenset(), None) and not passes(none, frozenset({"staff"}), None)
    inv = Case("INV", "fr", "i", "t", base="b")
    assert passes(inv, frozenset({"staff"}), frozenset({"staff"}))
    assert not passes(inv, frozenset({"staff"}), frozenset({"staff", "rent_premises"}))
    cause = Case(
        "DIR",
        "fr",
        "c",
        "t",
        expect=frozenset({"roadworks"}),
        forbid=frozenset({"demand_footfall"}),
    )
    assert passes(cause, frozenset({"roadworks"}), None)
    assert not passes(cause, frozenset({"roadworks", "demand_footfall"}), None)
