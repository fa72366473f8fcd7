-- Digest counts and quotes read only this index; its old columns stay first for echo/barometer.
DROP INDEX concern_factors_territory;
CREATE INDEX concern_factors_territory ON concern_factors
    (territory_id, role, factor, confirmed_at, user_id, core_id, kind, concern_id);
-- A digest's week of activity over all factors (skip-scanning the one above needs full stats).
CREATE INDEX concern_factors_activity ON concern_factors
    (territory_id, role, kind, confirmed_at, core_id, concern_id, user_id);
