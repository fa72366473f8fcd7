"""Build Telegram JSON objects (users, chats, files) that python-telegram-bot can de_json."""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

from bot.emulator.models import FakeUser

BOT_FIRST_NAME = "Échoppe"

# Prefixes that make fake file ids look like the real ones for each kind of file.
_FILE_ID_PREFIXES = {
    "photo": "AgACAgQAAxkBAAI",
    "document": "BQACAgQAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "voice": "AwACAgQAAxkBAAI",
    "thumbnail": "AAMCAgADGQEAAi",
}
_FILE_EXTENSIONS = {
    "photo": "jpg",
    "document": "bin",
    "sticker": "webp",
    "voice": "oga",
    "thumbnail": "jpg",
}


@dataclass
class StoredFile:
    """Describe a file the emulator can serve through getFile and the file URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    size: int
    content: bytes | None = None

    def data(self) -> bytes:
        """Return the file bytes (fake files get deterministic filler bytes)."""
        if self.content is not None:
            return self.content
        seed = hashlib.sha256(self.file_unique_id.encode()).digest()
        return (seed * (self.size // len(seed) + 1))[: self.size]


def user_json(user: FakeUser) -> dict[str, Any]:
    """Return the Telegram User object of a fake user."""
    data: dict[str, Any] = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    if user.username:
        data["username"] = user.username
    if user.language_code:
        data["language_code"] = user.language_code
    return data


def private_chat_json(user: FakeUser) -> dict[str, Any]:
    """Return the Telegram Chat object of the private chat with a fake user."""
    data: dict[str, Any] = {"id": user.id, "type": "private", "first_name": user.first_name}
    if user.username:
        data["username"] = user.username
    return data


def bot_user_json(bot_id: int, username: str, *, full: bool = False) -> dict[str, Any]:
    """Return the Telegram User object of the bot (full=True: as getMe returns it)."""
    data: dict[str, Any] = {
        "id": bot_id,
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": username,
    }
    if full:
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
    return data


class FileFactory:
    """Mint realistic, unique file ids and remember the files for getFile."""

    def __init__(self) -> None:
        """Start with no files."""
        self._counter = itertools.count(1)
        self.files: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        # file_id -> (kind, Telegram object) so that a file can be sent again by its id.
        self.media: dict[str, tuple[str, Any]] = {}

    def new_file(self, kind: str, size: int, content: bytes | None = None) -> StoredFile:
        """Create and register a file of the given kind ("photo", "document", ...)."""
        number = next(self._counter)
        digest = hashlib.sha256(f"{kind}:{number}".encode()).digest()
        tail = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        file_id = f"{_FILE_ID_PREFIXES.get(kind, 'BQACAgQAAxkBAAI')}{number:05d}{tail[:40]}"
        unique_id = f"AQAD{tail[40:43]}{number:06d}"
        path = f"{kind}s/file_{number}.{_FILE_EXTENSIONS.get(kind, 'bin')}"
        stored = StoredFile(file_id, unique_id, path, size, content)
        self.files[file_id] = stored
        self.by_path[path] = stored
        return stored

    def photo_sizes(self, content: bytes | None = None) -> list[dict[str, Any]]:
        """Create the PhotoSize list Telegram returns for one photo (smallest first)."""
        dims = ((90, 67), (320, 240), (800, 600), (1280, 960))
        sizes: list[dict[str, Any]] = []
        for index, (width, height) in enumerate(dims):
            last = index == len(dims) - 1
            size = len(content) if (content is not None and last) else width * height // 12
            stored = self.new_file("photo", size, content if last else None)
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": size,
                    "width": width,
                    "height": height,
                }
            )
        for photo_size in sizes:
            self.media[photo_size["file_id"]] = ("photo", sizes)
        return sizes

    def file_json(self, kind: str, size: int, content: bytes | None = None) -> dict[str, Any]:
        """Create a file and return its base fields (file_id, file_unique_id, file_size)."""
        stored = self.new_file(kind, size, content)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }

    def sticker_json(self, emoji: str) -> dict[str, Any]:
        """Create a regular static sticker payload."""
        return {
            **self.file_json("sticker", 24_576),
            "width": 512,
            "height": 512,
            "emoji": emoji,
            "set_name": "EchoppeTestStickers",
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "thumbnail": {**self.file_json("thumbnail", 5_120), "width": 128, "height": 128},
        }

    def voice_json(self, duration: int) -> dict[str, Any]:
        """Create a voice note payload."""
        return {
            **self.file_json("voice", 4_000 * max(1, duration)),
            "duration": duration,
            "mime_type": "audio/ogg",
        }

    def document_json(
        self, file_name: str, mime_type: str, size: int, content: bytes | None = None
    ) -> dict[str, Any]:
        """Create a document payload."""
        document = {
            **self.file_json("document", size, content),
            "file_name": file_name,
            "mime_type": mime_type,
        }
        self.media[document["file_id"]] = ("document", document)
        return document
