"""The ways into the bot for one shopping area: a channel, a core and where the link was found.

A start argument ("core_bru_flagey-poster") rides in Telegram's deep link and in WhatsApp's
pre-filled first message; it names the core and the campaign, never a person. Each way in
also has a short code, for the address printed under a QR code ({public_url}/go/<code>).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

# Letters and digits nobody misreads on paper (no 0/o, 1/l/i).
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 6
_START_ARG = re.compile(r"^core_([a-z0-9_]{1,40})(?:-([a-z]{1,16}))?$")
_CODE = re.compile(rf"^[{_CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


# The button (and its data) that offers to invite a neighbour, shown after the echo and in
# /profile; the reach feature answers it.
INVITE_PREFIX = "rc"
INVITE_BUTTON_DATA = "rc:inv"


class Campaign(StrEnum):
    """Where a link or QR code was found (kept with no one's identity)."""

    POSTER = "poster"
    COUNTER = "counter"  # the A6 card on a shop counter
    SESSION = "session"  # an information session
    NEIGHBOUR = "neighbour"  # forwarded by a neighbour
    NEWSLETTER = "newsletter"  # a partner's newsletter
    SCHOOL = "school"  # a school's QR code (the entrepreneurs' path; a school, not a core)


# The campaigns whose links name a core (a school's link names the school instead).
CORE_CAMPAIGNS = tuple(c for c in Campaign if c is not Campaign.SCHOOL)


@dataclass(frozen=True)
class EntryPoint:
    """One way in: a channel, a core, a campaign."""

    channel: str
    core_id: str
    campaign: Campaign

    @property
    def start_arg(self) -> str:
        """Return the argument the link carries into /start."""
        return start_arg(self.core_id, self.campaign)


def start_arg(core_id: str, campaign: Campaign | None) -> str:
    """Return "core_<id>" or "core_<id>-<campaign>"."""
    return f"core_{core_id}" + (f"-{campaign}" if campaign else "")


def parse_start_arg(arg: str) -> tuple[str, Campaign | None] | None:
    """Return (core id, campaign or None) from a start argument, or None if it is not one.

    An unknown campaign is dropped (the core still counts): links outlive code changes.
    """
    match = _START_ARG.match(arg.strip())
    if match is None:
        return None
    campaign = match[2]
    return match[1], Campaign(campaign) if campaign in set(Campaign) else None


def short_code(entry: EntryPoint) -> str:
    """Return the entry point's short code: the same on every machine, for every run."""
    digest = hashlib.sha256(f"{entry.channel}:{entry.core_id}:{entry.campaign}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    letters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(_CODE_ALPHABET))
        letters.append(_CODE_ALPHABET[index])
    return "".join(letters)


# A channel's link that opens the bot with a start argument: (start argument, language of
# any text the link pre-fills) -> URL.
ChatLink = Callable[[str, str], str]


class EntryLinks:
    """Links into the bot on each configured channel, and the short codes that lead to them."""

    def __init__(
        self,
        links: Mapping[str, ChatLink],
        core_ids: Iterable[str],
        public_url: str | None = None,
    ) -> None:
        self._links = dict(links)
        self._public_url = public_url.rstrip("/") if public_url else None
        self._codes: dict[str, EntryPoint] = {}
        for channel in self._links:
            for core_id in core_ids:
                for campaign in CORE_CAMPAIGNS:
                    entry = EntryPoint(channel, core_id, campaign)
                    code = short_code(entry)
                    if code in self._codes:
                        raise ValueError(f"short code {code} given twice")
                    self._codes[code] = entry

    @property
    def channels(self) -> tuple[str, ...]:
        """Return the channels people can be sent to."""
        return tuple(self._links)

    @property
    def public_url(self) -> str | None:
        """Return the public base URL of the bot's web server, if configured."""
        return self._public_url

    def url(self, entry: EntryPoint, lang: str = "fr") -> str:
        """Return the direct link (what a QR code holds: it works when our server is down)."""
        return self._links[entry.channel](entry.start_arg, lang)

    def link(self, channel: str, arg: str, lang: str = "fr") -> str:
        """Return a channel's link that opens the bot with any start argument."""
        return self._links[channel](arg, lang)

    def short_url(self, entry: EntryPoint) -> str | None:
        """Return {public_url}/go/<code>, for people who type, or None without a public URL."""
        return f"{self._public_url}/go/{short_code(entry)}" if self._public_url else None

    def resolve(self, code: str) -> EntryPoint | None:
        """Return the entry point of a short code, or None."""
        if not _CODE.match(code):
            return None
        return self._codes.get(code)
