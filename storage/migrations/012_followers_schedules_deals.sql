-- Followers and their go-live DMs, scheduled streams (Discord scheduled events), deals on coin packages.

-- Where a live session happens (a link in the followers' DM); NULL for sessions from before.
ALTER TABLE live_sessions ADD COLUMN channel_id INTEGER;

CREATE TABLE follows (
    guild_id          INTEGER NOT NULL,
    creator_id        INTEGER NOT NULL,
    follower_id       INTEGER NOT NULL,
    followed_at       INTEGER NOT NULL,
    last_notified_at  INTEGER,                   -- the last go-live DM about this creator
    PRIMARY KEY (guild_id, creator_id, follower_id),
    CHECK (creator_id <> follower_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX follows_by_follower ON follows (guild_id, follower_id);

-- A follower's go-live DM settings in a guild (no row: notifications on, no quiet hours).
CREATE TABLE follower_settings (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    quiet_from     INTEGER CHECK (quiet_from BETWEEN 0 AND 1439),   -- minutes after local midnight
    quiet_to       INTEGER CHECK (quiet_to BETWEEN 0 AND 1439),
    notifications  INTEGER NOT NULL DEFAULT 1 CHECK (notifications IN (0, 1)),
    paused_at      INTEGER,                      -- DMs were closed: nothing is sent until turned on again
    PRIMARY KEY (guild_id, user_id),
    CHECK ((quiet_from IS NULL) = (quiet_to IS NULL))
) STRICT, WITHOUT ROWID;

-- The go-live DMs still to send, oldest first; one sender drains it at a pace Discord accepts.
CREATE TABLE live_notifications (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    session_id   INTEGER NOT NULL REFERENCES live_sessions(id),
    creator_id   INTEGER NOT NULL,
    follower_id  INTEGER NOT NULL,
    queued_at    INTEGER NOT NULL,
    UNIQUE (session_id, follower_id)
) STRICT;

-- Streams announced with /live schedule: each is a Discord guild scheduled event made by the bot.
CREATE TABLE scheduled_streams (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    creator_id   INTEGER NOT NULL,
    event_id     INTEGER NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    channel_id   INTEGER,
    starts_at    INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'scheduled'
                 CHECK (status IN ('scheduled', 'live', 'ended', 'cancelled')),
    session_id   INTEGER REFERENCES live_sessions(id),
    created_at   INTEGER NOT NULL,
    CHECK ((status = 'live') <= (session_id IS NOT NULL))
) STRICT;

-- At most one announced (or running) scheduled stream per creator.
CREATE UNIQUE INDEX scheduled_streams_one_open
    ON scheduled_streams (guild_id, creator_id) WHERE status IN ('scheduled', 'live');
CREATE INDEX scheduled_streams_due ON scheduled_streams (status, starts_at);

-- Deals: bonus coins on top of a package (by its number of coins, in every region) until `ends_at`.
CREATE TABLE deals (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    package_coins  INTEGER NOT NULL CHECK (package_coins > 0),
    bonus_percent  INTEGER NOT NULL CHECK (bonus_percent BETWEEN 1 AND 100),
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL,             -- `/deals end` moves it to that moment
    created_by     INTEGER NOT NULL,
    ended_by       INTEGER,
    CHECK (ends_at >= starts_at)
) STRICT;

CREATE INDEX deals_by_package ON deals (guild_id, package_coins, ends_at);

-- The deal a member was shown when choosing a package: the bonus a purchase under that key gets,
-- whenever its payment completes.
CREATE TABLE deal_quotes (
    purchase_key   TEXT PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    package_coins  INTEGER NOT NULL,
    deal_id        INTEGER NOT NULL REFERENCES deals(id),
    bonus_coins    INTEGER NOT NULL CHECK (bonus_coins > 0),
    quoted_at      INTEGER NOT NULL,
    bonus_entry_id INTEGER UNIQUE REFERENCES journal_entries(id)   -- set when the bonus is credited
) STRICT, WITHOUT ROWID;

CREATE INDEX deal_quotes_open ON deal_quotes (guild_id, user_id, package_coins, quoted_at)
    WHERE bonus_entry_id IS NULL;

INSERT INTO system_accounts (name, description) VALUES
    ('promotions', 'where the bonus coins of deals come from');

-- Entries that belong to another entry (a deal bonus to its purchase) point at it as 'entry:<id>';
-- reversing the entry finds them here.
CREATE INDEX journal_entries_attached ON journal_entries (reference) WHERE reference LIKE 'entry:%';
