"""How coins are paid for: the payment mode (`PAYMENT_PROVIDER`) and, with Discord, the coin SKUs.

- `discord`: members buy consumable SKUs through Discord App Monetization; Discord takes the money.
- `none`: nothing is sold; coins come from moderators' grants. Cash-outs only where a moderator
  turned them on, because the server then pays for coins it gave away.
- `sandbox`: development and demos. `/coins buy` hands out free test coins (no entry records money)
  and cash-outs are always refused."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.money import Money


class PaymentMode(StrEnum):
    DISCORD = "discord"
    NONE = "none"
    SANDBOX = "sandbox"


@dataclass(frozen=True)
class CoinSku:
    """A consumable SKU made in the Developer Portal: `coins` coins for the USD list price chosen there
    (Discord's SKU objects carry no price; Discord converts it to the member's currency)."""

    sku_id: int
    coins: int
    price: Money


@dataclass(frozen=True)
class PaymentSetup:
    mode: PaymentMode
    skus: tuple[CoinSku, ...] = ()
    test_purchases: bool = False  # Discord test-mode purchases are credited (as test coins)

    def sku(self, sku_id: int) -> CoinSku | None:
        return next((s for s in self.skus if s.sku_id == sku_id), None)

    def package(self, coins: int) -> CoinSku | None:
        return next((s for s in self.skus if s.coins == coins), None)


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
        """Approve the in-bot purchase, idempotently on `request.idempotency_key`; raise
        PaymentDeclined if refused."""
        ...


class SandboxProvider:
    """Approves every sandbox purchase at once and takes no money: the coins are free test coins."""

    name = "sandbox"

    async def charge(self, request: ChargeRequest) -> ChargeReceipt:
        return ChargeReceipt(self.name, f"sandbox:{request.idempotency_key}")
