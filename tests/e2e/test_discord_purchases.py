"""Coin purchases through Discord App Monetization, end to end: the real bot against the fake Discord's
SKUs, entitlements, ENTITLEMENT_* events and premium-button rules."""

from __future__ import annotations

import contextlib
import logging

import discord
import pytest

from bot.economy.entitlements import Outcome
from simulator.discord_payloads import PREMIUM_BUTTON, SKU_DURABLE
from simulator.fake_discord import FakeDiscord
from tests.e2e.conftest import RunningBot, e2e_settings, ledger_problems_in, read_db
from tests.e2e.test_gifts_live import wallet

SKU_70, SKU_350, SKU_700 = 1_310_000_000_000_000_070, 1_310_000_000_000_000_350, 1_310_000_000_000_000_700
COIN_SKUS = f"{SKU_70}:70:0.99,{SKU_350}:350:4.99,{SKU_700}:700:9.99"


def add_coin_skus(fake: FakeDiscord) -> None:
    fake.add_sku(SKU_70, "70 coins")
    fake.add_sku(SKU_350, "350 coins")
    fake.add_sku(SKU_700, "700 coins")


@pytest.fixture
def e2e_setting_overrides(fake_discord) -> dict[str, object]:
    add_coin_skus(fake_discord)
    return {"payment_provider": "discord", "coin_skus": COIN_SKUS}


def cog(running_bot):  # noqa: ANN001, ANN201
    return running_bot.bot.get_cog("EntitlementsCog")


def purchases(running_bot) -> list[tuple]:  # noqa: ANN001
    conn = read_db(running_bot.settings.database_path)
    try:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT kind, money_minor, currency FROM journal_entries"
                " WHERE kind IN ('purchase', 'test_purchase', 'refund') ORDER BY id"
            )
        ]
    finally:
        conn.close()


async def buy_on_discord(e2e, member, package: int, sku_id: int) -> dict:  # noqa: ANN001
    """The member opens the shop in the server, then pays on Discord's button."""
    offer = await e2e.slash("coins buy", member, package=package)
    assert offer.ephemeral
    [button] = offer.reply.buttons()
    assert button["style"] == PREMIUM_BUTTON and button["sku_id"] == str(sku_id)
    return await e2e.fake.purchase(member.user_id, sku_id)


async def test_a_purchase_is_credited_once_although_the_event_arrives_twice_and_reconciliation_sees_it(
    e2e, running_bot
):
    ana = e2e.member("ana")
    packages = await e2e.slash("coins packages", ana)
    assert "$4.99" in packages.text and "Discord" in packages.text

    entitlement = await buy_on_discord(e2e, ana, 350, SKU_350)
    receipt = await e2e.wait_for(lambda: e2e.fake.dms_to(ana.user_id), what="the DM receipt")
    assert "350 coins" in receipt[0].text and "Live Lounge" in receipt[0].text and "350" in receipt[0].text

    await e2e.fake.dispatch("ENTITLEMENT_CREATE", dict(entitlement))  # Discord sends it again
    await e2e.wait_for(lambda: e2e.fake.consumed, what="the consume")
    settled = await cog(running_bot).reconcile()

    assert [s.outcome for s in settled] == [Outcome.ALREADY_CREDITED]
    assert wallet(running_bot, ana) == (350, 0)
    assert purchases(running_bot) == [("purchase", 499, "USD")]
    assert e2e.fake.consumed == [int(entitlement["id"])]
    assert e2e.fake.entitlements[int(entitlement["id"])]["consumed"] is True
    assert len(e2e.fake.dms_to(ana.user_id)) == 1
    # Consumed, the member may buy the same package again.
    await e2e.fake.purchase(ana.user_id, SKU_350)
    await e2e.wait_for(lambda: wallet(running_bot, ana) == (700, 0), what="the second purchase")


async def test_purchases_missed_while_offline_and_refunds_are_found_by_reconciliation(e2e, running_bot):
    ana = e2e.member("ana")
    await e2e.slash("coins buy", ana, package=700)
    entitlement = await e2e.fake.purchase(ana.user_id, SKU_700, send_event=False, with_consumed=False)

    await cog(running_bot).reconcile()
    assert wallet(running_bot, ana) == (700, 0)
    assert e2e.fake.consumed == [int(entitlement["id"])]

    await e2e.fake.refund(int(entitlement["id"]), send_event=False)
    await cog(running_bot).reconcile()
    assert wallet(running_bot, ana) == (0, 0)
    assert purchases(running_bot) == [("purchase", 999, "USD"), ("refund", 999, "USD")]


async def test_a_refund_after_half_the_coins_were_spent_leaves_a_debt_the_next_purchase_pays(
    e2e, running_bot
):
    ana, cara, mod = e2e.member("ana"), e2e.member("cara"), e2e.moderator("mo")
    await e2e.slash("creator register", cara)
    first = await buy_on_discord(e2e, ana, 700, SKU_700)
    await e2e.wait_for(lambda: wallet(running_bot, ana) == (700, 0), what="the purchase")
    await e2e.wait_for(lambda: e2e.fake.consumed, what="the consume")
    for _ in range(2):  # 2 × 299 = 598, then 70 more: 350 coins left of 700
        await e2e.slash("gift send", ana, gift="Corgi", creator=cara, count=1)
    await e2e.slash("gift send", ana, gift="Love Bang", creator=cara, count=2)
    assert wallet(running_bot, ana) == (52, 0)

    await e2e.fake.refund(int(first["id"]))
    notices = await e2e.wait_for(
        lambda: [m for m in e2e.fake.dms_to(ana.user_id) if "refunded" in m.text], what="the refund DM"
    )
    assert "owe 648" in notices[0].text
    assert wallet(running_bot, ana) == (0, 0)
    assert wallet(running_bot, cara) == (0, 648)  # the creator keeps the diamonds of gifts already sent

    balance = await e2e.slash("wallet balance", ana)
    assert "Owed after a refund: 🪙 648" in balance.text
    history = await e2e.slash("wallet history", ana)
    assert "**Purchase refunded**: -52 coins" in history.text and "refunded $9.99" in history.text
    refused = await e2e.slash("gift send", ana, gift="Rose", creator=cara, count=1)
    assert refused.ephemeral and "owe 648 coins" in refused.text
    log = await e2e.slash("audit log", mod)
    assert "took back a purchase Discord refunded" in log.text and f"<@{ana.user_id}>" in log.text

    await buy_on_discord(e2e, ana, 700, SKU_700)
    receipt = await e2e.wait_for(
        lambda: [m for m in e2e.fake.dms_to(ana.user_id) if "paid what you owed" in m.text], what="receipt"
    )
    assert "648" in receipt[0].text
    assert wallet(running_bot, ana) == (52, 0)  # 700 − the 648 owed
    sent = await e2e.slash("gift send", ana, gift="Rose", creator=cara, count=1)
    assert "owe" not in sent.text
    assert ledger_problems_in(running_bot.settings.database_path) == []


async def test_a_test_mode_purchase_is_not_credited_unless_allowed(e2e, running_bot, caplog):
    caplog.set_level(logging.WARNING, logger="bot.economy.entitlements")
    ana = e2e.member("ana")
    await e2e.slash("coins buy", ana, package=70)
    entitlement = await e2e.fake.purchase(ana.user_id, SKU_70, test=True)
    await e2e.wait_for(
        lambda: any("test-mode purchase" in r.getMessage() for r in caplog.records), what="the warning"
    )
    await cog(running_bot).reconcile()

    assert wallet(running_bot, ana) == (0, 0)
    assert purchases(running_bot) == []
    assert e2e.fake.entitlements[int(entitlement["id"])]["consumed"] is False  # left for Discord to see


class TestAllowed:
    @pytest.fixture
    def e2e_setting_overrides(self, fake_discord) -> dict[str, object]:
        add_coin_skus(fake_discord)
        return {"payment_provider": "discord", "coin_skus": COIN_SKUS, "discord_test_purchases": True}

    async def test_allowed_test_purchases_are_credited_as_test_coins_with_no_money(self, e2e, running_bot):
        ana = e2e.member("ana")
        await e2e.slash("coins buy", ana, package=70)
        await e2e.fake.purchase(ana.user_id, SKU_70, test=True)
        await e2e.fake.purchase(ana.user_id, SKU_70, test=True)  # test mode allows rebuying at once
        await e2e.wait_for(lambda: len(e2e.fake.consumed) == 2, what="both consumed")
        assert wallet(running_bot, ana) == (140, 0)
        assert purchases(running_bot) == [("test_purchase", None, None)] * 2
        receipt = await e2e.wait_for(lambda: e2e.fake.dms_to(ana.user_id), what="receipt")
        assert "no money charged" in receipt[0].text

    async def test_a_deleted_test_entitlement_takes_the_coins_back(self, e2e, running_bot):
        ana = e2e.member("ana")
        await e2e.slash("coins buy", ana, package=350)
        await running_bot.bot.create_entitlement(
            discord.Object(id=SKU_350), discord.Object(id=ana.user_id), discord.EntitlementOwnerType.user
        )
        await e2e.wait_for(lambda: wallet(running_bot, ana) == (350, 0), what="the test entitlement")
        [entitlement_id] = list(e2e.fake.entitlements)
        [entitlement] = [e async for e in running_bot.bot.entitlements(user=discord.Object(id=ana.user_id))]
        await entitlement.delete()
        await e2e.wait_for(lambda: wallet(running_bot, ana) == (0, 0), what="the refund")
        assert e2e.fake.entitlements[entitlement_id]["deleted"] is True


async def test_a_coin_sku_the_application_does_not_have_fails_at_start(fake_discord, tmp_path):
    fake_discord.add_sku(SKU_70, "70 coins")
    fake_discord.add_sku(SKU_350, "Supporter badge", SKU_DURABLE)
    for coin_skus, problem in (
        (f"{SKU_70}:70:0.99,999:350:4.99", "SKU 999 is not a SKU of this application"),
        (f"{SKU_70}:70:0.99,{SKU_350}:350:4.99", "is not a consumable SKU"),
    ):
        settings = e2e_settings(tmp_path, fake_discord, payment_provider="discord", coin_skus=coin_skus)
        runner = RunningBot(fake_discord, settings)
        with pytest.raises(discord.ext.commands.ExtensionFailed) as failed:
            await runner.start()
        assert "COIN_SKUS" in str(failed.value.original) and problem in str(failed.value.original)
        with contextlib.suppress(discord.ext.commands.ExtensionFailed):  # stop() awaits the failed start
            await runner.stop()
    fake_discord.unknown_requests.clear()
