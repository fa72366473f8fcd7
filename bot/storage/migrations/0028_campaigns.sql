-- Where people come from: the campaign a link or QR code was tagged with (poster, counter card,
-- information session, a neighbour's invitation, a partner's newsletter), kept on the person
-- only until they finish onboarding, then counted per ISO week, core, campaign and channel.
-- The counts name nobody.
ALTER TABLE users ADD COLUMN pending_campaign TEXT;

CREATE TABLE campaign_arrivals (
    week TEXT NOT NULL,          -- ISO week in the bot's time zone, e.g. 2026-W49
    territory_id TEXT NOT NULL,
    core_id TEXT NOT NULL,
    campaign TEXT NOT NULL,
    channel TEXT NOT NULL,
    consented INTEGER NOT NULL DEFAULT 0,  -- accepted the privacy notice from such a link
    onboarded INTEGER NOT NULL DEFAULT 0,  -- then finished onboarding
    PRIMARY KEY (week, core_id, campaign, channel)
);
