-- Gifts that still stand: a moderator's reversal takes a gift out of leaderboards, live summaries and
-- spending totals, as it took the coins and diamonds back.
CREATE VIEW standing_gifts AS
SELECT g.* FROM gift_entries g
WHERE NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.reverses_entry_id = g.entry_id);
