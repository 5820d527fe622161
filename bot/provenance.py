"""Where a cash-out's diamonds came from: the creator's top senders and, for each, how their coins were
obtained (bought through Discord, test coins, granted by moderators, deal bonuses) and what was refunded, so that a
moderator sees before approving whether real money stands behind them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.economy.kinds import DEAL_BONUS, GRANT, PURCHASE, TEST_PURCHASE
from storage import Connection, Database, debts, provenance, statements

TOP_SENDERS = 3


@dataclass(frozen=True)
class SenderSource:
    user_id: int
    diamonds: int  # the creator received from this sender's gifts
    bought: int  # coins bought with real money
    test_coins: int  # free test coins (sandbox, Discord test mode)
    granted: int
    bonus: int  # deal bonus coins given with purchases
    refunded: int  # coins of refunded purchases
    owed: int  # refund debt not yet paid


class ProvenanceService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def sources(self, guild_id: int, creator_ids: list[int]) -> dict[int, list[SenderSource]]:
        """Per creator, the top senders and where their coins came from."""

        def look(conn: Connection) -> dict[int, list[SenderSource]]:
            return {creator: self._sources_on(conn, guild_id, creator) for creator in set(creator_ids)}

        return await self._db.read(look)

    @staticmethod
    def _sources_on(conn: Connection, guild_id: int, creator_id: int) -> list[SenderSource]:
        top = statements.top_supporters(conn, guild_id, creator_id, TOP_SENDERS)
        senders = [r["sender_id"] for r in top]
        if not senders:
            return []
        kinds = (PURCHASE.name, TEST_PURCHASE.name, GRANT.name, DEAL_BONUS.name)
        credited: dict[tuple[int, str], int] = {
            (r["user_id"], r["kind"]): r["coins"]
            for r in provenance.credited_by_kind(conn, guild_id, senders, kinds)
        }
        refunded = {r["user_id"]: r["coins"] for r in provenance.refunded_coins(conn, guild_id, senders)}
        return [
            SenderSource(
                user_id=r["sender_id"],
                diamonds=r["diamonds"],
                bought=credited.get((r["sender_id"], PURCHASE.name), 0),
                test_coins=credited.get((r["sender_id"], TEST_PURCHASE.name), 0),
                granted=credited.get((r["sender_id"], GRANT.name), 0),
                bonus=credited.get((r["sender_id"], DEAL_BONUS.name), 0),
                refunded=refunded.get(r["sender_id"], 0),
                owed=debts.owed(conn, guild_id, r["sender_id"]),
            )
            for r in top
        ]
