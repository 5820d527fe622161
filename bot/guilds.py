"""Guild set-up: the first time a guild is used its settings and default data are created."""

from __future__ import annotations

from bot.clock import Clock, to_micros
from storage import Database, guilds


class GuildDirectory:
    def __init__(self, db: Database, default_fee_percent: int, clock: Clock) -> None:
        self._db = db
        self._default_fee_percent = default_fee_percent
        self._clock = clock
        self._ready: set[int] = set()

    async def ensure(self, guild_id: int) -> None:
        """Create the guild's settings and seed its defaults, once per guild (cheap afterwards)."""
        if guild_id in self._ready:
            return
        now = to_micros(self._clock())
        await self._db.write(lambda conn: guilds.ensure_guild(conn, guild_id, self._default_fee_percent, now))
        self._ready.add(guild_id)
