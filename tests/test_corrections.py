"""Moderator corrections: audited grants and reversals, with every refusal."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import Conflict, InvalidAmount, NotFound, NotPermitted
from storage import action_log, ledger
from tests.support.factories import (
    GUILD,
    assert_clean,
    gift,
    key,
    system_balance,
    wallet,
)

pytestmark = pytest.mark.cashouts  # a server without a coin shop that allows cash-outs


CREATOR, FAN, MOD = 501, 502, 601


async def test_grant_mints_coins_with_an_audited_entry(services):
    result = await services.corrections.grant(GUILD, MOD, FAN, 250, "giveaway winner", key())

    assert (result.coins, result.balance, result.replayed) == (250, 250, False)
    assert await wallet(services, FAN) == (250, 0)
    entry = await services.db.read(lambda c: ledger.entry_by_id(c, GUILD, result.entry_id))
    assert (entry["kind"], entry["actor_id"], entry["memo"]) == ("grant", MOD, "giveaway winner")
    assert await system_balance(services, "mint", "coins") == -250
    rows = await services.db.read(lambda c: action_log.recent(c, GUILD, FAN))
    assert rows[0]["action"] == "coins.grant"
    assert rows[0]["actor_id"] == MOD
    assert rows[0]["reason"] == "giveaway winner"
    await assert_clean(services)


async def test_grant_is_idempotent_and_validated(services):
    same = key()
    first = await services.corrections.grant(GUILD, MOD, FAN, 100, "prize", same)
    again = await services.corrections.grant(GUILD, MOD, FAN, 100, "prize", same)
    assert again.entry_id == first.entry_id and again.replayed
    assert await wallet(services, FAN) == (100, 0)
    for coins in (0, -5, 10**7):
        with pytest.raises(InvalidAmount):
            await services.corrections.grant(GUILD, MOD, FAN, coins, "prize", key())
    with pytest.raises(InvalidAmount, match="reason"):
        await services.corrections.grant(GUILD, MOD, FAN, 10, "   ", key())
    assert await wallet(services, FAN) == (100, 0)


async def test_reversing_a_gift_gives_coins_back_and_takes_diamonds(services):
    entry_id = await gift(services, FAN, CREATOR, "Corgi", 2)
    assert await wallet(services, FAN) == (0, 0)
    assert await wallet(services, CREATOR) == (0, 598)

    result = await services.corrections.reverse(GUILD, MOD, entry_id, "sent to the wrong creator")

    assert result.original_id == entry_id and result.original_kind == "gift"
    assert await wallet(services, FAN) == (598, 0)
    assert await wallet(services, CREATOR) == (0, 0)
    entry = await services.db.read(lambda c: ledger.entry_by_id(c, GUILD, result.entry_id))
    assert (entry["kind"], entry["reverses_entry_id"], entry["actor_id"]) == ("reversal", entry_id, MOD)
    rows = await services.db.read(lambda c: action_log.recent(c, GUILD))
    assert rows[0]["action"] == "ledger.reverse" and rows[0]["target"] == f"entry:{entry_id}"
    assert rows[0]["reason"] == "sent to the wrong creator"
    await assert_clean(services)


async def test_an_entry_is_reversed_at_most_once(services):
    entry_id = await gift(services, FAN, CREATOR, "Rose", 5)
    first = await services.corrections.reverse(GUILD, MOD, entry_id, "mistake")
    with pytest.raises(Conflict, match=f"already reversed by entry #{first.entry_id}"):
        await services.corrections.reverse(GUILD, MOD, entry_id, "mistake again")
    assert await wallet(services, FAN) == (5, 0)
    await assert_clean(services)


async def test_concurrent_reversals_of_one_entry_apply_once(services):
    entry_id = await gift(services, FAN, CREATOR, "Rose", 5)
    results = await asyncio.gather(
        *(services.corrections.reverse(GUILD, MOD, entry_id, "dup") for _ in range(4)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    assert await wallet(services, FAN) == (5, 0)
    await assert_clean(services)


async def test_a_reversal_cannot_be_reversed(services):
    entry_id = await gift(services, FAN, CREATOR, "Rose", 5)
    reversal = await services.corrections.reverse(GUILD, MOD, entry_id, "mistake")
    with pytest.raises(NotPermitted, match="itself a reversal"):
        await services.corrections.reverse(GUILD, MOD, reversal.entry_id, "undo the undo")
    assert await wallet(services, FAN) == (5, 0)
    await assert_clean(services)


async def test_unknown_entry_is_refused(services):
    with pytest.raises(NotFound, match="no entry #424242"):
        await services.corrections.reverse(GUILD, MOD, 424242, "typo")
    with pytest.raises(InvalidAmount):
        await services.corrections.reverse(GUILD, MOD, 0, "typo")


async def test_an_entry_of_another_guild_is_unknown_here(services):
    other = await services.corrections.grant(GUILD + 1, MOD, FAN, 10, "elsewhere", key())
    with pytest.raises(NotFound):
        await services.corrections.reverse(GUILD, MOD, other.entry_id, "wrong server")


async def test_reversal_refused_when_the_creator_already_cashed_out(services):
    entry_id = await gift(services, FAN, CREATOR, "Galaxy", 1)
    payout = await services.payouts.request(GUILD, CREATOR, 1000, key())
    await services.payouts.approve(GUILD, MOD, payout.id)

    with pytest.raises(Conflict, match="negative diamonds balance") as refused:
        await services.corrections.reverse(GUILD, MOD, entry_id, "chargeback")

    assert f"<@{CREATOR}>" in refused.value.message
    assert await wallet(services, FAN) == (0, 0)
    assert await wallet(services, CREATOR) == (0, 0)
    reversals = await services.db.read(
        lambda c: c.execute("SELECT COUNT(*) FROM journal_entries WHERE kind = 'reversal'").fetchone()[0]
    )
    assert reversals == 0
    await assert_clean(services)


async def test_reversal_refused_while_the_diamonds_are_reserved_for_a_cashout(services):
    entry_id = await gift(services, FAN, CREATOR, "Galaxy", 1)
    await services.payouts.request(GUILD, CREATOR, 1000, key())
    with pytest.raises(Conflict, match="negative diamonds"):
        await services.corrections.reverse(GUILD, MOD, entry_id, "chargeback")
    await assert_clean(services)


async def test_cashout_entries_are_decided_with_payouts_not_reversed(services):
    await gift(services, FAN, CREATOR, "Galaxy", 1)
    payout = await services.payouts.request(GUILD, CREATOR, 1000, key())
    with pytest.raises(NotPermitted, match="/payouts"):
        await services.corrections.reverse(GUILD, MOD, payout.reserve_entry_id, "oops")
    assert await wallet(services, CREATOR) == (0, 0)


async def test_reversing_a_grant_refused_once_the_coins_were_spent(services):
    granted = await services.corrections.grant(GUILD, MOD, FAN, 1000, "prize", key())
    await gift(services, FAN, CREATOR, "Galaxy", 1, funded=False)
    with pytest.raises(Conflict, match="negative coins balance"):
        await services.corrections.reverse(GUILD, MOD, granted.entry_id, "wrong winner")
    await assert_clean(services)


async def test_recent_entries_for_autocomplete(services):
    gift_id = await gift(services, FAN, CREATOR, "Rose", 3)
    reversed_id = await gift(services, FAN, CREATOR, "Rose", 1)
    await services.corrections.reverse(GUILD, MOD, reversed_id, "mistake")

    found = await services.corrections.recent_entries(GUILD)
    ids = [s.entry_id for s in found]
    assert gift_id in ids
    assert reversed_id not in ids  # already reversed: not offered
    assert all(s.kind != "reversal" for s in found)
    assert ids == sorted(ids, reverse=True)
    only = await services.corrections.recent_entries(GUILD, f"#{gift_id}")
    assert only and only[0].entry_id == gift_id
    assert "gift" in only[0].label() and "3 coins" in only[0].label()
