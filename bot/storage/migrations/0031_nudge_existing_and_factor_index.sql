-- People who were here before nudges existed are not told they "joined a week ago".
UPDATE users SET nudged_at = created_at WHERE nudged_at IS NULL;

-- Counts over every territory (a role's "all of Échoppe" figure, the barometer openings)
-- read one factor of one role over 30 days: an index that starts there.
CREATE INDEX IF NOT EXISTS concern_factors_role_factor
    ON concern_factors (role, factor, confirmed_at, user_id);
