from __future__ import annotations

import pytest

from simulator.discord_payloads import Member
from tests.support.replies import assert_apology


async def test_balance_is_ephemeral_and_shows_value_in_member_currency(driver, services):
    ana = Member(101, "ana")
    await driver.slash("wallet region", ana, region="GB")
    bought = await driver.slash("coins buy", ana, package=350)
    await driver.click(bought, "Get test coins", ana)

    reply = await driver.slash("wallet balance", ana)

    assert reply.ephemeral
    assert "350" in reply.text
    assert "£3.75" in reply.text


# --- /wallet through the real command tree ------------------------------------------------------

BEN = Member(102, "ben")


async def buy(driver, member: Member, package: int) -> None:
    prompt = await driver.slash("coins buy", member, package=package)
    await driver.click(prompt, "Get test coins", member)


@pytest.mark.parametrize(
    ("region", "value"),
    [("GB", "£3.75"), ("IN", "₹300"), ("KR", "₩5,400"), ("US", "$3.70"), ("BR", "R$")],
)
async def test_balance_shows_what_the_coins_are_worth_in_the_member_region(driver, region, value):
    await driver.slash("wallet region", BEN, region=region)
    await buy(driver, BEN, 350)

    reply = await driver.slash("wallet balance", BEN)

    assert reply.ephemeral
    assert "🪙 350" in reply.text
    assert value in reply.text
    assert "💎 0" in reply.text


async def test_a_new_member_sees_an_empty_wallet_in_the_default_currency(driver):
    reply = await driver.slash("wallet balance", BEN)
    assert reply.ephemeral
    assert "🪙 0" in reply.text and "$0" in reply.text
    assert "United States (USD)" in reply.text


async def test_region_autocomplete_searches_codes_and_names(driver):
    everything = await driver.autocomplete("wallet region", BEN, "region", region="")
    assert len(everything) == 9
    assert {"name": "India (INR)", "value": "IN"} in everything

    by_name = await driver.autocomplete("wallet region", BEN, "region", region="kingdom")
    assert by_name == [{"name": "United Kingdom (GBP)", "value": "GB"}]
    by_code = await driver.autocomplete("wallet region", BEN, "region", region="kr")
    assert [c["value"] for c in by_code] == ["KR"]
    assert await driver.autocomplete("wallet region", BEN, "region", region="atlantis") == []


async def test_setting_a_region_confirms_its_currency(driver, services):
    reply = await driver.slash("wallet region", BEN, region="IN")

    assert reply.ephemeral
    assert "India" in reply.text and "INR" in reply.text and "₹60" in reply.text
    assert (await services.wallets.balance(driver.guild_id, BEN.user_id)).rate.region.code == "IN"


async def test_an_unknown_region_is_refused_and_the_old_one_kept(driver, services):
    await driver.slash("wallet region", BEN, region="GB")

    reply = await driver.slash("wallet region", BEN, region="Atlantis")

    assert reply.ephemeral
    assert "Unknown region 'Atlantis'" in reply.text and "GB" in reply.text
    assert (await services.wallets.balance(driver.guild_id, BEN.user_id)).rate.region.code == "GB"


async def test_history_lists_movements_in_words_newest_first(driver, clock):
    await driver.slash("wallet region", BEN, region="GB")
    await buy(driver, BEN, 70)
    clock.advance(hours=1)
    await buy(driver, BEN, 700)

    reply = await driver.slash("wallet history", BEN)

    assert reply.ephemeral
    lines = reply.embeds[0]["description"].splitlines()
    assert len(lines) == 2
    # Sandbox coins are free: history says so and shows no payment.
    assert lines[0].endswith("**Test coins (free)**: +700 coins (≈ £7.50)")
    assert lines[1].endswith("**Test coins (free)**: +70 coins (≈ £0.75)")

    one = await driver.slash("wallet history", BEN, limit=1)
    assert len(one.embeds[0]["description"].splitlines()) == 1


async def test_an_empty_history_says_how_to_start(driver):
    reply = await driver.slash("wallet history", BEN)
    assert reply.ephemeral and "Nothing yet" in reply.text and "/coins buy" in reply.text


@pytest.mark.parametrize("limit", [0, -1, 26, 2**53, -(2**53)])
async def test_bad_history_limits_are_refused_briefly(driver, services, limit):
    await buy(driver, BEN, 70)

    reply = await driver.slash("wallet history", BEN, limit=limit)

    assert reply.ephemeral
    assert reply.embeds == []
    assert reply.content == "Choose between 1 and 25 rows."
    assert (await services.wallets.balance(driver.guild_id, BEN.user_id)).coins == 70


@pytest.mark.parametrize(
    ("path", "options"),
    [("wallet balance", {}), ("wallet region", {"region": "GB"}), ("wallet history", {"limit": 5})],
)
async def test_wallet_commands_are_refused_in_direct_messages(driver, db, path, options):
    reply = await driver.slash(path, None, **options)

    assert reply.ephemeral
    assert reply.content == "This command only works inside a server."
    assert await db.read(lambda c: c.execute("SELECT COUNT(*) FROM wallets").fetchone()[0]) == 0


async def test_an_unexpected_failure_shows_the_apology(driver, services, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services.wallets, "balance", broken)

    reply = await driver.slash("wallet balance", BEN)

    assert reply.ephemeral
    assert_apology(reply.content)
