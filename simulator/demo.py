"""The playground's demo server: #general, #alerts, a moderator, two creators and a few members.

The people exist in the simulator only; what the bot knows of them (the alerts channel, who is a creator)
it learns through its own commands, run by `set_up` as those people would run them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.discord_payloads import MANAGE_GUILD, Member
from simulator.driver import Driver
from simulator.fake_discord import ALERTS_CHANNEL_ID, OWNER_ID, FakeDiscord

MODERATOR_ID = 950_000_000_000_000_001
CREATOR_IDS = (950_000_000_000_000_011, 950_000_000_000_000_012)
MEMBER_IDS = (950_000_000_000_000_021, 950_000_000_000_000_022, 950_000_000_000_000_023)
ALERT_BOX = re.compile(r"Alert box: <(http[^>\s]+)>")


@dataclass(frozen=True)
class DemoPeople:
    moderator: Member
    creators: tuple[Member, Member]
    members: tuple[Member, ...]


def populate(fake: FakeDiscord) -> DemoPeople:
    """People and channels of the demo guild, in the simulator (before the bot connects)."""
    fake.guild_name = "Playground Lounge"
    fake.channels[ALERTS_CHANNEL_ID]["name"] = "alerts"
    fake.users[OWNER_ID].name = "Owner"
    moderator = fake.add_user(MODERATOR_ID, "Mia")
    moderator.permissions |= MANAGE_GUILD
    cara = fake.add_user(CREATOR_IDS[0], "Cara")
    leo = fake.add_user(CREATOR_IDS[1], "Leo")
    members = tuple(
        fake.add_user(user_id, name) for user_id, name in zip(MEMBER_IDS, ("Ana", "Ben", "Chen"), strict=True)
    )
    return DemoPeople(moderator, (cara, leo), members)


async def set_up(driver: Driver, people: DemoPeople) -> dict[int, str]:
    """What the demo's moderator and creators do once the bot is online: alerts go to #alerts, the two
    creators register and ask for their overlay's address. Returns each creator's alert-box address (none
    when the bot serves no overlays)."""
    await driver.slash("config alerts-channel", people.moderator, channel=ALERTS_CHANNEL_ID)
    overlays: dict[int, str] = {}
    for creator in people.creators:
        await driver.slash("creator register", creator)
        if "overlay" in driver.fake.registered_commands():
            found = ALERT_BOX.search((await driver.slash("overlay url", creator)).text)
            if found:
                overlays[creator.user_id] = found.group(1)
    return overlays


def label_of(user: Member, people: DemoPeople) -> str:
    """What the page says a person is."""
    if user.user_id == OWNER_ID:
        return "server owner"
    if user.permissions & MANAGE_GUILD:
        return "moderator"
    if user in people.creators:
        return "creator"
    return "member"
