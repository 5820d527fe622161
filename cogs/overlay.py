"""/overlay: creators' stream overlay for OBS (secret address, rotation, a test alert, settings, status,
the live's goal). Every reply is ephemeral: the address is a secret."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bot.overlay import OverlaySettings, OverlayStatus
from bot.overlay.service import DELAY_MAX, DURATION_RANGE, GOAL_MAX, GOAL_TITLE_MAX
from bot.services import Services
from bot.text import coin_count
from bot.tree import reply_with_error
from cogs.checks import guild_id_of

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

NAMES_KEPT = 10_000
PRUNE_JOB_ID = "overlay-prune"
WIDGET_NAMES = {"alerts": "Alert box", "goal": "Goal bar", "top": "Top gifters"}
OFF = (
    "This bot is not serving overlays right now (its host may have set `OVERLAY_ENABLED=false`), so there "
    "is no address to add to OBS yet. Ask the bot's host to turn overlays on."
)


def _when(moment: datetime | float) -> str:
    seconds = int(moment.timestamp() if isinstance(moment, datetime) else moment)
    return f"<t:{seconds}:R>"


def render_url(alerts: str, goal: str, top: str) -> str:
    return (
        "**Your overlay** (keep this address secret: anyone with it can show your alerts).\n"
        f"Alert box: <{alerts}>\n"
        f"Goal bar: <{goal}>\n"
        f"Top gifters: <{top}>\n\n"
        "**In OBS:** Sources → + → **Browser** → paste the address as URL, set width **1920** and height "
        "**1080**, and leave **Shutdown source when not visible** off (otherwise alerts wait until the "
        "scene is shown). Check it with `/overlay test`; if the address ever leaks, `/overlay rotate`."
    )


def render_settings(settings: OverlaySettings) -> str:
    tts = f"on for gifts of {coin_count(settings.tts_min_coins)} or more" if settings.tts else "off"
    delay = f"{settings.delay_s} s" if settings.delay_s else "none"
    return (
        "**Overlay settings**\n"
        f"Alerts shown from: {coin_count(settings.min_coins)}\n"
        f"Shown for: {settings.duration_s} s (longer for bigger gifts)\n"
        f"Read messages aloud: {tts}\n"
        f"Sound: {'on' if settings.sound else 'off'}\n"
        f"Delay before an alert shows: {delay}"
        + (" (a gift's message can be hidden from the stream meanwhile)" if settings.delay_s else "")
    )


def render_status(status: OverlayStatus) -> str:
    lines = ["**Overlay status**"]
    if status.connections:
        for connection in status.connections:
            lines.append(
                f"🟢 {WIDGET_NAMES.get(connection.widget, connection.widget)}: connected "
                f"{_when(connection.connected_at)}, last heard from {_when(connection.last_seen)}"
            )
    else:
        lines.append("⚪ No overlay is connected right now.")
    connected = {c.widget for c in status.connections}
    for widget, seen in status.last_seen.items():
        if widget not in connected:
            lines.append(f"{WIDGET_NAMES.get(widget, widget)}: last seen {_when(seen)}")
    lines.append(f"Alerts waiting (held by your delay): {status.waiting:,}")
    if status.url is None:
        lines.append("You have no overlay address yet: `/overlay url` makes one.")
    return "\n".join(lines)


class HideFromStream(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"overlay-hide:(?P<entry>[0-9]{1,20})",
):
    """On a big gift's shout-out while the creator's overlay delay runs: the creator or a moderator keeps
    the gift's message off the stream. Works after a restart (the custom id carries the gift)."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Hide message from stream",
                emoji="🙈",
                style=discord.ButtonStyle.secondary,
                custom_id=f"overlay-hide:{entry_id}",
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[discord.ui.View], match: re.Match[str]
    ) -> HideFromStream:
        return cls(int(match["entry"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        services: Services = interaction.client.services  # type: ignore[attr-defined]
        try:
            hidden = await services.overlay.hide_message(
                interaction.guild_id or 0,
                self.entry_id,
                interaction.user.id,
                moderator=interaction.permissions.manage_guild,
            )
        except Exception as error:
            await reply_with_error(interaction, error)
            return
        text = (
            "The gift's message will not be shown on the stream (the alert still shows the gift)."
            if hidden
            else "Too late: the alert was already shown on the stream with its message."
        )
        await interaction.response.send_message(text, ephemeral=True)


def hide_from_stream_view(entry_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(HideFromStream(entry_id))
    return view


@app_commands.guild_only()
class OverlayCog(commands.GroupCog, group_name="overlay", group_description="Creators: your stream overlay"):
    def __init__(self, bot: commands.Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self._names: OrderedDict[tuple[int, int], str] = OrderedDict()
        super().__init__()

    async def cog_load(self) -> None:
        self.services.overlay.names = self.display_name
        self.bot.add_dynamic_items(HideFromStream)
        scheduler = self.bot.scheduler  # type: ignore[attr-defined]
        if scheduler.get_job(PRUNE_JOB_ID) is not None:  # a not yet started scheduler would keep both
            scheduler.remove_job(PRUNE_JOB_ID)
        scheduler.add_job(
            self.services.overlay.prune,
            IntervalTrigger(hours=1, timezone=UTC),
            id=PRUNE_JOB_ID,
            name="forget overlay alerts older than a day",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    async def cog_unload(self) -> None:
        self.services.overlay.names = lambda guild_id, user_id: None
        self.bot.remove_dynamic_items(HideFromStream)
        scheduler = self.bot.scheduler  # type: ignore[attr-defined]
        if scheduler.get_job(PRUNE_JOB_ID) is not None:
            scheduler.remove_job(PRUNE_JOB_ID)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Without the members intent the member cache is thin; a gift's sender always interacted, so
        # remember the names members are shown by.
        if interaction.guild_id is None:
            return
        key = (guild_id_of(interaction), interaction.user.id)
        self._names[key] = interaction.user.display_name
        self._names.move_to_end(key)
        while len(self._names) > NAMES_KEPT:
            self._names.popitem(last=False)

    def display_name(self, guild_id: int, user_id: int) -> str | None:
        guild = self.bot.get_guild(guild_id)
        member = guild.get_member(user_id) if guild is not None else None
        if member is not None:
            return member.display_name
        remembered = self._names.get((guild_id, user_id))
        if remembered is not None:
            return remembered
        user = self.bot.get_user(user_id)
        return user.display_name if user is not None else None

    async def _urls(self, secret: str) -> tuple[str, str, str] | None:
        overlay = self.services.overlay
        urls = [overlay.url_of(secret, widget) for widget in ("alerts", "goal", "top")]
        if any(url is None for url in urls):
            return None
        alerts, goal, top = (str(url) for url in urls)
        return alerts, goal, top

    @app_commands.command(name="url", description="Your secret overlay address and how to add it to OBS")
    async def url(self, interaction: discord.Interaction) -> None:
        secret = await self.services.overlay.secret(guild_id_of(interaction), interaction.user.id)
        urls = await self._urls(secret)
        await interaction.response.send_message(render_url(*urls) if urls else OFF, ephemeral=True)

    @app_commands.command(name="rotate", description="A new secret address; the old one stops at once")
    async def rotate(self, interaction: discord.Interaction) -> None:
        secret = await self.services.overlay.rotate(guild_id_of(interaction), interaction.user.id)
        urls = await self._urls(secret)
        text = "Your old overlay address no longer works (open overlays were disconnected).\n\n"
        await interaction.response.send_message(text + (render_url(*urls) if urls else OFF), ephemeral=True)

    @app_commands.command(name="test", description="Show a test alert on your overlay (no coins move)")
    async def test(self, interaction: discord.Interaction) -> None:
        await self.services.overlay.send_test(guild_id_of(interaction), interaction.user.id)
        status = await self.services.overlay.status(guild_id_of(interaction), interaction.user.id)
        note = (
            "It is on its way to your connected overlay."
            if any(c.widget == "alerts" for c in status.connections)
            else "No alert box is connected right now: it will show when yours reconnects within 10 minutes."
        )
        await interaction.response.send_message(f"Sent a test alert (marked TEST). {note}", ephemeral=True)

    @app_commands.command(name="settings", description="What your overlay shows and how (leave empty to see)")
    @app_commands.describe(
        min_coins="Show alerts for gifts worth at least this many coins",
        duration=f"Seconds an alert stays ({DURATION_RANGE[0]}–{DURATION_RANGE[1]}; bigger gifts stay longer)",
        tts="Read gift messages aloud (the browser's speech)",
        tts_min_coins="Read messages aloud from this many coins",
        sound="Play a sound with each alert",
        delay=f"Hold alerts back this many seconds (0–{DELAY_MAX}) so a message can be hidden first",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        min_coins: app_commands.Range[int, 1, 1_000_000_000] | None = None,
        duration: app_commands.Range[int, DURATION_RANGE[0], DURATION_RANGE[1]] | None = None,
        tts: bool | None = None,
        tts_min_coins: app_commands.Range[int, 1, 1_000_000_000] | None = None,
        sound: bool | None = None,
        delay: app_commands.Range[int, 0, DELAY_MAX] | None = None,
    ) -> None:
        settings = await self.services.overlay.update_settings(
            guild_id_of(interaction),
            interaction.user.id,
            min_coins=min_coins,
            duration_s=duration,
            tts=tts,
            tts_min_coins=tts_min_coins,
            sound=sound,
            delay_s=delay,
        )
        await interaction.response.send_message(render_settings(settings), ephemeral=True)

    @app_commands.command(name="status", description="Which of your overlays are connected, and when seen")
    async def status(self, interaction: discord.Interaction) -> None:
        status = await self.services.overlay.status(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(render_status(status), ephemeral=True)

    @app_commands.command(name="goal", description="A coin goal for your live, shown by the goal bar")
    @app_commands.describe(
        coins="Coins to reach during the live", title=f"What it is for (up to {GOAL_TITLE_MAX})"
    )
    async def goal(
        self,
        interaction: discord.Interaction,
        coins: app_commands.Range[int, 1, GOAL_MAX],
        title: app_commands.Range[str, 1, GOAL_TITLE_MAX] | None = None,
    ) -> None:
        stored = await self.services.overlay.set_goal(
            guild_id_of(interaction), interaction.user.id, coins, title
        )
        live = await self.services.live.current(guild_id_of(interaction), interaction.user.id)
        where = (
            "Your goal bar shows it now."
            if live is not None
            else "Your goal bar shows it once you are live (`/live start`)."
        )
        shown = f" for **{discord.utils.escape_markdown(stored)}**" if stored else ""
        await interaction.response.send_message(f"Goal set: 🪙 {coins:,}{shown}. {where}", ephemeral=True)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(OverlayCog(bot, bot.services))
