"""The double-entry ledger, creator earnings, Stripe Connect and payout runs."""
