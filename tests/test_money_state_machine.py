"""A hypothesis state machine over the money services, checked against a plain in-memory model.

Purchases, gifts (when the bot has a gift service), invalid inputs and replays of idempotency keys run
against the real services on a real SQLite file; after every step the wallets in the database must equal
the model and the ledger audit must be clean.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from bot.economy.kinds import allowed_accounts
from bot.errors import DomainError, IdempotencyConflict
from bot.services import build_services
from bot.settings import Settings
from storage import Database
from storage.ledger_check import find_discrepancies
from tests.support.clock import FakeClock

GUILD = 7
MEMBERS = (11, 12, 13)
CREATORS = (21, 22)
PACKAGES = (70, 350, 700)
GIFTS = ("Rose", "Finger Heart", "Perfume", "Doughnut", "Corgi")
BAD_PACKAGES = (0, -1, 1, 69, 1_000, 2**53, 2**63, -(2**63))
BAD_COUNTS = (0, -1, 10_001, 2**53, 2**63)


class MoneyMachine(RuleBasedStateMachine):
    purchases = Bundle("purchases")
    gifts_sent = Bundle("gifts")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="money-sm-"))
        config = Settings(_env_file=None, database_path=self.dir / "money.db", discord_token=None)
        self.db = self.run(Database.open(config.database_path))
        self.services = self.run(build_services(config, self.db, FakeClock()))
        self.coins = dict.fromkeys(MEMBERS + CREATORS, 0)
        self.diamonds = dict.fromkeys(MEMBERS + CREATORS, 0)
        self.keys = 0
        self.prices: dict[str, int] = {}

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def new_key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    @property
    def has_gifts(self) -> bool:
        return getattr(self.services, "gifts", None) is not None and bool(self.prices)

    @initialize()
    def set_up_creators(self) -> None:
        gifts = getattr(self.services, "gifts", None)
        creators = getattr(self.services, "creators", None)
        if gifts is None or creators is None:
            return
        for creator in CREATORS:
            self.run(creators.register(GUILD, creator))
        catalog, _rate = self.run(gifts.catalog(GUILD, MEMBERS[0]))
        self.prices = {g.name: g.coins for g in catalog if g.name in GIFTS}
        for member in MEMBERS:  # something to spend from the first step on
            self.run(self.services.purchases.purchase(GUILD, member, 350, f"start-{member}"))
            self.coins[member] += 350

    # ---------------------------------------------------------------- purchases

    @rule(target=purchases, member=st.sampled_from(MEMBERS), package=st.sampled_from(PACKAGES))
    def buy(self, member: int, package: int):
        key = self.new_key()
        result = self.run(self.services.purchases.purchase(GUILD, member, package, key))
        self.coins[member] += package
        assert not result.replayed
        assert result.coins == package
        assert result.balance == self.coins[member]
        return (key, member, package, result.entry_id)

    @rule(purchase=purchases)
    def replay_purchase(self, purchase) -> None:
        key, member, package, entry_id = purchase
        result = self.run(self.services.purchases.purchase(GUILD, member, package, key))
        assert result.replayed
        assert result.entry_id == entry_id
        assert result.balance == self.coins[member]

    @rule(purchase=purchases, other=st.sampled_from(PACKAGES))
    def replay_purchase_with_other_package(self, purchase, other: int) -> None:
        key, member, package, _ = purchase
        if other == package:
            return
        with pytest.raises(IdempotencyConflict):
            self.run(self.services.purchases.purchase(GUILD, member, other, key))

    @rule(member=st.sampled_from(MEMBERS), package=st.sampled_from(BAD_PACKAGES))
    def buy_invalid_package(self, member: int, package: int) -> None:
        with pytest.raises(DomainError):
            self.run(self.services.purchases.purchase(GUILD, member, package, self.new_key()))

    # ---------------------------------------------------------------- gifts

    def _send(self, sender: int, creator: int, gift: str, count: int, key: str):
        gifts = self.services.gifts
        quote = self.run(gifts.quote(GUILD, sender, (), gift, creator, count))
        return quote, self.run(gifts.send(quote, key, confirmed=True))

    @precondition(lambda self: self.has_gifts)
    @rule(
        target=gifts_sent,
        sender=st.sampled_from(MEMBERS),
        creator=st.sampled_from(CREATORS),
        gift=st.sampled_from(GIFTS),
        count=st.integers(1, 6),
    )
    def send_gift(self, sender: int, creator: int, gift: str, count: int):
        key = self.new_key()
        cost = self.prices[gift] * count
        if cost > self.coins[sender]:
            with pytest.raises(DomainError):
                self._send(sender, creator, gift, count, key)
            return multiple()
        quote, receipt = self._send(sender, creator, gift, count, key)
        self.coins[sender] -= cost
        self.diamonds[creator] += cost
        assert not receipt.replayed
        assert receipt.total_coins == cost
        assert receipt.balance == self.coins[sender]
        return (key, quote, receipt.entry_id)

    @precondition(lambda self: self.has_gifts)
    @rule(sent=gifts_sent)
    def replay_gift(self, sent) -> None:
        key, quote, entry_id = sent
        # Discord re-sends the click: the same quote and key again, whatever the balance is now
        receipt = self.run(self.services.gifts.send(quote, key, confirmed=True))
        assert receipt.replayed
        assert receipt.entry_id == entry_id
        assert receipt.balance == self.coins[quote.sender_id]

    @precondition(lambda self: self.has_gifts)
    @rule(
        sender=st.sampled_from(MEMBERS),
        creator=st.sampled_from(CREATORS + MEMBERS),
        gift=st.sampled_from(("Rose", "No Such Gift", "", "@everyone", "Rose\x00")),
        count=st.sampled_from(BAD_COUNTS + (1,)),
    )
    def send_invalid_gift(self, sender: int, creator: int, gift: str, count: int) -> None:
        valid = gift == "Rose" and count == 1 and creator in CREATORS and self.coins[sender] >= 1
        if valid:
            return
        with pytest.raises(DomainError):
            self._send(sender, creator, gift, count, self.new_key())

    @precondition(lambda self: self.has_gifts)
    @rule(member=st.sampled_from(MEMBERS))
    def gift_to_yourself(self, member: int) -> None:
        with pytest.raises(DomainError):
            self._send(member, member, "Rose", 1, self.new_key())

    # ---------------------------------------------------------------- the comparison

    @invariant()
    def database_equals_model(self) -> None:
        def read(conn):
            rows = conn.execute("SELECT user_id, coins, diamonds FROM wallets WHERE guild_id = ?", (GUILD,))
            return {r["user_id"]: (r["coins"], r["diamonds"]) for r in rows}, find_discrepancies(
                conn, allowed_accounts()
            )

        wallets, problems = self.run(self.db.read(read))
        assert problems == []
        for user in MEMBERS + CREATORS:
            assert wallets.get(user, (0, 0)) == (self.coins[user], self.diamonds[user]), user

    def teardown(self) -> None:
        try:
            self.run(self.db.close())
        finally:
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)


MoneyMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestMoneyMachine = MoneyMachine.TestCase
