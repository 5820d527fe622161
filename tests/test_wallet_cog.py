from __future__ import annotations

from tests.support.discord_fakes import Member


async def test_balance_is_ephemeral_and_shows_value_in_member_currency(driver, services):
    ana = Member(101, "ana")
    await driver.slash("wallet region", ana, region="GB")
    bought = await driver.slash("coins buy", ana, package=350)
    await driver.click(bought, "Pay", ana)

    reply = await driver.slash("wallet balance", ana)

    assert reply.ephemeral
    assert "350" in reply.text
    assert "£3.75" in reply.text
