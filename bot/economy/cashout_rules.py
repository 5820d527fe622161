"""When diamonds may become cash, and what a diamond is worth.

- Cash-outs follow the payment mode: refused in the sandbox (its coins are free), off in `none` until
  a moderator turns them on (the server then pays for coins it gave away), on with Discord purchases.
- A diamond is cashable only after the server's hold (`/config cashout-hold`, default 7 days) since the
  gift that brought it, so that a refund of the purchase behind a gift usually arrives first.
- The cash value is fixed by the server: the smallest coin package's price (with Discord, the smallest
  coin SKU's USD list price; otherwise the default region's smallest package), never the creator's own
  region, which a creator could change right before cashing out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import to_micros
from bot.economy.payments import PaymentMode, PaymentSetup
from bot.economy.regions import RegionBook
from bot.errors import CashoutsOff
from bot.money import CoinRate
from storage import Connection, guilds, statements

SANDBOX_REFUSAL = (
    "Cash-outs are off: this bot runs in sandbox mode, where coins are free test coins, so diamonds "
    "cannot become money."
)
NONE_REFUSAL = (
    "Cash-outs are off in this server: its coins are given away, not bought. A moderator can turn them on "
    "with `/config cashouts on` (the server then pays for them)."
)


@dataclass(frozen=True)
class Maturity:
    hold_days: int
    maturing: int  # diamonds still inside the hold
    cashable: int  # diamonds that may be cashed out now


class CashoutRules:
    def __init__(self, payments: PaymentSetup, regions: RegionBook) -> None:
        self._payments = payments
        self._regions = regions

    def refusal_on(self, conn: Connection, guild_id: int) -> str | None:
        """Why this server cannot cash out now, or None."""
        if self._payments.mode is PaymentMode.SANDBOX:
            return SANDBOX_REFUSAL
        if self._payments.mode is PaymentMode.NONE:
            row = guilds.settings(conn, guild_id)
            if row is None or not row["cashouts_enabled"]:
                return NONE_REFUSAL
        return None

    def require_on(self, conn: Connection, guild_id: int) -> None:
        refusal = self.refusal_on(conn, guild_id)
        if refusal is not None:
            raise CashoutsOff(refusal)

    def rate_on(self, conn: Connection, guild_id: int) -> CoinRate:
        """What a diamond is worth in this server (before the fee)."""
        if self._payments.mode is PaymentMode.DISCORD and self._payments.skus:
            smallest = min(self._payments.skus, key=lambda s: s.coins)
            return CoinRate(self._regions.get("US"), smallest.coins, smallest.price.minor)
        return self._regions.rate_on(conn, guild_id, self._regions.default)

    def maturity_on(
        self, conn: Connection, guild_id: int, creator_id: int, held: int, now: datetime
    ) -> Maturity:
        """Of the `held` diamonds, those received within the hold are still maturing (the newest
        diamonds are assumed to be the ones still held)."""
        row = guilds.settings(conn, guild_id)
        hold_days = int(row["cashout_hold_days"]) if row is not None else 7
        if hold_days == 0 or held == 0:
            return Maturity(hold_days, 0, held)
        since = to_micros(now - timedelta(days=hold_days))
        # Kept per quarter-hour: the quarter that began before `since` counts whole (minutes longer).
        recent = sum(r["diamonds"] for r in statements.gift_income(conn, guild_id, creator_id, since))
        maturing = min(held, recent)
        return Maturity(hold_days, maturing, held - maturing)
