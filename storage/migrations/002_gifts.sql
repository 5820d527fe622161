-- Gifts: the catalog, creators, live sessions, gift details of the ledger, member preferences,
-- guild settings for gifts and alerts, and the moderation audit log used by every feature.

ALTER TABLE guild_settings ADD COLUMN alerts_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN spender_role_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN gift_confirm_threshold INTEGER NOT NULL DEFAULT 1000
    CHECK (gift_confirm_threshold > 0);

-- The brief's catalog; copied into `gifts` when a guild is first seen.
CREATE TABLE default_gifts (
    position      INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    emoji         TEXT NOT NULL,
    coins         INTEGER NOT NULL CHECK (coins BETWEEN 1 AND 1000000)
) STRICT;

INSERT INTO default_gifts (position, name, emoji, coins) VALUES
    (1, 'Rose', '🌹', 1),
    (2, 'Finger Heart', '🫰', 5),
    (3, 'Perfume', '🧴', 20),
    (4, 'Love Bang', '💥', 25),
    (5, 'Doughnut', '🍩', 30),
    (6, 'Hand Hearts', '🫶', 100),
    (7, 'Corgi', '🐶', 299),
    (8, 'Galaxy', '🌌', 1000),
    (9, 'Lion', '🦁', 29999),
    (10, 'Universe', '🪐', 34999);

CREATE TABLE gifts (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL REFERENCES guild_settings(guild_id),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
    name_key      TEXT NOT NULL,                      -- casefolded name: unique per guild
    emoji         TEXT NOT NULL,
    coins         INTEGER NOT NULL CHECK (coins BETWEEN 1 AND 1000000),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL,
    UNIQUE (guild_id, name_key)
) STRICT;

CREATE TABLE creators (
    guild_id            INTEGER NOT NULL,
    user_id             INTEGER NOT NULL,
    registered_at       INTEGER NOT NULL,
    removed_at          INTEGER,                      -- set when a moderator removed the creator
    thanks_template     TEXT,                         -- NULL: the default thank-you text
    shoutout_threshold  INTEGER NOT NULL DEFAULT 100 CHECK (shoutout_threshold BETWEEN 1 AND 1000000000),
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE TABLE live_sessions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    creator_id    INTEGER NOT NULL,
    title         TEXT,
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
) STRICT;

-- One open session per creator.
CREATE UNIQUE INDEX live_sessions_open ON live_sessions (guild_id, creator_id) WHERE ended_at IS NULL;

-- The details of each journal entry of kind 'gift' (the postings are in the ledger).
CREATE TABLE gift_entries (
    entry_id         INTEGER PRIMARY KEY REFERENCES journal_entries(id),
    guild_id         INTEGER NOT NULL,
    sender_id        INTEGER NOT NULL,
    creator_id       INTEGER NOT NULL,
    gift_id          INTEGER NOT NULL REFERENCES gifts(id),
    gift_name        TEXT NOT NULL,                   -- as it was called when sent
    count            INTEGER NOT NULL CHECK (count BETWEEN 1 AND 10000),
    unit_price       INTEGER NOT NULL CHECK (unit_price > 0),   -- coins per gift when sent
    live_session_id  INTEGER REFERENCES live_sessions(id),
    created_at       INTEGER NOT NULL,
    message          TEXT                             -- the sender's note (mentions neutralised)
) STRICT;

CREATE INDEX gift_entries_guild_time ON gift_entries (guild_id, created_at);
CREATE INDEX gift_entries_sender ON gift_entries (guild_id, sender_id, created_at);
CREATE INDEX gift_entries_creator ON gift_entries (guild_id, creator_id, created_at);
CREATE INDEX gift_entries_session ON gift_entries (live_session_id) WHERE live_session_id IS NOT NULL;

CREATE TRIGGER gift_entries_append_only_update BEFORE UPDATE ON gift_entries
BEGIN SELECT RAISE(ABORT, 'gift entries are append-only'); END;
CREATE TRIGGER gift_entries_append_only_delete BEFORE DELETE ON gift_entries
BEGIN SELECT RAISE(ABORT, 'gift entries are append-only'); END;

CREATE TABLE member_prefs (
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    hide_amounts  INTEGER NOT NULL DEFAULT 0 CHECK (hide_amounts IN (0, 1)),  -- leaderboard privacy
    PRIMARY KEY (guild_id, user_id)
) STRICT;

-- Moderation audit: catalog changes, settings, grants, reversals, payouts … (who, what, before, after).
-- `target` names what was changed, e.g. 'gift:12', 'user:<id>', 'setting:timezone', 'payout:7'.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    actor_id      INTEGER,
    action        TEXT NOT NULL,
    target        TEXT,
    before        TEXT,                               -- JSON or NULL
    after         TEXT,                               -- JSON or NULL
    reason        TEXT
) STRICT;

CREATE INDEX audit_log_guild_time ON audit_log (guild_id, id);
CREATE INDEX audit_log_actor ON audit_log (guild_id, actor_id, id);
CREATE INDEX audit_log_target ON audit_log (guild_id, target, id);

CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Existing guilds get the default catalog too.
INSERT INTO gifts (guild_id, name, name_key, emoji, coins, created_at)
SELECT g.guild_id, d.name, lower(d.name), d.emoji, d.coins, g.created_at
FROM guild_settings g CROSS JOIN default_gifts d ORDER BY g.guild_id, d.position;
