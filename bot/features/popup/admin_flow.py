"""Admins define pop-ups (/popup), review applications side by side (/applications), announce."""

from __future__ import annotations

import logging
import re
import secrets

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.broadcasts.service import BroadcastError, BroadcastService
from bot.features.broadcasts.store import Audience
from bot.features.popup.render import ADMIN_PREFIX, PopupRenderer
from bot.features.popup.service import PRESET_REASONS, PopupError, PopupService
from bot.features.popup.store import Application
from bot.i18n import LANGUAGES, Translator
from bot.shared.access import Admins
from bot.shared.forms import FormError, parse_form
from bot.shared.paging import page_row
from bot.shared.routes import Access, Buttons, Command, FlowRoutes
from bot.storage import Database, Role, User
from bot.storage.audit import AuditRepository

logger = logging.getLogger(__name__)

FIELDS = ("territory", "core", "place", "spaces", "conditions", "fee")
_BUTTON = re.compile(r"^pw:(ls|ok|wl|no|nr|nt|go|gx):([0-9]{1,12})(?::([0-9a-z]{1,16}))?$")
_NUMBER = re.compile(r"^#?([0-9]{1,12})$")
# Applications shown side by side in one message (three buttons each).
PAGE = 3
# At most this many periods answered to one /applications.
PERIODS_SHOWN = 5


def _number(word: str) -> int | None:
    match = _NUMBER.match(word.strip())
    return int(match[1]) if match else None


class PopupAdminFlow:
    """Define pop-ups and periods, decide on applications, announce consenting occupants."""

    def __init__(
        self,
        db: Database,
        popup: PopupService,
        render: PopupRenderer,
        broadcasts: BroadcastService,
        admins: Admins,
    ) -> None:
        self._db = db
        self._popup = popup
        self._render = render
        self._broadcasts = broadcasts
        self._admins = admins
        self._audit = AuditRepository(db)

    def routes(self) -> FlowRoutes:
        """Declare /applications and the admins' buttons (both checked and audited)."""
        return FlowRoutes(
            "popup_admin",
            commands=(Command("applications", self.on_applications, Access.ADMIN),),
            buttons=(Buttons(ADMIN_PREFIX, self.on_button, Access.ADMIN),),
        )

    # ---- /popup -----------------------------------------------------------------------------

    async def on_popup(self, _user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer an admin's /popup: the list, add, period, close, announce."""
        t = Translator(lang)
        first, _, rest = msg.args.strip().partition("\n")
        words = first.split()
        action = words[0].lower() if words else ""
        by = f"{msg.channel}:{msg.user_ref}"
        try:
            if not action:
                return Outcome((await self._list(t),))
            if action == "add":
                form = " ".join(words[1:]) + ("\n" + rest if rest else "")
                return Outcome((await self._add(t, form, by),))
            if action == "period" and len(words) == 4 and _number(words[1]) is not None:
                async with self._db.transaction():
                    period = await self._popup.add_period(
                        _number(words[1]) or 0, words[2], words[3]
                    )
                text = t(
                    "popup.period_added",
                    id=period.id,
                    popup=period.popup_id,
                    dates=self._render.dates(period, t.lang),
                )
                return Outcome((Reply(text),))
            if action == "close" and len(words) == 2 and _number(words[1]) is not None:
                async with self._db.transaction():
                    done = await self._popup.close(_number(words[1]) or 0)
                key = "popup.closed" if done else "popup.unknown"
                return Outcome((Reply(t(key, id=_number(words[1]))),))
            if action == "announce" and len(words) == 2 and _number(words[1]) is not None:
                return Outcome((await self._announce(t, _number(words[1]) or 0, by),))
        except PopupError as exc:
            return Outcome((Reply(t(exc.key, **exc.params)),))
        return Outcome((Reply(t("popup.admin_usage")),))

    async def _add(self, t: Translator, form: str, by: str) -> Reply:
        if not form.strip():
            return Reply(t("popup.add_form"))
        try:
            values = parse_form(form, FIELDS, ("conditions",))
        except FormError as exc:
            return Reply(t("popup.form_refused", reason=str(exc)))
        missing = [f for f in ("territory", "place", "spaces") if f not in values]
        if missing:
            return Reply(t("popup.form_refused", reason="missing: " + ", ".join(missing)))
        async with self._db.transaction():
            popup = await self._popup.define(
                territory_id=values["territory"].lower(),
                core_id=values["core"].lower() if "core" in values else None,
                place=values["place"],
                spaces=values["spaces"],
                conditions=values.get("conditions", ""),
                fee=values.get("fee", ""),
                by=by,
            )
        return Reply(t("popup.added", id=popup.id, details=self._render.details(t, popup)))

    async def _list(self, t: Translator) -> Reply:
        popups = await self._popup.repo.popups(open_only=False)
        if not popups:
            return Reply(t("popup.admin_none") + "\n\n" + t("popup.admin_usage"))
        lines = []
        for popup in popups[:10]:
            state = t("popup.state_closed") if popup.closed_at else t("popup.state_open")
            lines.append(
                t(
                    "popup.admin_line",
                    id=popup.id,
                    place=popup.place,
                    area=self._render.area(popup, t.lang),
                    spaces=popup.spaces,
                    state=state,
                )
            )
            for period in await self._popup.repo.periods(popup.id):
                counts = await self._popup.repo.counts(period.id)
                lines.append(
                    t(
                        "popup.admin_period",
                        id=period.id,
                        dates=self._render.dates(period, t.lang),
                        accepted=counts.get("accepted", 0),
                        spaces=popup.spaces,
                        pending=counts.get("pending", 0),
                        waitlisted=counts.get("waitlisted", 0),
                    )
                )
        return Reply("\n".join(lines) + "\n\n" + t("popup.admin_usage"))

    # ---- /applications: side by side ----------------------------------------------------------

    async def on_applications(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """List the applications waiting, one message per period, or decline by command."""
        t = Translator(lang)
        words = msg.args.split(None, 2)
        if len(words) == 3 and words[0].lower() == "decline" and _number(words[1]) is not None:
            by = f"{msg.channel}:{msg.user_ref}"
            return await self._decline(t, _number(words[1]) or 0, words[2], by)
        popup_id = _number(words[0]) if len(words) == 1 else None
        if words and popup_id is None:
            return Outcome((Reply(t("popup.applications_usage")),))
        periods = await self._popup.repo.periods_waiting(popup_id)
        if not periods:
            return Outcome((Reply(t("popup.no_applications")),))
        return Outcome(tuple([await self._side_by_side(t, p, 0) for p in periods[:PERIODS_SHOWN]]))

    async def _side_by_side(self, t: Translator, period_id: int, page: int) -> Reply:
        period = await self._popup.repo.period(period_id)
        popup = None if period is None else await self._popup.repo.popup(period.popup_id)
        if period is None or popup is None:
            return Reply(t("popup.no_applications"))
        waiting = await self._popup.repo.of_period(period_id, ("pending", "waitlisted"))
        header = t(
            "popup.review_header",
            place=popup.place,
            dates=self._render.dates(period, t.lang),
            left=await self._popup.spaces_left(period),
            spaces=popup.spaces,
        )
        if not waiting:
            return Reply(header + "\n\n" + t("popup.no_applications"))
        pages = (len(waiting) + PAGE - 1) // PAGE
        page = max(0, min(page, pages - 1))
        blocks = [header]
        rows: list[tuple[Button, ...]] = []
        for number, application in enumerate(waiting, start=1):
            if not page * PAGE < number <= (page + 1) * PAGE:
                continue
            blocks.append(self._entry(t, number, application))
            row = [Button(t("popup.accept_n", n=number), f"{ADMIN_PREFIX}:ok:{application.id}")]
            if application.status == "pending":
                row.append(
                    Button(t("popup.waitlist_n", n=number), f"{ADMIN_PREFIX}:wl:{application.id}")
                )
            row.append(
                Button(t("popup.decline_n", n=number), f"{ADMIN_PREFIX}:no:{application.id}")
            )
            rows.append(tuple(row))
        rows += page_row(t, page, pages, lambda n: f"{ADMIN_PREFIX}:ls:{period_id}:{n}")
        return Reply("\n\n".join(blocks), tuple(rows))

    def _entry(self, t: Translator, number: int, application: Application) -> str:
        sent = (application.submitted_at or application.created_at)[:10]
        return t(
            "popup.review_entry",
            n=number,
            answers=self._render.summary(t, application),
            sent=sent,
            status=self._render.status(t, application),
        )

    # ---- decisions --------------------------------------------------------------------------

    async def on_button(self, user: User | None, msg: IncomingMessage, lang: str) -> Outcome:
        """Take an admin's tap: a page, accept, waitlist, decline (with a reason), announce."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        action, number, value = match[1], int(match[2]), match[3]
        by = f"{msg.channel}:{msg.user_ref}"
        if action == "ls":
            page = int(value) if value and value.isdigit() else 0
            listed = await self._side_by_side(t, number, page)
            return Outcome((Reply(listed.text, listed.buttons, edit=True),))
        if action in ("go", "gx"):
            return await self._confirm(t, msg, action, number, value)
        if action == "no":
            return Outcome((self._reasons(t, number),))
        if action == "nt":
            if user is None:
                return Outcome((Reply(t("popup.reason_by_command", id=number)),))
            try:
                async with self._db.transaction():
                    await self._popup.ask_reason(user.id, number)
            except PopupError as exc:
                return Outcome(notice=t(exc.key, **exc.params))
            return Outcome((Reply(t("popup.type_reason")),))
        try:
            async with self._db.transaction():
                if action == "ok":
                    application = await self._popup.accept(number, by)
                    notice = t("popup.done_accepted")
                elif action == "wl":
                    application = await self._popup.waitlist(number, by)
                    notice = t("popup.done_waitlisted")
                elif action == "nr" and value in PRESET_REASONS:
                    application = await self._popup.decline(number, by, f"preset:{value}")
                    notice = t("popup.done_declined")
                else:
                    return Outcome(notice=t("button.invalid"))
        except PopupError as exc:
            return Outcome(notice=t(exc.key, **exc.params))
        listed = await self._side_by_side(t, application.period_id, 0)
        # In the message itself: WhatsApp shows no notice next to a reply.
        return Outcome((Reply(notice + "\n\n" + listed.text, listed.buttons, edit=True),))

    def _reasons(self, t: Translator, application_id: int) -> Reply:
        data = f"{ADMIN_PREFIX}:nr:{application_id}"
        rows = [(Button(t(f"popup.reason_button_{c}"), f"{data}:{c}"),) for c in PRESET_REASONS]
        rows.append((Button(t("popup.reason_other"), f"{ADMIN_PREFIX}:nt:{application_id}"),))
        return Reply(t("popup.pick_reason"), tuple(rows))

    async def _decline(self, t: Translator, application_id: int, reason: str, by: str) -> Outcome:
        try:
            async with self._db.transaction():
                await self._popup.decline(application_id, by, reason)
        except PopupError as exc:
            return Outcome((Reply(t(exc.key, **exc.params)),))
        return Outcome((Reply(t("popup.done_declined")),))

    async def on_reason(self, user: User, msg: IncomingMessage, lang: str) -> Outcome:
        """Take an admin's typed reason for the decline they started."""
        t = Translator(lang)
        by = f"{msg.channel}:{msg.user_ref}"
        try:
            async with self._db.transaction():
                application_id = await self._popup.reason_for(user.id)
                if application_id is None:
                    return Outcome((Reply(t("button.stale")),))
                await self._popup.decline(application_id, by, msg.text)
                await self._popup.repo.unprompt(user.id)
                # Typed text passes no admin check of the router: the decision is audited here.
                await self._audit.record(
                    actor=by,
                    role="admin",
                    action="popup decline",
                    detail=f"application {application_id}",
                    allowed=True,
                )
        except PopupError as exc:
            return Outcome((Reply(t(exc.key, **exc.params)),))
        return Outcome((Reply(t("popup.done_declined")),))

    # ---- announcing the occupants -------------------------------------------------------------

    async def _announce(self, t: Translator, period_id: int, by: str) -> Reply:
        period = await self._popup.repo.period(period_id)
        popup = None if period is None else await self._popup.repo.popup(period.popup_id)
        if period is None or popup is None:
            return Reply(t("popup.unknown_period", id=period_id))
        occupants = [
            a
            for a in await self._popup.repo.of_period(period_id, ("accepted",))
            if a.announce_consent and a.activity
        ]
        if not occupants:
            return Reply(t("popup.announce_nobody"))
        texts = {}
        for lang in LANGUAGES:
            words = Translator(lang)
            lines = [
                f"• {self._render.sector(a.sector_id, lang)}: {a.activity}" for a in occupants
            ]
            texts[lang] = words(
                "popup.announcement",
                place=popup.place,
                area=self._render.area(popup, lang),
                dates=self._render.dates(period, lang),
                occupants="\n".join(lines),
            )
        # The territory's customers who accept announcements (the broadcasts' own opt-out).
        audience = Audience(territory_id=popup.territory_id, role=Role.CUSTOMER.value)
        try:
            draft = await self._broadcasts.draft(created_by=by, texts=texts, audience=audience)
        except BroadcastError as exc:
            return Reply(t("popup.form_refused", reason=str(exc)))
        count = await self._broadcasts.count(audience)
        nonce = secrets.token_hex(6)
        preview = t("popup.announce_preview", n=count) + "\n\n" + texts.get(t.lang, "")
        buttons = (
            (
                Button(t("popup.announce_go"), f"{ADMIN_PREFIX}:go:{draft.id}:{nonce}"),
                Button(t("admin.broadcast_discard"), f"{ADMIN_PREFIX}:gx:{draft.id}"),
            ),
        )
        return Reply(preview, buttons)

    async def _confirm(
        self, t: Translator, msg: IncomingMessage, action: str, draft_id: int, nonce: str | None
    ) -> Outcome:
        if action == "gx":
            if not await self._broadcasts.discard(draft_id):
                return Outcome(notice=t("admin.broadcast_already_confirmed"))
            return Outcome((Reply(t("admin.broadcast_discarded"), edit=True),))
        if nonce is None:
            return Outcome(notice=t("button.invalid"))
        made = await self._broadcasts.confirm(
            draft_id,
            event_key=f"popup-announce:{nonce}",
            report_chat=msg.chat_ref,
            report_language=t.lang,
        )
        if made is None:
            return Outcome(duplicate=True)
        logger.info("pop-up occupants announced (broadcast %d)", made.id)
        return Outcome((Reply(t("popup.announced", id=made.id), edit=True),))
