"""Let admins create and announce events (/event) and follow their answers (/events)."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.channels.base import Button, IncomingMessage, Outcome, Reply
from bot.features.broadcasts.service import BroadcastError, BroadcastService, local_time
from bot.features.events.service import EventError, EventService
from bot.i18n import Translator
from bot.shared.forms import FormError, parse_form
from bot.shared.routes import FlowRoutes, admin_routes

logger = logging.getLogger(__name__)

PREFIX = "ea"
COMMANDS = frozenset({"event", "events"})
FIELDS = ("title", "when", "duration", "place", "capacity", "territory", "kind", "description")
# The words a form's "kind:" takes for an information session of the entrepreneurs' path.
_SESSION_WORDS = frozenset({"session", "info", "information", "infosession", "séance", "sessie"})
_BUTTON = re.compile(rf"^{PREFIX}:(go|x|csv):(\d+)(?::(\d+))?(?::([0-9a-f]+))?$")
_DURATION = re.compile(r"^(?:([0-9]{1,3})\s*h)?\s*(?:([0-9]{1,4})\s*(?:min|m)?)?$")
_CAPACITY = re.compile(r"^[0-9]{1,6}$")
MAX_DURATION = timedelta(days=14)


def parse_duration(text: str) -> timedelta:
    """Read "2h", "90min" or "1h30" (at most two weeks)."""
    match = _DURATION.match(text.strip().lower())
    if match is None or not (match[1] or match[2]):
        raise EventError(f"duration: expected something like 2h, 90min or 1h30, got {text!r}")
    duration = timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))
    if not timedelta(0) < duration <= MAX_DURATION:
        raise EventError("duration: between one minute and two weeks")
    return duration


class EventAdminFlow:
    """A form, a preview with the exact audience, one announcement; then the answers."""

    def __init__(self, events: EventService, broadcasts: BroadcastService, tz: ZoneInfo) -> None:
        self._events = events
        self._broadcasts = broadcasts
        self._tz = tz

    def routes(self) -> FlowRoutes:
        """Declare the admins' /event and /events and their buttons."""
        return admin_routes("event_admin", COMMANDS, PREFIX, self.on_command, self.on_button)

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Answer /event (the form, or a filled one) and /events (the list)."""
        t = Translator(lang)
        if msg.command.lower() == "events":
            return Outcome((await self._list(t),))
        if not msg.args.strip():
            return Outcome((Reply(t("admin.event_usage")),))
        try:
            values = parse_form(msg.args, FIELDS, ("description",))
            missing = [f for f in ("title", "when", "place") if f not in values]
            if missing:
                raise EventError(f"missing: {', '.join(missing)}")
            starts = local_time(values["when"], self._tz)
            ends = starts + parse_duration(values.get("duration", "2h"))
            kind_word = values.get("kind", "event").strip().lower()
            if kind_word not in _SESSION_WORDS | {"event", "évènement", "événement"}:
                raise EventError(f"kind: event or session, got {kind_word!r}")
            capacity = values.get("capacity")
            if capacity is not None and not _CAPACITY.match(capacity):
                raise EventError(f"capacity: a number of places, got {capacity!r}")
            event = await self._events.create(
                title=values["title"],
                place=values["place"],
                description=values.get("description", ""),
                starts_at=starts,
                ends_at=ends,
                capacity=int(capacity) if capacity else None,
                territory_id=values.get("territory"),
                created_by=f"{msg.channel}:{msg.user_ref}",
                kind="info_session" if kind_word in _SESSION_WORDS else "event",
            )
            try:
                draft = await self._events.draft_announcement(
                    event, f"{msg.channel}:{msg.user_ref}"
                )
            except BroadcastError:
                # The invitation cannot be made (too long, say): nothing stays behind.
                await self._events.discard(event.id)
                raise
        except (FormError, EventError, BroadcastError) as exc:
            return Outcome((Reply(t("admin.event_refused", reason=str(exc))),))
        count = await self._broadcasts.count(draft.audience)
        preview = t("admin.event_preview", n=count) + "\n\n" + draft.texts.get(t.lang, "")
        nonce = secrets.token_hex(6)
        buttons = (
            (
                Button(t("admin.event_announce"), f"{PREFIX}:go:{event.id}:{draft.id}:{nonce}"),
                Button(t("admin.broadcast_discard"), f"{PREFIX}:x:{event.id}:{draft.id}"),
            ),
        )
        return Outcome((Reply(preview, buttons),))

    async def on_button(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Announce or discard a new event; send an event's attendee list."""
        t = Translator(lang)
        match = _BUTTON.match(msg.button_data)
        if match is None:
            return Outcome(notice=t("button.invalid"))
        event_id = int(match[2])
        event = await self._events.get(event_id)
        if event is None:
            return Outcome(notice=t("button.invalid"))
        if match[1] == "csv":
            content, named, seated = await self._events.attendees_csv(event_id)
            caption = t("admin.event_csv", title=event.title, named=named, seated=seated)
            return Outcome(
                (Reply(caption, document=(f"attendees-event-{event_id}.csv", content)),)
            )
        if match[3] is None:
            return Outcome(notice=t("button.invalid"))
        draft_id = int(match[3])
        if match[1] == "x":
            if not await self._broadcasts.discard(draft_id):
                return Outcome(notice=t("admin.broadcast_already_confirmed"))
            await self._events.discard(event_id)
            return Outcome((Reply(t("admin.broadcast_discarded"), edit=True),))
        if match[4] is None:
            return Outcome(notice=t("button.invalid"))
        made = await self._broadcasts.confirm(
            draft_id,
            event_key=f"event-announce:{match[4]}",
            report_chat=msg.chat_ref,
            report_language=t.lang,
        )
        if made is None:
            return Outcome(duplicate=True)
        await self._events.announced(event_id)
        logger.info("event %d announced (broadcast %d)", event_id, made.id)
        text = t("admin.event_announced", title=event.title, id=made.id)
        return Outcome((Reply(text, edit=True),))

    async def _list(self, t: Translator) -> Reply:
        listed = await self._events.upcoming()
        if not listed:
            return Reply(t("admin.events_none"))
        lines = [t("admin.events_header")]
        rows: list[tuple[Button, ...]] = []
        for event, counts in listed:
            start = datetime.fromisoformat(event.starts_at).astimezone(self._tz)
            lines.append(
                t(
                    "admin.event_line",
                    id=event.id,
                    title=event.title,
                    when=start.strftime("%Y-%m-%d %H:%M"),
                    going=counts.get("going", 0),
                    capacity=event.capacity if event.capacity is not None else "∞",
                    waiting=counts.get("waiting", 0),
                    maybe=counts.get("maybe", 0),
                    no=counts.get("no", 0),
                )
            )
            if event.announced_at is None:
                lines[-1] += " · " + t("admin.event_not_announced")
            rows.append(
                (Button(t("admin.event_attendees", id=event.id), f"{PREFIX}:csv:{event.id}"),)
            )
        return Reply("\n".join(lines), tuple(rows))
