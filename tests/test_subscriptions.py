"""Creator subscriptions through the real services on a real SQLite file, on the fake clock: charges,
renewals across a month end and a DST change, grace and role removal, budgets, price changes, and roles
that follow the ledger after a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts import Notice
from bot.economy.kinds import allowed_accounts
from bot.economy.subscriptions import RoleFacts, period_end
from bot.errors import BudgetExceeded, Conflict, InsufficientCoins, NotFound, NotPermitted
from bot.services import build_services
from storage import ledger
from storage.ledger_check import find_discrepancies
from tests.support.factories import GUILD, fund, wallet
from tests.support.factories import key as next_key
from tests.support.roles import FakeMemberRoles, RecordingDMs

ANA, BEN, CREATOR, MOD = 101, 102, 201, 500
ROLE = 990_000_000_000_000_001
NEW_YORK = "America/New_York"


def role_facts(**overrides) -> RoleFacts:
    facts = {
        "role_id": ROLE,
        "name": "Supporters",
        "is_everyone": False,
        "managed": False,
        "bot_can_manage_roles": True,
        "below_bot_top_role": True,
    }
    facts.update(overrides)
    return RoleFacts(**facts)


class Notices:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def publish_notice(self, notice: Notice) -> asyncio.Future[bool]:
        self.notices.append(notice)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        future.set_result(True)
        return future

    def forget_board(self, channel_id: int, key: str) -> None:
        return None


@pytest.fixture
async def world(services, clock):
    clock.now = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)  # 10:00 in New York (EST)
    roles, dms, notices = FakeMemberRoles(), RecordingDMs(), Notices()
    service = services.subscriptions
    service.roles, service.messages, service.alerts = roles, dms, notices
    await services.creators.register(GUILD, CREATOR)
    await services.guild_config.set_alerts_channel(GUILD, MOD, 777)
    await services.budgets.set_reminders(GUILD, ANA, "off", timezone=NEW_YORK)
    await service.set_plan(GUILD, CREATOR, 300, role_facts())
    return roles, dms, notices


async def subscribe(services, member=ANA, creator=CREATOR, key=None):
    quote = await services.subscriptions.quote(GUILD, member, [], creator)
    return await services.subscriptions.subscribe(quote, key or next_key())


async def charges(services) -> list[tuple[int, int, int]]:
    found = await services.db.read(
        lambda conn: conn.execute(
            "SELECT subscription_id, period, coins FROM subscription_charges ORDER BY entry_id"
        ).fetchall()
    )
    return [tuple(r) for r in found]


async def audit(services) -> list[str]:
    return await services.db.read(lambda conn: find_discrepancies(conn, allowed_accounts()))


async def test_subscribing_charges_one_spending_entry_and_gives_the_role(services, world, clock):
    roles, _, notices = world
    await fund(services, ANA, 1_000)
    quote = await services.subscriptions.quote(GUILD, ANA, [], CREATOR)
    assert quote.coins == 300 and quote.rate.show(300) == "$3.17"
    assert quote.renews_at == datetime(2026, 2, 28, 15, 0, tzinfo=UTC)  # 28 Feb, 10:00 in New York

    done = await services.subscriptions.subscribe(quote, "click-1")

    assert done.role_given and roles.has(GUILD, ANA, ROLE) and done.balance == 700
    assert await wallet(services, CREATOR) == (0, 300)  # diamonds at the same rate as gifts
    entry = await services.db.read(
        lambda conn: conn.execute("SELECT * FROM journal_entries WHERE kind = 'subscription'").fetchone()
    )
    postings = await services.db.read(lambda conn: ledger.entry_postings(conn, entry["id"]))
    assert {(p.user_id, p.system_account, p.asset, p.amount) for p in postings} == {
        (ANA, None, "coins", -300),
        (None, "spent", "coins", 300),
        (CREATOR, None, "diamonds", 300),
        (None, "diamond_mint", "diamonds", -300),
    }
    [shout] = notices.notices
    assert f"<@{ANA}> just subscribed to <@{CREATOR}>" in shout.text and shout.mention_ids == (ANA,)

    await services.budgets.set_limit(GUILD, ANA, "daily", 100)  # the charge is now over the budget:
    await services.budgets.set_mode(GUILD, ANA, "block")  # a second click still finds the first
    again = await services.subscriptions.subscribe(quote, "click-1")  # the same click
    assert again.replayed and await wallet(services, ANA) == (700, 0) and len(notices.notices) == 1
    with pytest.raises(Conflict, match="already subscribe"):
        await services.subscriptions.quote(GUILD, ANA, [], CREATOR)
    assert (await services.budgets.snapshot(GUILD, ANA)).monthly.spent == 300
    assert await audit(services) == []


async def test_renewals_follow_the_calendar_across_a_month_end_and_a_dst_change(services, world, clock):
    await fund(services, ANA, 1_000)
    done = await subscribe(services)
    assert done.subscription.paid_until == datetime(2026, 2, 28, 15, 0, tzinfo=UTC)

    clock.now = datetime(2026, 2, 28, 14, 59, tzinfo=UTC)
    assert (await services.subscriptions.renew_due()).renewed == []
    clock.now = datetime(2026, 2, 28, 15, 0, tzinfo=UTC)
    assert (await services.subscriptions.renew_due()).renewed == [done.subscription.id]
    [mine] = await services.subscriptions.mine(GUILD, ANA)
    # 31 March, still 10:00 in New York, but DST began on 8 March: 14:00 UTC
    assert mine.paid_until == datetime(2026, 3, 31, 14, 0, tzinfo=UTC)
    assert (await services.subscriptions.renew_due()).renewed == []

    clock.now = datetime(2026, 3, 31, 14, 0, tzinfo=UTC)
    await services.subscriptions.renew_due()
    [mine] = await services.subscriptions.mine(GUILD, ANA)
    assert mine.paid_until == datetime(2026, 4, 30, 14, 0, tzinfo=UTC)
    assert await charges(services) == [(mine.id, 1, 300), (mine.id, 2, 300), (mine.id, 3, 300)]
    assert await wallet(services, ANA) == (100, 0)
    assert await audit(services) == []


def test_a_period_ends_on_the_last_day_of_a_shorter_month_and_keeps_its_anchor():
    from zoneinfo import ZoneInfo

    start = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)
    zone = ZoneInfo(NEW_YORK)
    ends = [period_end(start, zone, n).astimezone(zone) for n in (1, 2, 3, 12)]
    assert [(e.month, e.day, e.hour) for e in ends] == [(2, 28, 10), (3, 31, 10), (4, 30, 10), (1, 31, 10)]


async def test_a_failed_renewal_gets_three_days_grace_then_the_role_goes(services, world, clock):
    roles, dms, _ = world
    await fund(services, ANA, 300)
    done = await subscribe(services)
    clock.now = done.subscription.paid_until

    run = await services.subscriptions.renew_due()
    assert run.in_grace == [done.subscription.id]
    [dm] = dms.to(ANA)
    assert "could not renew" in dm and "You need 300 coins but have 0" in dm and "three more days" in dm
    [mine] = await services.subscriptions.mine(GUILD, ANA)
    assert mine.status == "grace" and roles.has(GUILD, ANA, ROLE)

    clock.advance(hours=1)
    await services.subscriptions.renew_due()  # retried, still refused: no second DM
    assert len(dms.to(ANA)) == 1
    clock.now = done.subscription.paid_until + timedelta(days=3)
    assert (await services.subscriptions.renew_due()).ended == [done.subscription.id]
    assert not roles.has(GUILD, ANA, ROLE)
    assert "has ended" in dms.to(ANA)[-1]
    assert await services.subscriptions.mine(GUILD, ANA) == []
    assert await wallet(services, ANA) == (0, 0) and len(await charges(services)) == 1


async def test_coins_bought_during_grace_renew_the_subscription_without_a_gap(services, world, clock):
    roles, _, _ = world
    await fund(services, ANA, 300)
    done = await subscribe(services)
    clock.now = done.subscription.paid_until
    await services.subscriptions.renew_due()
    await fund(services, ANA, 300)
    clock.advance(hours=1)
    assert (await services.subscriptions.renew_due()).renewed == [done.subscription.id]
    [mine] = await services.subscriptions.mine(GUILD, ANA)
    assert mine.status == "active" and mine.paid_until == datetime(2026, 3, 31, 14, 0, tzinfo=UTC)
    assert roles.has(GUILD, ANA, ROLE)


async def test_a_blocking_budget_refuses_the_renewal(services, world, clock):
    _, dms, _ = world
    await fund(services, ANA, 1_000)
    await fund(services, BEN, 1_000)
    done = await subscribe(services)
    await services.budgets.set_limit(GUILD, ANA, "daily", 100)
    await services.budgets.set_mode(GUILD, ANA, "block")
    clock.now = done.subscription.paid_until

    run = await services.subscriptions.renew_due()

    assert run.in_grace == [done.subscription.id]
    assert "budget" in dms.to(ANA)[0] and "three more days" in dms.to(ANA)[0]
    assert await wallet(services, ANA) == (700, 0)
    await services.budgets.set_limit(GUILD, BEN, "daily", 100)
    await services.budgets.set_mode(GUILD, BEN, "block")
    with pytest.raises(BudgetExceeded):  # a new subscription over a blocking budget is refused too
        await services.subscriptions.quote(GUILD, BEN, [], CREATOR)


async def test_unsubscribing_keeps_the_role_until_the_period_ends_and_refunds_nothing(services, world, clock):
    roles, _, _ = world
    await fund(services, ANA, 1_000)
    done = await subscribe(services)
    stopped = await services.subscriptions.unsubscribe(GUILD, ANA, CREATOR)
    assert not stopped.renews and roles.has(GUILD, ANA, ROLE)
    assert await wallet(services, ANA) == (700, 0)
    with pytest.raises(Conflict, match="will not renew"):
        await services.subscriptions.unsubscribe(GUILD, ANA, CREATOR)

    clock.now = done.subscription.paid_until
    assert (await services.subscriptions.renew_due()).ended == [done.subscription.id]
    assert not roles.has(GUILD, ANA, ROLE) and await wallet(services, ANA) == (700, 0)


async def test_a_price_change_is_told_by_dm_and_applies_from_the_next_renewal(services, world, clock):
    _, dms, _ = world
    await fund(services, ANA, 1_000)
    done = await subscribe(services)
    change = await services.subscriptions.set_plan(GUILD, CREATOR, 200, role_facts())
    assert change.previous_coins == 300 and change.subscribers_told == 1
    [dm] = dms.to(ANA)
    assert "from 300 to 200 coins" in dm and "Your next renewal" in dm
    assert await wallet(services, ANA) == (700, 0)  # the running period is not touched

    clock.now = done.subscription.paid_until
    await services.subscriptions.renew_due()
    assert [c[2] for c in await charges(services)] == [300, 200]


async def test_a_subscriber_who_left_the_server_is_not_charged(services, world, clock):
    roles, _, _ = world
    await fund(services, ANA, 1_000)
    done = await subscribe(services)
    roles.left.add(ANA)
    clock.now = done.subscription.paid_until
    assert (await services.subscriptions.renew_due()).ended == [done.subscription.id]
    assert await wallet(services, ANA) == (700, 0) and len(await charges(services)) == 1


async def test_turning_the_subscription_off_stops_new_ones_and_lets_running_ones_end(services, world, clock):
    roles, _, _ = world
    await fund(services, ANA, 1_000)
    await fund(services, BEN, 1_000)
    done = await subscribe(services)
    assert await services.subscriptions.turn_off(GUILD, CREATOR) == 1
    with pytest.raises(NotFound, match="does not offer"):
        await services.subscriptions.quote(GUILD, BEN, [], CREATOR)
    clock.now = done.subscription.paid_until
    await services.subscriptions.renew_due()
    assert not roles.has(GUILD, ANA, ROLE) and await wallet(services, ANA) == (700, 0)


async def test_a_role_the_bot_cannot_manage_is_refused_with_how_to_fix_it(services, world):
    with pytest.raises(NotPermitted, match="Manage Roles"):
        await services.subscriptions.set_plan(GUILD, CREATOR, 100, role_facts(bot_can_manage_roles=False))
    with pytest.raises(NotPermitted, match="drag my role above it"):
        await services.subscriptions.set_plan(GUILD, CREATOR, 100, role_facts(below_bot_top_role=False))
    with pytest.raises(NotPermitted, match="bot or an integration"):
        await services.subscriptions.set_plan(GUILD, CREATOR, 100, role_facts(managed=True))
    with pytest.raises(NotFound):  # only creators offer subscriptions
        await services.subscriptions.set_plan(GUILD, BEN, 100, role_facts())
    assert (await services.subscriptions.plan(GUILD, CREATOR)).coins == 300


async def test_refusals_charge_nothing(services, world):
    roles, _, _ = world
    await fund(services, ANA, 1_000)
    await fund(services, BEN, 100)
    roles.deleted_roles.add(ROLE)  # someone deleted the subscriber role
    with pytest.raises(NotFound, match="no longer exists"):
        await services.subscriptions.quote(GUILD, ANA, [], CREATOR)
    roles.deleted_roles.clear()
    with pytest.raises(InsufficientCoins):
        await services.subscriptions.quote(GUILD, BEN, [], CREATOR)
    with pytest.raises(NotFound):  # Ben offers no subscription
        await services.subscriptions.quote(GUILD, ANA, [], BEN)
    assert await wallet(services, ANA) == (1_000, 0) and await wallet(services, BEN) == (100, 0)


async def test_roles_are_restored_after_a_restart(services, world, clock, settings, db):
    roles, _, _ = world
    await fund(services, ANA, 1_000)
    await fund(services, BEN, 1_000)
    await subscribe(services, ANA)
    ben = await subscribe(services, BEN)
    await services.subscriptions.unsubscribe(GUILD, BEN, CREATOR)
    roles.roles[(GUILD, ANA)].discard(ROLE)  # a moderator removed it by hand
    roles.forbidden.add(ROLE)  # and the bot lost Manage Roles for a while
    clock.now = ben.subscription.paid_until
    await services.subscriptions.renew_due()  # Ben's ends, but his role cannot be taken yet
    assert roles.has(GUILD, BEN, ROLE)
    roles.forbidden.clear()

    restarted = await build_services(settings, db, clock)  # a new process on the same database
    restarted.subscriptions.roles = roles
    result = await restarted.subscriptions.reconcile_roles()

    assert result.given == [(ANA, ROLE)] and result.removed == [(BEN, ROLE)]
    assert roles.has(GUILD, ANA, ROLE) and not roles.has(GUILD, BEN, ROLE)
    assert (await restarted.subscriptions.reconcile_roles()).removed == []  # nothing left to do


async def test_creators_see_their_subscribers_and_renewals_this_month(services, world, clock):
    await fund(services, ANA, 1_000)
    await fund(services, BEN, 1_000)
    done = await subscribe(services, ANA)
    await subscribe(services, BEN)
    assert await services.subscriptions.creator_counts(GUILD, CREATOR) == (2, 0)
    clock.now = done.subscription.paid_until
    await services.subscriptions.renew_due()
    assert await services.subscriptions.creator_counts(GUILD, CREATOR) == (2, 2)
    clock.now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert await services.subscriptions.creator_counts(GUILD, CREATOR) == (2, 0)


async def test_history_and_statements_name_the_subscription_for_both_sides(services, world, clock):
    await fund(services, ANA, 1_000)
    await subscribe(services)
    [latest, *_] = await services.wallets.history(GUILD, ANA)
    assert latest.kind == "subscription" and latest.coins == -300
    paid = await services.statements.statement(GUILD, ANA)
    received = await services.statements.statement(GUILD, CREATOR)
    assert [(r.kind, r.coins, r.counterparty) for r in paid.rows if "subscription" in r.kind] == [
        ("subscription paid", -300, None)
    ]
    assert [(r.kind, r.diamonds, r.counterparty) for r in received.rows] == [
        ("subscription received", 300, ANA)
    ]


async def test_a_new_subscriber_is_thanked_on_the_creators_overlay(services, world, clock):
    await fund(services, ANA, 1_000)
    woken: list[tuple[int, int]] = []
    services.subscriptions.committed = lambda guild_id, creator_id: woken.append((guild_id, creator_id))
    done = await subscribe(services)

    batch = await services.overlay.alerts_after((GUILD, CREATOR), 0)
    [alert] = batch.alerts
    assert (alert.sender_id, alert.gift, alert.emoji, alert.count, alert.coins) == (
        ANA,
        "Subscription",
        "⭐",
        1,
        300,
    )
    assert woken == [(GUILD, CREATOR)]
    clock.now = done.subscription.paid_until
    await services.subscriptions.renew_due()  # a renewal is not a new subscriber
    assert (await services.overlay.alerts_after((GUILD, CREATOR), alert.id)).alerts == []


async def test_when_discord_cannot_say_who_is_a_member_nothing_is_charged_until_it_can(
    services, world, clock
):
    roles, _, _ = world
    await fund(services, ANA, 1_000)
    done = await subscribe(services)
    roles.unreachable = True
    clock.now = done.subscription.paid_until
    assert (await services.subscriptions.renew_due()).skipped == [done.subscription.id]
    assert await wallet(services, ANA) == (700, 0)
    clock.advance(minutes=30)
    assert (await services.subscriptions.renew_due()).skipped == []  # retried hourly, not every minute
    roles.unreachable = False
    clock.advance(minutes=30)
    assert (await services.subscriptions.renew_due()).renewed == [done.subscription.id]
    assert await wallet(services, ANA) == (400, 0)


async def test_subscription_diamonds_wait_out_the_cashout_hold_like_gift_diamonds(services, world, clock):
    await fund(services, ANA, 1_000)
    await subscribe(services)
    maturity = await services.db.read(
        lambda conn: services.payouts.rules.maturity_on(conn, GUILD, CREATOR, 300, clock.now)
    )
    assert (maturity.maturing, maturity.cashable) == (300, 0)
    clock.advance(days=8)
    maturity = await services.db.read(
        lambda conn: services.payouts.rules.maturity_on(conn, GUILD, CREATOR, 300, clock.now)
    )
    assert (maturity.maturing, maturity.cashable) == (0, 300)
