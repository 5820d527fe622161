"""/coins through the real command tree: packages, the buy prompt and its buttons."""

from __future__ import annotations

import asyncio
import sys

import pytest

from cogs.views import ConfirmView
from simulator.discord_payloads import Member
from storage import ledger
from storage.ledger_check import find_discrepancies
from tests.support.discord_fakes import _message_payload
from tests.support.replies import assert_apology

ANA = Member(101, "ana")
BEN = Member(102, "ben")


async def coins_of(services, driver, member: Member) -> int:
    return (await services.wallets.balance(driver.guild_id, member.user_id)).coins


async def entries(db) -> int:
    return await db.read(lambda c: c.execute("SELECT COUNT(*) FROM journal_entries").fetchone()[0])


async def test_packages_are_shown_privately_in_the_member_currency(driver):
    await driver.slash("wallet region", ANA, region="GB")

    reply = await driver.slash("coins packages", ANA)

    assert reply.ephemeral
    for line in (
        "70 coins** — ~~£0.75~~ free",
        "350 coins** — ~~£3.75~~ free",
        "700 coins** — ~~£7.45~~ free",
    ):
        assert line in reply.text
    assert "United Kingdom (GBP)" in reply.text


async def test_packages_default_to_the_default_region(driver):
    reply = await driver.slash("coins packages", BEN)
    assert "$0.74" in reply.text and "$7.40" in reply.text


async def test_buy_autocomplete_offers_the_member_packages_with_prices(driver):
    await driver.slash("wallet region", ANA, region="IN")

    choices = await driver.autocomplete("coins buy", ANA, "package", package="")

    assert [(c["name"], c["value"]) for c in choices] == [
        ("70 coins — ₹60", 70),
        ("350 coins — ₹300", 350),
        ("700 coins — ₹600", 700),
    ]
    narrowed = await driver.autocomplete("coins buy", ANA, "package", package="35")
    assert [c["value"] for c in narrowed] == [350]


async def test_buy_shows_the_price_and_credits_only_after_pay(driver, services, db):
    await driver.slash("wallet region", ANA, region="GB")

    prompt = await driver.slash("coins buy", ANA, package=350)

    assert prompt.ephemeral
    assert "350 coins" in prompt.text and "£3.75" in prompt.text
    assert prompt.button("Get test coins")["label"] == "Get test coins (free)"
    assert prompt.button("Cancel")
    assert await coins_of(services, driver, ANA) == 0
    assert await entries(db) == 0

    [done] = await driver.click(prompt, "Get test coins", ANA)

    assert done.ephemeral
    assert "Test coins added" in done.text
    assert "350 coins" in done.text and "£3.75" in done.text
    assert "Balance: 🪙 350" in done.text
    assert done.components == []  # the buttons are gone
    assert await coins_of(services, driver, ANA) == 350
    assert await db.read(find_discrepancies) == []


async def test_two_separate_buys_are_two_purchases(driver, services):
    for _ in range(2):
        prompt = await driver.slash("coins buy", ANA, package=70)
        await driver.click(prompt, "Get test coins", ANA)
    assert await coins_of(services, driver, ANA) == 140


async def test_pressing_pay_twice_credits_once(driver, services, db):
    prompt = await driver.slash("coins buy", ANA, package=700)

    answers = await asyncio.gather(
        driver.click(prompt, "Get test coins", ANA), driver.click(prompt, "Get test coins", ANA)
    )

    assert all("Balance: 🪙 700" in replies[0].text for replies in answers)
    assert await coins_of(services, driver, ANA) == 700
    assert await entries(db) == 1


async def test_a_late_second_click_after_paying_is_answered_and_credits_nothing_more(driver, services, db):
    prompt = await driver.slash("coins buy", ANA, package=350)
    [paid] = await driver.click(prompt, "Get test coins", ANA)

    late = await driver.click(prompt, "Get test coins", ANA)  # the double click that lost the race

    assert late and "Balance: 🪙 350" in late[0].text
    assert "Balance: 🪙 350" in paid.text
    assert await coins_of(services, driver, ANA) == 350
    assert await entries(db) == 1


async def test_cancel_after_paying_is_too_late_and_pay_after_cancel_charges_nothing(driver, services, db):
    paid_prompt = await driver.slash("coins buy", ANA, package=70)
    await driver.click(paid_prompt, "Get test coins", ANA)
    [too_late] = await driver.click(paid_prompt, "Cancel", ANA)

    cancelled_prompt = await driver.slash("coins buy", ANA, package=700)
    await driver.click(cancelled_prompt, "Cancel", ANA)
    [refused] = await driver.click(cancelled_prompt, "Get test coins", ANA)

    assert too_late.ephemeral and "already confirmed" in too_late.text
    assert refused.ephemeral and "cancelled" in refused.text
    assert await coins_of(services, driver, ANA) == 70
    assert await entries(db) == 1


async def test_discord_resending_the_click_credits_once(driver, services, db):
    prompt = await driver.slash("coins buy", ANA, package=350)
    button = prompt.button("Get test coins")
    payload = driver._base(3, ANA, {"component_type": 2, "custom_id": button["custom_id"]})
    payload["message"] = _message_payload(prompt.message_id, {"components": prompt.components})
    driver.adapter._message_of_interaction[int(payload["id"])] = prompt.message_id

    driver.bot._connection.parse_interaction_create(payload)
    driver.bot._connection.parse_interaction_create(payload)  # the same interaction, delivered again
    await driver.settle(int(payload["id"]))
    await asyncio.sleep(0.05)
    await driver.settle()

    assert await coins_of(services, driver, ANA) == 350
    assert await entries(db) == 1


async def test_another_member_cannot_press_the_buttons(driver, services, db):
    prompt = await driver.slash("coins buy", ANA, package=350)

    [refusal] = await driver.click(prompt, "Get test coins", BEN)
    [refusal_cancel] = await driver.click(prompt, "Cancel", BEN)

    assert refusal.ephemeral and "not for you" in refusal.text
    assert refusal_cancel.ephemeral and "not for you" in refusal_cancel.text
    assert await coins_of(services, driver, ANA) == 0
    assert await coins_of(services, driver, BEN) == 0
    assert await entries(db) == 0
    # The prompt still works for its owner.
    [done] = await driver.click(prompt, "Get test coins", ANA)
    assert "Balance: 🪙 350" in done.text


async def test_cancel_credits_nothing(driver, services, db):
    prompt = await driver.slash("coins buy", ANA, package=700)

    [cancelled] = await driver.click(prompt, "Cancel", ANA)

    assert cancelled.ephemeral
    assert "Cancelled. Nothing was charged." in cancelled.text
    assert cancelled.components == []
    assert await coins_of(services, driver, ANA) == 0
    assert await entries(db) == 0


async def test_an_unanswered_prompt_expires_and_credits_nothing(driver, services, db, monkeypatch):
    class QuickView(ConfirmView):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **{**kwargs, "timeout": 0.05})

    # load_extension re-imports the cog module: patch the one the bot runs.
    monkeypatch.setattr(sys.modules["cogs.coins"], "ConfirmView", QuickView)
    prompt = await driver.slash("coins buy", ANA, package=70)

    await asyncio.sleep(0.3)
    await driver.settle()

    expired = [r for r in driver.adapter.for_interaction(prompt.interaction_id) if r.kind == "edit"]
    assert expired and "expired. Nothing was charged." in expired[-1].text
    assert expired[-1].components == []
    assert await coins_of(services, driver, ANA) == 0
    assert await entries(db) == 0


async def test_a_price_change_between_prompt_and_pay_charges_nothing(driver, services, db):
    prompt = await driver.slash("coins buy", ANA, package=350)  # shown in USD
    await driver.slash("wallet region", ANA, region="IN")

    [refusal] = await driver.click(prompt, "Get test coins", ANA)

    assert refusal.ephemeral and "Nothing was charged" in refusal.text and "₹300" in refusal.text
    assert await coins_of(services, driver, ANA) == 0
    assert await entries(db) == 0


@pytest.mark.parametrize("package", [0, -1, 123, 2**53, -(2**53), 2**63])
async def test_bad_package_numbers_are_refused_briefly(driver, services, db, package):
    reply = await driver.slash("coins buy", ANA, package=package)

    assert reply.ephemeral
    assert reply.components == []  # no Pay button
    assert reply.content and len(reply.content) < 200
    assert "went wrong" not in reply.content
    assert await coins_of(services, driver, ANA) == 0
    assert await entries(db) == 0


async def test_an_unexpected_failure_while_paying_apologises_and_charges_nothing(
    driver, services, db, monkeypatch
):
    real_post_entry = ledger.post_entry

    def post_then_crash(conn, entry, postings):
        real_post_entry(conn, entry, postings)  # written … then undone with its savepoint
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ledger, "post_entry", post_then_crash)
    prompt = await driver.slash("coins buy", ANA, package=350)

    [apology] = await driver.click(prompt, "Get test coins", ANA)

    assert apology.ephemeral
    assert_apology(apology.content)
    assert await coins_of(services, driver, ANA) == 0
    assert await entries(db) == 0
    assert await db.read(find_discrepancies) == []


async def test_an_unexpected_failure_in_a_command_apologises(driver, services, db, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services.purchases, "offer", broken)

    reply = await driver.slash("coins buy", ANA, package=350)

    assert reply.ephemeral
    assert_apology(reply.content)
    assert await entries(db) == 0


@pytest.mark.parametrize(("path", "options"), [("coins packages", {}), ("coins buy", {"package": 350})])
async def test_coins_commands_are_refused_in_direct_messages(driver, db, path, options):
    reply = await driver.slash(path, None, **options)

    assert reply.ephemeral
    assert reply.content == "This command only works inside a server."
    assert reply.components == []
    assert await entries(db) == 0


async def test_buy_without_a_package_lists_the_sandbox_packages(driver, services):
    reply = await driver.slash("coins buy", ANA)
    assert reply.ephemeral and "350 coins** — ~~$3.70~~ free (not charged)" in reply.text
    assert not reply.components and await entries(services.db) == 0
