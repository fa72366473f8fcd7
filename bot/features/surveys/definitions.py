"""Load and validate survey definitions (data/surveys/*.yaml); errors name file and line."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import yaml  # type: ignore[import-untyped,unused-ignore]
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from nlp.taxonomy import FACTOR_IDS

logger = logging.getLogger(__name__)

_ID = r"^[a-z][a-z0-9_]{0,39}$"
# The roles of bot.storage.users.Role (kept here so definitions load without the database).
ROLES = ("shopkeeper", "customer", "landlord", "public_actor", "coach", "researcher")


class HasSurveyId(Protocol):
    """Anything that names the survey it belongs to."""

    @property
    def survey_id(self) -> str:
        """Return the survey's id."""


class LocatedError(ValueError):
    """A validation error that knows where in the file it is (a path of keys and indexes)."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path


class SurveyDefinitionError(Exception):
    """Raised when a survey file is broken; the message names the file, the line and why."""


class SurveyText(BaseModel):
    """Hold one text per language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fr: str = Field(min_length=1, max_length=700)
    nl: str = Field(min_length=1, max_length=700)
    en: str = Field(min_length=1, max_length=700)

    def get(self, lang: str) -> str:
        """Return the text in a language (French when unknown)."""
        return str(getattr(self, lang)) if lang in ("fr", "nl", "en") else self.fr


class Label(BaseModel):
    """Hold a short label per language (it goes on a button)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fr: str = Field(min_length=1, max_length=60)
    nl: str = Field(min_length=1, max_length=60)
    en: str = Field(min_length=1, max_length=60)

    def get(self, lang: str) -> str:
        """Return the label in a language (French when unknown)."""
        return str(getattr(self, lang)) if lang in ("fr", "nl", "en") else self.fr


class QuestionType(StrEnum):
    """Name the kinds of questions a survey may ask."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE = "scale"
    YES_NO = "yes_no"
    NUMBER = "number"
    FREE_TEXT = "free_text"
    FACTOR_CHOICE = "factor_choice"


class Option(BaseModel):
    """One answer of a choice question."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    label: Label


class ShowIf(BaseModel):
    """Show a question only when an earlier answer matches."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str = Field(pattern=_ID)
    # Option ids, "yes"/"no", or factor ids; for several-answer questions, any overlap counts.
    any_of: tuple[str, ...] = ()

    @field_validator("any_of", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        # YAML reads a bare yes / no as a boolean; the author meant the yes/no answer.
        if isinstance(value, list | tuple):
            return [("yes" if v else "no") if isinstance(v, bool) else v for v in value]
        return value

    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> ShowIf:
        if not self.any_of and self.at_least is None and self.at_most is None:
            raise ValueError("show_if needs any_of, at_least or at_most")
        return self


class _QuestionBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    text: SurveyText
    optional: bool = False
    show_if: ShowIf | None = None


class ChoiceQuestion(_QuestionBase):
    """Pick one option."""

    type: Literal[QuestionType.SINGLE_CHOICE]
    options: tuple[Option, ...] = Field(min_length=2, max_length=12)

    @model_validator(mode="after")
    def _unique_options(self) -> ChoiceQuestion:
        _check_unique("option", [o.id for o in self.options])
        return self


class MultipleChoiceQuestion(_QuestionBase):
    """Pick up to `max` options."""

    type: Literal[QuestionType.MULTIPLE_CHOICE]
    options: tuple[Option, ...] = Field(min_length=2, max_length=12)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _check(self) -> MultipleChoiceQuestion:
        _check_unique("option", [o.id for o in self.options])
        if self.max > len(self.options):
            raise ValueError(f"max is {self.max} but there are {len(self.options)} options")
        return self


class ScaleLabels(BaseModel):
    """Name both ends of a scale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: Label
    high: Label


class ScaleQuestion(_QuestionBase):
    """Pick a whole number between two labelled ends."""

    type: Literal[QuestionType.SCALE]
    min: int = Field(default=1, ge=0, le=10)
    max: int = Field(default=5, ge=1, le=10)
    labels: ScaleLabels

    @model_validator(mode="after")
    def _check(self) -> ScaleQuestion:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


class YesNoQuestion(_QuestionBase):
    """Answer yes or no."""

    type: Literal[QuestionType.YES_NO]


class NumberQuestion(_QuestionBase):
    """Type a whole number within bounds."""

    type: Literal[QuestionType.NUMBER]
    min: int = 0
    max: int = 1_000_000

    @model_validator(mode="after")
    def _check(self) -> NumberQuestion:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not be above max ({self.max})")
        return self


class FreeTextQuestion(_QuestionBase):
    """Write freely; the text is classified onto the factors and confirmed in one tap."""

    type: Literal[QuestionType.FREE_TEXT]
    # False for texts that are not about the trade's difficulties (feedback on an event).
    classify: bool = True


class FactorChoiceQuestion(_QuestionBase):
    """Pick up to `max` of the 12 difficulty factors."""

    type: Literal[QuestionType.FACTOR_CHOICE]
    max: int = Field(ge=1, le=len(FACTOR_IDS))


Question = Annotated[
    ChoiceQuestion
    | MultipleChoiceQuestion
    | ScaleQuestion
    | YesNoQuestion
    | NumberQuestion
    | FreeTextQuestion
    | FactorChoiceQuestion,
    Field(discriminator="type"),
]


class Audience(BaseModel):
    """Who may be invited: empty lists mean everyone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    roles: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown role(s) {unknown}; roles are {list(ROLES)}")
        return value


class Survey(BaseModel):
    """A whole survey: texts, audience and questions in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    title: Label
    intro: SurveyText
    closing: SurveyText
    minutes: float = Field(gt=0, le=30)
    audience: Audience = Audience()
    questions: tuple[Question, ...] = Field(min_length=1, max_length=40)

    @model_validator(mode="after")
    def _check_questions(self) -> Survey:
        earlier: dict[str, Any] = {}
        for index, question in enumerate(self.questions):
            if question.id in earlier:
                raise LocatedError(
                    f"question id {question.id!r} is used twice", ("questions", index, "id")
                )
            condition = question.show_if
            if condition is not None:
                _check_condition(question.id, condition, earlier, ("questions", index, "show_if"))
            earlier[question.id] = question
        return self

    def question(self, question_id: str) -> Any:
        """Return a question by id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)


def _check_condition(
    question_id: str, condition: ShowIf, earlier: dict[str, Any], where: tuple[str | int, ...]
) -> None:
    source = earlier.get(condition.question)
    if source is None:
        raise LocatedError(
            f"question {question_id!r}: show_if refers to {condition.question!r},"
            " which is not an earlier question",
            (*where, "question"),
        )
    numeric = isinstance(source, NumberQuestion | ScaleQuestion)
    if condition.any_of and isinstance(source, NumberQuestion):
        raise LocatedError(
            f"question {question_id!r}: show_if on the number {condition.question!r}"
            " needs at_least / at_most, not any_of",
            (*where, "any_of"),
        )
    if not numeric and (condition.at_least is not None or condition.at_most is not None):
        raise LocatedError(
            f"question {question_id!r}: at_least / at_most need a number or scale"
            f" question, and {condition.question!r} is not one",
            where,
        )
    unknown = set(condition.any_of) - set(answer_values(source))
    if unknown:
        raise LocatedError(
            f"question {question_id!r}: show_if on {condition.question!r} uses"
            f" {sorted(unknown)}, which it cannot answer",
            (*where, "any_of"),
        )


def answer_values(question: Any) -> list[str]:
    """Return the values a choice-like question can give (empty for numbers and text)."""
    if isinstance(question, ChoiceQuestion | MultipleChoiceQuestion):
        return [o.id for o in question.options]
    if isinstance(question, YesNoQuestion):
        return ["yes", "no"]
    if isinstance(question, FactorChoiceQuestion | FreeTextQuestion):
        return list(FACTOR_IDS)
    if isinstance(question, ScaleQuestion):
        return [str(v) for v in range(question.min, question.max + 1)]
    return []


def _check_unique(what: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what} id {item!r} is used twice")
        seen.add(item)


class Surveys:
    """Every survey definition, by id."""

    def __init__(self, surveys: Sequence[Survey]) -> None:
        self._by_id = {s.id: s for s in surveys}

    def check_territories(self, territory_ids: Sequence[str]) -> None:
        """Refuse audiences naming a territory that does not exist."""
        for survey in self:
            unknown = sorted(set(survey.audience.territories) - set(territory_ids))
            if unknown:
                raise SurveyDefinitionError(
                    f"survey {survey.id!r}: audience.territories: unknown {unknown};"
                    f" territories are {sorted(territory_ids)}"
                )

    def __iter__(self) -> Iterator[Survey]:
        return iter(self._by_id.values())

    def get(self, survey_id: str) -> Survey | None:
        """Return a survey by id, or None."""
        return self._by_id.get(survey_id)

    def get_for(self, response: HasSurveyId) -> Survey | None:
        """Return the survey a response answers (None if its definition was removed)."""
        return self._by_id.get(response.survey_id)

    @classmethod
    def load(cls, directory: Path) -> Surveys:
        """Read and validate every *.yaml of a folder; ids must be unique across files."""
        surveys: list[Survey] = []
        for path in sorted(directory.glob("*.yaml")):
            survey = load_survey(path)
            if any(s.id == survey.id for s in surveys):
                raise SurveyDefinitionError(f"{path}: survey id {survey.id!r} is used twice")
            surveys.append(survey)
        logger.info("loaded %d survey definition(s)", len(surveys))
        return cls(surveys)


def load_survey(path: Path) -> Survey:
    """Read one survey file; a broken one raises SurveyDefinitionError naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except OSError as exc:
        raise SurveyDefinitionError(f"{path}: cannot be read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SurveyDefinitionError(f"{path}{where}: not valid YAML ({problem})") from exc
    if not isinstance(raw, dict):
        raise SurveyDefinitionError(f"{path}:1: a survey must be a mapping of fields")
    try:
        return Survey.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        original = (error.get("ctx") or {}).get("error")
        if isinstance(original, LocatedError):
            location: list[Any] = [*error["loc"], *original.path]
            message = str(original)
        else:
            location = [part for part in error["loc"] if not _is_union_tag(part)]
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "union_tag_invalid":
                location.append("type")
                kinds = ", ".join(t.value for t in QuestionType)
                message = f"unknown question type {error['input'].get('type')!r}; use {kinds}"
        line = _line_of(node, location)
        field = ".".join(str(p) for p in location) or "survey"
        raise SurveyDefinitionError(f"{path}:{line}: {field}: {message}") from exc


def _is_union_tag(part: Any) -> bool:
    # Pydantic names the chosen member of a discriminated union in the location.
    return isinstance(part, str) and part in {t.value for t in QuestionType}


def _line_of(node: Any, location: Sequence[Any]) -> int:
    """Return the 1-based line of the deepest YAML node on a validation error's path."""
    current = node
    for part in location:
        child = None
        if isinstance(current, yaml.MappingNode):
            child = next((v for k, v in current.value if k.value == part), None)
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            child = current.value[part] if part < len(current.value) else None
        if child is None:
            break
        current = child
    return int(current.start_mark.line) + 1 if current is not None else 1
