"""Let admins launch survey waves with buttons (/survey) and read results (/survey_results)."""

from __future__ import annotations

import logging
import re
import secrets

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.surveys.definitions import Surveys, answer_values
from bot.features.surveys.flow import SurveyFlow
from bot.features.surveys.render import results_text
from bot.features.surveys.results import ScopeResult, SurveyResults
from bot.features.surveys.store import SurveyRepository
from bot.features.surveys.waves import WaveService
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.charts import BarChart, BarRow, Panel, draw
from bot.shared.routes import FlowRoutes, admin_routes
from bot.storage import Database

logger = logging.getLogger(__name__)

PREFIX = "sa"
ALL = "*"
_BUTTON = re.compile(
    r"^sa:(p|t|l):([a-z][a-z0-9_]{0,39})(?::([a-z_]{1,40}|\*))?(?::([a-z0-9]{12}))?$"
)


class SurveyAdminFlow:
    """Admin-only survey commands; anyone else is told the command does not exist."""

    def __init__(
        self,
        db: Database,
        surveys: Surveys,
        waves: WaveService,
        results: SurveyResults,
        flow: SurveyFlow,
        reference: Reference,
        anonymity_k: int,
        send_window_minutes: int,
    ) -> None:
        self._repo = SurveyRepository(db)
        self._surveys = surveys
        self._waves = waves
        self._results = results
        self._flow = flow
        self._ref = reference
        self._k = anonymity_k
        self._window = send_window_minutes

    def routes(self) -> FlowRoutes:
        """Declare the admins' /survey and /survey_results and their buttons."""
        return admin_routes(
            "survey_admin", ("survey", "survey_results"), PREFIX, self.on_command, self.on_button
        )

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Handle /survey and /survey_results for admins."""
        t = Translator(lang)
        if msg.command.lower() == "survey":
            rows = tuple(
                (Button(f"📋 {s.title.get(lang)}", f"{PREFIX}:p:{s.id}"),) for s in self._surveys
            )
            return Outcome((Reply(t("admin.survey_pick"), rows),))
        return await self._results_outcome(t, msg.args.strip())

    async def on_button(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Pick a survey, then a territory, then confirm the launch."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        survey = self._surveys.get(match[2]) if match else None
        if match is None or survey is None:
            return Outcome(notice=t("button.invalid"))
        title = survey.title.get(lang)
        if match[1] == "p":
            options = [(ALL, t("admin.everywhere"))] + [
                (tid, territory.name(lang)) for tid, territory in self._ref.territories.items()
            ]
            rows = tuple((Button(name, f"{PREFIX}:t:{survey.id}:{tid}"),) for tid, name in options)
            return Outcome((Reply(t("admin.survey_where", title=title), rows, edit=True),))
        territory = None if match[3] in (None, ALL) else match[3]
        known = self._ref.territory(territory) if territory else None
        if territory is not None and known is None:
            return Outcome(notice=t("button.invalid"))
        place = known.name(lang) if known else t("admin.everywhere")
        if match[1] == "t":
            count = await self._waves.count_audience(survey.id, territory_id=territory)
            # The nonce makes this button launch once, however often (and fast) it is tapped.
            nonce = secrets.token_hex(6)
            confirm = (
                (
                    Button(t("admin.launch"), f"{PREFIX}:l:{survey.id}:{match[3] or ALL}:{nonce}"),
                    Button(t("button.back"), f"{PREFIX}:p:{survey.id}"),
                ),
            )
            text = t("admin.survey_confirm", title=title, place=place, n=count)
            return Outcome((Reply(text, confirm, edit=True),))
        if match[4] is None:
            return Outcome(notice=t("button.invalid"))
        launch = await self._waves.launch_once(
            survey.id,
            created_by=f"{msg.channel}:{msg.user_ref}",
            territory_id=territory,
            event_key=f"survey-launch:{match[4]}",
        )
        if launch is None:
            return Outcome(duplicate=True)
        logger.info("admin launched wave %d of %s", launch.wave.id, survey.id)
        text = t(
            "admin.survey_launched",
            title=title,
            place=place,
            n=launch.invited,
            minutes=self._window,
            wave=launch.wave.id,
        )
        return Outcome((Reply(text, edit=True),))

    async def _results_outcome(self, t: Translator, survey_id: str) -> Outcome:
        survey = self._surveys.get(survey_id)
        if survey is None:
            known = ", ".join(s.id for s in self._surveys)
            return Outcome((Reply(t("admin.results_usage", known=known)),))
        # Only a closed wave: live counts, read before and after one answer, would tell it.
        wave = await self._repo.latest_closed_wave(survey.id)
        if wave is None:
            return Outcome((Reply(t("admin.results_none", title=survey.title.get(t.lang))),))
        results = await self._results.of_wave(wave, survey)
        overall, territories = results.for_admin()
        places: list[tuple[str, ScopeResult | None]] = [(t("admin.everywhere"), overall)]
        for tid, territory in self._ref.territories.items():
            places.append((territory.name(t.lang), territories.get(tid)))

        def label(question: object, value: str) -> str:
            return self._flow.item_label(t, question, value)

        text = results_text(t, results, places, label, self._k)
        chart = self._chart(t, survey.id, places)
        replies = [Reply(text)]
        if chart is not None:
            png = await draw(chart)
            replies.insert(0, Reply(survey.title.get(t.lang), image=png))
        return Outcome(tuple(replies))

    def _chart(
        self, t: Translator, survey_id: str, places: list[tuple[str, ScopeResult | None]]
    ) -> BarChart | None:
        """Chart the first question with answers to count, one panel per place."""
        survey = self._surveys.get(survey_id)
        assert survey is not None
        question = next((q for q in survey.questions if answer_values(q)), None)
        if question is None:
            return None
        panels = []
        for name, scope in places:
            result = scope.questions.get(question.id) if scope and scope.respondents else None
            counts = {c.value: c.count for c in result.cells} if result else {}
            rows = tuple(
                BarRow(self._flow.item_label(t, question, v), counts.get(v), None)
                for v in answer_values(question)
            )
            panels.append(Panel(name, rows))
        return BarChart(
            title=question.text.get(t.lang).split("\n")[0][:80],
            panels=tuple(panels),
            current_label=t("admin.answers"),
            previous_label="",
            suppressed_label=t("barometer.chart_suppressed", k=self._k),
        )
