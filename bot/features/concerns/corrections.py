"""Export what people confirmed or corrected as training examples (JSON Lines).

Only what the database still holds is exported: people who used /forget are gone with their
messages, and messages past the retention period are left out even before the daily job
deletes them. A model trained on an export must be retrained after such erasures
(docs/classifier.md).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.features.concerns.store import ConcernRepository
from bot.storage import Database
from nlp.anonymize import anonymize


async def export_corrections(
    db: Database, output: Path, *, only_corrected: bool, since: str
) -> int:
    """Write confirmed concerns written since a moment, personal data scrubbed; return count."""
    concerns = await ConcernRepository(db).confirmed(only_corrected=only_corrected, since=since)
    lines = [
        json.dumps(
            {
                "id": f"field-{c.id}",
                "lang": c.lang,
                "text": anonymize(c.text),
                "labels": sorted(c.draft),
            },
            ensure_ascii=False,
        )
        for c in concerns
    ]

    def write() -> None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    await asyncio.to_thread(write)
    return len(lines)
