-- When a core's barometer opened for a factor (enough people of a role raised it there in 30
-- days to show a number): those who raised it are told once. No person is named here. A row
-- with core_id '*' marks that the openings that were already there were recorded silently.
CREATE TABLE barometer_openings (
    core_id TEXT NOT NULL,
    role TEXT NOT NULL,
    factor TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    PRIMARY KEY (core_id, role, factor)
);
