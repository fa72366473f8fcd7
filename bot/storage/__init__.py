"""Persistence: the SQLite connection, migrations and one repository per aggregate."""

from bot.storage.concerns import (
    Concern,
    ConcernRepository,
    ConcernSource,
    ConcernStatus,
    EchoCount,
    FactorTrend,
    Scope,
    VoiceKind,
)
from bot.storage.database import Database, Migration, bundled_migrations, utcnow
from bot.storage.events import ProcessedEventRepository
from bot.storage.follow_ups import (
    DueFollowUp,
    FollowUp,
    FollowUpAnswer,
    FollowUpRepository,
    OutcomeCount,
)
from bot.storage.inbox import InboxRepository
from bot.storage.users import Role, Step, User, UserRepository

__all__ = [
    "Concern",
    "ConcernRepository",
    "ConcernSource",
    "ConcernStatus",
    "Database",
    "DueFollowUp",
    "EchoCount",
    "FactorTrend",
    "FollowUp",
    "FollowUpAnswer",
    "FollowUpRepository",
    "InboxRepository",
    "Migration",
    "OutcomeCount",
    "ProcessedEventRepository",
    "Role",
    "Scope",
    "Step",
    "User",
    "UserRepository",
    "VoiceKind",
    "bundled_migrations",
    "utcnow",
]
