-- Two new ways to spend coins: creator subscriptions (a monthly charge that gives a role) and charity
-- campaigns (donations held for a cause, paid out once a moderator approves). Times are UTC microseconds.

-- The platform's share of charity payouts: none unless the server sets one.
ALTER TABLE guild_settings ADD COLUMN charity_fee_percent INTEGER NOT NULL DEFAULT 0
    CHECK (charity_fee_percent BETWEEN 0 AND 100);

INSERT INTO system_accounts (name, description) VALUES
    ('charity', 'coins donated to charity campaigns, held until they are paid out to the cause'),
    ('charity_paid', 'coins of charity campaigns paid out to their causes');

-- A creator's offer: `coins` per month give `role_id`. `active` 0: no new subscriptions (existing ones
-- run to the end of their period and do not renew).
CREATE TABLE subscription_plans (
    guild_id      INTEGER NOT NULL REFERENCES guild_settings(guild_id),
    creator_id    INTEGER NOT NULL,
    coins         INTEGER NOT NULL CHECK (coins BETWEEN 1 AND 1000000),
    role_id       INTEGER NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, creator_id)
) STRICT;

-- One row per subscription. Period n (from 1) ends `periods` months after `started_at`, at the same local
-- wall time in `timezone` (the subscriber's, when they subscribed): `paid_until` is that moment.
-- status: 'active' (paid), 'grace' (a renewal failed; the role stays until `grace_until`), 'ended'.
-- `price` is what the next renewal charges; `pending_price` a price change not yet told to the subscriber.
CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL REFERENCES guild_settings(guild_id),
    subscriber_id   INTEGER NOT NULL,
    creator_id      INTEGER NOT NULL,
    role_id         INTEGER NOT NULL,
    timezone        TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    periods         INTEGER NOT NULL CHECK (periods >= 1),
    paid_until      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    price           INTEGER NOT NULL CHECK (price > 0),
    pending_price   INTEGER CHECK (pending_price > 0),
    renews          INTEGER NOT NULL DEFAULT 1 CHECK (renews IN (0, 1)),
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'grace', 'ended')),
    grace_until     INTEGER,
    ended_at        INTEGER,
    end_reason      TEXT,
    role_removed    INTEGER NOT NULL DEFAULT 0 CHECK (role_removed IN (0, 1)),
    CHECK ((status = 'grace') = (grace_until IS NOT NULL)),
    CHECK ((status = 'ended') = (ended_at IS NOT NULL))
) STRICT;

-- One running subscription per member and creator.
CREATE UNIQUE INDEX subscriptions_one_running ON subscriptions (guild_id, subscriber_id, creator_id)
    WHERE status <> 'ended';
CREATE INDEX subscriptions_due ON subscriptions (next_attempt_at) WHERE status <> 'ended';
CREATE INDEX subscriptions_creator ON subscriptions (guild_id, creator_id, status);
CREATE INDEX subscriptions_roles_to_remove ON subscriptions (guild_id) WHERE status = 'ended' AND role_removed = 0;

-- The details of each journal entry of kind 'subscription': which subscription and period it paid.
CREATE TABLE subscription_charges (
    entry_id         INTEGER PRIMARY KEY REFERENCES journal_entries(id),
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions(id),
    guild_id         INTEGER NOT NULL,
    creator_id       INTEGER NOT NULL,
    period           INTEGER NOT NULL CHECK (period >= 1),
    coins            INTEGER NOT NULL CHECK (coins > 0),
    created_at       INTEGER NOT NULL,
    UNIQUE (subscription_id, period)
) STRICT;

CREATE INDEX subscription_charges_creator ON subscription_charges (guild_id, creator_id, created_at);

CREATE TRIGGER subscription_charges_append_only_update BEFORE UPDATE ON subscription_charges
BEGIN SELECT RAISE(ABORT, 'subscription charges are append-only'); END;
CREATE TRIGGER subscription_charges_append_only_delete BEFORE DELETE ON subscription_charges
BEGIN SELECT RAISE(ABORT, 'subscription charges are append-only'); END;

-- Charity campaigns. `raised` and `donations` are running totals of the donations that still stand, kept
-- by triggers (`python -m bot check` compares them with the donations). `ended_at` NULL: running.
CREATE TABLE charity_campaigns (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL REFERENCES guild_settings(guild_id),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    name_key      TEXT NOT NULL,
    description   TEXT,
    goal          INTEGER NOT NULL CHECK (goal BETWEEN 1 AND 1000000000),
    created_by    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    ended_at      INTEGER,
    ended_by      INTEGER,                          -- NULL with ended_at set: it reached its end time
    raised        INTEGER NOT NULL DEFAULT 0,
    donations     INTEGER NOT NULL DEFAULT 0,
    board_message_id INTEGER                        -- its progress message, edited again after a restart
) STRICT;

-- Running campaigns have distinct names in a guild.
CREATE UNIQUE INDEX charity_campaigns_running_name ON charity_campaigns (guild_id, name_key)
    WHERE ended_at IS NULL;
CREATE INDEX charity_campaigns_due ON charity_campaigns (ends_at) WHERE ended_at IS NULL;

-- The details of each journal entry of kind 'donation'.
CREATE TABLE charity_donations (
    entry_id      INTEGER PRIMARY KEY REFERENCES journal_entries(id),
    guild_id      INTEGER NOT NULL,
    campaign_id   INTEGER NOT NULL REFERENCES charity_campaigns(id),
    donor_id      INTEGER NOT NULL,
    coins         INTEGER NOT NULL CHECK (coins > 0),
    anonymous     INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX charity_donations_campaign ON charity_donations (campaign_id, entry_id);

CREATE TRIGGER charity_donations_append_only_update BEFORE UPDATE ON charity_donations
BEGIN SELECT RAISE(ABORT, 'donations are append-only'); END;
CREATE TRIGGER charity_donations_append_only_delete BEFORE DELETE ON charity_donations
BEGIN SELECT RAISE(ABORT, 'donations are append-only'); END;

CREATE TRIGGER charity_raised_add AFTER INSERT ON charity_donations
BEGIN
    UPDATE charity_campaigns SET raised = raised + NEW.coins, donations = donations + 1
    WHERE id = NEW.campaign_id;
END;

CREATE TRIGGER charity_raised_reverse AFTER INSERT ON journal_entries
WHEN NEW.reverses_entry_id IS NOT NULL
BEGIN
    UPDATE charity_campaigns
    SET raised = raised - (SELECT d.coins FROM charity_donations d WHERE d.entry_id = NEW.reverses_entry_id),
        donations = donations - 1
    WHERE id = (SELECT d.campaign_id FROM charity_donations d WHERE d.entry_id = NEW.reverses_entry_id);
END;

-- Donations that still stand (not reversed by a moderator).
CREATE VIEW standing_donations AS
SELECT d.* FROM charity_donations d
WHERE NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.reverses_entry_id = d.entry_id);

-- A campaign's payout to its cause, requested when it ends and decided by a moderator like a cash-out.
-- `coins` are what the campaign held at the request; the cash is computed at approval.
CREATE TABLE charity_payouts (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL REFERENCES guild_settings(guild_id),
    campaign_id         INTEGER NOT NULL UNIQUE REFERENCES charity_campaigns(id),
    coins               INTEGER NOT NULL CHECK (coins > 0),
    fee_percent         INTEGER NOT NULL CHECK (fee_percent BETWEEN 0 AND 100),  -- fixed when it ended
    region              TEXT NOT NULL REFERENCES regions(code),
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_at        INTEGER NOT NULL,
    decided_at          INTEGER,
    decided_by          INTEGER,
    reason              TEXT,
    money_minor         INTEGER,
    decision_entry_id   INTEGER UNIQUE REFERENCES journal_entries(id),
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((status = 'approved') = (money_minor IS NOT NULL))
) STRICT;

CREATE INDEX charity_payouts_guild_status ON charity_payouts (guild_id, status, id);

-- A new subscriber is thanked on the creator's stream overlay too: the first charge of a subscription
-- joins the overlay's alert log in its own transaction (the log knows gifts and tests, so it is shown like
-- a gift: "Ana sent ⭐ Subscription ×1"), held back by the creator's overlay delay like a gift.
CREATE TRIGGER overlay_alerts_for_new_subscriber AFTER INSERT ON subscription_charges
WHEN NEW.period = 1
BEGIN
    INSERT INTO overlay_alerts (guild_id, creator_id, kind, entry_id, sender_id, gift_name, emoji, count,
                                coins, message, created_at, show_at)
    SELECT NEW.guild_id, NEW.creator_id, 'gift', NEW.entry_id, s.subscriber_id, 'Subscription', '⭐', 1,
           NEW.coins, NULL, NEW.created_at,
           NEW.created_at + 1000000 * COALESCE(
               (SELECT delay_s FROM overlay_settings o
                WHERE o.guild_id = NEW.guild_id AND o.creator_id = NEW.creator_id), 0)
    FROM subscriptions s WHERE s.id = NEW.subscription_id;
END;
