"""Render survey questions as messages with buttons, and route taps and typed answers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.base import Button, IncomingMessage, Outcome, Reply, TemplateUse
from bot.features.surveys.definitions import (
    ChoiceQuestion,
    FactorChoiceQuestion,
    FreeTextQuestion,
    MultipleChoiceQuestion,
    NumberQuestion,
    ScaleQuestion,
    Survey,
    YesNoQuestion,
)
from bot.features.surveys.render import answer_label, results_text
from bot.features.surveys.results import ScopeResult, WaveResults
from bot.features.surveys.service import (
    Step,
    StepStatus,
    SurveyService,
    is_visible,
    multi_max,
    takes_several,
)
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.routes import Buttons, Command, FlowRoutes, Text, TextStage, is_talking
from bot.shared.routes import known as _known
from bot.storage import User
from nlp.taxonomy import FACTOR_IDS, Taxonomy

PREFIX = "sv"
_ID = r"([0-9]{1,12})"
_BUTTON = re.compile(
    rf"^sv:(?:(c|t):{_ID}:([0-9]{{1,2}}):([0-9]{{1,2}})|(d|k):{_ID}:([0-9]{{1,2}})|go:{_ID}|(off)"
    rf"|res:{_ID})$"
)
# A closed wave's results, for someone it invited (None when there are none to show).
ResultsOf = Callable[[int, int], Awaitable[WaveResults | None]]


# Buttons another feature adds under a finished survey's closing words: (wave id, language).
ClosingButtons = Callable[[int, str], Awaitable[tuple[tuple[Button, ...], ...]]]


class SurveyFlow:
    """Show one question at a time; every state change goes through SurveyService."""

    def __init__(
        self,
        surveys: SurveyService,
        taxonomy: Taxonomy,
        results_of: ResultsOf | None = None,
        reference: Reference | None = None,
        anonymity_k: int = 5,
        closing_buttons: ClosingButtons | None = None,
    ) -> None:
        self._closing_buttons = closing_buttons
        self._surveys = surveys
        self._tax = taxonomy
        self._results_of = results_of
        self._reference = reference
        self._k = anonymity_k

    def routes(self) -> FlowRoutes:
        """Declare survey answers (typed before concerns), buttons, /skip and /stop_survey."""
        return FlowRoutes(
            "surveys",
            commands=tuple(
                Command(name, lambda user, msg, _lang: self.on_command(_known(user), msg))
                for name in ("skip", "stop_survey")
            ),
            buttons=(Buttons(PREFIX, lambda user, msg, _lang: self.on_button(user, msg)),),
            texts=(
                Text(
                    TextStage.SURVEY,
                    self._typing_in_survey,
                    lambda user, msg, _lang: self.on_text(_known(user), msg),
                ),
            ),
        )

    async def _typing_in_survey(self, user: User, _msg: IncomingMessage) -> bool:
        return is_talking(user) and await self.in_survey(user)

    async def in_survey(self, user: User) -> bool:
        """Return whether the person has a survey in progress."""
        return await self._surveys.active(user) is not None

    async def on_text(self, user: User, msg: IncomingMessage) -> Outcome:
        """Take typed text as the answer, or remind the question on screen."""
        step = await self._surveys.text(user, msg.text, msg.event_key)
        return await self._shown(user, step, edit=False)

    async def on_command(self, user: User, msg: IncomingMessage) -> Outcome:
        """Handle /skip and /stop_survey."""
        t = Translator(user.language)
        if msg.command.lower() == "skip":
            step = await self._surveys.skip(user, msg.event_key)
        else:
            step = await self._surveys.stop(user, msg.event_key)
        if step.status is StepStatus.NOT_IN_SURVEY:
            return Outcome((Reply(t("survey.not_in_survey")),))
        return await self._shown(user, step, edit=False)

    async def on_button(self, user: User | None, msg: IncomingMessage) -> Outcome:
        """Handle a tap on a survey button."""
        t = Translator(user.language if user else "fr")
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        key = msg.event_key
        if match[1] == "c":
            step = await self._surveys.choose(
                user, int(match[2]), int(match[3]), int(match[4]), key
            )
        elif match[1] == "t":
            step = await self._surveys.toggle(
                user, int(match[2]), int(match[3]), int(match[4]), key
            )
            return self._render(user, step, edit=True, same_question=True)
        elif match[5] == "d":
            step = await self._surveys.done(user, int(match[6]), int(match[7]), key)
        elif match[5] == "k":
            step = await self._surveys.skip(user, key, int(match[6]), int(match[7]))
        elif match[8] is not None:
            step = await self._surveys.begin(user, int(match[8]), key)
            return await self._shown(user, step, edit=False)
        elif match[10] is not None:
            return await self._show_results(user, int(match[10]))
        else:
            changed = await self._surveys.set_wanted(user, False, key)
            if changed is None:
                return Outcome(duplicate=True)
            return Outcome((Reply(t("survey.turned_off")),))
        return await self._shown(user, step, edit=True)

    # ---- rendering ----------------------------------------------------------------------------

    async def _shown(self, user: User, step: Step, *, edit: bool) -> Outcome:
        """Render a step; a finished survey's closing gets what another feature adds to it."""
        outcome = self._render(user, step, edit=edit)
        if (
            step.status is not StepStatus.FINISHED
            or self._closing_buttons is None
            or step.response is None
            or not outcome.replies
        ):
            return outcome
        rows = await self._closing_buttons(step.response.wave_id, user.language)
        if not rows:
            return outcome
        closing = outcome.replies[-1]
        with_rows = Reply(closing.text, closing.buttons + rows, edit=closing.edit)
        return Outcome((*outcome.replies[:-1], with_rows), notice=outcome.notice)

    def _render(
        self, user: User, step: Step, *, edit: bool, same_question: bool = False
    ) -> Outcome:
        t = Translator(user.language)
        if step.status is StepStatus.DUPLICATE:
            return Outcome(duplicate=True)
        if step.status in (StepStatus.STALE, StepStatus.NOT_IN_SURVEY):
            return Outcome(notice=t(step.notice or "button.stale"))
        notice = t(step.notice, **step.notice_args) if step.notice else None
        survey = step.survey
        assert survey is not None
        if step.status is StepStatus.STOPPED:
            return Outcome((Reply(t("survey.stopped", title=survey.title.get(t.lang))),))
        if step.status is StepStatus.FINISHED:
            closing = Reply(survey.closing.get(t.lang))
            if step.notice:
                return Outcome((closing,), notice=notice)
            return Outcome((Reply(closing.text, edit=edit),), notice=notice)
        question = self.question_reply(t, step)
        if step.status is StepStatus.INVALID:
            # Refused: say why, leave the question as it is (and show it again if typed).
            if edit:
                return Outcome(notice=notice)
            return Outcome((Reply(notice or ""), question))
        if same_question:
            return Outcome((Reply(question.text, question.buttons, edit=True),), notice=notice)
        if step.repeat:
            return Outcome((question,), notice=notice)
        # After a tap, the next question takes the answered one's place (one Bot API call, and
        # the old buttons are gone, so they cannot be tapped by mistake).
        return Outcome((Reply(question.text, question.buttons, edit=edit),), notice=notice)

    def question_reply(self, t: Translator, step: Step) -> Reply:
        """Build the message asking the question on screen, with its buttons."""
        survey, question, response = step.survey, step.question, step.response
        assert survey is not None and question is not None and response is not None
        index = [q.id for q in survey.questions].index(question.id)
        number, total = _progress(survey, step.answers, question.id)
        lines = [
            t("survey.progress", title=survey.title.get(t.lang), n=number, total=total),
            "",
            question.text.get(t.lang),
        ]
        rows: list[tuple[Button, ...]] = []
        base = f"{PREFIX}:{{kind}}:{response.id}:{index}"
        if isinstance(question, ChoiceQuestion):
            rows += [
                (Button(o.label.get(t.lang), f"{base.format(kind='c')}:{i}"),)
                for i, o in enumerate(question.options)
            ]
        elif isinstance(question, YesNoQuestion):
            rows.append(
                (
                    Button(t("survey.yes"), f"{base.format(kind='c')}:0"),
                    Button(t("survey.no"), f"{base.format(kind='c')}:1"),
                )
            )
        elif isinstance(question, ScaleQuestion):
            lines.append(
                t(
                    "survey.scale_hint",
                    min=question.min,
                    low=question.labels.low.get(t.lang),
                    max=question.max,
                    high=question.labels.high.get(t.lang),
                )
            )
            values = range(question.min, question.max + 1)
            rows.append(
                tuple(Button(str(v), f"{base.format(kind='c')}:{i}") for i, v in enumerate(values))
            )
        elif isinstance(question, NumberQuestion):
            lines.append(t("survey.type_number", min=question.min, max=question.max))
        elif isinstance(question, FreeTextQuestion) and "text" not in step.draft:
            lines.append(t("survey.write_text"))
        elif isinstance(question, FreeTextQuestion):
            picked = tuple(step.draft.get("picked", []))
            titles = " · ".join(self._tax.get(f).title(t.lang) for f in FACTOR_IDS if f in picked)
            lines += ["", t("survey.understood_text", factors=titles or t("history.no_factor"))]
        if takes_several(question) and not (
            isinstance(question, FreeTextQuestion) and "text" not in step.draft
        ):
            rows += self._toggles(t, question, step, base)
        if question.optional:
            rows.append((Button(t("survey.skip"), f"{PREFIX}:k:{response.id}:{index}"),))
        return Reply("\n".join(lines), tuple(rows))

    def _toggles(
        self, t: Translator, question: Any, step: Step, base: str
    ) -> list[tuple[Button, ...]]:
        picked = set(step.draft.get("picked", []))
        rows: list[tuple[Button, ...]] = []
        if isinstance(question, MultipleChoiceQuestion):
            items = [(o.id, o.label.get(t.lang)) for o in question.options]
        else:
            items = [(f, self._tax.get(f).title(t.lang)) for f in FACTOR_IDS]
        for i, (value, label) in enumerate(items):
            mark = "✅ " if value in picked else "▫️ "
            rows.append((Button(mark + label, f"{base.format(kind='t')}:{i}"),))
        done = t("survey.done")
        if isinstance(question, FactorChoiceQuestion | MultipleChoiceQuestion):
            done = t("survey.done_up_to", n=multi_max(question))
        if isinstance(question, FreeTextQuestion):
            done = t("survey.text_done")
        rows.append((Button(done, base.format(kind="d")),))
        return rows

    def results_for(self, user: User, results: WaveResults, reference: Reference, k: int) -> Reply:
        """Build a respondent's results message: their core and their territory."""
        t = Translator(user.language)
        core = reference.core(user.core_id) if user.core_id else None
        territory = reference.territory(user.territory_id) if user.territory_id else None
        mine, around = results.for_person(user.core_id, user.territory_id)
        places: list[tuple[str, ScopeResult | None]] = []
        if core is not None:
            places.append((core.name(t.lang), mine))
        if territory is not None:
            places.append((territory.name(t.lang), around))

        def label(question: Any, value: str) -> str:
            return self.item_label(t, question, value)

        return Reply(
            results_text(t, results, places, label, k),
            # Outside WhatsApp's service window: a short template whose one button shows them.
            template=TemplateUse(
                "survey_results",
                (results.survey.title.get(t.lang),),
                payloads=(f"{PREFIX}:res:{results.wave.id}",),
            ),
        )

    async def _show_results(self, user: User, wave_id: int) -> Outcome:
        """Show a closed wave's results to someone who taps "see the results" in its template."""
        results = None
        if self._results_of is not None and self._reference is not None:
            results = await self._results_of(user.id, wave_id)
        if results is None or self._reference is None:
            return Outcome(notice=Translator(user.language)("button.stale"))
        return Outcome((self.results_for(user, results, self._reference, self._k),))

    def item_label(self, t: Translator, question: Any, value: str) -> str:
        """Say one possible answer of a question in words."""
        return answer_label(t, self._tax, question, value)

    def invitation(self, t: Translator, survey: Survey, wave_id: int, *, reminder: bool) -> Reply:
        """Build the invitation (or its one reminder) to a wave's survey."""
        key = "survey.reminder" if reminder else "survey.invitation"
        text = t(
            key,
            title=survey.title.get(t.lang),
            intro=survey.intro.get(t.lang),
            minutes=f"{survey.minutes:g}",
        )
        return Reply(
            text,
            (
                (Button(t("survey.start"), f"{PREFIX}:go:{wave_id}"),),
                (Button(t("survey.turn_off"), f"{PREFIX}:off"),),
            ),
            # Outside WhatsApp's service window: its template, with the same two buttons.
            template=TemplateUse(
                "survey_invitation", (survey.title.get(t.lang), f"{survey.minutes:g}")
            ),
        )


def _progress(survey: Survey, answers: dict[str, Any], current: str) -> tuple[int, int]:
    """Return (number of the question on screen, questions the person will likely see)."""
    likely = [
        q.id
        for q in survey.questions
        if q.id in answers
        or q.id == current
        or q.show_if is None
        or q.show_if.question not in answers
        or is_visible(q, answers)
    ]
    return likely.index(current) + 1, len(likely)
