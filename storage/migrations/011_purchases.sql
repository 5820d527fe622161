-- Real coin purchases through Discord (entitlements), refunds and the debt they can leave, and the
-- guild settings that keep cash-outs honest (cash-outs on/off where coins are not sold, the hold).

ALTER TABLE guild_settings ADD COLUMN cashouts_enabled INTEGER NOT NULL DEFAULT 0 CHECK (cashouts_enabled IN (0, 1));
ALTER TABLE guild_settings ADD COLUMN cashout_hold_days INTEGER NOT NULL DEFAULT 7
    CHECK (cashout_hold_days BETWEEN 0 AND 30);

-- Coins a member owes after a refund took back coins they had already spent. Append-only movements:
-- positive when a refund leaves a debt, negative when a later credit pays it (or a reversal mirrors
-- either). Each row belongs to the journal entry that moved the `refund_debt` system account by the
-- same amount (with the opposite sign), so the audit proves the debt equals unrecovered refunds.
CREATE TABLE coin_debts (
    id        INTEGER PRIMARY KEY,
    entry_id  INTEGER NOT NULL REFERENCES journal_entries(id),
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    coins     INTEGER NOT NULL CHECK (coins <> 0)
) STRICT;

CREATE INDEX coin_debts_member ON coin_debts (guild_id, user_id);
CREATE INDEX coin_debts_entry ON coin_debts (entry_id);

CREATE TRIGGER coin_debts_append_only_update BEFORE UPDATE ON coin_debts
BEGIN SELECT RAISE(ABORT, 'coin debts are append-only'); END;
CREATE TRIGGER coin_debts_append_only_delete BEFORE DELETE ON coin_debts
BEGIN SELECT RAISE(ABORT, 'coin debts are append-only'); END;

-- A reversal negates every posting of the entry it reverses, the refund_debt ones included: the
-- debt movements follow.
CREATE TRIGGER coin_debts_reverse AFTER INSERT ON journal_entries
WHEN NEW.reverses_entry_id IS NOT NULL
BEGIN
    INSERT INTO coin_debts (entry_id, guild_id, user_id, coins)
    SELECT NEW.id, d.guild_id, d.user_id, -d.coins FROM coin_debts d WHERE d.entry_id = NEW.reverses_entry_id;
END;

INSERT INTO system_accounts (name, description) VALUES
    ('refund_debt', 'coins members owe after refunds of coins they had spent');

-- One row per Discord entitlement of a coin SKU the bot has seen. `state`: credited (coins posted),
-- consumed (and consumed at Discord), void (deleted before it was ever credited: never credit it).
-- `refund_entry_id` is set once a refund took the coins back.
CREATE TABLE entitlement_purchases (
    entitlement_id   INTEGER PRIMARY KEY,
    guild_id         INTEGER,
    user_id          INTEGER NOT NULL,
    sku_id           INTEGER NOT NULL,
    coins            INTEGER NOT NULL CHECK (coins > 0),
    test             INTEGER NOT NULL CHECK (test IN (0, 1)),
    state            TEXT NOT NULL CHECK (state IN ('credited', 'consumed', 'void')),
    credit_entry_id  INTEGER UNIQUE REFERENCES journal_entries(id),
    refund_entry_id  INTEGER UNIQUE REFERENCES journal_entries(id),
    created_at       INTEGER NOT NULL,
    consumed_at      INTEGER,
    CHECK ((state = 'void') = (credit_entry_id IS NULL))
) STRICT;

CREATE INDEX entitlement_purchases_unconsumed ON entitlement_purchases (state) WHERE state = 'credited';
CREATE INDEX entitlement_purchases_member ON entitlement_purchases (guild_id, user_id);

-- The server where a member last opened the coin shop: a Discord purchase of a user SKU names no
-- server, so its coins go to the wallet there.
CREATE TABLE shop_visits (
    user_id     INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    visited_at  INTEGER NOT NULL
) STRICT;
