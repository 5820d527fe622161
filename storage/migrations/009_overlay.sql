-- Stream overlays: each creator's secret overlay address, their overlay settings and live goal, the
-- durable per-creator alert log the overlay pages read (Server-Sent Events resume from its ids), when each
-- overlay was last seen, and the guild's auto-live switch.

ALTER TABLE guild_settings ADD COLUMN auto_live INTEGER NOT NULL DEFAULT 0 CHECK (auto_live IN (0, 1));

CREATE TABLE overlay_keys (
    guild_id      INTEGER NOT NULL,
    creator_id    INTEGER NOT NULL,
    secret        TEXT NOT NULL,                      -- the secret part of the overlay address
    digest        TEXT NOT NULL UNIQUE,               -- sha256 of the secret: how a request finds its row
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, creator_id)
) STRICT;

CREATE TABLE overlay_settings (
    guild_id        INTEGER NOT NULL,
    creator_id      INTEGER NOT NULL,
    min_coins       INTEGER NOT NULL DEFAULT 1 CHECK (min_coins BETWEEN 1 AND 1000000000),
    duration_s      INTEGER NOT NULL DEFAULT 5 CHECK (duration_s BETWEEN 2 AND 60),
    tts             INTEGER NOT NULL DEFAULT 0 CHECK (tts IN (0, 1)),
    tts_min_coins   INTEGER NOT NULL DEFAULT 100 CHECK (tts_min_coins BETWEEN 1 AND 1000000000),
    sound           INTEGER NOT NULL DEFAULT 1 CHECK (sound IN (0, 1)),
    delay_s         INTEGER NOT NULL DEFAULT 0 CHECK (delay_s BETWEEN 0 AND 120),
    PRIMARY KEY (guild_id, creator_id)
) STRICT;

CREATE TABLE overlay_goals (
    guild_id      INTEGER NOT NULL,
    creator_id    INTEGER NOT NULL,
    coins         INTEGER NOT NULL CHECK (coins BETWEEN 1 AND 1000000000),
    title         TEXT,
    set_at        INTEGER NOT NULL,
    PRIMARY KEY (guild_id, creator_id)
) STRICT;

-- The alert log: ids only ever grow (AUTOINCREMENT never reuses one), so a page that saw id N asks for
-- what came after N. `show_at` holds a gift back for the creator's delay; `message_hidden` is set when the
-- creator or a moderator hides the gift's message from the stream before it is shown.
CREATE TABLE overlay_alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id        INTEGER NOT NULL,
    creator_id      INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('gift', 'test')),
    entry_id        INTEGER,                           -- the gift's journal entry (NULL for a test)
    sender_id       INTEGER NOT NULL,
    gift_name       TEXT NOT NULL,
    emoji           TEXT NOT NULL,
    count           INTEGER NOT NULL CHECK (count > 0),
    coins           INTEGER NOT NULL CHECK (coins >= 0),
    message         TEXT,
    created_at      INTEGER NOT NULL,
    show_at         INTEGER NOT NULL,
    message_hidden  INTEGER NOT NULL DEFAULT 0 CHECK (message_hidden IN (0, 1))
) STRICT;

CREATE INDEX overlay_alerts_creator ON overlay_alerts (guild_id, creator_id, id);
CREATE INDEX overlay_alerts_entry ON overlay_alerts (entry_id) WHERE entry_id IS NOT NULL;

-- Written in the gift's own transaction: a gift that committed is in the log, one that rolled back is not.
CREATE TRIGGER overlay_alerts_for_gift AFTER INSERT ON gift_entries
BEGIN
    INSERT INTO overlay_alerts (guild_id, creator_id, kind, entry_id, sender_id, gift_name, emoji, count,
                                coins, message, created_at, show_at)
    SELECT NEW.guild_id, NEW.creator_id, 'gift', NEW.entry_id, NEW.sender_id, NEW.gift_name,
           COALESCE((SELECT emoji FROM gifts WHERE id = NEW.gift_id), '🎁'), NEW.count,
           NEW.count * NEW.unit_price, NEW.message, NEW.created_at,
           NEW.created_at + 1000000 * COALESCE(
               (SELECT delay_s FROM overlay_settings s
                WHERE s.guild_id = NEW.guild_id AND s.creator_id = NEW.creator_id), 0);
END;

CREATE TABLE overlay_seen (
    guild_id      INTEGER NOT NULL,
    creator_id    INTEGER NOT NULL,
    widget        TEXT NOT NULL CHECK (widget IN ('alerts', 'goal', 'top')),
    last_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, creator_id, widget)
) STRICT;

-- Live sessions that auto-live started (it ends only those, never one begun with /live start); kept in
-- SQLite so that after a restart the bot still knows which open sessions are its to end.
CREATE TABLE auto_live_sessions (
    session_id    INTEGER PRIMARY KEY REFERENCES live_sessions(id)
) STRICT;
