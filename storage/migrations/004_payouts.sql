-- Creator cash-outs (two-phase: reserve diamonds at request, settle or release at the decision) and the
-- guild's cash-out minimum. Money is integer minor units of `currency`; times are UTC microseconds.

ALTER TABLE guild_settings ADD COLUMN cashout_minimum INTEGER NOT NULL DEFAULT 1000 CHECK (cashout_minimum > 0);

CREATE TABLE payouts (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL REFERENCES guild_settings(guild_id),
    creator_id          INTEGER NOT NULL,
    diamonds            INTEGER NOT NULL CHECK (diamonds > 0),
    fee_percent         INTEGER NOT NULL CHECK (fee_percent BETWEEN 0 AND 100),  -- fixed at request time
    region              TEXT NOT NULL REFERENCES regions(code),                    -- the creator's, at request
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_at        INTEGER NOT NULL,
    reserve_entry_id    INTEGER NOT NULL UNIQUE REFERENCES journal_entries(id),
    decided_at          INTEGER,
    decided_by          INTEGER,
    decision_entry_id   INTEGER UNIQUE REFERENCES journal_entries(id),
    reason              TEXT,
    money_minor         INTEGER,                                                   -- cash paid, at approval
    creator_diamonds    INTEGER,                                                   -- settled to paid_out
    platform_diamonds   INTEGER,                                                   -- settled to platform
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((status = 'approved') = (money_minor IS NOT NULL))
) STRICT;

-- One pending request per creator and guild.
CREATE UNIQUE INDEX payouts_one_pending ON payouts (guild_id, creator_id) WHERE status = 'pending';
CREATE INDEX payouts_guild_status ON payouts (guild_id, status, id);
CREATE INDEX payouts_creator ON payouts (guild_id, creator_id, id);
