-- Foundation: guild settings, wallets, the double-entry ledger, coin packages.
-- Times are integer microseconds since the Unix epoch (UTC); money is integer minor units.

CREATE TABLE regions (
    code          TEXT PRIMARY KEY,            -- ISO 3166-1 alpha-2
    name          TEXT NOT NULL,
    currency      TEXT NOT NULL,               -- ISO 4217
    locale        TEXT NOT NULL                -- Babel locale used to format this region's money
) STRICT;

INSERT INTO regions (code, name, currency, locale) VALUES
    ('US', 'United States', 'USD', 'en_US'),
    ('GB', 'United Kingdom', 'GBP', 'en_GB'),
    ('IN', 'India', 'INR', 'en_IN'),
    ('AU', 'Australia', 'AUD', 'en_AU'),
    ('CA', 'Canada', 'CAD', 'en_CA'),
    ('PH', 'Philippines', 'PHP', 'en_PH'),
    ('MX', 'Mexico', 'MXN', 'es_MX'),
    ('BR', 'Brazil', 'BRL', 'pt_BR'),
    ('KR', 'South Korea', 'KRW', 'ko_KR');

-- The brief's price table; copied into coin_packages when a guild is first seen.
CREATE TABLE default_coin_packages (
    region        TEXT NOT NULL REFERENCES regions(code),
    coins         INTEGER NOT NULL CHECK (coins > 0),
    price_minor   INTEGER NOT NULL CHECK (price_minor > 0),
    PRIMARY KEY (region, coins)
) STRICT;

INSERT INTO default_coin_packages (region, coins, price_minor) VALUES
    ('US', 70, 74), ('US', 350, 370), ('US', 700, 740),
    ('GB', 70, 75), ('GB', 350, 375), ('GB', 700, 745),
    ('IN', 70, 6000), ('IN', 350, 30000), ('IN', 700, 60000),
    ('AU', 70, 129), ('AU', 350, 635), ('AU', 700, 1275),
    ('CA', 70, 99), ('CA', 350, 489), ('CA', 700, 975),
    ('PH', 70, 5000), ('PH', 350, 25000), ('PH', 700, 50000),
    ('MX', 70, 1459), ('MX', 350, 7295), ('MX', 700, 14589),
    ('BR', 70, 365), ('BR', 350, 1805), ('BR', 700, 3605),
    ('KR', 70, 1080), ('KR', 350, 5400), ('KR', 700, 10800);

CREATE TABLE guild_settings (
    guild_id        INTEGER PRIMARY KEY,
    fee_percent     INTEGER NOT NULL CHECK (fee_percent BETWEEN 0 AND 100),
    timezone        TEXT NOT NULL DEFAULT 'UTC',
    created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE coin_packages (
    guild_id      INTEGER NOT NULL REFERENCES guild_settings(guild_id),
    region        TEXT NOT NULL REFERENCES regions(code),
    coins         INTEGER NOT NULL CHECK (coins > 0),
    price_minor   INTEGER NOT NULL CHECK (price_minor > 0),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    PRIMARY KEY (guild_id, region, coins)
) STRICT;

CREATE TABLE wallets (
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    coins         INTEGER NOT NULL DEFAULT 0 CHECK (coins >= 0),
    diamonds      INTEGER NOT NULL DEFAULT 0 CHECK (diamonds >= 0),
    region        TEXT REFERENCES regions(code),
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE TABLE journal_entries (
    id                   INTEGER PRIMARY KEY,
    created_at           INTEGER NOT NULL,
    guild_id             INTEGER NOT NULL,
    kind                 TEXT NOT NULL,
    actor_id             INTEGER,                       -- who caused it (member or moderator)
    reference            TEXT,                          -- what it is about (package, gift, payout …)
    idempotency_key      TEXT UNIQUE,
    request_fingerprint  TEXT,                          -- parameters behind the key, to refuse reuse
    money_minor          INTEGER,                       -- real money that moved, if any
    currency             TEXT,
    reverses_entry_id    INTEGER UNIQUE REFERENCES journal_entries(id),
    memo                 TEXT,
    postings_digest      TEXT NOT NULL,                 -- sha256 of the postings as written
    CHECK ((money_minor IS NULL) = (currency IS NULL))
) STRICT;

CREATE INDEX journal_entries_guild_time ON journal_entries (guild_id, created_at);

-- Exactly one of user_id / system_account names the account.
CREATE TABLE postings (
    id              INTEGER PRIMARY KEY,
    entry_id        INTEGER NOT NULL REFERENCES journal_entries(id),
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER,
    system_account  TEXT,
    asset           TEXT NOT NULL CHECK (asset IN ('coins', 'diamonds')),
    amount          INTEGER NOT NULL CHECK (amount <> 0),
    CHECK ((user_id IS NULL) <> (system_account IS NULL))
) STRICT;

CREATE INDEX postings_entry ON postings (entry_id);
CREATE INDEX postings_user ON postings (guild_id, user_id, asset) WHERE user_id IS NOT NULL;

CREATE TRIGGER postings_append_only_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END;
CREATE TRIGGER postings_append_only_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END;
CREATE TRIGGER journal_append_only_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER journal_append_only_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
