"""Implement the Bot API methods the bot uses, with Telegram's checks and error texts."""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.emulator.formatting import EntityParseError, ParsedText, parse_text, utf16_len
from bot.emulator.models import CHAT_METHODS, SENDING_METHODS, ApiError, bad_request
from bot.emulator.params import Params, UploadedFile, validate_reply_markup
from bot.emulator.state import ChatState, EmulatorState, StoredMessage

logger = logging.getLogger(__name__)

Handler = Callable[[Params], Awaitable[Any]]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
BLOCKED = "Forbidden: bot was blocked by the user"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Message fields that belong to the original message and are not carried by a copy.
_NOT_COPIED = frozenset({"message_id", "from", "chat", "date", "edit_date", "reply_markup"})
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class WebhookControl(Protocol):
    """Start and stop the delivery of updates to the webhook."""

    def start(self) -> None:
        """Start delivering pending updates to the configured webhook."""

    def stop(self) -> None:
        """Stop delivering updates."""


def _inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the markup if it is an inline keyboard (the only kind attached to messages)."""
    if markup is not None and "inline_keyboard" in markup:
        return markup
    return None


def _event_kind(payload: dict[str, Any]) -> str:
    """Return the event kind matching the content of a message payload."""
    if "photo" in payload:
        return "send_photo"
    if "document" in payload:
        return "send_document"
    return "send_message"


class BotApiMethods:
    """Dispatch Bot API calls (case-insensitive method names) to their implementations."""

    def __init__(self, state: EmulatorState, webhook: WebhookControl) -> None:
        """Bind the methods to the emulator state and webhook control."""
        self._state = state
        self._webhook = webhook
        self._last_commands_key: tuple[str, str | None] | None = None
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.log_out,
            "close": self.close,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "answerCallbackQuery": self.answer_callback_query,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "deleteMessage": self.delete_message,
            "sendChatAction": self.send_chat_action,
            "getChat": self.get_chat,
            "getFile": self.get_file,
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    async def call(self, method: str, params: Params) -> Any:
        """Run one Bot API method; raise ApiError with Telegram's error on failure."""
        entry = self._handlers.get(method.lower())
        if entry is None:
            raise ApiError(404, "Not Found: method not found")
        name, handler = entry
        try:
            return await handler(params)
        except ApiError as exc:
            if name in CHAT_METHODS:
                self._record_rejection(name, params, exc)
            raise

    # ------------------------------------------------------------------ shared checks

    def _record_rejection(self, method: str, params: Params, exc: ApiError) -> None:
        """Record a "rejected" event for a refused call aimed at a chat."""
        chat_id = 0
        message_id: int | None = None
        if method == "answerCallbackQuery":
            record = self._state.callback_query(str(params.values.get("callback_query_id", "")))
            if record is not None:
                chat_id, message_id = record.chat_id, record.message_id
        else:
            try:
                chat_id = params.integer("chat_id") or 0
                message_id = params.integer("message_id")
            except ApiError:
                pass
        text = params.values.get("text", params.values.get("caption"))
        self._state.record_event(
            chat_id=chat_id,
            kind="rejected",
            method=method,
            at=params.received_at,
            message_id=message_id,
            text=text if isinstance(text, str) else None,
            error=exc.description,
        )

    def _chat(self, params: Params, name: str = "chat_id") -> ChatState:
        """Return the private chat a call targets."""
        raw = params.values.get(name)
        if raw is None or raw == "":
            raise bad_request(f"{name} is empty")
        try:
            chat_id = params.integer(name)
        except ApiError:
            raise bad_request("chat not found") from None
        assert chat_id is not None
        return self._state.chat(chat_id)

    def _gate(self, method: str, chat: ChatState) -> None:
        """Refuse a sending call to a user who blocks the bot, or over the flood limits."""
        chat_id = chat.id
        if self._state.is_blocked(chat_id):
            raise ApiError(403, BLOCKED)
        if method in SENDING_METHODS:
            limits = self._state.limits
            if limits.random_429_share > 0 and self._state.rng.random() < limits.random_429_share:
                retry = limits.random_429_retry_after
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
            retry_after = self._state.rate_limiter.acquire(chat_id)
            if retry_after is not None:
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )

    @staticmethod
    def _message_id(params: Params) -> int:
        """Return the message_id parameter."""
        message_id = params.integer(
            "message_id", required=True, missing="message identifier is not specified"
        )
        assert message_id is not None
        return message_id

    @staticmethod
    def _formatted(text: str, params: Params, mode_key: str, entities_key: str) -> ParsedText:
        """Apply explicit entities or the parse mode to a text or caption."""
        entities = params.json_value(entities_key, f"can't parse {entities_key} JSON object")
        if entities is not None:
            if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
                raise bad_request(f'field "{entities_key}" must be an Array')
            return ParsedText(text=text, entities=entities)
        try:
            return parse_text(text, params.string(mode_key))
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        except ValueError:
            raise bad_request("unsupported parse_mode") from None

    def _message_text(self, params: Params) -> ParsedText:
        """Return the parsed text of sendMessage/editMessageText, checked like Telegram."""
        raw = params.string("text")
        if raw is None:
            raise bad_request("message text is empty")
        parsed = self._formatted(raw, params, "parse_mode", "entities")
        if not parsed.text.strip():
            raise bad_request("message text is empty")
        if utf16_len(parsed.text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return parsed

    def _caption(self, params: Params) -> ParsedText | None:
        """Return the parsed caption of a media message, if any."""
        raw = params.string("caption")
        if not raw:
            return None
        parsed = self._formatted(raw, params, "parse_mode", "caption_entities")
        if utf16_len(parsed.text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return parsed if parsed.text.strip() else None

    @staticmethod
    def _text_content(parsed: ParsedText, key: str = "text") -> dict[str, Any]:
        """Return the message fields for a text (key="text") or caption (key="caption")."""
        content: dict[str, Any] = {key: parsed.text}
        if parsed.entities:
            content["entities" if key == "text" else "caption_entities"] = parsed.entities
        return content

    def _reply_to(self, params: Params, chat: ChatState) -> dict[str, Any]:
        """Return the reply_to_message field for reply_parameters/reply_to_message_id."""
        reply = params.json_value("reply_parameters")
        allow_missing = params.boolean("allow_sending_without_reply")
        reply_id: int | None
        if isinstance(reply, dict):
            try:
                reply_id = int(reply.get("message_id", 0))
            except (TypeError, ValueError):
                raise bad_request('field "message_id" must be of type Integer') from None
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        else:
            reply_id = params.integer("reply_to_message_id")
        if not reply_id:
            return {}
        target = chat.messages.get(reply_id)
        if target is None:
            if allow_missing:
                return {}
            raise bad_request("message to be replied not found")
        quoted = copy.deepcopy(target.payload)
        quoted.pop("reply_to_message", None)
        return {"reply_to_message": quoted}

    def _send(
        self, method: str, chat: ChatState, content: dict[str, Any], params: Params
    ) -> StoredMessage:
        """Store a bot message after the reply/markup checks and record its event."""
        markup = validate_reply_markup(params.values.get("reply_markup"))
        content = {**content, **self._reply_to(params, chat)}
        self._gate(method, chat)
        stored = self._state.add_bot_message(chat, content, markup)
        self._state.record_event(
            chat_id=chat.id,
            kind=_event_kind(stored.payload),
            method=method,
            at=params.received_at,
            message_id=stored.message_id,
            text=stored.text,
            reply_markup=markup,
        )
        return stored

    def _editable(self, params: Params) -> tuple[ChatState, StoredMessage]:
        """Return the chat and bot message an edit targets."""
        if params.has("inline_message_id") and not params.has("chat_id"):
            raise bad_request("inline messages are not supported by the emulator")
        chat = self._chat(params)
        stored = chat.messages.get(self._message_id(params))
        if stored is None:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return chat, stored

    @staticmethod
    def _edit_markup(params: Params) -> dict[str, Any] | None:
        """Return the inline keyboard of an edit (only inline keyboards are allowed)."""
        markup = validate_reply_markup(params.values.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    # ------------------------------------------------------------------ identity and updates

    async def get_me(self, params: Params) -> Any:
        """Return the bot user."""
        return self._state.bot_user(full=True)

    async def log_out(self, params: Params) -> Any:
        """Pretend to log out from the cloud Bot API server."""
        return True

    async def close(self, params: Params) -> Any:
        """Pretend to close the bot instance."""
        return True

    async def get_updates(self, params: Params) -> Any:
        """Return pending updates, long-polling up to timeout seconds."""
        if self._state.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.integer("offset") or 0
        limit = params.integer("limit") or 100
        timeout = params.number("timeout") or 0.0
        allowed = params.json_value("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed_updates JSON object")
            self._state.allowed_updates = [str(kind) for kind in allowed] or None
        return await self._state.poll_updates(
            offset, max(1, min(100, limit)), max(0.0, min(50.0, timeout))
        )

    async def set_webhook(self, params: Params) -> Any:
        """Set (or remove, with an empty url) the webhook."""
        url = params.string("url") or ""
        if not url:
            return await self.delete_webhook(params)
        if not url.lower().startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.string("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.json_value("allowed_updates")
        if isinstance(allowed, list):
            self._state.allowed_updates = [str(kind) for kind in allowed] or None
        if params.boolean("drop_pending_updates"):
            self._state.drop_pending_updates()
        self._state.webhook_url = url
        self._state.webhook_secret = secret
        self._state.webhook_last_error = None
        self._webhook.start()
        logger.debug("webhook set to %s", url)
        return True

    async def delete_webhook(self, params: Params) -> Any:
        """Remove the webhook, optionally dropping pending updates."""
        if params.boolean("drop_pending_updates"):
            self._state.drop_pending_updates()
        self._state.webhook_url = None
        self._state.webhook_secret = None
        self._webhook.stop()
        return True

    async def get_webhook_info(self, params: Params) -> Any:
        """Describe the current webhook."""
        info: dict[str, Any] = {
            "url": self._state.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": self._state.pending_update_count(),
        }
        if self._state.webhook_url:
            info["max_connections"] = 40
        if self._state.allowed_updates:
            info["allowed_updates"] = list(self._state.allowed_updates)
        if self._state.webhook_last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._state.webhook_last_error
        return info

    # ------------------------------------------------------------------ commands

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str | None]:
        """Return the (scope, language_code) key of a *MyCommands call."""
        scope = params.json_value("scope", "can't parse BotCommandScope JSON object")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope JSON object")
        language = params.string("language_code") or None
        if language is not None and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    async def set_my_commands(self, params: Params) -> Any:
        """Store the bot's command list for a scope and language."""
        commands = params.json_value("commands", "can't parse commands JSON object")
        if commands is None:
            raise bad_request('parameter "commands" is required')
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise bad_request("can't parse commands JSON object")
        cleaned: list[dict[str, Any]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = item.get("command")
            description = item.get("description")
            if not isinstance(command, str) or not _COMMAND_RE.fullmatch(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("command description must be non-empty")
            cleaned.append({"command": command, "description": description})
        key = self._commands_key(params)
        self._state.commands_by_scope[key] = cleaned
        if key[0] == '{"type": "default"}':
            self._state.commands_by_language[key[1]] = cleaned
        self._state.commands = cleaned
        self._last_commands_key = key
        return True

    async def get_my_commands(self, params: Params) -> Any:
        """Return the command list of a scope and language."""
        return list(self._state.commands_by_scope.get(self._commands_key(params), []))

    async def delete_my_commands(self, params: Params) -> Any:
        """Delete the command list of a scope and language."""
        key = self._commands_key(params)
        self._state.commands_by_scope.pop(key, None)
        if key[0] == '{"type": "default"}':
            self._state.commands_by_language.pop(key[1], None)
        if key == self._last_commands_key:
            self._state.commands = []
        return True

    # ------------------------------------------------------------------ messages

    async def send_message(self, params: Params) -> Any:
        """Send a text message to a private chat."""
        chat = self._chat(params)
        parsed = self._message_text(params)
        content = self._text_content(parsed)
        # Kept as Telegram keeps it on the Message, so tests can see previews were turned off.
        preview = params.json_value("link_preview_options", "link preview options")
        if isinstance(preview, dict) and preview:
            content["link_preview_options"] = preview
        return self._send("sendMessage", chat, content, params).payload

    async def edit_message_text(self, params: Params) -> Any:
        """Edit the text (and inline keyboard) of a bot message."""
        chat, stored = self._editable(params)
        if "text" not in stored.payload:
            raise bad_request("there is no text in the message to edit")
        parsed = self._message_text(params)
        markup = self._edit_markup(params)
        if (
            parsed.text == stored.payload["text"]
            and parsed.entities == stored.payload.get("entities", [])
            and markup == _inline_only(stored.markup)
        ):
            raise bad_request(NOT_MODIFIED)
        self._gate("editMessageText", chat)
        stored.payload["text"] = parsed.text
        stored.payload.pop("entities", None)
        if parsed.entities:
            stored.payload["entities"] = parsed.entities
        self._apply_markup(stored, markup)
        self._state.record_event(
            chat_id=chat.id,
            kind="edit_text",
            method="editMessageText",
            at=params.received_at,
            message_id=stored.message_id,
            text=parsed.text,
            reply_markup=markup,
        )
        return stored.payload

    async def edit_message_reply_markup(self, params: Params) -> Any:
        """Replace (or remove) the inline keyboard of a bot message."""
        chat, stored = self._editable(params)
        markup = self._edit_markup(params)
        if markup == _inline_only(stored.markup):
            raise bad_request(NOT_MODIFIED)
        self._gate("editMessageReplyMarkup", chat)
        self._apply_markup(stored, markup)
        self._state.record_event(
            chat_id=chat.id,
            kind="edit_markup",
            method="editMessageReplyMarkup",
            at=params.received_at,
            message_id=stored.message_id,
            text=stored.text,
            reply_markup=markup,
        )
        return stored.payload

    @staticmethod
    def _apply_markup(stored: StoredMessage, markup: dict[str, Any] | None) -> None:
        """Set the inline keyboard of an edited message and stamp the edit date."""
        stored.markup = markup
        if markup is None:
            stored.payload.pop("reply_markup", None)
        else:
            stored.payload["reply_markup"] = markup
        stored.payload["edit_date"] = int(time.time())

    async def answer_callback_query(self, params: Params) -> Any:
        """Answer a callback query once, within its lifetime."""
        query_id = params.string("callback_query_id", required=True)
        assert query_id is not None
        record = self._state.callback_query(query_id)
        if (
            record is None
            or record.answered
            or record.expired
            or params.received_at - record.created_at > self._state.callback_query_ttl_s
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = params.string("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        self._state.record_event(
            chat_id=record.chat_id,
            kind="answer_callback",
            method="answerCallbackQuery",
            at=params.received_at,
            message_id=record.message_id,
            text=text,
        )
        return True

    # ------------------------------------------------------------------ files

    @staticmethod
    def _input_file(params: Params, name: str) -> UploadedFile | str | None:
        """Return the uploaded file or the file_id/URL string given for a file parameter."""
        if name in params.files:
            return params.files[name]
        value = params.string(name)
        if value is None or value == "":
            return None
        if value.startswith("attach://"):
            attached = params.files.get(value.removeprefix("attach://"))
            if attached is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return attached
        return value

    def _existing_media(self, kind: str, reference: str) -> Any:
        """Return the stored media object for a file_id, or a fresh one for a URL."""
        known = self._state.files.media.get(reference)
        if known is not None:
            if known[0] != kind:
                raise bad_request("type of file mismatch")
            return copy.deepcopy(known[1])
        if not reference.lower().startswith(("http://", "https://")):
            raise bad_request("wrong file identifier/HTTP URL specified")
        if kind == "photo":
            return self._state.files.photo_sizes()
        file_name = reference.rstrip("/").rsplit("/", 1)[-1] or "file"
        return self._state.files.document_json(file_name, "application/octet-stream", 10_240)

    async def send_photo(self, params: Params) -> Any:
        """Send a photo (uploaded, by file_id or by URL) to a private chat."""
        chat = self._chat(params)
        source = self._input_file(params, "photo")
        if source is None:
            raise bad_request("there is no photo in the request")
        caption = self._caption(params)
        if isinstance(source, UploadedFile):
            if not source.body:
                raise bad_request("file must be non-empty")
            sizes: Any = self._state.files.photo_sizes(source.body)
        else:
            sizes = self._existing_media("photo", source)
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content.update(self._text_content(caption, "caption"))
        return self._send("sendPhoto", chat, content, params).payload

    async def send_document(self, params: Params) -> Any:
        """Send a document (uploaded, by file_id or by URL) to a private chat."""
        chat = self._chat(params)
        source = self._input_file(params, "document")
        if source is None:
            raise bad_request("there is no document in the request")
        caption = self._caption(params)
        if isinstance(source, UploadedFile):
            if not source.body:
                raise bad_request("file must be non-empty")
            document: Any = self._state.files.document_json(
                source.filename or "document",
                source.content_type or "application/octet-stream",
                len(source.body),
                source.body,
            )
        else:
            document = self._existing_media("document", source)
        content: dict[str, Any] = {"document": document}
        if caption is not None:
            content.update(self._text_content(caption, "caption"))
        return self._send("sendDocument", chat, content, params).payload

    async def get_file(self, params: Params) -> Any:
        """Return the File object of a known file_id."""
        file_id = params.string("file_id", required=True)
        stored = self._state.files.files.get(file_id or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ other chat methods

    def _source_message(self, params: Params, missing: str) -> StoredMessage:
        """Return the message a copy/forward refers to."""
        source_chat = self._chat(params, "from_chat_id")
        stored = source_chat.messages.get(self._message_id(params))
        if stored is None:
            raise bad_request(missing)
        return stored

    async def copy_message(self, params: Params) -> Any:
        """Copy a message's content into a chat; return its MessageId."""
        chat = self._chat(params)
        source = self._source_message(params, "message to copy not found")
        content = {
            key: copy.deepcopy(value)
            for key, value in source.payload.items()
            if key not in _NOT_COPIED and key not in ("reply_to_message", "forward_origin")
        }
        caption = self._caption(params)
        if caption is not None and "text" not in content:
            content.pop("caption_entities", None)
            content.update(self._text_content(caption, "caption"))
        stored = self._send("copyMessage", chat, content, params)
        return {"message_id": stored.message_id}

    async def forward_message(self, params: Params) -> Any:
        """Forward a message into a chat."""
        chat = self._chat(params)
        source = self._source_message(params, "message to forward not found")
        content = {
            key: copy.deepcopy(value)
            for key, value in source.payload.items()
            if key not in _NOT_COPIED
        }
        content["forward_origin"] = {
            "type": "user",
            "sender_user": copy.deepcopy(source.payload["from"]),
            "date": source.payload["date"],
        }
        params.values.pop("reply_markup", None)
        return self._send("forwardMessage", chat, content, params).payload

    async def delete_message(self, params: Params) -> Any:
        """Delete a message of a private chat."""
        chat = self._chat(params)
        message_id = self._message_id(params)
        stored = chat.messages.pop(message_id, None)
        if stored is None:
            raise bad_request("message to delete not found")
        self._state.record_event(
            chat_id=chat.id,
            kind="delete_message",
            method="deleteMessage",
            at=params.received_at,
            message_id=message_id,
            text=stored.text,
        )
        return True

    async def send_chat_action(self, params: Params) -> Any:
        """Accept a chat action ("typing", ...) for a private chat."""
        chat = self._chat(params)
        action = params.string("action", required=True)
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._gate("sendChatAction", chat)
        return True

    async def get_chat(self, params: Params) -> Any:
        """Return the ChatFullInfo of a known private chat."""
        chat = self._chat(params)
        return {
            **chat.chat_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }
