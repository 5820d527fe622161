"""A creator's earnings (a PNG chart), a member's CSV statement, and a cash-out approved by a moderator:
multipart uploads, deferred follow-ups, autocomplete and DMs through the real discord.py client."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.test_discord_purchases import COIN_SKUS, SKU_700, add_coin_skus, buy_on_discord
from tests.e2e.test_gifts_live import wallet

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def e2e_setting_overrides(fake_discord) -> dict[str, object]:
    add_coin_skus(fake_discord)  # cash-outs are for coins that were paid for
    return {"payment_provider": "discord", "coin_skus": COIN_SKUS}


async def test_statement_earnings_chart_and_approved_cash_out(e2e, running_bot):
    cara = e2e.member("cara")
    await e2e.slash("creator register", cara)
    ana = e2e.member("ana")
    await buy_on_discord(e2e, ana, 700, SKU_700)
    await e2e.wait_for(lambda: e2e.fake.consumed, what="the first purchase consumed")
    await buy_on_discord(e2e, ana, 700, SKU_700)
    await e2e.wait_for(lambda: wallet(running_bot, ana) == (1_400, 0), what="both purchases")

    big = await e2e.slash("gift send", ana, gift="Galaxy", creator=cara)  # 1,000 coins: asks first
    assert big.ephemeral and big.reply.buttons()
    first, second = e2e.click_log(big.reply, "Send", ana), e2e.click_log(big.reply, "Send", ana)
    await e2e.fake.send_interaction(first)  # a double click: both reach the bot
    await e2e.fake.send_interaction(second)
    await e2e.answered(first)
    await e2e.answered(second)
    assert wallet(running_bot, ana) == (400, 0)  # sent once
    assert wallet(running_bot, cara) == (0, 1_000)

    statement = await e2e.slash("wallet export", ana)  # "thinking…", then a follow-up with the file
    assert statement.ephemeral
    [attachment] = await e2e.wait_for(
        lambda: [a for m in statement.messages for a in m.attachments if a.filename.endswith(".csv")],
        what="the statement file",
    )
    assert attachment.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(attachment.data.decode("utf-8-sig"))))
    assert len(rows) == 3  # two purchases and the gift

    earnings = await e2e.slash("creator earnings", cara)  # "thinking…", then a follow-up with the chart
    charts = await e2e.wait_for(
        lambda: [a for m in earnings.messages for a in m.attachments if a.filename.endswith(".png")],
        what="the earnings chart",
    )
    assert charts[0].data.startswith(PNG_MAGIC)
    messages = earnings.messages
    assert all(m.ephemeral for m in messages)
    text = "\n".join(m.text for m in messages)
    assert "1,000" in text and "Maturing (7-day hold)" in text and "Cashable now: 💎 0" in text

    held = await e2e.slash("creator cashout", cara, diamonds=1_000)
    assert held.ephemeral and "Only 0 of your 1,000 diamonds" in held.text and not held.reply.buttons()
    mod = e2e.moderator("mo")
    hold = await e2e.slash("config cashout-hold", mod, days=0)
    assert hold.ephemeral and "0 days" in hold.text

    cashout = await e2e.slash("creator cashout", cara, diamonds=1_000)
    assert cashout.ephemeral
    await e2e.click(cashout.reply, "Cash out", cara)
    assert wallet(running_bot, cara) == (0, 0)  # reserved for the payout

    choices = await e2e.autocomplete("payouts approve", mod, "payout", payout="")
    assert len(choices) == 1
    approved = await e2e.slash("payouts approve", mod, payout=choices[0]["value"])
    assert approved.ephemeral
    dm = await e2e.wait_for(lambda: e2e.fake.dms_to(cara.user_id), what="the creator's DM")
    assert "approved" in dm[0].text.lower()
