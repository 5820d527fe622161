"""Every guild setting changes through the guild-config service and shows in /config show; the spender
role is enforced by the purchase service itself, as by the gift service."""

from __future__ import annotations

import pytest

from bot.errors import NotPermitted
from cogs.config import render_config
from storage import action_log

GUILD = 1
MOD = 900
ANA = 101
ROLE = 555


async def test_config_show_lists_every_setting(services):
    await services.guild_config.set_cashout_minimum(GUILD, MOD, 1500)
    change = await services.guild_config.set_fee(GUILD, MOD, 20)
    assert (change.before, change.after) == (50, 20)
    await services.guild_config.set_cashout_hold(GUILD, MOD, 14)
    text = render_config(await services.guild_config.get(GUILD), services.payments.mode)
    assert "Cash-out hold: 14 days" in text
    assert "Cash-outs: off (sandbox mode" in text
    assert "Cash-out minimum: 💎 1,500" in text
    assert "Platform fee on cash-outs: 20 %" in text
    assert await services.payouts.cashout_minimum(GUILD) == 1500
    actions = {r["action"] for r in await services.db.read(lambda c: action_log.recent(c, GUILD))}
    assert {"config.cashout_minimum", "config.fee_percent"} <= actions


async def test_purchases_refuse_a_member_without_the_spender_role(services):
    await services.guild_config.set_spender_role(GUILD, MOD, ROLE)
    with pytest.raises(NotPermitted, match="only members with"):
        await services.purchases.offer(GUILD, ANA, 350, role_ids=[1, 2])
    with pytest.raises(NotPermitted):
        await services.purchases.purchase(GUILD, ANA, 350, "no-role", role_ids=[])
    assert (await services.wallets.balance(GUILD, ANA)).coins == 0
    result = await services.purchases.purchase(GUILD, ANA, 350, "with-role", role_ids=[ROLE])
    assert result.balance == 350
