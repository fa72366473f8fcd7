"""Run surveys as a state machine over stored state: one answer in, the next question out."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.features.surveys.definitions import (
    FactorChoiceQuestion,
    FreeTextQuestion,
    MultipleChoiceQuestion,
    NumberQuestion,
    ScaleQuestion,
    Survey,
    Surveys,
    answer_values,
)
from bot.features.surveys.store import Response, ResponseStatus, SurveyRepository
from bot.shared.text import clean_text
from bot.storage import Database, ProcessedEventRepository, User, UserRepository
from nlp.taxonomy import FACTOR_IDS

logger = logging.getLogger(__name__)

Classify = Callable[[str], Awaitable[list[str]]]
MAX_TEXT_ANSWER = 2000


# ---- the pure part: which question comes next, and what an answer means ---------------------


def is_visible(question: Any, answers: Mapping[str, Any]) -> bool:
    """Return whether a question is shown, given the answers so far."""
    condition = question.show_if
    if condition is None:
        return True
    if condition.question not in answers or answers[condition.question] is None:
        return False
    value = answers[condition.question]
    if condition.any_of:
        given = {str(v) for v in value} if isinstance(value, list) else {str(value)}
        if not given & set(condition.any_of):
            return False
    if condition.at_least is not None or condition.at_most is not None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if condition.at_least is not None and value < condition.at_least:
            return False
        if condition.at_most is not None and value > condition.at_most:
            return False
    return True


def next_question(survey: Survey, answers: Mapping[str, Any], after: str | None) -> Any:
    """Return the first visible, unanswered question after `after` (from the start if None)."""
    ids = [q.id for q in survey.questions]
    start = ids.index(after) + 1 if after in ids else 0
    for question in survey.questions[start:]:
        if question.id not in answers and is_visible(question, answers):
            return question
    return None


_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")


def parse_number(question: NumberQuestion, text: str) -> int | None:
    """Read a typed whole number within the question's bounds, or None (decimals refused)."""
    # Spaces and thin spaces group thousands ("1 200"); anything else is not a whole number.
    compact = text.strip().replace(" ", "").replace("\u202f", "").replace("\u00a0", "")
    if not _WHOLE_NUMBER.fullmatch(compact):
        return None
    value = int(compact)
    return value if question.min <= value <= question.max else None


def multi_max(question: Any) -> int:
    """Return how many items a several-answer question accepts."""
    if isinstance(question, MultipleChoiceQuestion | FactorChoiceQuestion):
        return int(question.max)
    return len(FACTOR_IDS)


def takes_several(question: Any) -> bool:
    """Return whether the question is answered by ticking several items, then Done."""
    return isinstance(question, MultipleChoiceQuestion | FactorChoiceQuestion | FreeTextQuestion)


# ---- the stored part -----------------------------------------------------------------------


class StepStatus(StrEnum):
    """Say what an action on a survey led to."""

    ASKED = "asked"
    FINISHED = "finished"
    STOPPED = "stopped"
    STALE = "stale"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    NOT_IN_SURVEY = "not_in_survey"


@dataclass(frozen=True)
class Step:
    """Carry the state to show after an action: the question on screen, or why not."""

    status: StepStatus
    survey: Survey | None = None
    response: Response | None = None
    question: Any = None
    answers: dict[str, Any] = field(default_factory=dict)
    # i18n key (and arguments) of a notice: why an answer was refused, what was kept.
    notice: str | None = None
    notice_args: dict[str, Any] = field(default_factory=dict)
    # True when the question is shown again (a reminder), not as a fresh question.
    repeat: bool = False

    @property
    def draft(self) -> dict[str, Any]:
        """Return the work in progress on the question on screen."""
        return self.response.draft if self.response is not None else {}


class SurveyService:
    """Begin, answer, skip, stop and resume surveys; every change applied once per event."""

    def __init__(self, db: Database, surveys: Surveys, classify: Classify) -> None:
        self._db = db
        self._surveys = surveys
        self._classify = classify
        self._repo = SurveyRepository(db)
        self._events = ProcessedEventRepository(db)
        self._users = UserRepository(db)

    @property
    def definitions(self) -> Surveys:
        """Return the loaded survey definitions."""
        return self._surveys

    async def active(self, user: User) -> Response | None:
        """Return the person's survey in progress, if any (a closed round ends it)."""
        response = await self._repo.active_response(user.id)
        if response is not None and (
            await self._closed(response) or self._surveys.get_for(response) is None
        ):
            # The round is over (or its survey was withdrawn): what they type now is an
            # ordinary message again.
            async with self._db.transaction():
                await self._repo.move(
                    response.id, position=None, draft={}, status=ResponseStatus.STOPPED
                )
            return None
        return response

    async def current(self, user: User) -> Step:
        """Return the question on screen of the person's survey in progress."""
        response = await self._repo.active_response(user.id)
        if response is None:
            return Step(StepStatus.NOT_IN_SURVEY)
        return await self._step(response, repeat=True)

    async def begin(self, user: User, wave_id: int, event_key: str) -> Step:
        """Start (or resume) the survey of a wave the person was invited to."""
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return Step(StepStatus.DUPLICATE)
            wave = await self._repo.wave(wave_id)
            survey = self._surveys.get(wave.survey_id) if wave else None
            if wave is None or survey is None or wave.closed_at is not None:
                return Step(StepStatus.STALE)
            if not await self._repo.invitation_exists(wave_id, user.id):
                return Step(StepStatus.STALE)
            first = next_question(survey, {}, None)
            response = await self._repo.start_response(
                wave=wave,
                user_id=user.id,
                core_id=user.core_id,
                territory_id=user.territory_id,
                role=user.role.value if user.role else None,
                position=first.id if first else None,
            )
            if response.status is ResponseStatus.COMPLETED:
                return Step(StepStatus.FINISHED, survey, response, notice="survey.already_done")
            if response.status is ResponseStatus.STOPPED:
                # Coming back after /stop_survey: carry on where they left.
                answers = await self._repo.answers(response.id)
                question = next_question(survey, answers, None)
                response = await self._repo.move(
                    response.id, position=question.id if question else None, draft={}
                )
            return await self._step(response)

    async def choose(
        self, user: User, response_id: int, question_index: int, choice: int, event_key: str
    ) -> Step:
        """Answer a one-tap question (single choice, yes/no, scale) with its n-th value."""
        async with self._db.transaction():
            found = await self._claim(user, response_id, question_index, event_key)
            if isinstance(found, Step):
                return found
            response, survey, question = found
            values = answer_values(question)
            if takes_several(question) or not 0 <= choice < len(values):
                return Step(StepStatus.STALE)
            value: Any = int(values[choice]) if isinstance(question, ScaleQuestion) else None
            return await self._answer(
                response, survey, question, values[choice] if value is None else value
            )

    async def toggle(
        self, user: User, response_id: int, question_index: int, item: int, event_key: str
    ) -> Step:
        """Tick or untick one item of a several-answer question."""
        async with self._db.transaction():
            found = await self._claim(user, response_id, question_index, event_key)
            if isinstance(found, Step):
                return found
            response, _, question = found
            values = answer_values(question)
            if not takes_several(question) or not 0 <= item < len(values):
                return Step(StepStatus.STALE)
            if isinstance(question, FreeTextQuestion) and "text" not in response.draft:
                return Step(StepStatus.STALE)
            picked = list(response.draft.get("picked", []))
            value = values[item]
            if value in picked:
                picked.remove(value)
            elif len(picked) >= multi_max(question):
                step = await self._step(response)
                return _with_notice(step, "survey.too_many", n=multi_max(question))
            else:
                picked.append(value)
            picked.sort(key=values.index)
            response = await self._repo.move(
                response.id, position=question.id, draft={**response.draft, "picked": picked}
            )
            return await self._step(response)

    async def done(
        self, user: User, response_id: int, question_index: int, event_key: str
    ) -> Step:
        """Confirm the items ticked on a several-answer question."""
        async with self._db.transaction():
            found = await self._claim(user, response_id, question_index, event_key)
            if isinstance(found, Step):
                return found
            response, survey, question = found
            if not takes_several(question):
                return Step(StepStatus.STALE)
            picked = list(response.draft.get("picked", []))
            if isinstance(question, FreeTextQuestion):
                if "text" not in response.draft:
                    return Step(StepStatus.STALE)
                return await self._answer(
                    response, survey, question, picked, text=str(response.draft["text"])
                )
            if not picked and not question.optional:
                step = await self._step(response)
                return _with_notice(step, "survey.pick_one")
            return await self._answer(response, survey, question, picked or None)

    async def text(self, user: User, text: str, event_key: str) -> Step:
        """Read typed text as the answer when the question takes text, else remind it."""
        response = await self._repo.active_response(user.id)
        if response is None:
            return Step(StepStatus.NOT_IN_SURVEY)
        survey = self._surveys.get_for(response)
        question = survey.question(response.position) if survey and response.position else None
        cleaned = clean_text(text)[:MAX_TEXT_ANSWER]
        predicted: list[str] = []
        if isinstance(question, FreeTextQuestion) and question.classify and cleaned:
            # Classify before taking the write lock: the model must not hold up other people.
            predicted = [f for f in await self._classify(cleaned) if f in FACTOR_IDS]
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return Step(StepStatus.DUPLICATE)
            response = await self._repo.active_response(user.id)
            if response is None or survey is None:
                return Step(StepStatus.STALE)
            if question is None or response.position != question.id:
                # Moved on meanwhile, or a question the definition no longer has: show where
                # the person stands now.
                step = await self._step(response, repeat=True)
                return _with_notice(step, "survey.use_buttons")
            if isinstance(question, NumberQuestion):
                value = parse_number(question, cleaned)
                if value is None:
                    step = await self._step(response, repeat=True)
                    return _with_notice(
                        step, "survey.number_expected", min=question.min, max=question.max
                    )
                return await self._answer(response, survey, question, value)
            if isinstance(question, FreeTextQuestion) and cleaned and not question.classify:
                return await self._answer(response, survey, question, [], text=cleaned)
            if isinstance(question, FreeTextQuestion) and cleaned:
                ordered = [f for f in FACTOR_IDS if f in predicted]
                response = await self._repo.move(
                    response.id, position=question.id, draft={"text": cleaned, "picked": ordered}
                )
                return await self._step(response)
            step = await self._step(response, repeat=True)
            return _with_notice(step, "survey.use_buttons")

    async def skip(
        self,
        user: User,
        event_key: str,
        response_id: int | None = None,
        question_index: int | None = None,
    ) -> Step:
        """Skip the optional question on screen (a Skip button names which one it was for)."""
        async with self._db.transaction():
            if response_id is not None and question_index is not None:
                found = await self._claim(user, response_id, question_index, event_key)
                if isinstance(found, Step):
                    return found
                response, survey, question = found
            else:
                if not await self._events.claim(event_key):
                    return Step(StepStatus.DUPLICATE)
                active = await self._repo.active_response(user.id)
                if active is None or await self._closed(active):
                    return Step(StepStatus.NOT_IN_SURVEY)
                response = active
                maybe = self._surveys.get_for(response)
                current = (
                    maybe.question(response.position) if maybe and response.position else None
                )
                if maybe is None or current is None:
                    return Step(StepStatus.STALE)
                survey, question = maybe, current
            if not question.optional:
                step = await self._step(response, repeat=True)
                return _with_notice(step, "survey.cannot_skip")
            return await self._answer(response, survey, question, None)

    async def set_wanted(self, user: User, wanted: bool, event_key: str) -> User | None:
        """Turn survey invitations on or off for a person; None for a replayed tap."""
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return None
            return await self._users.update(user.id, surveys=wanted)

    async def stop(self, user: User, event_key: str) -> Step:
        """Leave the survey in progress; the answers so far are kept."""
        async with self._db.transaction():
            if not await self._events.claim(event_key):
                return Step(StepStatus.DUPLICATE)
            response = await self._repo.active_response(user.id)
            if response is None or await self._closed(response):
                return Step(StepStatus.NOT_IN_SURVEY)
            stopped = await self._repo.move(
                response.id, position=None, draft={}, status=ResponseStatus.STOPPED
            )
            return Step(StepStatus.STOPPED, self._surveys.get_for(stopped), stopped)

    # ---- internals ----------------------------------------------------------------------------

    async def _claim(
        self, user: User, response_id: int, question_index: int, event_key: str
    ) -> tuple[Response, Survey, Any] | Step:
        """Inside a transaction: record the tap once and check it is for the question on screen."""
        if not await self._events.claim(event_key):
            return Step(StepStatus.DUPLICATE)
        response = await self._repo.response(response_id)
        if response is None or response.user_id != user.id:
            return Step(StepStatus.STALE)
        survey = self._surveys.get_for(response)
        if survey is None or response.status is not ResponseStatus.ACTIVE:
            return Step(StepStatus.STALE)
        if await self._closed(response):
            return Step(StepStatus.STALE, notice="survey.closed")
        if not 0 <= question_index < len(survey.questions):
            return Step(StepStatus.STALE)
        question = survey.questions[question_index]
        # A button of an earlier question (or of one not reached yet) does nothing.
        if question.id != response.position:
            return Step(StepStatus.STALE)
        return response, survey, question

    async def _closed(self, response: Response) -> bool:
        wave = await self._repo.wave(response.wave_id)
        return wave is None or wave.closed_at is not None

    async def _answer(
        self,
        response: Response,
        survey: Survey,
        question: Any,
        value: Any,
        text: str | None = None,
    ) -> Step:
        await self._repo.put_answer(response.id, question.id, value, text)
        answers = await self._repo.answers(response.id)
        following = next_question(survey, answers, question.id)
        if following is None:
            finished = await self._repo.move(
                response.id, position=None, draft={}, status=ResponseStatus.COMPLETED
            )
            return Step(StepStatus.FINISHED, survey, finished, answers=answers)
        moved = await self._repo.move(response.id, position=following.id, draft={})
        return Step(StepStatus.ASKED, survey, moved, following, answers)

    async def _step(self, response: Response, *, repeat: bool = False) -> Step:
        survey = self._surveys.get_for(response)
        if survey is None:
            return Step(StepStatus.STALE)
        answers = await self._repo.answers(response.id)
        if response.status is ResponseStatus.COMPLETED or response.position is None:
            return Step(StepStatus.FINISHED, survey, response, answers=answers)
        question = survey.question(response.position)
        if question is None:
            # The definition changed under a running wave: carry on with the first question
            # still unanswered (or finish), never leave the person stuck.
            question = next_question(survey, answers, None)
            if question is None:
                done = await self._repo.move(
                    response.id, position=None, draft={}, status=ResponseStatus.COMPLETED
                )
                return Step(StepStatus.FINISHED, survey, done, answers=answers)
            response = await self._repo.move(response.id, position=question.id, draft={})
        return Step(StepStatus.ASKED, survey, response, question, answers, repeat=repeat)


def _with_notice(step: Step, key: str, **args: Any) -> Step:
    return Step(
        StepStatus.INVALID if step.status is StepStatus.ASKED else step.status,
        step.survey,
        step.response,
        step.question,
        step.answers,
        notice=key,
        notice_args=args,
        repeat=step.repeat,
    )
