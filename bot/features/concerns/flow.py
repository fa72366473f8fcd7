"""Talk a concern through: "I understood X, right?", factor toggles, then the echo and help."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.concerns.echo import Echo, excerpt
from bot.features.concerns.service import ConcernService, IntakeStatus
from bot.features.concerns.store import Concern, ConcernSource, ConcernStatus
from bot.i18n import Translator
from bot.shared.routes import Buttons, Command, FlowRoutes, Text, TextStage, is_talking
from bot.shared.routes import known as _known
from bot.storage import Step, User
from nlp.asking import Question
from nlp.taxonomy import FACTOR_IDS, Taxonomy

logger = logging.getLogger(__name__)

PREFIX = "cc"
_BUTTON = re.compile(r"^cc:(y|c|n|d|x|a):([0-9]{1,12})$|^cc:t:([0-9]{1,12}):([0-9]{1,2})$")


# Typed text at these steps is not an answer to the question on screen; at the core steps it
# is a search. Three words or fewer are most likely an answer typed instead of tapped.
_HOLDING_STEPS = frozenset({Step.ROLE, Step.TERRITORY, Step.SECTOR})
HOLD_MIN_WORDS = 4


async def _onboarded_now(user: User, _msg: IncomingMessage) -> bool:
    return is_talking(user)


async def _held_now(user: User, msg: IncomingMessage) -> bool:
    return (
        not user.onboarded
        and user.step in _HOLDING_STEPS
        and len(msg.text.split()) >= HOLD_MIN_WORDS
    )


class ConcernFlow:
    """Render the concern conversation; all state changes go through ConcernService."""

    def __init__(
        self,
        concerns: ConcernService,
        taxonomy: Taxonomy,
        echo: Echo,
        prompt_for: Callable[[User], Reply],
    ) -> None:
        self._concerns = concerns
        self._tax = taxonomy
        self._echo = echo
        # Onboarding's question on screen, asked again after a message kept during it.
        self._prompt_for = prompt_for

    def routes(self) -> FlowRoutes:
        """Declare concerns: free text of onboarded people, texts kept during onboarding,
        the concern buttons and /history."""
        return FlowRoutes(
            "concerns",
            commands=(
                Command("history", lambda user, _msg, _lang: self.on_history(_known(user))),
            ),
            buttons=(Buttons(PREFIX, lambda user, msg, _lang: self.on_button(user, msg)),),
            texts=(
                Text(
                    TextStage.CONCERN,
                    _onboarded_now,
                    lambda user, msg, _lang: self.on_text(_known(user), msg),
                ),
                Text(
                    TextStage.HELD,
                    _held_now,
                    lambda user, msg, _lang: self.on_held_text(
                        _known(user), msg, self._prompt_for(_known(user))
                    ),
                ),
            ),
            still_meaningful=(("concern", self._still_pending),),
            after_onboarding=self.file_held,
        )

    async def _still_pending(self, key: str) -> bool:
        """Return whether the concern a question asks about still waits for an answer."""
        concern = await self._concerns.get(int(key.split(":", 1)[1]))
        return concern is not None and concern.status is ConcernStatus.PENDING

    async def on_text(self, user: User, msg: IncomingMessage) -> Outcome:
        """Take a free-text message in as a concern and ask the person to confirm it."""
        t = Translator(user.language)
        intake = await self._concerns.intake(user, msg.text, msg.event_key)
        if intake.status is IntakeStatus.DUPLICATE_EVENT:
            return Outcome(duplicate=True)
        if intake.status is IntakeStatus.EMPTY:
            return Outcome((Reply(t("concern.empty")),))
        if intake.status is IntakeStatus.FLOODED:
            return Outcome((Reply(t("concern.flooded")),))
        concern = intake.concern
        assert concern is not None
        if intake.status is IntakeStatus.SAME_TEXT and concern.status is not ConcernStatus.PENDING:
            return Outcome((Reply(t("concern.already")),))
        return Outcome((self._question(t, concern),))

    async def on_held_text(self, user: User, msg: IncomingMessage, prompt: Reply) -> Outcome:
        """Keep a message written before onboarding was finished, and ask to finish it."""
        t = Translator(user.language)
        held = await self._concerns.hold(user, msg.text, msg.event_key)
        if held.status is IntakeStatus.DUPLICATE_EVENT:
            return Outcome(duplicate=True)
        key = "concern.held" if held.status is IntakeStatus.HELD else "onboarding.use_buttons"
        return Outcome((Reply(t(key)), prompt))

    async def file_held(self, user: User, msg: IncomingMessage) -> tuple[Reply, ...]:
        """Ask about each message kept during onboarding, now that it is finished."""
        t = Translator(user.language)
        return tuple(
            self._question(t, intake.concern)
            for intake in await self._concerns.file_held(user, msg.event_key)
            if intake.status is IntakeStatus.STORED and intake.concern is not None
        )

    async def on_button(self, user: User | None, msg: IncomingMessage) -> Outcome:
        """Handle a tap on a concern button: yes, change, toggle, none, done."""
        lang = user.language if user else "fr"
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        if user is None or not user.onboarded:
            return Outcome(notice=t("button.stale"))
        action = match[1] or "t"
        concern_id = int(match[2] or match[3])
        if action == "t":
            index = int(match[4])
            if index >= len(FACTOR_IDS):
                return Outcome(notice=t("button.invalid"))
            edited = await self._concerns.toggle(
                user, concern_id, FACTOR_IDS[index], msg.event_key
            )
            if edited is None:
                return Outcome(notice=t("button.stale"))
            return Outcome((self._picker(t, edited, edit=True),))
        if action == "x":
            deleted = await self._concerns.delete(user, concern_id, msg.event_key)
            if not deleted:
                return Outcome(notice=t("button.stale"))
            return Outcome(
                (await self._history_reply(t, user, edit=True),), notice=t("history.deleted")
            )
        if action == "c":
            concern = await self._concerns.pending_of(user, concern_id)
            if concern is None:
                return Outcome(notice=t("button.stale"))
            return Outcome((self._picker(t, concern, edit=True),))
        if action == "a":
            taken = await self._concerns.take_alternative(user, concern_id, msg.event_key)
            if taken is None:
                return Outcome(notice=t("button.stale"))
            return Outcome(await self._after_confirmation(t, user, taken))
        factors = () if action == "n" else None
        confirmed = await self._concerns.confirm(user, concern_id, msg.event_key, factors)
        if confirmed is None:
            return Outcome(notice=t("button.stale"))
        return Outcome(await self._after_confirmation(t, user, confirmed))

    async def on_history(self, user: User) -> Outcome:
        """Show the user's own recent concerns, each with a delete button."""
        return Outcome((await self._history_reply(Translator(user.language), user, edit=False),))

    async def _history_reply(self, t: Translator, user: User, *, edit: bool) -> Reply:
        concerns = await self._concerns.history(user)
        if not concerns:
            return Reply(t("history.empty"), edit=edit)
        lines = [t("history.header")]
        buttons: list[Button] = []
        for number, concern in enumerate(concerns, 1):
            factors = self._titles(t.lang, concern.draft) or t("history.no_factor")
            if concern.status is ConcernStatus.PENDING:
                factors += " " + t("history.pending")
            said = (
                t("history.me_too")
                if concern.source is ConcernSource.ME_TOO
                else t("text.quoted", text=excerpt(concern.text))
            )
            lines.append(f"{number}. {concern.created_at[:10]} · {factors}\n   {said}")
            buttons.append(Button(f"🗑 {number}", f"{PREFIX}:x:{concern.id}"))
        rows = tuple(tuple(buttons[i : i + 5]) for i in range(0, len(buttons), 5))
        return Reply("\n".join(lines), rows, edit=edit)

    def _titles(self, lang: str, factors: tuple[str, ...]) -> str:
        return self._echo.titles(lang, factors)

    def _question(self, t: Translator, concern: Concern) -> Reply:
        # At most three buttons, so that WhatsApp shows them as buttons and not as a list.
        other = self._suggested(concern)
        if not concern.draft and other is None:
            return self._picker(t, concern, edit=False)
        if not concern.draft:
            assert other is not None
            return Reply(
                t("concern.maybe", factors=self._titles(t.lang, (other,))),
                (
                    (
                        Button(
                            t("concern.maybe_yes", factor=self._short(t.lang, other)),
                            f"{PREFIX}:a:{concern.id}",
                        ),
                        Button(t("concern.choose"), f"{PREFIX}:c:{concern.id}"),
                        Button(t("concern.maybe_none"), f"{PREFIX}:n:{concern.id}"),
                    ),
                ),
                valid_while=f"concern:{concern.id}",
            )
        factors = self._titles(t.lang, concern.draft)
        buttons = [Button(t("concern.yes"), f"{PREFIX}:y:{concern.id}")]
        if other is None:
            text = t("concern.understood", factors=factors)
        else:
            text = t(
                "concern.understood_or_also",
                factors=factors,
                other=self._titles(t.lang, (other,)),
            )
            buttons.append(
                Button(
                    t("concern.also", factor=self._short(t.lang, other)),
                    f"{PREFIX}:a:{concern.id}",
                )
            )
        buttons.append(Button(t("concern.change"), f"{PREFIX}:c:{concern.id}"))
        return Reply(text, (tuple(buttons),), valid_while=f"concern:{concern.id}")

    @staticmethod
    def _suggested(concern: Concern) -> str | None:
        """Return the factor the other reading brings in, while the guess is untouched."""
        # Once the person has ticked or unticked factors, the other reading is stale.
        if not concern.untouched:
            return None
        return Question(concern.draft, concern.alternative).suggested

    def _short(self, lang: str, factor: str) -> str:
        return self._tax.get(factor).short_title(lang)

    def _picker(self, t: Translator, concern: Concern, *, edit: bool) -> Reply:
        rows: list[tuple[Button, ...]] = [
            (
                Button(
                    ("✅ " if factor.id in concern.draft else "▫️ ") + factor.title(t.lang),
                    f"{PREFIX}:t:{concern.id}:{index}",
                ),
            )
            for index, factor in enumerate(self._tax.factors)
        ]
        rows.append(
            (
                Button(t("concern.none"), f"{PREFIX}:n:{concern.id}"),
                Button(t("concern.done"), f"{PREFIX}:d:{concern.id}"),
            )
        )
        text = t("concern.pick") if not concern.predicted else t("concern.pick_change")
        return Reply(text, tuple(rows), edit=edit)

    async def _after_confirmation(
        self, t: Translator, user: User, concern: Concern
    ) -> tuple[Reply, ...]:
        if not concern.draft:
            return (Reply(t("concern.noted_none"), edit=True),)
        noted = t("concern.noted", factors=self._titles(t.lang, concern.draft))
        echo = await self._echo.echo_reply(user, concern.draft)
        # One edit of the question instead of an edit and a new message: the person sees the
        # same, and the bot makes one Bot API call fewer per concern (the costliest part).
        return (Reply(f"{noted}\n\n{echo.text}", echo.buttons, edit=True),)
