-- Totals that make a command's cost follow what it shows, not how much history the server has:
-- per local day and week (leaderboards of a period), per creator and sender (top supporters), per
-- creator and quarter-hour (the earnings chart). Kept by triggers in the gift's own transaction, like
-- gift_totals: a gift adds, its reversal takes the same amounts back from the same rows.

-- Days and weeks are the guild's local ones, so that "today" and "this week" are one row per member
-- and the top of a board is read straight off an index. A trigger cannot convert time zones, so the
-- guild's UTC offsets are kept as rows: from `since` (UTC microseconds) on, local = UTC + `offset_us`.
-- `period_zones` names the zone those offsets (and so every day and week key) were built for; no row
-- means UTC. When a guild's time zone changes, its offsets and day/week totals are rebuilt in the same
-- transaction as the setting (and a database whose totals were built for another zone than the
-- guild's is rebuilt before its boards are read), so a key never mixes two zones.
CREATE TABLE period_zones (
    guild_id  INTEGER PRIMARY KEY,
    timezone  TEXT NOT NULL
) STRICT;

CREATE TABLE period_zone_offsets (
    guild_id   INTEGER NOT NULL,
    since      INTEGER NOT NULL,
    offset_us  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, since)
) STRICT, WITHOUT ROWID;

-- `span` 'day': `start_day` is the local date (days since 1970-01-01); 'week': the date of its Monday.
CREATE TABLE gift_period_totals (
    guild_id   INTEGER NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('sender', 'creator')),
    span       TEXT NOT NULL CHECK (span IN ('day', 'week')),
    start_day  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    coins      INTEGER NOT NULL CHECK (coins >= 0),
    PRIMARY KEY (guild_id, role, span, start_day, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX gift_period_totals_rank ON gift_period_totals (guild_id, role, span, start_day, coins);

-- What each sender gave each creator, all time (diamonds equal the coins of the gift).
CREATE TABLE supporter_totals (
    guild_id        INTEGER NOT NULL,
    creator_id      INTEGER NOT NULL,
    sender_id       INTEGER NOT NULL,
    diamonds        INTEGER NOT NULL CHECK (diamonds >= 0),
    gifts           INTEGER NOT NULL CHECK (gifts >= 0),
    first_entry_id  INTEGER NOT NULL,            -- ties go to who gave first
    PRIMARY KEY (guild_id, creator_id, sender_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX supporter_totals_rank ON supporter_totals (guild_id, creator_id, diamonds);

-- Diamonds a creator received per UTC quarter-hour (`quarter` = created_at div 900 s). The chart's days
-- are the creator's own (their zone may differ from the guild's and may change at any time): every
-- zone's offset is a whole number of quarter-hours, so a local day is exactly a run of quarters.
CREATE TABLE creator_income_quarters (
    guild_id    INTEGER NOT NULL,
    creator_id  INTEGER NOT NULL,
    quarter     INTEGER NOT NULL,
    diamonds    INTEGER NOT NULL CHECK (diamonds >= 0),
    PRIMARY KEY (guild_id, creator_id, quarter)
) STRICT, WITHOUT ROWID;

-- Backfill: every existing guild's days as UTC (no offsets, no period_zones row); a guild that uses
-- another zone is rebuilt for it before its boards are next read.
INSERT INTO gift_period_totals (guild_id, role, span, start_day, user_id, coins)
SELECT g.guild_id, r.role, s.span, CASE s.span WHEN 'day' THEN g.day ELSE g.day - (g.day + 3) % 7 END,
    CASE r.role WHEN 'sender' THEN g.sender_id ELSE g.creator_id END, SUM(g.coins)
FROM (
    SELECT guild_id, created_at / 86400000000 AS day, sender_id, creator_id, count * unit_price AS coins
    FROM standing_gifts
) g
CROSS JOIN (SELECT 'day' AS span UNION ALL SELECT 'week') s
CROSS JOIN (SELECT 'sender' AS role UNION ALL SELECT 'creator') r
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO supporter_totals (guild_id, creator_id, sender_id, diamonds, gifts, first_entry_id)
SELECT guild_id, creator_id, sender_id, SUM(count * unit_price), COUNT(*), MIN(entry_id)
FROM standing_gifts GROUP BY guild_id, creator_id, sender_id;

INSERT INTO creator_income_quarters (guild_id, creator_id, quarter, diamonds)
SELECT guild_id, creator_id, created_at / 900000000, SUM(count * unit_price)
FROM standing_gifts GROUP BY guild_id, creator_id, created_at / 900000000;

-- A gift adds to every total. Its local day comes from the latest offset in force at the gift's time,
-- looked up on the offsets' primary key; its week's Monday is ((day + 3) / 7) * 7 - 3 (1970-01-01 was a
-- Thursday). Plain VALUES rows cost less per gift than joining the day to the roles and spans would.
CREATE TRIGGER gift_daily_totals_add AFTER INSERT ON gift_entries
BEGIN
    INSERT INTO gift_period_totals (guild_id, role, span, start_day, user_id, coins) VALUES
    (NEW.guild_id, 'sender', 'day', (NEW.created_at + COALESCE((SELECT o.offset_us FROM period_zone_offsets o
        WHERE o.guild_id = NEW.guild_id AND o.since <= NEW.created_at ORDER BY o.since DESC LIMIT 1), 0))
        / 86400000000,
        NEW.sender_id, NEW.count * NEW.unit_price),
    (NEW.guild_id, 'creator', 'day', (NEW.created_at + COALESCE((SELECT o.offset_us FROM period_zone_offsets o
        WHERE o.guild_id = NEW.guild_id AND o.since <= NEW.created_at ORDER BY o.since DESC LIMIT 1), 0))
        / 86400000000,
        NEW.creator_id, NEW.count * NEW.unit_price),
    (NEW.guild_id, 'sender', 'week', ((NEW.created_at + COALESCE((SELECT o.offset_us FROM period_zone_offsets o
        WHERE o.guild_id = NEW.guild_id AND o.since <= NEW.created_at ORDER BY o.since DESC LIMIT 1), 0))
        / 86400000000 + 3) / 7 * 7 - 3,
        NEW.sender_id, NEW.count * NEW.unit_price),
    (NEW.guild_id, 'creator', 'week', ((NEW.created_at + COALESCE((SELECT o.offset_us FROM period_zone_offsets o
        WHERE o.guild_id = NEW.guild_id AND o.since <= NEW.created_at ORDER BY o.since DESC LIMIT 1), 0))
        / 86400000000 + 3) / 7 * 7 - 3,
        NEW.creator_id, NEW.count * NEW.unit_price)
    ON CONFLICT (guild_id, role, span, start_day, user_id) DO UPDATE SET coins = coins + excluded.coins;
    INSERT INTO supporter_totals (guild_id, creator_id, sender_id, diamonds, gifts, first_entry_id)
    VALUES (NEW.guild_id, NEW.creator_id, NEW.sender_id, NEW.count * NEW.unit_price, 1, NEW.entry_id)
    ON CONFLICT (guild_id, creator_id, sender_id)
    DO UPDATE SET diamonds = diamonds + excluded.diamonds, gifts = gifts + 1;
    INSERT INTO creator_income_quarters (guild_id, creator_id, quarter, diamonds)
    VALUES (NEW.guild_id, NEW.creator_id, NEW.created_at / 900000000, NEW.count * NEW.unit_price)
    ON CONFLICT (guild_id, creator_id, quarter) DO UPDATE SET diamonds = diamonds + excluded.diamonds;
END;

-- A reversal of a gift takes the same amounts back from the rows the gift added to. Each UPDATE joins the
-- reversed gift's few keys to the totals' primary keys (a row-value IN list would scan the whole table);
-- the all-time totals' trigger is replaced by one written the same way, for the same reason.
CREATE TRIGGER gift_daily_totals_reverse AFTER INSERT ON journal_entries
WHEN NEW.reverses_entry_id IS NOT NULL
BEGIN
    UPDATE gift_period_totals SET coins = gift_period_totals.coins - k.coins
    FROM (
        SELECT g.guild_id, w.role, s.span,
            CASE s.span WHEN 'day' THEN d.day ELSE d.day - (d.day + 3) % 7 END AS start_day,
            CASE w.role WHEN 'sender' THEN g.sender_id ELSE g.creator_id END AS user_id,
            g.count * g.unit_price AS coins
        FROM gift_entries g
        CROSS JOIN (
            SELECT (g2.created_at + COALESCE((
                SELECT o.offset_us FROM period_zone_offsets o
                WHERE o.guild_id = g2.guild_id AND o.since <= g2.created_at ORDER BY o.since DESC LIMIT 1
            ), 0)) / 86400000000 AS day
            FROM gift_entries g2 WHERE g2.entry_id = NEW.reverses_entry_id
        ) d
        CROSS JOIN (SELECT 'day' AS span UNION ALL SELECT 'week') s
        CROSS JOIN (SELECT 'sender' AS role UNION ALL SELECT 'creator') w
        WHERE g.entry_id = NEW.reverses_entry_id
    ) AS k
    WHERE gift_period_totals.guild_id = k.guild_id AND gift_period_totals.role = k.role
        AND gift_period_totals.span = k.span AND gift_period_totals.start_day = k.start_day
        AND gift_period_totals.user_id = k.user_id;
    UPDATE supporter_totals
    SET diamonds = supporter_totals.diamonds - g.count * g.unit_price, gifts = supporter_totals.gifts - 1
    FROM gift_entries g
    WHERE g.entry_id = NEW.reverses_entry_id AND supporter_totals.guild_id = g.guild_id
        AND supporter_totals.creator_id = g.creator_id AND supporter_totals.sender_id = g.sender_id;
    UPDATE creator_income_quarters SET diamonds = creator_income_quarters.diamonds - g.count * g.unit_price
    FROM gift_entries g
    WHERE g.entry_id = NEW.reverses_entry_id AND creator_income_quarters.guild_id = g.guild_id
        AND creator_income_quarters.creator_id = g.creator_id
        AND creator_income_quarters.quarter = g.created_at / 900000000;
END;

DROP TRIGGER gift_totals_reverse;

CREATE TRIGGER gift_totals_reverse AFTER INSERT ON journal_entries
WHEN NEW.reverses_entry_id IS NOT NULL
BEGIN
    UPDATE gift_totals SET coins = gift_totals.coins - k.coins
    FROM (
        SELECT g.guild_id, 'sender' AS role, g.sender_id AS user_id, g.count * g.unit_price AS coins
        FROM gift_entries g WHERE g.entry_id = NEW.reverses_entry_id
        UNION ALL
        SELECT g.guild_id, 'creator', g.creator_id, g.count * g.unit_price
        FROM gift_entries g WHERE g.entry_id = NEW.reverses_entry_id
    ) AS k
    WHERE gift_totals.guild_id = k.guild_id AND gift_totals.role = k.role AND gift_totals.user_id = k.user_id;
END;
