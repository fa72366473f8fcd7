"""What every feature shares: the SQLite connection, migrations, users, the inbox, audit."""

from bot.storage.database import Database, Migration, bundled_migrations, utcnow
from bot.storage.events import ProcessedEventRepository
from bot.storage.inbox import InboxRepository
from bot.storage.users import CONSENT_VERSION, Role, Step, User, UserRepository

__all__ = [
    "CONSENT_VERSION",
    "Database",
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
