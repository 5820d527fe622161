"""Payment providers: who takes the member's real money for a coin package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.money import Money


@dataclass(frozen=True)
class ChargeRequest:
    idempotency_key: str
    guild_id: int
    user_id: int
    coins: int
    price: Money


@dataclass(frozen=True)
class ChargeReceipt:
    provider: str
    reference: str


class PaymentProvider(Protocol):
    name: str

    async def charge(self, request: ChargeRequest) -> ChargeReceipt:
        """Take the payment, idempotently on `request.idempotency_key`; raise PaymentDeclined if refused."""
        ...


class SandboxProvider:
    """Confirms every charge at once and moves no money: for communities that give coins away, and
    for development."""

    name = "sandbox"

    async def charge(self, request: ChargeRequest) -> ChargeReceipt:
        return ChargeReceipt(self.name, f"sandbox:{request.idempotency_key}")


def provider_named(name: str) -> PaymentProvider:
    providers = {"sandbox": SandboxProvider}
    return providers[name]()
