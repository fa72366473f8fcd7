-- Template messages sent per day and category, and what they cost: WhatsApp caps how many a
-- number may send a day, and ECHOPPE_WHATSAPP_MONTHLY_BUDGET caps the spend. Counts only.
CREATE TABLE template_usage (
    day TEXT NOT NULL,
    category TEXT NOT NULL,
    count INTEGER NOT NULL,
    cost REAL NOT NULL,
    PRIMARY KEY (day, category)
);
