"""Small wording helpers shared by the cogs' render functions."""

from __future__ import annotations


def coin_count(n: int) -> str:
    """ "1 coin", "1,000 coins"."""
    return f"{n:,} coin" if n == 1 else f"{n:,} coins"


def diamond_count(n: int) -> str:
    """ "1 diamond", "2,500 diamonds"."""
    return f"{n:,} diamond" if n == 1 else f"{n:,} diamonds"
