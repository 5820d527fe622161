"""The gift catalog: moderators add, edit and retire gifts; members see the active ones.
Every change writes an audit row. A price change never alters gifts already sent (each gift entry
keeps the unit price it was sent at)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.clock import Clock, to_micros
from bot.errors import Conflict, InvalidAmount, NotFound
from bot.guilds import GuildDirectory
from bot.text import single_line, whole_number
from storage import Connection, Database, Row, action_log, catalog

NAME_MAX = 32
EMOJI_MAX = 64
PRICE_MAX = 1_000_000
_CUSTOM_EMOJI = re.compile(r"<a?:[A-Za-z0-9_]{2,32}:[0-9]{15,21}>")
_FORBIDDEN_IN_NAME = set("@#<>`*_~|\\:")


@dataclass(frozen=True)
class Gift:
    id: int
    name: str
    emoji: str
    coins: int
    active: bool

    @property
    def label(self) -> str:
        return f"{self.emoji} {self.name}"

    def snapshot(self) -> dict[str, object]:
        return {"name": self.name, "emoji": self.emoji, "coins": self.coins, "active": self.active}


def gift_from_row(row: Row) -> Gift:
    return Gift(row["id"], row["name"], row["emoji"], row["coins"], bool(row["active"]))


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def parse_name(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidAmount("A gift name must be text.")
    name = " ".join(single_line(value).split())
    if not name:
        raise InvalidAmount("A gift needs a name.")
    if len(name) > NAME_MAX:
        raise InvalidAmount(f"A gift name can be at most {NAME_MAX} characters (yours has {len(name)}).")
    if any(ch in _FORBIDDEN_IN_NAME for ch in name):
        raise InvalidAmount("A gift name can use letters, digits, spaces and simple punctuation only.")
    return name


def parse_emoji(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidAmount("The emoji must be text.")
    emoji = single_line(value)
    if not emoji:
        raise InvalidAmount("A gift needs an emoji.")
    if len(emoji) > EMOJI_MAX or any(ch.isspace() for ch in emoji):
        raise InvalidAmount("Give a single emoji, e.g. 🌹 or a custom server emoji.")
    if _CUSTOM_EMOJI.fullmatch(emoji):
        return emoji
    if any(ch.isascii() and (ch.isalnum() or ch in "@#<>`*_~|\\:") for ch in emoji):
        raise InvalidAmount("Give a single emoji, e.g. 🌹 or a custom server emoji.")
    return emoji


def parse_price(value: object) -> int:
    return whole_number(value, 1, PRICE_MAX, "A gift's price in coins")


class CatalogService:
    def __init__(self, db: Database, guilds_dir: GuildDirectory, clock: Clock) -> None:
        self._db = db
        self._guilds = guilds_dir
        self._clock = clock

    async def gifts(self, guild_id: int, *, include_retired: bool = False) -> list[Gift]:
        await self._guilds.ensure(guild_id)
        rows = await self._db.read(lambda conn: catalog.gifts(conn, guild_id, include_retired))
        return [gift_from_row(r) for r in rows]

    async def search(self, guild_id: int, text: str, *, include_retired: bool = False) -> list[Gift]:
        needle = name_key(text or "")
        return [
            g
            for g in await self.gifts(guild_id, include_retired=include_retired)
            if needle in name_key(g.name)
        ]

    async def find(self, guild_id: int, name: object, *, active_only: bool = True) -> Gift:
        """The gift called `name` (any case), or NotFound naming what exists."""
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise NotFound("Choose a gift from the list.")
        await self._guilds.ensure(guild_id)
        key = name_key(name)
        row = await self._db.read(lambda conn: catalog.gift_by_key(conn, guild_id, key))
        if row is None or (active_only and not row["active"]):
            shown = discord_safe(name)
            if row is not None:
                raise NotFound(f"**{shown}** is no longer in the catalog. See `/gift catalog`.")
            raise NotFound(f"There is no gift called **{shown}**. See `/gift catalog`.")
        return gift_from_row(row)

    async def add(self, guild_id: int, actor_id: int, name: str, emoji: str, coins: int) -> Gift:
        name, emoji, coins = parse_name(name), parse_emoji(emoji), parse_price(coins)
        await self._guilds.ensure(guild_id)
        now, key = to_micros(self._clock()), name_key(name)

        def add(conn: Connection) -> int:
            existing = catalog.gift_by_key(conn, guild_id, key)
            if existing is not None:
                state = "" if existing["active"] else " (retired: use `/catalog edit` to bring it back)"
                raise Conflict(f"There is already a gift called **{existing['name']}**{state}.")
            gift_id = catalog.add_gift(conn, guild_id, name, key, emoji, coins, now)
            after = {"name": name, "emoji": emoji, "coins": coins, "active": True}
            action_log.record(conn, guild_id, now, actor_id, "catalog.add", f"gift:{gift_id}", None, after)
            return gift_id

        gift_id = await self._db.write(add)
        return Gift(gift_id, name, emoji, coins, True)

    async def edit(
        self,
        guild_id: int,
        actor_id: int,
        name: str,
        *,
        coins: int | None = None,
        emoji: str | None = None,
        active: bool | None = None,
    ) -> Gift:
        """Change a gift's price, emoji or active flag (retired gifts included)."""
        new_coins = parse_price(coins) if coins is not None else None
        new_emoji = parse_emoji(emoji) if emoji is not None else None
        if new_coins is None and new_emoji is None and active is None:
            raise InvalidAmount("Say what to change: a new price in coins and/or a new emoji.")
        gift = await self.find(guild_id, name, active_only=False)
        return await self._change(guild_id, actor_id, gift.id, "catalog.edit", new_coins, new_emoji, active)

    async def retire(self, guild_id: int, actor_id: int, name: str) -> Gift:
        gift = await self.find(guild_id, name, active_only=False)
        if not gift.active:
            raise Conflict(f"**{gift.name}** is already retired.")
        return await self._change(guild_id, actor_id, gift.id, "catalog.retire", None, None, False)

    async def _change(
        self,
        guild_id: int,
        actor_id: int,
        gift_id: int,
        action: str,
        coins: int | None,
        emoji: str | None,
        active: bool | None,
    ) -> Gift:
        now = to_micros(self._clock())

        def change(conn: Connection) -> Gift:
            row = catalog.gift_by_id(conn, guild_id, gift_id)
            if row is None:
                raise NotFound("That gift no longer exists.")
            before = gift_from_row(row)
            after = Gift(
                before.id,
                before.name,
                emoji if emoji is not None else before.emoji,
                coins if coins is not None else before.coins,
                active if active is not None else before.active,
            )
            if after == before:
                raise Conflict(f"**{before.name}** already is like that; nothing changed.")
            catalog.update_gift(conn, gift_id, coins=after.coins, emoji=after.emoji, active=after.active)
            action_log.record(
                conn, guild_id, now, actor_id, action, f"gift:{gift_id}", before.snapshot(), after.snapshot()
            )
            return after

        return await self._db.write(change)


def discord_safe(text: str) -> str:
    """A member-typed name echoed back: one line, short, without markdown or mention power."""
    cleaned = single_line(text)[:NAME_MAX]
    return "".join(ch for ch in cleaned if ch not in "*_`~|<>@\\") or "?"
