"""The payment modes through the real command tree: `none` sells nothing and keeps cash-outs off until
a moderator turns them on; the sandbox's free coins never become cash; the hold; the server's payout
value; where a cash-out's diamonds came from; the settings that configure Discord purchases."""

from __future__ import annotations

import logging

import pytest

from bot.app import warn_about_sandbox
from bot.settings import SettingsError, load_settings
from cogs.payouts import render_pending
from simulator.discord_payloads import Member, moderator
from tests.support.factories import (
    GUILD,
    buy_on_discord,
    cashout_settings,
    consumed,
    discord_settings,
    entitlement,
    entry_count,
    gift,
    grant,
    open_cashouts,
    wallet,
)
from tests.test_payout_cogs import wait_for_reply

ANA = Member(101, "ana")
CARA = Member(102, "cara")
MOD = moderator(202, "mo")


class TestNoPayments:
    @pytest.fixture
    def settings(self, tmp_path):
        return cashout_settings(tmp_path)  # PAYMENT_PROVIDER=none

    async def test_the_shop_sells_nothing_and_says_how_to_get_coins(self, driver, services):
        for reply in (
            await driver.slash("coins buy", ANA, package=70),
            await driver.slash("coins packages", ANA),
        ):
            assert reply.ephemeral and "does not sell coins" in reply.text and "/coins grant" in reply.text
        assert await driver.autocomplete("coins buy", ANA, "package", package="") == []
        assert await entry_count(services) == 0
        assert await wallet(services, ANA.user_id) == (0, 0)

    async def test_cash_outs_are_off_until_a_moderator_turns_them_on_and_wait_out_the_hold(
        self, driver, services, clock
    ):
        await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 1)  # granted coins, 1,000 diamonds
        off = await driver.slash("creator cashout", CARA, diamonds=1000)
        assert off.ephemeral and "Cash-outs are off in this server" in off.text and not off.components

        on = await driver.slash("config cashouts", MOD, enabled="on")
        assert on.ephemeral and "**on**" in on.text
        held = await driver.slash("creator cashout", CARA, diamonds=1000)
        assert "Only 0 of your 1,000 diamonds" in held.text and not held.components
        await driver.slash("creator earnings", CARA)  # deferred while the chart renders
        earnings = await wait_for_reply(driver, lambda r: "earnings.png" in r.files)
        assert "Maturing (7-day hold)" in earnings.text and "💎 1,000 from recent gifts" in earnings.text

        clock.advance(days=7, minutes=15)  # the hold, counted in whole quarter-hours
        ready = await driver.slash("creator cashout", CARA, diamonds=1000)
        assert ready.button("Cash out")  # $5.28: 1,000 × $0.74 / 70, half kept as the fee
        assert "$5.28" in ready.text
        shown = await driver.slash("config show", MOD)
        assert "Cash-out hold: 7 days" in shown.text and "Cash-outs: on" in shown.text

    async def test_the_hold_is_a_setting_from_0_to_30_days(self, driver, services):
        await driver.slash("config cashouts", MOD, enabled="on")
        changed = await driver.slash("config cashout-hold", MOD, days=0)
        assert changed.ephemeral and "**0 days**" in changed.text and "was 7" in changed.text
        for days in (-1, 31):
            with pytest.raises(Exception, match="0 to 30 days"):
                await services.guild_config.set_cashout_hold(GUILD, MOD.user_id, days)
        await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 1)
        assert (await driver.slash("creator cashout", CARA, diamonds=1000)).button("Cash out")


class TestSandbox:
    async def test_sandbox_coins_never_become_cash_whatever_the_server_setting(self, driver, services):
        await open_cashouts(services)  # even with cash-outs switched on and no hold
        await gift(services, ANA.user_id, CARA.user_id, "Galaxy", 1)
        refused = await driver.slash("creator cashout", CARA, diamonds=1000)
        assert refused.ephemeral and "sandbox mode" in refused.text and not refused.components
        with pytest.raises(Exception, match="sandbox mode"):
            await services.payouts.request(GUILD, CARA.user_id, 1000, "k-1")
        assert await wallet(services, CARA.user_id) == (0, 1000)
        shown = await driver.slash("config show", MOD)
        assert "Cash-outs: off (sandbox mode" in shown.text
        await driver.slash("creator earnings", CARA)
        earnings = await wait_for_reply(driver, lambda r: "earnings.png" in r.files)
        assert "sandbox mode" in earnings.text


class TestDiscordCashouts:
    @pytest.fixture
    def settings(self, tmp_path):
        return discord_settings(tmp_path)  # services only: the bot would check the SKUs with Discord

    async def test_the_diamond_value_is_the_smallest_skus_whatever_the_creators_region(self, services):
        await open_cashouts(services)
        await buy_on_discord(services, ANA.user_id, 700)
        await buy_on_discord(services, ANA.user_id, 350)
        await gift(services, ANA.user_id, CARA.user_id, "Galaxy", funded=False)
        for region in ("IN", "KR"):
            await services.wallets.set_region(GUILD, CARA.user_id, region)
            quote = await services.payouts.quote(GUILD, CARA.user_id, 1000)
            assert quote.value.currency == "USD" and quote.value.minor == 528  # 1,000 × $0.74 / 70 × 50 %
        earnings = await services.earnings.earnings(GUILD, CARA.user_id)
        assert earnings.value_text() == "$5.28" and "₩" in (earnings.local_value_text() or "")  # ≈

    async def test_pending_cash_outs_show_where_the_senders_coins_came_from(self, services):
        await open_cashouts(services)
        ben = 103
        bought = await buy_on_discord(services, ANA.user_id, 700)
        await gift(services, ANA.user_id, CARA.user_id, "Corgi", 2, funded=False)  # 598 diamonds
        await services.entitlements.settle(
            entitlement(services, ANA.user_id, 700, deleted=True, entitlement_id=bought.entitlement_id),
            consumed,
        )  # refunded after 598 were spent: owes 598
        await grant(services, ben, 1000)
        await gift(services, ben, CARA.user_id, "Galaxy", 1, funded=False)
        payout = await services.payouts.request(GUILD, CARA.user_id, 1500, "req-1")

        sources = await services.provenance.sources(GUILD, [payout.creator_id])
        text = render_pending([payout], sources).description or ""

        assert f"<@{ben}> gave 💎 1,000 · coins: bought 0 · granted 1,000" in text
        assert (
            f"<@{ANA.user_id}> gave 💎 598 · coins: bought 700 · granted 0 · ⚠️ refunded 700 · owes 598"
            in text
        )


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"PAYMENT_PROVIDER": "discord"}, "COIN_SKUS must list the coin SKUs"),
        ({"PAYMENT_PROVIDER": "discord", "COIN_SKUS": "1234:70"}, "'1234:70' is not SKU:coins:USD price"),
        ({"PAYMENT_PROVIDER": "discord", "COIN_SKUS": "1234:70:0.999"}, "is not SKU:coins:USD price"),
        ({"PAYMENT_PROVIDER": "discord", "COIN_SKUS": "1:70:0.99,1:350:4.99"}, "may appear only once"),
        ({"PAYMENT_PROVIDER": "paypal"}, "PAYMENT_PROVIDER"),
    ],
)
def test_payment_settings_that_cannot_work_fail_at_start_naming_the_setting(monkeypatch, env, problem):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as failed:
        load_settings(_env_file=None)
    assert problem in str(failed.value)
    assert "COIN_SKUS" in str(failed.value) or "PAYMENT_PROVIDER" in str(failed.value)


def test_discord_purchase_settings_are_read(monkeypatch):
    monkeypatch.setenv("PAYMENT_PROVIDER", "Discord")
    monkeypatch.setenv("COIN_SKUS", "1234:70:0.99, 1235:350:4.99")
    monkeypatch.setenv("DISCORD_TEST_PURCHASES", "true")
    settings = load_settings(_env_file=None)
    assert settings.payment_provider == "discord" and settings.discord_test_purchases
    assert settings.coin_skus == [(1234, 70, 99), (1235, 350, 499)]


@pytest.mark.parametrize(("mode", "warnings"), [("sandbox", 1), ("none", 0), ("discord", 0)])
def test_the_sandbox_says_so_once_at_start(caplog, mode, warnings):
    caplog.set_level(logging.WARNING, logger="livegifts")
    warn_about_sandbox(mode)
    lines = [r for r in caplog.records if r.name == "livegifts"]
    assert len(lines) == warnings
    if warnings:
        assert "free test coins" in lines[0].getMessage() and "cash-outs are refused" in lines[0].getMessage()
