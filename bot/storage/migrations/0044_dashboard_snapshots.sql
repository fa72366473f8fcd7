-- Figures a dashboard view computed for a closed week (issue 18), kept so that a published
-- period does not drift: read again later (after people left, were forgotten or edited their
-- profile), a view shows what it showed the first time, and no two readings of one period
-- differ by a small group. Computed once, on first view, then only read.
-- Aggregates only, already through the gate: counts, gated survey results, never a person,
-- an identifier or anyone's words (views that show words, such as quotes, are never kept
-- here: a quote must disappear with its concern).
CREATE TABLE dashboard_snapshots (
    -- The view's name ('since', 'surveys').
    view TEXT NOT NULL,
    -- What the figures cover, e.g. 't=lessines;c=' or 't=lessines;c=les_ghoy,les_ogy': the
    -- same scope gives the same figures, whoever asks.
    scope TEXT NOT NULL,
    period TEXT NOT NULL,
    -- The ISO week the period ends with, e.g. 2026-W46 (closed weeks only).
    week TEXT NOT NULL,
    -- JSON, the view's own shape of its gated figures.
    figures TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (view, scope, period, week)
);
