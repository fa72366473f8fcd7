-- A broadcast's photo is known to each channel by its own id (a Telegram file_id is no
-- WhatsApp media id): the source stays in `photo` ('path:<file>' or '<channel>:<ref>'),
-- and each channel's id, once uploaded, in `photo_ids` ({"telegram": "...", ...}).
ALTER TABLE broadcasts ADD COLUMN photo_ids TEXT NOT NULL DEFAULT '{}';

-- Until now every photo reference was Telegram's.
UPDATE broadcasts SET photo = 'telegram:' || photo
WHERE photo IS NOT NULL AND photo NOT LIKE 'path:%';
UPDATE broadcast_drafts SET photo = 'telegram:' || photo
WHERE photo IS NOT NULL AND photo NOT LIKE 'path:%';
