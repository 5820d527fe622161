"""Buying coin packages through the money service, on a real SQLite file."""

from __future__ import annotations

import asyncio

import pytest

from bot.economy.payments import ChargeReceipt, ChargeRequest
from bot.economy.purchases import PurchaseService
from bot.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    InvalidAmount,
    PaymentDeclined,
    UnknownPackage,
    UnknownRegion,
)
from bot.money import Money
from storage.ledger_check import find_discrepancies

GUILD = 5
ANA, BEN = 101, 102


async def snapshot(db) -> dict:
    """Everything a purchase could change: wallets, journal entries, postings."""

    def read(conn):
        return {
            "wallets": [tuple(r) for r in conn.execute("SELECT * FROM wallets ORDER BY guild_id, user_id")],
            "entries": conn.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0],
            "postings": conn.execute("SELECT COUNT(*) FROM postings").fetchone()[0],
        }

    return await db.read(read)


async def coins(services, user_id: int) -> int:
    return (await services.wallets.balance(GUILD, user_id)).coins


async def test_a_sandbox_purchase_credits_free_test_coins_and_records_no_money(services, db):
    await services.wallets.set_region(GUILD, ANA, "IN")

    result = await services.purchases.purchase(GUILD, ANA, 350, "order-1")

    assert (result.coins, result.balance, result.replayed) == (350, 350, False)
    assert result.price == Money(30000, "INR")
    assert await coins(services, ANA) == 350
    entry = await db.read(
        lambda c: c.execute("SELECT * FROM journal_entries WHERE id = ?", (result.entry_id,)).fetchone()
    )
    assert (entry["kind"], entry["money_minor"], entry["currency"], entry["actor_id"]) == (
        "test_purchase",
        None,
        None,
        ANA,
    )
    postings = await db.read(
        lambda c: [
            tuple(r)
            for r in c.execute(
                "SELECT user_id, system_account, asset, amount FROM postings WHERE entry_id = ? ORDER BY id",
                (result.entry_id,),
            )
        ]
    )
    assert sorted(postings, key=str) == sorted(
        [(ANA, None, "coins", 350), (None, "mint", "coins", -350)], key=str
    )
    assert await db.read(find_discrepancies) == []


async def test_members_without_a_region_pay_in_the_default_currency(services):
    result = await services.purchases.purchase(GUILD, BEN, 70, "order-us")
    assert result.price == Money(74, "USD")
    offers = await services.purchases.packages(GUILD, BEN)
    assert [(o.coins, o.price_text()) for o in offers] == [(70, "$0.74"), (350, "$3.70"), (700, "$7.40")]


async def test_packages_follow_the_member_region(services):
    await services.wallets.set_region(GUILD, ANA, "kr")  # case does not matter
    offers = await services.purchases.packages(GUILD, ANA)
    assert [(o.coins, o.price.currency, o.price.minor) for o in offers] == [
        (70, "KRW", 1080),
        (350, "KRW", 5400),
        (700, "KRW", 10800),
    ]
    assert "₩" in offers[-1].price_text() and "10,800" in offers[-1].price_text()


async def test_the_same_key_a_thousand_times_credits_once_and_returns_the_same_result(services, db):
    first = await services.purchases.purchase(GUILD, ANA, 350, "order-2")
    for _ in range(999):
        again = await services.purchases.purchase(GUILD, ANA, 350, "order-2")
        assert again.replayed
        assert (again.entry_id, again.coins, again.price, again.balance) == (
            first.entry_id,
            first.coins,
            first.price,
            first.balance,
        )
    assert await coins(services, ANA) == 350
    assert (await snapshot(db))["entries"] == 1
    assert await db.read(find_discrepancies) == []


async def test_the_same_key_for_a_different_purchase_is_refused_and_changes_nothing(services, db):
    await services.purchases.purchase(GUILD, ANA, 350, "order-3")
    before = await snapshot(db)

    with pytest.raises(IdempotencyConflict, match="nothing was credited"):
        await services.purchases.purchase(GUILD, ANA, 700, "order-3")
    with pytest.raises(IdempotencyConflict):
        await services.purchases.purchase(GUILD, BEN, 350, "order-3")  # another member, same key
    with pytest.raises(IdempotencyConflict):
        await services.purchases.purchase(GUILD + 1, ANA, 350, "order-3")  # another guild

    assert await snapshot(db) == before
    assert await coins(services, ANA) == 350
    assert await coins(services, BEN) == 0


@pytest.mark.parametrize(
    ("package", "error"),
    [
        (123, UnknownPackage),
        (0, InvalidAmount),
        (-1, InvalidAmount),
        (-350, InvalidAmount),
        (2**53, UnknownPackage),
        (2**63, UnknownPackage),
        (-(2**63), InvalidAmount),
        ("350", InvalidAmount),
        (350.0, InvalidAmount),
        (True, InvalidAmount),
        (None, InvalidAmount),
    ],
)
async def test_invalid_packages_are_refused_and_leave_balances_untouched(services, db, package, error):
    await services.purchases.purchase(GUILD, ANA, 70, "earlier")
    before = await snapshot(db)

    with pytest.raises(error) as refused:
        await services.purchases.purchase(GUILD, ANA, package, "bad-order")

    assert isinstance(refused.value, DomainError)
    assert refused.value.message and len(refused.value.message) < 200
    assert await snapshot(db) == before
    # The refused key was not used up: the member can retry with it.
    retried = await services.purchases.purchase(GUILD, ANA, 350, "bad-order")
    assert not retried.replayed and retried.balance == 420


async def test_an_unknown_package_lists_the_real_ones(services):
    with pytest.raises(UnknownPackage, match="70, 350, 700"):
        await services.purchases.purchase(GUILD, ANA, 123, "k")


@pytest.mark.parametrize("region", ["XX", "", "United Kingdom", "GBR", 42, None])
async def test_an_unknown_region_is_refused_and_changes_nothing(services, db, region):
    await services.wallets.set_region(GUILD, ANA, "GB")
    await services.purchases.purchase(GUILD, ANA, 70, "before")
    before = await snapshot(db)

    with pytest.raises(UnknownRegion, match="Supported regions: AU, BR, CA"):
        await services.wallets.set_region(GUILD, ANA, region)

    assert await snapshot(db) == before
    assert (await services.wallets.balance(GUILD, ANA)).rate.region.code == "GB"


async def test_concurrent_purchases_with_the_same_key_credit_once(services, db):
    results = await asyncio.gather(
        *(services.purchases.purchase(GUILD, ANA, 700, "double") for _ in range(25))
    )

    assert len({r.entry_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await coins(services, ANA) == 700
    assert (await snapshot(db))["entries"] == 1
    assert await db.read(find_discrepancies) == []


async def test_concurrent_purchases_by_many_members_all_land(services, db):
    members = range(1000, 1040)
    results = await asyncio.gather(
        *(services.purchases.purchase(GUILD, m, 70 if m % 2 else 350, f"o-{m}") for m in members)
    )
    assert all(not r.replayed for r in results)
    for m in members:
        assert await coins(services, m) == (70 if m % 2 else 350)
    assert (await snapshot(db))["entries"] == 40
    assert await db.read(find_discrepancies) == []


async def test_a_price_that_changed_since_the_member_confirmed_is_not_charged(services, db):
    offer = await services.purchases.offer(GUILD, ANA, 350)  # shown in USD
    await services.wallets.set_region(GUILD, ANA, "GB")  # then the member switched region
    before = await snapshot(db)

    with pytest.raises(Conflict, match="Nothing was charged"):
        await services.purchases.purchase(GUILD, ANA, 350, "confirm-1", expected_price=offer.price)

    assert await snapshot(db) == before
    fresh = await services.purchases.offer(GUILD, ANA, 350)
    result = await services.purchases.purchase(GUILD, ANA, 350, "confirm-1", expected_price=fresh.price)
    assert result.price == Money(375, "GBP") and result.balance == 350


class DecliningProvider:
    name = "declining"

    def __init__(self) -> None:
        self.requests: list[ChargeRequest] = []

    async def charge(self, request: ChargeRequest) -> ChargeReceipt:
        self.requests.append(request)
        raise PaymentDeclined("Your payment was declined; nothing was charged.")


async def test_a_declined_payment_credits_nothing(services, db, clock):
    provider = DecliningProvider()
    purchases = PurchaseService(
        db,
        services.regions,
        services.guilds,
        services.guild_config,
        provider,
        services.payments,
        services.deals,
        clock,
    )
    before = await snapshot(db)

    with pytest.raises(PaymentDeclined):
        await purchases.purchase(GUILD, ANA, 350, "declined")

    assert provider.requests[0].price == Money(370, "USD")
    assert (await snapshot(db))["wallets"] == before["wallets"]
    assert (await snapshot(db))["entries"] == before["entries"]
    assert await coins(services, ANA) == 0


async def test_history_lists_purchases_newest_first(services, clock):
    await services.purchases.purchase(GUILD, ANA, 70, "h1")
    clock.advance(minutes=5)
    await services.purchases.purchase(GUILD, ANA, 700, "h2")

    items = await services.wallets.history(GUILD, ANA, 10)

    assert [(i.kind, i.coins) for i in items] == [("test_purchase", 700), ("test_purchase", 70)]
    assert items[0].at > items[1].at
    assert items[0].money is None  # sandbox coins: no money moved
    for limit in (0, -1, 26, 2**53, "5"):
        with pytest.raises(InvalidAmount):
            await services.wallets.history(GUILD, ANA, limit)


async def test_values_still_show_when_a_guild_retired_every_package(services, db):
    await services.purchases.purchase(GUILD, ANA, 350, "before-retiring")
    await services.wallets.set_region(GUILD, ANA, "GB")
    await db.write(lambda c: c.execute("UPDATE coin_packages SET active = 0 WHERE guild_id = ?", (GUILD,)))

    view = await services.wallets.balance(GUILD, ANA)

    assert view.coins == 350
    assert view.coins_value == Money(370, "USD")  # the base rate: 70 coins = USD 0.74
    assert await services.purchases.packages(GUILD, ANA) == []
    with pytest.raises(UnknownPackage, match="Packages: none"):
        await services.purchases.purchase(GUILD, ANA, 350, "after-retiring")
