"""Persistence: the SQLite connection, migrations and one repository per aggregate."""

from bot.storage.concerns import Concern, ConcernRepository, ConcernStatus, EchoCount
from bot.storage.database import Database, Migration, bundled_migrations, utcnow
from bot.storage.events import ProcessedEventRepository
from bot.storage.inbox import InboxRepository
from bot.storage.users import Role, Step, User, UserRepository

__all__ = [
    "Concern",
    "ConcernRepository",
    "ConcernStatus",
    "Database",
    "EchoCount",
    "InboxRepository",
    "Migration",
    "ProcessedEventRepository",
    "Role",
    "Step",
    "User",
    "UserRepository",
    "bundled_migrations",
    "utcnow",
]
