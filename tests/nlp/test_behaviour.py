"""The shipped model's behavioural pass rates, per kind and language (docs/classifier.md).

Issue 19 asks for at least 90% of each kind in each language. The shipped model (hidepool,
2026-12-07, the same scores as meanhide before it) reaches it for every kind in every
language: MFT 96.2% / 92.3% / 90.4%, INV 93.3% / 93.3% / 92.5%, DIR 96.2% / 96.2% / 100%
(fr / nl / en); the target holds.

The fresh cases (`tests/nlp/fresh_cases.jsonl`), written afterwards by a writer who saw only
the spec, have no target: each kind and language may lose at most one case against the
shipped model (dismissals 13 / 11 / 11 of 24, causes 19 / 20 / 20 of 24, demand changes
11 / 10 / 8 of 12).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from nlp.classifier import get_classifier
from tests.nlp.checklist import (
    FRESH_KINDS,
    KINDS,
    LANGS,
    Case,
    build_cases,
    fresh_cases,
    pass_rates,
    passes,
)


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
    ("DIR", "fr"): TARGET,
    ("DIR", "nl"): TARGET,
    ("DIR", "en"): TARGET,
}
# Fewest fresh cases to pass: the shipped model's count less one.
FRESH_FLOOR = {
    ("dismiss", "fr"): 12,
    ("dismiss", "nl"): 10,
    ("dismiss", "en"): 10,
    ("cause", "fr"): 18,
    ("cause", "nl"): 19,
    ("cause", "en"): 19,
    ("demand", "fr"): 10,
    ("demand", "nl"): 9,
    ("demand", "en"): 7,
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


@pytest.fixture(scope="module")
def fresh() -> tuple[list[Case], list[tuple[Case, frozenset[str]]]]:
    cases = fresh_cases()
    return cases, pass_rates(_predict, cases)[1]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", FRESH_KINDS)
def test_fresh_cases(fresh, kind: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    cases, failed = fresh
    mine = [c for c in cases if c.kind == kind and c.lang == lang]
    lost = [f"{sorted(found)} {c.text}" for c, found in failed if c in mine]
    assert len(mine) - len(lost) >= FRESH_FLOOR[(kind, lang)], "\n".join(lost)


def test_the_fresh_cases_cover_every_kind_language_and_factor() -> None:
    cases = fresh_cases()
    for lang in LANGS:
        dismissed = {f for c in cases if c.lang == lang and c.kind == "dismiss" for f in c.forbid}
        assert len(dismissed) == 12
        causes = {f for c in cases if c.lang == lang and c.kind == "cause" for f in c.expect}
        assert causes == {"roadworks", "mobility_parking", "competition", "safety_image"}
        assert sum(c.lang == lang and c.kind == "demand" for c in cases) == 12
    assert len({c.text for c in cases}) == len(cases) == 180
