"""The public texts of a charity campaign in the alerts channel: its progress board and its end summary.
Anonymous donors are counted in the totals and never named."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.money import CoinRate

if TYPE_CHECKING:
    from bot.economy.charity import Campaign

BAR_CELLS = 12
_MARKDOWN = re.compile(r"([\\*_~|`>#\[\]()-])")


def plain(text: str) -> str:
    """Member-typed text shown as typed (markdown characters escaped)."""
    return _MARKDOWN.sub(r"\\\1", text)


def progress_bar(raised: int, goal: int) -> str:
    filled = min(BAR_CELLS, raised * BAR_CELLS // goal)
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def _donors_line(campaign: Campaign) -> str:
    donors = "1 donor" if campaign.donors == 1 else f"{campaign.donors:,} donors"
    if not campaign.named_donors:
        return donors
    named = ", ".join(f"<@{user_id}> (🪙 {coins:,})" for user_id, coins in campaign.named_donors)
    return f"{donors} · thank you {named}"


def board_text(campaign: Campaign) -> str:
    ends = int(campaign.ends_at.timestamp())
    lines = [f"🎗️ **{plain(campaign.name)}** — charity campaign"]
    if campaign.description:
        lines.append(f"> {plain(campaign.description)}")
    lines += [
        f"{progress_bar(campaign.raised, campaign.goal)} **{campaign.percent} %**",
        f"🪙 **{campaign.raised:,}** of {campaign.goal:,} coins · {_donors_line(campaign)}",
    ]
    if campaign.running:
        lines.append(f"Ends <t:{ends}:R> · donate with `/charity donate`")
    else:
        lines.append("This campaign has ended. Thank you!")
    return "\n".join(lines)


def summary_text(campaign: Campaign, rate: CoinRate) -> str:
    reached = "🎉 The goal was reached!" if campaign.raised >= campaign.goal else ""
    donations = "1 donation" if campaign.donations == 1 else f"{campaign.donations:,} donations"
    lines = [
        f"🎗️ **{plain(campaign.name)}** has ended. {reached}".rstrip(),
        f"Raised 🪙 **{campaign.raised:,}** coins (≈ {rate.show(campaign.raised)}) of a {campaign.goal:,}-coin "
        f"goal in {donations} · {_donors_line(campaign)}",
        "The moderators will pay it out to the cause." if campaign.raised else "No coins were donated.",
    ]
    return "\n".join(lines)
