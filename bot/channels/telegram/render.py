"""Translate between Telegram updates and channel-neutral messages; send replies safely."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels.base import Button, IncomingKind, IncomingMessage, Reply, utf16_len
from bot.shared.contacts import ContactService

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_CAPTION = 1024


def event_key(update: Update) -> str:
    """Return the exactly-once key of an update."""
    return f"{CHANNEL}:update:{update.update_id}"


def to_incoming(update: Update) -> IncomingMessage | None:
    """Convert an update into an IncomingMessage, or None when irrelevant.

    In groups only commands count (a partner's team may bind its group and ask /digest);
    the group's own conversation is none of the bot's business.
    """
    user = update.effective_user
    chat = update.effective_chat
    group = chat is not None and chat.type in (chat.GROUP, chat.SUPERGROUP)
    # An anonymous group admin writes as a bot account on behalf of the group itself.
    as_group = (
        group
        and update.message is not None
        and update.message.sender_chat is not None
        and chat is not None
        and update.message.sender_chat.id == chat.id
    )
    if user is None or (user.is_bot and not as_group):
        return None
    if chat is not None and chat.type != chat.PRIVATE and not group:
        return None

    def make(kind: IncomingKind, **fields: str) -> IncomingMessage:
        return IncomingMessage(
            channel=CHANNEL,
            user_ref=str(user.id),
            event_key=event_key(update),
            language_hint=user.language_code,
            display_name=user.full_name,
            kind=kind,
            chat=str(chat.id) if group and chat is not None else "",
            **fields,
        )

    if group:
        message = update.message
        command = _command(message) if message is not None else None
        if message is None or command is None:
            return None
        name, args = command
        return make(IncomingKind.COMMAND, text=message.text or "", command=name, args=args)

    if update.callback_query is not None:
        tapped = update.callback_query.message
        return make(
            IncomingKind.BUTTON,
            button_data=update.callback_query.data or "",
            message_ref=str(tapped.message_id) if isinstance(tapped, Message) else "",
        )
    if update.edited_message is not None:
        return make(IncomingKind.EDITED)
    message = update.message
    if message is None:
        return None
    if message.photo and message.caption and message.caption.startswith("/"):
        # A photo captioned with a command: an admin's broadcast with its picture.
        captioned = _command(message, caption=True)
        if captioned is not None:
            return make(
                IncomingKind.COMMAND,
                text=message.caption,
                command=captioned[0],
                args=captioned[1],
                image_ref=message.photo[-1].file_id,
            )
    if message.text is None:
        if message.photo:
            # A picture: a flow waiting for one (an empty shop's photos) may take it.
            return make(
                IncomingKind.UNSUPPORTED,
                content_type="photo",
                text=message.caption or "",
                image_ref=message.photo[-1].file_id,
            )
        return make(IncomingKind.UNSUPPORTED, content_type=_content_type(message))
    command = _command(message)
    if command is not None:
        name, args = command
        return make(IncomingKind.COMMAND, text=message.text, command=name, args=args)
    return make(IncomingKind.TEXT, text=message.text)


def _command(message: Message, *, caption: bool = False) -> tuple[str, str] | None:
    entities = (message.caption_entities if caption else message.entities) or ()
    text = (message.caption if caption else message.text) or ""
    for entity in entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            raw = text[1 : entity.length]
            name = raw.split("@", 1)[0]
            return name, text[entity.length :].strip()
    return None


def _content_type(message: Message) -> str:
    for attribute in (
        "photo",
        "sticker",
        "voice",
        "video",
        "video_note",
        "audio",
        "document",
        "location",
        "contact",
        "animation",
        "poll",
        "venue",
    ):
        if getattr(message, attribute, None):
            return attribute
    return "other"


def to_markup(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Build an inline keyboard from channel-neutral button rows."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons]
    )


# A preview would fetch the link from Telegram's servers (and show it to the whole group).
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _fit(text: str, limit: int = MAX_TEXT) -> str:
    """Cut a text to Telegram's limit, which counts UTF-16 units (an emoji can count two)."""
    if utf16_len(text) <= limit:
        return text
    units, kept = 0, []
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > limit - 1:
            break
        kept.append(char)
        units += width
    return "".join(kept) + "…"


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> Message:
    """Send one reply as a new message (text, picture or document, with its buttons)."""
    markup = to_markup(reply.buttons)
    if reply.document is not None:
        name, content = reply.document
        return await bot.send_document(
            chat_id,
            document=content,
            filename=name,
            caption=_fit(reply.text, MAX_CAPTION),
            reply_markup=markup,
        )
    picture = reply.image if reply.image is not None else reply.image_ref
    if picture is not None:
        return await bot.send_photo(
            chat_id, photo=picture, caption=_fit(reply.text, MAX_CAPTION), reply_markup=markup
        )
    return await bot.send_message(
        chat_id,
        _fit(reply.text),
        reply_markup=markup,
        link_preview_options=None if reply.preview else _NO_PREVIEW,
    )


async def edit_reply(bot: Bot, chat_id: int, message_id: int, reply: Reply) -> bool:
    """Replace a message's text and buttons; False when it can no longer be edited."""
    try:
        await bot.edit_message_text(
            _fit(reply.text),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=to_markup(reply.buttons),
        )
    except BadRequest as exc:
        text = str(exc).lower()
        if "not modified" in text:
            return True
        if "message to edit not found" in text or "can't be edited" in text:
            return False
        raise
    return True


class TelegramRenderer:
    """Answer taps, and send the odd message outside the outbound port (error notices)."""

    def __init__(self, bot: Bot, contacts: ContactService) -> None:
        self._bot = bot
        self._contacts = contacts

    async def send(self, chat_id: int, reply: Reply) -> bool:
        """Send one reply as a new message; return False when the user blocked the bot."""
        try:
            await send_reply(self._bot, chat_id, reply)
        except Forbidden:
            # No chat id in the log: it identifies a person who may never have consented.
            logger.info("a chat blocked the bot; marking its user if known")
            await self._contacts.mark_blocked(CHANNEL, str(chat_id))
            return False
        return True

    async def answer(self, query: CallbackQuery, notice: str | None) -> None:
        """Stop the tap's spinner, with a short notice if there is one."""
        try:
            await query.answer(text=notice[:200] if notice else None)
        except BadRequest as exc:
            # A tap answered late (after a restart, say) is harmless; the update is still applied.
            if "query is too old" not in str(exc).lower():
                raise
            logger.info("callback query %s answered too late", query.id)
        except TelegramError:
            logger.exception("could not answer callback query %s", query.id)
