"""Sending gifts through the real services on a real SQLite file."""

from __future__ import annotations

import asyncio

import pytest

from bot.economy.gifts import NeedsConfirmation
from bot.errors import (
    BudgetExceeded,
    Conflict,
    DomainError,
    IdempotencyConflict,
    InsufficientCoins,
    NotPermitted,
)
from bot.spending import SpendingReview
from storage import ledger
from tests.support.factories import GUILD, entry_count, fund, key, ledger_problems, wallet
from tests.support.publisher import RecordingPublisher

ANA, BEN, CREATOR, MOD = 101, 102, 201, 500


@pytest.fixture
async def alerts(services) -> RecordingPublisher:
    publisher = RecordingPublisher()
    services.gifts.alerts = publisher
    await services.creators.register(GUILD, CREATOR)
    await services.guild_config.set_alerts_channel(GUILD, MOD, 777)
    return publisher


async def test_a_gift_is_one_entry_coins_to_spent_and_diamonds_to_the_creator(services, alerts):
    await fund(services, ANA, 700)
    await services.creators.set_thanks(GUILD, CREATOR, "Thanks {sender} for {gift}!")

    quote = await services.gifts.quote(GUILD, ANA, [], "love bang", CREATOR, 4, "for you")
    receipt = await services.gifts.send(quote, "interaction-1")

    assert (receipt.total_coins, receipt.balance, receipt.replayed) == (100, 600, False)
    assert await wallet(services, ANA) == (600, 0)
    assert await wallet(services, CREATOR) == (0, 100)
    entry = await services.db.read(lambda conn: ledger.entry_by_id(conn, GUILD, receipt.entry_id))
    assert entry["kind"] == "gift" and entry["idempotency_key"] == "gift:interaction-1"
    postings = await services.db.read(lambda conn: ledger.entry_postings(conn, receipt.entry_id))
    assert {(p.user_id, p.system_account, p.asset, p.amount) for p in postings} == {
        (ANA, None, "coins", -100),
        (None, "spent", "coins", 100),
        (CREATOR, None, "diamonds", 100),
        (None, "diamond_mint", "diamonds", -100),
    }
    details = await services.db.read(
        lambda conn: conn.execute(
            "SELECT * FROM gift_entries WHERE entry_id = ?", (receipt.entry_id,)
        ).fetchone()
    )
    assert (details["sender_id"], details["creator_id"], details["gift_name"]) == (ANA, CREATOR, "Love Bang")
    assert (details["count"], details["unit_price"], details["live_session_id"]) == (4, 25, None)
    [alert] = alerts.alerts
    assert (alert.channel_id, alert.entry_id, alert.coins, alert.count) == (777, receipt.entry_id, 100, 4)
    assert (alert.template, alert.threshold, alert.message) == ("Thanks {sender} for {gift}!", 100, "for you")
    assert await receipt.alert is True
    assert await ledger_problems(services) == []


async def test_receipt_shows_value_and_split_in_the_senders_currency(services, alerts):
    await fund(services, ANA, 1000)
    quote = await services.gifts.quote(GUILD, ANA, [], "Galaxy", CREATOR)
    receipt = await services.gifts.send(quote, key(), confirmed=True)
    split = receipt.split
    # 1,000 coins × 74/70 cents = 1,057.14 cents; the creator's half rounds down like a cash-out
    assert (split.diamonds, split.value.minor, split.creator_cash.minor, split.fee.minor) == (
        1000,
        1057,
        528,
        529,
    )
    assert split.value.currency == "USD" and split.fee_percent == 50


def crafted(**change):
    args = {"gift_name": "Rose", "creator_id": CREATOR, "count": 1, "message": None, "role_ids": []}
    args.update(change)
    return args


@pytest.mark.parametrize(
    "args",
    [
        crafted(count=0),
        crafted(count=-3),
        crafted(count=10_001),
        crafted(count=2**53),
        crafted(count=1.5),
        crafted(message="x" * 201),
        crafted(creator_id=ANA),  # yourself
        crafted(creator_id=BEN),  # not a creator
        crafted(creator_id=-1),
        crafted(gift_name="Unicorn"),
        crafted(gift_name="Universe", count=10),  # not enough coins
    ],
)
async def test_every_refusal_leaves_balances_unchanged(services, alerts, args):
    await fund(services, ANA, 500)
    entries = await entry_count(services)
    with pytest.raises(DomainError) as refused:
        quote = await services.gifts.quote(
            GUILD,
            ANA,
            args["role_ids"],
            args["gift_name"],
            args["creator_id"],
            args["count"],
            args["message"],
        )
        await services.gifts.send(quote, key(), confirmed=True)
    assert refused.value.message
    assert "2**53" not in refused.value.message and "9007199254740992" not in refused.value.message
    assert await wallet(services, ANA) == (500, 0)
    assert await wallet(services, CREATOR) == (0, 0)
    assert await entry_count(services) == entries
    assert alerts.alerts == []


async def test_retired_gift_and_removed_creator_are_refused(services, alerts):
    await fund(services, ANA, 500)
    await services.catalog.retire(GUILD, MOD, "Rose")
    with pytest.raises(DomainError, match="no longer in the catalog"):
        await services.gifts.quote(GUILD, ANA, [], "Rose", CREATOR)
    await services.creators.remove(GUILD, MOD, CREATOR)
    with pytest.raises(DomainError, match="not a registered creator"):
        await services.gifts.quote(GUILD, ANA, [], "Perfume", CREATOR)
    assert await wallet(services, ANA) == (500, 0)


async def test_the_balance_is_checked_again_when_sending(services, alerts):
    await fund(services, ANA, 30)
    first = await services.gifts.quote(GUILD, ANA, [], "Doughnut", CREATOR)
    second = await services.gifts.quote(GUILD, ANA, [], "Doughnut", CREATOR)
    await services.gifts.send(first, key())
    with pytest.raises(InsufficientCoins):
        await services.gifts.send(second, key())
    assert await wallet(services, ANA) == (0, 0)
    assert await wallet(services, CREATOR) == (0, 30)
    assert await ledger_problems(services) == []


async def test_a_price_change_between_quote_and_send_charges_nothing(services, alerts):
    await fund(services, ANA, 500)
    quote = await services.gifts.quote(GUILD, ANA, [], "Corgi", CREATOR)
    await services.catalog.edit(GUILD, MOD, "Corgi", coins=399)
    with pytest.raises(Conflict, match="399"):
        await services.gifts.send(quote, key())
    assert await wallet(services, ANA) == (500, 0)


async def test_the_message_cannot_ping_anyone(services, alerts):
    await fund(services, ANA, 10)
    receipt = await services.gifts.send(
        await services.gifts.quote(
            GUILD, ANA, [], "Rose", CREATOR, 1, "hi @everyone and @here <@&123456789012345678>"
        ),
        key(),
    )
    stored = await services.db.read(
        lambda conn: conn.execute(
            "SELECT message FROM gift_entries WHERE entry_id = ?", (receipt.entry_id,)
        ).fetchone()[0]
    )
    for text in (stored, alerts.alerts[0].message):
        assert "@everyone" not in text and "@here" not in text and "<@&1" not in text
        assert "@\u200beveryone" in text


async def test_replaying_the_same_key_sends_once(services, alerts):
    await fund(services, ANA, 100)
    quote = await services.gifts.quote(GUILD, ANA, [], "Perfume", CREATOR, 2)
    first, second = await asyncio.gather(
        services.gifts.send(quote, "click-1", confirmed=True),
        services.gifts.send(quote, "click-1", confirmed=True),
    )
    third = await services.gifts.send(quote, "click-1", confirmed=True)

    assert first.entry_id == second.entry_id == third.entry_id
    assert sorted([first.replayed, second.replayed]) == [False, True] and third.replayed
    assert await wallet(services, ANA) == (60, 0)
    assert len(alerts.alerts) == 1
    other = await services.gifts.quote(GUILD, ANA, [], "Rose", CREATOR, 2)
    with pytest.raises(IdempotencyConflict):
        await services.gifts.send(other, "click-1", confirmed=True)
    assert await wallet(services, ANA) == (60, 0)


async def test_large_gifts_need_confirmation(services, alerts):
    await fund(services, ANA, 2000)
    small = await services.gifts.quote(GUILD, ANA, [], "Corgi", CREATOR, 3)  # 897
    big = await services.gifts.quote(GUILD, ANA, [], "Galaxy", CREATOR)  # 1,000
    assert not small.needs_confirmation
    assert big.needs_confirmation and "1,000 coins" in big.reasons[0]
    with pytest.raises(NeedsConfirmation):
        await services.gifts.send(big, key())
    assert await wallet(services, ANA) == (2000, 0)
    await services.guild_config.set_gift_confirm_threshold(GUILD, MOD, 5000)
    assert not (await services.gifts.quote(GUILD, ANA, [], "Galaxy", CREATOR)).needs_confirmation


class WarningGuard:
    def __init__(self, warning=None, refuse=False):
        self.warning, self.refuse, self.calls = warning, refuse, []

    async def review(self, guild_id, user_id, coins):
        self.calls.append(coins)
        if self.refuse:
            raise BudgetExceeded("That would take you over your daily budget.")
        return SpendingReview(self.warning)


async def test_spending_guard_can_warn_or_refuse(services, alerts):
    await fund(services, ANA, 100)
    services.gifts.spending = WarningGuard("This goes over your daily budget (50 coins left).")
    quote = await services.gifts.quote(GUILD, ANA, [], "Perfume", CREATOR, 3)
    assert quote.needs_confirmation and "daily budget" in quote.reasons[-1]
    assert services.gifts.spending.calls == [60]

    services.gifts.spending = WarningGuard(refuse=True)
    with pytest.raises(BudgetExceeded):
        await services.gifts.quote(GUILD, ANA, [], "Perfume", CREATOR, 3)
    with pytest.raises(BudgetExceeded):  # confirmed later, but the budget refuses now
        await services.gifts.send(quote, key(), confirmed=True)
    assert await wallet(services, ANA) == (100, 0)


async def test_spender_role_gates_gifts(services, alerts):
    await fund(services, ANA, 100)
    await services.guild_config.set_spender_role(GUILD, MOD, 4242)
    with pytest.raises(NotPermitted, match="role"):
        await services.gifts.quote(GUILD, ANA, [1, 2], "Rose", CREATOR)
    quote = await services.gifts.quote(GUILD, ANA, [4242], "Rose", CREATOR)
    await services.gifts.send(quote, key())
    assert await wallet(services, ANA) == (99, 0)


async def test_gifts_during_a_live_session_belong_to_it(services, alerts):
    await fund(services, ANA, 100)
    session = await services.live.start(GUILD, CREATOR, "evening")
    receipt = await services.gifts.send(await services.gifts.quote(GUILD, ANA, [], "Rose", CREATOR, 5), key())
    assert receipt.live_session_id == session.id


async def test_a_failed_shoutout_does_not_undo_the_gift(services, alerts):
    alerts.posted = False
    await fund(services, ANA, 10)
    receipt = await services.gifts.send(await services.gifts.quote(GUILD, ANA, [], "Rose", CREATOR), key())
    assert await receipt.alert is False
    assert await wallet(services, CREATOR) == (0, 1)


async def test_a_publisher_that_raises_does_not_undo_the_gift(services, alerts):
    class Broken:
        def publish(self, alert):
            raise RuntimeError("engine down")

    services.gifts.alerts = Broken()
    await fund(services, ANA, 10)
    receipt = await services.gifts.send(await services.gifts.quote(GUILD, ANA, [], "Rose", CREATOR), key())
    assert await receipt.alert is False
    assert await wallet(services, ANA) == (9, 0)


async def test_100_concurrent_senders_keep_the_books_clean(services, alerts):
    senders = list(range(1000, 1100))
    for sender in senders:
        await fund(services, sender, 50 if sender % 10 else 5)  # every tenth runs out

    async def sender_task(sender):
        sent = 0
        for _ in range(3):
            try:
                quote = await services.gifts.quote(GUILD, sender, [], "Perfume", CREATOR)  # 20
                await services.gifts.send(quote, key())
                sent += 20
            except InsufficientCoins:
                pass
        return sent

    spent = await asyncio.gather(*(sender_task(s) for s in senders))
    assert sum(spent) == 90 * 40
    assert await wallet(services, CREATOR) == (0, 90 * 40)
    assert await ledger_problems(services) == []


async def test_without_an_alerts_channel_nothing_is_published(services, alerts):
    await services.guild_config.set_alerts_channel(GUILD, MOD, None)
    await fund(services, ANA, 10)
    receipt = await services.gifts.send(await services.gifts.quote(GUILD, ANA, [], "Rose", CREATOR), key())
    assert receipt.alert is None and receipt.alerts_channel_id is None
    assert alerts.alerts == []
    assert await wallet(services, CREATOR) == (0, 1)
