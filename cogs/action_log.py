"""/audit log: the moderators' action log — catalog changes, settings, grants, reversals, payouts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.action_log import ActionLogItem
from bot.money import Money
from bot.services import Services
from bot.statements import money_cell
from cogs.checks import guild_id_of, moderator_only

if TYPE_CHECKING:
    from bot.client import LiveGiftsBot

COLOUR = discord.Colour.dark_grey()
LIMIT = 20

ACTION_WORDS = {
    "purchase.refund": "took back a purchase Discord refunded",
    "coins.grant": "granted coins",
    "ledger.reverse": "reversed an entry",
    "payout.request": "requested a cash-out",
    "payout.approve": "approved a cash-out",
    "payout.reject": "rejected a cash-out",
    "catalog.add": "added a gift",
    "catalog.edit": "edited a gift",
    "catalog.retire": "retired a gift",
    "creator.register": "became a creator",
    "creator.remove": "removed a creator",
    "deals.start": "started a deal",
    "deals.end": "ended a deal",
}


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def describe_change(before: object, after: object) -> str:
    """`key: old → new` for changed keys of JSON objects; plain values otherwise."""
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        parts = []
        for name in dict.fromkeys([*new, *old]):
            if name in old and name in new and old[name] != new[name]:
                parts.append(f"{name}: {_short(old[name])} → {_short(new[name])}")
            elif name in new and name not in old:
                parts.append(f"{name}: {_short(new[name])}")
        return ", ".join(parts)
    if before is None and after is None:
        return ""
    if before is None:
        return _short(after)
    return f"{_short(before)} → {_short(after)}"


def target_text(target: str | None) -> str:
    if not target:
        return ""
    kind, _, ident = target.partition(":")
    if kind == "user" and ident.isdigit():
        return f"<@{ident}>"
    if kind == "entry":
        return f"entry `#{ident}`"
    if kind == "setting":
        return f"`{ident}`"
    return f"`{discord.utils.escape_markdown(target)}`"


def action_words(action: str) -> str:
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    if action.startswith("config."):
        return "changed a setting"
    return action.replace(".", " ").replace("_", " ")


def action_line(item: ActionLogItem) -> str:
    when = discord.utils.format_dt(item.at, "f")
    who = f"<@{item.actor_id}>" if item.actor_id else "the bot"
    parts = [f"`{item.id}` {when} {who} **{action_words(item.action)}**"]
    before, after = item.before, item.after
    if isinstance(after, dict) and "payout" in after:  # payouts: name the request, show the cash
        parts.append(f"`#{after['payout']}` of")
        paid, currency = after.get("money_minor"), after.get("currency")
        after = {k: v for k, v in after.items() if k not in ("payout", "money_minor", "currency")}
        before = {k: v for k, v in before.items() if k != "payout"} if isinstance(before, dict) else before
        if paid is not None and currency:
            after["paid"] = f"{money_cell(Money(paid, currency))} {currency}"
    target = target_text(item.target)
    if target:
        parts.append(target)
    change = describe_change(before, after)
    if change:
        parts.append(f"({discord.utils.escape_markdown(change)})")
    line = " ".join(parts)
    if item.reason:
        line += f" — “{discord.utils.escape_markdown(item.reason[:100])}”"
    return line


def render_action_log(items: list[ActionLogItem], member: discord.abc.User | None) -> discord.Embed:
    title = "Audit log" + (f" — {member.display_name}" if member else "")
    embed = discord.Embed(title=title, colour=COLOUR)
    if not items:
        embed.description = (
            "Nothing recorded yet." if member is None else "Nothing recorded by or about them."
        )
        return embed
    lines, size = [], 0
    for item in items:
        line = action_line(item)
        if size + len(line) + 1 > 4000:
            break
        lines.append(line)
        size += len(line) + 1
    embed.description = "\n".join(lines)
    embed.set_footer(text=f"Newest first · the last {len(lines)} actions")
    return embed


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ActionLogCog(
    commands.GroupCog, group_name="audit", group_description="Moderators: who changed what, when"
):
    def __init__(self, services: Services) -> None:
        self.services = services
        super().__init__()

    @app_commands.command(name="log", description="Recent catalog changes, grants, reversals and payouts")
    @app_commands.describe(member="Only actions by or about this member")
    @moderator_only
    async def log(self, interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        items = await self.services.action_log.recent(
            guild_id_of(interaction), member.id if member else None, LIMIT
        )
        await interaction.response.send_message(embed=render_action_log(items, member), ephemeral=True)


async def setup(bot: LiveGiftsBot) -> None:
    await bot.add_cog(ActionLogCog(bot.services))
