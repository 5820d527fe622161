"""Guild settings changed by moderators with /config: time zone, spender role, alerts channel, gift
confirmation threshold, the platform fee, the cash-out minimum, hold and switch. This service is the only way a
setting changes; every change is written to the moderators' action log."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock, to_micros
from bot.errors import InvalidAmount, NotPermitted
from bot.guilds import GuildDirectory
from bot.period_totals import keep_in_guild_zone
from bot.text import whole_number
from bot.timezones import canonical_zone_name, zone_or_utc
from storage import Connection, Database, action_log, guilds

CONFIRM_THRESHOLD_MAX = 10_000_000
CASHOUT_MINIMUM_MAX = 100_000_000
CASHOUT_HOLD_MAX = 30  # days


@dataclass(frozen=True)
class GuildConfig:
    guild_id: int
    fee_percent: int
    timezone: str
    alerts_channel_id: int | None
    spender_role_id: int | None
    gift_confirm_threshold: int
    cashout_minimum: int
    cashouts_enabled: bool  # matters where coins are not sold (payment mode `none`)
    cashout_hold_days: int
    auto_live: bool = False  # live sessions start and end with Go Live, Stages and scheduled events

    @property
    def zone(self) -> ZoneInfo:
        return zone_or_utc(self.timezone)


@dataclass(frozen=True)
class SettingChange:
    name: str
    before: Any
    after: Any


class GuildConfigService:
    def __init__(self, db: Database, guilds_dir: GuildDirectory, clock: Clock) -> None:
        self._db = db
        self._guilds = guilds_dir
        self._clock = clock

    async def get(self, guild_id: int) -> GuildConfig:
        await self._guilds.ensure(guild_id)
        row = await self._db.read(lambda conn: guilds.settings(conn, guild_id))
        return GuildConfig(
            guild_id=guild_id,
            fee_percent=row["fee_percent"],
            timezone=row["timezone"],
            alerts_channel_id=row["alerts_channel_id"],
            spender_role_id=row["spender_role_id"],
            gift_confirm_threshold=row["gift_confirm_threshold"],
            cashout_minimum=row["cashout_minimum"],
            cashouts_enabled=bool(row["cashouts_enabled"]),
            cashout_hold_days=row["cashout_hold_days"],
            auto_live=bool(row["auto_live"]),
        )

    async def require_spender(self, guild_id: int, user_id: int, role_ids: Collection[int]) -> GuildConfig:
        """Refuse politely when the guild gates spending behind a role the member lacks; returns the
        guild's settings otherwise."""
        config = await self.get(guild_id)
        if config.spender_role_id is not None and config.spender_role_id not in set(role_ids):
            raise NotPermitted(
                f"Sorry, in this server only members with the <@&{config.spender_role_id}> role can buy"
                " coins or send gifts. Ask a moderator how to get it."
            )
        return config

    async def set_timezone(self, guild_id: int, actor_id: int, name: str) -> GuildConfig:
        zone = canonical_zone_name(name)
        config = await self._set(guild_id, actor_id, "timezone", zone)
        # Days and weeks of leaderboards follow the new zone from the next board on.
        await self._db.write(lambda conn: keep_in_guild_zone(conn, guild_id))
        return config

    async def set_spender_role(self, guild_id: int, actor_id: int, role_id: int | None) -> GuildConfig:
        if role_id is not None and (type(role_id) is not int or role_id <= 0):
            raise InvalidAmount("That is not a role of this server.")
        return await self._set(guild_id, actor_id, "spender_role_id", role_id)

    async def set_alerts_channel(self, guild_id: int, actor_id: int, channel_id: int | None) -> GuildConfig:
        if channel_id is not None and (type(channel_id) is not int or channel_id <= 0):
            raise InvalidAmount("That is not a channel of this server.")
        return await self._set(guild_id, actor_id, "alerts_channel_id", channel_id)

    async def set_gift_confirm_threshold(self, guild_id: int, actor_id: int, coins: int) -> GuildConfig:
        coins = whole_number(coins, 1, CONFIRM_THRESHOLD_MAX, "The confirmation threshold")
        return await self._set(guild_id, actor_id, "gift_confirm_threshold", coins)

    async def set_fee(self, guild_id: int, actor_id: int, percent: int) -> SettingChange:
        """Change the platform fee. Pending cash-out requests keep the fee they were made with."""
        if type(percent) is not int or not 0 <= percent <= 100:
            raise InvalidAmount("The fee is a whole percentage from 0 to 100.")
        return await self._change(guild_id, actor_id, "fee_percent", percent)

    async def set_cashout_minimum(self, guild_id: int, actor_id: int, diamonds: int) -> SettingChange:
        if type(diamonds) is not int or not 1 <= diamonds <= CASHOUT_MINIMUM_MAX:
            raise InvalidAmount(f"The cash-out minimum is from 1 to {CASHOUT_MINIMUM_MAX:,} diamonds.")
        return await self._change(guild_id, actor_id, "cashout_minimum", diamonds)

    async def set_cashouts(self, guild_id: int, actor_id: int, enabled: bool) -> SettingChange:
        """Allow cash-outs where coins are given away (payment mode `none`): the server pays for them."""
        if type(enabled) is not bool:
            raise InvalidAmount("Choose on or off.")
        change = await self._change(guild_id, actor_id, "cashouts_enabled", int(enabled))
        return SettingChange(change.name, bool(change.before), enabled)

    async def set_cashout_hold(self, guild_id: int, actor_id: int, days: int) -> SettingChange:
        if type(days) is not int or not 0 <= days <= CASHOUT_HOLD_MAX:
            raise InvalidAmount(f"The cash-out hold is from 0 to {CASHOUT_HOLD_MAX} days.")
        return await self._change(guild_id, actor_id, "cashout_hold_days", days)

    async def set_auto_live(self, guild_id: int, actor_id: int, enabled: bool) -> GuildConfig:
        if type(enabled) is not bool:
            raise InvalidAmount("Auto-live is either on or off.")
        return await self._set(guild_id, actor_id, "auto_live", int(enabled))

    async def _set(self, guild_id: int, actor_id: int, column: str, value: object) -> GuildConfig:
        await self._change(guild_id, actor_id, column, value)
        return await self.get(guild_id)

    async def _change(self, guild_id: int, actor_id: int, column: str, value: Any) -> SettingChange:
        await self._guilds.ensure(guild_id)
        now = to_micros(self._clock())

        def change(conn: Connection) -> SettingChange:
            row = guilds.settings(conn, guild_id)
            if row is None:  # ensured just above; guild settings are never deleted
                raise LookupError(f"guild {guild_id} has no settings")
            before = row[column]
            if before != value:
                guilds.set_setting(conn, guild_id, column, value)
                action_log.record(
                    conn, guild_id, now, actor_id, f"config.{column}", f"setting:{column}", before, value
                )
            return SettingChange(column, before, value)

        return await self._db.write(change)
