"""/popup for candidates: see the pop-up store, apply for a space, answer the survey after it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.candidates import CandidateService
from bot.features.entrepreneurs.links import COACH_BUTTON_DATA, PROJECT_BUTTON_DATA
from bot.features.popup.render import APPLY_DATA, PREFIX, PopupRenderer
from bot.features.popup.service import OpenPeriod, PopupError, PopupService
from bot.features.popup.store import Application, Period, Survey
from bot.i18n import Translator
from bot.reference import Reference
from bot.shared.access import Admins
from bot.shared.routes import Access, Buttons, Command, FlowRoutes, Text, TextStage, is_talking
from bot.storage import Database, User

# Start an application for a period from another flow (the opportunities' view).
VIEW_DATA = "pu:view"
_BUTTON = re.compile(
    r"^pu:(view|apply|k|s|sc|go|x|wd|an|sv|sk)(?::([0-9]{1,12}))?(?::([a-z0-9_]{1,40}))?$"
)
LISTED = 5

# The admins' /popup (their own flow answers it; this flow only hands it over).
AdminPopup = Callable[[User | None, IncomingMessage, str], Awaitable[Outcome]]
# The admins' typed reason for a decline (their flow takes it).
AdminReason = Callable[[User, IncomingMessage, str], Awaitable[Outcome]]


def admin_ref(admins: Admins, msg: IncomingMessage) -> bool:
    """Return whether the sender is a configured admin (without recording anything)."""
    channel = "telegram" if msg.channel == "console" else msg.channel
    return f"{channel}:{msg.user_ref}" in admins.refs


class PopupFlow:
    """The candidates' side of the pop-up store."""

    def __init__(
        self,
        db: Database,
        popup: PopupService,
        render: PopupRenderer,
        candidates: CandidateService,
        reference: Reference,
        admins: Admins,
        admin_popup: AdminPopup,
        admin_reason: AdminReason,
    ) -> None:
        self._db = db
        self._popup = popup
        self._render = render
        self._candidates = candidates
        self._ref = reference
        self._admins = admins
        self._admin_popup = admin_popup
        self._admin_reason = admin_reason

    def routes(self) -> FlowRoutes:
        """Declare /popup, the candidates' buttons and the typed answers."""
        return FlowRoutes(
            "popup",
            # Anyone: an admin's /popup (audited) need not be onboarded; others must be.
            commands=(Command("popup", self.on_popup, Access.ANYONE),),
            buttons=(Buttons(PREFIX, self.on_button),),
            texts=(Text(TextStage.POPUP, self.takes_text, self.on_text),),
        )

    # ---- /popup -----------------------------------------------------------------------------

    async def on_popup(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Hand an admin's /popup to the admins' flow (audited); show a candidate theirs."""
        if admin_ref(self._admins, msg) and await self._admins.allow(msg):
            return await self._admin_popup(user, msg, lang)
        t = Translator(lang)
        if user is None or not user.onboarded:
            return Outcome((Reply(t("popup.onboard_first")),))
        return Outcome((await self._view(user, t),))

    async def _view(self, user: User, t: Translator) -> Reply:
        candidate = await self._candidates.get(user.id)
        if candidate is None:
            return Reply(t("popup.no_project"), ((Button(t("project.my"), PROJECT_BUTTON_DATA),),))
        territory = candidate.territory_id or user.territory_id or ""
        periods = await self._popup.next_periods(territory, self._popup.today())
        lines: list[str] = []
        shown: set[int] = set()
        for open_period in periods:
            if open_period.popup_id not in shown:
                shown.add(open_period.popup_id)
                popup = await self._popup.repo.popup(open_period.popup_id)
                assert popup is not None
                lines.append("\n" + self._render.details(t, popup))
            lines.append(self._period_line(t, open_period))
        text = t("popup.intro") + ("\n".join(lines) if lines else "\n\n" + t("popup.none"))
        rows: list[tuple[Button, ...]] = []
        if periods:
            rows.append((Button(t("popup.apply"), f"{PREFIX}:apply"),))
        mine = (await self._popup.repo.sent_of(user.id))[:LISTED]
        if mine:
            text += "\n\n" + t("popup.mine")
        for application in mine:
            period = await self._popup.repo.period(application.period_id)
            if period is None:
                continue
            text += "\n" + t(
                "popup.mine_line",
                dates=self._render.dates(period, t.lang),
                status=self._render.status(t, application),
            )
            if application.status in ("pending", "accepted", "waitlisted"):
                label = t("popup.withdraw", dates=self._render.short(period))
                rows.append((Button(label, f"{PREFIX}:wd:{application.id}"),))
        return Reply(text, tuple(rows))

    def _period_line(self, t: Translator, open_period: OpenPeriod) -> str:
        period = Period(
            open_period.period_id,
            open_period.popup_id,
            open_period.starts_on.isoformat(),
            open_period.ends_on.isoformat(),
        )
        key = "popup.period_line" if open_period.spaces_left else "popup.period_full"
        return t(key, dates=self._render.dates(period, t.lang), n=open_period.spaces_left)

    # ---- buttons ----------------------------------------------------------------------------

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take a tap: apply, answer, send, cancel, withdraw, consent, or the survey."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        action, number, value = match[1], match[2], match[3]
        if action == "view":
            return Outcome((await self._view(user, t),))
        if action == "apply" and number is None:
            return Outcome((await self._periods(user, t),))
        if number is None:
            return Outcome(notice=t("button.invalid"))
        app_id = int(number)
        try:
            async with self._db.transaction():
                return await self._tap(user, t, action, app_id, value)
        except PopupError as exc:
            return Outcome(notice=t(exc.key, **exc.params))

    async def _tap(
        self, user: User, t: Translator, action: str, number: int, value: str | None
    ) -> Outcome:
        if action == "apply":
            candidate = await self._candidates.get(user.id)
            if candidate is None:
                return Outcome((await self._view(user, t),))
            draft = await self._popup.start(user, candidate, number)
            return Outcome((await self._question(t, draft),))
        if action == "k":
            draft = await self._popup.keep_activity(user, number)
            return Outcome((await self._question(t, draft),))
        if action == "s" and value is not None:
            draft = await self._popup.answer_sector(user, number, value)
            return Outcome((await self._question(t, draft),))
        if action == "sc":
            draft = await self._popup.mine(user, number, "draft")
            return Outcome((self._sector_picker(t, draft),))
        if action == "go":
            await self._popup.send(user, number)
            return Outcome((Reply(t("popup.sent"), edit=True),))
        if action == "x":
            await self._popup.cancel(user, number)
            return Outcome((Reply(t("popup.cancelled"), edit=True),))
        if action == "wd":
            await self._popup.withdraw(user, number)
            return Outcome((Reply(t("popup.withdrawn")), await self._view(user, t)))
        if action == "an" and value in ("y", "n"):
            await self._popup.announce_consent(user, number, value == "y")
            key = "popup.announce_kept_yes" if value == "y" else "popup.announce_kept_no"
            return Outcome((Reply(t(key)),))
        if action == "sv" and value is not None:
            survey = await self._popup.settle(user, number, value)
            return Outcome((self._survey_question(t, survey),))
        if action == "sk":
            survey = await self._popup.survey_text(user, number, None)
            return Outcome((self._survey_question(t, survey),))
        return Outcome(notice=t("button.invalid"))

    async def _periods(self, user: User, t: Translator) -> Reply:
        candidate = await self._candidates.get(user.id)
        if candidate is None:
            return await self._view(user, t)
        territory = candidate.territory_id or user.territory_id or ""
        periods = await self._popup.next_periods(territory, self._popup.today())
        if not periods:
            return Reply(t("popup.none"))
        rows = []
        for p in periods:
            short = f"{p.starts_on:%d/%m}–{p.ends_on:%d/%m}"
            label = t("popup.period_button", dates=short, n=p.spaces_left)
            rows.append((Button(label, APPLY_DATA.format(period_id=p.period_id)),))
        return Reply(t("popup.pick_period"), tuple(rows))

    # ---- the application's questions --------------------------------------------------------

    def _cancel(self, t: Translator, draft: Application) -> Button:
        return Button(t("popup.cancel"), f"{PREFIX}:x:{draft.id}")

    async def _question(self, t: Translator, draft: Application) -> Reply:
        """Return the question the draft stands at."""
        cancel = self._cancel(t, draft)
        if draft.step == "activity":
            if draft.activity:
                keep = Button(t("popup.keep"), f"{PREFIX}:k:{draft.id}")
                text = t("popup.q_activity_known", activity=draft.activity)
                return Reply(text, ((keep, cancel),))
            return Reply(t("popup.q_activity"), ((cancel,),))
        if draft.step == "sector":
            change = Button(t("popup.change"), f"{PREFIX}:sc:{draft.id}")
            if draft.sector_id:
                keep = Button(t("popup.keep"), f"{PREFIX}:s:{draft.id}:{draft.sector_id}")
                sector = self._render.sector(draft.sector_id, t.lang)
                return Reply(t("popup.q_sector_known", sector=sector), ((keep, change, cancel),))
            return self._sector_picker(t, draft)
        if draft.step == "to_test":
            return Reply(t("popup.q_to_test"), ((cancel,),))
        if draft.step == "needs":
            return Reply(t("popup.q_needs"), ((cancel,),))
        period = await self._popup.repo.period(draft.period_id)
        popup = None if period is None else await self._popup.repo.popup(period.popup_id)
        details = "" if popup is None else self._render.details(t, popup, period)
        text = t("popup.summary", details=details, answers=self._render.summary(t, draft))
        send = Button(t("popup.send"), f"{PREFIX}:go:{draft.id}")
        return Reply(text, ((send, cancel),))

    def _sector_picker(self, t: Translator, draft: Application) -> Reply:
        buttons = [
            Button(f"{s.emoji} {s.label(t.lang)}"[:20], f"{PREFIX}:s:{draft.id}:{s.id}")
            for s in self._ref.sectors
        ]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Reply(t("popup.q_sector"), rows)

    def _survey_question(self, t: Translator, survey: Survey) -> Reply:
        skip = Button(t("popup.skip"), f"{PREFIX}:sk:{survey.application_id}")
        if survey.step == "learned":
            return Reply(t("popup.q_learned"), ((skip,),))
        if survey.step == "cell":
            return Reply(t("popup.q_cell"), ((skip,),))
        return Reply(
            t("popup.survey_thanks"),
            ((Button(t("project.ask_coaching"), COACH_BUTTON_DATA),),),
        )

    # ---- typed words ------------------------------------------------------------------------

    async def takes_text(self, user: User, msg: IncomingMessage) -> bool:
        """Take an admin's reason, or a candidate's answer to the question on screen."""
        if admin_ref(self._admins, msg) and await self._popup.reason_for(user.id) is not None:
            return True
        if not is_talking(user):
            return False
        if await self._popup.typing(user.id) is not None:
            return True
        return await self._popup.survey_typing(user.id) is not None

    async def on_text(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Keep the typed answer, then ask the next question."""
        if user is None:
            return Outcome(())
        if admin_ref(self._admins, msg) and await self._popup.reason_for(user.id) is not None:
            return await self._admin_reason(user, msg, lang)
        t = Translator(lang)
        try:
            async with self._db.transaction():
                draft = await self._popup.typing(user.id)
                if draft is not None:
                    draft = await self._popup.answer_text(user, draft.id, msg.text)
                    return Outcome((await self._question(t, draft),))
                survey = await self._popup.survey_typing(user.id)
                if survey is None:
                    return Outcome((Reply(t("button.stale")),))
                survey = await self._popup.survey_text(user, survey.application_id, msg.text)
                return Outcome((self._survey_question(t, survey),))
        except PopupError as exc:
            return Outcome((Reply(t(exc.key, **exc.params)),))
