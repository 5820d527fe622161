"""The economy: the only code that changes balances (wallets, purchases, gifts, payouts)."""
