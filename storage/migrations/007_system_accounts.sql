-- The ledger's system accounts, known to the database: a posting to any other name (a typo) is refused.
-- SQLite cannot add a foreign key to the existing postings.system_account column, so a trigger checks
-- it before every insert (one primary-key lookup per system posting).
CREATE TABLE system_accounts (
    name         TEXT PRIMARY KEY,
    description  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO system_accounts (name, description) VALUES
    ('mint', 'where bought and granted coins come from'),
    ('spent', 'where spent coins go'),
    ('diamond_mint', 'where the diamonds a gift creates come from'),
    ('pending_payout', 'diamonds reserved by cash-out requests awaiting a decision'),
    ('platform', 'the fee share of settled cash-outs'),
    ('paid_out', 'the creator share of settled cash-outs');

CREATE TRIGGER postings_known_system_account BEFORE INSERT ON postings
WHEN NEW.system_account IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM system_accounts WHERE name = NEW.system_account)
BEGIN SELECT RAISE(ABORT, 'unknown system account'); END;

CREATE TRIGGER system_accounts_keep BEFORE DELETE ON system_accounts
BEGIN SELECT RAISE(ABORT, 'system accounts are never deleted'); END;
