"""Creators: members who registered to receive gifts, with their thank-you settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.alerts import TEMPLATE_MAX, validate_template
from bot.clock import Clock, to_micros
from bot.errors import Conflict, InvalidAmount, NotFound
from bot.guilds import GuildDirectory
from bot.text import short_text, whole_number
from storage import Connection, Database, Row, action_log, creators

THRESHOLD_MAX = 1_000_000_000
REASON_MAX = 200


@dataclass(frozen=True)
class Creator:
    guild_id: int
    user_id: int
    thanks_template: str | None
    shoutout_threshold: int


def _creator(row: Row) -> Creator:
    return Creator(row["guild_id"], row["user_id"], row["thanks_template"], row["shoutout_threshold"])


class NotACreator(NotFound):
    def __init__(self, user_id: int, *, yourself: bool = False) -> None:
        if yourself:
            message = "You are not a registered creator here. Register with `/creator register`."
        else:
            message = f"<@{user_id}> is not a registered creator in this server."
        super().__init__(message)
        self.user_id = user_id


class CreatorService:
    def __init__(self, db: Database, guilds_dir: GuildDirectory, clock: Clock) -> None:
        self._db = db
        self._guilds = guilds_dir
        self._clock = clock

    async def get(self, guild_id: int, user_id: int) -> Creator | None:
        row = await self._db.read(lambda conn: creators.creator(conn, guild_id, user_id))
        return _creator(row) if row else None

    async def require(self, guild_id: int, user_id: int, *, yourself: bool = False) -> Creator:
        creator = await self.get(guild_id, user_id)
        if creator is None:
            raise NotACreator(user_id, yourself=yourself)
        return creator

    async def register(self, guild_id: int, user_id: int) -> Creator:
        await self._guilds.ensure(guild_id)
        now = to_micros(self._clock())

        def register(conn: Connection) -> None:
            if not creators.register(conn, guild_id, user_id, now):
                raise Conflict("You are already a registered creator here.")
            action_log.record(
                conn,
                guild_id,
                now,
                user_id,
                "creator.register",
                action_log.member_target(user_id),
                None,
                None,
            )

        await self._db.write(register)
        return await self.require(guild_id, user_id, yourself=True)

    async def remove(self, guild_id: int, actor_id: int, user_id: int, reason: str | None = None) -> None:
        reason = short_text(reason, REASON_MAX, "The reason", required=False)
        now = to_micros(self._clock())

        def remove(conn: Connection) -> None:
            row = creators.creator(conn, guild_id, user_id)
            if row is None or not creators.remove(conn, guild_id, user_id, now):
                raise NotACreator(user_id)
            action_log.record(
                conn,
                guild_id,
                now,
                actor_id,
                "creator.remove",
                action_log.member_target(user_id),
                {"thanks_template": row["thanks_template"], "shoutout_threshold": row["shoutout_threshold"]},
                None,
                reason,
            )

        await self._db.write(remove)

    async def set_thanks(self, guild_id: int, user_id: int, template: str | None) -> Creator:
        """Store the creator's thank-you template (None or blank: back to the default text)."""
        if template is not None and not isinstance(template, str):
            raise InvalidAmount("The thank-you message must be text.")
        text = template.strip() if template else ""
        if len(text) > TEMPLATE_MAX:
            raise InvalidAmount(f"The thank-you message can be at most {TEMPLATE_MAX} characters.")
        stored = validate_template(text) if text else None
        await self._update(
            guild_id, user_id, lambda conn: creators.set_thanks(conn, guild_id, user_id, stored)
        )
        return await self.require(guild_id, user_id, yourself=True)

    async def set_threshold(self, guild_id: int, user_id: int, coins: int) -> Creator:
        coins = whole_number(coins, 1, THRESHOLD_MAX, "The shout-out threshold")
        await self._update(
            guild_id, user_id, lambda conn: creators.set_threshold(conn, guild_id, user_id, coins)
        )
        return await self.require(guild_id, user_id, yourself=True)

    async def _update(self, guild_id: int, user_id: int, change: Callable[[Connection], bool]) -> None:
        def update(conn: Connection) -> None:
            if not change(conn):
                raise NotACreator(user_id, yourself=True)

        await self._db.write(update)
