"""The playground's page API, with the real bot logged in to the simulator: who sees what, buttons, people
and roles added on the page, the guided tour, and the page's own protections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from simulator.demo import DemoPeople, populate, set_up
from simulator.discord_payloads import Member
from simulator.driver import Driver
from simulator.fake_discord import ALERTS_CHANNEL_ID, GENERAL_CHANNEL_ID, FakeDiscord
from simulator.playground import Playground
from tests.e2e.conftest import RunningBot, e2e_settings, ledger_problems_in, restore_discord_py_endpoints
from tests.e2e.test_gifts_live import wallet


@dataclass
class Page:
    """What the page's script does, as plain HTTP."""

    session: aiohttp.ClientSession
    fake: FakeDiscord
    people: DemoPeople
    bot: RunningBot

    async def call(self, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        async with self.session.post(path, json=body) as response:
            data = await response.json()
            assert response.status == status, data
            return data

    async def state(self, viewer: Member) -> dict[str, Any]:
        async with self.session.get("/play/api/state", params={"as": str(viewer.user_id)}) as response:
            assert response.status == 200
            return await response.json()

    async def command(self, viewer: Member, path: str, status: int = 200, **options: Any) -> dict[str, Any]:
        body = {
            "as": str(viewer.user_id),
            "channel_id": str(GENERAL_CHANNEL_ID),
            "path": path,
            "options": options,
        }
        return await self.call("/play/api/command", body, status)

    async def seen(self, viewer: Member, channel_id: int = GENERAL_CHANNEL_ID) -> list[dict[str, Any]]:
        return (await self.state(viewer))["seen"]["channels"][str(channel_id)]

    async def press(self, viewer: Member, item: dict[str, Any], label: str) -> dict[str, Any]:
        button = next(b for b in item["buttons"] if label in b["label"])
        body = {"as": str(viewer.user_id), "message_id": item["id"], "custom_id": button["custom_id"]}
        return await self.call("/play/api/press", body)


def text_of(item: dict[str, Any]) -> str:
    parts = [item["content"]]
    for embed in item["embeds"]:
        parts += [embed["title"], embed["description"], embed["footer"]]
        parts += [f"{f['name']}: {f['value']}" for f in embed["fields"]]
    return "\n".join(parts)


@pytest.fixture
async def page(monkeypatch, real_webhook_adapter, tmp_path) -> AsyncIterator[Page]:
    restore_discord_py_endpoints(monkeypatch)
    fake = FakeDiscord()
    people = populate(fake)
    playground = Playground(fake, people, tour_pause_s=0.05)
    playground.install()
    await fake.start()
    runner = await RunningBot(fake, e2e_settings(tmp_path, fake)).start()
    playground.overlays = await set_up(Driver(fake), people)
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{fake.port}") as session:
            yield Page(session, fake, people, runner)
    finally:
        await playground.stop()
        await runner.stop()
        await fake.stop()
    assert not fake.unknown_requests, fake.unknown_requests
    assert not fake.client_errors, fake.client_errors
    assert ledger_problems_in(runner.settings.database_path) == []


async def test_an_ephemeral_reply_is_shown_only_to_the_person_who_ran_the_command(page):
    ana, ben, _chen = page.people.members
    await page.command(ana, "coins buy", package=700)
    offer = (await page.seen(ana))[-1]
    assert offer["ephemeral"] and offer["invoker"] == "Ana" and offer["invocation"] == "/coins buy"
    await page.press(ana, offer, "Get test coins")

    receipt = (await page.seen(ana))[-1]
    assert "Test coins added" in text_of(receipt)
    assert wallet(page.bot, ana) == (700, 0)
    assert all(item["invoker"] != "Ana" for item in await page.seen(ben))
    refused = await page.call(
        "/play/api/press",
        {"as": str(ben.user_id), "message_id": offer["id"], "custom_id": offer["buttons"][0]["custom_id"]},
        400,
    )
    assert "not there" in refused["error"]


async def test_members_are_offered_the_commands_their_discord_client_would_list(page):
    ana = page.people.members[0]
    members_see = {c["name"] for c in (await page.state(ana))["commands"]}
    moderators_see = {c["name"] for c in (await page.state(page.people.moderator))["commands"]}
    assert {"wallet", "gift", "coins"} <= members_see
    assert "ledger" not in members_see and "ledger" in moderators_see
    refused = await page.command(ana, "ledger reverse", entry=1, reason="x")  # typed in by hand anyway
    assert (await page.seen(ana))[-1]["ephemeral"] and refused["interaction_id"]


async def test_the_command_form_gets_autocomplete_from_the_bot(page):
    ana = page.people.members[0]
    cara = page.people.creators[0]
    body = {
        "as": str(ana.user_id),
        "path": "gift send",
        "focused": "gift",
        "options": {"gift": "ros", "creator": str(cara.user_id)},
    }
    choices = (await page.call("/play/api/autocomplete", body))["choices"]
    assert any(choice["value"] == "Rose" for choice in choices)
    unknown = await page.command(ana, "gift send", 400, gift="Rose", colour="red")
    assert "colour" in unknown["error"]


async def test_a_role_added_on_the_page_is_one_the_bot_can_require(page):
    ana, _ben, chen = page.people.members
    vip = await page.call("/play/api/roles", {"name": "VIP"})
    await page.call("/play/api/role-grants", {"user_id": str(chen.user_id), "role_id": vip["id"]})
    await page.command(page.people.moderator, "config spender-role", role=vip["id"])

    await page.command(ana, "coins buy", package=350)
    assert "VIP" in text_of((await page.seen(ana))[-1])  # refused, naming the role
    await page.command(chen, "coins buy", package=350)
    offer = (await page.seen(chen))[-1]
    await page.press(chen, offer, "Get test coins")
    assert wallet(page.bot, chen) == (350, 0)
    assert wallet(page.bot, ana) == (0, 0)

    newcomer = await page.call("/play/api/people", {"name": "  Dee  "})
    state = await page.state(chen)
    assert {"id": newcomer["id"], "name": "Dee", "label": "member", "roles": []} in state["people"]
    assert "VIP" in next(p for p in state["people"] if p["name"] == "Chen")["roles"]
    assert "1 to 32" in (await page.call("/play/api/people", {"name": " "}, 400))["error"]


async def test_the_guided_tour_plays_its_story_through_the_commands(page):
    ana, ben, _chen = page.people.members
    await page.call("/play/api/tour", {})
    for _ in range(600):
        tour = (await page.state(ana))["tour"]
        if not tour["running"]:
            break
        await asyncio.sleep(0.05)
    assert tour["failure"] is None and tour["step"] == tour["steps"]

    async def alerts_show(*parts: str) -> bool:
        for _ in range(200):  # the alerts engine posts and edits at its own pace
            alerts = [text_of(item) for item in await page.seen(ben, ALERTS_CHANNEL_ID)]
            if any(all(part in text for part in parts) for text in alerts):
                return True
            await asyncio.sleep(0.05)
        return False

    assert await alerts_show("@Ana sent", "Rose", "×5")
    assert await alerts_show("@Ben sent", "Rose", "×5")  # the streak: one line, edited as it grows
    assert await alerts_show("ended", "Top gifters")
    ben_lines = [i for i in await page.seen(ben, ALERTS_CHANNEL_ID) if "@Ben sent" in text_of(i)]
    assert len(ben_lines) == 1
    assert wallet(page.bot, ana) == (695, 0)
    assert wallet(page.bot, ben) == (345, 0)
    ana_sees = [text_of(item) for item in await page.seen(ana)]
    assert any("Daily reminders are **on**" in text for text in ana_sees)
    assert not any("Daily reminders" in text_of(item) for item in await page.seen(ben))


async def test_the_page_allows_no_inline_script_and_answers_only_on_loopback(page):
    async with page.session.get("/") as response:
        assert response.status == 200
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "no money moves" in await response.text()
    async with page.session.get("/", headers={"Host": "evil.example"}) as response:
        assert response.status == 403
    ana = page.people.members[0]
    form = {"as": str(ana.user_id), "path": "wallet balance", "options": {}}
    async with page.session.post("/play/api/command", data=str(form)) as response:  # as a foreign form would
        assert response.status == 415
    assert not page.fake.interactions or all(
        "wallet" not in str(log.payload.get("data")) for log in page.fake.interactions.values()
    )
