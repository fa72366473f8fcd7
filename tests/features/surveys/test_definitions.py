"""Survey definitions: the shipped ones load; broken ones are refused with file, line, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.features.surveys.definitions import SurveyDefinitionError, Surveys, load_survey
from bot.reference import default_data_dir

GOOD = """\
id: tiny
title: {fr: "Petit", nl: "Klein", en: "Tiny"}
intro: {fr: "Intro", nl: "Intro", en: "Intro"}
closing: {fr: "Merci", nl: "Dank", en: "Thanks"}
minutes: 1
questions:
  - id: happy
    type: yes_no
    text: {fr: "Content ?", nl: "Tevreden?", en: "Happy?"}
  - id: why
    type: free_text
    optional: true
    show_if: {question: happy, any_of: [no]}
    text: {fr: "Pourquoi ?", nl: "Waarom?", en: "Why?"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_surveys_load_in_three_languages() -> None:
    surveys = Surveys.load(default_data_dir() / "surveys")
    assert {s.id for s in surveys} == {"monthly_pulse", "shop_profile", "event_feedback"}
    surveys.check_territories(["brussels", "lessines"])
    for survey in surveys:
        for question in survey.questions:
            assert all(question.text.get(lang) for lang in ("fr", "nl", "en"))


def test_a_bare_yaml_no_means_the_answer_no(tmp_path: Path) -> None:
    survey = load_survey(write(tmp_path, GOOD))
    assert survey.question("why").show_if.any_of == ("no",)


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("    type: yes_no", "    type: yes_maybe"), 8, "questions.0"),
        (("any_of: [no]", "any_of: [perhaps]"), 13, "which it cannot answer"),
        (("question: happy", "question: later"), 13, "not an earlier question"),
        (("  - id: why", "  - id: happy"), 10, "used twice"),
        (
            (
                '    text: {fr: "Pourquoi ?", nl: "Waarom?", en: "Why?"}',
                '    text: {fr: "Pourquoi ?"}',
            ),
            14,
            "nl",
        ),
        (("minutes: 1", "minutes: 0"), 5, "minutes"),
    ],
)
def test_broken_definitions_name_the_line_and_the_reason(
    tmp_path: Path, change: tuple[str, str], line: int, reason: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(SurveyDefinitionError) as caught:
        load_survey(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert reason in message


def test_broken_yaml_and_unknown_audience(tmp_path: Path) -> None:
    with pytest.raises(SurveyDefinitionError, match=r"survey.yaml:3: not valid YAML"):
        load_survey(write(tmp_path, "id: x\ntitle: {fr: 'a'\nintro: [\n"))
    with pytest.raises(SurveyDefinitionError, match="unknown role"):
        load_survey(write(tmp_path, GOOD + "audience: {roles: [shopkeepr]}\n"))
    (tmp_path / "dir").mkdir()
    write(
        tmp_path / "dir",
        GOOD.replace("minutes: 1", "minutes: 1\naudience: {territories: [lessine]}"),
    )
    with pytest.raises(SurveyDefinitionError, match="unknown \\['lessine'\\]"):
        Surveys.load(tmp_path / "dir").check_territories(["brussels", "lessines"])
