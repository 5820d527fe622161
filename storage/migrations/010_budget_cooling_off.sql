-- Loosening a budget preference waits out the same 24-hour cooling-off as raising a limit. A switch from
-- block to warn, and a new time zone for one's days and months (which could start a fresh "today"), are
-- stored as pending changes that are in force from their `_at` time (microseconds UTC), read the way
-- budget_limits.pending_at is: the columns above hold what is in force until then.
ALTER TABLE budget_settings ADD COLUMN pending_mode TEXT CHECK (pending_mode IN ('warn', 'block'));
ALTER TABLE budget_settings ADD COLUMN pending_mode_at INTEGER CHECK ((pending_mode IS NULL) = (pending_mode_at IS NULL));
ALTER TABLE budget_settings ADD COLUMN pending_timezone TEXT;
ALTER TABLE budget_settings ADD COLUMN pending_timezone_at INTEGER CHECK ((pending_timezone IS NULL) = (pending_timezone_at IS NULL));
