"""Property: any sequence of purchases (valid or not, keys repeated or not) keeps the books exact."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import DomainError, IdempotencyConflict, UnknownRegion
from bot.money import Money
from bot.services import build_services
from bot.settings import Settings
from storage import Database
from storage.ledger_check import find_discrepancies
from tests.support.clock import FakeClock

GUILD = 3
MEMBERS = (1, 2, 3)
PRICES = {  # the seeded package prices, in minor units
    "US": ("USD", {70: 74, 350: 370, 700: 740}),
    "GB": ("GBP", {70: 75, 350: 375, 700: 745}),
    "IN": ("INR", {70: 6000, 350: 30000, 700: 60000}),
    "KR": ("KRW", {70: 1080, 350: 5400, 700: 10800}),
}

purchases = st.tuples(
    st.just("buy"),
    st.sampled_from(MEMBERS),
    st.sampled_from([70, 350, 700, 0, -1, 123, 2**53, 2**63]),
    st.sampled_from(["a", "b", "c", "d", None]),  # None: a fresh key
)
region_changes = st.tuples(st.just("region"), st.sampled_from(MEMBERS), st.sampled_from([*PRICES, "XX"]))
actions = st.lists(st.one_of(purchases, purchases, region_changes), min_size=1, max_size=25)


async def with_services(body):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "props.db"
        config = Settings(_env_file=None, database_path=path, discord_token=None)
        # NORMAL: these examples test the books' logic, not durability; skipping fsync keeps them fast.
        db = await Database.open(path, synchronous="NORMAL")
        try:
            services = await build_services(config, db, FakeClock())
            await body(services, db)
        finally:
            await db.close()


async def balances(services) -> dict[int, int]:
    return {m: (await services.wallets.balance(GUILD, m)).coins for m in MEMBERS}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_sequential_purchases_match_a_simple_model(plan):
    async def body(services, db):
        model = dict.fromkeys(MEMBERS, 0)
        regions = dict.fromkeys(MEMBERS, "US")
        used: dict[str, tuple[int, object, Money]] = {}  # key -> (member, package, price)
        fresh = 0
        for action in plan:
            if action[0] == "region":
                _, member, region = action
                if region in PRICES:
                    await services.wallets.set_region(GUILD, member, region)
                    regions[member] = region
                else:
                    try:
                        await services.wallets.set_region(GUILD, member, region)
                    except UnknownRegion:
                        pass
                    else:
                        raise AssertionError("an unknown region was accepted")
                continue
            _, member, package, key = action
            if key is None:
                fresh += 1
                key = f"fresh-{fresh}"
            currency, table = PRICES[regions[member]]
            try:
                result = await services.purchases.purchase(GUILD, member, package, key)
            except IdempotencyConflict:
                assert key in used and used[key][:2] != (member, package)
            except DomainError:
                assert key not in used and package not in table
            else:
                if key in used:
                    assert result.replayed and used[key][:2] == (member, package)
                    assert result.price == used[key][2]
                else:
                    assert not result.replayed and package in table
                    assert result.price == Money(table[package], currency)
                    used[key] = (member, package, result.price)
                    model[member] += package
                assert result.balance == model[member]
            assert await balances(services) == model
        assert await db.read(find_discrepancies) == []
        entries = await db.read(
            lambda c: c.execute(
                "SELECT COUNT(*) FROM journal_entries WHERE kind = 'test_purchase'"
            ).fetchone()[0]
        )
        assert entries == len(used)

    asyncio.run(with_services(body))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(purchases, min_size=1, max_size=30))
def test_concurrent_purchases_credit_each_key_at_most_once(plan):
    async def body(services, db):
        calls = [
            services.purchases.purchase(GUILD, member, package, key or f"fresh-{i}")
            for i, (_, member, package, key) in enumerate(plan)
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)

        credited: dict[str, int] = {}
        model = dict.fromkeys(MEMBERS, 0)
        for (_, member, package, key), result in zip(plan, results, strict=True):
            if isinstance(result, BaseException):
                assert isinstance(result, DomainError), repr(result)
                continue
            if not result.replayed:
                assert key not in credited or key is None, "a key was credited twice"
                credited[key or object()] = result.entry_id
                model[member] += package
        assert await balances(services) == model
        assert await db.read(find_discrepancies) == []
        entries = await db.read(lambda c: c.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0])
        assert entries == len(credited)

    asyncio.run(with_services(body))
