"""The spec's "cause before effect" rule as a spaCy pipeline component, after the classifier.

When a message blames lost customers on a named cause ("because of the roadworks, people
stay away"), the spec files it under the cause only, unless the message also describes a
change in demand itself (teleworking, purchasing power, the season…). The model reads the
restated effect as lost demand; this component lowers that score when the message names a
cause, a cause's factor scores high, and nothing says demand changed by itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.language import Language
from spacy.tokens import Doc

from nlp.scopes import cause_arguments, names_demand_change

EFFECT = "demand_footfall"
CAUSE_FACTORS = ("roadworks", "mobility_parking", "competition", "safety_image")


class CauseBeforeEffect:
    """Lower the effect's score in a message that blames it on a named cause."""

    def __init__(self, effect_weight: float, cause_score: float, causes: Sequence[str]) -> None:
        self.effect_weight = float(effect_weight)
        self.cause_score = float(cause_score)
        self.causes = tuple(causes)

    def __call__(self, doc: Doc) -> Doc:
        """Apply the rule to a classified doc (its text already normalised)."""
        cats = doc.cats
        if cats.get(EFFECT, 0.0) <= 0.0:
            return doc
        if not any(cats.get(cause, 0.0) >= self.cause_score for cause in self.causes):
            return doc
        words = [token.text for token in doc]
        spaced = [bool(token.whitespace_) for token in doc]
        if cause_arguments(words, spaced) and not names_demand_change(words):
            cats[EFFECT] = cats[EFFECT] * self.effect_weight
        return doc


@Language.factory(
    "echoppe_cause_before_effect",
    default_config={"effect_weight": 0.5, "cause_score": 0.5, "causes": list(CAUSE_FACTORS)},
)
def make_cause_before_effect(
    nlp: Language,
    name: str,
    effect_weight: float,
    cause_score: float,
    causes: list[str],
) -> CauseBeforeEffect:
    """Build the cause-before-effect component."""
    return CauseBeforeEffect(effect_weight, cause_score, causes)
