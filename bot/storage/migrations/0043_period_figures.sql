-- The dashboard's figures of a period (issue 18), per place, kind of period and the ISO week
-- the period ends with. Frozen: a period is counted once, after its last week has closed, and
-- never again, so what partners saw does not drift when people later leave, are forgotten or
-- edit their profile, and no two readings of one period differ by a small group. Distinct
-- people cannot be summed from weeks, so 4-week and quarter windows are counted on their own.
-- Aggregates only: no person, no text. Raw counts, small ones included: the gate applies
-- where they are shown, together with the other numbers of the view.
CREATE TABLE period_figures (
    -- 'territory:<id>', 'commune:<territory>:<commune_fr>', 'core:<id>' or 'partner:<id>'.
    place TEXT NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('week', '4w', 'quarter')),
    -- The ISO week the window ends with, e.g. 2026-W48 (a quarter is the 13 weeks up to it).
    week TEXT NOT NULL,
    -- JSON: per role, distinct people and concerns, people per factor, follow-up outcomes.
    figures TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (place, period, week)
);

-- The weekly catch-up asks which places of a few weeks are frozen already.
CREATE INDEX period_figures_week ON period_figures (week, period, place);

-- Freezing counts every place at once over all voices of a window: the other indexes start
-- with a place, a role or a person, so without this one each window is a full table scan.
-- Partial (only raised voices are counted) and covering (the count never reads the table:
-- SQLite counts a column of the partial index's condition as covered only when listed).
CREATE INDEX IF NOT EXISTS concern_factors_raised_at ON concern_factors
    (confirmed_at, core_id, territory_id, role, factor, user_id, concern_id, kind)
    WHERE kind = 'raised';

-- The same for follow-up answers, counted by the time they were given.
CREATE INDEX IF NOT EXISTS follow_ups_answered_at ON follow_ups
    (answered_at, core_id, territory_id, role, answer, user_id)
    WHERE answer IS NOT NULL;
