"""Money pages: a creator's earnings and payout account, and the staff ledger, freezes, team credit, payout runs and reconciliation."""
