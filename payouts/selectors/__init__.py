"""Reads for money: the ledger and trial balance, creator earnings, payout accounts, freezes, team credit, payout runs."""
