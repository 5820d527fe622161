-- Running totals of standing gifts per member, so all-time leaderboards and ranks read one row per
-- member instead of summing the whole gift history. Kept by triggers: a gift adds to its sender's and
-- creator's totals; a reversal of a gift takes the same amounts back.
CREATE TABLE gift_totals (
    guild_id  INTEGER NOT NULL,
    role      TEXT NOT NULL CHECK (role IN ('sender', 'creator')),
    user_id   INTEGER NOT NULL,
    coins     INTEGER NOT NULL CHECK (coins >= 0),
    PRIMARY KEY (guild_id, role, user_id)
) STRICT;

CREATE INDEX gift_totals_rank ON gift_totals (guild_id, role, coins);

INSERT INTO gift_totals (guild_id, role, user_id, coins)
SELECT guild_id, 'sender', sender_id, SUM(count * unit_price) FROM standing_gifts GROUP BY guild_id, sender_id;

INSERT INTO gift_totals (guild_id, role, user_id, coins)
SELECT guild_id, 'creator', creator_id, SUM(count * unit_price) FROM standing_gifts GROUP BY guild_id, creator_id;

CREATE TRIGGER gift_totals_add AFTER INSERT ON gift_entries
BEGIN
    INSERT INTO gift_totals (guild_id, role, user_id, coins)
    VALUES (NEW.guild_id, 'sender', NEW.sender_id, NEW.count * NEW.unit_price)
    ON CONFLICT (guild_id, role, user_id) DO UPDATE SET coins = coins + excluded.coins;
    INSERT INTO gift_totals (guild_id, role, user_id, coins)
    VALUES (NEW.guild_id, 'creator', NEW.creator_id, NEW.count * NEW.unit_price)
    ON CONFLICT (guild_id, role, user_id) DO UPDATE SET coins = coins + excluded.coins;
END;

CREATE TRIGGER gift_totals_reverse AFTER INSERT ON journal_entries
WHEN NEW.reverses_entry_id IS NOT NULL
BEGIN
    UPDATE gift_totals
    SET coins = coins - (SELECT g.count * g.unit_price FROM gift_entries g WHERE g.entry_id = NEW.reverses_entry_id)
    WHERE (guild_id, role, user_id) IN (
        SELECT g.guild_id, 'sender', g.sender_id FROM gift_entries g WHERE g.entry_id = NEW.reverses_entry_id
        UNION ALL
        SELECT g.guild_id, 'creator', g.creator_id FROM gift_entries g WHERE g.entry_id = NEW.reverses_entry_id
    );
END;
