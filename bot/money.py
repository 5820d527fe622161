"""Money as integer minor units with a currency, its formatting, and what coins are worth."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from babel.numbers import format_currency, get_currency_precision


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    currency: str
    locale: str


@dataclass(frozen=True)
class Money:
    minor: int
    currency: str

    def format(self, locale: str) -> str:
        """E.g. "£3.75", "₹300", "₩10,800": no fraction digits when the amount is whole."""
        digits = get_currency_precision(self.currency)
        amount = Decimal(self.minor).scaleb(-digits)
        if amount == amount.to_integral_value():
            return format_currency(
                amount, self.currency, locale=locale, format="¤#,##0", currency_digits=False
            )
        return format_currency(amount, self.currency, locale=locale)


@dataclass(frozen=True)
class CoinRate:
    """What coins cost in a region, from its smallest package: `price_minor` buys `coins` coins."""

    region: Region
    coins: int
    price_minor: int

    def value_of(self, coins: int) -> Money:
        """The real-money value of `coins`, rounded half up to the currency's minor unit (for display)."""
        exact = Fraction(coins * self.price_minor, self.coins)
        return Money(
            int(exact + Fraction(1, 2)) if exact >= 0 else -int(-exact + Fraction(1, 2)), self.region.currency
        )

    def show(self, coins: int) -> str:
        return self.value_of(coins).format(self.region.locale)
