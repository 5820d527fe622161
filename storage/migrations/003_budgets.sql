-- Budgets: a member's daily and monthly spending limits, the spending-guard mode and the daily reminder.
-- "Spent" is never stored: it is summed from the ledger (gift entries) over the member's local day/month.

-- `coins` is the limit in force (NULL: none). A raise or a clear waits out a 24-hour cooling-off as a
-- pending change: at `pending_at` the limit becomes `pending_coins` (NULL: the budget is cleared).
CREATE TABLE budget_limits (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    period         TEXT NOT NULL CHECK (period IN ('daily', 'monthly')),
    coins          INTEGER CHECK (coins BETWEEN 1 AND 10000000),
    pending_coins  INTEGER CHECK (pending_coins BETWEEN 1 AND 10000000),
    pending_at     INTEGER,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, period),
    CHECK (pending_coins IS NULL OR pending_at IS NOT NULL),
    CHECK (coins IS NOT NULL OR pending_at IS NOT NULL)
) STRICT;

-- One row per member who changed a budget preference. The reminder time is minutes after local
-- midnight; `timezone` is the member's IANA zone (NULL: the guild's). `last_reminded_date` is the
-- member's local date (YYYY-MM-DD) of the last reminder, claimed before sending: never two a day.
CREATE TABLE budget_settings (
    guild_id             INTEGER NOT NULL,
    user_id              INTEGER NOT NULL,
    mode                 TEXT NOT NULL DEFAULT 'warn' CHECK (mode IN ('warn', 'block')),
    reminders_enabled    INTEGER NOT NULL DEFAULT 0 CHECK (reminders_enabled IN (0, 1)),
    reminder_minute      INTEGER NOT NULL DEFAULT 540 CHECK (reminder_minute BETWEEN 0 AND 1439),
    timezone             TEXT,
    reminders_paused_at  INTEGER,
    last_reminded_date   TEXT,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE INDEX budget_settings_active_reminders ON budget_settings (guild_id, user_id)
    WHERE reminders_enabled = 1 AND reminders_paused_at IS NULL;
