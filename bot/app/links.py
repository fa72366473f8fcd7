"""Build the links into the bot for each configured channel (posters, invitations, /go/)."""

from __future__ import annotations

from bot.channels.telegram.links import start_link
from bot.channels.whatsapp.links import chat_link
from bot.config import Settings
from bot.features.reach.links import ChatLink, EntryLinks
from bot.i18n import translate
from bot.reference import Reference


def entry_links(
    settings: Settings, reference: Reference, telegram_username: str | None = None
) -> EntryLinks:
    """Return the links of the channels people can be sent to with what is configured.

    Telegram needs the bot's @username (learnt at start-up, or ECHOPPE_BOT_USERNAME), WhatsApp
    the business number (ECHOPPE_WHATSAPP_NUMBER).
    """
    links: dict[str, ChatLink] = {}
    # WhatsApp first: most shopkeepers use it.
    number = settings.whatsapp_number
    if number:
        links["whatsapp"] = lambda arg, lang: chat_link(
            number, translate(lang, "whatsapp.greeting"), arg
        )
    username = telegram_username or settings.bot_username
    if username:
        links["telegram"] = lambda arg, _lang: start_link(username, arg)
    cores = [core.id for territory in reference.territories.values() for core in territory.cores]
    return EntryLinks(links, cores, settings.public_url)
