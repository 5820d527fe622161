"""The guided tour: a short story played through the bot's own commands, as the demo's people would run
them (members buy coins, a creator goes live, gifts and a streak, a budget reminder, the live summary)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.demo import DemoPeople
from simulator.discord_payloads import Member
from simulator.driver import Driver
from simulator.fake_discord import FakeDiscord

log = logging.getLogger(__name__)

PAUSE_S = 1.5
STREAK_GAP_S = 0.6


@dataclass(frozen=True)
class Step:
    caption: str
    actor: Member
    act: Callable[[], Awaitable[None]]


class Tour:
    def __init__(self, fake: FakeDiscord, people: DemoPeople, pause_s: float = PAUSE_S) -> None:
        self.fake = fake
        self.people = people
        self.pause_s = pause_s
        self._task: asyncio.Task[None] | None = None
        self.caption = ""
        self.actor: Member | None = None
        self.step = 0
        self.failure: str | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "step": self.step,
            "steps": len(self.steps()),
            "caption": self.caption,
            "actor": str(self.actor.user_id) if self.actor else None,
            "failure": self.failure,
        }

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._play(), name="playground-tour")

    async def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _play(self) -> None:
        self.failure = None
        steps = self.steps()
        for number, step in enumerate(steps, start=1):
            self.step, self.caption, self.actor = number, step.caption, step.actor
            try:
                await step.act()
            except Exception as error:  # the page says where the story stopped, the log says why
                log.warning("the tour stopped at step %d", number, exc_info=True)
                self.failure = f"The tour stopped at step {number}: {error}"
                return
            await asyncio.sleep(self.pause_s)
        self.caption = (
            "That was the tour. Ana's budget reminder reaches her DMs within two minutes (be Ana, open Your DMs). "
            "Carry on as anyone you like."
        )

    def steps(self) -> list[Step]:
        driver = Driver(self.fake)
        cara, _leo = self.people.creators
        ana, ben, *_ = self.people.members

        async def buy(member: Member, package: int) -> None:
            offer = await driver.slash("coins buy", member, package=package)
            await asyncio.sleep(self.pause_s)
            await driver.click(offer.reply, "Get test coins", member)

        async def streak() -> None:
            for _ in range(5):
                await driver.slash("gift send", ben, gift="Rose", creator=cara)
                await asyncio.sleep(STREAK_GAP_S)

        async def reminder() -> None:
            await driver.slash("budget set", ana, period="daily", coins=1_000)
            # The coming minute: a time already passed today would mean tomorrow's reminder. The bot checks
            # every minute, so the DM comes within two.
            soon = datetime.now(UTC) + timedelta(minutes=1)
            await driver.slash("budget reminders", ana, enabled="on", time=f"{soon:%H:%M}", timezone="UTC")

        async def say(member: Member, path: str, **options: Any) -> None:
            await driver.slash(path, member, **options)

        return [
            Step("Ana buys a package of 700 coins (sandbox: no money moves).", ana, lambda: buy(ana, 700)),
            Step("Ben buys 350 coins.", ben, lambda: buy(ben, 350)),
            Step(
                "Cara goes live.",
                cara,
                lambda: say(cara, "live start", title="Friday night karaoke"),
            ),
            Step(
                "Ana sends Cara five Roses: a shout-out in #alerts.",
                ana,
                lambda: say(ana, "gift send", gift="Rose", creator=cara, count=5, message="Sing it!"),
            ),
            Step("Ben sends Rose after Rose: one streak line counting up.", ben, streak),
            Step(
                "Ana sets a daily budget and a daily reminder: it reaches her DMs within two minutes.",
                ana,
                reminder,
            ),
            Step("Ana checks her budget.", ana, lambda: say(ana, "budget show")),
            Step(
                "Cara ends the stream: the live summary goes to #alerts.", cara, lambda: say(cara, "live end")
            ),
        ]
