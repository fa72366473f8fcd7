"""The templates file: checked when loaded, and filled in as Meta wants."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.whatsapp.templates import TemplateBook, TemplateFileError, flatten

SHIPPED = Path(__file__).resolve().parents[3] / "data" / "whatsapp" / "templates.yaml"
GOOD = """
follow_up:
  name: echoppe_follow_up
  category: UTILITY
  params: [date, factors]
  body:
    fr: "Le {{1}} : {{2}} ?"
    nl: "Op {{1}}: {{2}}?"
    en: "On {{1}}: {{2}}?"
  buttons:
    fr: ["Oui", "Non"]
    nl: ["Ja", "Nee"]
    en: ["Yes", "No"]
"""


def _load(tmp_path: Path, text: str) -> TemplateBook:
    path = tmp_path / "templates.yaml"
    path.write_text(text, encoding="utf-8")
    return TemplateBook.load(path)


def test_the_shipped_templates_load_and_stand_for_every_unprompted_kind() -> None:
    kinds = {spec.kind for spec in TemplateBook.load(SHIPPED).specs}
    assert kinds == {
        "follow_up",
        "announcement",
        "survey_invitation",
        "survey_results",
        "seat_notice",
        "event_reminder",
        "barometer_opened",
        "nudge",
        "coaching_news",
        "news",
    }


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        (GOOD.replace("{{2}} ?", "?"), "{{1}}..{{2}}"),
        (GOOD.replace('"Op {{1}}: {{2}}?"', '"Op {{1}}:\\n{{2}}?"'), "several lines"),
        (GOOD.replace('["Ja", "Nee"]', '["Ja"]'), "same number of buttons"),
        (GOOD.replace('"Yes"', '"' + "y" * 26 + '"'), "too long"),
        (GOOD.replace("UTILITY", "PROMOTION"), "category"),
        (GOOD.replace("echoppe_follow_up", "Echoppe Follow"), "name"),
        (GOOD.replace('    en: "On {{1}}: {{2}}?"\n', ""), "no body in en"),
        (GOOD.replace('"On {{1}}: {{2}}?"', '"On {{1}}: {{2}}"'), "ends with a blank"),
        (GOOD.replace('"Le {{1}} : {{2}} ?"', '"{{1}} : {{2}} ?"'), "starts or ends"),
    ],
)
def test_a_broken_template_is_refused_with_its_reason(
    tmp_path: Path, broken: str, why: str
) -> None:
    with pytest.raises(TemplateFileError) as refused:
        _load(tmp_path, broken)
    assert why in str(refused.value)


def test_a_template_message_fills_its_blanks_and_leads_back(tmp_path: Path) -> None:
    spec = _load(tmp_path, GOOD).get("follow_up")
    assert spec is not None
    message = spec.message("nl", ("01/12/2026", "Huur\nen   werken"), ["fu:s:1", "fu:t:1", "x"])
    template = message["template"]
    assert template["name"] == "echoppe_follow_up" and template["language"] == {"code": "nl"}
    body, *buttons = template["components"]
    assert [p["text"] for p in body["parameters"]] == ["01/12/2026", "Huur · en werken"]
    assert [b["parameters"][0]["payload"] for b in buttons] == ["fu:s:1", "fu:t:1"]
    assert flatten("a" * 400).endswith("…") and len(flatten("a" * 400)) == 300
