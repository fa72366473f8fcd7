"""Join two channel accounts of one person with a one-time code."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.features.linking.store import LinkRepository
from bot.storage import Database, User, UserRepository

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
# Easy to read aloud and to type: no 0/O, 1/I/L.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8
# Wrong codes one channel identity may try in a row before it must wait for a fresh start.
MAX_TRIES = 5


class LinkStatus(StrEnum):
    """What became of a code."""

    LINKED = "linked"
    INVALID = "invalid"
    SAME_PERSON = "same_person"
    TOO_MANY_TRIES = "too_many_tries"


@dataclass(frozen=True)
class LinkResult:
    """The outcome of using a code, and the person it now belongs to."""

    status: LinkStatus
    person: User | None = None


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise(code: str) -> str:
    """Return a typed code as stored: upper case, without spaces or dashes."""
    return "".join(c for c in code.upper() if c.isalnum())


class LinkService:
    """Give a person a code on one channel; join the account that sends it on another."""

    def __init__(
        self,
        db: Database,
        users: UserRepository,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._users = users
        self._repo = LinkRepository(db)
        self._clock = clock
        self._tries: dict[tuple[str, str], int] = {}

    async def new_code(self, user: User) -> str:
        """Return a fresh one-time code for this person (the older one stops working)."""
        code = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
        expires = (self._clock() + CODE_TTL).isoformat(timespec="milliseconds")
        async with self._db.transaction():
            await self._repo.keep_code(user.id, _hash(code), expires)
        return f"{code[:4]}-{code[4:]}"

    async def use_code(self, code: str, channel: str, external_id: str) -> LinkResult:
        """Join this channel identity to the person whose code it is."""
        who = (channel, external_id)
        if self._tries.get(who, 0) >= MAX_TRIES:
            return LinkResult(LinkStatus.TOO_MANY_TRIES)
        now = self._clock().isoformat(timespec="milliseconds")
        async with self._db.transaction():
            owner = await self._repo.take_code(_hash(normalise(code)), now)
            if owner is None:
                self._tries[who] = self._tries.get(who, 0) + 1
                return LinkResult(LinkStatus.INVALID)
            current = await self._users.get(channel, external_id)
            if current is not None and current.id == owner:
                return LinkResult(LinkStatus.SAME_PERSON, current)
            await self._repo.join(
                owner, current.id if current is not None else None, channel, external_id
            )
        self._tries.pop(who, None)
        logger.info("two accounts were joined into one person")
        return LinkResult(LinkStatus.LINKED, await self._users.get(channel, external_id))
