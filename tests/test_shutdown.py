"""The composition root's shutdown: an unusable database stops the bot in order with exit status 1; once
shutdown began, new interactions are refused with a clear message while those in flight finish."""

from __future__ import annotations

import asyncio

from bot.app import EXIT_FAILED, EXIT_OK, serve
from bot.shutdown import RESTARTING, InFlight
from storage import DatabaseError
from tests.support.discord_fakes import GUILD_ID, Member


class StubBot:
    """A Discord session that runs until closed, like `Bot.start`."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self.shut_down_calls = 0

    async def start(self, token: str) -> None:
        await self.closed.wait()

    async def shut_down(self) -> None:
        self.shut_down_calls += 1
        self.closed.set()


class StubDatabase:
    def __init__(self) -> None:
        self.broken = asyncio.Event()

    async def until_unusable(self) -> DatabaseError:
        await self.broken.wait()
        return DatabaseError("3 write transactions in a row failed")


async def test_an_unusable_database_shuts_the_bot_down_with_status_1():
    bot, db = StubBot(), StubDatabase()
    running = asyncio.ensure_future(serve(bot, db, "token"))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert not running.done()

    db.broken.set()

    assert await asyncio.wait_for(running, 5) == EXIT_FAILED
    assert bot.shut_down_calls == 1


async def test_a_session_discord_ends_exits_0_without_a_second_shutdown():
    bot, db = StubBot(), StubDatabase()
    running = asyncio.ensure_future(serve(bot, db, "token"))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    bot.closed.set()
    assert await asyncio.wait_for(running, 5) == EXIT_OK
    assert bot.shut_down_calls == 0


async def test_in_flight_waits_for_admitted_work_and_refuses_new_work():
    in_flight = InFlight()
    release = asyncio.Event()
    finished = []

    async def interaction(name: str) -> None:
        if not in_flight.admit():
            finished.append(f"{name} refused")
            return
        await release.wait()
        finished.append(f"{name} answered")

    first = asyncio.ensure_future(interaction("first"))
    await asyncio.sleep(0)
    in_flight.stop_accepting()
    late = asyncio.ensure_future(interaction("late"))
    draining = asyncio.ensure_future(in_flight.drain(5))
    await asyncio.sleep(0.01)
    assert not draining.done()  # the first one is still being answered

    release.set()
    assert await draining == 0
    await asyncio.gather(first, late)
    assert finished == ["late refused", "first answered"]


async def test_once_shutdown_began_commands_and_buttons_are_refused_and_nothing_is_charged(
    driver, bot, services
):
    ana = Member(101, "ana")
    offer = await driver.slash("coins buy", ana, package=350)  # a prompt opened before the signal

    bot.in_flight.stop_accepting()

    balance = await driver.slash("wallet balance", ana)
    assert balance.ephemeral and balance.text == RESTARTING
    (paid,) = await driver.click(offer, "Get test coins", ana)
    assert paid.ephemeral and paid.text == RESTARTING
    assert (await services.wallets.balance(GUILD_ID, ana.user_id)).coins == 0
