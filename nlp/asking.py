"""Decide how to ask a person to confirm a message's factors, and count the taps it costs.

Every message is answered "I understood X, right?". A wrong guess costs taps: "Change", one
tap per factor to tick or untick, "Done". When the model hesitates between a factor it kept
and one just below its threshold, a third button offers the other reading in one tap. The
rule's mode and ratio are chosen on held-out data by `python bot.py train` and stored in
`echoppe.json`; the tap count here is the simulator that chooses them, following the rules of
`bot/features/concerns/flow.py` (at most three buttons, so WhatsApp shows reply buttons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Literal

Mode = Literal["none", "add"]
MODES: tuple[Mode, ...] = ("none", "add")
_RATIOS = [round(0.2 + 0.05 * i, 2) for i in range(17)]  # 0.20 .. 1.00


@dataclass(frozen=True)
class Question:
    """Say what the first answer offers: the ticked factors and one other reading, if any."""

    draft: tuple[str, ...]
    alternative: tuple[str, ...] | None = None

    @property
    def suggested(self) -> str | None:
        """Return the factor the alternative brings in (the one not in the draft)."""
        if self.alternative is None:
            return None
        extra = [f for f in self.alternative if f not in self.draft]
        return extra[0] if extra else None


@dataclass(frozen=True)
class AskingRule:
    """Offer a close runner-up, added to the guess ("add"), or ask plainly ("none")."""

    mode: Mode = "none"
    ratio: float = 1.0

    def ask(self, scores: Mapping[str, float], thresholds: Mapping[str, float]) -> Question:
        """Return the question for one message from its scores and the model's thresholds."""
        closeness = {f: scores.get(f, 0.0) / max(t, 1e-9) for f, t in thresholds.items()}
        # The guess is what Classifier.decide keeps: every factor at or above its threshold.
        kept = (f for f, t in thresholds.items() if scores.get(f, 0.0) >= t)
        draft = tuple(sorted(kept, key=lambda f: -closeness[f]))
        if self.mode == "none":
            return Question(draft)
        others = sorted((f for f in closeness if f not in draft), key=lambda f: (-closeness[f], f))
        if not others or closeness[others[0]] < self.ratio:
            return Question(draft)
        return Question(draft, (*draft, others[0]))

    def as_meta(self) -> dict[str, object]:
        """Return the rule as stored in echoppe.json."""
        return {"mode": self.mode, "ratio": self.ratio}

    @classmethod
    def from_meta(cls, meta: object) -> AskingRule:
        """Read a rule from echoppe.json; a model without one asks the plain way."""
        if not isinstance(meta, Mapping):
            return cls()
        mode = meta.get("mode", "none")
        ratio = meta.get("ratio", 1.0)
        if mode not in MODES or not isinstance(ratio, int | float):
            return cls()
        return cls(mode, float(ratio))


def taps(question: Question, gold: frozenset[str]) -> int:
    """Count the taps a person needs to confirm exactly `gold`, taking the shortest path.

    With a guess: "Yes" or the alternative is one tap; otherwise "Change", a tap per factor
    to tick or untick, and "Done" (or "None of these" when nothing applies). Without a guess
    and without an alternative the picker opens at once: "None of these", or the factors and
    "Done". Without a guess but with an alternative, the question offers it, "No difficulty"
    and "Something else" (the picker).
    """
    draft = frozenset(question.draft)
    one_tap: list[frozenset[str]] = []
    if draft:
        one_tap.append(draft)
    if question.alternative is not None:
        one_tap.append(frozenset(question.alternative))
        if not draft:
            one_tap.append(frozenset())
    if gold in one_tap:
        return 1
    in_picker = 1 if gold == frozenset() else len(draft ^ gold) + 1
    opened_at_once = not draft and question.alternative is None
    return in_picker if opened_at_once else 1 + in_picker


def mean_taps(
    rule: AskingRule,
    scores: Sequence[Mapping[str, float]],
    gold: Sequence[frozenset[str]],
    thresholds: Mapping[str, float],
) -> float:
    """Return the average taps to the right factors over labelled messages."""
    return fmean(taps(rule.ask(s, thresholds), g) for s, g in zip(scores, gold, strict=True))


def tune_rule(
    scores: Sequence[Mapping[str, float]],
    gold: Sequence[frozenset[str]],
    thresholds: Mapping[str, float],
) -> AskingRule:
    """Choose the mode and ratio with the fewest taps; ties keep the plainer question."""
    candidates = [AskingRule()] + [AskingRule(m, r) for m in MODES[1:] for r in _RATIOS]
    return min(
        candidates,
        key=lambda rule: (
            round(mean_taps(rule, scores, gold, thresholds), 6),
            rule.mode != "none",
            -rule.ratio,
        ),
    )
