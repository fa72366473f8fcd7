-- Voice notes the bot could not hear (it reads text only), counted per day and territory so
-- partners know how many voices are missed. A count, nothing about who sent them.
CREATE TABLE unheard_messages (
    day TEXT NOT NULL,
    territory_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, territory_id)
);
