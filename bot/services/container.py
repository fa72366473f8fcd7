"""Build every service once at start-up and close them at shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Settings
from bot.reference import Reference
from bot.resources import Resources
from bot.services.classification import OffLoopClassifier
from bot.services.concern_flow import ConcernFlow
from bot.services.concerns import ConcernService
from bot.services.contacts import ContactService
from bot.services.conversation import ConversationService
from bot.services.delivery import DeliveryService
from bot.services.onboarding import OnboardingService
from bot.storage import Database, InboxRepository, ProcessedEventRepository, UserRepository
from nlp.classifier import get_classifier
from nlp.taxonomy import taxonomy

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
    classifier: OffLoopClassifier
    concerns: ConcernService
    conversation: ConversationService

    async def close(self) -> None:
        """Release the classifier thread and the database."""
        self.classifier.close()
        await self.db.close()

    async def housekeeping(self) -> int:
        """Prune old exactly-once records and stale inbox copies; return how many went."""
        removed = await ProcessedEventRepository(self.db).prune(PROCESSED_EVENTS_RETENTION)
        return removed + await self.delivery.prune()


async def open_services(settings: Settings) -> Services:
    """Load reference data and the model, open and migrate the database, wire the services."""
    reference = Reference.load(settings.data_dir)
    resources = Resources.load(settings.data_dir / "resources")
    classifier = OffLoopClassifier(get_classifier)
    await classifier.start()
    db = Database(settings.database_path)
    await db.connect()
    users = UserRepository(db)
    onboarding = OnboardingService(db, reference)
    concerns = ConcernService(
        db,
        classifier,
        anonymity_k=settings.anonymity_k,
        flood_per_hour=settings.flood_per_hour,
    )
    flow = ConcernFlow(concerns, reference, taxonomy(), resources, settings.anonymity_k)
    return Services(
        settings=settings,
        db=db,
        reference=reference,
        users=users,
        onboarding=onboarding,
        contacts=ContactService(users),
        delivery=DeliveryService(InboxRepository(db), users),
        classifier=classifier,
        concerns=concerns,
        conversation=ConversationService(users, onboarding, flow),
    )
