"""Gifts to a live creator, the shout-out in the alerts channel, the live summary: through discord.py."""

from __future__ import annotations

from simulator.fake_discord import ALERTS_CHANNEL_ID
from tests.e2e.conftest import read_db


def wallet(running_bot, user) -> tuple[int, int]:
    conn = read_db(running_bot.settings.database_path)
    try:
        row = conn.execute(
            "SELECT coins, diamonds FROM wallets WHERE user_id = ?", (user.user_id,)
        ).fetchone()
        return (row["coins"], row["diamonds"]) if row else (0, 0)
    finally:
        conn.close()


def assert_cannot_mass_ping(message) -> None:
    allowed = message.allowed_mentions
    assert allowed is not None, "a channel post without allowed_mentions falls back to Discord's default"
    assert "everyone" not in (allowed.get("parse") or [])
    assert "roles" not in (allowed.get("parse") or []) and not allowed.get("roles")
    for raw in ("@everyone", "@here"):
        assert raw not in (message.content or "")


async def buy(e2e, member, package: int) -> None:
    offer = await e2e.slash("coins buy", member, package=package)
    await e2e.click(offer.reply, "Get test coins", member)


async def setup_live_creator(e2e, title: str = "Friday night"):
    mod = e2e.moderator("mo")
    configured = await e2e.slash("config alerts-channel", mod, channel=ALERTS_CHANNEL_ID)
    assert configured.ephemeral
    cara = e2e.member("cara")
    await e2e.slash("creator register", cara)
    thanks = await e2e.slash(
        "creator thanks", cara, template="@everyone look: {sender} sent {gift} ×{count}!"
    )
    assert thanks.ephemeral
    started = await e2e.slash("live start", cara, title=title)
    assert started.ephemeral and "live" in started.text.lower()
    return cara


async def test_gifts_to_a_live_creator_shout_out_without_mass_ping_and_summary_at_end(e2e, running_bot):
    cara = await setup_live_creator(e2e)
    ana = e2e.member("ana")
    await e2e.slash("wallet region", ana, region="GB")
    await buy(e2e, ana, 350)

    choices = await e2e.autocomplete("gift send", ana, "gift", gift="ros", creator=cara)
    assert any(c["value"] == "Rose" for c in choices)
    assert any("£" in c["name"] for c in choices)  # the price in the sender's currency

    sent = await e2e.slash("gift send", ana, gift="Rose", creator=cara, count=5, message="@here hi <@&1>")
    assert sent.ephemeral
    assert "Rose" in sent.text and "345" in sent.text  # the receipt shows the new balance
    assert wallet(running_bot, ana) == (345, 0)
    assert wallet(running_bot, cara) == (0, 5)

    shout = await e2e.wait_for(
        lambda: [m for m in e2e.fake.channel_messages(ALERTS_CHANNEL_ID) if "Rose" in (m.content or "")],
        what="the shout-out in the alerts channel",
    )
    message = shout[0]
    assert "ana" in message.content or f"<@{ana.user_id}>" in message.content
    assert "5" in message.content
    assert_cannot_mass_ping(message)
    for version in message.versions:  # every edit too
        assert "everyone" not in ((version.get("allowed_mentions") or {}).get("parse") or [])

    board = await e2e.slash("leaderboard gifters", ana)
    assert f"<@{ana.user_id}>" in board.text or "ana" in board.text
    assert "5" in board.text
    assert_cannot_mass_ping(board.reply)

    ended = await e2e.slash("live end", cara)
    assert ended.ephemeral
    summary = await e2e.wait_for(
        lambda: [m for m in e2e.fake.channel_messages(ALERTS_CHANNEL_ID) if "ended" in m.text],
        what="the live summary in the alerts channel",
    )
    text = summary[0].text
    assert "Friday night" in text
    assert "Rose ×5" in text
    assert f"<@{ana.user_id}>" in text  # the top gifter
    assert "🪙 5" in text
    assert_cannot_mass_ping(summary[0])
