"""Let admins compose broadcasts (/broadcast), confirm them, and follow and control them."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.broadcasts.service import (
    BroadcastError,
    BroadcastService,
    TemplatePlan,
    channel_photo,
    local_time,
)
from bot.features.broadcasts.store import Audience, Broadcast, BroadcastStatus, Draft
from bot.i18n import LANGUAGES, Translator
from bot.shared.forms import FormError, parse_form
from bot.shared.routes import FlowRoutes, admin_routes

logger = logging.getLogger(__name__)

PREFIX = "bc"
COMMANDS = frozenset({"broadcast", "broadcasts"})
AUDIENCE_FIELDS = ("territory", "core", "sector", "role", "language", "factor", "days")
FIELDS = (*LANGUAGES, *AUDIENCE_FIELDS, "at")
LISTED = 5
_BUTTON = re.compile(rf"^{PREFIX}:(go|x|p|r|c|cc|l)(?::(\d+))?(?::([0-9a-f]+))?$")


def audience_from(values: dict[str, str]) -> Audience:
    """Build an audience from a form's fields; raise BroadcastError on a wrong value."""
    try:
        return Audience(
            territory_id=values.get("territory"),
            core_id=values.get("core"),
            sector_id=values.get("sector"),
            role=values.get("role"),
            language=values.get("language"),
            factor=values.get("factor"),
            days=int(values["days"]) if "days" in values else None,
        )
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            raise BroadcastError(f"{first['loc'][0]}: {first['msg']}") from exc
        raise BroadcastError(f"days: not a number: {values.get('days')!r}") from exc


class BroadcastAdminFlow:
    """Compose (a form, then a preview with the exact count), confirm once, follow, control."""

    def __init__(
        self, broadcasts: BroadcastService, tz: ZoneInfo, template_plan: TemplatePlan | None = None
    ) -> None:
        self._broadcasts = broadcasts
        self._tz = tz
        # Set when a channel needs paid templates outside its window (WhatsApp).
        self._plan = template_plan

    def routes(self) -> FlowRoutes:
        """Declare the admins' /broadcast and /broadcasts and their buttons."""
        return admin_routes("broadcast_admin", COMMANDS, PREFIX, self.on_command, self.on_button)

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /broadcast (a form to fill, or a filled one) and /broadcasts (the list)."""
        t = Translator(lang)
        if msg.command.lower() == "broadcasts":
            return Outcome((await self._list(t),))
        if not msg.args.strip():
            return Outcome((Reply(t("admin.broadcast_usage")),))
        try:
            values = parse_form(msg.args, FIELDS, LANGUAGES)
            send_at = local_time(values["at"], self._tz) if "at" in values else None
            draft = await self._broadcasts.draft(
                created_by=f"{msg.channel}:{msg.user_ref}",
                texts={lang_: values.get(lang_, "") for lang_ in LANGUAGES},
                audience=audience_from(values),
                # The channel's own reference: other channels fetch its bytes when sending.
                photo=channel_photo(msg.channel, msg.image_ref) if msg.image_ref else None,
                send_at=send_at,
            )
        except (FormError, BroadcastError) as exc:
            return Outcome((Reply(t("admin.broadcast_refused", reason=str(exc))),))
        return Outcome((await self._preview(t, draft),))

    async def on_button(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Confirm or discard a draft; pause, resume or cancel a broadcast."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        action, number = match[1], int(match[2]) if match[2] else 0
        if action == "go":
            if match[3] is None:
                return Outcome(notice=t("button.invalid"))
            made = await self._broadcasts.confirm(
                number,
                event_key=f"broadcast-confirm:{match[3]}",
                report_chat=msg.chat_ref,
                report_language=t.lang,
            )
            if made is None:
                return Outcome(duplicate=True)
            count = await self._broadcasts.count(made.audience)
            text = t("admin.broadcast_confirmed", id=made.id, n=count, when=self._when(t, made))
            return Outcome((Reply(text, edit=True),))
        if action == "x":
            if not await self._broadcasts.discard(number):
                # Confirmed already (a tap just before): say so, never "nothing will be sent".
                return Outcome(notice=t("admin.broadcast_already_confirmed"))
            return Outcome((Reply(t("admin.broadcast_discarded"), edit=True),))
        if action == "c":
            confirm = (
                (
                    Button(t("admin.broadcast_cancel_yes"), f"{PREFIX}:cc:{number}"),
                    Button(t("button.back"), f"{PREFIX}:l"),
                ),
            )
            return Outcome((Reply(t("admin.broadcast_cancel_sure", id=number), confirm, True),))
        if action in ("p", "r", "cc"):
            control = {
                "p": self._broadcasts.pause,
                "r": self._broadcasts.resume,
                "cc": self._broadcasts.cancel,
            }[action]
            done = await control(number)
            logger.info("admin %s broadcast %d: %s", action, number, done)
            listing = await self._list(t)
            notice = None if done else t("admin.broadcast_not_now")
            return Outcome((Reply(listing.text, listing.buttons, edit=True),), notice=notice)
        listing = await self._list(t)
        return Outcome((Reply(listing.text, listing.buttons, edit=True),))

    async def _preview(self, t: Translator, draft: Draft) -> Reply:
        count = await self._broadcasts.count(draft.audience)
        filters = draft.audience.model_dump(exclude_none=True)
        described = " · ".join(f"{k.removesuffix('_id')}: {v}" for k, v in filters.items())
        lines = [
            t(
                "admin.broadcast_preview",
                n=count,
                audience=described or t("admin.broadcast_everyone"),
                when=self._draft_when(t, draft),
            )
        ]
        if self._plan is not None:
            cost = await self._broadcasts.template_cost(draft.audience, self._plan)
            if cost.on_channel:
                lines.append(
                    t(
                        "admin.broadcast_templates",
                        on_channel=cost.on_channel,
                        templates=cost.templates,
                        category=cost.category.lower(),
                        cost=f"{cost.cost:.2f}",
                        days=max(cost.days, 1),
                    )
                )
        if draft.photo:
            lines.append(t("admin.broadcast_with_photo"))
        for lang in LANGUAGES:
            text = draft.texts.get(lang)
            shown = text if text else t("admin.broadcast_in_french")
            lines += ["", f"— {lang} —", shown]
        nonce = secrets.token_hex(6)
        buttons = (
            (
                Button(t("admin.broadcast_go"), f"{PREFIX}:go:{draft.id}:{nonce}"),
                Button(t("admin.broadcast_discard"), f"{PREFIX}:x:{draft.id}"),
            ),
        )
        return Reply("\n".join(lines)[:4000], buttons)

    async def _list(self, t: Translator) -> Reply:
        recent = await self._broadcasts.recent(LISTED)
        if not recent:
            return Reply(t("admin.broadcasts_none"))
        lines = [t("admin.broadcasts_header")]
        rows: list[tuple[Button, ...]] = []
        for broadcast, progress in recent:
            lines.append(
                t(
                    "admin.broadcast_line",
                    id=broadcast.id,
                    status=t(f"broadcast.status_{broadcast.status.value}"),
                    when=self._when(t, broadcast),
                    sent=progress.get("sent", 0),
                    total="?" if broadcast.recipients is None else broadcast.recipients,
                    blocked=progress.get("blocked", 0),
                    failed=progress.get("failed", 0),
                    text=broadcast.texts["fr"][:40],
                )
            )
            rows.extend(self._controls(t, broadcast))
        rows.append((Button(t("admin.broadcast_refresh"), f"{PREFIX}:l"),))
        return Reply("\n".join(lines), tuple(rows))

    def _controls(self, t: Translator, broadcast: Broadcast) -> list[tuple[Button, ...]]:
        n = broadcast.id
        if broadcast.status in (BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED):
            return [
                (
                    Button(t("admin.broadcast_pause", id=n), f"{PREFIX}:p:{n}"),
                    Button(t("admin.broadcast_cancel", id=n), f"{PREFIX}:c:{n}"),
                )
            ]
        if broadcast.status is BroadcastStatus.PAUSED:
            return [
                (
                    Button(t("admin.broadcast_resume", id=n), f"{PREFIX}:r:{n}"),
                    Button(t("admin.broadcast_cancel", id=n), f"{PREFIX}:c:{n}"),
                )
            ]
        return []

    def _draft_when(self, t: Translator, draft: Draft) -> str:
        if draft.send_at is None:
            return t("admin.broadcast_now")
        return (
            datetime.fromisoformat(draft.send_at).astimezone(self._tz).strftime("%Y-%m-%d %H:%M")
        )

    def _when(self, t: Translator, broadcast: Broadcast) -> str:
        moment = datetime.fromisoformat(broadcast.send_at).astimezone(self._tz)
        return moment.strftime("%Y-%m-%d %H:%M")
