"""SIGTERM (systemd, Docker) and SIGINT (Ctrl-C) shut the bot down in order: interactions in flight are
answered, waiting shout-outs are posted, the database is closed, and the exit status is 0."""

from __future__ import annotations

import asyncio
import signal
import sqlite3

import pytest

from simulator.driver import Driver
from simulator.fake_discord import ALERTS_CHANNEL_ID, InteractionLog
from tests.e2e.bot_process import start_bot_process
from tests.e2e.conftest import ledger_problems_in, read_db
from tests.e2e.test_gifts_live import buy

SENDERS = 12


def committed_senders(db: sqlite3.Connection) -> set[int]:
    return {row[0] for row in db.execute("SELECT sender_id FROM gift_entries")}


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_shutdown_signal_answers_gifts_in_flight_posts_their_shoutouts_and_exits_0(
    fake_discord, tmp_path, stop_signal
):
    bot = await start_bot_process(fake_discord, tmp_path)
    try:
        e2e = Driver(fake_discord)
        await e2e.slash("config alerts-channel", e2e.moderator("mo"), channel=ALERTS_CHANNEL_ID)
        cara = e2e.member("cara")
        await e2e.slash("creator register", cara)
        senders = [e2e.member(f"fan{n}") for n in range(SENDERS)]
        for member in senders:
            await buy(e2e, member, 70)

        logs: dict[int, InteractionLog] = {}
        for member in senders:  # all at once: most are still being answered when the signal comes
            logs[member.user_id] = e2e.slash_log("gift send", member, gift="Rose", creator=cara)
            await fake_discord.send_interaction(logs[member.user_id])
        db = read_db(tmp_path / "livegifts.db")
        try:
            await e2e.wait_for(lambda: committed_senders(db), timeout=10, what="a first committed gift")
        finally:
            db.close()
        bot.send_signal(stop_signal)
        code = await asyncio.wait_for(bot.wait(), 45)
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
    log = (tmp_path / "bot.log").read_text()

    assert code == 0, log
    assert "Traceback" not in log and " ERROR " not in log, log
    db = read_db(tmp_path / "livegifts.db")
    try:
        committed = committed_senders(db)
    finally:
        db.close()
    assert committed, "no gift was committed before the signal"
    alerts = "\n".join(m.content or "" for m in fake_discord.channel_messages(ALERTS_CHANNEL_ID))
    for user_id, interaction in logs.items():
        replies = [fake_discord.messages[m].text for m in interaction.message_ids]
        if user_id in committed:
            assert any("Gift sent" in text for text in replies), (user_id, replies)
            assert f"<@{user_id}>" in alerts, f"the shout-out of {user_id}'s gift was not posted"
        else:  # refused while shutting down, or never received: never a receipt
            assert not any("Gift sent" in text for text in replies), (user_id, replies)
    assert ledger_problems_in(tmp_path / "livegifts.db") == []
