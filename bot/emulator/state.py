"""Hold the emulated Telegram world: users, chats, messages, update queue and bot events."""

from __future__ import annotations

import asyncio
import bisect
import copy
import itertools
import logging
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.formatting import utf16_len
from bot.emulator.models import ApiError, BotEvent, EmulatorLimits, FakeUser, bad_request
from bot.emulator.payloads import FileFactory, bot_user_json, private_chat_json, user_json
from bot.emulator.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

GET_UPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass
class StoredMessage:
    """Hold the current state of one message of a chat."""

    message_id: int
    from_bot: bool
    payload: dict[str, Any]
    markup: dict[str, Any] | None = None

    @property
    def text(self) -> str | None:
        """Return the text, or the caption of a media message."""
        value = self.payload.get("text", self.payload.get("caption"))
        return value if isinstance(value, str) else None

    def summary(self) -> dict[str, Any]:
        """Return the {"message_id", "text", "reply_markup"} view used by tests."""
        return {
            "message_id": self.message_id,
            "text": self.text,
            "reply_markup": copy.deepcopy(self.markup),
        }


@dataclass(frozen=True)
class GroupInfo:
    """A group chat the bot was added to: a negative id and a title."""

    id: int
    title: str


@dataclass
class ChatState:
    """Hold a chat: private with one user, or a group (user: its latest sender)."""

    user: FakeUser
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    last_user_message_id: int | None = None
    group: GroupInfo | None = None

    @property
    def id(self) -> int:
        """Return the chat id: the user's for a private chat, the group's otherwise."""
        return self.group.id if self.group is not None else self.user.id

    def chat_json(self) -> dict[str, Any]:
        """Return the Telegram Chat object of this chat."""
        if self.group is not None:
            # Supergroup ids carry Telegram's -100 prefix.
            kind = "supergroup" if self.group.id < -1_000_000_000_000 else "group"
            return {"id": self.group.id, "type": kind, "title": self.group.title}
        return private_chat_json(self.user)

    def new_message_id(self) -> int:
        """Allocate the next message id (shared by both sides, like Telegram)."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    @property
    def chat_instance(self) -> str:
        """Return the stable chat_instance string of callback queries in this chat."""
        return str(-(7_000_000_000_000_000_000 + abs(self.id)))


@dataclass
class CallbackQueryRecord:
    """Remember a callback query until it is answered or too old."""

    query_id: str
    chat_id: int
    message_id: int
    created_at: float
    answered: bool = False
    expired: bool = False


@dataclass
class PendingUpdate:
    """Hold an update that the bot has not confirmed yet."""

    update_id: int
    kind: str
    payload: dict[str, Any]
    replay: bool = False
    delivered: bool = False


def _command_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entity Telegram adds to a text starting with '/'."""
    if not text.startswith("/") or len(text) < 2:
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


class EmulatorState:
    """Model everything the emulated Bot API knows; inject user actions and read bot actions."""

    def __init__(
        self,
        *,
        limits: EmulatorLimits | None = None,
        bot_username: str = "echoppe_test_bot",
        bot_id: int = 424242,
        callback_query_ttl_s: float = 15.0,
    ) -> None:
        """Create an empty world with no users and no updates."""
        self.limits = limits if limits is not None else EmulatorLimits()
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.callback_query_ttl_s = callback_query_ttl_s
        self.commands: list[dict[str, Any]] = []
        self.commands_by_language: dict[str | None, list[dict[str, Any]]] = {}
        self.commands_by_scope: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_last_error: tuple[int, str] | None = None
        self.allowed_updates: list[str] | None = None
        self.files = FileFactory()
        self.rate_limiter = RateLimiter(lambda: self.limits)
        self.rng = random.Random(self.limits.random_seed)
        self.closing = False
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, ChatState] = {}
        # Groups upgraded to supergroups: old id -> new id.
        self._migrated: dict[int, int] = {}
        self._blocked: set[int] = set()
        self._callback_queries: dict[str, CallbackQueryRecord] = {}
        self._callback_ids = itertools.count(1)
        self._pending: dict[int, PendingUpdate] = {}
        self._history: dict[int, tuple[str, dict[str, Any]]] = {}
        self._next_update_id = 1
        self._poll_generation = 0
        self._events: list[BotEvent] = []
        self._events_by_chat: dict[int, list[BotEvent]] = {}
        self._subscribers: list[Callable[[BotEvent], None]] = []
        self._updates_changed = asyncio.Event()
        # One wake-up event per chat: waking every waiter on every event is quadratic.
        self._chat_events_changed: dict[int, asyncio.Event] = {}

    # ------------------------------------------------------------------ bot identity

    def bot_user(self, *, full: bool = False) -> dict[str, Any]:
        """Return the bot's Telegram User object."""
        return bot_user_json(self.bot_id, self.bot_username, full=full)

    # ------------------------------------------------------------------ user actions

    def _register(self, user: FakeUser) -> ChatState:
        """Remember the user (latest profile wins) and open the private chat if needed."""
        self._users[user.id] = user
        chat = self._chats.get(user.id)
        if chat is None:
            chat = ChatState(user=user)
            self._chats[user.id] = chat
        else:
            chat.user = user
        return chat

    def open_chat(self, user: FakeUser) -> None:
        """Make the user known as someone who started the bot, without sending an update."""
        self._register(user)

    def _user_message(
        self, user: FakeUser, content: dict[str, Any], chat: ChatState | None = None
    ) -> int:
        """Store a message sent by the user (privately, or in `chat`) and queue the update."""
        private = self._register(user)
        chat = chat or private
        message_id = chat.new_message_id()
        payload: dict[str, Any] = {
            "message_id": message_id,
            "from": user_json(user),
            "chat": chat.chat_json(),
            "date": int(time.time()),
            **content,
        }
        chat.messages[message_id] = StoredMessage(message_id, False, payload)
        chat.last_user_message_id = message_id
        return self._push_update("message", payload)

    def send_text(self, user: FakeUser, text: str) -> int:
        """Make the user send a text message; return the update_id."""
        content: dict[str, Any] = {"text": text}
        entities = _command_entities(text)
        if entities:
            content["entities"] = entities
        return self._user_message(user, content)

    def send_group_text(self, user: FakeUser, group_id: int, title: str, text: str) -> int:
        """Make the user send a text in a group the bot is in (created on first use)."""
        if group_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = self._chats.get(group_id)
        if chat is None:
            chat = ChatState(user=user, group=GroupInfo(group_id, title))
            self._chats[group_id] = chat
        chat.user = user
        content: dict[str, Any] = {"text": text}
        entities = _command_entities(text)
        if entities:
            content["entities"] = entities
        return self._user_message(user, content, chat)

    def send_command(self, user: FakeUser, command: str, args: str = "") -> int:
        """Make the user send a command such as /start with optional arguments."""
        text = "/" + command.lstrip("/")
        if args:
            text = f"{text} {args}"
        return self.send_text(user, text)

    def send_photo(
        self, user: FakeUser, *, caption: str | None = None, data: bytes | None = None
    ) -> int:
        """Make the user send a photo (four sizes, like Telegram; the largest holds `data`)."""
        content: dict[str, Any] = {"photo": self.files.photo_sizes(data)}
        if caption:
            content["caption"] = caption
            entities = _command_entities(caption)
            if entities:
                content["caption_entities"] = entities
        return self._user_message(user, content)

    def send_sticker(self, user: FakeUser, *, emoji: str = "👍") -> int:
        """Make the user send a static sticker."""
        return self._user_message(user, {"sticker": self.files.sticker_json(emoji)})

    def send_voice(self, user: FakeUser, *, duration: int = 3) -> int:
        """Make the user send a voice note."""
        return self._user_message(user, {"voice": self.files.voice_json(duration)})

    def send_location(
        self, user: FakeUser, *, latitude: float = 50.8466, longitude: float = 4.3528
    ) -> int:
        """Make the user share a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user, {"location": location})

    def send_contact(self, user: FakeUser, *, phone_number: str = "+32470123456") -> int:
        """Make the user share their own contact card."""
        contact = {"phone_number": phone_number, "first_name": user.first_name, "user_id": user.id}
        return self._user_message(user, {"contact": contact})

    def send_document(
        self,
        user: FakeUser,
        *,
        file_name: str = "catalogue.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> int:
        """Make the user send a document."""
        content: dict[str, Any] = {
            "document": self.files.document_json(file_name, mime_type, 48_213)
        }
        if caption:
            content["caption"] = caption
        return self._user_message(user, content)

    def press_button(self, user: FakeUser, message_id: int, data: str) -> int:
        """Make the user press an inline button of a bot message; return the update_id."""
        chat = self._chats.get(user.id)
        stored = chat.messages.get(message_id) if chat is not None else None
        if chat is None or stored is None or not stored.from_bot:
            raise ValueError(f"no bot message {message_id} in the chat with user {user.id}")
        self._register(user)
        query_id = str(4_000_000_000_000_000_000 + next(self._callback_ids))
        self._callback_queries[query_id] = CallbackQueryRecord(
            query_id=query_id,
            chat_id=chat.id,
            message_id=message_id,
            created_at=time.monotonic(),
        )
        payload = {
            "id": query_id,
            "from": user_json(user),
            "message": stored.payload,
            "chat_instance": chat.chat_instance,
            "data": data,
        }
        return self._push_update("callback_query", payload)

    def edit_text(self, user: FakeUser, message_id: int, new_text: str) -> int:
        """Make the user edit one of their text messages; return the update_id."""
        chat = self._chats.get(user.id)
        stored = chat.messages.get(message_id) if chat is not None else None
        if stored is None or stored.from_bot or "text" not in stored.payload:
            raise ValueError(f"no text message {message_id} sent by user {user.id}")
        self._register(user)
        stored.payload["text"] = new_text
        stored.payload["edit_date"] = int(time.time())
        stored.payload.pop("entities", None)
        entities = _command_entities(new_text)
        if entities:
            stored.payload["entities"] = entities
        return self._push_update("edited_message", stored.payload)

    def last_user_message_id(self, user_id: int) -> int:
        """Return the id of the last message the user sent."""
        chat = self._chats.get(user_id)
        if chat is None or chat.last_user_message_id is None:
            raise ValueError(f"user {user_id} has not sent any message")
        return chat.last_user_message_id

    def block(self, user_id: int) -> None:
        """Make the user block the bot: sending methods to them now fail with 403."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """Make the user unblock the bot."""
        self._blocked.discard(user_id)

    def is_blocked(self, user_id: int) -> bool:
        """Return True if the user blocks the bot."""
        return user_id in self._blocked

    def expire_callback_queries(self) -> None:
        """Make every current callback query too old to be answered."""
        for record in self._callback_queries.values():
            record.expired = True

    def known_user(self, user_id: int) -> FakeUser | None:
        """Return the latest profile of a user who has sent something, if any."""
        return self._users.get(user_id)

    # ------------------------------------------------------------------ update queue

    def _push_update(self, kind: str, body: dict[str, Any]) -> int:
        """Queue a new update of the given kind; return its update_id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        payload = {"update_id": update_id, kind: copy.deepcopy(body)}
        self._history[update_id] = (kind, payload)
        if self.allowed_updates and kind not in self.allowed_updates:
            logger.debug("update %s (%s) filtered out by allowed_updates", update_id, kind)
            return update_id
        self._pending[update_id] = PendingUpdate(update_id, kind, payload)
        self._notify_updates()
        return update_id

    def replay_update(self, update_id: int) -> None:
        """Queue an already delivered update again, with the same update_id."""
        entry = self._history.get(update_id)
        if entry is None:
            raise ValueError(f"unknown update_id {update_id}")
        kind, payload = entry
        self._pending[update_id] = PendingUpdate(
            update_id, kind, copy.deepcopy(payload), replay=True
        )
        self._notify_updates()

    def pending_update_count(self) -> int:
        """Return the number of updates not yet confirmed by the bot."""
        return len(self._pending)

    def drop_pending_updates(self) -> None:
        """Forget every pending update."""
        self._pending.clear()

    def _notify_updates(self) -> None:
        """Wake everyone waiting for the update queue to change."""
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()

    def updates_changed(self) -> asyncio.Event:
        """Return the event set at the next change of the update queue."""
        return self._updates_changed

    def _confirm(self, offset: int) -> None:
        """Forget the updates an offset confirms, with Telegram's semantics."""
        if offset < 0:
            ids = sorted(self._pending)
            for update_id in ids[: max(0, len(ids) + offset)]:
                del self._pending[update_id]
        elif offset > 0:
            for update_id, pending in list(self._pending.items()):
                if update_id < offset and not (pending.replay and not pending.delivered):
                    del self._pending[update_id]

    def _collect(self, limit: int) -> list[dict[str, Any]]:
        """Return up to limit pending updates in update_id order, marking them delivered."""
        batch: list[dict[str, Any]] = []
        for update_id in sorted(self._pending)[:limit]:
            pending = self._pending[update_id]
            pending.delivered = True
            batch.append(pending.payload)
        return batch

    async def poll_updates(self, offset: int, limit: int, wait_s: float) -> list[dict[str, Any]]:
        """Implement getUpdates: confirm by offset, then long-poll up to wait_s seconds."""
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify_updates()  # terminates an older long poll, as Telegram does
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            changed = self._updates_changed
            batch = self._collect(limit)
            if batch or self.closing or self.webhook_url:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            try:
                async with asyncio.timeout(remaining):
                    await changed.wait()
            except TimeoutError:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, GET_UPDATES_CONFLICT)

    def next_webhook_update(self) -> PendingUpdate | None:
        """Return the oldest pending update to POST to the webhook."""
        if not self._pending:
            return None
        return self._pending[min(self._pending)]

    def finish_webhook_delivery(self, pending: PendingUpdate, error: str | None) -> None:
        """Forget an update after a webhook delivery (success or final failure)."""
        if self._pending.get(pending.update_id) is pending:
            del self._pending[pending.update_id]
        if error is not None:
            self.webhook_last_error = (int(time.time()), error)

    # ------------------------------------------------------------------ chats and messages

    def chat(self, chat_id: int) -> ChatState:
        """Return a known chat or raise Telegram's "chat not found" (or "upgraded")."""
        moved = self._migrated.get(chat_id)
        if moved is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": moved},
            )
        chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def upgrade_group(self, group_id: int, supergroup_id: int, *, announce: bool = True) -> int:
        """Turn a group into a supergroup with a new id, as Telegram does.

        With announce, the bot gets the service message saying so (returns its update id);
        without, it learns only when a send to the old id fails (returns 0).
        """
        old = self.chat(group_id)
        assert old.group is not None, "only groups are upgraded"
        new = ChatState(user=old.user, group=GroupInfo(supergroup_id, old.group.title))
        self._chats[supergroup_id] = new
        self._migrated[group_id] = supergroup_id
        if not announce:
            return 0
        # The service message Telegram posts in the old group.
        payload: dict[str, Any] = {
            "message_id": old.new_message_id(),
            "from": user_json(old.user),
            "chat": old.chat_json(),
            "date": int(time.time()),
            "migrate_to_chat_id": supergroup_id,
        }
        return self._push_update("message", payload)

    def add_bot_message(
        self, chat: ChatState, content: dict[str, Any], markup: dict[str, Any] | None
    ) -> StoredMessage:
        """Store a new message sent by the bot and return it."""
        message_id = chat.new_message_id()
        payload: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user(),
            "chat": chat.chat_json(),
            "date": int(time.time()),
            **content,
        }
        if markup is not None and "inline_keyboard" in markup:
            payload["reply_markup"] = markup
        stored = StoredMessage(message_id, True, payload, markup)
        chat.messages[message_id] = stored
        return stored

    def callback_query(self, query_id: str) -> CallbackQueryRecord | None:
        """Return a callback query by id, if it exists."""
        return self._callback_queries.get(query_id)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Return the current state of every bot message of a chat, in send order."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [stored.summary() for stored in chat.messages.values() if stored.from_bot]

    def photo_of(self, chat_id: int, message_id: int) -> bytes | None:
        """Return the bytes of the largest size of a photo the bot sent, if uploaded."""
        chat = self._chats.get(chat_id)
        stored = chat.messages.get(message_id) if chat else None
        if stored is None or not stored.from_bot or "photo" not in stored.payload:
            return None
        largest = self.files.files.get(stored.payload["photo"][-1]["file_id"])
        return None if largest is None else largest.content

    def document_of(self, chat_id: int, message_id: int) -> tuple[str, bytes] | None:
        """Return (file name, bytes) of a document the bot uploaded, if any."""
        chat = self._chats.get(chat_id)
        stored = chat.messages.get(message_id) if chat else None
        if stored is None or not stored.from_bot or "document" not in stored.payload:
            return None
        document = stored.payload["document"]
        kept = self.files.files.get(document["file_id"])
        if kept is None or kept.content is None:
            return None
        return str(document.get("file_name", "")), kept.content

    def last_message(self, chat_id: int) -> dict[str, Any] | None:
        """Return the current state of the most recent bot message of a chat."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return None
        for stored in reversed(chat.messages.values()):
            if stored.from_bot:
                return stored.summary()
        return None

    # ------------------------------------------------------------------ events

    def record_event(
        self,
        *,
        chat_id: int,
        kind: str,
        method: str,
        at: float,
        message_id: int | None = None,
        text: str | None = None,
        reply_markup: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> BotEvent:
        """Append a bot event, wake its waiters and call the subscribers."""
        event = BotEvent(
            seq=len(self._events) + 1,
            chat_id=chat_id,
            kind=kind,
            message_id=message_id,
            text=text,
            reply_markup=copy.deepcopy(reply_markup),
            at=at,
            method=method,
            error=error,
        )
        self._events.append(event)
        self._events_by_chat.setdefault(chat_id, []).append(event)
        changed = self._chat_events_changed.pop(chat_id, None)
        if changed is not None:
            changed.set()
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                logger.exception("emulator event subscriber %r failed", callback)
        return event

    def events(self, chat_id: int | None = None) -> list[BotEvent]:
        """Return every event so far, or those of one chat."""
        if chat_id is None:
            return list(self._events)
        return list(self._events_by_chat.get(chat_id, ()))

    def events_after(self, after_seq: int, chat_id: int | None = None) -> list[BotEvent]:
        """Return the events with seq > after_seq (optionally of one chat)."""
        source = self._events if chat_id is None else self._events_by_chat.get(chat_id, [])
        start = bisect.bisect_right(source, after_seq, key=lambda event: event.seq)
        return source[start:]

    @property
    def last_seq(self) -> int:
        """Return the seq of the latest event (0 if none)."""
        return len(self._events)

    async def wait_for_event(
        self,
        chat_id: int,
        *,
        after_seq: int,
        kinds: Collection[str] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - public API mirrors asyncio.wait_for
    ) -> BotEvent:
        """Wait for the first event of a chat with seq > after_seq (and kind in kinds)."""
        wanted = frozenset(kinds) if kinds is not None else None
        async with asyncio.timeout(timeout):
            while True:
                changed = self._chat_events_changed.setdefault(chat_id, asyncio.Event())
                for event in self.events_after(after_seq, chat_id):
                    if wanted is None or event.kind in wanted:
                        return event
                await changed.wait()

    def subscribe(self, callback: Callable[[BotEvent], None]) -> None:
        """Call callback synchronously on every new event."""
        self._subscribers.append(callback)

    def close_waiters(self) -> None:
        """Release every long poll (used when the server stops)."""
        self.closing = True
        self._notify_updates()
