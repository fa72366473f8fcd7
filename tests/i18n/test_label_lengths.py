"""Button labels fit WhatsApp: a reply button's title is at most 20 characters.

The labels are found in the code itself: every ``Button(...)`` in ``bot/`` whose label is a
translator call with a literal key (``t("key")``, ``ctx.t("key")``, ``Translator(lang)("key")``,
``translate(lang, "key")``), alone or joined to literal text (``"◀️ " + t("button.previous")``,
``f"{t('admin.revoke')} {partner.id}"``). Labels whose key is computed are declared by hand
below, and a computed key the scan meets but nobody declared fails the test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.channels.whatsapp.menu import MENU
from bot.features.cells.admin_flow import REASONS
from bot.features.cells.flow import EDITS
from bot.features.cells.service import SIZES
from bot.features.entrepreneurs.candidates import SCHOOL_YEARS, STAGES
from bot.features.entrepreneurs.coaching import AVAILABILITY, NEEDS
from bot.features.follow_ups.store import FollowUpAnswer
from bot.features.onboarding.flow import OnboardingService
from bot.features.popup.service import PRESET_REASONS, SETTLE
from bot.i18n import LANGUAGES, Translator, translate
from bot.storage import Role
from nlp.taxonomy import taxonomy

BOT = Path(__file__).resolve().parents[2] / "bot"
# WhatsApp: 20 characters for a reply button's title (24 for a list row), counted as len().
MAX_LABEL = 20

# Plausible values for the placeholders of button labels, at their longest in real use.
PLAUSIBLE = {
    "id": 999,  # event, broadcast and partner numbers: a few hundred over the years
    "n": 12,  # survey.done_up_to: up to 12 factors (or a multiple choice's options)
    # core.other_territory: territory names are reference data, not renamed to fit a button
    # (the Brussels-Capital Region's are 23 to 30 characters long: "↪️ " leaves them 17).
    "territory": "Lessines",
    # opportunities: a pop-up period's first day, "dd/mm".
    "dates": "31/12",
}
# The value joined to a label by an f-string or "+" that is not a translation (an id).
OTHER_VALUE = "999"


def _hand_labels(lang: str) -> dict[str, str]:
    """Labels whose key the code computes, so that the scan cannot read them: declared here."""
    t = Translator(lang)
    labels: dict[str, str] = {}
    # follow_ups/flow.py: t(f"follow_up.{answer.value}") for each answer.
    for answer in FollowUpAnswer:
        labels[f"follow_up.{answer.value}"] = t(f"follow_up.{answer.value}")
    # onboarding/flow.py: Button(self._role_label(t, role)): the role's emoji, then role.<id>.
    for role in Role:
        labels[f"role.{role.value}"] = OnboardingService._role_label(t, role)
    # surveys/flow.py: Button(done, ...), done being one of these three.
    labels["survey.done"] = t("survey.done")
    labels["survey.done_up_to"] = t("survey.done_up_to", n=PLAUSIBLE["n"])
    labels["survey.text_done"] = t("survey.text_done")
    # barometer/flow.py: one "me too" button per factor, with the factor's short title.
    for factor in taxonomy().factors:
        labels[f"barometer.me_too_button[{factor.id}]"] = t(
            "barometer.me_too_button", factor=factor.short_title(lang)
        )
    # concerns/flow.py: the other reading offered in one tap, with the factor's short title.
    for factor in taxonomy().factors:
        for key in ("concern.also", "concern.maybe_yes"):
            labels[f"{key}[{factor.id}]"] = t(key, factor=factor.short_title(lang))
    # channels/whatsapp/menu.py: one list row per menu entry (rows allow 24; held to 20).
    for name in MENU:
        labels[f"menu.{name}"] = t(f"menu.{name}")
    # entrepreneurs/flow.py: one button per stage and per school year.
    for stage in STAGES:
        labels[f"project.stage_{stage}"] = t(f"project.stage_{stage}")
    for year in SCHOOL_YEARS:
        labels[f"project.year_{year}"] = t(f"project.year_{year}")
    # entrepreneurs/coaching_flow.py: a need or an availability, ticked ("✅ ") or not.
    for need in NEEDS:
        labels[f"coaching.need_{need}"] = "✅ " + t(f"coaching.need_{need}")
    for when in AVAILABILITY:
        labels[f"coaching.av_{when}"] = "✅ " + t(f"coaching.av_{when}")
    # popup: a decline's preset reasons, and the survey's would-settle answers.
    for code in PRESET_REASONS:
        labels[f"popup.reason_button_{code}"] = t(f"popup.reason_button_{code}")
    for answer in SETTLE:
        labels[f"popup.settle_{answer}"] = t(f"popup.settle_{answer}")
    # cells: the admins' refusal reasons, the fields a landlord can change, and the sizes.
    for reason in REASONS:
        labels[f"cells.rbtn_{reason}"] = t(f"cells.rbtn_{reason}")
    for field in EDITS:
        labels[f"cells.field_{field}"] = t(f"cells.field_{field}")
    for name, _low, _high in SIZES:
        labels[f"cells.size_{name}"] = t(f"cells.size_{name}")
    return labels


# The computed keys the code builds labels from, by their literal start: each is covered above.
HAND_PREFIXES = (
    "follow_up.",
    "menu.",
    "project.stage_",
    "project.year_",
    "coaching.need_",
    "coaching.av_",
    "popup.reason_button_",
    "popup.settle_",
    "cells.rbtn_",
    "cells.field_",
    "cells.size_",
)
# Keys the scan finds but measures by hand, their placeholder being filled from reference data.
HAND_KEYS = frozenset({"barometer.me_too_button", "concern.also", "concern.maybe_yes"})


@dataclass(frozen=True)
class Label:
    """A button label found in the code: where, the keys it uses, and how to render it."""

    where: str
    keys: tuple[str, ...]
    node: ast.expr


def _translator_call(node: ast.AST) -> tuple[ast.expr, list[ast.keyword]] | None:
    """Return (key expression, keywords) when node calls a translator, else None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == "translate" and len(node.args) >= 2:
        return node.args[1], node.keywords
    bound = (
        (isinstance(func, ast.Name) and func.id == "t")
        or (isinstance(func, ast.Attribute) and func.attr == "t")
        or (
            isinstance(func, ast.Call)
            and isinstance(func.func, ast.Name)
            and func.func.id == "Translator"
        )
    )
    if bound and node.args:
        return node.args[0], node.keywords
    return None


def _keys(node: ast.expr) -> Iterator[ast.expr]:
    """Yield the key expressions of the translator calls a label expression is made of."""
    call = _translator_call(node)
    if call is not None:
        yield call[0]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _keys(node.left)
        yield from _keys(node.right)
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                yield from _keys(part.value)


def scan(root: Path = BOT) -> tuple[list[Label], list[str]]:
    """Return the labels with literal keys, and the computed keys ('file:line prefix')."""
    labels: list[Label] = []
    computed: list[str] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Button"
                and node.args
            ):
                continue
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            keys: list[str] = []
            for key in _keys(node.args[0]):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    keys.append(key.value)
                elif isinstance(key, ast.JoinedStr) and isinstance(key.values[0], ast.Constant):
                    computed.append(f"{where} {key.values[0].value}")
                else:
                    computed.append(f"{where} ?")
            if keys:
                labels.append(Label(where, tuple(keys), node.args[0]))
    return labels, computed


def render(node: ast.expr, lang: str) -> str:
    """Build a label as the code would, with plausible values for what is not text."""
    call = _translator_call(node)
    if call is not None:
        key, keywords = call
        assert isinstance(key, ast.Constant), ast.unparse(node)
        names = [k.arg for k in keywords]
        assert None not in names, f"**kwargs in {ast.unparse(node)}"
        unknown = [n for n in names if n not in PLAUSIBLE]
        assert not unknown, f"add a plausible value for {unknown} ({ast.unparse(node)})"
        return translate(lang, key.value, **{str(n): PLAUSIBLE[str(n)] for n in names})
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return render(node.left, lang) + render(node.right, lang)
    if isinstance(node, ast.JoinedStr):
        return "".join(render(part, lang) for part in node.values)
    if isinstance(node, ast.FormattedValue):
        return render(node.value, lang) if _translator_call(node.value) else OTHER_VALUE
    raise AssertionError(f"cannot measure the label {ast.unparse(node)}")


def test_the_scan_finds_the_button_labels() -> None:
    # Guards the scan itself: if it matched nothing, the length test would pass vacuously.
    labels, _ = scan()
    keys = {key for label in labels for key in label.keys}
    assert len(keys) >= 40, sorted(keys)
    assert {"privacy.accept", "button.back", "admin.revoke", "button.previous"} <= keys


def test_computed_keys_are_declared_by_hand() -> None:
    _, computed = scan()
    undeclared = [c for c in computed if not c.endswith(HAND_PREFIXES)]
    assert not undeclared, f"declare these label families in _hand_labels: {undeclared}"
    declared = _hand_labels("fr")
    for start in (*HAND_PREFIXES, *HAND_KEYS):
        assert any(key.startswith(start) for key in declared), start


def test_button_labels_fit_whatsapp() -> None:
    labels, _ = scan()
    too_long = []
    for lang in LANGUAGES:
        for label in labels:
            if HAND_KEYS.intersection(label.keys):
                continue
            text = render(label.node, lang)
            if len(text) > MAX_LABEL:
                keys = "+".join(label.keys)
                too_long.append(f"{lang} {label.where} {keys}: {text!r} {len(text)}")
        for key, text in _hand_labels(lang).items():
            if len(text) > MAX_LABEL:
                too_long.append(f"{lang} {key}: {text!r} {len(text)}")
    assert not too_long, "\n".join(too_long)
