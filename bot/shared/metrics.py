"""The bot's own figures for operators, in Prometheus' text format (no person in them)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Classification runs off the loop in a few milliseconds; a slow machine or a long text, more.
CLASSIFY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """Counters of one running bot, kept in their own registry (one per bot, per test)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "echoppe_updates_handled",
            "User actions applied (messages, commands, taps), by channel and kind.",
            ("channel", "kind"),
            registry=self.registry,
        )
        self.replies = Counter(
            "echoppe_replies_sent",
            "Sends to a person or a group, by channel and outcome.",
            ("channel", "outcome"),
            registry=self.registry,
        )
        self.jobs = Counter(
            "echoppe_jobs_run",
            "Runs of the recurring jobs, by job.",
            ("job",),
            registry=self.registry,
        )
        self.job_failures = Counter(
            "echoppe_jobs_failed",
            "Runs of the recurring jobs that raised, by job.",
            ("job",),
            registry=self.registry,
        )
        self.classification = Histogram(
            "echoppe_classification_seconds",
            "Time to classify one message (off the event loop).",
            buckets=CLASSIFY_BUCKETS,
            registry=self.registry,
        )
        self.outbox = Gauge(
            "echoppe_outbox_depth",
            "What waits to be sent: answers, notices, announcements (read at each scrape).",
            ("outbox",),
            registry=self.registry,
        )

    def text(self) -> bytes:
        """Return every figure in Prometheus' text exposition format."""
        return generate_latest(self.registry)
