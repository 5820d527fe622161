"""The supported regions and what a coin is worth in each."""

from __future__ import annotations

from bot.errors import UnknownRegion
from bot.money import CoinRate, Region
from storage import Connection, Database, regions, wallets
from storage.rows import required


class RegionBook:
    def __init__(self, db: Database, known: list[Region], default_region: str) -> None:
        self._db = db
        self._by_code = {region.code: region for region in known}
        self.default = self._by_code[default_region]

    @classmethod
    async def load(cls, db: Database, default_region: str) -> RegionBook:
        rows = await db.read(regions.all_regions)
        return cls(
            db, [Region(r["code"], r["name"], r["currency"], r["locale"]) for r in rows], default_region
        )

    def all(self) -> list[Region]:
        return list(self._by_code.values())

    def get(self, code: str) -> Region:
        region = self._by_code.get(code.strip().upper()) if isinstance(code, str) else None
        if region is None:
            supported = ", ".join(sorted(self._by_code))
            raise UnknownRegion(f"Unknown region {str(code)[:40]!r}. Supported regions: {supported}.")
        return region

    def search(self, text: str) -> list[Region]:
        """Regions whose code or name contains `text` (for autocomplete)."""
        needle = text.strip().lower()
        return [r for r in self._by_code.values() if needle in r.code.lower() or needle in r.name.lower()]

    async def member_region(self, guild_id: int, user_id: int) -> Region:
        return await self._db.read(lambda conn: self.member_region_on(conn, guild_id, user_id))

    async def rate(self, guild_id: int, region: Region) -> CoinRate:
        return await self._db.read(lambda conn: self.rate_on(conn, guild_id, region))

    async def member_rate(self, guild_id: int, user_id: int) -> CoinRate:
        return await self._db.read(lambda conn: self.member_rate_on(conn, guild_id, user_id))

    # The same on a connection the caller already holds (inside a read or a write operation).

    def member_region_on(self, conn: Connection, guild_id: int, user_id: int) -> Region:
        row = wallets.wallet(conn, guild_id, user_id)
        return self._by_code[row["region"]] if row and row["region"] else self.default

    def rate_on(self, conn: Connection, guild_id: int, region: Region) -> CoinRate:
        row = regions.base_rate(conn, guild_id, region.code)
        if row is None:  # a region whose packages were all retired: fall back to the base region
            row = regions.base_rate(conn, guild_id, self.default.code)
            region = self.default
        if row is None:  # the base region's packages were retired too: the seeded rate
            row = required(
                regions.default_base_rate(conn, region.code), f"the coin packages of {region.code}"
            )
        return CoinRate(region, row["coins"], row["price_minor"])

    def member_rate_on(self, conn: Connection, guild_id: int, user_id: int) -> CoinRate:
        return self.rate_on(conn, guild_id, self.member_region_on(conn, guild_id, user_id))
