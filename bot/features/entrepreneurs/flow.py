"""The candidate's side of the path: their project's questions, its view, leaving it.

A candidate's words are their project's, never a shop difficulty: they are kept for them and,
when they ask for coaching, for their coach.
"""

from __future__ import annotations

import logging
import re

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.candidates import (
    SCHOOL_YEARS,
    STAGES,
    TYPED,
    CandidateService,
    Step,
    TooLong,
)
from bot.features.entrepreneurs.candidates_store import Candidate
from bot.features.entrepreneurs.links import COACH_BUTTON_DATA, PROJECT_BUTTON_DATA
from bot.features.entrepreneurs.render import project_summary
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.paging import page_row
from bot.shared.routes import Buttons, Command, FlowRoutes, Text, TextStage, is_talking, known
from bot.storage import Database, Role, User

logger = logging.getLogger(__name__)

PREFIX = "en"
CORES_PER_PAGE = 8
_UNKNOWN_CORE = "-"
_PAGE = re.compile(r"[0-9]{1,4}")
_EDITABLE = {
    "activity": Step.ACTIVITY,
    "sector": Step.SECTOR,
    "place": Step.TERRITORY,
    "stage": Step.STAGE,
    "year": Step.YEAR,
    "description": Step.DESCRIPTION,
}


class CandidateFlow:
    """Ask a project's questions, show it, and take its free text."""

    def __init__(self, db: Database, candidates: CandidateService, reference: Reference) -> None:
        self._db = db
        self._candidates = candidates
        self._ref = reference

    def routes(self) -> FlowRoutes:
        """Declare /project, the project's buttons and the project's free text."""
        return FlowRoutes(
            "project",
            commands=(Command("project", self.on_command),),
            buttons=(Buttons(PREFIX, self.on_tap),),
            texts=(Text(TextStage.PROJECT, self.takes_text, self.on_typed),),
            after_onboarding=self.after_onboarding,
        )

    # ---- entry points ---------------------------------------------------------------------

    async def on_command(self, user: User | None, _msg: IncomingMessage, _lang: str) -> Outcome:
        """Answer /project: what it changes and its answer go together, once."""
        async with self._db.transaction():
            return await self.on_project(known(user))

    async def on_tap(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take a tap on a project button, in one transaction with its answer."""
        async with self._db.transaction():
            return await self.on_button(user, msg, lang)

    async def on_typed(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take typed text for the project, in one transaction with its answer."""
        async with self._db.transaction():
            return await self.on_text(user, msg, lang)

    async def on_project(self, user: User) -> Outcome:
        """Show the project, or start one."""
        candidate = await self._candidates.get(user.id)
        if candidate is None:
            candidate = await self._candidates.start(user)
            return Outcome(await self._intro(user, candidate))
        if candidate.step != Step.DONE:
            return Outcome((await self._question(user, candidate),))
        return Outcome((await self._view(user, candidate),))

    async def after_onboarding(self, user: User, msg: IncomingMessage) -> tuple[Reply, ...]:
        """Go on to the project for a candidate who just finished onboarding."""
        async with self._db.transaction():
            return await self._after_onboarding(user, msg)

    async def _after_onboarding(self, user: User, _msg: IncomingMessage) -> tuple[Reply, ...]:
        candidate = await self._candidates.get(user.id)
        if candidate is None and user.role is not Role.CANDIDATE:
            return ()
        if candidate is None:
            candidate = await self._candidates.start(user)
        else:
            filled = await self._candidates.fill_from_profile(user)
            candidate = filled or candidate
        return await self._intro(user, candidate)

    async def on_school_link(self, user: User, code: str) -> tuple[Reply, ...]:
        """Put someone who scanned a school's code on the path (at once, or after onboarding)."""
        candidate = await self._candidates.start(user, school_code=code)
        if not user.onboarded:
            return ()
        if candidate.step == Step.DONE:
            return (await self._view(user, candidate),)
        return await self._intro(user, candidate)

    async def _intro(self, user: User, candidate: Candidate) -> tuple[Reply, ...]:
        t = Translator(user.language)
        school = await self._candidates.school_name(candidate.school_code)
        intro = t("project.intro")
        if school is not None:
            intro = t("project.welcome_school", school=school) + "\n\n" + intro
        return (Reply(intro), await self._question(user, candidate))

    # ---- free text ------------------------------------------------------------------------

    async def takes_text(self, user: User, _msg: IncomingMessage) -> bool:
        """Take text at a typed question, and every text of a main-role candidate."""
        if not is_talking(user):
            return False
        if user.role is Role.CANDIDATE:
            return True
        candidate = await self._candidates.get(user.id)
        return candidate is not None and Step(candidate.step) in TYPED

    async def on_text(self, user: User | None, msg: IncomingMessage, _lang: str) -> Outcome:
        """Keep typed text as the answer on screen, or in the project's description."""
        person = known(user)
        t = Translator(person.language)
        candidate = await self._candidates.get(person.id)
        if candidate is None:
            # A main-role candidate who never started: their words open the project.
            candidate = await self._candidates.start(person)
        step = Step(candidate.step)
        try:
            if step is Step.ACTIVITY:
                candidate = await self._candidates.answer_activity(person.id, msg.text)
            elif step is Step.DESCRIPTION:
                candidate = await self._candidates.answer_description(person.id, msg.text)
            elif step is Step.DONE:
                await self._candidates.add_to_description(person.id, msg.text)
                mine = ((Button(t("project.my"), PROJECT_BUTTON_DATA),),)
                return Outcome((Reply(t("project.added"), mine),))
            else:
                return Outcome(
                    (Reply(t("onboarding.use_buttons")), await self._question(person, candidate))
                )
        except TooLong as exc:
            return Outcome((Reply(t("project.too_long", max=exc.limit)),))
        except ValueError:
            return Outcome((await self._question(person, candidate),))
        return Outcome((await self._next(person, candidate),))

    # ---- buttons --------------------------------------------------------------------------

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take a tap on one of the project's buttons."""
        t = Translator(lang)
        parts = msg.button_data.split(":")
        if user is None or not user.onboarded or len(parts) < 2:
            return Outcome(notice=t("button.stale"))
        action, args = parts[1], parts[2:]
        if action == "view" and not args:
            outcome = await self.on_project(user)
            return outcome
        candidate = await self._candidates.get(user.id)
        if candidate is None:
            return Outcome(notice=t("button.stale"))
        value = args[0] if len(args) == 1 else None
        if action == "edit" and value in _EDITABLE:
            step = _EDITABLE[value]
            if step is Step.YEAR and not candidate.pupil:
                return Outcome(notice=t("button.invalid"))
            candidate = await self._candidates.ask(user.id, step)
            return Outcome((await self._question(user, candidate),))
        if action == "leave" and value in (None, "yes"):
            if value is None:
                return Outcome((self._leave_confirm(t),))
            await self._candidates.leave(user.id)
            return Outcome((Reply(t("project.left"), edit=True),))
        if action == "cp" and len(args) == 2:
            return self._core_page_tap(t, candidate, args[0], args[1])
        expected = {
            "sect": Step.SECTOR,
            "terr": Step.TERRITORY,
            "core": Step.CORE,
            "stage": Step.STAGE,
            "year": Step.YEAR,
            "skip": Step.DESCRIPTION,
        }.get(action)
        if expected is None or (value is None and action != "skip"):
            return Outcome(notice=t("button.invalid"))
        if candidate.step != expected:
            return Outcome(notice=t("button.stale"))
        try:
            candidate = await self._answer(user, action, value)
        except ValueError:
            logger.warning("unrecognised project button from %s", msg.event_key)
            return Outcome(notice=t("button.invalid"))
        nxt = await self._next(user, candidate)
        return Outcome((Reply(nxt.text, nxt.buttons, edit=True),))

    async def _answer(self, user: User, action: str, value: str | None) -> Candidate:
        if action == "sect" and value is not None:
            return await self._candidates.answer_sector(user.id, value)
        if action == "terr" and value is not None:
            return await self._candidates.answer_territory(user.id, value)
        if action == "core":
            core = None if value == _UNKNOWN_CORE else value
            return await self._candidates.answer_core(user.id, core)
        if action == "stage" and value is not None:
            return await self._candidates.answer_stage(user.id, value)
        if action == "year" and value is not None:
            return await self._candidates.answer_year(user.id, value)
        return await self._candidates.answer_description(user.id, None)

    def _core_page_tap(
        self, t: Translator, candidate: Candidate, territory_id: str, raw: str
    ) -> Outcome:
        if not _PAGE.fullmatch(raw) or self._ref.territory(territory_id) is None:
            return Outcome(notice=t("button.invalid"))
        if candidate.step != Step.CORE or candidate.territory_id != territory_id:
            return Outcome(notice=t("button.stale"))
        page = self._core_page(t, territory_id, int(raw))
        return Outcome((Reply(page.text, page.buttons, edit=True),))

    # ---- rendering ------------------------------------------------------------------------

    async def _next(self, user: User, candidate: Candidate) -> Reply:
        if candidate.step == Step.DONE:
            t = Translator(user.language)
            view = await self._view(user, candidate)
            return Reply(t("project.saved") + "\n\n" + view.text, view.buttons)
        return await self._question(user, candidate)

    async def _question(self, user: User, candidate: Candidate) -> Reply:
        """Return the question the person stands at."""
        t = Translator(user.language)
        step = Step(candidate.step)
        if step is Step.ACTIVITY:
            return Reply(t("project.q_activity"))
        if step is Step.SECTOR:
            buttons = [
                Button(f"{s.emoji} {s.label(t.lang)}", f"en:sect:{s.id}")
                for s in self._ref.sectors
            ]
            rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
            return Reply(t("project.q_sector"), rows)
        if step is Step.TERRITORY:
            return Reply(
                t("project.q_territory"),
                tuple(
                    (Button(terr.name(t.lang), f"en:terr:{terr.id}"),)
                    for terr in self._ref.territories.values()
                ),
            )
        if step is Step.CORE:
            return self._core_page(t, candidate.territory_id or "", 0)
        if step is Step.STAGE:
            return Reply(
                t("project.q_stage"),
                tuple((Button(t(f"project.stage_{s}"), f"en:stage:{s}"),) for s in STAGES),
            )
        if step is Step.YEAR:
            years = [Button(t(f"project.year_{y}"), f"en:year:{y}") for y in SCHOOL_YEARS]
            return Reply(t("project.q_year"), (tuple(years[:2]), tuple(years[2:])))
        if step is Step.DESCRIPTION:
            return Reply(t("project.q_description"), ((Button(t("project.skip"), "en:skip"),),))
        return await self._view(user, candidate)

    def _core_page(self, t: Translator, territory_id: str, page: int) -> Reply:
        cores, pages = self._ref.cores_page(territory_id, page, CORES_PER_PAGE, t.lang)
        page = max(0, min(page, pages - 1))
        rows: list[tuple[Button, ...]] = [
            (Button(c.name(t.lang), f"en:core:{c.id}"),) for c in cores
        ]
        rows += page_row(t, page, pages, lambda n: f"en:cp:{territory_id}:{n}")
        rows.append((Button(t("project.core_unknown"), f"en:core:{_UNKNOWN_CORE}"),))
        return Reply(t("project.q_core", page=page + 1, pages=max(pages, 1)), tuple(rows))

    async def _view(self, user: User, candidate: Candidate) -> Reply:
        t = Translator(user.language)
        return Reply(
            t(
                "project.view",
                summary=await project_summary(t, self._ref, self._candidates, candidate),
            ),
            (
                (Button(t("project.ask_coaching"), COACH_BUTTON_DATA),),
                (
                    Button(t("project.edit_activity"), "en:edit:activity"),
                    Button(t("project.edit_sector"), "en:edit:sector"),
                ),
                (
                    Button(t("project.edit_place"), "en:edit:place"),
                    Button(t("project.edit_stage"), "en:edit:stage"),
                ),
                (Button(t("project.edit_description"), "en:edit:description"),),
                (Button(t("project.leave"), "en:leave"),),
            ),
        )

    @staticmethod
    def _leave_confirm(t: Translator) -> Reply:
        return Reply(
            t("project.leave_confirm"),
            (
                (
                    Button(t("project.leave_yes"), "en:leave:yes"),
                    Button(t("button.no"), PROJECT_BUTTON_DATA),
                ),
            ),
        )
