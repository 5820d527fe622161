"""/deals through the real command tree, and the deal in /coins packages and /coins buy (the end in the
member's time zone, the bonus on the receipt, the deal kept when it ends between choice and payment)."""

from __future__ import annotations

from simulator.discord_payloads import Member, moderator

MOD = moderator(601)
ANA = Member(101, "ana")


async def test_moderators_start_list_and_end_deals(driver):
    started = await driver.slash("deals start", MOD, package=700, percent=50, ends="3d")
    assert (
        started.ephemeral and "**700 coins** package comes with **50 %** bonus (+350 coins)" in started.text
    )

    listed = await driver.slash("deals list", MOD)
    assert "700 coins** +50 %" in listed.text and "ends" in listed.text

    twice = await driver.slash("deals start", MOD, package=700, percent=10, ends="1d")
    assert twice.ephemeral and "already has a deal" in twice.text

    ended = await driver.slash("deals end", MOD, package=700)
    assert "has ended" in ended.text
    assert "No deals are running" in (await driver.slash("deals list", MOD)).text


async def test_members_cannot_run_deals(driver, services):
    reply = await driver.slash("deals start", ANA, package=700, percent=50, ends="3d")
    assert reply.ephemeral and "Manage Server" in reply.text
    assert (await services.deals.running(driver.guild_id, ANA.user_id))[0] == []


async def test_packages_and_buy_show_the_deal_in_the_members_zone_and_credit_the_bonus(
    driver, services, clock
):
    await services.budgets.set_reminders(driver.guild_id, ANA.user_id, "off", timezone="Asia/Tokyo")
    await driver.slash("deals start", MOD, package=350, percent=20, ends="2h")

    packages = await driver.slash("coins packages", ANA)
    assert "+70 coins bonus (20 % deal, ends 23:00 on Sat 28 Nov (Asia/Tokyo), in 2 h 0 min)" in packages.text

    prompt = await driver.slash("coins buy", ANA, package=350)
    assert (
        "+70 coins bonus" in prompt.text
        and "even if the payment completes after the deal ends" in prompt.text
    )
    clock.advance(hours=3)  # the deal ends while the prompt is open
    [done] = await driver.click(prompt, "Get test coins", ANA)

    assert "Deal bonus: **+70 coins**" in done.text and "Balance: 🪙 420" in done.text
    history = await services.wallets.history(driver.guild_id, ANA.user_id, 5)
    assert [i.kind for i in history] == ["deal_bonus", "test_purchase"]
