"""The gift catalog: seeded defaults, moderators' changes with validation and audit rows."""

from __future__ import annotations

import json

import pytest

from bot.errors import Conflict, DomainError, InvalidAmount, NotFound
from storage import action_log
from tests.support.factories import GUILD, fund, ledger_problems, send_gift, wallet

MOD = 500


async def test_a_new_guild_gets_the_default_catalog(services):
    gifts = await services.catalog.gifts(GUILD)
    assert [(g.name, g.emoji, g.coins) for g in gifts][:3] == [
        ("Rose", "🌹", 1),
        ("Finger Heart", "🫰", 5),
        ("Perfume", "🧴", 20),
    ]
    assert {g.name: g.coins for g in gifts}["Universe"] == 34_999
    assert len(gifts) == 10


async def test_add_edit_retire_write_audit_rows_with_before_and_after(services):
    added = await services.catalog.add(GUILD, MOD, "Crown", "👑", 500)
    await services.catalog.edit(GUILD, MOD, "crown", coins=600)
    await services.catalog.retire(GUILD, MOD, "CROWN")

    rows = await services.db.read(lambda conn: action_log.recent(conn, GUILD))
    actions = [(r["action"], r["target"]) for r in rows][:3]
    assert actions == [
        ("catalog.retire", f"gift:{added.id}"),
        ("catalog.edit", f"gift:{added.id}"),
        ("catalog.add", f"gift:{added.id}"),
    ]
    edit = rows[1]
    assert edit["actor_id"] == MOD
    assert json.loads(edit["before"])["coins"] == 500 and json.loads(edit["after"])["coins"] == 600
    assert json.loads(rows[0]["after"])["active"] is False
    names = [g.name for g in await services.catalog.gifts(GUILD)]
    assert "Crown" not in names
    assert "Crown" in [g.name for g in await services.catalog.gifts(GUILD, include_retired=True)]


async def test_names_are_unique_ignoring_case(services):
    with pytest.raises(Conflict):
        await services.catalog.add(GUILD, MOD, "rOSE", "🌸", 3)


@pytest.mark.parametrize(
    ("name", "emoji", "coins"),
    [
        ("Crown", "👑", 0),
        ("Crown", "👑", -5),
        ("Crown", "👑", 1_000_001),
        ("Crown", "👑", 2**53),
        ("Crown", "👑", True),
        ("", "👑", 10),
        ("x" * 33, "👑", 10),
        ("@everyone", "👑", 10),
        ("Crown", "", 10),
        ("Crown", "abc", 10),
        ("Crown", "<@&123456789012345678>", 10),
    ],
)
async def test_invalid_gifts_are_refused_without_a_change(services, name, emoji, coins):
    before = await services.catalog.gifts(GUILD, include_retired=True)
    with pytest.raises(DomainError) as refused:
        await services.catalog.add(GUILD, MOD, name, emoji, coins)
    assert refused.value.message
    assert await services.catalog.gifts(GUILD, include_retired=True) == before
    assert await services.db.read(lambda conn: action_log.recent(conn, GUILD)) == []


async def test_custom_server_emoji_is_accepted(services):
    gift = await services.catalog.add(GUILD, MOD, "Party", "<:party:123456789012345678>", 50)
    assert gift.emoji == "<:party:123456789012345678>"


async def test_edit_needs_a_change_and_an_existing_gift(services):
    with pytest.raises(InvalidAmount):
        await services.catalog.edit(GUILD, MOD, "Rose")
    with pytest.raises(NotFound):
        await services.catalog.edit(GUILD, MOD, "Nope", coins=3)
    with pytest.raises(Conflict):
        await services.catalog.edit(GUILD, MOD, "Rose", coins=1)


async def test_a_price_change_never_alters_gifts_already_sent(services):
    await services.creators.register(GUILD, 2)
    await fund(services, 1, 100)
    first = await send_gift(services, 1, 2, "Perfume", 2)  # 2 × 20
    await services.catalog.edit(GUILD, MOD, "Perfume", coins=30)
    second = await send_gift(services, 1, 2, "Perfume", 1)  # 1 × 30

    assert (first.unit_price, first.total_coins) == (20, 40)
    assert (second.unit_price, second.total_coins) == (30, 30)
    rows = await services.db.read(
        lambda conn: conn.execute("SELECT unit_price, count FROM gift_entries ORDER BY entry_id").fetchall()
    )
    assert [tuple(r) for r in rows] == [(20, 2), (30, 1)]
    assert await wallet(services, 1) == (30, 0)
    assert await wallet(services, 2) == (0, 70)
    assert await ledger_problems(services) == []


async def test_a_retired_gift_can_be_brought_back(services):
    await services.catalog.retire(GUILD, MOD, "Lion")
    with pytest.raises(NotFound):
        await services.catalog.find(GUILD, "Lion")
    await services.catalog.edit(GUILD, MOD, "Lion", active=True)
    assert (await services.catalog.find(GUILD, "lion")).active
