"""Coins that come into a member's wallet, and the debt a refund can leave.

Every credit of coins to a member (a purchase, test coins, a grant) goes through `credit_coins`: it
pays the member's refund debt first and puts only the rest in the wallet. A refund takes back what
the wallet still holds; the shortfall becomes debt (`refund_debt` account, per-member rows in
storage.debts), never a negative balance. A member in debt cannot spend coins (`DebtGuard`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.economy.kinds import COINS, MINT, REFUND_DEBT
from bot.economy.posting import post
from bot.errors import NotPermitted
from bot.spending import SpendingGuard, SpendingReview
from storage import Connection, Database, debts, wallets
from storage.ledger import NewEntry, Posting


@dataclass(frozen=True)
class Credit:
    entry_id: int
    coins: int  # credited in all
    repaid: int  # of which paid the member's debt


@dataclass(frozen=True)
class Clawback:
    entry_id: int
    taken: int  # coins taken from the wallet
    debt: int  # the shortfall, now owed


def credit_coins(conn: Connection, entry: NewEntry, user_id: int, coins: int, source: str = MINT) -> Credit:
    """Post `entry` (inside the caller's transaction): `coins` from the `source` account (the mint, or
    promotions for a deal's bonus) to the member, paying their refund debt first."""
    if type(coins) is not int or coins <= 0:
        raise ValueError(f"a credit is a positive number of coins, got {coins!r}")
    repaid = min(coins, debts.owed(conn, entry.guild_id, user_id))
    postings = [Posting(COINS, -coins, system_account=source)]
    if coins > repaid:
        postings.append(Posting(COINS, coins - repaid, user_id=user_id))
    if repaid:
        postings.append(Posting(COINS, repaid, system_account=REFUND_DEBT))
    entry_id = post(conn, entry, postings)
    if repaid:
        debts.record(conn, entry_id, entry.guild_id, user_id, -repaid)
    return Credit(entry_id, coins, repaid)


def claw_back(conn: Connection, entry: NewEntry, user_id: int, coins: int, source: str = MINT) -> Clawback:
    """Post `entry`: `coins` go back to the `source` account (the mint, or promotions), taken from the
    member's wallet as far as it holds them; the rest becomes the member's debt."""
    if type(coins) is not int or coins <= 0:
        raise ValueError(f"a clawback is a positive number of coins, got {coins!r}")
    taken = min(coins, wallets.coins(conn, entry.guild_id, user_id))
    debt = coins - taken
    postings = [Posting(COINS, coins, system_account=source)]
    if taken:
        postings.append(Posting(COINS, -taken, user_id=user_id))
    if debt:
        postings.append(Posting(COINS, -debt, system_account=REFUND_DEBT))
    entry_id = post(conn, entry, postings)
    if debt:
        debts.record(conn, entry_id, entry.guild_id, user_id, debt)
    return Clawback(entry_id, taken, debt)


def in_debt_refusal(owed: int) -> NotPermitted:
    return NotPermitted(
        f"A purchase of yours was refunded after you had spent its coins: you owe {owed:,} coins. "
        "Coins you get next (purchases, grants) pay that first; until then you cannot send gifts."
    )


async def owed(db: Database, guild_id: int, user_id: int) -> int:
    return await db.read(lambda conn: debts.owed(conn, guild_id, user_id))


class DebtGuard:
    """A SpendingGuard in front of another one: a member who owes coins spends nothing."""

    def __init__(self, db: Database, inner: SpendingGuard) -> None:
        self._db = db
        self._inner = inner

    async def review(self, guild_id: int, user_id: int, coins: int) -> SpendingReview:
        debt = await owed(self._db, guild_id, user_id)
        if debt:
            raise in_debt_refusal(debt)
        return await self._inner.review(guild_id, user_id, coins)

    def enforce(self, conn: Connection, guild_id: int, user_id: int, coins: int, now: datetime) -> None:
        debt = debts.owed(conn, guild_id, user_id)
        if debt:
            raise in_debt_refusal(debt)
        self._inner.enforce(conn, guild_id, user_id, coins, now)
