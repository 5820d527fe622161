"""The contract between sending gifts and spending limits (budgets): asked before every gift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage import Connection


@dataclass(frozen=True)
class SpendingReview:
    """`warning` set: the member must confirm before the gift is sent (e.g. it goes over a budget)."""

    warning: str | None = None


class SpendingGuard(Protocol):
    async def review(self, guild_id: int, user_id: int, coins: int) -> SpendingReview:
        """Judge spending `coins` now; raise a DomainError (e.g. BudgetExceeded) to refuse outright."""
        ...

    def enforce(self, conn: Connection, guild_id: int, user_id: int, coins: int, now: datetime) -> None:
        """Inside the gift's own write transaction: raise a DomainError if a hard limit refuses `coins`.
        `review` ran earlier, outside it; this closes the gap in which two gifts sent at the same
        moment would each pass a limit that only one of them fits."""
        ...


class NoSpendingLimits:
    async def review(self, guild_id: int, user_id: int, coins: int) -> SpendingReview:
        return SpendingReview()

    def enforce(self, conn: Connection, guild_id: int, user_id: int, coins: int, now: datetime) -> None:
        return None
