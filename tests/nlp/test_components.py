"""The cause-before-effect component: the spec's rule on the classifier's scores."""

from __future__ import annotations

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import CAUSE_FACTORS, EFFECT
from nlp.features import normalize


def _pipeline() -> Language:
    """Build a blank pipeline whose only component is the rule, with its shipped settings."""
    nlp = spacy.blank("fr")
    nlp.add_pipe("echoppe_cause_before_effect")
    return nlp


def _apply(nlp: Language, text: str, cats: dict[str, float]) -> dict[str, float]:
    """Run the rule on a message as if the classifier had given it these scores."""
    doc: Doc = nlp.make_doc(normalize(text))
    doc.cats = dict(cats)
    for _, component in nlp.pipeline:
        doc = component(doc)
    return dict(doc.cats)


BLAMED = "Sales have collapsed because of the roadworks, people just don't come any more."
SCORES = {"roadworks": 0.8, EFFECT: 0.7, "rent_premises": 0.1}


def test_lost_customers_blamed_on_a_named_cause_lower_the_effect() -> None:
    found = _apply(_pipeline(), BLAMED, SCORES)
    assert abs(found[EFFECT] - 0.35) < 1e-9
    # Nothing else moves.
    assert found["roadworks"] == 0.8 and found["rent_premises"] == 0.1


def test_a_change_in_demand_itself_keeps_the_effect() -> None:
    text = "Because of the roadworks and with remote work, the street is empty at lunch."
    assert _apply(_pipeline(), text, SCORES)[EFFECT] == 0.7


def test_no_named_cause_or_no_cause_factor_keeps_the_effect() -> None:
    nlp = _pipeline()
    # No cue: the works and the empty shop side by side, not one blamed for the other.
    assert _apply(nlp, "Roadworks outside. The shop is empty.", SCORES)[EFFECT] == 0.7
    # The cause scored too low to be the cause's factor.
    assert _apply(nlp, BLAMED, {**SCORES, "roadworks": 0.4})[EFFECT] == 0.7
    # A cause that is not one of the spec's (rent) does not take the effect.
    assert _apply(nlp, BLAMED, {"rent_premises": 0.9, EFFECT: 0.7})[EFFECT] == 0.7


def test_the_settings_are_the_configs() -> None:
    nlp = spacy.blank("fr")
    nlp.add_pipe("echoppe_cause_before_effect", config={"effect_weight": 0.0})
    assert _apply(nlp, BLAMED, SCORES)[EFFECT] == 0.0
    component = nlp.get_pipe("echoppe_cause_before_effect")
    assert component.causes == CAUSE_FACTORS
    copy = spacy.blank("fr").from_config(nlp.config)
    assert copy.get_pipe("echoppe_cause_before_effect").effect_weight == 0.0
