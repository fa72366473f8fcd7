"""Build every service once at start-up and close them at shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.reference import Reference
from bot.resources import Resources
from bot.services.access import Admins
from bot.services.barometer import BarometerService
from bot.services.barometer_flow import BarometerFlow
from bot.services.broadcast_admin import BroadcastAdminFlow
from bot.services.broadcast_flow import AnnouncementsFlow
from bot.services.broadcasts import BroadcastService, BroadcastSettings
from bot.services.classification import OffLoopClassifier
from bot.services.concern_flow import ConcernFlow
from bot.services.concerns import ConcernService
from bot.services.contacts import ContactService
from bot.services.conversation import ConversationService
from bot.services.delivery import DeliveryService
from bot.services.digest_dispatch import DigestDispatcher
from bot.services.digest_flow import DigestFlow
from bot.services.digest_schedule import WeeklyTime
from bot.services.digests import DigestService
from bot.services.event_admin import EventAdminFlow
from bot.services.event_flow import EventFlow
from bot.services.events import EventService
from bot.services.follow_up_flow import FollowUpFlow
from bot.services.follow_ups import FollowUpService
from bot.services.mailer import SmtpMailer
from bot.services.onboarding import OnboardingService
from bot.services.partner_admin import PartnerAdminFlow
from bot.services.partner_flow import PartnerFlow
from bot.services.partners import PartnerService
from bot.services.privacy import PrivacyFlow
from bot.services.survey_admin import SurveyAdminFlow
from bot.services.survey_flow import SurveyFlow
from bot.services.survey_results import SurveyResults
from bot.services.survey_waves import WaveService
from bot.services.surveys import SurveyService
from bot.storage import Database, InboxRepository, ProcessedEventRepository, UserRepository
from bot.storage.audit import AuditRepository
from bot.storage.retention import Pruned, RetentionRepository
from bot.survey_definitions import Surveys
from nlp.classifier import get_classifier
from nlp.taxonomy import taxonomy

# Telegram keeps an unconfirmed update for 24 hours; a week of keys is ample.
PROCESSED_EVENTS_RETENTION = timedelta(days=7)


@dataclass
class BotIdentity:
    """What the bot learns about itself from its channel at start-up (for invitation links)."""

    username: str | None = None


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
    barometer: BarometerService
    follow_ups: FollowUpService
    follow_up_flow: FollowUpFlow
    partners: PartnerService
    digests: DigestService
    digest_flow: DigestFlow
    digest_dispatcher: DigestDispatcher
    surveys: SurveyService
    survey_flow: SurveyFlow
    waves: WaveService
    conversation: ConversationService
    identity: BotIdentity
    broadcasts: BroadcastService
    announcements: AnnouncementsFlow
    events: EventService
    # None while no SMTP server is configured: digests then go to Telegram only.
    mailer: SmtpMailer | None = None

    async def close(self) -> None:
        """Release the classifier thread and the database."""
        self.classifier.close()
        await self.db.close()

    async def retention(self, now: datetime | None = None) -> Pruned:
        """Delete free text older than the retention period (labels kept anonymously)."""
        moment = now or datetime.now(UTC)
        before = moment - timedelta(days=round(30.44 * self.settings.text_retention_months))
        async with self.db.transaction():
            pruned = await RetentionRepository(self.db).prune(
                before.isoformat(timespec="milliseconds")
            )
        # Shared counts must not keep what is gone.
        self.barometer.forget_cache()
        return pruned

    async def housekeeping(self) -> int:
        """Prune old exactly-once records and stale inbox copies; return how many went."""
        removed = await ProcessedEventRepository(self.db).prune(PROCESSED_EVENTS_RETENTION)
        removed += await self.delivery.prune()
        await self.db.optimize()
        return removed


async def open_services(settings: Settings) -> Services:
    """Load reference data and the model, open and migrate the database, wire the services."""
    reference = Reference.load(settings.data_dir)
    resources = Resources.load(settings.data_dir / "resources")
    definitions = Surveys.load(settings.data_dir / "surveys")
    definitions.check_territories(list(reference.territories))
    classifier = OffLoopClassifier(get_classifier)
    await classifier.start()
    db = Database(settings.database_path)
    await db.connect()
    users = UserRepository(db)
    onboarding = OnboardingService(db, reference)
    follow_ups = FollowUpService(
        db,
        after=timedelta(days=settings.follow_up_after_days),
        from_hour=settings.follow_up_from_hour,
        until_hour=settings.follow_up_until_hour,
        tz=settings.tz,
    )
    barometer = BarometerService(
        db,
        anonymity_k=settings.anonymity_k,
        follow_ups=follow_ups,
        territory_cache_s=settings.barometer_cache_seconds,
    )
    concerns = ConcernService(
        db,
        classifier,
        anonymity_k=settings.anonymity_k,
        flood_per_hour=settings.flood_per_hour,
        follow_ups=follow_ups,
        voices_removed=barometer.forget_cache,
    )
    flow = ConcernFlow(concerns, reference, taxonomy(), resources, settings.anonymity_k)
    barometer_flow = BarometerFlow(
        barometer, flow, reference, taxonomy(), settings.anonymity_k, settings.tz
    )
    follow_up_flow = FollowUpFlow(follow_ups, flow, settings.tz)
    surveys = SurveyService(db, definitions, classifier)
    survey_flow = SurveyFlow(surveys, taxonomy())
    waves = WaveService(
        db,
        definitions,
        window=timedelta(minutes=settings.survey_send_window_minutes),
        remind_after=timedelta(hours=settings.survey_remind_after_hours),
        open_for=timedelta(days=settings.survey_open_days),
        results=SurveyResults(db, settings.anonymity_k),
    )
    partners = PartnerService(db, reference)
    audit = AuditRepository(db)
    admins = Admins([str(a) for a in settings.admin_ids], audit)
    survey_admin = SurveyAdminFlow(
        db,
        definitions,
        waves,
        SurveyResults(db, settings.anonymity_k),
        survey_flow,
        reference,
        admins=admins,
        anonymity_k=settings.anonymity_k,
        send_window_minutes=settings.survey_send_window_minutes,
    )
    digests = DigestService(db, settings.anonymity_k, settings.tz, definitions, reference)
    digest_flow = DigestFlow(
        partners, digests, reference, taxonomy(), settings.anonymity_k, AuditRepository(db)
    )
    identity = BotIdentity(settings.bot_username)
    mailer = SmtpMailer.from_settings(settings)
    broadcasts = BroadcastService(
        db,
        reference,
        BroadcastSettings(
            rate_per_s=settings.broadcast_rate,
            batch=settings.broadcast_batch,
            max_attempts=settings.broadcast_max_attempts,
        ),
    )
    announcements = AnnouncementsFlow(users)
    broadcast_admin = BroadcastAdminFlow(broadcasts, admins, settings.tz)
    events = EventService(db, reference, broadcasts, waves, settings.tz)
    event_admin = EventAdminFlow(events, broadcasts, admins, settings.tz)
    partner_admin = PartnerAdminFlow(partners, admins, lambda: identity.username)
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
        barometer=barometer,
        follow_ups=follow_ups,
        follow_up_flow=follow_up_flow,
        partners=partners,
        digests=digests,
        digest_flow=digest_flow,
        digest_dispatcher=DigestDispatcher(
            db,
            digests,
            WeeklyTime.parse(settings.digest_time),
            settings.tz,
            email=mailer is not None,
        ),
        surveys=surveys,
        survey_flow=survey_flow,
        waves=waves,
        conversation=ConversationService(
            users,
            onboarding,
            flow,
            barometer_flow,
            follow_up_flow,
            survey_flow,
            survey_admin,
            PartnerFlow(partners, reference, AuditRepository(db)),
            partner_admin,
            digest_flow,
            announcements,
            broadcast_admin,
            EventFlow(events),
            event_admin,
            PrivacyFlow(db, barometer.forget_cache),
        ),
        identity=identity,
        broadcasts=broadcasts,
        announcements=announcements,
        events=events,
        mailer=mailer,
    )
