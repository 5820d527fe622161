"""The registry of journal entry kinds: what each kind of money movement is, in one place.

Every consumer reads its facts from here: `/wallet history` and statements take the wording, budgets
count and the spending guard checks the spending kinds, reversals ask whether a kind can be reversed,
the posting helper and `python -m bot check` verify that an entry only touches the assets and system
accounts its kind allows. Adding a way to move money is one `EntryKind` below (listed in `_MOVEMENTS`)
plus the service that posts it (see CONTRIBUTING.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The ledger's assets.
COINS = "coins"
DIAMONDS = "diamonds"

# The system accounts (migration 007 seeds the same names; the database refuses any other).
MINT = "mint"  # where bought and granted coins come from
SPENT = "spent"  # where spent coins go
DIAMOND_MINT = "diamond_mint"  # where the diamonds a gift creates come from
PENDING_PAYOUT = "pending_payout"  # diamonds reserved by a cash-out request awaiting a decision
PLATFORM = "platform"  # the guild's fee share of settled cash-outs
PAID_OUT = "paid_out"  # the creator's share of settled cash-outs
# Coins members owe after refunds (migration 011): a refund of spent coins moves the shortfall here
# (negative), later credits to the member pay it back first. storage.debts keeps the per-member split.
REFUND_DEBT = "refund_debt"
PROMOTIONS = "promotions"  # where the bonus coins of deals come from (migration 012)
CHARITY = "charity"  # coins donated to charity campaigns, held until paid out to the cause
CHARITY_PAID = "charity_paid"  # coins of charity campaigns paid out to their causes
SYSTEM_ACCOUNTS = (
    MINT,
    SPENT,
    DIAMOND_MINT,
    PENDING_PAYOUT,
    PLATFORM,
    PAID_OUT,
    REFUND_DEBT,
    PROMOTIONS,
    CHARITY,
    CHARITY_PAID,
)


@dataclass(frozen=True)
class Wording:
    """How an entry of the kind reads to people."""

    history: str  # a member's `/wallet history` line ("Bought coins")
    statement: str  # the statement CSV's kind column ("coin purchase"); for a gift, the sender's
    label: str  # moderators' lists: reversal autocomplete, the action log ("purchase")
    reused_key: str  # the refusal when an idempotency key comes back with a different request
    statement_received: str | None = None  # the statement's words for the receiving member, if different
    memo_in_history: bool = True  # False where the memo is for the books only (a payment reference)
    money: str = "paid"  # how the history names the entry's money ("paid $4.99", "refunded $4.99")


@dataclass(frozen=True)
class EntryKind:
    name: str  # stored in journal_entries.kind
    wording: Wording
    spending: bool  # a member's coins spent: counted by budgets and checked by the spending guard
    assets: frozenset[str]
    system_accounts: frozenset[str]  # the only system accounts its postings may touch
    # None: a moderator may reverse it (every posting negated). Otherwise why not, with {entry_id}
    # and {reverses} (the entry a reversal reverses) filled in.
    not_reversible: str | None = None
    # The kinds of entry an entry of this kind belongs to (its reference is "entry:<id>"): reversing or
    # refunding that entry takes this one back with it.
    attached_to: frozenset[str] = frozenset()

    @property
    def reversible(self) -> bool:
        return self.not_reversible is None


_CASHOUT_REFUSAL = "Entry #{entry_id} belongs to a cash-out; decide cash-outs with `/payouts` instead."

# Credits to a member (purchases, grants) pay their refund debt first, hence REFUND_DEBT.
PURCHASE = EntryKind(
    name="purchase",
    wording=Wording(
        history="Bought coins",
        statement="coin purchase",
        label="purchase",
        reused_key="This request was already used for a different purchase; nothing was charged this time.",
        memo_in_history=False,
    ),
    spending=False,
    assets=frozenset({COINS}),
    system_accounts=frozenset({MINT, REFUND_DEBT}),
    not_reversible=(
        "Entry #{entry_id} is a paid purchase and cannot be reversed here: only a refund through Discord "
        "takes it back (the bot then takes the coins back by itself)."
    ),
)
TEST_PURCHASE = EntryKind(
    name="test_purchase",
    wording=Wording(
        history="Test coins (free)",
        statement="test coins (not charged)",
        label="test purchase",
        reused_key="This request was already used for a different purchase; nothing was credited this time.",
        memo_in_history=False,
    ),
    spending=False,
    assets=frozenset({COINS}),
    system_accounts=frozenset({MINT, REFUND_DEBT}),
)
REFUND = EntryKind(
    name="refund",
    wording=Wording(
        history="Purchase refunded",
        statement="purchase refunded",
        label="refund",
        reused_key="This purchase was already refunded.",
        money="refunded",
    ),
    spending=False,
    assets=frozenset({COINS}),
    system_accounts=frozenset({MINT, REFUND_DEBT}),
    not_reversible="Entry #{entry_id} is a refund made through Discord; it cannot be reversed here.",
)
DEAL_BONUS = EntryKind(
    name="deal_bonus",
    wording=Wording(
        history="Deal bonus coins",
        statement="deal bonus",
        label="deal bonus",
        reused_key="This request was already used for a different purchase; nothing was charged this time.",
    ),
    spending=False,
    assets=frozenset({COINS}),
    system_accounts=frozenset({PROMOTIONS, REFUND_DEBT}),  # like every credit, it pays a refund debt first
    attached_to=frozenset({PURCHASE.name, TEST_PURCHASE.name}),
)
DEAL_BONUS_REFUND = EntryKind(
    name="deal_bonus_refund",
    wording=Wording(
        history="Deal bonus taken back",
        statement="deal bonus taken back",
        label="deal bonus refund",
        reused_key="This purchase was already refunded.",
    ),
    spending=False,
    assets=frozenset({COINS}),
    system_accounts=frozenset({PROMOTIONS, REFUND_DEBT}),
    not_reversible="Entry #{entry_id} took a deal bonus back with a refund made through Discord; it cannot be reversed here.",
)
GIFT = EntryKind(
    name="gift",
    wording=Wording(
        history="Gift",
        statement="gift sent",
        statement_received="gift received",
        label="gift",
        reused_key="This request was already used for a different gift; nothing was spent.",
    ),
    spending=True,
    assets=frozenset({COINS, DIAMONDS}),
    system_accounts=frozenset({SPENT, DIAMOND_MINT}),
)
GRANT = EntryKind(
    name="grant",
    wording=Wording(
        history="Granted coins",
        statement="coins granted",
        label="grant",
        reused_key="This request was already used for a different grant.",
    ),
    spending=False,
    assets=frozenset({COINS}),
    system_accounts=frozenset({MINT, REFUND_DEBT}),
)
CASHOUT_REQUEST = EntryKind(
    name="cashout_reserve",
    wording=Wording(
        history="Cash-out requested",
        statement="cash-out requested",
        label="cash-out request",
        reused_key="This request was already used for a different cash-out.",
    ),
    spending=False,
    assets=frozenset({DIAMONDS}),
    system_accounts=frozenset({PENDING_PAYOUT}),
    not_reversible=_CASHOUT_REFUSAL,
)
CASHOUT_APPROVAL = EntryKind(
    name="cashout",
    wording=Wording(
        history="Cash-out paid",
        statement="cash-out paid",
        label="cash-out",
        reused_key="This cash-out was already decided.",
    ),
    spending=False,
    assets=frozenset({DIAMONDS}),
    system_accounts=frozenset({PENDING_PAYOUT, PLATFORM, PAID_OUT}),
    not_reversible=_CASHOUT_REFUSAL,
)
CASHOUT_REJECTION = EntryKind(
    name="cashout_release",
    wording=Wording(
        history="Cash-out returned",
        statement="cash-out returned",
        label="cash-out returned",
        reused_key="This cash-out was already decided.",
    ),
    spending=False,
    assets=frozenset({DIAMONDS}),
    system_accounts=frozenset({PENDING_PAYOUT}),
    not_reversible=_CASHOUT_REFUSAL,
)

SUBSCRIPTION = EntryKind(
    name="subscription",
    wording=Wording(
        history="Subscription",
        statement="subscription paid",
        statement_received="subscription received",
        label="subscription",
        reused_key="This request was already used for a different subscription; nothing was charged.",
    ),
    spending=True,
    assets=frozenset({COINS, DIAMONDS}),
    system_accounts=frozenset({SPENT, DIAMOND_MINT}),
)
DONATION = EntryKind(
    name="donation",
    wording=Wording(
        history="Charity donation",
        statement="charity donation",
        label="donation",
        reused_key="This request was already used for a different donation; nothing was donated.",
    ),
    spending=True,
    assets=frozenset({COINS}),
    system_accounts=frozenset({CHARITY}),
)
CHARITY_PAYOUT = EntryKind(
    name="charity_payout",
    wording=Wording(
        history="Charity payout",
        statement="charity payout",
        label="charity payout",
        reused_key="This charity payout was already decided.",
    ),
    spending=False,
    assets=frozenset({COINS}),
    system_accounts=frozenset({CHARITY, CHARITY_PAID, PLATFORM}),
    not_reversible="Entry #{entry_id} paid a charity campaign out to its cause; it cannot be reversed.",
)

# Every kind but the reversal; a new kind is listed here.
_MOVEMENTS = (
    PURCHASE,
    TEST_PURCHASE,
    REFUND,
    DEAL_BONUS,
    DEAL_BONUS_REFUND,
    GIFT,
    GRANT,
    CASHOUT_REQUEST,
    CASHOUT_APPROVAL,
    CASHOUT_REJECTION,
    SUBSCRIPTION,
    DONATION,
    CHARITY_PAYOUT,
)
_MIRRORED = [k for k in _MOVEMENTS if k.reversible]  # a reversal negates their postings
REVERSAL = EntryKind(
    name="reversal",
    wording=Wording(
        history="Reversal",
        statement="reversal",
        label="reversal",
        reused_key="This request was already used for a different reversal.",
    ),
    spending=False,
    assets=frozenset().union(*(k.assets for k in _MIRRORED)),
    system_accounts=frozenset().union(*(k.system_accounts for k in _MIRRORED)),
    not_reversible=(
        "Entry #{entry_id} is itself a reversal (of #{reverses}); a reversal cannot be reversed."
    ),
)

ENTRY_KINDS: Mapping[str, EntryKind] = {k.name: k for k in (*_MOVEMENTS, REVERSAL)}
SPENDING_KINDS: tuple[str, ...] = tuple(k.name for k in ENTRY_KINDS.values() if k.spending)


class UnknownEntryKind(LookupError):
    """An entry kind missing from the registry: a programming error, never user input."""


def entry_kind(name: str) -> EntryKind:
    try:
        return ENTRY_KINDS[name]
    except KeyError:
        raise UnknownEntryKind(f"entry kind {name!r} is not registered") from None


def attached_kinds(kind_name: str) -> tuple[str, ...]:
    """The kinds whose entries belong to an entry of `kind_name` (reversed together with it)."""
    return tuple(k.name for k in ENTRY_KINDS.values() if kind_name in k.attached_to)


def allowed_accounts() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """(assets, system accounts) each kind may touch, as plain data for the ledger audit."""
    return {k.name: (k.assets, k.system_accounts) for k in ENTRY_KINDS.values()}
