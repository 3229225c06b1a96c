"""Money services: business events posted to the ledger, freezes, payout runs."""
