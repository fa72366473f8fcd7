-- Difficulty labels of messages older than the retention period, kept without the message,
-- its author or anything tying them to a person: counts over the years stay possible.
CREATE TABLE factor_archive (
    factor TEXT NOT NULL,
    kind TEXT NOT NULL,
    core_id TEXT,
    territory_id TEXT,
    role TEXT,
    -- The month only: a day and time could help single a message out.
    month TEXT NOT NULL
);

CREATE INDEX factor_archive_month ON factor_archive (month, territory_id, factor);
