"""The contract between sending gifts and spending limits (budgets): asked before every gift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SpendingReview:
    """`warning` set: the member must confirm before the gift is sent (e.g. it goes over a budget)."""

    warning: str | None = None


class SpendingGuard(Protocol):
    async def review(self, guild_id: int, user_id: int, coins: int) -> SpendingReview:
        """Judge spending `coins` now; raise a DomainError (e.g. BudgetExceeded) to refuse outright."""
        ...


class NoSpendingLimits:
    async def review(self, guild_id: int, user_id: int, coins: int) -> SpendingReview:
        return SpendingReview()
