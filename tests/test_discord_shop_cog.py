"""/coins with Discord purchases through the real command tree: USD list prices, Discord's premium button
(checked against Discord's rules by the fake), and entitlement events through discord.py's own parser."""

from __future__ import annotations

import asyncio
import logging

import pytest

from simulator.discord_payloads import PREMIUM_BUTTON, Member
from tests.support.factories import GUILD, discord_settings, entry_count, wallet

ANA = Member(101, "ana")


@pytest.fixture
def settings(tmp_path):
    return discord_settings(tmp_path)  # 70, 350 and 700 coins for $0.74, $3.70, $7.40


async def test_packages_show_the_usd_list_prices_and_that_discord_takes_the_payment(driver):
    reply = await driver.slash("coins packages", ANA)
    assert reply.ephemeral
    for line in ("70 coins** — $0.74 list price", "350 coins** — $3.70", "700 coins** — $7.40"):
        assert line in reply.text
    assert "Discord" in reply.text and "not charged" not in reply.text


async def test_buy_shows_discords_premium_button_and_credits_nothing_by_itself(
    driver, services, monetization
):
    reply = await driver.slash("coins buy", ANA, package=350)

    assert reply.ephemeral and "350 coins" in reply.text and "this server" in reply.text
    [button] = [c for row in reply.components for c in row["components"]]
    assert button["style"] == PREMIUM_BUTTON and button["sku_id"] == str(monetization.skus[1]["id"])
    assert "label" not in button and "custom_id" not in button
    assert await entry_count(services) == 0  # the button takes the payment; the event credits


async def test_an_entitlement_event_credits_the_wallet_of_the_server_where_the_shop_was_opened(
    driver, services, monetization, caplog
):
    caplog.set_level(logging.WARNING)
    await driver.slash("coins buy", ANA, package=700)
    entitlement = await monetization.purchase(ANA.user_id, int(monetization.skus[2]["id"]))
    for _ in range(500):  # the listener runs as a task: credit (a commit), consume, record
        if monetization.consumed:
            break
        await asyncio.sleep(0.01)
    assert await wallet(services, ANA.user_id, GUILD) == (700, 0)
    assert monetization.consumed == [int(entitlement["id"])]

    await monetization.send("create", entitlement)  # Discord sends it again
    assert await wallet(services, ANA.user_id, GUILD) == (700, 0)
    assert monetization.consumed == [int(entitlement["id"])]


async def test_buy_without_a_package_shows_a_premium_button_for_every_package(driver, services, monetization):
    reply = await driver.slash("coins buy", ANA)

    assert (
        reply.ephemeral
        and "Buy coins" in reply.text
        and "$0.74" in reply.text
        and "this server" in reply.text
    )
    buttons = [c for row in reply.components for c in row["components"]]
    assert [b["sku_id"] for b in buttons] == [sku["id"] for sku in monetization.skus]
    assert {b["style"] for b in buttons} == {PREMIUM_BUTTON}
    assert await entry_count(services) == 0


@pytest.mark.parametrize("package", [0, -1, 123, 2**53, 2**63 - 1])
async def test_a_package_that_does_not_exist_is_refused_without_a_button(driver, services, package):
    reply = await driver.slash("coins buy", ANA, package=package)
    assert reply.ephemeral and not reply.components
    assert "package" in reply.text and len(reply.text) < 400
    assert await entry_count(services) == 0
