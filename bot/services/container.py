"""Build every service once at start-up and close them at shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Settings
from bot.reference import Reference
from bot.services.contacts import ContactService
from bot.services.delivery import DeliveryService
from bot.services.onboarding import OnboardingService
from bot.storage import Database, InboxRepository, ProcessedEventRepository, UserRepository

# Telegram keeps an unconfirmed update for 24 hours; a week of keys is ample.
PROCESSED_EVENTS_RETENTION = timedelta(days=7)


@dataclass
class Services:
    """Hold the shared services of one running bot."""

    settings: Settings
    db: Database
    reference: Reference
    users: UserRepository
    onboarding: OnboardingService
    contacts: ContactService
    delivery: DeliveryService

    async def close(self) -> None:
        """Release the database."""
        await self.db.close()

    async def housekeeping(self) -> int:
        """Prune old exactly-once records and stale inbox copies; return how many went."""
        removed = await ProcessedEventRepository(self.db).prune(PROCESSED_EVENTS_RETENTION)
        return removed + await self.delivery.prune()


async def open_services(settings: Settings) -> Services:
    """Load reference data, open and migrate the database, and wire the services."""
    reference = Reference.load(settings.data_dir)
    db = Database(settings.database_path)
    await db.connect()
    users = UserRepository(db)
    return Services(
        settings=settings,
        db=db,
        reference=reference,
        users=users,
        onboarding=OnboardingService(db, reference),
        contacts=ContactService(users),
        delivery=DeliveryService(InboxRepository(db), users),
    )
