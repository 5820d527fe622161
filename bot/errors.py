"""Domain errors: refusals a member should read. The command tree turns them into ephemeral replies."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a message that is safe and useful to show to the member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAmount(DomainError):
    pass


class InsufficientCoins(DomainError):
    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"You need {needed:,} coins but have {available:,}. Buy more with `/coins buy`.")
        self.needed = needed
        self.available = available


class InsufficientDiamonds(DomainError):
    pass


class UnknownPackage(DomainError):
    pass


class UnknownRegion(DomainError):
    pass


class IdempotencyConflict(DomainError):
    """The same idempotency key arrived with different parameters."""


class PaymentDeclined(DomainError):
    pass


class ShopClosed(DomainError):
    """Coins are not sold this way here (payment mode `none`, or Discord's button instead)."""


class CashoutsOff(DomainError):
    """Cash-outs are refused in this payment mode or server."""


class NotPermitted(DomainError):
    pass


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class BudgetExceeded(DomainError):
    """A gift would take the member over a budget while the guard is in block mode."""


class InvalidTimezone(DomainError):
    pass


class InvalidTimeOfDay(DomainError):
    pass


class InvalidOption(DomainError):
    """An option outside its fixed choices (e.g. a crafted request)."""


class InvalidMoment(DomainError):
    """A time typed by a member (`12h`, `2026-12-24 18:00`) that cannot be read or is out of range."""
