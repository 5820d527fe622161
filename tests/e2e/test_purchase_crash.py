"""SIGKILL the bot after it committed a purchase's credit and before Discord consumed the entitlement:
the next start's reconciliation consumes it without crediting twice, and the books stay clean."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from simulator.driver import Driver
from tests.e2e.conftest import RunningBot, e2e_settings, read_db
from tests.e2e.test_discord_purchases import COIN_SKUS, SKU_350, add_coin_skus

ROOT = Path(__file__).resolve().parents[2]


def coins_and_entries(db: Path, user_id: int) -> tuple[int, int, str | None]:
    conn = read_db(db)
    try:
        wallet = conn.execute("SELECT coins FROM wallets WHERE user_id = ?", (user_id,)).fetchone()
        entries = conn.execute("SELECT COUNT(*) FROM journal_entries WHERE kind = 'purchase'").fetchone()[0]
        state = conn.execute("SELECT state FROM entitlement_purchases").fetchone()
        return (wallet[0] if wallet else 0, entries, state[0] if state else None)
    finally:
        conn.close()


async def test_a_crash_between_commit_and_consume_is_repaired_at_restart(fake_discord, tmp_path):
    fake = fake_discord
    add_coin_skus(fake)
    db = tmp_path / "livegifts.db"
    fake.consume_gate = asyncio.Event()  # hold the bot's consume request open
    output = (tmp_path / "child.log").open("wb")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.purchase_crash_child", str(db), fake.api_base, COIN_SKUS, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    try:
        identified = asyncio.create_task(fake.identified.wait())
        exited = asyncio.create_task(child.wait())
        await asyncio.wait({identified, exited}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        assert identified.done(), "the bot did not connect:\n" + (tmp_path / "child.log").read_text()
        e2e = Driver(fake)
        ana = e2e.member("ana")
        for _ in range(100):  # the commands are synced right before the gateway connects
            if "coins" in fake.registered_commands():
                break
            await asyncio.sleep(0.05)
        await e2e.slash("coins buy", ana, package=350, timeout=15)
        entitlement = await fake.purchase(ana.user_id, SKU_350)
        try:
            await asyncio.wait_for(fake.consume_arrived.wait(), 15)
        except TimeoutError:
            raise AssertionError("no consume:\n" + (tmp_path / "child.log").read_text()) from None
        # The credit is committed; the consume has not reached Discord. Now the process dies.
        assert coins_and_entries(db, ana.user_id) == (350, 1, "credited")
        child.send_signal(signal.SIGKILL)
        await child.wait()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
        output.close()
    fake.drop_held_consumes = True
    fake.consume_gate.set()  # the held request ends without consuming: the bot that sent it is gone
    fake.consume_gate = None
    assert fake.entitlements[int(entitlement["id"])]["consumed"] is False
    assert fake.dms_to(ana.user_id) == []  # the receipt was not sent before the crash

    restarted = await RunningBot(
        fake, e2e_settings(tmp_path, fake, payment_provider="discord", coin_skus=COIN_SKUS)
    ).start()
    try:
        receipt = await e2e.wait_for(lambda: fake.dms_to(ana.user_id), timeout=15, what="the receipt")
        assert "350 coins" in receipt[0].text
        assert fake.consumed == [int(entitlement["id"])]
        assert coins_and_entries(db, ana.user_id) == (350, 1, "consumed")  # credited once
    finally:
        await restarted.stop()
    check = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--database", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_PATH"},
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
