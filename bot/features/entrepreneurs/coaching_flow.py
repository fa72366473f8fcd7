"""Asking for coaching (/coach), a coach's answers, appointments, notes and relayed messages.

Nothing about a candidate reaches a coach without the candidate's yes to exactly what is
shown them; a pupil's number never does (coach and pupil write through the bot, which keeps
a relayed message only until it is shown).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.candidates import CandidateService
from bot.features.entrepreneurs.coaching import (
    AVAILABILITY,
    NEEDS,
    CoachingError,
    CoachingService,
    DraftStep,
)
from bot.features.entrepreneurs.coaching_store import Request
from bot.features.entrepreneurs.links import PROJECT_BUTTON_DATA
from bot.features.entrepreneurs.render import CoachingRenderer
from bot.i18n import Translator
from bot.shared.routes import Buttons, Command, FlowRoutes, Text, TextStage, is_talking, known
from bot.storage import Database, User

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"^[0-9]{1,12}$")
# An opportunity a request can start from: "co:start:cell:12" (see opportunities/context.py).
_CONTEXT = re.compile(r"^(need:[a-z0-9_]{1,40}|(cell|popup|producer):[0-9]{1,12})$")


class CoachingFlow:
    """The candidate's request, the coach's side and the appointments, by taps and text."""

    def __init__(
        self,
        db: Database,
        coaching: CoachingService,
        candidates: CandidateService,
        renderer: CoachingRenderer,
        kick: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._coaching = coaching
        self._requests = coaching.requests
        self._candidates = candidates
        self._render = renderer
        self._kick = kick

    def routes(self) -> FlowRoutes:
        """Declare /coach, the coaching buttons and the text typed for a request."""
        return FlowRoutes(
            "coaching",
            commands=(Command("coach", self.on_command),),
            buttons=(
                Buttons("co", self._guard(self.on_candidate_button)),
                Buttons("ch", self._guard(self.on_coach_button)),
                Buttons("ap", self._guard(self.on_appointment_button)),
            ),
            texts=(Text(TextStage.COACHING, self.takes_text, self.on_text),),
            still_meaningful=(("coffer", self._offer_stands), ("cslots", self._slots_stand)),
        )

    def _guard(
        self, handle: Callable[[User, IncomingMessage, Translator, list[str]], Awaitable[Outcome]]
    ) -> Callable[[User | None, IncomingMessage, str], Awaitable[Outcome]]:
        """Check the person and the data's shape; a refusal answers politely, stores nothing."""

        async def guarded(user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
            t = Translator(lang)
            parts = msg.button_data.split(":")
            if user is None or not user.onboarded or len(parts) < 2:
                return Outcome(notice=t("button.stale"))
            try:
                # One transaction with the answer: all of it, once, or nothing.
                async with self._db.transaction():
                    outcome = await handle(user, msg, t, parts[1:])
            except CoachingError as exc:
                if exc.key.startswith("button."):
                    return Outcome(notice=t(exc.key))
                return Outcome((Reply(t(exc.key, **exc.params)),))
            await self._kick()
            return outcome

        return guarded

    async def _offer_stands(self, key: str) -> bool:
        request_id = key.split(":", 1)[1]
        if not _NUMBER.match(request_id):
            return False
        request = await self._requests.get(int(request_id))
        return request is not None and request.status == "routing"

    async def _slots_stand(self, key: str) -> bool:
        appointment_id = key.split(":", 1)[1]
        if not _NUMBER.match(appointment_id):
            return False
        appointment = await self._requests.appointment(int(appointment_id))
        return appointment is not None and appointment.status == "proposed"

    # ---- /coach ---------------------------------------------------------------------------

    async def on_command(self, user: User | None, _msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /coach."""
        async with self._db.transaction():
            return await self.on_coach(known(user))

    async def on_coach(self, user: User) -> Outcome:
        """Show a coach their requests; take a candidate into (or back to) their request."""
        t = Translator(user.language)
        # A coach removed since still follows what they accepted.
        coach = await self._coaching.coaches.get(user.id, current=False)
        if coach is not None:
            return Outcome((await self._coach_list(t, user),))
        return await self._candidate_entry(user, t)

    async def _candidate_entry(
        self, user: User, t: Translator, context: str | None = None
    ) -> Outcome:
        request = await self._coaching.open_request(user.id)
        if request is not None and request.status != "draft":
            return Outcome((await self._status(t, request),))
        candidate = await self._candidates.get(user.id)
        if candidate is None or candidate.step != "done":
            return Outcome(
                (
                    Reply(
                        t("coaching.project_first"),
                        ((Button(t("project.my"), PROJECT_BUTTON_DATA),),),
                    ),
                )
            )
        request = await self._coaching.start(user, candidate, context)
        return Outcome((await self._question(t, request),))

    async def _coach_list(self, t: Translator, user: User) -> Reply:
        followed = await self._requests.of_coach(user.id)
        if not followed:
            return Reply(t("coaching.coach_none"))
        rows = tuple(
            (Button(f"🧭 {r.first_name or '—'} · #{r.id}", f"ch:view:{r.id}"),)
            for r in followed[:10]
        )
        return Reply(t("coaching.coach_list", n=len(followed)), rows)

    # ---- the candidate's request ----------------------------------------------------------

    async def _question(self, t: Translator, request: Request) -> Reply:
        step = request.step
        if step == DraftStep.NEEDS:
            return Reply(t("coaching.q_needs"), self._ticks(t, "n", NEEDS, request.needs, "nok"))
        if step == DraftStep.AVAILABILITY:
            return Reply(
                t("coaching.q_availability"),
                self._ticks(t, "a", AVAILABILITY, request.availability, "aok"),
            )
        if step == DraftStep.VENUE:
            venues = await self._coaching.venues(request)
            if not venues:
                return Reply(t("coaching.no_venue"))
            return Reply(
                t("coaching.q_venue"),
                tuple((Button(v.name[:20], f"co:v:{v.id}"),) for v in venues[:10]),
            )
        if step == DraftStep.NAME:
            return Reply(t("coaching.q_name"), ((Button(t("coaching.cancel_draft"), "co:no"),),))
        if step == DraftStep.CONTACT:
            return Reply(
                t("coaching.q_contact"),
                (
                    (Button(t("coaching.contact_relay"), "co:c:relay"),),
                    (Button(t("coaching.contact_number"), "co:c:number"),),
                ),
            )
        if step == DraftStep.CONSENT:
            shared = await self._render.shared(t, request, with_project=True)
            return Reply(
                t("coaching.q_consent", shared=shared),
                (
                    (Button(t("coaching.consent_yes"), "co:yes"),),
                    (Button(t("coaching.cancel_draft"), "co:no"),),
                ),
            )
        return await self._status(t, request)

    @staticmethod
    def _ticks(
        t: Translator, code: str, options: tuple[str, ...], chosen: tuple[str, ...], done: str
    ) -> tuple[tuple[Button, ...], ...]:
        buttons = [
            Button(
                ("✅ " if o in chosen else "")
                + (t(f"coaching.need_{o}") if code == "n" else t(f"coaching.av_{o}")),
                f"co:{code}:{o}",
            )
            for o in options
        ]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append((Button(t("button.next") + " ▶️", f"co:{done}"),))
        return tuple(rows)

    async def _status(self, t: Translator, request: Request) -> Reply:
        withdraw = (Button(t("coaching.withdraw"), f"co:cancel:{request.id}"),)
        if request.status == "accepted":
            coach = await self._render.coach_of(request)
            return Reply(
                t("coaching.status_accepted", coach=coach.name if coach else "—"),
                ((Button(t("coaching.write_coach"), f"co:reply:{request.id}"),), withdraw),
            )
        if request.status == "unmatched":
            return Reply(t("coaching.unmatched"), (withdraw,))
        return Reply(
            t(
                "coaching.status_routing",
                hours=round(self._coaching.accept_window.total_seconds() / 3600),
            ),
            (withdraw,),
        )

    async def on_candidate_button(
        self, user: User, msg: IncomingMessage, t: Translator, args: list[str]
    ) -> Outcome:
        """Take a tap of the candidate's side."""
        action, rest = args[0], args[1:]
        if action == "start":
            context = ":".join(rest) if len(rest) == 2 and _CONTEXT.match(":".join(rest)) else None
            return await self._candidate_entry(user, t, context)
        if action == "news":
            return await self._news(user, t)
        if action in ("reply", "again", "cancel") and rest and _NUMBER.match(rest[0]):
            return await self._candidate_request_action(user, t, action, int(rest[0]), rest[1:])
        if action == "stop":
            await self._requests.stop_typing(user.id)
            return Outcome((Reply(t("coaching.typing_stopped"), edit=True),))
        request = await self._coaching.open_request(user.id)
        if request is None or request.status != "draft":
            return Outcome(notice=t("button.stale"))
        if action in ("n", "a") and len(rest) == 1:
            request = await self._coaching.toggle(
                request, "needs" if action == "n" else "availability", rest[0]
            )
        elif action in ("nok", "aok") and not rest:
            step = DraftStep.NEEDS if action == "nok" else DraftStep.AVAILABILITY
            request = await self._coaching.go_on(request, step)
        elif action == "v" and len(rest) == 1 and _NUMBER.match(rest[0]):
            request = await self._coaching.choose_venue(request, int(rest[0]))
        elif action == "c" and len(rest) == 1:
            request = await self._coaching.choose_contact(request, rest[0])
        elif action == "no" and not rest:
            await self._coaching.cancel(request)
            return Outcome((Reply(t("coaching.draft_cancelled"), edit=True),))
        elif action == "yes" and not rest:
            request = await self._coaching.submit(request)
            return Outcome((Reply(await self._sent_text(t, request), edit=True),))
        else:
            raise CoachingError("button.invalid")
        question = await self._question(t, request)
        return Outcome((Reply(question.text, question.buttons, edit=True),))

    async def _sent_text(self, t: Translator, request: Request) -> str:
        if request.status == "unmatched":
            return t("coaching.sent_unmatched")
        hours = round(self._coaching.accept_window.total_seconds() / 3600)
        return t(
            "coaching.sent",
            territory=self._render.territory(request.territory_id, t.lang),
            hours=hours,
        )

    async def _candidate_request_action(
        self, user: User, t: Translator, action: str, request_id: int, rest: list[str]
    ) -> Outcome:
        request = await self._requests.get(request_id)
        if request is None or request.user_id != user.id:
            raise CoachingError("button.stale")
        if action == "reply":
            if request.status != "accepted":
                raise CoachingError("button.stale")
            await self._requests.set_typing(user.id, request.id, "relay")
            coach = await self._render.coach_of(request)
            return Outcome(
                (
                    self._typing_prompt(
                        t, "co", t("coaching.type_message", name=coach.name if coach else "—")
                    ),
                )
            )
        if action == "again":
            await self._coaching.again(user.id, request.id)
            return Outcome((Reply(t("coaching.again_sent")),))
        if rest == ["y"]:
            await self._coaching.cancel(request)
            return Outcome((Reply(t("coaching.withdrawn_own"), edit=True),))
        if rest:
            raise CoachingError("button.invalid")
        return Outcome(
            (
                Reply(
                    t("coaching.withdraw_confirm"),
                    (
                        (
                            Button(t("coaching.withdraw_yes"), f"co:cancel:{request.id}:y"),
                            Button(t("button.no"), "co:start"),
                        ),
                    ),
                ),
            )
        )

    @staticmethod
    def _typing_prompt(t: Translator, prefix: str, text: str) -> Reply:
        return Reply(text, ((Button(t("coaching.typing_cancel"), f"{prefix}:stop"),),))

    async def _news(self, user: User, t: Translator) -> Outcome:
        """Show what was announced by a template outside WhatsApp's window, then forget it."""
        replies: list[Reply] = []
        for notice in await self._requests.waiting_notices(user.id):
            replies += await self._render.notice(notice, t.lang)
            await self._requests.notice_done(notice.id)
        return Outcome(tuple(replies) or (Reply(t("coaching.news_nothing")),))

    # ---- the coach's side -----------------------------------------------------------------

    async def on_coach_button(
        self, user: User, msg: IncomingMessage, t: Translator, args: list[str]
    ) -> Outcome:
        """Take a tap of the coach's side."""
        action = args[0]
        if action == "stop" and len(args) == 1:
            await self._requests.stop_typing(user.id)
            return Outcome((Reply(t("coaching.typing_stopped"), edit=True),))
        if len(args) != 2 or not _NUMBER.match(args[1]):
            raise CoachingError("button.invalid")
        request_id = int(args[1])
        if action == "acc":
            request = await self._coaching.accept(request_id, user.id)
            card = await self._render.card(t, request, user.id)
            return Outcome(
                (Reply(t("coaching.you_accepted") + "\n\n" + card.text, card.buttons, edit=True),)
            )
        if action == "dec":
            await self._coaching.decline(request_id, user.id)
            return Outcome((Reply(t("coaching.you_declined"), edit=True),))
        followed = await self._requests.get(request_id)
        if followed is None or followed.coach_id != user.id or followed.status != "accepted":
            raise CoachingError("button.stale")
        request = followed
        first_name = request.first_name or "—"
        if action == "view":
            return Outcome((await self._render.card(t, request, user.id),))
        if action == "slots":
            await self._requests.set_typing(user.id, request.id, "slots")
            return Outcome(
                (self._typing_prompt(t, "ch", t("coaching.type_slots", name=first_name)),)
            )
        if action == "msg":
            await self._requests.set_typing(user.id, request.id, "relay")
            return Outcome(
                (self._typing_prompt(t, "ch", t("coaching.type_message", name=first_name)),)
            )
        if action == "note":
            await self._requests.set_typing(user.id, request.id, "note")
            current = await self._requests.note(request.id, user.id)
            text = t("coaching.type_note")
            if current:
                text += "\n\n" + t("coaching.card_note", note=current)
            return Outcome((self._typing_prompt(t, "ch", text),))
        if action == "close" and len(args) == 2:
            return Outcome(
                (
                    Reply(
                        t("coaching.close_confirm", name=first_name),
                        (
                            (
                                Button(t("coaching.close_yes"), f"ch:closed:{request.id}"),
                                Button(t("button.no"), f"ch:view:{request.id}"),
                            ),
                        ),
                    ),
                )
            )
        if action == "closed":
            await self._coaching.close(request, user.id)
            return Outcome((Reply(t("coaching.closed", name=first_name), edit=True),))
        raise CoachingError("button.invalid")

    # ---- appointments ---------------------------------------------------------------------

    async def on_appointment_button(
        self, user: User, msg: IncomingMessage, t: Translator, args: list[str]
    ) -> Outcome:
        """Take a tap on an appointment: pick, none suits, cancel, move, the after-question."""
        action = args[0]
        if len(args) < 2 or not _NUMBER.match(args[1]):
            raise CoachingError("button.invalid")
        appointment_id = int(args[1])
        if action == "p" and len(args) == 3 and _NUMBER.match(args[2]):
            booked = await self._coaching.pick(user.id, appointment_id, int(args[2]))
            request = await self._requests.get(booked.request_id)
            assert request is not None and booked.starts_at is not None
            venue = self._render.venue_line(await self._coaching.venue(booked.venue_id))
            return Outcome(
                (
                    Reply(
                        t(
                            "coaching.booked",
                            when=self._render.when(booked.starts_at, t.lang),
                            venue=venue,
                        ),
                        self._render.appointment_buttons(t, booked.id),
                        edit=True,
                    ),
                    await self._render.calendar(request, booked, t.lang),
                )
            )
        if action == "none" and len(args) == 2:
            await self._coaching.none_suit(user.id, appointment_id)
            return Outcome((Reply(t("coaching.none_suit_sent"), edit=True),))
        if action in ("x", "m") and len(args) == 2:
            request, side = await self._coaching.cancel_appointment(
                user.id, appointment_id, move=action == "m"
            )
            if action == "m" and side == "coach":
                await self._requests.set_typing(user.id, request.id, "slots")
                return Outcome(
                    (
                        self._typing_prompt(
                            t, "ch", t("coaching.type_slots", name=request.first_name or "—")
                        ),
                    )
                )
            key = "coaching.moved_own" if action == "m" else "coaching.cancelled_own"
            return Outcome((Reply(t(key), edit=True),))
        if action in ("af", "cf") and len(args) == 3:
            appointment, side = await self._coaching.answer_after(user.id, appointment_id, args[2])
            if side == "coach":
                return Outcome((Reply(t("coaching.after_thanks"), edit=True),))
            request = await self._requests.get(appointment.request_id)
            assert request is not None
            coach = await self._render.coach_of(request)
            again: tuple[tuple[Button, ...], ...] = ()
            if request.status == "accepted":
                again = ((Button(t("coaching.again"), f"co:again:{request.id}"),),)
            return Outcome(
                (
                    Reply(
                        t("coaching.after_thanks_candidate", coach=coach.name if coach else "—"),
                        again,
                        edit=True,
                    ),
                )
            )
        raise CoachingError("button.invalid")

    # ---- typed text -----------------------------------------------------------------------

    async def takes_text(self, user: User, _msg: IncomingMessage) -> bool:
        """Take text while a request waits for it: a first name, times, a note, a message."""
        if not is_talking(user):
            return False
        if await self._coaching.typing(user.id) is not None:
            return True
        request = await self._coaching.open_request(user.id)
        # A draft left at its name question for over an hour does not swallow later words.
        return (
            request is not None
            and request.status == "draft"
            and request.step == DraftStep.NAME
            and self._coaching.draft_fresh(request)
        )

    async def on_text(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Use the text for what it was asked for."""
        person = known(user)
        t = Translator(lang)
        try:
            async with self._db.transaction():
                outcome = await self._text(person, msg, t)
        except CoachingError as exc:
            if exc.key.startswith("button."):
                async with self._db.transaction():
                    await self._requests.stop_typing(person.id)
                return Outcome((Reply(t("coaching.typing_gone")),))
            return Outcome((Reply(t(exc.key, **exc.params)),))
        await self._kick()
        return outcome

    async def _text(self, person: User, msg: IncomingMessage, t: Translator) -> Outcome:
        typing = await self._coaching.typing(person.id)
        if typing is None:
            request = await self._coaching.open_request(person.id)
            if request is None:
                raise CoachingError("button.stale")
            request = await self._coaching.give_name(request, msg.text, person.channel)
            return Outcome((await self._question(t, request),))
        request_id, what = typing
        request = await self._requests.get(request_id)
        if request is None:
            raise CoachingError("button.stale")
        if what == "slots":
            slots = self._coaching.parse_slots(msg.text)
            await self._coaching.propose(request, person.id, slots)
            await self._requests.stop_typing(person.id)
            labels = "\n".join(self._render.when(s.isoformat(), t.lang) for s in slots)
            return Outcome(
                (Reply(t("coaching.slots_sent", name=request.first_name or "—", slots=labels)),)
            )
        if what == "note":
            await self._coaching.keep_note(request, person.id, msg.text)
            await self._requests.stop_typing(person.id)
            return Outcome((Reply(t("coaching.note_kept")),))
        await self._coaching.relay(request, person.id, msg.text)
        await self._requests.stop_typing(person.id)
        return Outcome((Reply(t("coaching.relay_sent")),))
