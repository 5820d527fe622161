"""A member's first steps, through the real discord.py client and a local fake Discord."""

from __future__ import annotations

from tests.e2e.conftest import read_db


def coins_of(running_bot, user) -> int:
    conn = read_db(running_bot.settings.database_path)
    try:
        row = conn.execute("SELECT coins FROM wallets WHERE user_id = ?", (user.user_id,)).fetchone()
        return row["coins"] if row else 0
    finally:
        conn.close()


async def test_member_sets_region_and_buys_coins_once_despite_double_click(e2e, running_bot):
    ana = e2e.member("ana")

    region = await e2e.slash("wallet region", ana, region="GB")
    assert region.ephemeral
    assert "United Kingdom" in region.text

    offer = await e2e.slash("coins buy", ana, package=350)
    assert offer.ephemeral
    assert "£3.75" in offer.text
    first = e2e.click_log(offer.reply, "Get test coins", ana)
    second = e2e.click_log(
        offer.reply, "Get test coins", ana
    )  # the member double-clicks before the first answer
    await e2e.fake.send_interaction(first)
    await e2e.fake.send_interaction(second)
    await e2e.answered(first)
    await e2e.answered(second)

    assert "Test coins added" in e2e.fake.messages[offer.reply.id].text
    assert coins_of(running_bot, ana) == 350
    balance = await e2e.slash("wallet balance", ana)
    assert balance.ephemeral
    assert "350" in balance.text and "£3.75" in balance.text
